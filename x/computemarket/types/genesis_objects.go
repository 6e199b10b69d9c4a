package types

import (
	"fmt"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// MaxGenesisHeight bounds every height a genesis object carries: far beyond
// any chain's life, and low enough that a height plus a duration or a
// retention window cannot overflow int64.
const MaxGenesisHeight int64 = 1 << 60

// The object checks of GenesisState.Validate: each refuses what the keeper
// could not run (a lease without take, a take above its price, an amount
// past MaxAmount, a MATCHED group with no lease); cross-object checks are
// in Validate itself.

func genesisErr(what string, id uint64, err error) error {
	return errorsmod.Wrapf(ErrInvalidGenesis, "%s %d: %s", what, id, err.Error())
}

// checkCoin requires a udait coin within [0, MaxAmount]; positive if asked.
func checkCoin(field string, c sdk.Coin, positive bool) error {
	if positive {
		return ValidateUdait(field, c)
	}
	if c.Denom != Denom || c.Amount.IsNil() || c.Amount.IsNegative() {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s must be a non-negative %s amount, got %s", field, Denom, c)
	}
	return CheckAmountBound(field, c.Amount)
}

type namedHeight struct {
	name string
	h    int64
}

// checkHeights requires each named height in [0, MaxGenesisHeight].
func checkHeights(heights ...namedHeight) error {
	for _, n := range heights {
		if n.h < 0 || n.h > MaxGenesisHeight {
			return fmt.Errorf("%s %d is outside [0, 2^60]", n.name, n.h)
		}
	}
	return nil
}

// closedIff requires closed_height set exactly when the object is closed.
func closedIff(closed bool, closedHeight, createdHeight int64) error {
	switch {
	case closed && closedHeight < createdHeight:
		return fmt.Errorf("closed at %d, before its creation at %d", closedHeight, createdHeight)
	case !closed && closedHeight != 0:
		return fmt.Errorf("not closed but closed_height is %d", closedHeight)
	}
	return nil
}

func (d Deployment) validateGenesis() error {
	if err := ValidateAddress("owner", d.Owner); err != nil {
		return err
	}
	if err := ValidateVersion(d.Version); err != nil {
		return err
	}
	if d.VersionHex != "" {
		return fmt.Errorf("version_hex is a query field and must be empty in state")
	}
	if d.State != DeploymentActive && d.State != DeploymentClosed {
		return fmt.Errorf("illegal state %s", d.State)
	}
	if err := checkHeights(namedHeight{"created_height", d.CreatedHeight}, namedHeight{"updated_height", d.UpdatedHeight}, namedHeight{"closed_height", d.ClosedHeight}); err != nil {
		return err
	}
	return closedIff(d.State == DeploymentClosed, d.ClosedHeight, d.CreatedHeight)
}

func (g Group) validateGenesis() error {
	if err := ValidateAddress("owner", g.Owner); err != nil {
		return err
	}
	if err := g.Spec.Validate(); err != nil {
		return err
	}
	if g.State < GroupOpen || g.State > GroupClosed {
		return fmt.Errorf("illegal state %s", g.State)
	}
	if err := checkHeights(namedHeight{"created_height", g.CreatedHeight}, namedHeight{"opened_at", g.OpenedAt}, namedHeight{"auction_end", g.AuctionEnd}, namedHeight{"closed_height", g.ClosedHeight}); err != nil {
		return err
	}
	if g.State == GroupOpen && g.AuctionEnd < g.OpenedAt {
		return fmt.Errorf("auction_end %d is before opened_at %d", g.AuctionEnd, g.OpenedAt)
	}
	if g.State == GroupMatched && g.LeaseId == 0 {
		return fmt.Errorf("MATCHED with no lease_id")
	}
	return closedIff(g.State == GroupClosed, g.ClosedHeight, g.CreatedHeight)
}

func (e Escrow) validateGenesis() error {
	if err := checkCoin("balance", e.Balance, false); err != nil {
		return err
	}
	if err := checkCoin("deposited", e.Deposited, false); err != nil {
		return err
	}
	return checkHeights(namedHeight{"settled_height", e.SettledHeight})
}

func (b Bid) validateGenesis() error {
	if err := ValidateAddress("provider", b.Provider); err != nil {
		return err
	}
	if err := ValidateUdait("price", b.Price); err != nil {
		return err
	}
	if err := checkCoin("deposit", b.Deposit, false); err != nil {
		return err
	}
	if b.State < BidOpen || b.State > BidClosed {
		return fmt.Errorf("illegal state %s", b.State)
	}
	if err := checkHeights(namedHeight{"created_height", b.CreatedHeight}, namedHeight{"closed_height", b.ClosedHeight}); err != nil {
		return err
	}
	return closedIff(!b.IsLive(), b.ClosedHeight, b.CreatedHeight)
}

func (l Lease) validateGenesis() error {
	if err := ValidateUdait("price", l.Price); err != nil {
		return err
	}
	if err := checkCoin("take", l.Take, false); err != nil {
		return err
	}
	if l.Take.Amount.GT(l.Price.Amount) {
		return fmt.Errorf("take %s is above the price %s", l.Take, l.Price)
	}
	if err := checkCoin("spent", l.Spent, false); err != nil {
		return err
	}
	if err := checkCoin("withdrawn", l.Withdrawn, false); err != nil {
		return err
	}
	if l.Withdrawn.Amount.GT(l.Spent.Amount) {
		return fmt.Errorf("withdrawn %s is above spent %s", l.Withdrawn, l.Spent)
	}
	if l.State < LeaseActive || l.State > LeaseClosed {
		return fmt.Errorf("illegal state %s", l.State)
	}
	if err := checkHeights(namedHeight{"created_height", l.CreatedHeight}, namedHeight{"settled_height", l.SettledHeight}, namedHeight{"closed_height", l.ClosedHeight}); err != nil {
		return err
	}
	if l.SettledHeight < l.CreatedHeight {
		return fmt.Errorf("settled at %d, before its creation at %d", l.SettledHeight, l.CreatedHeight)
	}
	if err := closedIff(l.State == LeaseClosed, l.ClosedHeight, l.CreatedHeight); err != nil {
		return err
	}
	if (l.State == LeaseClosed) != (l.CloseReason != CloseReasonUnspecified) {
		return fmt.Errorf("state %s with close reason %s", l.State, l.CloseReason)
	}
	if _, ok := CloseReason_name[int32(l.CloseReason)]; !ok {
		return fmt.Errorf("unknown close reason %d", l.CloseReason)
	}
	return nil
}

func (f FailedItem) validateGenesis() error {
	switch f.Queue {
	case QueueLeaseClose, QueueAuction, QueueLeaseExhaust, QueuePrune, QueueOrderExpiry, QueueOfferMatch:
	default:
		return fmt.Errorf("queue %s holds no items", f.Queue)
	}
	if f.Id == 0 {
		return fmt.Errorf("id 0")
	}
	if len(f.Error) > MaxFailedItemErrorLen {
		return fmt.Errorf("error text is %d bytes, at most %d", len(f.Error), MaxFailedItemErrorLen)
	}
	return checkHeights(namedHeight{"due_height", f.DueHeight}, namedHeight{"failed_height", f.FailedHeight})
}
