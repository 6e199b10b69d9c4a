package types

// MaxFailedItemErrorLen bounds the error text a FailedItem keeps.
const MaxFailedItemErrorLen = 512

// IsLive reports whether a lease still runs: ACTIVE or INSUFFICIENT_FUNDS.
func (l Lease) IsLive() bool {
	return l.State == LeaseActive || l.State == LeaseInsufficientFunds
}

// IsLive reports whether a bid still counts: OPEN or ACTIVE.
func (b Bid) IsLive() bool {
	return b.State == BidOpen || b.State == BidActive
}

// PruneKind names the kind of a closed object in the prune queue. Children
// sort before parents, so a block prunes a deployment's leases and bids
// before its groups and the deployment itself.
type PruneKind = int32

const (
	PruneLease      PruneKind = 1
	PruneBid        PruneKind = 2
	PruneGroup      PruneKind = 3
	PruneDeployment PruneKind = 4
)

// PruneItemID names a prune item in failed_items (whose ids are per
// queue): the kind in the top byte, the object's id below. Object ids stay
// far below 2^56.
func PruneItemID(kind PruneKind, id uint64) uint64 {
	return uint64(kind)<<56 | id
}
