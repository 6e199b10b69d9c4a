package keeper

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// Invariants of the module. They walk the whole state: tests, simulations
// and operators run them, consensus code never does. (The SDK's invariant
// registry went with x/crisis; the module keeps its own list.)

// Invariant checks the state and returns a message and true when broken.
type Invariant func(ctx sdk.Context) (msg string, broken bool)

// NamedInvariant is an invariant and its route, "computemarket/<name>".
type NamedInvariant struct {
	Route string
	Check Invariant
}

// Invariants lists the module's invariants.
func Invariants(k Keeper) []NamedInvariant {
	return []NamedInvariant{
		{types.ModuleName + "/escrow-conservation", ConservationInvariant(k)},
		{types.ModuleName + "/market-consistency", ConsistencyInvariant(k)},
		{types.ModuleName + "/index-consistency", IndexInvariant(k)},
		{types.ModuleName + "/schedule-consistency", ScheduleInvariant(k)},
		{types.ModuleName + "/offer-units", OfferUnitsInvariant(k)},
		{types.ModuleName + "/resting-buys", RestingInvariant(k)},
	}
}

// RestingInvariant: the resting index holds exactly the ORDERED groups,
// each under its current key (family, rank of its normalised limit, rested
// height, id), and the counts per (family, GPU memory) are theirs.
func RestingInvariant(k Keeper) Invariant {
	return func(ctx sdk.Context) (string, bool) {
		if err := k.checkResting(ctx); err != nil {
			return formatBroken("resting-buys", err.Error()), true
		}
		return "", false
	}
}

func (k Keeper) checkResting(ctx context.Context) error {
	type restFlat struct {
		family string
		e      restEntry
	}
	type countFlat struct {
		family string
		memory uint32
	}
	want := map[restFlat]bool{}
	counts := map[countFlat]uint64{}
	err := k.groups.Walk(ctx, nil, func(_ uint64, g types.Group) (bool, error) {
		if g.State == types.GroupOrdered {
			key := restKeyOf(g)
			want[restFlat{key.K1(), restEntry{key.K2(), key.K3(), key.K4()}}] = true
			c := restCountKeyOf(g)
			counts[countFlat{c.K1(), c.K2()}]++
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.resting.Walk(ctx, nil, func(key RestKey) (bool, error) {
		f := restFlat{key.K1(), restEntry{key.K2(), key.K3(), key.K4()}}
		if !want[f] {
			return true, fmt.Errorf("resting entry (%s, %d, %d, %d) is no ORDERED group's key", key.K1(), key.K2(), key.K3(), key.K4())
		}
		delete(want, f)
		return false, nil
	})
	if err != nil {
		return err
	}
	for f := range want {
		return fmt.Errorf("ORDERED group %d is not resting", f.e.group)
	}
	err = k.restingCount.Walk(ctx, nil, func(key collections.Pair[string, uint32], n uint64) (bool, error) {
		c := countFlat{key.K1(), key.K2()}
		if counts[c] != n {
			return true, fmt.Errorf("resting count of (%s, %d) is %d, the groups say %d", key.K1(), key.K2(), n, counts[c])
		}
		delete(counts, c)
		return false, nil
	})
	if err != nil {
		return err
	}
	for c, n := range counts {
		return fmt.Errorf("%d resting buys of (%s, %d) are not counted", n, c.family, c.memory)
	}
	return nil
}

// OfferUnitsInvariant: every offer's taken units (capacity - available)
// are exactly the units the live bids standing for it hold (ADR 0007).
func OfferUnitsInvariant(k Keeper) Invariant {
	return func(ctx sdk.Context) (string, bool) {
		book := k.offers.book
		if book == nil {
			return "", false
		}
		held := map[uint64]uint64{}
		err := k.bids.Walk(ctx, nil, func(_ uint64, b types.Bid) (bool, error) {
			if b.OfferId != 0 && b.State == types.BidActive {
				held[b.OfferId] += uint64(b.OfferUnits)
			}
			return false, nil
		})
		if err != nil {
			return formatBroken("offer-units", err.Error()), true
		}
		var broken []string
		err = book.WalkAllOffers(ctx, func(o obtypes.Offer) (bool, error) {
			if taken := uint64(o.Capacity - o.Available); taken != held[o.Id] {
				broken = append(broken, fmt.Sprintf("offer %d: %d units taken, live leases hold %d", o.Id, taken, held[o.Id]))
			}
			delete(held, o.Id)
			return false, nil
		})
		if err != nil {
			return formatBroken("offer-units", err.Error()), true
		}
		for _, id := range slices.Sorted(maps.Keys(held)) {
			broken = append(broken, fmt.Sprintf("live bids hold %d units of offer %d, which does not exist", held[id], id))
		}
		if len(broken) > 0 {
			return formatBroken("offer-units", strings.Join(broken, "\n")), true
		}
		return "", false
	}
}

// AllInvariants runs every invariant.
func AllInvariants(k Keeper) Invariant {
	return func(ctx sdk.Context) (string, bool) {
		for _, inv := range Invariants(k) {
			if msg, broken := inv.Check(ctx); broken {
				return msg, true
			}
		}
		return "", false
	}
}

func formatBroken(route, msg string) string {
	return fmt.Sprintf("%s/%s invariant broken\n%s\n", types.ModuleName, route, msg)
}

// ConservationInvariant: the module account holds exactly the escrow
// balances, the earnings not yet withdrawn and the locked bid deposits,
// all as of the end of the context's height.
func ConservationInvariant(k Keeper) Invariant {
	return func(ctx sdk.Context) (string, bool) {
		want, err := k.ExpectedModuleBalance(ctx, ctx.BlockHeight())
		if err != nil {
			return formatBroken("escrow-conservation", err.Error()), true
		}
		have := k.ModuleBalance(ctx).Amount
		if !have.Equal(want) {
			return formatBroken("escrow-conservation",
				fmt.Sprintf("module account holds %s%s, escrow + earnings + bid deposits = %s%s", have, types.Denom, want, types.Denom)), true
		}
		return "", false
	}
}

// ExpectedModuleBalance sums escrow balances, unwithdrawn earnings and the
// deposits of OPEN and ACTIVE bids, with live leases settled to asOf.
func (k Keeper) ExpectedModuleBalance(ctx context.Context, asOf int64) (math.Int, error) {
	total := math.ZeroInt()
	live := map[uint64]types.Lease{} // by group
	err := k.leases.Walk(ctx, nil, func(_ uint64, l types.Lease) (bool, error) {
		if l.IsLive() {
			live[l.GroupId] = l
		}
		return false, nil
	})
	if err != nil {
		return total, err
	}
	err = k.escrows.Walk(ctx, nil, func(gid uint64, e types.Escrow) (bool, error) {
		if l, ok := live[gid]; ok {
			settle(&l, &e, asOf)
			total = total.Add(Withdrawable(l))
		}
		if e.Balance.IsNegative() {
			return true, fmt.Errorf("escrow of group %d is negative: %s", gid, e.Balance)
		}
		total = total.Add(e.Balance.Amount)
		return false, nil
	})
	if err != nil {
		return total, err
	}
	err = k.bids.Walk(ctx, nil, func(_ uint64, b types.Bid) (bool, error) {
		if b.IsLive() {
			total = total.Add(b.Deposit.Amount)
		}
		return false, nil
	})
	return total, err
}

// ConsistencyInvariant checks that the objects agree with each other, with
// the schedules and with the take bookkeeping.
func ConsistencyInvariant(k Keeper) Invariant {
	return func(ctx sdk.Context) (string, bool) {
		if err := k.checkConsistency(ctx); err != nil {
			return formatBroken("market-consistency", err.Error()), true
		}
		return "", false
	}
}

func (k Keeper) checkConsistency(ctx context.Context) error {
	if err := k.deployments.Walk(ctx, nil, func(id uint64, d types.Deployment) (bool, error) {
		if d.State != types.DeploymentActive && d.State != types.DeploymentClosed {
			return true, fmt.Errorf("deployment %d has illegal state %d", id, d.State)
		}
		return false, nil
	}); err != nil {
		return err
	}
	groups := map[uint64]types.Group{}
	if err := k.groups.Walk(ctx, nil, func(id uint64, g types.Group) (bool, error) {
		if g.State < types.GroupOpen || g.State > types.GroupClosed {
			return true, fmt.Errorf("group %d has illegal state %d", id, g.State)
		}
		d, err := k.GetDeployment(ctx, g.DeploymentId)
		if err != nil {
			return true, fmt.Errorf("group %d: %w", id, err)
		}
		if g.State == types.GroupMatched && g.LeaseId == 0 {
			return true, fmt.Errorf("group %d is MATCHED with no lease_id", id)
		}
		if d.State == types.DeploymentClosed && g.State != types.GroupClosed {
			return true, fmt.Errorf("group %d is %s in closed deployment %d", id, g.State, d.Id)
		}
		if has, err := k.escrows.Has(ctx, id); err != nil || !has {
			return true, fmt.Errorf("group %d has no escrow", id)
		}
		groups[id] = g
		return false, nil
	}); err != nil {
		return err
	}

	activeBids := map[uint64]uint64{} // group -> bid
	if err := k.bids.Walk(ctx, nil, func(id uint64, b types.Bid) (bool, error) {
		g, ok := groups[b.GroupId]
		if !ok {
			return true, fmt.Errorf("bid %d names unknown group %d", id, b.GroupId)
		}
		switch b.State {
		case types.BidOpen:
			if g.State != types.GroupOpen {
				return true, fmt.Errorf("bid %d is OPEN on group %d in %s", id, g.Id, g.State)
			}
		case types.BidActive:
			if prev, dup := activeBids[b.GroupId]; dup {
				return true, fmt.Errorf("group %d has two ACTIVE bids %d and %d", b.GroupId, prev, id)
			}
			activeBids[b.GroupId] = id
		case types.BidLost, types.BidClosed:
		default:
			return true, fmt.Errorf("bid %d has illegal state %d", id, b.State)
		}
		return false, nil
	}); err != nil {
		return err
	}

	if err := k.escrows.Walk(ctx, nil, func(id uint64, e types.Escrow) (bool, error) {
		if _, ok := groups[id]; !ok || e.GroupId != id {
			return true, fmt.Errorf("escrow %d (group %d) has no group", id, e.GroupId)
		}
		if e.Balance.Denom != types.Denom || e.Balance.Amount.IsNil() || e.Balance.IsNegative() {
			return true, fmt.Errorf("escrow %d has illegal balance %s", id, e.Balance)
		}
		return false, nil
	}); err != nil {
		return err
	}

	liveLeases := map[uint64]uint64{} // group -> lease
	if err := k.leases.Walk(ctx, nil, func(id uint64, l types.Lease) (bool, error) {
		if l.Withdrawn.Amount.IsNegative() || l.Withdrawn.Amount.GT(Earned(l)) {
			return true, fmt.Errorf("lease %d withdrew %s of %s earned", id, l.Withdrawn.Amount, Earned(l))
		}
		switch l.State {
		case types.LeaseActive, types.LeaseInsufficientFunds:
			if l.CloseReason != types.CloseReasonUnspecified {
				return true, fmt.Errorf("live lease %d has close reason %s", id, l.CloseReason)
			}
		case types.LeaseClosed:
			if _, known := types.CloseReason_name[int32(l.CloseReason)]; !known || l.CloseReason == types.CloseReasonUnspecified {
				return true, fmt.Errorf("closed lease %d has illegal close reason %d", id, l.CloseReason)
			}
			return false, nil
		default:
			return true, fmt.Errorf("lease %d has illegal state %d", id, l.State)
		}
		if prev, dup := liveLeases[l.GroupId]; dup {
			return true, fmt.Errorf("group %d has two live leases %d and %d", l.GroupId, prev, id)
		}
		liveLeases[l.GroupId] = id
		if activeBids[l.GroupId] != l.BidId {
			return true, fmt.Errorf("live lease %d has bid %d but the group's ACTIVE bid is %d", id, l.BidId, activeBids[l.GroupId])
		}
		if g := groups[l.GroupId]; g.State != types.GroupMatched || g.LeaseId != id {
			return true, fmt.Errorf("live lease %d on group %d in %s with lease_id %d", id, g.Id, g.State, g.LeaseId)
		}
		return false, nil
	}); err != nil {
		return err
	}
	for _, g := range sortedGroups(groups) {
		_, hasLease := liveLeases[g.Id]
		_, hasActive := activeBids[g.Id]
		if (g.State == types.GroupMatched) != hasLease || hasLease != hasActive {
			return fmt.Errorf("group %d is %s, live lease=%v, ACTIVE bid=%v", g.Id, g.State, hasLease, hasActive)
		}
	}
	return nil
}

// IndexInvariant: every index holds exactly one entry per object, the one
// the object's current fields give: no stale entry after a state change, no
// missing one, none for an object that does not exist.
func IndexInvariant(k Keeper) Invariant {
	return func(ctx sdk.Context) (string, bool) {
		ac := k.addressCodec
		for _, check := range []func() error{
			func() error {
				return checkIndex(ctx, "deployments_by_owner", k.deployments, k.deployments.Indexes.Owner, deploymentOwnerRef(ac))
			},
			func() error {
				return checkIndex(ctx, "deployments_by_state", k.deployments, k.deployments.Indexes.State, deploymentStateRef)
			},
			func() error {
				return checkIndex(ctx, "groups_by_deployment", k.groups, k.groups.Indexes.Deployment, groupDeploymentRef)
			},
			func() error {
				return checkIndex(ctx, "groups_by_state", k.groups, k.groups.Indexes.State, groupStateRef)
			},
			func() error {
				return checkIndex(ctx, "bids_by_group_state", k.bids, k.bids.Indexes.GroupState, bidGroupStateRef)
			},
			func() error {
				return checkIndex(ctx, "bids_by_provider", k.bids, k.bids.Indexes.Provider, bidProviderRef(ac))
			},
			func() error {
				return checkIndex(ctx, "leases_by_tenant", k.leases, k.leases.Indexes.Tenant, leaseTenantRef(ac))
			},
			func() error {
				return checkIndex(ctx, "leases_by_provider", k.leases, k.leases.Indexes.Provider, leaseProviderRef(ac))
			},
			func() error {
				return checkIndex(ctx, "leases_by_state", k.leases, k.leases.Indexes.State, leaseStateRef)
			},
			func() error {
				return checkIndex(ctx, "leases_by_group", k.leases, k.leases.Indexes.Group, leaseGroupRef)
			},
		} {
			if err := check(); err != nil {
				return formatBroken("index-consistency", err.Error()), true
			}
		}
		return "", false
	}
}

// objects is the primary map of an index.
type objects[V any] interface {
	Walk(ctx context.Context, ranger collections.Ranger[uint64], fn func(uint64, V) (bool, error)) error
}

// checkIndex compares idx with the entries that ref gives for every object.
func checkIndex[R, V any](ctx context.Context, name string, m objects[V], idx *indexes.Multi[R, uint64, V], ref func(uint64, V) (R, error)) error {
	kc := idx.KeyCodec()
	encode := func(key collections.Pair[R, uint64]) (string, error) {
		buf := make([]byte, kc.Size(key))
		_, err := kc.Encode(buf, key)
		return string(buf), err
	}
	want := map[string]struct{}{}
	if err := m.Walk(ctx, nil, func(pk uint64, v V) (bool, error) {
		r, err := ref(pk, v)
		if err != nil {
			return true, fmt.Errorf("%s: object %d: %w", name, pk, err)
		}
		key, err := encode(collections.Join(r, pk))
		want[key] = struct{}{}
		return err != nil, err
	}); err != nil {
		return err
	}
	it, err := idx.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	keys, err := it.FullKeys()
	if err != nil {
		return err
	}
	for _, key := range keys {
		enc, err := encode(key)
		if err != nil {
			return err
		}
		if _, ok := want[enc]; !ok {
			return fmt.Errorf("%s holds an entry for %d that the object's fields do not give", name, key.K2())
		}
		delete(want, enc)
	}
	if len(want) > 0 {
		return fmt.Errorf("%s misses %d entries", name, len(want))
	}
	return nil
}

// sortedGroups returns the groups in id order, so that a failure names the
// same group on every run.
func sortedGroups(groups map[uint64]types.Group) []types.Group {
	out := slices.Collect(maps.Values(groups))
	slices.SortFunc(out, func(a, b types.Group) int { return cmp.Compare(a.Id, b.Id) })
	return out
}

// ScheduleInvariant: the schedules and the objects agree both ways, as of
// the end of the context's height h. Every OPEN group is in the auction
// queue at its auction_end, every ACTIVE lease in the exhaust queue at its
// exhaustion height, every INSUFFICIENT_FUNDS lease in the close queue at
// settled_height+1, every closed object in the prune queue at its closed
// height, and no entry names anything else (objects whose item failed are
// off the schedule). take_per_block is the take of the leases paying at h
// and take_changes holds exactly the leases' later window edges. next_due
// is at or before every entry; nothing is due at h or before unless h
// carried items over.
func ScheduleInvariant(k Keeper) Invariant {
	return func(ctx sdk.Context) (string, bool) {
		if err := k.checkSchedules(ctx, ctx.BlockHeight()); err != nil {
			return formatBroken("schedule-consistency", err.Error()), true
		}
		return "", false
	}
}

func (k Keeper) checkSchedules(ctx context.Context, h int64) error {
	failed := func(q types.ScheduleQueue, id uint64) (bool, error) {
		return k.failedItems.Has(ctx, collections.Join(int32(q), id))
	}
	// Plain structs as map keys: collections pairs hold pointers.
	type entry struct {
		at int64
		id uint64
	}
	type pruneEntry struct {
		at   int64
		kind int32
		id   uint64
	}
	want := map[types.ScheduleQueue]map[entry]bool{
		types.QueueAuction: {}, types.QueueLeaseExhaust: {}, types.QueueLeaseClose: {}, types.QueueOrderExpiry: {},
	}
	wantPrune := map[pruneEntry]bool{}
	var walkErr error
	prunable := func(at int64, kind types.PruneKind, id uint64) {
		f, err := failed(types.QueuePrune, types.PruneItemID(kind, id))
		if err != nil && walkErr == nil {
			walkErr = err
		}
		if !f {
			wantPrune[pruneEntry{at, kind, id}] = true
		}
	}
	if err := k.deployments.Walk(ctx, nil, func(id uint64, d types.Deployment) (bool, error) {
		if d.State == types.DeploymentClosed {
			prunable(d.ClosedHeight, types.PruneDeployment, id)
		}
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.groups.Walk(ctx, nil, func(id uint64, g types.Group) (bool, error) {
		switch g.State {
		case types.GroupOpen:
			f, err := failed(types.QueueAuction, id)
			if !f {
				want[types.QueueAuction][entry{g.AuctionEnd, id}] = true
			}
			return err != nil, err
		case types.GroupOrdered:
			if !isLimitBuy(g) {
				return false, nil
			}
			f, err := failed(types.QueueOrderExpiry, id)
			if !f {
				want[types.QueueOrderExpiry][entry{g.Spec.ExpiresAt, id}] = true
			}
			return err != nil, err
		case types.GroupClosed:
			prunable(g.ClosedHeight, types.PruneGroup, id)
		}
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.bids.Walk(ctx, nil, func(id uint64, b types.Bid) (bool, error) {
		if !b.IsLive() {
			prunable(b.ClosedHeight, types.PruneBid, id)
		}
		return false, nil
	}); err != nil {
		return err
	}
	base := math.ZeroInt()
	changes := map[int64]math.Int{}
	book := func(at int64, delta math.Int) {
		if at <= h {
			base = base.Add(delta)
			return
		}
		if cur, ok := changes[at]; ok {
			changes[at] = cur.Add(delta)
		} else {
			changes[at] = delta
		}
	}
	if err := k.leases.Walk(ctx, nil, func(id uint64, l types.Lease) (bool, error) {
		if l.State == types.LeaseClosed {
			prunable(l.ClosedHeight, types.PruneLease, id)
			return false, nil
		}
		e, err := k.GetEscrow(ctx, l.GroupId)
		if err != nil {
			return true, fmt.Errorf("lease %d: %w", id, err)
		}
		q, at := types.QueueLeaseClose, l.SettledHeight+1
		if l.State == types.LeaseActive {
			q, at = types.QueueLeaseExhaust, exhaustionHeight(l, e)
		}
		if from, last, ok := paidWindow(l, e); ok {
			book(from, l.Take.Amount)
			book(last+1, l.Take.Amount.Neg())
		}
		f, err := failed(q, id)
		if !f {
			want[q][entry{at, id}] = true
		}
		return err != nil, err
	}); err != nil {
		return err
	}

	first := int64(-1) // the first key of any schedule
	overdue := false
	for _, step := range k.scheduleSteps() {
		it, err := step.set.Iterate(ctx, nil)
		if err != nil {
			return err
		}
		keys, err := it.Keys()
		if err != nil {
			return err
		}
		for _, key := range keys {
			e := entry{key.K1(), key.K2()}
			if !want[step.queue][e] {
				return fmt.Errorf("%s entry (%d, %d) names no object due then", step.queue, key.K1(), key.K2())
			}
			delete(want[step.queue], e)
			if first < 0 || key.K1() < first {
				first = key.K1()
			}
			overdue = overdue || key.K1() <= h
		}
		for _, key := range slices.SortedFunc(maps.Keys(want[step.queue]), func(a, b entry) int { return cmp.Compare(a.id, b.id) }) {
			return fmt.Errorf("%s misses the entry of object %d due at %d", step.queue, key.id, key.at)
		}
	}

	booked, err := k.TakePerBlock(ctx)
	if err != nil {
		return err
	}
	if !booked.Equal(base) {
		return fmt.Errorf("take_per_block is %s, the leases paying at %d take %s", booked, h, base)
	}
	it, err := k.takeChanges.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	kvs, err := it.KeyValues()
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if kv.Key <= h {
			return fmt.Errorf("take change at %d is still booked after height %d", kv.Key, h)
		}
		if w, ok := changes[kv.Key]; !ok || !w.Equal(kv.Value) {
			return fmt.Errorf("take change at %d is %s, the leases' windows give %v", kv.Key, kv.Value, w)
		}
		delete(changes, kv.Key)
		if first < 0 || kv.Key < first {
			first = kv.Key
		}
	}
	for _, at := range slices.Sorted(maps.Keys(changes)) {
		if !changes[at].IsZero() {
			return fmt.Errorf("take change of %s at %d is not booked", changes[at], at)
		}
	}

	if first >= 0 {
		due, err := k.nextDue.Get(ctx)
		if err != nil {
			return fmt.Errorf("next_due is unset with work at %d: %w", first, err)
		}
		if due > first {
			return fmt.Errorf("next_due %d is after the first scheduled height %d", due, first)
		}
	}
	backlog, err := k.scheduleBacklog.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		backlog = -1
	case err != nil:
		return err
	}
	if overdue != (backlog == h) {
		return fmt.Errorf("items due by height %d left=%v, but the backlog mark is %d", h, overdue, backlog)
	}

	pit, err := k.pruneQueue.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	pkeys, err := pit.Keys()
	if err != nil {
		return err
	}
	for _, key := range pkeys {
		e := pruneEntry{key.K1(), key.K2(), key.K3()}
		if !wantPrune[e] {
			return fmt.Errorf("prune_queue entry (%d, kind %d, %d) names no object closed then", key.K1(), key.K2(), key.K3())
		}
		delete(wantPrune, e)
	}
	if walkErr != nil {
		return walkErr
	}
	if len(wantPrune) > 0 {
		return fmt.Errorf("prune_queue misses %d closed objects", len(wantPrune))
	}
	return nil
}
