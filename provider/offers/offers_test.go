package offers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/offers"
	"github.com/daitchain/daitchain/provider/pricing"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// book is a fake chain holding this provider's offers.
type book struct {
	offers  []obtypes.Offer
	creates int
	updates int
	closes  int
	fail    error
}

func (b *book) MyOffers(context.Context) ([]obtypes.Offer, error) {
	var out []obtypes.Offer
	for _, o := range b.offers {
		if o.State == obtypes.OfferOpen {
			out = append(out, o)
		}
	}
	return out, b.fail
}

func (b *book) CreateOffer(_ context.Context, u obtypes.ResourceUnit, price sdk.Coin, capacity uint32) error {
	b.creates++
	b.offers = append(b.offers, obtypes.Offer{Id: uint64(len(b.offers) + 1), Unit: u, Price: price, Capacity: capacity, Available: capacity, State: obtypes.OfferOpen})
	return nil
}

func (b *book) UpdateOffer(_ context.Context, id uint64, price sdk.Coin, capacity uint32, _ int64) error {
	b.updates++
	o := &b.offers[id-1]
	taken := o.Capacity - o.Available
	o.Price, o.Capacity, o.Available = price, capacity, capacity-taken
	return nil
}

func (b *book) CloseOffer(_ context.Context, id uint64) error {
	b.closes++
	b.offers[id-1].State = obtypes.OfferClosed
	return nil
}

var inv = inventory.Config{
	GPUs:      []inventory.GPUPool{{Class: "hopper", Count: 4, MemoryGB: 80}, {Class: "ada", Count: 4, MemoryGB: 48}},
	CPUMillis: 64_000, MemoryMB: 512_000, StorageGB: 8_000,
}

func costBased(t *testing.T) pricing.Strategy {
	s, err := pricing.New(pricing.Config{Strategy: "cost_based", CostBased: &pricing.CostBasedConfig{
		EnergyPerKWh: "150000", BlockSeconds: "1",
		GPUs:                         map[string]pricing.GPUCost{"hopper": {Watts: "700", AmortisationPerBlock: "2000000"}, "ada": {Watts: "300", AmortisationPerBlock: "900000"}},
		CPUWattsPer1000Millis:        "10",
		CPUAmortisationPer1000Millis: "10000",
		MemoryAmortisationPerGB:      "200",
		StorageAmortisationPerGB:     "20",
		MarginBps:                    1000,
		IdleFactor:                   "0.8",
		FullFactor:                   "1.6",
	}})
	require.NoError(t, err)
	return s
}

// snapshot is the engine's free inventory with usedHopper hopper GPUs (and
// their share of CPU) taken.
func snapshot(usedHopper uint64) func() inventory.Free {
	return func() inventory.Free {
		return inventory.Free{
			GPUs:      []inventory.FreeGPUs{{Class: "hopper", MemoryGB: 80, Free: 4 - usedHopper, Total: 4}, {Class: "ada", MemoryGB: 48, Free: 4, Total: 4}},
			CPUMillis: 64_000 - usedHopper*8_000, MemoryMB: 512_000, StorageGB: 8_000,
			TotalCPUMillis: 64_000, TotalMemoryMB: 512_000, TotalStorageGB: 8_000,
		}
	}
}

func TestOffersFollowUtilisation(t *testing.T) {
	b := &book{}
	now := time.Unix(1_800_000_000, 0)
	used := uint64(0)
	m, err := offers.New(offers.Config{Enabled: true, MinInterval: time.Minute, MinChangeBps: 500}, offers.Deps{
		Chain: b, Strategy: costBased(t), Inventory: inv,
		Free: func() inventory.Free { return snapshot(used)() }, Now: func() time.Time { return now },
	})
	require.NoError(t, err)
	ctx := context.Background()

	// One offer per pool, a unit being one GPU and its share of the rest.
	require.NoError(t, m.Step(ctx))
	require.Equal(t, 2, b.creates)
	require.Equal(t, "gpu:ada:48", b.offers[0].Unit.Class(), "pools in class order")
	require.Equal(t, obtypes.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 1, CpuMillis: 8_000, MemoryMb: 64_000, StorageGb: 1_000}, b.offers[1].Unit)
	require.Equal(t, uint32(4), b.offers[1].Capacity)
	idle := b.offers[1].Price.Amount

	// Nothing moved: nothing is sent.
	require.NoError(t, m.Step(ctx))
	require.Equal(t, 0, b.updates)

	// Half the hoppers leased: higher utilisation, higher price, capacity 2.
	used = 2
	now = now.Add(time.Minute)
	require.NoError(t, m.Step(ctx))
	require.Equal(t, 2, b.updates, "both pools' prices follow the machine's utilisation")
	require.True(t, b.offers[1].Price.Amount.GT(idle), "%s > %s", b.offers[1].Price.Amount, idle)
	require.Equal(t, uint32(2), b.offers[1].Capacity)

	// Within min_interval, a further change waits.
	used = 3
	now = now.Add(30 * time.Second)
	require.NoError(t, m.Step(ctx))
	require.Equal(t, 2, b.updates)
	now = now.Add(30 * time.Second)
	require.NoError(t, m.Step(ctx))
	require.Equal(t, 4, b.updates)
	require.Equal(t, uint32(1), b.offers[1].Capacity)

	// All hoppers gone: the hopper offer is withdrawn, the ada one stays.
	used = 4
	now = now.Add(time.Minute)
	require.NoError(t, m.Step(ctx))
	require.Equal(t, 1, b.closes)
	require.Equal(t, obtypes.OfferClosed, b.offers[1].State)
	require.Equal(t, obtypes.OfferOpen, b.offers[0].State)

	// Free again: a new offer.
	used = 0
	now = now.Add(time.Minute)
	require.NoError(t, m.Step(ctx))
	require.Equal(t, 3, b.creates)

	b.fail = errors.New("node down")
	require.ErrorContains(t, m.Step(ctx), "node down")
}

func TestOffersConfig(t *testing.T) {
	require.NoError(t, offers.Config{}.Validate())
	require.Error(t, offers.Config{Every: time.Millisecond}.Validate())
	require.Error(t, offers.Config{MinChangeBps: 10_001}.Validate())
	_, err := offers.New(offers.Config{}, offers.Deps{})
	require.ErrorIs(t, err, offers.ErrInvalidConfig)
	q := offers.Quote(offers.Unit(inv, inv.GPUs[0]), inventory.Ratio{Num: 1, Den: 2})
	require.Equal(t, uint32(1), q.Resources.GPU.Count)
	require.Equal(t, math.NewIntFromBigInt(obtypes.MaxPrice.BigInt()), q.MaxPrice.Amount)
}
