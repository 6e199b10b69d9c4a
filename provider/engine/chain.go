package engine

import (
	"context"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Chain is everything the engine asks of the chain. Implementations do the
// network work (queries, signing, broadcasting); the engine calls them from
// its one goroutine, one call at a time.
type Chain interface {
	// ListBiddableGroups returns every OPEN and ORDERED group, walking all
	// pages of the Groups query.
	ListBiddableGroups(ctx context.Context) ([]types.Group, error)
	// Group returns one group by id.
	Group(ctx context.Context, id uint64) (types.Group, error)
	// AuditedAttributes returns this provider's audit records from
	// whitelisted auditors only. The engine narrows them further to each
	// group's auditors.
	AuditedAttributes(ctx context.Context) ([]types.AuditRecord, error)
	// MyLeases returns this provider's leases that are not closed.
	MyLeases(ctx context.Context) ([]types.Lease, error)
	// SubmitBid bids price on the group. leaseID is non-zero when the bid
	// matched at once (an ORDERED group).
	SubmitBid(ctx context.Context, groupID uint64, price sdk.Coin) (bidID, leaseID uint64, err error)
	// Withdraw collects what the provider's leases have earned.
	Withdraw(ctx context.Context) (sdk.Coin, error)
}

// EventSource streams market events. The channel closes when the stream
// disconnects or ctx is cancelled; an implementation must stop sending once
// ctx is done, since the engine stops reading then.
type EventSource interface {
	Subscribe(ctx context.Context) (<-chan Event, error)
}

// Event is one market event the engine acts on: GroupOpened, BidLost,
// BidClosed, LeaseCreated, LeaseClosed or LeaseInsufficientFunds.
type Event interface{ isEvent() }

// GroupOpened: a group was created or unpaused, so an auction window opened.
type GroupOpened struct{ GroupID uint64 }

// BidLost: the auction matched another bid.
type BidLost struct {
	BidID, GroupID uint64
	Provider       string
}

// BidClosed: the bid ended without a lease (group or deployment closed,
// group paused, provider closed it).
type BidClosed struct {
	BidID, GroupID uint64
	Provider       string
}

// LeaseCreated: a bid won.
type LeaseCreated struct {
	LeaseID, BidID, GroupID uint64
	Provider                string
}

// LeaseClosed: a lease ended.
type LeaseClosed struct {
	LeaseID, GroupID uint64
	Provider         string
	Reason           types.CloseReason
}

// LeaseInsufficientFunds: the escrow cannot pay the lease's next block.
type LeaseInsufficientFunds struct {
	LeaseID, GroupID uint64
	Provider         string
	Balance          sdk.Coin
}

func (GroupOpened) isEvent()            {}
func (BidLost) isEvent()                {}
func (BidClosed) isEvent()              {}
func (LeaseCreated) isEvent()           {}
func (LeaseClosed) isEvent()            {}
func (LeaseInsufficientFunds) isEvent() {}

// EventFromProto turns a typed chain event into an Event, for EventSource
// implementations; ok is false for events the engine does not follow.
func EventFromProto(msg proto.Message) (ev Event, ok bool) {
	switch e := msg.(type) {
	case *types.EventGroupCreated:
		return GroupOpened{GroupID: e.Id}, true
	case *types.EventGroupUnpaused:
		return GroupOpened{GroupID: e.Id}, true
	case *types.EventBidLost:
		return BidLost{BidID: e.Id, GroupID: e.GroupId, Provider: e.Provider}, true
	case *types.EventBidClosed:
		return BidClosed{BidID: e.Id, GroupID: e.GroupId, Provider: e.Provider}, true
	case *types.EventLeaseCreated:
		return LeaseCreated{LeaseID: e.Id, BidID: e.BidId, GroupID: e.GroupId, Provider: e.Provider}, true
	case *types.EventLeaseClosed:
		return LeaseClosed{LeaseID: e.Id, GroupID: e.GroupId, Provider: e.Provider, Reason: e.Reason}, true
	case *types.EventLeaseInsufficientFunds:
		return LeaseInsufficientFunds{LeaseID: e.Id, GroupID: e.GroupId, Provider: e.Provider, Balance: e.Balance}, true
	}
	return nil, false
}

// LeaseObserver hears about this provider's leases: the serving side runs
// what they lease. Its methods are called from the engine's goroutine and
// must return quickly (queue the work).
type LeaseObserver interface {
	// LeaseWon: a lease is ours (won now, or found live by a scan).
	LeaseWon(ref LeaseRef)
	// LeaseEnded: a lease of ours closed on chain.
	LeaseEnded(leaseID uint64)
	// LeasesLive is the whole set of our live leases after each scan, so
	// an observer can reconcile what it missed while disconnected.
	LeasesLive(leases []LeaseRef)
}

// LeaseRef names a lease of ours and what the inventory gave it.
type LeaseRef struct {
	LeaseID, GroupID, BidID uint64
	// GPUClass is the pool the group's GPUs come from ("" without GPUs).
	GPUClass string
}

type nopObserver struct{}

func (nopObserver) LeaseWon(LeaseRef)     {}
func (nopObserver) LeaseEnded(uint64)     {}
func (nopObserver) LeasesLive([]LeaseRef) {}

// Clock makes timers; tests pass a fake one.
type Clock interface {
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the engine uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the wall clock.
type SystemClock struct{}

// NewTimer starts a real timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }
