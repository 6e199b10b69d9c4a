package types_test

import (
	"math/rand"
	"testing"

	sdkmath "cosmossdk.io/math"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

// NormLimit is a safe bound for the resting-buy walk: whenever a unit can
// serve a group (UnitsFor) at unit price x units <= max price, the unit's
// NormPrice is at most the group's NormLimit. Checked on random units,
// groups and prices, small and huge.
func TestNormLimitBoundsEveryFit(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	pick := func(xs ...uint64) uint64 { return xs[r.Intn(len(xs))] }
	fits := 0
	for i := 0; i < 200_000; i++ {
		gpu := r.Intn(2) == 0
		u := types.ResourceUnit{CpuMillis: pick(500, 1000, 3000, 8000, 1<<40), MemoryMb: pick(1024, 8000, 64000), StorageGb: pick(0, 10, 500)}
		need := types.Resources{CPUMillis: pick(1, 700, 4000, 16000, 1<<50), MemoryMB: pick(1, 512, 30000), StorageGB: pick(0, 5, 900), Replicas: uint32(pick(1, 2, 3, 7))}
		if gpu {
			u.Gpus, u.GpuClass, u.GpuMemoryGb = uint32(pick(1, 2, 8)), "hopper", 80
			need.GPUCount, need.GPUClass, need.GPUMemoryGB = uint32(pick(1, 2, 3, 8, 16)), "hopper", 40
		}
		units, ok := types.UnitsFor(u, need)
		if !ok {
			continue
		}
		price := sdkmath.NewIntFromUint64(pick(1, 3, 999, 2_400_000, 1e18) + uint64(r.Intn(1000)))
		cost := price.Mul(sdkmath.NewInt(int64(units)))
		maxPrice := cost.Add(sdkmath.NewInt(int64(r.Intn(3))))
		if r.Intn(4) == 0 {
			maxPrice = cost.MulRaw(int64(1 + r.Intn(1000)))
		}
		fits++
		if p, l := u.NormPrice(price), types.NormLimit(maxPrice, need); p > l {
			t.Fatalf("unit %+v at %s serves %+v (%d units, %s <= %s) but its NormPrice %d > NormLimit %d", u, price, need, units, cost, maxPrice, p, l)
		}
	}
	if fits < 10_000 {
		t.Fatalf("only %d fitting draws", fits)
	}
}

func TestNormPrice(t *testing.T) {
	gpu := types.ResourceUnit{Gpus: 4, GpuClass: "ada", GpuMemoryGb: 48, CpuMillis: 8000, MemoryMb: 1}
	if got := gpu.NormPrice(sdkmath.NewInt(10_001)); got != 2500 {
		t.Fatalf("per GPU: floor(10001 / 4) = 2500, got %d", got)
	}
	cpu := types.ResourceUnit{CpuMillis: 4000, MemoryMb: 1}
	if got := cpu.NormPrice(sdkmath.NewInt(10_000)); got != 2500 {
		t.Fatalf("per 1000 millis: 10000 x 1000 / 4000 = 2500, got %d", got)
	}
	if got := (types.ResourceUnit{CpuMillis: 1, MemoryMb: 1}).NormPrice(types.MaxPrice); got != ^uint64(0) {
		t.Fatalf("saturates: got %d", got)
	}
	if got := types.NormLimit(sdkmath.NewInt(9000), types.Resources{GPUCount: 2, Replicas: 3}); got != 1500 {
		t.Fatalf("limit per GPU over replicas: 9000 / 6 = 1500, got %d", got)
	}
}
