package pricing

import (
	"context"
	"fmt"
	"math/big"
	"sort"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/provider/inventory"
)

// Default utilisation factors: idle capacity sells at 80% of cost plus
// margin, a full machine at 150%.
const (
	DefaultIdleFactor = "0.8"
	DefaultFullFactor = "1.5"
)

// GPUCost is what one GPU of a class costs to run.
type GPUCost struct {
	// Watts drawn by one GPU under load.
	Watts string `yaml:"watts"`
	// AmortisationPerBlock is the hardware cost of one GPU spread over its
	// life, in udait per block.
	AmortisationPerBlock string `yaml:"amortisation_per_block"`
}

// CostBasedConfig prices at cost (energy and hardware amortisation), plus a
// margin, times a factor that rises linearly with utilisation from
// IdleFactor at 0% to FullFactor at 100%. Amounts are exact decimal
// strings; an empty one is 0.
type CostBasedConfig struct {
	// EnergyPerKWh is the price of energy in udait per kWh.
	EnergyPerKWh string `yaml:"energy_per_kwh"`
	// BlockSeconds is the average block time, to turn watts into energy
	// per block. Required.
	BlockSeconds string `yaml:"block_seconds"`
	// GPUs by class. A group whose GPUs are of a class not listed gets no bid.
	GPUs                         map[string]GPUCost `yaml:"gpus"`
	CPUWattsPer1000Millis        string             `yaml:"cpu_watts_per_1000_millis"`
	CPUAmortisationPer1000Millis string             `yaml:"cpu_amortisation_per_1000_millis"`
	// MemoryAmortisationPerGB and StorageAmortisationPerGB are udait per GB
	// (1000 MB for memory) per block.
	MemoryAmortisationPerGB  string `yaml:"memory_amortisation_per_gb"`
	StorageAmortisationPerGB string `yaml:"storage_amortisation_per_gb"`
	// MarginBps is added on top of cost: 2000 is +20%.
	MarginBps uint32 `yaml:"margin_bps"`
	// IdleFactor and FullFactor default to DefaultIdleFactor and
	// DefaultFullFactor; IdleFactor > 0 and FullFactor >= IdleFactor, so
	// the price never falls as utilisation rises.
	IdleFactor string `yaml:"idle_factor"`
	FullFactor string `yaml:"full_factor"`
}

// Validate checks every amount and the factor curve.
func (c CostBasedConfig) Validate() error {
	_, err := c.parse()
	return err
}

type gpuCost struct{ watts, amortisation *big.Rat }

type costRates struct {
	// kWhPerWattBlock * energy price: udait per watt per block
	energyPerWatt                *big.Rat
	gpu                          map[string]gpuCost
	cpuWatts, cpuAm, memAm, stAm *big.Rat
	margin                       *big.Rat // 1 + margin_bps/10000
	idle, full                   *big.Rat
}

func (c CostBasedConfig) parse() (costRates, error) {
	var (
		r   = costRates{gpu: map[string]gpuCost{}}
		err error
	)
	price, err := parseRate("energy_per_kwh", c.EnergyPerKWh)
	if err != nil {
		return costRates{}, err
	}
	if c.BlockSeconds == "" {
		return costRates{}, fmt.Errorf("%w: block_seconds is required", ErrInvalidConfig)
	}
	secs, err := parseRate("block_seconds", c.BlockSeconds)
	if err != nil {
		return costRates{}, err
	}
	if secs.Sign() == 0 {
		return costRates{}, fmt.Errorf("%w: block_seconds must be positive", ErrInvalidConfig)
	}
	// 1 W over one block is secs/3600 Wh = secs/3_600_000 kWh.
	r.energyPerWatt = mul(price, secs, big.NewRat(1, 3_600_000))

	classes := make([]string, 0, len(c.GPUs))
	for class := range c.GPUs {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	for _, class := range classes {
		if class == "" {
			return costRates{}, fmt.Errorf("%w: gpus has an empty class", ErrInvalidConfig)
		}
		var g gpuCost
		if g.watts, err = parseRate("gpus."+class+".watts", c.GPUs[class].Watts); err != nil {
			return costRates{}, err
		}
		if g.amortisation, err = parseRate("gpus."+class+".amortisation_per_block", c.GPUs[class].AmortisationPerBlock); err != nil {
			return costRates{}, err
		}
		r.gpu[class] = g
	}
	for _, f := range []struct {
		dst   **big.Rat
		name  string
		value string
	}{
		{&r.cpuWatts, "cpu_watts_per_1000_millis", c.CPUWattsPer1000Millis},
		{&r.cpuAm, "cpu_amortisation_per_1000_millis", c.CPUAmortisationPer1000Millis},
		{&r.memAm, "memory_amortisation_per_gb", c.MemoryAmortisationPerGB},
		{&r.stAm, "storage_amortisation_per_gb", c.StorageAmortisationPerGB},
	} {
		if *f.dst, err = parseRate(f.name, f.value); err != nil {
			return costRates{}, err
		}
	}
	r.margin = add(big.NewRat(1, 1), big.NewRat(int64(c.MarginBps), 10_000))

	idle, full := c.IdleFactor, c.FullFactor
	if idle == "" {
		idle = DefaultIdleFactor
	}
	if full == "" {
		full = DefaultFullFactor
	}
	if r.idle, err = parseRate("idle_factor", idle); err != nil {
		return costRates{}, err
	}
	if r.full, err = parseRate("full_factor", full); err != nil {
		return costRates{}, err
	}
	if r.idle.Sign() == 0 {
		return costRates{}, fmt.Errorf("%w: idle_factor must be positive", ErrInvalidConfig)
	}
	if r.full.Cmp(r.idle) < 0 {
		return costRates{}, fmt.Errorf("%w: full_factor %s is below idle_factor %s", ErrInvalidConfig, full, idle)
	}
	return r, nil
}

// CostBased prices at cost plus margin, scaled by utilisation.
type CostBased struct{ rates costRates }

// NewCostBased validates cfg and builds the strategy.
func NewCostBased(cfg CostBasedConfig) (*CostBased, error) {
	r, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	return &CostBased{rates: r}, nil
}

// Price is replicas * cost per replica * (1 + margin) * factor(utilisation),
// rounded up.
func (c *CostBased) Price(_ context.Context, q Quote) (sdk.Coin, bool, error) {
	if err := checkQuote(q); err != nil {
		return sdk.Coin{}, false, err
	}
	r := c.rates
	u := unitsOf(q)
	gpu := new(big.Rat)
	if u.gpus.Sign() > 0 {
		g, ok := r.gpu[u.gpuClass]
		if !ok {
			return sdk.Coin{}, false, nil
		}
		gpu = mul(u.gpus, add(mul(g.watts, r.energyPerWatt), g.amortisation))
	}
	perReplica := add(gpu,
		mul(u.cpuThousands, add(mul(r.cpuWatts, r.energyPerWatt), r.cpuAm)),
		mul(u.memoryGB, r.memAm),
		mul(u.storageGB, r.stAm),
	)
	return settle(q, mul(perReplica, u.replicas, r.margin, c.Factor(q.Utilisation)))
}

// Factor is the utilisation multiplier: idle + (full - idle) * u, with u
// clamped to [0, 1].
func (c *CostBased) Factor(u inventory.Ratio) *big.Rat {
	x := ratio(u)
	if x.Cmp(big.NewRat(1, 1)) > 0 {
		x = big.NewRat(1, 1)
	}
	span := new(big.Rat).Sub(c.rates.full, c.rates.idle)
	return add(c.rates.idle, mul(span, x))
}
