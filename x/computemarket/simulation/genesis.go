// Package simulation drives x/computemarket in the SDK's simulation
// framework: a randomized genesis (params, providers, auditors and their
// attestations) and a message factory for every Msg of the module.
package simulation

import (
	"fmt"
	"math/rand"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Keys of the simulation params file (-Params) that override the
// randomized module params.
const (
	ParamBidDurationBlocks = "computemarket_bid_duration_blocks"
	ParamBidMinDeposit     = "computemarket_bid_min_deposit"
	ParamLeaseMinDeposit   = "computemarket_lease_min_deposit"
	ParamTakeRateBps       = "computemarket_take_rate_bps"
	ParamMaxBidsPerGroup   = "computemarket_max_bids_per_group"
	ParamProviderMinBond   = "computemarket_provider_min_bond"
	ParamAuditors          = "computemarket_auditors"
	ParamMaxItemsPerBlock  = "computemarket_max_items_per_block"
	ParamRetentionBlocks   = "computemarket_retention_blocks"
	ParamPrunePerBlock     = "computemarket_prune_per_block"
)

// The attribute vocabulary of the simulation: providers declare and
// auditors attest these, groups require them.
var (
	regions = []string{"us-east", "eu-west", "ap-south"}
	tiers   = []string{"1", "2", "3", "4"}
	classes = []string{"hopper", "ada", "ampere"}
)

// RandomizedGenState writes a random computemarket genesis: params sized
// so that auctions end within a few blocks and escrows run dry within a
// hundred, a whitelist of 1-3 auditors, providers among the initially
// bonded accounts (which meet the tier) and some attestations.
func RandomizedGenState(simState *module.SimulationState) {
	r := simState.Rand
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(r, simState)
	for i := range min(int(simState.NumBonded), len(simState.Accounts)) {
		if r.Intn(10) >= 7 {
			continue
		}
		acc := simState.Accounts[i]
		gs.Providers = append(gs.Providers, types.Provider{
			Owner:      acc.Address.String(),
			HostUri:    fmt.Sprintf("https://provider%d.sim.daitchain.test:8443", i),
			Attributes: randomAttributes(r),
			Info:       types.ProviderInfo{Email: fmt.Sprintf("ops%d@sim.daitchain.test", i)},
		})
	}
	for _, p := range gs.Providers {
		for _, a := range gs.Params.AuditorWhitelist {
			if r.Intn(2) == 0 {
				gs.AuditRecords = append(gs.AuditRecords, types.AuditRecord{
					Provider: p.Owner, Auditor: a, Attributes: randomAttributes(r),
				})
			}
		}
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}

// RandomParams draws valid params, each overridable from the params file.
func RandomParams(r *rand.Rand, simState *module.SimulationState) types.Params {
	p := types.DefaultParams()
	var bidMin, leaseMin, bond int64
	ap := simState.AppParams
	ap.GetOrGenerate(ParamBidDurationBlocks, &p.BidDurationBlocks, r, func(r *rand.Rand) {
		p.BidDurationBlocks = uint64(1 + r.Intn(12))
	})
	ap.GetOrGenerate(ParamBidMinDeposit, &bidMin, r, func(r *rand.Rand) { bidMin = 1 + r.Int63n(100_000) })
	ap.GetOrGenerate(ParamLeaseMinDeposit, &leaseMin, r, func(r *rand.Rand) { leaseMin = 1 + r.Int63n(1_000_000) })
	ap.GetOrGenerate(ParamTakeRateBps, &p.TakeRateBps, r, func(r *rand.Rand) {
		p.TakeRateBps = uint32(r.Intn(1_001)) // up to 10%
	})
	ap.GetOrGenerate(ParamMaxBidsPerGroup, &p.MaxBidsPerGroup, r, func(r *rand.Rand) {
		p.MaxBidsPerGroup = uint32(1 + r.Intn(16))
	})
	ap.GetOrGenerate(ParamProviderMinBond, &bond, r, func(r *rand.Rand) {
		// At most the initial stake: the initially bonded accounts qualify.
		limit := int64(1_000_000_000)
		if simState.InitialStake.IsInt64() && simState.InitialStake.Int64() < limit {
			limit = simState.InitialStake.Int64()
		}
		if r.Intn(5) > 0 {
			bond = r.Int63n(limit + 1)
		}
	})
	ap.GetOrGenerate(ParamAuditors, &p.AuditorWhitelist, r, func(r *rand.Rand) {
		p.AuditorWhitelist = randomAuditors(r, simState.Accounts)
	})
	// Half the runs carry EndBlock items over (one to three a block); half
	// prune closed objects 100-400 blocks after they close.
	ap.GetOrGenerate(ParamMaxItemsPerBlock, &p.MaxItemsPerBlock, r, func(r *rand.Rand) {
		if r.Intn(2) == 0 {
			p.MaxItemsPerBlock = uint32(1 + r.Intn(3))
		}
	})
	ap.GetOrGenerate(ParamRetentionBlocks, &p.RetentionBlocks, r, func(r *rand.Rand) {
		if r.Intn(2) == 0 {
			p.RetentionBlocks = uint64(100 + r.Intn(300))
		}
	})
	ap.GetOrGenerate(ParamPrunePerBlock, &p.PrunePerBlock, r, func(r *rand.Rand) {
		p.PrunePerBlock = uint32(1 + r.Intn(20))
	})
	p.BidMinDeposit = udait(bidMin)
	p.LeaseMinDeposit = udait(leaseMin)
	p.ProviderMinBond = udait(bond)
	return p
}

// randomAuditors picks 1-3 distinct accounts, in the accounts' order.
func randomAuditors(r *rand.Rand, accs []simtypes.Account) []string {
	n := min(1+r.Intn(3), len(accs))
	out := make([]string, 0, n)
	for _, i := range r.Perm(len(accs))[:n] {
		out = append(out, accs[i].Address.String())
	}
	return out
}

// randomAttributes declares or attests a region, a tier or both.
func randomAttributes(r *rand.Rand) []types.Attribute {
	switch r.Intn(3) {
	case 0:
		return []types.Attribute{{Key: "region", Value: oneOf(r, regions)}}
	case 1:
		return []types.Attribute{{Key: "tier", Value: oneOf(r, tiers)}}
	default:
		return []types.Attribute{{Key: "region", Value: oneOf(r, regions)}, {Key: "tier", Value: oneOf(r, tiers)}}
	}
}

func oneOf[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func udait(n int64) sdk.Coin { return sdk.NewCoin(types.Denom, math.NewInt(n)) }
