// Package bidengine decides whether the provider bids on a group, and at
// what price.
package bidengine

import (
	"context"
	"errors"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Reason is the outcome of a decision: ReasonBid, or why the provider skips.
// String gives a stable snake_case label for logs and metrics.
type Reason uint8

const (
	// ReasonBid: the provider bids.
	ReasonBid Reason = iota
	// ReasonGroupNotBiddable: the group is neither OPEN nor ORDERED.
	ReasonGroupNotBiddable
	// ReasonAlreadyBid: the group already holds a reservation of ours.
	ReasonAlreadyBid
	// ReasonRequirementsUnmet: our audited attributes miss a requirement.
	ReasonRequirementsUnmet
	// ReasonGPUMismatch: no GPU pool of ours has the class and memory asked.
	ReasonGPUMismatch
	// ReasonCapacityShort: what is free now is not enough.
	ReasonCapacityShort
	// ReasonStrategyDeclined: the strategy said no, or its price would be
	// above max_price (built-in strategies decline rather than bid above it).
	ReasonStrategyDeclined
	// ReasonAboveMaxPrice: the strategy returned a price above max_price, or
	// not in udait; the engine refuses it.
	ReasonAboveMaxPrice
	// ReasonPricingFailed: the strategy returned an error.
	ReasonPricingFailed
)

var reasonNames = [...]string{
	ReasonBid:               "bid",
	ReasonGroupNotBiddable:  "group_not_biddable",
	ReasonAlreadyBid:        "already_bid",
	ReasonRequirementsUnmet: "requirements_unmet",
	ReasonGPUMismatch:       "gpu_mismatch",
	ReasonCapacityShort:     "capacity_short",
	ReasonStrategyDeclined:  "strategy_declined",
	ReasonAboveMaxPrice:     "above_max_price",
	ReasonPricingFailed:     "pricing_failed",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason_%d", uint8(r))
}

// Reasons lists every reason, to pre-register metric labels.
func Reasons() []Reason {
	out := make([]Reason, len(reasonNames))
	for i := range out {
		out[i] = Reason(i)
	}
	return out
}

// Decision is a bid at Price, or a skip with a Reason and a Detail for logs.
type Decision struct {
	Reason Reason
	Price  sdk.Coin             // set when Reason is ReasonBid
	Alloc  inventory.Allocation // what was reserved, when Reason is ReasonBid
	Detail string
}

// Bid reports whether the decision is to bid.
func (d Decision) Bid() bool { return d.Reason == ReasonBid }

func skip(r Reason, format string, args ...any) Decision {
	return Decision{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// Decide filters and prices one group. attrs is this provider's audited
// attributes as the group counts them (types.NewAuditedAttributes with the
// chain's whitelist and the group's auditors).
//
// On a bid, the group's capacity is reserved in inv under group.Id: the
// caller releases it when the bid is lost or closed, and commits it when the
// lease is won. On a skip inv is unchanged. The error is set with
// ReasonPricingFailed (the strategy's error), and alone when the group is
// malformed (replicas 0, which the chain refuses) or the inventory refuses a
// reservation that Fit accepted (it is shared between goroutines).
func Decide(ctx context.Context, group types.Group, attrs types.AuditedAttributes, inv *inventory.Inventory, strategy pricing.Strategy) (Decision, error) {
	if group.State != types.GroupOpen && group.State != types.GroupOrdered {
		return skip(ReasonGroupNotBiddable, "group %d is %s", group.Id, group.State), nil
	}
	if _, ok := inv.Reservation(group.Id); ok {
		return skip(ReasonAlreadyBid, "group %d already reserved", group.Id), nil
	}
	spec := group.Spec
	if r, unmet := attrs.Unmet(spec.Requirements); unmet {
		return skip(ReasonRequirementsUnmet, "requirement %s not met", r.Describe()), nil
	}
	alloc, err := inv.Fit(spec.Resources)
	switch {
	case errors.Is(err, inventory.ErrNoMatchingGPU):
		return skip(ReasonGPUMismatch, "%v", err), nil
	case errors.Is(err, inventory.ErrInsufficientCapacity):
		return skip(ReasonCapacityShort, "%v", err), nil
	case err != nil:
		return Decision{}, fmt.Errorf("fit group %d: %w", group.Id, err)
	}

	price, ok, err := strategy.Price(ctx, pricing.Quote{
		GroupID:     group.Id,
		Resources:   spec.Resources,
		GPUClass:    alloc.GPUClass,
		MaxPrice:    spec.MaxPrice,
		Utilisation: inv.Utilisation(),
	})
	if err != nil {
		return skip(ReasonPricingFailed, "%v", err), fmt.Errorf("price group %d: %w", group.Id, err)
	}
	if !ok {
		return skip(ReasonStrategyDeclined, "strategy declined (max_price %s)", spec.MaxPrice), nil
	}
	if price.Denom != types.Denom || price.Amount.IsNil() || !price.Amount.IsPositive() ||
		spec.MaxPrice.Denom != types.Denom || price.Amount.GT(spec.MaxPrice.Amount) {
		return skip(ReasonAboveMaxPrice, "price %s is not a positive udait amount within max_price %s", price, spec.MaxPrice), nil
	}

	if _, err := inv.Reserve(group.Id, spec.Resources); err != nil {
		return Decision{}, fmt.Errorf("reserve group %d after fit: %w", group.Id, err)
	}
	return Decision{Reason: ReasonBid, Price: price, Alloc: alloc, Detail: fmt.Sprintf("bid %s on %s", price, spec.MaxPrice)}, nil
}
