// Package pricing turns a group's request into a bid price. Every strategy
// rounds up to whole udait, bids at least 1 udait, and declines (ok=false)
// rather than bid above the group's max_price.
package pricing

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

var (
	// ErrInvalidConfig is returned by the Validate methods.
	ErrInvalidConfig = errors.New("invalid pricing config")
	// ErrInvalidQuote means the quote cannot be priced (bad max price).
	ErrInvalidQuote = errors.New("invalid quote")
)

// Strategy prices a quote. ok=false means "do not bid"; err is kept for
// failures (a broken script, a bad quote).
type Strategy interface {
	Price(ctx context.Context, q Quote) (price sdk.Coin, ok bool, err error)
}

// Quote is what a strategy sees of a group and of the provider's state.
type Quote struct {
	GroupID   uint64
	Resources types.Resources
	// GPUClass is the class of the pool the inventory would allocate, which
	// matters when the group leaves the class open. Empty without GPUs.
	GPUClass    string
	MaxPrice    sdk.Coin // udait per block
	Utilisation inventory.Ratio
}

// Config chooses one strategy; only the section named by Strategy is used.
type Config struct {
	Strategy  string           `yaml:"strategy"` // fixed | cost_based | script
	Fixed     *FixedConfig     `yaml:"fixed"`
	CostBased *CostBasedConfig `yaml:"cost_based"`
	Script    *ScriptConfig    `yaml:"script"`
}

// Validate checks that the named section is present and valid.
func (c Config) Validate() error {
	switch c.Strategy {
	case "fixed":
		if c.Fixed == nil {
			return fmt.Errorf("%w: strategy fixed needs a fixed section", ErrInvalidConfig)
		}
		return c.Fixed.Validate()
	case "cost_based":
		if c.CostBased == nil {
			return fmt.Errorf("%w: strategy cost_based needs a cost_based section", ErrInvalidConfig)
		}
		return c.CostBased.Validate()
	case "script":
		if c.Script == nil {
			return fmt.Errorf("%w: strategy script needs a script section", ErrInvalidConfig)
		}
		return c.Script.Validate()
	}
	return fmt.Errorf("%w: strategy %q (use fixed, cost_based or script)", ErrInvalidConfig, c.Strategy)
}

// New builds the configured strategy.
func New(c Config) (Strategy, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch c.Strategy {
	case "fixed":
		return NewFixed(*c.Fixed)
	case "cost_based":
		return NewCostBased(*c.CostBased)
	default:
		return NewScript(*c.Script)
	}
}

// settle rounds an exact amount up to whole udait and applies settleInt.
// The quote must have passed checkQuote.
func settle(q Quote, amount *big.Rat) (sdk.Coin, bool, error) {
	return settleInt(q, ceil(amount))
}

// settleInt bids at least 1 udait, as the chain refuses a zero price, and
// declines rather than bid above the max price.
func settleInt(q Quote, amount sdkmath.Int) (sdk.Coin, bool, error) {
	if amount.LT(sdkmath.OneInt()) {
		amount = sdkmath.OneInt()
	}
	if amount.GT(q.MaxPrice.Amount) {
		return sdk.Coin{}, false, nil
	}
	return sdk.NewCoin(types.Denom, amount), true, nil
}

func checkQuote(q Quote) error {
	if err := types.ValidateUdait("max_price", q.MaxPrice); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidQuote, err)
	}
	if q.Resources.Replicas == 0 {
		return fmt.Errorf("%w: replicas must be at least 1", ErrInvalidQuote)
	}
	return nil
}

func ceil(r *big.Rat) sdkmath.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return sdkmath.NewIntFromBigInt(q)
}

// parseRate reads a non-negative exact decimal ("12.5", "0.001"); empty is 0.
func parseRate(field, s string) (*big.Rat, error) {
	if s == "" {
		return new(big.Rat), nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%w: %s: %q is not a decimal number", ErrInvalidConfig, field, s)
	}
	if r.Sign() < 0 {
		return nil, fmt.Errorf("%w: %s must not be negative, got %q", ErrInvalidConfig, field, s)
	}
	return r, nil
}

func ratU(n uint64) *big.Rat { return new(big.Rat).SetUint64(n) }

func ratio(u inventory.Ratio) *big.Rat {
	if u.Den == 0 {
		return new(big.Rat)
	}
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(u.Num), new(big.Int).SetUint64(u.Den))
}

func mul(xs ...*big.Rat) *big.Rat {
	out := big.NewRat(1, 1)
	for _, x := range xs {
		out.Mul(out, x)
	}
	return out
}

func add(xs ...*big.Rat) *big.Rat {
	out := new(big.Rat)
	for _, x := range xs {
		out.Add(out, x)
	}
	return out
}

// units is one replica's request in priced units, and the replica count.
type units struct {
	gpus         *big.Rat
	cpuThousands *big.Rat // cpu_millis / 1000
	memoryGB     *big.Rat // memory_mb / 1000 (decimal GB, as in deployment files)
	storageGB    *big.Rat
	replicas     *big.Rat
	gpuClass     string
}

func unitsOf(q Quote) units {
	r := q.Resources
	return units{
		gpus:         ratU(uint64(r.GPU.Count)),
		cpuThousands: new(big.Rat).SetFrac(new(big.Int).SetUint64(r.CpuMillis), big.NewInt(1000)),
		memoryGB:     new(big.Rat).SetFrac(new(big.Int).SetUint64(r.MemoryMb), big.NewInt(1000)),
		storageGB:    ratU(r.StorageGb),
		replicas:     ratU(uint64(r.Replicas)),
		gpuClass:     gpuClass(q),
	}
}

func gpuClass(q Quote) string {
	if q.GPUClass != "" {
		return q.GPUClass
	}
	return q.Resources.GPU.Class
}
