// Package types holds x/orderbook's state types, messages and the pure
// logic of resource classes and market data (ADR 0007).
package types

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
