package pricing

import (
	"context"
	"fmt"
	"math/big"
	"sort"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// FixedConfig is a price list in udait per block, as exact decimal strings
// ("12.5"); an empty rate is 0. The result is a limit sell: the provider
// bids its list price whenever the group's max_price allows it.
type FixedConfig struct {
	// GPUPerBlock is the price of one GPU of a class. A group whose GPUs
	// are of a class not listed here gets no bid.
	GPUPerBlock map[string]string `yaml:"gpu_per_block"`
	// CPUPer1000Millis is the price of one CPU core (1000 millis).
	CPUPer1000Millis string `yaml:"cpu_per_1000_millis"`
	// MemoryPerGB is the price of 1 GB (1000 MB) of memory.
	MemoryPerGB string `yaml:"memory_per_gb"`
	// StoragePerGB is the price of 1 GB of storage.
	StoragePerGB string `yaml:"storage_per_gb"`
}

// Validate checks that every rate is a non-negative decimal.
func (c FixedConfig) Validate() error {
	_, err := c.parse()
	return err
}

type fixedRates struct {
	gpu                  map[string]*big.Rat
	cpu, memory, storage *big.Rat
}

func (c FixedConfig) parse() (fixedRates, error) {
	var (
		r   = fixedRates{gpu: map[string]*big.Rat{}}
		err error
	)
	classes := make([]string, 0, len(c.GPUPerBlock))
	for class := range c.GPUPerBlock {
		classes = append(classes, class)
	}
	sort.Strings(classes) // the first bad class reported is stable
	for _, class := range classes {
		if class == "" {
			return fixedRates{}, fmt.Errorf("%w: gpu_per_block has an empty class", ErrInvalidConfig)
		}
		if r.gpu[class], err = parseRate("gpu_per_block."+class, c.GPUPerBlock[class]); err != nil {
			return fixedRates{}, err
		}
	}
	if r.cpu, err = parseRate("cpu_per_1000_millis", c.CPUPer1000Millis); err != nil {
		return fixedRates{}, err
	}
	if r.memory, err = parseRate("memory_per_gb", c.MemoryPerGB); err != nil {
		return fixedRates{}, err
	}
	if r.storage, err = parseRate("storage_per_gb", c.StoragePerGB); err != nil {
		return fixedRates{}, err
	}
	return r, nil
}

// Fixed prices from a price list.
type Fixed struct{ rates fixedRates }

// NewFixed validates cfg and builds the strategy.
func NewFixed(cfg FixedConfig) (*Fixed, error) {
	r, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	return &Fixed{rates: r}, nil
}

// Price is replicas * (gpus*gpu_rate + cores*cpu_rate + GB*memory_rate +
// GB*storage_rate), rounded up.
func (f *Fixed) Price(_ context.Context, q Quote) (sdk.Coin, bool, error) {
	if err := checkQuote(q); err != nil {
		return sdk.Coin{}, false, err
	}
	u := unitsOf(q)
	gpu := new(big.Rat)
	if u.gpus.Sign() > 0 {
		rate, ok := f.rates.gpu[u.gpuClass]
		if !ok {
			return sdk.Coin{}, false, nil
		}
		gpu = mul(u.gpus, rate)
	}
	perReplica := add(gpu,
		mul(u.cpuThousands, f.rates.cpu),
		mul(u.memoryGB, f.rates.memory),
		mul(u.storageGB, f.rates.storage),
	)
	return settle(q, mul(perReplica, u.replicas))
}
