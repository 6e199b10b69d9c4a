package keeper

import (
	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

func collectionsPair(a sdk.AccAddress, id uint64) collections.Pair[sdk.AccAddress, uint64] {
	return collections.Join(a, id)
}

func collectionsPairHeight(h int64, id uint64) collections.Pair[int64, uint64] {
	return collections.Join(h, id)
}

func prefixProvider(a sdk.AccAddress) *collections.PairRange[sdk.AccAddress, uint64] {
	return collections.NewPrefixedPairRange[sdk.AccAddress, uint64](a)
}

type (
	collectionsPairT = collections.Pair[sdk.AccAddress, uint64]
	collectionsPairH = collections.Pair[int64, uint64]
)
