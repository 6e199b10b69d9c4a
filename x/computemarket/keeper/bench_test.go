package keeper_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// benchAddr is a distinct 20-byte address per index.
func benchAddr(prefix byte, i int) sdk.AccAddress {
	a := make([]byte, 20)
	a[0] = prefix
	binary.BigEndian.PutUint32(a[16:], uint32(i))
	return a
}

// BenchmarkAuctionClose measures the EndBlock that closes one auction with
// n OPEN bids from n eligible providers (10, 100 and the default cap).
func BenchmarkAuctionClose(b *testing.B) {
	for _, n := range []int{10, 100, int(types.DefaultMaxBidsPerGroup)} {
		b.Run(fmt.Sprintf("bids=%d", n), func(b *testing.B) {
			m := newMarket(b)
			providers := make([]sdk.AccAddress, n)
			for i := range providers {
				providers[i] = benchAddr(0xb0, i)
				m.bond(providers[i], minBond)
				m.fund(providers[i], 1_000_000*types.OneDait)
				_, err := m.msgs.CreateProvider(m.ctx, &types.MsgCreateProvider{Owner: str(providers[i]), HostUri: "https://p.example.com"})
				require.NoError(b, err)
				_, err = m.msgs.AuditAttribute(m.ctx, &types.MsgAuditAttribute{Auditor: str(auditorX), Provider: str(providers[i]), Attributes: attrs("region", "na-east")})
				require.NoError(b, err)
			}
			m.fund(tenant1, 1_000_000_000*types.OneDait)
			req := types.Requirement{Key: "region", Op: types.OpIn, Values: []string{"na-east", "eu-west"}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dep, err := m.msgs.CreateDeployment(m.ctx, &types.MsgCreateDeployment{
					Owner: str(tenant1), Version: make([]byte, 32),
					Groups: []types.GroupSpec{spec("g", 1_000_000, 60*types.OneDait, req)},
				})
				require.NoError(b, err)
				gid := dep.GroupIds[0]
				for j, p := range providers {
					_, err := m.msgs.CreateBid(m.ctx, &types.MsgCreateBid{Provider: str(p), GroupId: gid, Price: udait(int64(1000 + (j*7919)%n))})
					require.NoError(b, err)
				}
				g, err := m.k.GetGroup(m.ctx, gid)
				require.NoError(b, err)
				end := m.ctx.WithBlockHeight(g.AuctionEnd)
				m.cms.Commit() // as a chain does between blocks
				b.StartTimer()
				require.NoError(b, m.k.EndBlocker(end))
				b.StopTimer()
				// Free the providers for the next round.
				_, err = m.msgs.CloseDeployment(end, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: dep.DeploymentId})
				require.NoError(b, err)
				m.atHeight(g.AuctionEnd + 1)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkEndBlockIdleLeases measures EndBlock with n ACTIVE leases of
// which none changes state at the measured heights: its cost must not grow
// with n.
func BenchmarkEndBlockIdleLeases(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m := newMarket(b)
			gs := idleLeases(n, m.ctx.BlockHeight())
			require.NoError(b, m.k.InitGenesis(m.ctx, gs))
			// The module account holds the escrows the genesis describes.
			m.fund(moduleAddr, int64(n)*idleDeposit)
			m.cms.Commit()
			h := m.ctx.BlockHeight() + 1
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.k.EndBlocker(m.ctx.WithBlockHeight(h + int64(i%1000))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

const (
	idlePrice   = 1_000
	idleDeposit = 1_000_000_000 // a million blocks of escrow
)

// idleLeases is a genesis with n MATCHED groups, each with an ACTIVE lease
// whose escrow lasts a million blocks.
func idleLeases(n int, h int64) types.GenesisState { return leasesGenesis(n, h, idleDeposit) }

// leasesGenesis is a genesis with n MATCHED groups, each with an ACTIVE
// lease at idlePrice settled at h whose escrow holds escrow udait: all of
// them run dry at the same height, h + escrow/idlePrice.
func leasesGenesis(n int, h, escrow int64) types.GenesisState {
	gs := *types.DefaultGenesis()
	gs.Params.AuditorWhitelist = []string{str(auditorX)}
	tenant := str(tenant1)
	gs.Deployments = []types.Deployment{{Id: 1, Owner: tenant, Version: make([]byte, 32), State: types.DeploymentActive, CreatedHeight: h}}
	providers := 100
	for i := 0; i < providers; i++ {
		gs.Providers = append(gs.Providers, types.Provider{Owner: str(benchAddr(0xc0, i)), HostUri: "https://p.example.com"})
	}
	zero := udait(0)
	for i := 1; i <= n; i++ {
		id := uint64(i)
		provider := gs.Providers[i%providers].Owner
		s := spec(fmt.Sprintf("g%d", i), idlePrice, idleDeposit)
		gs.Groups = append(gs.Groups, types.Group{Id: id, DeploymentId: 1, Owner: tenant, Spec: s, State: types.GroupMatched, OpenedAt: h, AuctionEnd: h, CreatedHeight: h, LeaseId: id})
		gs.Escrows = append(gs.Escrows, types.Escrow{GroupId: id, Owner: tenant, Balance: udait(escrow), Deposited: udait(escrow), SettledHeight: h})
		gs.Bids = append(gs.Bids, types.Bid{Id: id, GroupId: id, Provider: provider, Price: udait(idlePrice), Deposit: zero, State: types.BidActive, CreatedHeight: h})
		gs.Leases = append(gs.Leases, types.Lease{
			Id: id, BidId: id, GroupId: id, DeploymentId: 1, Tenant: tenant, Provider: provider,
			Price: udait(idlePrice), Take: udait(10), State: types.LeaseActive, Spent: zero, Withdrawn: zero,
			CreatedHeight: h, SettledHeight: h,
		})
	}
	gs.NextDeploymentId, gs.NextGroupId, gs.NextBidId, gs.NextLeaseId = 2, uint64(n+1), uint64(n+1), uint64(n+1)
	return gs
}

// BenchmarkEndBlockExhaustions measures the worst block: 10,000 leases run
// dry at one height and EndBlock takes max_items_per_block (1,000) of them;
// the rest carry over. Setting up each iteration is not timed.
func BenchmarkEndBlockExhaustions(b *testing.B) {
	const n, blocks = 10_000, 5
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := newMarket(b)
		h := m.ctx.BlockHeight()
		require.NoError(b, m.k.InitGenesis(m.ctx, leasesGenesis(n, h, blocks*idlePrice)))
		m.fund(moduleAddr, int64(n)*blocks*idlePrice)
		for at := h + 1; at < h+blocks; at++ {
			require.NoError(b, m.k.EndBlocker(m.ctx.WithBlockHeight(at)))
		}
		m.cms.Commit()
		b.StartTimer()
		if err := m.k.EndBlocker(m.ctx.WithBlockHeight(h + blocks)); err != nil {
			b.Fatal(err)
		}
	}
}
