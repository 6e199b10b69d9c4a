// Package types holds x/orderbook's state types, messages and the pure
// logic of resource classes and market data (ADR 0007).
package types

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	sdkmath "cosmossdk.io/math"
)

// ClassCPU is the resource class of CPU-only units.
const ClassCPU = "cpu"

// CPUScale: CPU-only prices are normalised per 1000 CPU millis.
const CPUScale = 1000

// ErrInvalidUnit is returned for a unit that cannot be offered (the module
// registers its own typed errors; this one is for the pure logic).
var ErrInvalidUnit = errors.New("invalid resource unit")

// Class is a unit's resource class, the key of the order book and the
// market data: gpu:<class>:<memory_gb> for GPU units, cpu for CPU-only ones.
func (u ResourceUnit) Class() string {
	if u.Gpus == 0 {
		return ClassCPU
	}
	return "gpu:" + u.GpuClass + ":" + strconv.FormatUint(uint64(u.GpuMemoryGb), 10)
}

// ParseClass checks a class key as a query gives it.
func ParseClass(s string) (gpuClass string, memoryGB uint32, err error) {
	if s == ClassCPU {
		return "", 0, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "gpu" || parts[1] == "" {
		return "", 0, fmt.Errorf("class %q: want cpu or gpu:<class>:<memory_gb>", s)
	}
	m, err := strconv.ParseUint(parts[2], 10, 32)
	if err != nil || m == 0 {
		return "", 0, fmt.Errorf("class %q: memory_gb must be a positive integer", s)
	}
	return parts[1], uint32(m), nil
}

// Quantity is how much of the class's normalisation unit n units hold:
// GPUs for a GPU unit, CPU millis for a CPU-only one.
func (u ResourceUnit) Quantity(n uint64) (uint64, bool) {
	per := uint64(u.Gpus)
	if per == 0 {
		per = u.CpuMillis
	}
	if per == 0 || (n != 0 && per > ^uint64(0)/n) {
		return 0, false
	}
	return per * n, true
}

// Scale is what a normalised price is per: 1 GPU, or CPUScale millis.
func (u ResourceUnit) Scale() uint64 {
	if u.Gpus == 0 {
		return CPUScale
	}
	return 1
}

// ScaleOf is the scale of a class key.
func ScaleOf(class string) uint64 {
	if class == ClassCPU {
		return CPUScale
	}
	return 1
}

// UnitsFor is how many units of u a group with resources r needs, for all
// its replicas: per replica the most of ceil(need / unit) over GPUs, CPU,
// memory and storage, times the replicas. ok is false when u cannot serve
// r: a GPU group needs GPU units of its class (any, when the group names
// none) with at least its GPU memory; a CPU-only group needs CPU-only
// units; a need the unit has none of; or more than 2^32-1 units.
func UnitsFor(u ResourceUnit, r Resources) (uint32, bool) {
	if r.GPUCount > 0 {
		if u.Gpus == 0 || u.GpuMemoryGb < r.GPUMemoryGB || (r.GPUClass != "" && r.GPUClass != u.GpuClass) {
			return 0, false
		}
	} else if u.Gpus != 0 {
		return 0, false
	}
	per := uint64(0)
	for _, d := range [][2]uint64{
		{uint64(r.GPUCount), uint64(u.Gpus)},
		{r.CPUMillis, u.CpuMillis},
		{r.MemoryMB, u.MemoryMb},
		{r.StorageGB, u.StorageGb},
	} {
		need, have := d[0], d[1]
		if need == 0 {
			continue
		}
		if have == 0 {
			return 0, false
		}
		per = max(per, (need-1)/have+1)
	}
	per = max(per, 1)
	replicas := uint64(max(r.Replicas, 1))
	if per > uint64(^uint32(0))/replicas {
		return 0, false
	}
	return uint32(per * replicas), true //nolint:gosec // bounded just above
}

// Resources is what a group needs, as UnitsFor reads it (the fields of
// computemarket's Resources, without importing that module).
type Resources struct {
	GPUCount    uint32
	GPUMemoryGB uint32
	GPUClass    string
	CPUMillis   uint64
	MemoryMB    uint64
	StorageGB   uint64
	Replicas    uint32
}

// NormPrice is a price per block per unit normalised to the class's scale:
// per GPU (floor(p / gpus)) or per 1000 CPU millis (floor(p * 1000 /
// cpu_millis)), saturating at 2^64-1. The book orders offers by it and a
// resting limit buy's limit is normalised the same way (NormLimit), so an
// offer can serve a limit buy only if its NormPrice <= the buy's NormLimit.
func (u ResourceUnit) NormPrice(p sdkmath.Int) uint64 {
	per := uint64(u.Gpus)
	if per == 0 {
		per = u.CpuMillis
	}
	return normalisedSat(p, u.Scale(), per)
}

// NormLimit is a group's max price per block normalised the way NormPrice
// normalises an offer's: per GPU over all replicas, or per 1000 CPU millis.
// Because a group needs at least ceil(need / unit) units of any unit that
// serves it, unit price x units <= max price implies NormPrice <=
// NormLimit: the limit is a safe bound to stop a walk at.
func NormLimit(maxPrice sdkmath.Int, r Resources) uint64 {
	replicas := uint64(max(r.Replicas, 1))
	if r.GPUCount > 0 {
		return normalisedSat(maxPrice, 1, uint64(r.GPUCount)*replicas)
	}
	if r.CPUMillis == 0 || r.CPUMillis > ^uint64(0)/replicas {
		return normalisedSat(maxPrice, CPUScale, 1)
	}
	return normalisedSat(maxPrice, CPUScale, r.CPUMillis*replicas)
}

// Family is the resting-buy family a group belongs to: gpu:<class> (gpu:
// when it names no class) or cpu. An offer of class gpu:<c>:<m> can serve
// the families gpu:<c> and gpu: (by class; memory is checked per buy).
func (r Resources) Family() string {
	if r.GPUCount == 0 {
		return ClassCPU
	}
	return "gpu:" + r.GPUClass
}

// Families are the resting-buy families an offer of this unit can serve.
func (u ResourceUnit) Families() []string {
	if u.Gpus == 0 {
		return []string{ClassCPU}
	}
	return []string{"gpu:" + u.GpuClass, "gpu:"}
}

// normalisedSat is floor(p * scale / per), saturating at 2^64-1 (p is
// non-negative and bounded; per 0 counts as 1).
func normalisedSat(p sdkmath.Int, scale, per uint64) uint64 {
	if p.IsNil() || !p.IsPositive() {
		return 0
	}
	per = max(per, 1)
	v := new(big.Int).Mul(p.BigInt(), new(big.Int).SetUint64(scale))
	v.Quo(v, new(big.Int).SetUint64(per))
	if !v.IsUint64() {
		return ^uint64(0)
	}
	return v.Uint64()
}
