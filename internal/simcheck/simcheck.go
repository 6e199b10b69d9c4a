// Package simcheck is what the modules' simulation factories share: a
// message is dry-run on a throw-away branch of the block's state and the
// delivered transaction must end the same way (succeed, or fail with the
// very same registered error), a panic or an unregistered error fails the
// run, and the outcomes are counted per message type for the summary.
package simcheck

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// Expect dry-runs msg on a branch of the block's state that is thrown away
// and returns what the delivered transaction must do.
// A delivered tx that reached baseapp's panic recovery (code 111222) fails
// the simulation whatever the dry run said: no transaction may panic.
func Expect[T sdk.Msg, R any](ctx context.Context, run func(context.Context, T) (R, error), msg T) simsx.SimDeliveryResultHandler {
	check := ExpectOutcome(ctx, run, msg)
	name := sdk.MsgTypeURL(msg)
	return func(got error) error {
		if errors.Is(got, sdkerrors.ErrPanic) {
			return fmt.Errorf("%s reached baseapp's panic recovery: %w", name, got)
		}
		return check(got)
	}
}

func ExpectOutcome[T sdk.Msg, R any](ctx context.Context, run func(context.Context, T) (R, error), msg T) simsx.SimDeliveryResultHandler {
	want := DryRun(ctx, run, msg)
	name := sdk.MsgTypeURL(msg)
	if want == nil {
		return func(got error) error {
			if got == nil {
				outcomes.add(name, "ok")
			}
			return got
		}
	}
	wantSpace, wantCode, _ := errorsmod.ABCIInfo(want, false)
	if wantSpace == errorsmod.UndefinedCodespace {
		return func(error) error {
			return fmt.Errorf("%s was refused with an unregistered error: %w", name, want)
		}
	}
	return func(got error) error {
		if got == nil {
			return fmt.Errorf("%s: the dry run failed with %q, the delivered tx succeeded", name, want)
		}
		gotSpace, gotCode, _ := errorsmod.ABCIInfo(got, false)
		if gotSpace != wantSpace || gotCode != wantCode {
			return fmt.Errorf("%s: the dry run failed with %s/%d (%v), the delivered tx with %s/%d (%v)",
				name, wantSpace, wantCode, want, gotSpace, gotCode, got)
		}
		outcomes.add(name, fmt.Sprintf("refused %s/%d: %s", gotSpace, gotCode, RootCause(got)))
		return nil
	}
}

// DryRun runs msg on a branch of the state that is never written.
func DryRun[T sdk.Msg, R any](ctx context.Context, run func(context.Context, T) (R, error), msg T) error {
	branch, _ := sdk.UnwrapSDKContext(ctx).CacheContext()
	_, err := run(branch, msg)
	return err
}

// RootCause is the description of the registered error under the wraps.
func RootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// outcomes counts how the delivered messages ended, over every simulation
// run in the process: the simulation's own summary counts a refusal that
// was expected as a success.
var outcomes = &outcomeCounter{n: map[string]map[string]int{}}

type outcomeCounter struct {
	mu sync.Mutex
	n  map[string]map[string]int // msg type URL -> outcome -> count
}

// Record counts one delivered message's outcome.
func Record(msg, outcome string) { outcomes.add(msg, outcome) }

func (c *outcomeCounter) add(msg, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[msg] == nil {
		c.n[msg] = map[string]int{}
	}
	c.n[msg][outcome]++
}

// Outcomes reports, per message type, how many delivered messages
// succeeded and how many were refused with each registered error.
func Outcomes() string {
	outcomes.mu.Lock()
	defer outcomes.mu.Unlock()
	var b strings.Builder
	for _, msg := range slices.Sorted(maps.Keys(outcomes.n)) {
		fmt.Fprintf(&b, "%s\n", msg)
		for _, o := range slices.Sorted(maps.Keys(outcomes.n[msg])) {
			fmt.Fprintf(&b, "  %6d  %s\n", outcomes.n[msg][o], o)
		}
	}
	return b.String()
}

// Signer is the account of owner, or one time in ten a stranger: every
// message checks who sent it.
func Signer(data *simsx.ChainDataSource, reporter simsx.SimulationReporter, owner string) simsx.SimAccount {
	if data.Rand().Intn(10) == 0 {
		return data.AnyAccount(reporter, simsx.ExcludeAddresses(owner))
	}
	return data.GetAccount(reporter, owner)
}

// Pick returns a random element, or skips the operation when there is none.
func Pick[T any](data *simsx.ChainDataSource, reporter simsx.SimulationReporter, xs []T, what string) (T, bool) {
	var zero T
	if len(xs) == 0 {
		reporter.Skipf("no %s", what)
		return zero, false
	}
	return xs[data.Rand().Intn(len(xs))], true
}

// Reserve keeps amount out of the random fees, so that a message that
// moves money fails only for the reasons the keeper gives.
func Reserve(acc *simsx.SimAccount, reporter simsx.SimulationReporter, amount sdk.Coin) bool {
	if !amount.IsPositive() {
		return true
	}
	if !acc.LiquidBalance().BlockAmount(amount) {
		reporter.Skipf("%s cannot pay %s", acc.AddressBech32, amount)
		return false
	}
	return true
}
