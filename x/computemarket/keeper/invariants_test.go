package keeper_test

import (
	"encoding/binary"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// invariantMarket is a market with every kind of object: a live lease, a
// lost bid, an open group with an open bid, a closed deployment.
func invariantMarket(t *testing.T) *market {
	t.Helper()
	m := newMarket(t)
	p := types.DefaultParams()
	p.AuditorWhitelist = []string{str(auditorX)}
	p.LeaseMinDeposit = udait(3_500)
	p.BidDurationBlocks = 5
	require.NoError(t, m.k.SetParams(m.ctx, p))
	m.provider(t, provA)
	m.provider(t, provB)
	m.fund(tenant1, 10_000_000)
	dep := m.deploy(t, tenant1, spec("leased", 1_000, 50_000))
	m.bid(t, provA, dep.GroupIds[0], 900)
	m.bid(t, provB, dep.GroupIds[0], 999)
	m.advance(t, m.ctx.BlockHeight()+6) // auction: provA wins, provB loses
	open := m.deploy(t, tenant1, spec("open", 1_000, 50_000))
	m.bid(t, provB, open.GroupIds[0], 900)
	closed := m.deploy(t, tenant1, spec("closed", 1_000, 50_000))
	_, err := m.msgs.CloseDeployment(m.ctx, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: closed.DeploymentId})
	require.NoError(t, err)
	m.endBlock(t)
	return m
}

func objectKey(prefix collections.Prefix, id uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, prefix.Bytes()...), id)
}

// rewrite changes a stored object in place, behind the keeper's back: its
// indexes are not updated.
func rewrite[T proto.Message](t *testing.T, m *market, prefix collections.Prefix, id uint64, obj T, change func(T)) {
	t.Helper()
	store := m.ctx.KVStore(m.key)
	bz := store.Get(objectKey(prefix, id))
	require.NotNil(t, bz, "object %d under prefix %v", id, prefix)
	require.NoError(t, m.cdc.Unmarshal(bz, obj))
	change(obj)
	out, err := m.cdc.Marshal(obj)
	require.NoError(t, err)
	store.Set(objectKey(prefix, id), out)
}

// firstKey is the first raw key under prefix.
func firstKey(t *testing.T, m *market, prefix collections.Prefix) []byte {
	t.Helper()
	it := m.ctx.KVStore(m.key).Iterator(prefix.Bytes(), append(append([]byte{}, prefix.Bytes()...), 0xff))
	defer func() { _ = it.Close() }()
	require.True(t, it.Valid(), "nothing under prefix %v", prefix)
	return append([]byte{}, it.Key()...)
}

// TestInvariantsCatchCorruption: each corruption breaks the invariant that
// is meant to see it, on a market where every invariant holds before.
func TestInvariantsCatchCorruption(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, m *market)
		broken  func(keeper.Keeper) keeper.Invariant
		want    string // a fragment of the message: the check that fired
	}{
		{"a udait too many in the module account", func(t *testing.T, m *market) {
			m.fund(authtypes.NewModuleAddress(types.ModuleName), 1)
		}, keeper.ConservationInvariant, "module account holds 200099992udait"},
		{"an escrow balance changed", func(t *testing.T, m *market) {
			rewrite(t, m, types.EscrowsKey, 1, &types.Escrow{}, func(e *types.Escrow) { e.Balance.Amount = e.Balance.Amount.AddRaw(1) })
		}, keeper.ConservationInvariant, "escrow + earnings + bid deposits = 200099992udait"},
		{"an illegal deployment state", func(t *testing.T, m *market) {
			rewrite(t, m, types.DeploymentsKey, 1, &types.Deployment{}, func(d *types.Deployment) { d.State = 7 })
		}, keeper.ConsistencyInvariant, "deployment 1 has illegal state 7"},
		{"a live group in a closed deployment", func(t *testing.T, m *market) {
			rewrite(t, m, types.GroupsKey, 3, &types.Group{}, func(g *types.Group) { g.State = types.GroupPaused })
		}, keeper.ConsistencyInvariant, "group 3 is GROUP_STATE_PAUSED in closed deployment 3"},
		{"a lease without its ACTIVE bid", func(t *testing.T, m *market) {
			rewrite(t, m, types.BidsKey, 1, &types.Bid{}, func(b *types.Bid) { b.State = types.BidClosed })
		}, keeper.ConsistencyInvariant, "live lease 1 has bid 1 but the group's ACTIVE bid is 0"},
		{"a closed lease without a reason", func(t *testing.T, m *market) {
			rewrite(t, m, types.LeasesKey, 1, &types.Lease{}, func(l *types.Lease) { l.State, l.CloseReason = types.LeaseClosed, 0 })
		}, keeper.ConsistencyInvariant, "closed lease 1 has illegal close reason 0"},
		{"more withdrawn than earned", func(t *testing.T, m *market) {
			rewrite(t, m, types.LeasesKey, 1, &types.Lease{}, func(l *types.Lease) { l.Withdrawn.Amount = l.Withdrawn.Amount.Add(math.NewInt(1_000_000)) })
		}, keeper.ConsistencyInvariant, "lease 1 withdrew 1000000 of 0 earned"},
		{"an escrow without a group", func(t *testing.T, m *market) {
			bz := m.ctx.KVStore(m.key).Get(objectKey(types.EscrowsKey, 1))
			m.ctx.KVStore(m.key).Set(objectKey(types.EscrowsKey, 99), bz)
		}, keeper.ConsistencyInvariant, "escrow 99 (group 1) has no group"},
		{"a stale index entry", func(t *testing.T, m *market) {
			key := firstKey(t, m, types.DeploymentsByStateKey)
			key[len(key)-1] = 99 // the same state, for deployment 99
			m.ctx.KVStore(m.key).Set(key, []byte{})
		}, keeper.IndexInvariant, "deployments_by_state holds an entry for 99"},
		{"a missing index entry", func(t *testing.T, m *market) {
			m.ctx.KVStore(m.key).Delete(firstKey(t, m, types.BidsByProviderLiveKey))
		}, keeper.IndexInvariant, "bids_by_provider"},
		{"an object changed without its index", func(t *testing.T, m *market) {
			rewrite(t, m, types.LeasesKey, 1, &types.Lease{}, func(l *types.Lease) { l.Tenant = str(tenant2) })
		}, keeper.IndexInvariant, "leases_by_tenant holds an entry for 1"},
		{"a queue entry naming nothing due", func(t *testing.T, m *market) {
			key := firstKey(t, m, types.AuctionQueueKey)
			key[len(key)-1] = 99 // the same height, for group 99
			m.ctx.KVStore(m.key).Set(key, []byte{})
		}, keeper.ScheduleInvariant, "SCHEDULE_QUEUE_AUCTION entry (21, 99) names no object due then"},
		{"a live lease off the schedule", func(t *testing.T, m *market) {
			m.ctx.KVStore(m.key).Delete(firstKey(t, m, types.LeaseExhaustQueueKey))
		}, keeper.ScheduleInvariant, "SCHEDULE_QUEUE_LEASE_EXHAUST misses the entry of object 1"},
		{"work scheduled but next_due unset", func(t *testing.T, m *market) {
			m.ctx.KVStore(m.key).Delete(types.NextDueKey.Bytes())
		}, keeper.ScheduleInvariant, "next_due is unset with work at 21"},
		{"a lease's take change missing", func(t *testing.T, m *market) {
			m.ctx.KVStore(m.key).Delete(firstKey(t, m, types.TakeChangesKey))
		}, keeper.ScheduleInvariant, "take change of -9 at 71 is not booked"},
		{"a closed object off the prune queue", func(t *testing.T, m *market) {
			m.ctx.KVStore(m.key).Delete(firstKey(t, m, types.PruneQueueKey))
		}, keeper.ScheduleInvariant, "prune_queue misses 1 closed objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := invariantMarket(t)
			// Invariants hold at the end of a block: the last one ended.
			ended := m.ctx.WithBlockHeight(m.ctx.BlockHeight() - 1)
			for _, inv := range keeper.Invariants(m.k) {
				msg, broken := inv.Check(ended)
				require.False(t, broken, "%s before the corruption: %s", inv.Route, msg)
			}
			tc.corrupt(t, m)
			msg, broken := tc.broken(m.k)(ended)
			require.True(t, broken, "the invariant did not see it")
			require.Contains(t, msg, tc.want, "another check of the invariant fired")
		})
	}
}
