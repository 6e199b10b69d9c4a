package bidengine_test

import (
	"context"
	"errors"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/bidengine"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

func udait(n int64) sdk.Coin { return sdk.NewCoin(types.Denom, sdkmath.NewInt(n)) }

// stub is a strategy with a canned answer that records its quotes.
type stub struct {
	price  sdk.Coin
	ok     bool
	err    error
	quotes []pricing.Quote
}

func (s *stub) Price(_ context.Context, q pricing.Quote) (sdk.Coin, bool, error) {
	s.quotes = append(s.quotes, q)
	return s.price, s.ok, s.err
}

func group(id uint64, mutate ...func(*types.Group)) types.Group {
	g := types.Group{
		Id:    id,
		State: types.GroupOpen,
		Spec: types.GroupSpec{
			Name: "trainer",
			Resources: types.Resources{
				GPU:       types.GPU{Count: 2, MemoryGb: 80, Class: "hopper"},
				CpuMillis: 16_000, MemoryMb: 128_000, StorageGb: 500, Replicas: 2,
			},
			Requirements: []types.Requirement{
				{Key: "region", Op: types.OpIn, Values: []string{"na-east", "eu-west"}},
				{Key: "gpu_memory_gb", Op: types.OpGte, Values: []string{"80"}},
			},
			MaxPrice: udait(10_000),
		},
	}
	for _, m := range mutate {
		m(&g)
	}
	return g
}

var attrs = types.AuditedAttributes{"region": {"eu-west"}, "gpu_memory_gb": {"80"}}

func newInventory(t *testing.T) *inventory.Inventory {
	inv, err := inventory.New(inventory.Config{
		GPUs:      []inventory.GPUPool{{Class: "hopper", Count: 8, MemoryGB: 80}},
		CPUMillis: 128_000, MemoryMB: 1_024_000, StorageGB: 10_000,
	})
	require.NoError(t, err)
	return inv
}

func fixed(t *testing.T) pricing.Strategy {
	s, err := pricing.NewFixed(pricing.FixedConfig{GPUPerBlock: map[string]string{"hopper": "1000"}, CPUPer1000Millis: "1"})
	require.NoError(t, err)
	return s
}

func TestDecide(t *testing.T) {
	errFeed := errors.New("price feed down")
	for _, tc := range []struct {
		name     string
		group    types.Group
		attrs    types.AuditedAttributes
		strategy func(t *testing.T) pricing.Strategy
		before   func(t *testing.T, inv *inventory.Inventory) // state before Decide
		want     bidengine.Reason
		price    int64
		err      error
	}{
		// 2 replicas * (2 hoppers * 1000 + 16 cores * 1) = 4032
		{name: "bid", group: group(1), attrs: attrs, strategy: fixed, want: bidengine.ReasonBid, price: 4032},
		{name: "bid on an ordered group", group: group(1, func(g *types.Group) { g.State = types.GroupOrdered }), attrs: attrs, strategy: fixed, want: bidengine.ReasonBid, price: 4032},
		{name: "matched group", group: group(1, func(g *types.Group) { g.State = types.GroupMatched }), attrs: attrs, strategy: fixed, want: bidengine.ReasonGroupNotBiddable},
		{name: "paused group", group: group(1, func(g *types.Group) { g.State = types.GroupPaused }), attrs: attrs, strategy: fixed, want: bidengine.ReasonGroupNotBiddable},
		{name: "already bid", group: group(1), attrs: attrs, strategy: fixed, want: bidengine.ReasonAlreadyBid,
			before: func(t *testing.T, inv *inventory.Inventory) {
				_, err := inv.Reserve(1, group(1).Spec.Resources)
				require.NoError(t, err)
			}},
		{name: "requirement not audited", group: group(1), attrs: types.AuditedAttributes{"region": {"eu-west"}}, strategy: fixed, want: bidengine.ReasonRequirementsUnmet},
		{name: "requirement not met", group: group(1), attrs: types.AuditedAttributes{"region": {"ap-south"}, "gpu_memory_gb": {"80"}}, strategy: fixed, want: bidengine.ReasonRequirementsUnmet},
		{name: "no requirements", group: group(1, func(g *types.Group) { g.Spec.Requirements = nil }), attrs: nil, strategy: fixed, want: bidengine.ReasonBid, price: 4032},
		{name: "gpu class", group: group(1, func(g *types.Group) { g.Spec.Resources.GPU.Class = "blackwell" }), attrs: attrs, strategy: fixed, want: bidengine.ReasonGPUMismatch},
		{name: "gpu memory", group: group(1, func(g *types.Group) { g.Spec.Resources.GPU.MemoryGb = 141 }), attrs: attrs, strategy: fixed, want: bidengine.ReasonGPUMismatch},
		{name: "capacity short with replicas", group: group(1, func(g *types.Group) { g.Spec.Resources.Replicas = 5 }), attrs: attrs, strategy: fixed, want: bidengine.ReasonCapacityShort},
		{name: "capacity held by another bid", group: group(2), attrs: attrs, strategy: fixed, want: bidengine.ReasonCapacityShort,
			before: func(t *testing.T, inv *inventory.Inventory) {
				_, err := inv.Reserve(1, group(1, func(g *types.Group) { g.Spec.Resources.Replicas = 3 }).Spec.Resources)
				require.NoError(t, err)
			}},
		{name: "max price below the list price", group: group(1, func(g *types.Group) { g.Spec.MaxPrice = udait(4031) }), attrs: attrs, strategy: fixed, want: bidengine.ReasonStrategyDeclined},
		{name: "strategy skips", group: group(1), attrs: attrs, strategy: func(*testing.T) pricing.Strategy { return &stub{} }, want: bidengine.ReasonStrategyDeclined},
		{name: "strategy over max price", group: group(1), attrs: attrs, strategy: func(*testing.T) pricing.Strategy { return &stub{price: udait(10_001), ok: true} }, want: bidengine.ReasonAboveMaxPrice},
		{name: "strategy in another denom", group: group(1), attrs: attrs, strategy: func(*testing.T) pricing.Strategy { return &stub{price: sdk.NewInt64Coin("stake", 1), ok: true} }, want: bidengine.ReasonAboveMaxPrice},
		{name: "strategy zero price", group: group(1), attrs: attrs, strategy: func(*testing.T) pricing.Strategy { return &stub{price: udait(0), ok: true} }, want: bidengine.ReasonAboveMaxPrice},
		{name: "strategy error", group: group(1), attrs: attrs, strategy: func(*testing.T) pricing.Strategy { return &stub{err: errFeed} }, want: bidengine.ReasonPricingFailed, err: errFeed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := newInventory(t)
			if tc.before != nil {
				tc.before(t, inv)
			}
			_, heldBefore := inv.Reservation(tc.group.Id)
			utilBefore := inv.Utilisation()

			d, err := bidengine.Decide(context.Background(), tc.group, tc.attrs, inv, tc.strategy(t))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.want, d.Reason, d.Detail)
			require.NotEmpty(t, d.Detail)

			r, held := inv.Reservation(tc.group.Id)
			if tc.want != bidengine.ReasonBid {
				require.False(t, d.Bid())
				require.Equal(t, heldBefore, held, "a skip changes nothing")
				require.Equal(t, 0, utilBefore.Cmp(inv.Utilisation()))
				return
			}
			require.True(t, d.Bid())
			require.Equal(t, udait(tc.price), d.Price)
			require.True(t, held, "a bid reserves its capacity")
			require.False(t, r.Committed)
			require.Equal(t, d.Alloc, r.Allocation)
			require.Equal(t, uint64(4), r.GPUs)
		})
	}
}

func TestDecideQuotesUtilisationAndClass(t *testing.T) {
	inv := newInventory(t)
	_, err := inv.Reserve(9, types.Resources{GPU: types.GPU{Count: 2}, CpuMillis: 1000, MemoryMb: 1000, Replicas: 1})
	require.NoError(t, err)
	s := &stub{price: udait(100), ok: true}
	g := group(1, func(g *types.Group) { g.Spec.Resources.GPU.Class = "" })

	d, err := bidengine.Decide(context.Background(), g, attrs, inv, s)
	require.NoError(t, err)
	require.True(t, d.Bid())
	require.Len(t, s.quotes, 1)
	q := s.quotes[0]
	require.Equal(t, uint64(1), q.GroupID)
	require.Equal(t, "hopper", q.GPUClass, "the class the inventory picked")
	require.Equal(t, g.Spec.MaxPrice, q.MaxPrice)
	require.Equal(t, 0, q.Utilisation.Cmp(inventory.Ratio{Num: 2, Den: 8}), "utilisation before this group, got %s", q.Utilisation)
}

func TestReasonStrings(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range bidengine.Reasons() {
		s := r.String()
		require.Regexp(t, `^[a-z_]+$`, s)
		require.False(t, seen[s], "duplicate %s", s)
		seen[s] = true
	}
	require.Equal(t, "bid", bidengine.ReasonBid.String())
	require.Equal(t, "capacity_short", bidengine.ReasonCapacityShort.String())
	require.Equal(t, "reason_200", bidengine.Reason(200).String())
}
