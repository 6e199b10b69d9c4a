package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, store key and module account.
	ModuleName = "computemarket"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
	// Denom is the only denomination the market accepts: micro-DAIT.
	Denom = "udait"
)

// Store prefixes. They are contiguous and never renumbered: a new
// collection takes the next free number.
var (
	ParamsKey = collections.NewPrefix(0)

	DeploymentSeqKey = collections.NewPrefix(1)
	GroupSeqKey      = collections.NewPrefix(2)
	BidSeqKey        = collections.NewPrefix(3)
	LeaseSeqKey      = collections.NewPrefix(4)

	ProvidersKey    = collections.NewPrefix(5)
	AuditRecordsKey = collections.NewPrefix(6)

	DeploymentsKey        = collections.NewPrefix(7)
	DeploymentsByOwnerKey = collections.NewPrefix(8)
	DeploymentsByStateKey = collections.NewPrefix(9)

	GroupsKey             = collections.NewPrefix(10)
	GroupsByDeploymentKey = collections.NewPrefix(11)
	GroupsByStateKey      = collections.NewPrefix(12)
	EscrowsKey            = collections.NewPrefix(13)

	BidsKey             = collections.NewPrefix(14)
	_                   = collections.NewPrefix(15) // reserved: was bids_by_group
	BidsByGroupStateKey = collections.NewPrefix(16)
	_                   = collections.NewPrefix(17) // reserved: was bids_by_provider
	_                   = collections.NewPrefix(18) // reserved: was bids_by_state

	LeasesKey           = collections.NewPrefix(19)
	LeasesByTenantKey   = collections.NewPrefix(20)
	LeasesByProviderKey = collections.NewPrefix(21)
	LeasesByStateKey    = collections.NewPrefix(22)
	LeasesByGroupKey    = collections.NewPrefix(23)

	// AuctionQueueKey schedules auction ends: (height, group id).
	AuctionQueueKey = collections.NewPrefix(24)
	// LeaseExhaustQueueKey schedules the height at which a lease's escrow
	// can no longer pay the next block: (height, lease id).
	LeaseExhaustQueueKey = collections.NewPrefix(25)
	// LeaseCloseQueueKey schedules the close of a lease in
	// INSUFFICIENT_FUNDS: (height, lease id).
	LeaseCloseQueueKey = collections.NewPrefix(26)
	// TakePerBlockKey holds the protocol take of all leases that pay at the
	// next EndBlock; it moves to the community pool once per block.
	TakePerBlockKey = collections.NewPrefix(27)
	_               = collections.NewPrefix(28) // reserved: was take_starts
	// NextDueKey holds a lower bound of the first height at which any
	// schedule above has work; EndBlock skips the queues before it.
	NextDueKey = collections.NewPrefix(29)
	// TakeChangesKey holds, per height, the change of TakePerBlock from
	// that height's EndBlock on: leases that start and stop paying.
	TakeChangesKey = collections.NewPrefix(30)
	// PruneQueueKey lists closed objects by (closed height, kind, id);
	// each is removed retention_blocks after it closed.
	PruneQueueKey = collections.NewPrefix(31)
	// FailedItemsKey records EndBlock items that failed: (queue, id).
	FailedItemsKey = collections.NewPrefix(32)
	// BidsByProviderLiveKey indexes bids by (provider, group, live).
	BidsByProviderLiveKey = collections.NewPrefix(33)
	// ScheduleBacklogKey holds the height whose EndBlock left scheduled
	// items due (max_items_per_block was reached); absent when none.
	ScheduleBacklogKey = collections.NewPrefix(34)
	// RestingKey indexes the ORDERED groups (resting limit buys) by
	// (family, rank, rested height, group id); rank = 2^64-1 - normalised
	// limit, so the highest limit comes first.
	RestingKey = collections.NewPrefix(35)
	// RestingCountKey counts resting buys by (family, GPU memory asked).
	RestingCountKey = collections.NewPrefix(36)
	// OrderExpiryQueueKey lists resting limit buys by (expires_at, group id).
	OrderExpiryQueueKey = collections.NewPrefix(37)
	// OfferScansKey lists offers to match against the resting buys by
	// (queued height, offer id), with where each scan stopped.
	OfferScansKey = collections.NewPrefix(38)
)
