package types_test

import (
	"math/big"
	"math/rand"
	"testing"

	sdkmath "cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

func TestClass(t *testing.T) {
	gpu := types.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 2, CpuMillis: 8000, MemoryMb: 64000}
	require.Equal(t, "gpu:hopper:80", gpu.Class())
	require.Equal(t, uint64(1), gpu.Scale())
	q, ok := gpu.Quantity(3)
	require.True(t, ok)
	require.Equal(t, uint64(6), q, "3 units of 2 GPUs")
	cpu := types.ResourceUnit{CpuMillis: 4000, MemoryMb: 8000}
	require.Equal(t, "cpu", cpu.Class())
	q, ok = cpu.Quantity(2)
	require.True(t, ok)
	require.Equal(t, uint64(8000), q)
	_, ok = types.ResourceUnit{}.Quantity(1)
	require.False(t, ok, "a unit with nothing in it")
	_, ok = types.ResourceUnit{CpuMillis: 1 << 40}.Quantity(1 << 30)
	require.False(t, ok, "overflow")

	c, m, err := types.ParseClass("gpu:ada:48")
	require.NoError(t, err)
	require.Equal(t, "ada", c)
	require.Equal(t, uint32(48), m)
	_, _, err = types.ParseClass("cpu")
	require.NoError(t, err)
	for _, bad := range []string{"", "gpu", "gpu:ada", "gpu::48", "gpu:ada:0", "gpu:ada:x", "tpu:a:1", "gpu:a:1:2"} {
		_, _, err = types.ParseClass(bad)
		require.Error(t, err, bad)
	}
}

// trade is what the brute-force model keeps.
type trade struct {
	height   int64
	notional int64
	quantity uint64
}

// The ring gives exactly what recomputing from the trades in the window
// gives (whole buckets that start in the window), for random trade
// streams, bucket sizes and windows.
func TestStatsMatchRecompute(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for run := 0; run < 200; run++ {
		class := "gpu:hopper:80"
		scale := int64(1)
		if run%3 == 0 {
			class, scale = "cpu", types.CPUScale
		}
		bucketBlocks := int64(1 + rng.Intn(10))
		ring := uint32(1 + rng.Intn(8))
		s := types.MarketStats{Class: class}
		var trades []trade
		h := int64(rng.Intn(5))
		for i := 0; i < 1+rng.Intn(60); i++ {
			h += int64(rng.Intn(4))
			tr := trade{height: h, notional: int64(1 + rng.Intn(1_000_000)), quantity: uint64(1 + rng.Intn(16))}
			require.NoError(t, s.Record(types.Trade{Height: tr.height, Notional: sdkmath.NewInt(tr.notional), Quantity: tr.quantity}, bucketBlocks, ring))
			trades = append(trades, tr)
		}
		window := bucketBlocks * int64(1+rng.Intn(int(ring)))
		got := s.Summarise(h, window)

		var notional int64
		var quantity, count uint64
		var lo, hi int64 = -1, -1
		for _, tr := range trades {
			start := tr.height - tr.height%bucketBlocks
			// In the window, and still in the ring (ring buckets back from the head).
			if start <= h-window || h-h%bucketBlocks-start >= int64(ring)*bucketBlocks {
				continue
			}
			notional += tr.notional
			quantity += tr.quantity
			count++
			p := tr.notional * scale / int64(tr.quantity)
			if lo < 0 || p < lo {
				lo = p
			}
			if p > hi {
				hi = p
			}
		}
		require.Equal(t, count, got.Trades, "run %d", run)
		require.Equal(t, quantity, got.Quantity, "run %d", run)
		if count > 0 {
			require.Equal(t, notional*scale/int64(quantity), got.VWAP.Int64(), "run %d", run)
			require.Equal(t, lo, got.Min.Int64(), "run %d", run)
			require.Equal(t, hi, got.Max.Int64(), "run %d", run)
		} else {
			require.True(t, got.VWAP.IsZero())
		}
		last := trades[len(trades)-1]
		require.Equal(t, last.notional*scale/int64(last.quantity), got.Last.Int64())
		require.Equal(t, uint64(len(trades)), s.TotalTrades)
		require.LessOrEqual(t, len(s.Buckets), int(ring), "bounded storage")
		hist := s.History()
		for i := 1; i < len(hist); i++ {
			require.Less(t, hist[i-1].StartHeight, hist[i].StartHeight, "history is oldest first")
		}
	}
}

func TestStatsRefusals(t *testing.T) {
	s := types.MarketStats{Class: "cpu"}
	require.ErrorIs(t, s.Record(types.Trade{Height: 10, Notional: sdkmath.NewInt(5), Quantity: 0}, 5, 4), types.ErrStats)
	require.ErrorIs(t, s.Record(types.Trade{Height: 10, Notional: sdkmath.NewInt(5), Quantity: 1}, 0, 4), types.ErrStats)
	require.ErrorIs(t, s.Record(types.Trade{Height: 10, Notional: sdkmath.NewInt(-5), Quantity: 1}, 5, 4), types.ErrStats)
	require.ErrorIs(t, s.Record(types.Trade{Height: 10, Quantity: 1}, 5, 4), types.ErrStats, "nil notional")
	require.NoError(t, s.Record(types.Trade{Height: 10, Notional: sdkmath.NewInt(5), Quantity: 1}, 5, 4))
	before := s
	require.ErrorIs(t, s.Record(types.Trade{Height: 3, Notional: sdkmath.NewInt(5), Quantity: 1}, 5, 4), types.ErrStats, "before the head bucket")
	require.Equal(t, before, s, "a refused trade changes nothing")
	huge := sdkmath.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 250))
	require.ErrorIs(t, s.Record(types.Trade{Height: 11, Notional: huge, Quantity: 1}, 5, 4), types.ErrStats, "overflow")
	require.Equal(t, before, s)
}

func TestUnitsFor(t *testing.T) {
	unit := types.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 2, CpuMillis: 16000, MemoryMb: 128000, StorageGb: 500}
	need := types.Resources{GPUCount: 4, GPUMemoryGB: 40, GPUClass: "hopper", CPUMillis: 16000, MemoryMB: 64000, StorageGB: 100, Replicas: 3}
	n, ok := types.UnitsFor(unit, need)
	require.True(t, ok)
	require.Equal(t, uint32(6), n, "2 units a replica (GPUs), 3 replicas")
	need.CPUMillis = 48000
	n, _ = types.UnitsFor(unit, need)
	require.Equal(t, uint32(9), n, "CPU is the binding need: 3 units a replica")
	need.GPUClass = ""
	_, ok = types.UnitsFor(unit, need)
	require.True(t, ok, "a group naming no class takes any")
	for _, bad := range []types.Resources{
		{GPUCount: 1, GPUMemoryGB: 94, CPUMillis: 1, MemoryMB: 1},                       // too little GPU memory
		{GPUCount: 1, GPUClass: "ada", CPUMillis: 1, MemoryMB: 1},                       // another class
		{CPUMillis: 1000, MemoryMB: 1},                                                  // a CPU group on a GPU unit
		{GPUCount: 1, CPUMillis: 1, MemoryMB: 1, StorageGB: 1 << 60, Replicas: 1 << 20}, // too many units
	} {
		_, ok := types.UnitsFor(unit, bad)
		require.False(t, ok, "%+v", bad)
	}
	cpu := types.ResourceUnit{CpuMillis: 1000, MemoryMb: 2000}
	n, ok = types.UnitsFor(cpu, types.Resources{CPUMillis: 4500, MemoryMB: 1000, Replicas: 2})
	require.True(t, ok)
	require.Equal(t, uint32(10), n)
	_, ok = types.UnitsFor(cpu, types.Resources{CPUMillis: 1000, MemoryMB: 1000, StorageGB: 1})
	require.False(t, ok, "the unit has no storage")
}
