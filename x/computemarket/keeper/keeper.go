package keeper

import (
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Keeper holds all state of x/computemarket. Every collection is declared
// here, once, from one schema builder.
type Keeper struct {
	addressCodec address.Codec
	authority    string

	bank    types.BankKeeper
	distr   types.DistributionKeeper
	tiers   types.StakingTiersKeeper
	account types.AccountKeeper
	// offers is the order book the matcher asks for offers (ADR 0007),
	// shared by every copy of the keeper and set once by the app.
	offers *offerBookRef

	Schema collections.Schema

	// key: 0 | value: Params
	params collections.Item[types.Params]

	// keys: 1..4 | value: the next id of each aggregate
	deploymentSeq collections.Sequence
	groupSeq      collections.Sequence
	bidSeq        collections.Sequence
	leaseSeq      collections.Sequence

	// key: provider owner | value: Provider
	providers collections.Map[sdk.AccAddress, types.Provider]
	// key: (provider, auditor) | value: what that auditor attests
	auditRecords collections.Map[collections.Pair[sdk.AccAddress, sdk.AccAddress], types.AuditRecord]

	// key: deployment id | value: Deployment; indexed by owner and state
	deployments *collections.IndexedMap[uint64, types.Deployment, DeploymentIndexes]
	// key: group id | value: Group; indexed by deployment and state
	groups *collections.IndexedMap[uint64, types.Group, GroupIndexes]
	// key: group id | value: the group's Escrow
	escrows collections.Map[uint64, types.Escrow]
	// key: bid id | value: Bid; indexed by (group, state) and (provider, group)
	bids *collections.IndexedMap[uint64, types.Bid, BidIndexes]
	// key: lease id | value: Lease; indexed by tenant, provider, state, group
	leases *collections.IndexedMap[uint64, types.Lease, LeaseIndexes]

	// key: (auction_end height, group id) | the auctions that close at that height
	auctionQueue collections.KeySet[collections.Pair[int64, uint64]]
	// key: (height, lease id) | ACTIVE leases whose escrow runs dry at that height
	leaseExhaustQueue collections.KeySet[collections.Pair[int64, uint64]]
	// key: (height, lease id) | INSUFFICIENT_FUNDS leases that close at that height
	leaseCloseQueue collections.KeySet[collections.Pair[int64, uint64]]
	// key: 27 | value: take (udait) of every lease that pays at the next EndBlock
	takePerBlock collections.Item[math.Int]
	// key: height | value: change of take_per_block from that height's EndBlock on
	takeChanges collections.Map[int64, math.Int]
	// key: 29 | value: no queue above has an entry before this height
	nextDue collections.Item[int64]
	// key: (closed height, kind, id) | closed objects, pruned retention_blocks after they closed
	pruneQueue collections.KeySet[collections.Triple[int64, int32, uint64]]
	// key: 34 | value: the height whose EndBlock left scheduled items due
	scheduleBacklog collections.Item[int64]
	// key: (queue, id) | value: an EndBlock item that failed, set aside for repair
	failedItems collections.Map[collections.Pair[int32, uint64], types.FailedItem]

	// The buy side of the order book (limit.go).
	// key: (family, rank, rested height, group id) | the ORDERED groups
	resting collections.KeySet[RestKey]
	// key: (family, GPU memory asked) | value: resting buys there
	restingCount collections.Map[collections.Pair[string, uint32], uint64]
	// key: (expires_at, group id) | resting limit buys that close then
	orderExpiryQueue collections.KeySet[collections.Pair[int64, uint64]]
	// key: (queued height, offer id) | value: the offer's scan of the resting buys
	offerScans collections.Map[collections.Pair[int64, uint64], types.OfferScan]
}

// DeploymentIndexes back the deployments-by-owner and by-state queries.
type DeploymentIndexes struct {
	// key: (owner, deployment id)
	Owner *indexes.Multi[sdk.AccAddress, uint64, types.Deployment]
	// key: (state, deployment id)
	State *indexes.Multi[int32, uint64, types.Deployment]
}

func (i DeploymentIndexes) IndexesList() []collections.Index[uint64, types.Deployment] {
	return []collections.Index[uint64, types.Deployment]{i.Owner, i.State}
}

// GroupIndexes back lookups of a deployment's groups and groups by state.
type GroupIndexes struct {
	// key: (deployment id, group id)
	Deployment *indexes.Multi[uint64, uint64, types.Group]
	// key: (state, group id)
	State *indexes.Multi[int32, uint64, types.Group]
}

func (i GroupIndexes) IndexesList() []collections.Index[uint64, types.Group] {
	return []collections.Index[uint64, types.Group]{i.Deployment, i.State}
}

// BidIndexes back the matcher (open bids of a group), the one-live-bid rule
// (a provider's bids on a group) and the queries. Two indexes only: every
// index entry is a write a bid pays for.
type BidIndexes struct {
	// key: ((group id, state), bid id): a group's bids, by state
	GroupState *indexes.Multi[collections.Pair[uint64, int32], uint64, types.Bid]
	// key: ((provider, live, group id), bid id): a provider's bids, live
	// (OPEN or ACTIVE) apart, so the one-live-bid rule and a provider's live
	// bids read no history
	Provider *indexes.Multi[collections.Triple[sdk.AccAddress, bool, uint64], uint64, types.Bid]
}

func (i BidIndexes) IndexesList() []collections.Index[uint64, types.Bid] {
	return []collections.Index[uint64, types.Bid]{i.GroupState, i.Provider}
}

// LeaseIndexes back the lease queries and the group's live lease lookup.
type LeaseIndexes struct {
	// key: (tenant, lease id)
	Tenant *indexes.Multi[sdk.AccAddress, uint64, types.Lease]
	// key: ((provider, state), lease id): withdraw-all visits live leases only
	Provider *indexes.Multi[collections.Pair[sdk.AccAddress, int32], uint64, types.Lease]
	// key: (state, lease id)
	State *indexes.Multi[int32, uint64, types.Lease]
	// key: (group id, lease id)
	Group *indexes.Multi[uint64, uint64, types.Lease]
}

func (i LeaseIndexes) IndexesList() []collections.Index[uint64, types.Lease] {
	return []collections.Index[uint64, types.Lease]{i.Tenant, i.Provider, i.State, i.Group}
}

// Index references. The same functions build the indexes and, in the
// index-consistency invariant, check them.

func deploymentOwnerRef(ac address.Codec) func(uint64, types.Deployment) (sdk.AccAddress, error) {
	return func(_ uint64, d types.Deployment) (sdk.AccAddress, error) { return ac.StringToBytes(d.Owner) }
}

func deploymentStateRef(_ uint64, d types.Deployment) (int32, error) { return int32(d.State), nil }

func groupDeploymentRef(_ uint64, g types.Group) (uint64, error) { return g.DeploymentId, nil }

func groupStateRef(_ uint64, g types.Group) (int32, error) { return int32(g.State), nil }

func bidGroupStateRef(_ uint64, b types.Bid) (collections.Pair[uint64, int32], error) {
	return collections.Join(b.GroupId, int32(b.State)), nil
}

func bidProviderRef(ac address.Codec) func(uint64, types.Bid) (collections.Triple[sdk.AccAddress, bool, uint64], error) {
	return func(_ uint64, b types.Bid) (collections.Triple[sdk.AccAddress, bool, uint64], error) {
		p, err := ac.StringToBytes(b.Provider)
		return collections.Join3(sdk.AccAddress(p), b.IsLive(), b.GroupId), err
	}
}

func leaseTenantRef(ac address.Codec) func(uint64, types.Lease) (sdk.AccAddress, error) {
	return func(_ uint64, l types.Lease) (sdk.AccAddress, error) { return ac.StringToBytes(l.Tenant) }
}

func leaseProviderRef(ac address.Codec) func(uint64, types.Lease) (collections.Pair[sdk.AccAddress, int32], error) {
	return func(_ uint64, l types.Lease) (collections.Pair[sdk.AccAddress, int32], error) {
		p, err := ac.StringToBytes(l.Provider)
		return collections.Join(sdk.AccAddress(p), int32(l.State)), err
	}
}

func leaseStateRef(_ uint64, l types.Lease) (int32, error) { return int32(l.State), nil }

func leaseGroupRef(_ uint64, l types.Lease) (uint64, error) { return l.GroupId, nil }

// NewKeeper builds the keeper and its schema. authority is the account
// allowed to change params (the gov module account by default).
func NewKeeper(
	cdc codec.BinaryCodec,
	addressCodec address.Codec,
	storeService store.KVStoreService,
	authority string,
	account types.AccountKeeper,
	bank types.BankKeeper,
	distr types.DistributionKeeper,
	tiers types.StakingTiersKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid computemarket authority %q: %w", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	addrKey := sdk.AccAddressKey
	k := Keeper{
		addressCodec: addressCodec,
		authority:    authority,
		account:      account,
		bank:         bank,
		distr:        distr,
		tiers:        tiers,
		offers:       &offerBookRef{},

		params: collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),

		deploymentSeq: collections.NewSequence(sb, types.DeploymentSeqKey, "deployment_seq"),
		groupSeq:      collections.NewSequence(sb, types.GroupSeqKey, "group_seq"),
		bidSeq:        collections.NewSequence(sb, types.BidSeqKey, "bid_seq"),
		leaseSeq:      collections.NewSequence(sb, types.LeaseSeqKey, "lease_seq"),

		providers: collections.NewMap(sb, types.ProvidersKey, "providers", addrKey, codec.CollValue[types.Provider](cdc)),
		auditRecords: collections.NewMap(sb, types.AuditRecordsKey, "audit_records",
			collections.PairKeyCodec(addrKey, addrKey), codec.CollValue[types.AuditRecord](cdc)),

		deployments: collections.NewIndexedMap(sb, types.DeploymentsKey, "deployments", collections.Uint64Key,
			codec.CollValue[types.Deployment](cdc), DeploymentIndexes{
				Owner: indexes.NewMulti(sb, types.DeploymentsByOwnerKey, "deployments_by_owner", addrKey, collections.Uint64Key,
					deploymentOwnerRef(addressCodec)),
				State: indexes.NewMulti(sb, types.DeploymentsByStateKey, "deployments_by_state", collections.Int32Key, collections.Uint64Key,
					deploymentStateRef),
			}),
		groups: collections.NewIndexedMap(sb, types.GroupsKey, "groups", collections.Uint64Key,
			codec.CollValue[types.Group](cdc), GroupIndexes{
				Deployment: indexes.NewMulti(sb, types.GroupsByDeploymentKey, "groups_by_deployment", collections.Uint64Key, collections.Uint64Key,
					groupDeploymentRef),
				State: indexes.NewMulti(sb, types.GroupsByStateKey, "groups_by_state", collections.Int32Key, collections.Uint64Key,
					groupStateRef),
			}),
		escrows: collections.NewMap(sb, types.EscrowsKey, "escrows", collections.Uint64Key, codec.CollValue[types.Escrow](cdc)),
		bids: collections.NewIndexedMap(sb, types.BidsKey, "bids", collections.Uint64Key,
			codec.CollValue[types.Bid](cdc), BidIndexes{
				GroupState: indexes.NewMulti(sb, types.BidsByGroupStateKey, "bids_by_group_state",
					collections.PairKeyCodec(collections.Uint64Key, collections.Int32Key), collections.Uint64Key,
					bidGroupStateRef),
				Provider: indexes.NewMulti(sb, types.BidsByProviderLiveKey, "bids_by_provider_live",
					collections.TripleKeyCodec(addrKey, collections.BoolKey, collections.Uint64Key), collections.Uint64Key,
					bidProviderRef(addressCodec)),
			}),
		leases: collections.NewIndexedMap(sb, types.LeasesKey, "leases", collections.Uint64Key,
			codec.CollValue[types.Lease](cdc), LeaseIndexes{
				Tenant: indexes.NewMulti(sb, types.LeasesByTenantKey, "leases_by_tenant", addrKey, collections.Uint64Key,
					leaseTenantRef(addressCodec)),
				Provider: indexes.NewMulti(sb, types.LeasesByProviderKey, "leases_by_provider",
					collections.PairKeyCodec(addrKey, collections.Int32Key), collections.Uint64Key,
					leaseProviderRef(addressCodec)),
				State: indexes.NewMulti(sb, types.LeasesByStateKey, "leases_by_state", collections.Int32Key, collections.Uint64Key,
					leaseStateRef),
				Group: indexes.NewMulti(sb, types.LeasesByGroupKey, "leases_by_group", collections.Uint64Key, collections.Uint64Key,
					leaseGroupRef),
			}),

		auctionQueue: collections.NewKeySet(sb, types.AuctionQueueKey, "auction_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		leaseExhaustQueue: collections.NewKeySet(sb, types.LeaseExhaustQueueKey, "lease_exhaust_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		leaseCloseQueue: collections.NewKeySet(sb, types.LeaseCloseQueueKey, "lease_close_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		takePerBlock: collections.NewItem(sb, types.TakePerBlockKey, "take_per_block", sdk.IntValue),
		takeChanges:  collections.NewMap(sb, types.TakeChangesKey, "take_changes", collections.Int64Key, sdk.IntValue),
		nextDue:      collections.NewItem(sb, types.NextDueKey, "next_due", collections.Int64Value),
		pruneQueue: collections.NewKeySet(sb, types.PruneQueueKey, "prune_queue",
			collections.TripleKeyCodec(collections.Int64Key, collections.Int32Key, collections.Uint64Key)),
		scheduleBacklog: collections.NewItem(sb, types.ScheduleBacklogKey, "schedule_backlog", collections.Int64Value),
		failedItems: collections.NewMap(sb, types.FailedItemsKey, "failed_items",
			collections.PairKeyCodec(collections.Int32Key, collections.Uint64Key), codec.CollValue[types.FailedItem](cdc)),

		resting: collections.NewKeySet(sb, types.RestingKey, "resting",
			collections.QuadKeyCodec(collections.StringKey, collections.Uint64Key, collections.Int64Key, collections.Uint64Key)),
		restingCount: collections.NewMap(sb, types.RestingCountKey, "resting_count",
			collections.PairKeyCodec(collections.StringKey, collections.Uint32Key), collections.Uint64Value),
		orderExpiryQueue: collections.NewKeySet(sb, types.OrderExpiryQueueKey, "order_expiry_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		offerScans: collections.NewMap(sb, types.OfferScansKey, "offer_scans",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key), codec.CollValue[types.OfferScan](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// Authority is the account allowed to change params.
func (k Keeper) Authority() string { return k.authority }

// Logger returns the module logger (EndBlock reports failed items on it).
func (k Keeper) Logger(ctx sdk.Context) log.Logger {
	return ctx.Logger().With("module", "x/"+types.ModuleName)
}
