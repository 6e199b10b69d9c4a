package keeper_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// ledger is an in-memory bank: udait balances by address, with the module
// account and the community pool as ordinary entries. Transfers fail like
// x/bank's when funds are short.
type ledger struct {
	balances map[string]math.Int
	pool     math.Int
}

func newLedger() *ledger { return &ledger{balances: map[string]math.Int{}, pool: math.ZeroInt()} }

var moduleAddr = authtypes.NewModuleAddress(types.ModuleName)

func (l *ledger) balance(a sdk.AccAddress) math.Int {
	if b, ok := l.balances[string(a)]; ok {
		return b
	}
	return math.ZeroInt()
}

func (l *ledger) move(from, to sdk.AccAddress, amt sdk.Coins) error {
	for _, c := range amt {
		if c.Denom != types.Denom {
			return fmt.Errorf("ledger only holds %s, got %s", types.Denom, c)
		}
		have := l.balance(from)
		if have.LT(c.Amount) {
			return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "%s < %s", have, c)
		}
		l.balances[string(from)] = have.Sub(c.Amount)
		l.balances[string(to)] = l.balance(to).Add(c.Amount)
	}
	return nil
}

func (l *ledger) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, _ string, amt sdk.Coins) error {
	return l.move(from, moduleAddr, amt)
}

func (l *ledger) SendCoinsFromModuleToAccount(_ context.Context, _ string, to sdk.AccAddress, amt sdk.Coins) error {
	return l.move(moduleAddr, to, amt)
}

func (l *ledger) GetBalance(_ context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewCoin(denom, l.balance(addr))
}

func (l *ledger) FundCommunityPool(_ context.Context, amount sdk.Coins, sender sdk.AccAddress) error {
	have, want := l.balance(sender), amount.AmountOf(types.Denom)
	if have.LT(want) {
		return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "%s < %s", have, amount)
	}
	l.balances[string(sender)] = have.Sub(want)
	l.pool = l.pool.Add(want)
	return nil
}

// total is every udait the ledger knows, pool included: it never changes.
func (l *ledger) total() math.Int {
	t := l.pool
	for _, b := range l.balances {
		t = t.Add(b)
	}
	return t
}

// market is a keeper fixture whose bank is a ledger, for the market
// lifecycle and the escrow: every block ends with the module's EndBlocker
// and the invariants.
type market struct {
	*fixture
	bank *ledger
}

func newMarket(t testing.TB) *market {
	t.Helper()
	bank := newLedger()
	return &market{fixture: newFixtureWith(t, bank, bank), bank: bank}
}

// fund gives an account udait out of thin air (genesis-like).
func (m *market) fund(a sdk.AccAddress, n int64) {
	m.bank.balances[string(a)] = m.bank.balance(a).Add(math.NewInt(n))
}

// provider registers a bonded provider and has auditorX attest kv pairs.
func (m *market) provider(t *testing.T, owner sdk.AccAddress, kv ...string) {
	t.Helper()
	m.bond(owner, minBond)
	m.fund(owner, 10_000*types.OneDait)
	m.createProvider(t, owner)
	if len(kv) > 0 {
		m.audit(t, auditorX, owner, kv...)
	}
}

// spec is a valid group spec: name, max price and deposit in udait.
func spec(name string, maxPrice, deposit int64, reqs ...types.Requirement) types.GroupSpec {
	return types.GroupSpec{
		Name:         name,
		Resources:    types.Resources{GPU: types.GPU{Count: 1, MemoryGb: 80, Class: "hopper"}, CpuMillis: 1000, MemoryMb: 1024, StorageGb: 10, Replicas: 1},
		Requirements: reqs,
		MaxPrice:     udait(maxPrice),
		Deposit:      udait(deposit),
	}
}

// deploy creates a deployment of the given groups for owner.
func (m *market) deploy(t *testing.T, owner sdk.AccAddress, groups ...types.GroupSpec) *types.MsgCreateDeploymentResponse {
	t.Helper()
	res, err := m.msgs.CreateDeployment(m.ctx, &types.MsgCreateDeployment{Owner: str(owner), Version: make([]byte, 32), Groups: groups})
	require.NoError(t, err)
	return res
}

// bid places a bid with the default deposit.
func (m *market) bid(t *testing.T, provider sdk.AccAddress, group uint64, price int64) *types.MsgCreateBidResponse {
	t.Helper()
	res, err := m.msgs.CreateBid(m.ctx, &types.MsgCreateBid{Provider: str(provider), GroupId: group, Price: udait(price)})
	require.NoError(t, err)
	return res
}

// endBlock runs EndBlock at the current height, checks every invariant and
// moves to the next height.
func (m *market) endBlock(t tb) {
	t.Helper()
	require.NoError(t, m.k.EndBlocker(m.ctx))
	m.checkInvariants(t)
	m.atHeight(m.ctx.BlockHeight() + 1)
}

// advance ends blocks until the current height is h.
func (m *market) advance(t *testing.T, h int64) {
	t.Helper()
	for m.ctx.BlockHeight() < h {
		m.endBlock(t)
	}
}

// commit commits the store as the end of a block does. Long runs need it:
// until a commit, every store iterator walks all writes since the start.
func (m *market) commit(t tb) {
	t.Helper()
	cms, ok := m.ctx.MultiStore().(storetypes.CommitMultiStore)
	require.True(t, ok, "the context's store is a %T, not a commit multistore", m.ctx.MultiStore())
	cms.Commit()
}

func (m *market) checkInvariants(t tb) {
	t.Helper()
	msg, broken := keeper.AllInvariants(m.k)(m.ctx)
	require.False(t, broken, msg)
}

func (m *market) group(t *testing.T, id uint64) types.Group {
	t.Helper()
	g, err := m.k.GetGroup(m.ctx, id)
	require.NoError(t, err)
	return g
}

func (m *market) lease(t *testing.T, id uint64) types.Lease {
	t.Helper()
	l, err := m.k.GetLease(m.ctx, id)
	require.NoError(t, err)
	return l
}

func (m *market) bidOf(t *testing.T, id uint64) types.Bid {
	t.Helper()
	b, err := m.k.GetBid(m.ctx, id)
	require.NoError(t, err)
	return b
}

func (m *market) escrow(t *testing.T, group uint64) types.Escrow {
	t.Helper()
	e, err := m.k.GetEscrow(m.ctx, group)
	require.NoError(t, err)
	return e
}
