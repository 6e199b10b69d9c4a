// Package inventory keeps the provider's hardware and the capacity that its
// open bids and leases hold.
//
// An Inventory is not safe for concurrent use: the bid engine owns it and
// is the only goroutine that reads or changes it.
package inventory

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

var (
	// ErrInvalidConfig is returned by Config.Validate.
	ErrInvalidConfig = errors.New("invalid inventory config")
	// ErrInvalidResources means the request itself is malformed.
	ErrInvalidResources = errors.New("invalid resources")
	// ErrNoMatchingGPU means no GPU pool has the requested class and memory,
	// whatever is in use: the provider can never serve this request.
	ErrNoMatchingGPU = errors.New("no GPU pool matches class and memory")
	// ErrInsufficientCapacity means the request does not fit in what is free
	// now. Errors of this kind are *CapacityError.
	ErrInsufficientCapacity = errors.New("insufficient capacity")
	// ErrAlreadyReserved means the group already holds a reservation.
	ErrAlreadyReserved = errors.New("group already reserved")
	// ErrNotReserved means the group holds no reservation.
	ErrNotReserved = errors.New("group not reserved")
)

// CapacityError says which resource is short and by how much.
type CapacityError struct {
	Resource string // "gpu/<class>", "cpu_millis", "memory_mb" or "storage_gb"
	Need     uint64
	Free     uint64
}

func (e *CapacityError) Error() string {
	return fmt.Sprintf("insufficient capacity: %s needs %d, %d free", e.Resource, e.Need, e.Free)
}

// Is makes errors.Is(err, ErrInsufficientCapacity) hold.
func (e *CapacityError) Is(target error) bool { return target == ErrInsufficientCapacity }

// GPUPool is a set of identical GPUs.
type GPUPool struct {
	Class    string `yaml:"class"`
	Count    uint32 `yaml:"count"`
	MemoryGB uint32 `yaml:"memory_gb"`
	// Indices are the pool's host GPU indices (nvidia-smi's), which
	// workloads are given; read from nvidia-smi, or optional in the config.
	Indices []int `yaml:"indices,omitempty"`
}

// Config describes the provider's hardware.
type Config struct {
	GPUs      []GPUPool `yaml:"gpus"`
	CPUMillis uint64    `yaml:"cpu_millis"`
	MemoryMB  uint64    `yaml:"memory_mb"`
	StorageGB uint64    `yaml:"storage_gb"`
}

// GPUIndices are the host GPU indices of each pool (class): a pool's own
// indices when the config (or nvidia-smi) lists them, otherwise the lowest
// indices no pool lists, taken in config order, so two pools never share
// a GPU. For a valid config.
func (c Config) GPUIndices() map[string][]int {
	listed := map[int]bool{}
	for _, p := range c.GPUs {
		for _, x := range p.Indices {
			listed[x] = true
		}
	}
	out := make(map[string][]int, len(c.GPUs))
	next := 0
	for _, p := range c.GPUs {
		if len(p.Indices) > 0 {
			out[p.Class] = append([]int(nil), p.Indices...)
			continue
		}
		idx := make([]int, 0, p.Count)
		for uint32(len(idx)) < p.Count {
			if !listed[next] {
				idx = append(idx, next)
			}
			next++
		}
		out[p.Class] = idx
	}
	return out
}

// Validate checks the config; every group needs CPU and memory, so both must
// be positive. Storage may be zero.
func (c Config) Validate() error {
	if c.CPUMillis == 0 {
		return fmt.Errorf("%w: cpu_millis must be positive", ErrInvalidConfig)
	}
	if c.MemoryMB == 0 {
		return fmt.Errorf("%w: memory_mb must be positive", ErrInvalidConfig)
	}
	seen := make(map[string]struct{}, len(c.GPUs))
	indexOf := map[int]string{}
	for i, p := range c.GPUs {
		if len(p.Indices) != 0 && len(p.Indices) != int(p.Count) {
			return fmt.Errorf("%w: gpus[%d] has %d indices for %d GPUs", ErrInvalidConfig, i, len(p.Indices), p.Count)
		}
		for _, x := range p.Indices {
			if x < 0 {
				return fmt.Errorf("%w: gpus[%d].indices: %d is negative", ErrInvalidConfig, i, x)
			}
			if other, dup := indexOf[x]; dup {
				return fmt.Errorf("%w: gpus[%d].indices: GPU %d is already in pool %q", ErrInvalidConfig, i, x, other)
			}
			indexOf[x] = p.Class
		}
		if p.Class == "" {
			return fmt.Errorf("%w: gpus[%d].class is empty", ErrInvalidConfig, i)
		}
		if err := types.ValidateAttributeKey(p.Class); err != nil {
			return fmt.Errorf("%w: gpus[%d].class: %v", ErrInvalidConfig, i, err)
		}
		if _, dup := seen[p.Class]; dup {
			return fmt.Errorf("%w: gpus[%d].class %q is listed twice", ErrInvalidConfig, i, p.Class)
		}
		seen[p.Class] = struct{}{}
		if p.Count == 0 {
			return fmt.Errorf("%w: gpus[%d].count must be positive", ErrInvalidConfig, i)
		}
		if p.MemoryGB == 0 {
			return fmt.Errorf("%w: gpus[%d].memory_gb must be positive", ErrInvalidConfig, i)
		}
	}
	return nil
}

// Allocation is what one group takes: the per-replica request times the
// replica count, with all of its GPUs from one pool.
type Allocation struct {
	GPUClass  string // "" when the group needs no GPU
	GPUs      uint64
	CPUMillis uint64
	MemoryMB  uint64
	StorageGB uint64
}

// Reservation is the capacity a group holds: pending while its bid is open,
// committed once its lease is won.
type Reservation struct {
	Allocation
	Committed bool
}

type pool struct {
	GPUPool
	used uint64
}

// Inventory is the provider's hardware and what is reserved of it.
type Inventory struct {
	pools        []*pool // sorted by memory, then class: best fit first
	cpu          uint64
	memory       uint64
	storage      uint64
	usedCPU      uint64
	usedMemory   uint64
	usedStorage  uint64
	reservations map[uint64]Reservation
}

// New validates cfg and returns an empty inventory.
func New(cfg Config) (*Inventory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	inv := &Inventory{
		cpu:          cfg.CPUMillis,
		memory:       cfg.MemoryMB,
		storage:      cfg.StorageGB,
		reservations: map[uint64]Reservation{},
	}
	for _, p := range cfg.GPUs {
		inv.pools = append(inv.pools, &pool{GPUPool: p})
	}
	sort.Slice(inv.pools, func(i, j int) bool {
		a, b := inv.pools[i], inv.pools[j]
		if a.MemoryGB != b.MemoryGB {
			return a.MemoryGB < b.MemoryGB
		}
		return a.Class < b.Class
	})
	return inv, nil
}

// Fit reports the allocation that Reserve would make, changing nothing.
// Among the pools that match class and memory it takes the one with the
// least memory that has enough free GPUs, keeping big GPUs for big jobs.
func (inv *Inventory) Fit(res types.Resources) (Allocation, error) {
	if res.Replicas == 0 {
		return Allocation{}, fmt.Errorf("%w: replicas must be at least 1", ErrInvalidResources)
	}
	n := uint64(res.Replicas)
	a := Allocation{
		GPUs:      uint64(res.GPU.Count) * n,
		CPUMillis: mulSat(res.CpuMillis, n),
		MemoryMB:  mulSat(res.MemoryMb, n),
		StorageGB: mulSat(res.StorageGb, n),
	}
	if a.GPUs > 0 {
		p, err := inv.pickPool(res.GPU, a.GPUs)
		if err != nil {
			return Allocation{}, err
		}
		a.GPUClass = p.Class
	}
	for _, d := range []struct {
		name             string
		need, cap, using uint64
	}{
		{"cpu_millis", a.CPUMillis, inv.cpu, inv.usedCPU},
		{"memory_mb", a.MemoryMB, inv.memory, inv.usedMemory},
		{"storage_gb", a.StorageGB, inv.storage, inv.usedStorage},
	} {
		if free := d.cap - d.using; d.need > free {
			return Allocation{}, &CapacityError{Resource: d.name, Need: d.need, Free: free}
		}
	}
	return a, nil
}

func (inv *Inventory) pickPool(want types.GPU, need uint64) (*pool, error) {
	var best *pool // the matching pool with the most free GPUs, for the error
	for _, p := range inv.pools {
		if want.Class != "" && want.Class != p.Class {
			continue
		}
		if p.MemoryGB < want.MemoryGb {
			continue
		}
		if uint64(p.Count)-p.used >= need {
			return p, nil
		}
		if best == nil || p.free() > best.free() {
			best = p
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: class %q, memory_gb >= %d", ErrNoMatchingGPU, want.Class, want.MemoryGb)
	}
	return nil, &CapacityError{Resource: "gpu/" + best.Class, Need: need, Free: best.free()}
}

func (p *pool) free() uint64 { return uint64(p.Count) - p.used }

// Reserve holds capacity for a group, for as long as its bid is open.
func (inv *Inventory) Reserve(groupID uint64, res types.Resources) (Allocation, error) {
	if _, ok := inv.reservations[groupID]; ok {
		return Allocation{}, fmt.Errorf("%w: group %d", ErrAlreadyReserved, groupID)
	}
	a, err := inv.Fit(res)
	if err != nil {
		return Allocation{}, err
	}
	inv.apply(a, true)
	inv.reservations[groupID] = Reservation{Allocation: a}
	return a, nil
}

// Commit marks a group's reservation as a won lease; it keeps its capacity
// until Release.
func (inv *Inventory) Commit(groupID uint64) error {
	r, ok := inv.reservations[groupID]
	if !ok {
		return fmt.Errorf("%w: group %d", ErrNotReserved, groupID)
	}
	r.Committed = true
	inv.reservations[groupID] = r
	return nil
}

// Release frees a group's capacity: its bid was lost or closed, or its lease
// ended.
func (inv *Inventory) Release(groupID uint64) error {
	r, ok := inv.reservations[groupID]
	if !ok {
		return fmt.Errorf("%w: group %d", ErrNotReserved, groupID)
	}
	inv.apply(r.Allocation, false)
	delete(inv.reservations, groupID)
	return nil
}

// Reservation returns the group's reservation, if any.
func (inv *Inventory) Reservation(groupID uint64) (Reservation, bool) {
	r, ok := inv.reservations[groupID]
	return r, ok
}

// apply adds (or takes back) an allocation that Fit has accepted, so the
// sums cannot overflow or go below zero.
func (inv *Inventory) apply(a Allocation, add bool) {
	sign := func(used *uint64, v uint64) {
		if add {
			*used += v
		} else {
			*used -= v
		}
	}
	if a.GPUs > 0 {
		for _, p := range inv.pools {
			if p.Class == a.GPUClass {
				sign(&p.used, a.GPUs)
			}
		}
	}
	sign(&inv.usedCPU, a.CPUMillis)
	sign(&inv.usedMemory, a.MemoryMB)
	sign(&inv.usedStorage, a.StorageGB)
}

// Utilisation is the share in use of the busiest resource: all GPUs taken
// together, CPU, memory and storage. Pending and committed reservations
// both count, since both hold capacity.
func (inv *Inventory) Utilisation() Ratio {
	var gpus, usedGPUs uint64
	for _, p := range inv.pools {
		gpus += uint64(p.Count)
		usedGPUs += p.used
	}
	return busiest(Ratio{usedGPUs, gpus}, Ratio{inv.usedCPU, inv.cpu}, Ratio{inv.usedMemory, inv.memory}, Ratio{inv.usedStorage, inv.storage})
}

// busiest is the greatest of the ratios with a positive denominator (0/1
// when none).
func busiest(rs ...Ratio) Ratio {
	u := Ratio{Num: 0, Den: 1}
	for _, r := range rs {
		if r.Den > 0 && r.Cmp(u) > 0 {
			u = r
		}
	}
	return u
}

// Utilisation is Inventory.Utilisation computed from a snapshot of what is
// free and the totals: safe to call from another goroutine than the
// engine's.
func (f Free) Utilisation() Ratio {
	var gpus, freeGPUs uint64
	for _, g := range f.GPUs {
		gpus += uint64(g.Total)
		freeGPUs += min(g.Free, uint64(g.Total))
	}
	used := func(free, total uint64) Ratio { return Ratio{total - min(free, total), total} }
	return busiest(used(freeGPUs, gpus), used(f.CPUMillis, f.TotalCPUMillis), used(f.MemoryMB, f.TotalMemoryMB), used(f.StorageGB, f.TotalStorageGB))
}

// Ratio is an exact fraction Num/Den with Den > 0.
type Ratio struct {
	Num uint64
	Den uint64
}

// Cmp compares two ratios exactly: -1, 0 or +1.
func (r Ratio) Cmp(o Ratio) int {
	ah, al := bits.Mul64(r.Num, o.Den)
	bh, bl := bits.Mul64(o.Num, r.Den)
	switch {
	case ah < bh || (ah == bh && al < bl):
		return -1
	case ah == bh && al == bl:
		return 0
	default:
		return 1
	}
}

// Float64 is for logs and metrics.
func (r Ratio) Float64() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

func (r Ratio) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// mulSat multiplies, saturating at MaxUint64: a saturated need never fits.
func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// Free is what the inventory has left: a snapshot, safe to share.
type Free struct {
	GPUs      []FreeGPUs `json:"gpus"`
	CPUMillis uint64     `json:"cpu_millis"`
	MemoryMB  uint64     `json:"memory_mb"`
	StorageGB uint64     `json:"storage_gb"`
	// The totals, for the utilisation of a snapshot.
	TotalCPUMillis uint64 `json:"total_cpu_millis"`
	TotalMemoryMB  uint64 `json:"total_memory_mb"`
	TotalStorageGB uint64 `json:"total_storage_gb"`
}

// FreeGPUs is one pool's free GPUs.
type FreeGPUs struct {
	Class    string `json:"class"`
	MemoryGB uint32 `json:"memory_gb"`
	Free     uint64 `json:"free"`
	Total    uint32 `json:"total"`
}

// Free returns what is not reserved, pools in best-fit order.
func (inv *Inventory) Free() Free {
	f := Free{
		CPUMillis:      inv.cpu - inv.usedCPU,
		MemoryMB:       inv.memory - inv.usedMemory,
		StorageGB:      inv.storage - inv.usedStorage,
		TotalCPUMillis: inv.cpu, TotalMemoryMB: inv.memory, TotalStorageGB: inv.storage,
		GPUs: make([]FreeGPUs, 0, len(inv.pools)),
	}
	for _, p := range inv.pools {
		f.GPUs = append(f.GPUs, FreeGPUs{Class: p.Class, MemoryGB: p.MemoryGB, Free: p.free(), Total: p.Count})
	}
	return f
}
