package inventory_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

func testConfig() inventory.Config {
	return inventory.Config{
		GPUs: []inventory.GPUPool{
			{Class: "hopper", Count: 8, MemoryGB: 80},
			{Class: "ampere", Count: 4, MemoryGB: 40},
			{Class: "ada", Count: 4, MemoryGB: 24},
		},
		CPUMillis: 128_000,
		MemoryMB:  1_024_000,
		StorageGB: 10_000,
	}
}

func res(gpus, memGB uint32, class string, cpu, mem, storage uint64, replicas uint32) types.Resources {
	return types.Resources{
		GPU:       types.GPU{Count: gpus, MemoryGb: memGB, Class: class},
		CpuMillis: cpu, MemoryMb: mem, StorageGb: storage, Replicas: replicas,
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*inventory.Config)
		ok     bool
	}{
		{"valid", func(*inventory.Config) {}, true},
		{"no gpus", func(c *inventory.Config) { c.GPUs = nil }, true},
		{"zero storage", func(c *inventory.Config) { c.StorageGB = 0 }, true},
		{"zero cpu", func(c *inventory.Config) { c.CPUMillis = 0 }, false},
		{"zero memory", func(c *inventory.Config) { c.MemoryMB = 0 }, false},
		{"empty class", func(c *inventory.Config) { c.GPUs[0].Class = "" }, false},
		{"bad class", func(c *inventory.Config) { c.GPUs[0].Class = "Hop per!" }, false},
		{"duplicate class", func(c *inventory.Config) { c.GPUs[1].Class = "hopper" }, false},
		{"zero count", func(c *inventory.Config) { c.GPUs[0].Count = 0 }, false},
		{"zero memory_gb", func(c *inventory.Config) { c.GPUs[0].MemoryGB = 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, inventory.ErrInvalidConfig)
			_, err = inventory.New(cfg)
			require.ErrorIs(t, err, inventory.ErrInvalidConfig)
		})
	}
}

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		res      types.Resources
		want     inventory.Allocation
		err      error
		resource string // for capacity errors
	}{
		{"cpu only", res(0, 0, "", 4000, 8000, 100, 1), inventory.Allocation{CPUMillis: 4000, MemoryMB: 8000, StorageGB: 100}, nil, ""},
		{"named class", res(2, 0, "hopper", 1000, 1000, 0, 1), inventory.Allocation{GPUClass: "hopper", GPUs: 2, CPUMillis: 1000, MemoryMB: 1000}, nil, ""},
		{"any class takes the smallest memory that fits", res(1, 30, "", 1000, 1000, 0, 1), inventory.Allocation{GPUClass: "ampere", GPUs: 1, CPUMillis: 1000, MemoryMB: 1000}, nil, ""},
		{"any class, no memory", res(1, 0, "", 1000, 1000, 0, 1), inventory.Allocation{GPUClass: "ada", GPUs: 1, CPUMillis: 1000, MemoryMB: 1000}, nil, ""},
		{"any class skips pools too small in count", res(6, 0, "", 1000, 1000, 0, 1), inventory.Allocation{GPUClass: "hopper", GPUs: 6, CPUMillis: 1000, MemoryMB: 1000}, nil, ""},
		{"replicas multiply", res(2, 80, "hopper", 16_000, 100_000, 500, 4), inventory.Allocation{GPUClass: "hopper", GPUs: 8, CPUMillis: 64_000, MemoryMB: 400_000, StorageGB: 2000}, nil, ""},
		{"unknown class", res(1, 0, "blackwell", 1000, 1000, 0, 1), inventory.Allocation{}, inventory.ErrNoMatchingGPU, ""},
		{"class with too little memory", res(1, 48, "ampere", 1000, 1000, 0, 1), inventory.Allocation{}, inventory.ErrNoMatchingGPU, ""},
		{"no pool has the memory", res(1, 96, "", 1000, 1000, 0, 1), inventory.Allocation{}, inventory.ErrNoMatchingGPU, ""},
		{"too many gpus", res(3, 80, "hopper", 1000, 1000, 0, 3), inventory.Allocation{}, inventory.ErrInsufficientCapacity, "gpu/hopper"},
		{"too much cpu", res(0, 0, "", 64_001, 1000, 0, 2), inventory.Allocation{}, inventory.ErrInsufficientCapacity, "cpu_millis"},
		{"too much memory", res(0, 0, "", 1000, 1_024_001, 0, 1), inventory.Allocation{}, inventory.ErrInsufficientCapacity, "memory_mb"},
		{"too much storage", res(0, 0, "", 1000, 1000, 10_001, 1), inventory.Allocation{}, inventory.ErrInsufficientCapacity, "storage_gb"},
		{"overflowing replicas", res(0, 0, "", math.MaxUint64/2, 1000, 0, 3), inventory.Allocation{}, inventory.ErrInsufficientCapacity, "cpu_millis"},
		{"zero replicas", res(0, 0, "", 1000, 1000, 0, 0), inventory.Allocation{}, inventory.ErrInvalidResources, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := inventory.New(testConfig())
			require.NoError(t, err)
			got, err := inv.Fit(tc.res)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				if tc.resource != "" {
					var ce *inventory.CapacityError
					require.True(t, errors.As(err, &ce))
					require.Equal(t, tc.resource, ce.Resource)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, inventory.Ratio{Num: 0, Den: 1}, inv.Utilisation(), "Fit changes nothing")
		})
	}
}

func TestReserveReleaseCommit(t *testing.T) {
	inv, err := inventory.New(testConfig())
	require.NoError(t, err)
	hopper4 := res(2, 80, "hopper", 8_000, 64_000, 100, 2) // 4 hoppers

	// Two groups take the 8 hoppers; a third does not fit.
	_, err = inv.Reserve(1, hopper4)
	require.NoError(t, err)
	_, err = inv.Reserve(1, hopper4)
	require.ErrorIs(t, err, inventory.ErrAlreadyReserved)
	_, err = inv.Reserve(2, hopper4)
	require.NoError(t, err)
	require.Equal(t, 0, inv.Utilisation().Cmp(inventory.Ratio{Num: 8, Den: 16}), "8 of 16 GPUs")
	_, err = inv.Reserve(3, hopper4)
	var ce *inventory.CapacityError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, inventory.CapacityError{Resource: "gpu/hopper", Need: 4, Free: 0}, *ce)
	_, ok := inv.Reservation(3)
	require.False(t, ok, "a failed reserve holds nothing")

	// Winning the lease keeps the reservation.
	require.NoError(t, inv.Commit(1))
	r, ok := inv.Reservation(1)
	require.True(t, ok)
	require.True(t, r.Committed)
	require.Equal(t, uint64(4), r.GPUs)
	require.ErrorIs(t, inv.Commit(3), inventory.ErrNotReserved)

	// Losing bid 2 frees its hoppers for group 3.
	require.NoError(t, inv.Release(2))
	require.ErrorIs(t, inv.Release(2), inventory.ErrNotReserved)
	_, err = inv.Reserve(3, hopper4)
	require.NoError(t, err)

	// Closing everything returns to idle.
	require.NoError(t, inv.Release(1))
	require.NoError(t, inv.Release(3))
	require.Equal(t, 0, inv.Utilisation().Cmp(inventory.Ratio{Num: 0, Den: 1}))
	_, err = inv.Reserve(4, res(8, 80, "hopper", 128_000, 1_024_000, 10_000, 1))
	require.NoError(t, err, "all capacity is free again")
	require.Equal(t, 0, inv.Utilisation().Cmp(inventory.Ratio{Num: 1, Den: 1}))
}

func TestUtilisationIsTheBusiestResource(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  types.Resources
		want inventory.Ratio
	}{
		{"gpus", res(4, 0, "hopper", 1000, 1000, 0, 1), inventory.Ratio{Num: 1, Den: 4}},
		{"cpu", res(1, 0, "ada", 96_000, 1000, 0, 1), inventory.Ratio{Num: 3, Den: 4}},
		{"memory", res(0, 0, "", 1000, 512_000, 0, 1), inventory.Ratio{Num: 1, Den: 2}},
		{"storage", res(0, 0, "", 1000, 1000, 1000, 9), inventory.Ratio{Num: 9, Den: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := inventory.New(testConfig())
			require.NoError(t, err)
			_, err = inv.Reserve(1, tc.res)
			require.NoError(t, err)
			u := inv.Utilisation()
			require.Equal(t, 0, u.Cmp(tc.want), "got %s want %s", u, tc.want)
			require.InDelta(t, tc.want.Float64(), u.Float64(), 1e-12)
		})
	}
}

func TestRatioCmp(t *testing.T) {
	for _, tc := range []struct {
		a, b inventory.Ratio
		want int
	}{
		{inventory.Ratio{Num: 1, Den: 2}, inventory.Ratio{Num: 2, Den: 4}, 0},
		{inventory.Ratio{Num: 1, Den: 3}, inventory.Ratio{Num: 1, Den: 2}, -1},
		{inventory.Ratio{Num: math.MaxUint64, Den: math.MaxUint64}, inventory.Ratio{Num: 1, Den: 1}, 0},
		{inventory.Ratio{Num: math.MaxUint64 - 1, Den: math.MaxUint64}, inventory.Ratio{Num: 1, Den: 1}, -1},
	} {
		require.Equal(t, tc.want, tc.a.Cmp(tc.b), "%s vs %s", tc.a, tc.b)
		require.Equal(t, -tc.want, tc.b.Cmp(tc.a))
	}
}

// Pools without listed indices get the lowest indices no pool lists, in
// config order; listed ones keep theirs.
func TestGPUIndices(t *testing.T) {
	cfg := inventory.Config{GPUs: []inventory.GPUPool{
		{Class: "hopper", Count: 3, MemoryGB: 80},
		{Class: "ada", Count: 2, MemoryGB: 48, Indices: []int{1, 4}},
		{Class: "ampere", Count: 2, MemoryGB: 24},
	}, CPUMillis: 1, MemoryMB: 1}
	require.NoError(t, cfg.Validate())
	require.Equal(t, map[string][]int{"hopper": {0, 2, 3}, "ada": {1, 4}, "ampere": {5, 6}}, cfg.GPUIndices())
	require.Empty(t, inventory.Config{}.GPUIndices())
}
