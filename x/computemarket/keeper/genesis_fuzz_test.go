package keeper_test

import (
	"math/big"
	"testing"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// fuzzAmounts is the value domain of genesis amounts: the edges of int64,
// uint64, MaxAmount and math.Int's 256 bits.
var fuzzAmounts = func() []math.Int {
	pow := func(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }
	minus1 := func(b *big.Int) *big.Int { return new(big.Int).Sub(b, big.NewInt(1)) }
	out := []math.Int{math.NewInt(-1), math.ZeroInt(), math.OneInt(), math.NewInt(3), math.NewInt(1_000_000)}
	for _, b := range []*big.Int{pow(53), pow(63), pow(64), minus1(pow(128)), pow(128), pow(255), minus1(pow(256))} {
		out = append(out, math.NewIntFromBigInt(b))
	}
	return out
}()

var fuzzHeights = []int64{-1, 0, 1, 5, 8, 9, 10, 11, 40, types.MaxGenesisHeight, types.MaxGenesisHeight + 1, 1 << 62, 1<<63 - 1}

// mutateGenesis applies the mutations data spells: each is three bytes,
// (object, field, value), the value read from the domain of the field.
func mutateGenesis(gs *types.GenesisState, data []byte) {
	amount := func(b byte) math.Int { return fuzzAmounts[int(b)%len(fuzzAmounts)] }
	coin := func(b byte) sdk.Coin {
		if b == 0xff {
			return sdk.Coin{} // no amount at all
		}
		return sdk.Coin{Denom: types.Denom, Amount: amount(b)}
	}
	hgt := func(b byte) int64 { return fuzzHeights[int(b)%len(fuzzHeights)] }
	for ; len(data) >= 3; data = data[3:] {
		obj, field, v := data[0], data[1], data[2]
		switch obj % 6 {
		case 0:
			if len(gs.Leases) == 0 {
				continue
			}
			l := &gs.Leases[int(obj/6)%len(gs.Leases)]
			switch field % 9 {
			case 0:
				l.Price = coin(v)
			case 1:
				l.Take = coin(v)
			case 2:
				l.Spent = coin(v)
			case 3:
				l.Withdrawn = coin(v)
			case 4:
				l.State = types.LeaseState(v % 5)
			case 5:
				l.SettledHeight = hgt(v)
			case 6:
				l.CreatedHeight = hgt(v)
			case 7:
				l.ClosedHeight = hgt(v)
			case 8:
				l.CloseReason = types.CloseReason(v % 8)
			}
		case 1:
			if len(gs.Bids) == 0 {
				continue
			}
			b := &gs.Bids[int(obj/6)%len(gs.Bids)]
			switch field % 5 {
			case 0:
				b.Price = coin(v)
			case 1:
				b.Deposit = coin(v)
			case 2:
				b.State = types.BidState(v % 6)
			case 3:
				b.ClosedHeight = hgt(v)
			case 4:
				b.GroupId = uint64(v % 7)
			}
		case 2:
			g := &gs.Groups[int(obj/6)%len(gs.Groups)]
			switch field % 6 {
			case 0:
				g.State = types.GroupState(v % 7)
			case 1:
				g.AuctionEnd = hgt(v)
			case 2:
				g.LeaseId = uint64(v % 4)
			case 3:
				g.Spec.MaxPrice = coin(v)
			case 4:
				g.Spec.Deposit = coin(v)
			case 5:
				g.ClosedHeight = hgt(v)
			}
		case 3:
			e := &gs.Escrows[int(obj/6)%len(gs.Escrows)]
			switch field % 3 {
			case 0:
				e.Balance = coin(v)
			case 1:
				e.Deposited = coin(v)
			case 2:
				e.SettledHeight = hgt(v)
			}
		case 4:
			d := &gs.Deployments[int(obj/6)%len(gs.Deployments)]
			switch field % 2 {
			case 0:
				d.State = types.DeploymentState(v % 4)
			case 1:
				d.ClosedHeight = hgt(v)
			}
		case 5:
			p := &gs.Params
			switch field % 5 {
			case 0:
				p.MaxItemsPerBlock = uint32(v % 3)
			case 1:
				p.RetentionBlocks = uint64(v % 3)
			case 2:
				p.PrunePerBlock = uint32(v % 3)
			case 3:
				p.TakeRateBps = uint32(v) * 40
			case 4:
				p.BidDurationBlocks = uint64(v % 4)
			}
		}
	}
}

// FuzzGenesis: a genesis state that ValidateGenesis accepts loads, and the
// blocks after it run, without a panic or an EndBlock error (issue 12).
// What Validate refuses is fine; what it lets through must be runnable.
func FuzzGenesis(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 11})                   // take of 2^255
	f.Add([]byte{0, 1, 0xff})                 // a lease without take
	f.Add([]byte{1, 0, 9, 2, 3, 10})          // bid price past MaxAmount, group max price
	f.Add([]byte{5, 0, 1, 5, 1, 1, 5, 2, 1})  // tiny limits, immediate pruning
	f.Add([]byte{3, 0, 8, 0, 5, 9, 0, 4, 2})  // an escrow at MaxAmount
	f.Add([]byte{2, 1, 9, 2, 0, 1, 4, 1, 12}) // auction ends at 2^60
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 60 {
			return
		}
		gs := marketGenesis()
		mutateGenesis(&gs, data)
		if gs.Validate() != nil {
			return
		}
		// The bank's genesis funds the module account with what the
		// market owes (the conservation invariant's sum).
		bank := newLedger()
		fx := newFixtureWith(t, bank, bank)
		require.NotPanics(t, func() {
			require.NoError(t, fx.k.InitGenesis(fx.ctx, gs), "Validate accepted a genesis that does not load")
		})
		owed, err := fx.k.ExpectedModuleBalance(fx.ctx, fx.ctx.BlockHeight()-1)
		require.NoError(t, err)
		bank.balances[string(moduleAddr)] = owed
		for i := 0; i < 4; i++ {
			require.NotPanics(t, func() {
				require.NoError(t, fx.k.EndBlocker(fx.ctx), "EndBlock %d after the import", fx.ctx.BlockHeight())
			})
			fx.atHeight(fx.ctx.BlockHeight() + 1)
		}
		_, err = fx.k.ExportGenesis(fx.ctx)
		require.NoError(t, err)
	})
}
