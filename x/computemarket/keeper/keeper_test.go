package keeper_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/daitchain/daitchain/x/computemarket"
	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// The stateless checks the msg server runs read the account prefix from
// the global SDK config, as they do in the app.
func init() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount("dait", "daitpub")
	cfg.SetBech32PrefixForValidator("daitvaloper", "daitvaloperpub")
	cfg.SetBech32PrefixForConsensusNode("daitvalcons", "daitvalconspub")
}

const startHeight = 10

func acc(i byte) sdk.AccAddress { return bytes.Repeat([]byte{i}, 20) }

func str(a sdk.AccAddress) string { return sdk.MustBech32ifyAddressBytes("dait", a) }

func udait(amount int64) sdk.Coin { return sdk.NewInt64Coin(types.Denom, amount) }

var (
	authority = authtypes.NewModuleAddress(govtypes.ModuleName)

	// auditorX and auditorY are whitelisted by the fixture, auditorZ is not.
	auditorX = acc(0x31)
	auditorY = acc(0x32)
	auditorZ = acc(0x33)

	provA   = acc(0x0a)
	provB   = acc(0x0b)
	tenant1 = acc(0x01)
	tenant2 = acc(0x02)

	minBond = types.DefaultProviderMinBond().Amount
)

// ---------------------------------------------------------------- fakes

type fakeAccount struct{ ac address.Codec }

func (f fakeAccount) AddressCodec() address.Codec { return f.ac }
func (fakeAccount) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

// fakeBank and fakeDistribution fail the test when called: registering
// providers and attesting attributes moves no money.
type fakeBank struct{ t *testing.T }

func (f fakeBank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, to string, amt sdk.Coins) error {
	f.t.Errorf("unexpected transfer of %s from %s to module %s", amt, from, to)
	return errors.New("unexpected bank call")
}

func (f fakeBank) SendCoinsFromModuleToAccount(_ context.Context, from string, to sdk.AccAddress, amt sdk.Coins) error {
	f.t.Errorf("unexpected transfer of %s from module %s to %s", amt, from, to)
	return errors.New("unexpected bank call")
}

func (f fakeBank) GetBalance(_ context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	f.t.Errorf("unexpected balance read of %s", addr)
	return sdk.NewInt64Coin(denom, 0)
}

type fakeDistribution struct{ t *testing.T }

func (f fakeDistribution) FundCommunityPool(_ context.Context, amount sdk.Coins, _ sdk.AccAddress) error {
	f.t.Errorf("unexpected community pool funding of %s", amount)
	return errors.New("unexpected distribution call")
}

// fakeTiers reports a configurable bonded amount per address.
type fakeTiers struct {
	bonded map[string]math.Int // by address bytes
	err    error
	// asked is the min bond of the last call.
	asked math.Int
	calls int
}

func (f *fakeTiers) HasTierForProvider(_ context.Context, owner sdk.AccAddress, want math.Int) (bool, math.Int, error) {
	f.calls++
	f.asked = want
	if f.err != nil {
		return false, math.ZeroInt(), f.err
	}
	b, ok := f.bonded[string(owner)]
	if !ok {
		b = math.ZeroInt()
	}
	return b.GTE(want), b, nil
}

// ---------------------------------------------------------------- fixture

type fixture struct {
	key     storetypes.StoreKey
	cms     storetypes.CommitMultiStore
	ctx     sdk.Context
	cdc     codec.Codec
	k       keeper.Keeper
	msgs    types.MsgServer
	queries types.QueryServer
	tiers   *fakeTiers
}

// newFixture builds a keeper on an in-memory store at height 10 with the
// default params and auditorX and auditorY whitelisted.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, fakeBank{t}, fakeDistribution{t})
}

// newFixtureWith is newFixture with the given bank and distribution.
func newFixtureWith(t testing.TB, bank types.BankKeeper, distr types.DistributionKeeper) *fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	testCtx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	return newFixtureOn(t, key, testCtx.CMS, testCtx.Ctx, bank, distr)
}

// newFixtureOn builds the fixture's keeper on a mounted store.
func newFixtureOn(t testing.TB, key *storetypes.KVStoreKey, cms storetypes.CommitMultiStore, ctx sdk.Context, bank types.BankKeeper, distr types.DistributionKeeper) *fixture {
	t.Helper()
	encCfg := moduletestutil.MakeTestEncodingConfig(computemarket.AppModule{})
	ac := addresscodec.NewBech32Codec("dait")
	tiers := &fakeTiers{bonded: map[string]math.Int{}}

	k := keeper.NewKeeper(encCfg.Codec, ac, runtime.NewKVStoreService(key), str(authority),
		fakeAccount{ac}, bank, distr, tiers)
	f := &fixture{
		key:     key,
		cms:     cms,
		ctx:     ctx.WithBlockHeight(startHeight),
		cdc:     encCfg.Codec,
		k:       k,
		msgs:    keeper.NewMsgServerImpl(k),
		queries: keeper.NewQueryServerImpl(k),
		tiers:   tiers,
	}
	require.NoError(t, k.SetParams(f.ctx, f.params(str(auditorX), str(auditorY))))
	return f
}

func (f *fixture) params(auditors ...string) types.Params {
	p := types.DefaultParams()
	p.AuditorWhitelist = auditors
	return p
}

func (f *fixture) bond(owner sdk.AccAddress, amount math.Int) { f.tiers.bonded[string(owner)] = amount }

func (f *fixture) atHeight(h int64) { f.ctx = f.ctx.WithBlockHeight(h) }

// freshEvents gives the context an empty event manager.
func (f *fixture) freshEvents() { f.ctx = f.ctx.WithEventManager(sdk.NewEventManager()) }

func (f *fixture) createProvider(t *testing.T, owner sdk.AccAddress, attrs ...types.Attribute) *types.MsgCreateProvider {
	t.Helper()
	f.bond(owner, minBond)
	msg := &types.MsgCreateProvider{Owner: str(owner), HostUri: "https://" + hostOf(owner), Attributes: attrs}
	_, err := f.msgs.CreateProvider(f.ctx, msg)
	require.NoError(t, err)
	return msg
}

func hostOf(owner sdk.AccAddress) string { return fmt.Sprintf("p%x.example.com", owner[:2]) }

func (f *fixture) audit(t *testing.T, auditor, provider sdk.AccAddress, kv ...string) {
	t.Helper()
	_, err := f.msgs.AuditAttribute(f.ctx, &types.MsgAuditAttribute{Auditor: str(auditor), Provider: str(provider), Attributes: attrs(kv...)})
	require.NoError(t, err)
}

func (f *fixture) records(t *testing.T, provider sdk.AccAddress) []types.AuditRecord {
	t.Helper()
	recs, err := f.k.AuditRecords(f.ctx, provider)
	require.NoError(t, err)
	return recs
}

func (f *fixture) requireNoProvider(t *testing.T, owner sdk.AccAddress) {
	t.Helper()
	_, err := f.k.GetProvider(f.ctx, owner)
	require.ErrorIs(t, err, types.ErrProviderNotFound)
}

func (f *fixture) requireParams(t *testing.T, want types.Params) {
	t.Helper()
	got, err := f.k.GetParams(f.ctx)
	require.NoError(t, err)
	require.Equal(t, f.cdc.MustMarshalJSON(&want), f.cdc.MustMarshalJSON(&got))
}

// typedEvents decodes every event of the context's event manager.
func (f *fixture) typedEvents(t tb) []proto.Message {
	t.Helper()
	var out []proto.Message
	for _, ev := range f.ctx.EventManager().ABCIEvents() {
		msg, err := sdk.ParseTypedEvent(ev)
		require.NoError(t, err, "event %s", ev.Type)
		out = append(out, msg)
	}
	return out
}

func attrs(kv ...string) []types.Attribute {
	var out []types.Attribute
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Attribute{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// ---------------------------------------------------------------- providers

func TestCreateProviderTier(t *testing.T) {
	tests := []struct {
		name    string
		minBond math.Int
		bonded  math.Int
		err     error
	}{
		{"nothing bonded", minBond, math.ZeroInt(), types.ErrProviderTierTooLow},
		{"one udait short", minBond, minBond.SubRaw(1), types.ErrProviderTierTooLow},
		{"exactly the tier", minBond, minBond, nil},
		{"above the tier", minBond, minBond.MulRaw(3), nil},
		{"tier lowered by params", math.NewInt(10), math.NewInt(10), nil},
		{"tier raised by params", minBond.MulRaw(2), minBond, types.ErrProviderTierTooLow},
		{"no tier at all", math.ZeroInt(), math.ZeroInt(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			p := f.params(str(auditorX))
			p.ProviderMinBond = sdk.NewCoin(types.Denom, tc.minBond)
			require.NoError(t, f.k.SetParams(f.ctx, p))
			f.bond(provA, tc.bonded)
			f.freshEvents()

			msg := &types.MsgCreateProvider{Owner: str(provA), HostUri: "https://a.example.com",
				Attributes: attrs("region", "eu"), Info: types.ProviderInfo{Email: "ops@a.example.com"}}
			_, err := f.msgs.CreateProvider(f.ctx, msg)

			require.Equal(t, 1, f.tiers.calls)
			require.True(t, tc.minBond.Equal(f.tiers.asked), "the keeper asks for provider_min_bond, got %s", f.tiers.asked)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				f.requireNoProvider(t, provA)
				require.Empty(t, f.ctx.EventManager().Events())
				return
			}
			require.NoError(t, err)
			got, err := f.k.GetProvider(f.ctx, provA)
			require.NoError(t, err)
			require.Equal(t, types.Provider{
				Owner:         str(provA),
				HostUri:       "https://a.example.com",
				Attributes:    attrs("region", "eu"),
				Info:          types.ProviderInfo{Email: "ops@a.example.com"},
				CreatedHeight: startHeight,
				UpdatedHeight: startHeight,
			}, got)
		})
	}
}

func TestCreateProviderTierError(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("staking unavailable")
	f.tiers.err = boom

	_, err := f.msgs.CreateProvider(f.ctx, &types.MsgCreateProvider{Owner: str(provA), HostUri: "https://a.example.com"})
	require.ErrorIs(t, err, boom)
	f.requireNoProvider(t, provA)
}

func TestCreateProviderInvalidMsg(t *testing.T) {
	f := newFixture(t)
	f.bond(provA, minBond)

	_, err := f.msgs.CreateProvider(f.ctx, &types.MsgCreateProvider{Owner: str(provA), HostUri: "ftp://a.example.com"})
	require.ErrorIs(t, err, types.ErrInvalidHostURI)
	_, err = f.msgs.CreateProvider(f.ctx, &types.MsgCreateProvider{Owner: "provider", HostUri: "https://a.example.com"})
	require.ErrorIs(t, err, types.ErrInvalidAddress)
	require.Zero(t, f.tiers.calls, "stateless checks run before the tier lookup")
	f.requireNoProvider(t, provA)
}

func TestCreateProviderTwice(t *testing.T) {
	f := newFixture(t)
	first := f.createProvider(t, provA, attrs("region", "eu")...)

	f.atHeight(startHeight + 5)
	_, err := f.msgs.CreateProvider(f.ctx, &types.MsgCreateProvider{Owner: str(provA), HostUri: "https://other.example.com"})
	require.ErrorIs(t, err, types.ErrProviderExists)

	got, err := f.k.GetProvider(f.ctx, provA)
	require.NoError(t, err)
	require.Equal(t, first.HostUri, got.HostUri)
	require.Equal(t, first.Attributes, got.Attributes)
	require.Equal(t, int64(startHeight), got.UpdatedHeight)
}

func TestUpdateProvider(t *testing.T) {
	f := newFixture(t)

	_, err := f.msgs.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Owner: str(provA), HostUri: "https://a.example.com"})
	require.ErrorIs(t, err, types.ErrProviderNotFound)
	f.requireNoProvider(t, provA)

	f.createProvider(t, provA, attrs("region", "eu")...)
	f.atHeight(startHeight + 10)
	update := &types.MsgUpdateProvider{
		Owner:      str(provA),
		HostUri:    "https://new.example.com",
		Attributes: attrs("region", "us", "tier", "gold"),
		Info:       types.ProviderInfo{Website: "https://example.com"},
	}
	_, err = f.msgs.UpdateProvider(f.ctx, update)
	require.NoError(t, err)

	got, err := f.k.GetProvider(f.ctx, provA)
	require.NoError(t, err)
	require.Equal(t, types.Provider{
		Owner:         str(provA),
		HostUri:       "https://new.example.com",
		Attributes:    attrs("region", "us", "tier", "gold"),
		Info:          types.ProviderInfo{Website: "https://example.com"},
		CreatedHeight: startHeight,
		UpdatedHeight: startHeight + 10,
	}, got)

	// A provider that unbonded cannot change its offer.
	f.bond(provA, minBond.SubRaw(1))
	f.atHeight(startHeight + 20)
	_, err = f.msgs.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Owner: str(provA), HostUri: "https://third.example.com"})
	require.ErrorIs(t, err, types.ErrProviderTierTooLow)
	unchanged, err := f.k.GetProvider(f.ctx, provA)
	require.NoError(t, err)
	require.Equal(t, got, unchanged)

	// Stateless checks apply to updates too.
	_, err = f.msgs.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Owner: str(provA), HostUri: ""})
	require.ErrorIs(t, err, types.ErrInvalidHostURI)
}

// ---------------------------------------------------------------- audits

func TestAuditAttributeRefused(t *testing.T) {
	f := newFixture(t)
	f.createProvider(t, provA)
	f.freshEvents()

	_, err := f.msgs.AuditAttribute(f.ctx, &types.MsgAuditAttribute{Auditor: str(auditorZ), Provider: str(provA), Attributes: attrs("region", "eu")})
	require.ErrorIs(t, err, types.ErrAuditorNotWhitelisted)
	require.Empty(t, f.records(t, provA))

	// The provider himself is not an auditor either.
	_, err = f.msgs.AuditAttribute(f.ctx, &types.MsgAuditAttribute{Auditor: str(provA), Provider: str(provA), Attributes: attrs("region", "eu")})
	require.ErrorIs(t, err, types.ErrAuditorNotWhitelisted)
	require.Empty(t, f.records(t, provA))

	_, err = f.msgs.AuditAttribute(f.ctx, &types.MsgAuditAttribute{Auditor: str(auditorX), Provider: str(provB), Attributes: attrs("region", "eu")})
	require.ErrorIs(t, err, types.ErrProviderNotFound)
	require.Empty(t, f.records(t, provB))

	_, err = f.msgs.AuditAttribute(f.ctx, &types.MsgAuditAttribute{Auditor: str(auditorX), Provider: str(provA)})
	require.ErrorIs(t, err, types.ErrInvalidAttribute)
	require.Empty(t, f.records(t, provA))

	require.Empty(t, f.ctx.EventManager().Events())
}

func TestAuditAttributeMerges(t *testing.T) {
	f := newFixture(t)
	f.createProvider(t, provA)

	f.audit(t, auditorX, provA, "region", "eu-west", "gpu.count", "4", "bandwidth", "10g")
	require.Equal(t, []types.AuditRecord{{
		Provider:      str(provA),
		Auditor:       str(auditorX),
		Attributes:    attrs("bandwidth", "10g", "gpu.count", "4", "region", "eu-west"),
		UpdatedHeight: startHeight,
	}}, f.records(t, provA), "attributes are stored sorted by key")

	// A second audit overwrites the keys it names and keeps the others.
	f.atHeight(startHeight + 1)
	f.audit(t, auditorX, provA, "tier", "gold", "region", "us-east")
	require.Equal(t, []types.AuditRecord{{
		Provider:      str(provA),
		Auditor:       str(auditorX),
		Attributes:    attrs("bandwidth", "10g", "gpu.count", "4", "region", "us-east", "tier", "gold"),
		UpdatedHeight: startHeight + 1,
	}}, f.records(t, provA))

	// Another auditor has a record of its own.
	f.audit(t, auditorY, provA, "region", "eu-west")
	recs := f.records(t, provA)
	require.Len(t, recs, 2)
	require.Equal(t, str(auditorX), recs[0].Auditor)
	require.Equal(t, attrs("bandwidth", "10g", "gpu.count", "4", "region", "us-east", "tier", "gold"), recs[0].Attributes)
	require.Equal(t, str(auditorY), recs[1].Auditor)
	require.Equal(t, attrs("region", "eu-west"), recs[1].Attributes)
}

func TestAuditAttributeKeyLimit(t *testing.T) {
	f := newFixture(t)
	f.createProvider(t, provA)
	many := func(from, n int) []string {
		var kv []string
		for i := from; i < from+n; i++ {
			kv = append(kv, fmt.Sprintf("k%03d", i), "v")
		}
		return kv
	}
	f.audit(t, auditorX, provA, many(0, 40)...)

	// 40 + 25 new keys is above MaxAttributes once merged.
	_, err := f.msgs.AuditAttribute(f.ctx, &types.MsgAuditAttribute{Auditor: str(auditorX), Provider: str(provA), Attributes: attrs(many(40, 25)...)})
	require.ErrorIs(t, err, types.ErrInvalidAttribute)
	recs := f.records(t, provA)
	require.Len(t, recs, 1)
	require.Len(t, recs[0].Attributes, 40)

	// Overwriting existing keys does not count twice.
	f.audit(t, auditorX, provA, many(16, 24)...)
	f.audit(t, auditorX, provA, many(40, 24)...)
	require.Len(t, f.records(t, provA)[0].Attributes, types.MaxAttributes)
}

func TestRevokeAttribute(t *testing.T) {
	f := newFixture(t)
	f.createProvider(t, provA)
	f.audit(t, auditorX, provA, "a", "1", "b", "2", "c", "3")
	revoke := func(auditor sdk.AccAddress, keys ...string) error {
		_, err := f.msgs.RevokeAttribute(f.ctx, &types.MsgRevokeAttribute{Auditor: str(auditor), Provider: str(provA), Keys: keys})
		return err
	}
	xRecord := func() types.AuditRecord {
		for _, r := range f.records(t, provA) {
			if r.Auditor == str(auditorX) {
				return r
			}
		}
		t.Fatal("auditorX has no record")
		return types.AuditRecord{}
	}

	f.atHeight(startHeight + 1)
	require.NoError(t, revoke(auditorX, "b"))
	require.Equal(t, attrs("a", "1", "c", "3"), xRecord().Attributes)
	require.Equal(t, int64(startHeight+1), xRecord().UpdatedHeight)

	// One unknown key refuses the whole message.
	f.atHeight(startHeight + 2)
	require.ErrorIs(t, revoke(auditorX, "a", "zz"), types.ErrAttestationNotFound)
	require.ErrorIs(t, revoke(auditorX, "b"), types.ErrAttestationNotFound, "b is already revoked")
	require.Equal(t, attrs("a", "1", "c", "3"), xRecord().Attributes)
	require.Equal(t, int64(startHeight+1), xRecord().UpdatedHeight)

	// An auditor without a record, whitelisted or not, revokes nothing.
	require.ErrorIs(t, revoke(auditorY, "a"), types.ErrAttestationNotFound)
	require.ErrorIs(t, revoke(auditorZ, "a"), types.ErrAttestationNotFound)
	require.Equal(t, attrs("a", "1", "c", "3"), xRecord().Attributes)

	// An auditor revokes only its own attestation of a key.
	f.audit(t, auditorY, provA, "a", "1")
	require.NoError(t, revoke(auditorY, "a"))
	require.Equal(t, attrs("a", "1", "c", "3"), xRecord().Attributes)
	require.Len(t, f.records(t, provA), 1, "auditorY's emptied record is removed")

	// An auditor dropped from the whitelist may still revoke; the last key removes the record.
	require.NoError(t, f.k.SetParams(f.ctx, f.params(str(auditorY))))
	require.NoError(t, revoke(auditorX, "c", "a"))
	require.Empty(t, f.records(t, provA))
	require.ErrorIs(t, revoke(auditorX, "a"), types.ErrAttestationNotFound)

	// Stateless checks run first.
	require.ErrorIs(t, revoke(auditorX), types.ErrInvalidAttribute)
}

func TestAuditedAttributesView(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.k.SetParams(f.ctx, f.params(str(auditorX), str(auditorY), str(auditorZ))))
	// Self-declared attributes never count.
	f.createProvider(t, provA, attrs("region", "eu-west", "gpu.count", "64")...)

	view, err := f.k.AuditedAttributes(f.ctx, provA, nil)
	require.NoError(t, err)
	require.Empty(t, view)
	require.False(t, view.Satisfies([]types.Requirement{{Key: "region", Op: types.OpEq, Values: []string{"eu-west"}}}))

	f.audit(t, auditorX, provA, "gpu.count", "4", "region", "eu-west")
	f.audit(t, auditorY, provA, "gpu.count", "8")
	f.audit(t, auditorZ, provA, "tier", "gold")
	// auditorZ leaves the whitelist: its attestations stop counting.
	require.NoError(t, f.k.SetParams(f.ctx, f.params(str(auditorX), str(auditorY))))

	gpu8 := []types.Requirement{{Key: "gpu.count", Op: types.OpGte, Values: []string{"8"}}}
	tests := []struct {
		name      string
		accepted  []string
		want      types.AuditedAttributes
		satisfies bool
	}{
		{"all whitelisted auditors", nil,
			types.AuditedAttributes{"gpu.count": {"4", "8"}, "region": {"eu-west"}}, true},
		{"narrowed to auditorX", []string{str(auditorX)},
			types.AuditedAttributes{"gpu.count": {"4"}, "region": {"eu-west"}}, false},
		{"narrowed to auditorY", []string{str(auditorY)},
			types.AuditedAttributes{"gpu.count": {"8"}}, true},
		{"narrowed to a dropped auditor", []string{str(auditorZ)},
			types.AuditedAttributes{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			view, err := f.k.AuditedAttributes(f.ctx, provA, tc.accepted)
			require.NoError(t, err)
			require.Equal(t, tc.want, view)
			require.Equal(t, tc.satisfies, view.Satisfies(gpu8))
		})
	}

	// Another provider's records are not mixed in.
	view, err = f.k.AuditedAttributes(f.ctx, provB, nil)
	require.NoError(t, err)
	require.Empty(t, view)
}

// ---------------------------------------------------------------- params and messages

func TestMsgUpdateParams(t *testing.T) {
	f := newFixture(t)
	before := f.params(str(auditorX), str(auditorY))

	changed := types.DefaultParams()
	changed.BidDurationBlocks = 60
	changed.TakeRateBps = 250
	changed.AuditorWhitelist = []string{str(auditorZ)}

	invalid := changed
	invalid.TakeRateBps = types.MaxTakeRateBps + 1

	tests := []struct {
		name      string
		authority string
		params    types.Params
		err       error
	}{
		{"not the authority", str(auditorX), changed, types.ErrInvalidAuthority},
		{"empty authority", "", changed, types.ErrInvalidAuthority},
		{"invalid params", str(authority), invalid, types.ErrInvalidParams},
		{"unset params", str(authority), types.Params{}, types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.freshEvents()
			_, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: tc.authority, Params: tc.params})
			require.ErrorIs(t, err, tc.err)
			f.requireParams(t, before)
			require.Empty(t, f.ctx.EventManager().Events())
		})
	}

	f.freshEvents()
	_, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: str(authority), Params: changed})
	require.NoError(t, err)
	f.requireParams(t, changed)
	evs := f.typedEvents(t)
	require.Len(t, evs, 1)
	require.IsType(t, &types.EventParamsUpdated{}, evs[0])
	require.Equal(t, changed.TakeRateBps, evs[0].(*types.EventParamsUpdated).Params.TakeRateBps)
}

func TestTypedEvents(t *testing.T) {
	f := newFixture(t)
	f.bond(provA, minBond)
	tests := []struct {
		name     string
		typeName string
		run      func() error
		want     proto.Message
	}{
		{
			"create provider", "daitchain.computemarket.v1.EventProviderCreated",
			func() error {
				_, err := f.msgs.CreateProvider(f.ctx, &types.MsgCreateProvider{Owner: str(provA), HostUri: "https://a.example.com"})
				return err
			},
			&types.EventProviderCreated{Owner: str(provA), HostUri: "https://a.example.com"},
		},
		{
			"update provider", "daitchain.computemarket.v1.EventProviderUpdated",
			func() error {
				_, err := f.msgs.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Owner: str(provA), HostUri: "https://b.example.com"})
				return err
			},
			&types.EventProviderUpdated{Owner: str(provA), HostUri: "https://b.example.com"},
		},
		{
			"audit attribute", "daitchain.computemarket.v1.EventAttributeAudited",
			func() error {
				_, err := f.msgs.AuditAttribute(f.ctx, &types.MsgAuditAttribute{Auditor: str(auditorX), Provider: str(provA),
					Attributes: attrs("region", "eu", "gpu.count", "2")})
				return err
			},
			&types.EventAttributeAudited{Provider: str(provA), Auditor: str(auditorX), Attributes: attrs("region", "eu", "gpu.count", "2")},
		},
		{
			"revoke attribute", "daitchain.computemarket.v1.EventAttributeRevoked",
			func() error {
				_, err := f.msgs.RevokeAttribute(f.ctx, &types.MsgRevokeAttribute{Auditor: str(auditorX), Provider: str(provA), Keys: []string{"region"}})
				return err
			},
			&types.EventAttributeRevoked{Provider: str(provA), Auditor: str(auditorX), Keys: []string{"region"}},
		},
	}
	// The cases run in order: each acts on the state the previous one left.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.freshEvents()
			require.NoError(t, tc.run())
			events := f.ctx.EventManager().Events()
			require.Len(t, events, 1)
			require.Equal(t, tc.typeName, events[0].Type)
			require.Equal(t, tc.typeName, proto.MessageName(tc.want))
			require.Equal(t, []proto.Message{tc.want}, f.typedEvents(t))
		})
	}
}

// ---------------------------------------------------------------- staking tiers

type fakeStaking struct {
	delegations []stakingtypes.Delegation
	validators  map[string]stakingtypes.Validator // by operator address bytes
	err         error
	visited     int
}

func (f *fakeStaking) IterateDelegatorDelegations(_ context.Context, _ sdk.AccAddress, cb func(stakingtypes.Delegation) bool) error {
	if f.err != nil {
		return f.err
	}
	for _, d := range f.delegations {
		f.visited++
		if cb(d) {
			break
		}
	}
	return nil
}

func (f *fakeStaking) GetValidator(_ context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error) {
	v, ok := f.validators[string(addr)]
	if !ok {
		return stakingtypes.Validator{}, stakingtypes.ErrNoValidatorFound
	}
	return v, nil
}

func (f *fakeStaking) ValidatorAddressCodec() address.Codec {
	return addresscodec.NewBech32Codec("daitvaloper")
}

func TestStakingTiers(t *testing.T) {
	val := func(i byte) string { return sdk.MustBech32ifyAddressBytes("daitvaloper", bytes.Repeat([]byte{i}, 20)) }
	validators := map[string]stakingtypes.Validator{
		// 1 share is 1 token
		string(bytes.Repeat([]byte{1}, 20)): {Status: stakingtypes.Bonded, Tokens: math.NewInt(1000), DelegatorShares: math.LegacyNewDec(1000)},
		string(bytes.Repeat([]byte{2}, 20)): {Status: stakingtypes.Bonded, Tokens: math.NewInt(1000), DelegatorShares: math.LegacyNewDec(1000)},
		// slashed by half: 1 share is 0.5 token
		string(bytes.Repeat([]byte{3}, 20)): {Status: stakingtypes.Bonded, Tokens: math.NewInt(500), DelegatorShares: math.LegacyNewDec(1000)},
		string(bytes.Repeat([]byte{4}, 20)): {Status: stakingtypes.Unbonding, Tokens: math.NewInt(1000), DelegatorShares: math.LegacyNewDec(1000)},
		string(bytes.Repeat([]byte{5}, 20)): {Status: stakingtypes.Unbonded, Tokens: math.NewInt(1000), DelegatorShares: math.LegacyNewDec(1000)},
	}
	del := func(v byte, shares int64) stakingtypes.Delegation {
		return stakingtypes.Delegation{DelegatorAddress: str(provA), ValidatorAddress: val(v), Shares: math.LegacyNewDec(shares)}
	}
	tests := []struct {
		name        string
		delegations []stakingtypes.Delegation
		min         int64
		ok          bool
		bonded      int64
		visited     int
		err         error
	}{
		{"no delegations", nil, 1000, false, 0, 0, nil},
		{"no delegations, no tier", nil, 0, true, 0, 0, nil},
		{"two bonded delegations add up", []stakingtypes.Delegation{del(1, 600), del(2, 400)}, 1000, true, 1000, 2, nil},
		{"unbonding and unbonded validators do not count", []stakingtypes.Delegation{del(1, 600), del(4, 400), del(5, 400)}, 1000, false, 600, 3, nil},
		{"shares of a slashed validator count as tokens", []stakingtypes.Delegation{del(3, 1000), del(1, 400)}, 1000, false, 900, 2, nil},
		{"stops once the tier is reached", []stakingtypes.Delegation{del(1, 1000), del(2, 500)}, 1000, true, 1000, 1, nil},
		{"unknown validator", []stakingtypes.Delegation{del(9, 1000)}, 1000, false, 0, 1, stakingtypes.ErrNoValidatorFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sk := &fakeStaking{delegations: tc.delegations, validators: validators}
			ok, bonded, err := keeper.NewStakingTiers(sk).HasTierForProvider(context.Background(), provA, math.NewInt(tc.min))
			require.Equal(t, tc.visited, sk.visited)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.False(t, ok)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, math.NewInt(tc.bonded).String(), bonded.String())
		})
	}

	boom := errors.New("store closed")
	_, _, err := keeper.NewStakingTiers(&fakeStaking{err: boom}).HasTierForProvider(context.Background(), provA, math.NewInt(1))
	require.ErrorIs(t, err, boom)

	bad := &fakeStaking{delegations: []stakingtypes.Delegation{{ValidatorAddress: "not-a-valoper", Shares: math.LegacyNewDec(1)}}}
	ok, _, err := keeper.NewStakingTiers(bad).HasTierForProvider(context.Background(), provA, math.NewInt(1))
	require.Error(t, err)
	require.False(t, ok)
}

// ---------------------------------------------------------------- genesis

// marketGenesis is a consistent market, every list in key order:
//
//	deployments 1 (tenant1, active): groups 1 (open), 2 (matched, lease 1)
//	deployment  2 (tenant2, closed): group 3 (closed, lease 2 closed)
//	deployment  3 (tenant1, active): groups 4 (open), 5 (paused)
//	deployment  4 (tenant1, closed): no groups
//	bids of provA: 1 (g1 open), 3 (g2 active), 5 (g3 closed), 7 (g4 open)
//	bids of provB: 2 (g1 open), 4 (g2 lost), 6 (g4 open)
func marketGenesis() types.GenesisState {
	params := types.DefaultParams()
	params.AuditorWhitelist = []string{str(auditorX), str(auditorY)}
	spec := func(name string) types.GroupSpec {
		return types.GroupSpec{
			Name:         name,
			Resources:    types.Resources{CpuMillis: 500, MemoryMb: 256, Replicas: 1},
			Requirements: []types.Requirement{{Key: "region", Op: types.OpEq, Values: []string{"eu"}}},
			MaxPrice:     udait(10),
			Deposit:      udait(50 * types.OneDait),
		}
	}
	version := bytes.Repeat([]byte{7}, types.VersionLen)
	deployment := func(id uint64, owner sdk.AccAddress, state types.DeploymentState) types.Deployment {
		d := types.Deployment{Id: id, Owner: str(owner), Version: version, State: state, CreatedHeight: 3, UpdatedHeight: 4}
		if state == types.DeploymentClosed {
			d.ClosedHeight = 8
		}
		return d
	}
	group := func(id, dep uint64, owner sdk.AccAddress, state types.GroupState, auctionEnd int64) types.Group {
		g := types.Group{Id: id, DeploymentId: dep, Owner: str(owner), Spec: spec(fmt.Sprintf("g%d", id)),
			State: state, OpenedAt: 5, AuctionEnd: auctionEnd, CreatedHeight: 3}
		if state == types.GroupClosed {
			g.ClosedHeight = 8
		}
		return g
	}
	escrow := func(group uint64, owner sdk.AccAddress, balance int64) types.Escrow {
		return types.Escrow{GroupId: group, Owner: str(owner), Balance: udait(balance), Deposited: udait(50 * types.OneDait), SettledHeight: 6}
	}
	matched := func(g types.Group, lease uint64) types.Group {
		g.LeaseId = lease
		return g
	}
	bid := func(id, group uint64, provider sdk.AccAddress, state types.BidState) types.Bid {
		b := types.Bid{Id: id, GroupId: group, Provider: str(provider), Price: udait(int64(id)), Deposit: udait(100 * types.OneDait),
			State: state, CreatedHeight: 5}
		if !b.IsLive() {
			b.ClosedHeight = 8
		}
		return b
	}
	return types.GenesisState{
		Params: params,
		Providers: []types.Provider{
			{Owner: str(provA), HostUri: "https://a.example.com", Attributes: attrs("region", "eu"), CreatedHeight: 1, UpdatedHeight: 2},
			{Owner: str(provB), HostUri: "https://b.example.com", Info: types.ProviderInfo{Email: "b@example.com"}, CreatedHeight: 1, UpdatedHeight: 1},
		},
		AuditRecords: []types.AuditRecord{
			{Provider: str(provA), Auditor: str(auditorX), Attributes: attrs("gpu.count", "4", "region", "eu"), UpdatedHeight: 2},
			{Provider: str(provA), Auditor: str(auditorY), Attributes: attrs("gpu.count", "8"), UpdatedHeight: 2},
			{Provider: str(provB), Auditor: str(auditorX), Attributes: attrs("region", "us"), UpdatedHeight: 2},
		},
		Deployments: []types.Deployment{
			deployment(1, tenant1, types.DeploymentActive),
			deployment(2, tenant2, types.DeploymentClosed),
			deployment(3, tenant1, types.DeploymentActive),
			deployment(4, tenant1, types.DeploymentClosed),
		},
		Groups: []types.Group{
			group(1, 1, tenant1, types.GroupOpen, 40),
			matched(group(2, 1, tenant1, types.GroupMatched, 35), 1),
			group(3, 2, tenant2, types.GroupClosed, 35),
			group(4, 3, tenant1, types.GroupOpen, 45),
			group(5, 3, tenant1, types.GroupPaused, 35),
		},
		Escrows: []types.Escrow{
			escrow(1, tenant1, 50*types.OneDait),
			escrow(2, tenant1, 40*types.OneDait),
			escrow(3, tenant2, 0),
			escrow(4, tenant1, 50*types.OneDait),
			escrow(5, tenant1, 50*types.OneDait),
		},
		Bids: []types.Bid{
			bid(1, 1, provA, types.BidOpen),
			bid(2, 1, provB, types.BidOpen),
			bid(3, 2, provA, types.BidActive),
			bid(4, 2, provB, types.BidLost),
			bid(5, 3, provA, types.BidClosed),
			bid(6, 4, provB, types.BidOpen),
			bid(7, 4, provA, types.BidOpen),
		},
		Leases: []types.Lease{
			{Id: 1, BidId: 3, GroupId: 2, DeploymentId: 1, Tenant: str(tenant1), Provider: str(provA), Price: udait(3), Take: udait(0),
				State: types.LeaseActive, Spent: udait(30), Withdrawn: udait(20), CreatedHeight: 6, SettledHeight: 9},
			{Id: 2, BidId: 5, GroupId: 3, DeploymentId: 2, Tenant: str(tenant2), Provider: str(provA), Price: udait(5), Take: udait(0),
				State: types.LeaseClosed, Spent: udait(50), Withdrawn: udait(50), CreatedHeight: 6, ClosedHeight: 8,
				CloseReason: types.CloseReasonDeploymentClosed, SettledHeight: 8},
		},
		NextDeploymentId: 5,
		NextGroupId:      6,
		NextBidId:        8,
		NextLeaseId:      3,
	}
}

// withMarket loads marketGenesis into the fixture.
func (f *fixture) withMarket(t *testing.T) *fixture {
	t.Helper()
	require.NoError(t, f.k.InitGenesis(f.ctx, marketGenesis()))
	return f
}

func (f *fixture) export(t *testing.T) *types.GenesisState {
	t.Helper()
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	return gs
}

func (f *fixture) requireGenesis(t *testing.T, want, got *types.GenesisState) {
	t.Helper()
	require.Equal(t, string(f.cdc.MustMarshalJSON(want)), string(f.cdc.MustMarshalJSON(got)))
	require.Equal(t, f.cdc.MustMarshal(want), f.cdc.MustMarshal(got))
}

func TestGenesisRoundTrip(t *testing.T) {
	in := marketGenesis()
	require.NoError(t, in.Validate())

	f := newFixture(t).withMarket(t)
	out := f.export(t)
	f.requireGenesis(t, &in, out)
	require.NoError(t, out.Validate())

	fresh := newFixture(t)
	require.NoError(t, fresh.k.InitGenesis(fresh.ctx, *out))
	fresh.requireGenesis(t, out, fresh.export(t))
}

// kvPairs lists every key and value of the module's store, in key order.
func (f *fixture) kvPairs(t testing.TB) []string {
	t.Helper()
	it := f.ctx.KVStore(f.key).Iterator(nil, nil)
	defer func() { _ = it.Close() }()
	var out []string
	for ; it.Valid(); it.Next() {
		out = append(out, fmt.Sprintf("%X=%X", it.Key(), it.Value()))
	}
	return out
}

func TestGenesisRebuildsAuctionQueue(t *testing.T) {
	f := newFixture(t).withMarket(t)
	it, err := f.k.AuctionQueue().Iterate(f.ctx, nil)
	require.NoError(t, err)
	queued, err := it.Keys()
	require.NoError(t, err)
	require.Equal(t, []collections.Pair[int64, uint64]{collections.Join(int64(40), uint64(1)), collections.Join(int64(45), uint64(4))}, queued,
		"only OPEN groups are scheduled, at their auction end")
}

func TestGenesisDefault(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.k.InitGenesis(f.ctx, *types.DefaultGenesis()))
	out := f.export(t)
	require.NoError(t, out.Validate())
	f.requireParams(t, types.DefaultParams())
	// next ids of 0 mean 1
	require.Equal(t, []uint64{1, 1, 1, 1}, []uint64{out.NextDeploymentId, out.NextGroupId, out.NextBidId, out.NextLeaseId})
	require.Empty(t, out.Providers)
	require.Empty(t, out.Bids)
}

func TestInitGenesisRefusesInvalid(t *testing.T) {
	f := newFixture(t)
	before := f.export(t)
	gs := marketGenesis()
	gs.Bids[0].GroupId = 99

	require.ErrorIs(t, f.k.InitGenesis(f.ctx, gs), types.ErrInvalidGenesis)
	f.requireGenesis(t, before, f.export(t))
}

// A genesis state that Validate accepts must load; see also
// types.TestGenesisValidateLoadable.
func TestInitGenesisLoadsWhatValidateAccepts(t *testing.T) {

	tests := []struct {
		name   string
		mutate func(*types.GenesisState)
	}{
		{"bid with an empty provider", func(gs *types.GenesisState) { gs.Bids[1].Provider = "" }},
		{"closed lease with a bad tenant", func(gs *types.GenesisState) { gs.Leases[1].Tenant = "tenant" }},
		{"live lease of a group without escrow", func(gs *types.GenesisState) { gs.Escrows = gs.Escrows[2:] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs := marketGenesis()
			tc.mutate(&gs)
			if gs.Validate() != nil {
				return // refused up front: fixed
			}
			f := newFixture(t)
			require.NoError(t, f.k.InitGenesis(f.ctx, gs))
		})
	}
}

// ---------------------------------------------------------------- queries

func requireCode(t *testing.T, want codes.Code, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, status.Code(err), "%v", err)
}

func TestQueryParamsAndAuditors(t *testing.T) {
	f := newFixture(t)
	res, err := f.queries.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, f.params(str(auditorX), str(auditorY)), res.Params)

	auditors, err := f.queries.Auditors(f.ctx, &types.QueryAuditorsRequest{})
	require.NoError(t, err)
	require.Equal(t, []string{str(auditorX), str(auditorY)}, auditors.Auditors)
}

func TestQueryProvider(t *testing.T) {
	f := newFixture(t)
	f.createProvider(t, provA, attrs("region", "eu")...)

	res, err := f.queries.Provider(f.ctx, &types.QueryProviderRequest{Owner: str(provA)})
	require.NoError(t, err)
	stored, err := f.k.GetProvider(f.ctx, provA)
	require.NoError(t, err)
	require.Equal(t, stored, res.Provider)

	_, err = f.queries.Provider(f.ctx, &types.QueryProviderRequest{Owner: str(provB)})
	requireCode(t, codes.NotFound, err)
	_, err = f.queries.Provider(f.ctx, &types.QueryProviderRequest{Owner: "provider"})
	requireCode(t, codes.InvalidArgument, err)
	_, err = f.queries.Provider(f.ctx, &types.QueryProviderRequest{})
	requireCode(t, codes.InvalidArgument, err)
	_, err = f.queries.Provider(f.ctx, nil)
	requireCode(t, codes.InvalidArgument, err)
}

func TestQueryProvidersPagination(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := byte(0x50); i < 0x55; i++ {
		f.createProvider(t, acc(i))
		want = append(want, str(acc(i)))
	}

	all, err := f.queries.Providers(f.ctx, nil)
	require.NoError(t, err)
	require.Len(t, all.Providers, 5)

	first, err := f.queries.Providers(f.ctx, &types.QueryProvidersRequest{Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, uint64(5), first.Pagination.Total)
	require.NotEmpty(t, first.Pagination.NextKey)

	var got []string
	var pages int
	page := first
	for {
		pages++
		require.LessOrEqual(t, len(page.Providers), 2)
		for _, p := range page.Providers {
			got = append(got, p.Owner)
		}
		if len(page.Pagination.NextKey) == 0 {
			break
		}
		page, err = f.queries.Providers(f.ctx, &types.QueryProvidersRequest{Pagination: &query.PageRequest{Key: page.Pagination.NextKey, Limit: 2}})
		require.NoError(t, err)
	}
	require.Equal(t, 3, pages)
	require.Equal(t, want, got, "pages walk every provider once, in address order")

	_, err = f.queries.Providers(f.ctx, &types.QueryProvidersRequest{Pagination: &query.PageRequest{Key: first.Pagination.NextKey, Offset: 1}})
	requireCode(t, codes.InvalidArgument, err)
}

func TestQueryProviderAttributes(t *testing.T) {
	f := newFixture(t).withMarket(t)

	res, err := f.queries.ProviderAttributes(f.ctx, &types.QueryProviderAttributesRequest{Provider: str(provA)})
	require.NoError(t, err)
	require.Equal(t, marketGenesis().AuditRecords[:2], res.Records)

	res, err = f.queries.ProviderAttributes(f.ctx, &types.QueryProviderAttributesRequest{Provider: str(provB)})
	require.NoError(t, err)
	require.Equal(t, marketGenesis().AuditRecords[2:], res.Records)

	res, err = f.queries.ProviderAttributes(f.ctx, &types.QueryProviderAttributesRequest{Provider: str(tenant1)})
	require.NoError(t, err)
	require.Empty(t, res.Records)

	_, err = f.queries.ProviderAttributes(f.ctx, &types.QueryProviderAttributesRequest{Provider: "x"})
	requireCode(t, codes.InvalidArgument, err)
	_, err = f.queries.ProviderAttributes(f.ctx, nil)
	requireCode(t, codes.InvalidArgument, err)
}

// answered is a deployment as queries give it: with its version in hex too.
func answered(d types.Deployment) types.Deployment {
	d.VersionHex = hex.EncodeToString(d.Version)
	return d
}

func TestQueryByID(t *testing.T) {
	f := newFixture(t).withMarket(t)
	gs := marketGenesis()

	dep, err := f.queries.Deployment(f.ctx, &types.QueryDeploymentRequest{Id: 1})
	require.NoError(t, err)
	require.Equal(t, answered(gs.Deployments[0]), dep.Deployment)
	require.Equal(t, gs.Groups[:2], dep.Groups)
	// Group 2's escrow feeds the ACTIVE lease 1 (price 3, settled at 9): the
	// query settles it to the current height 10, one more payment.
	settled := gs.Escrows[1]
	settled.Balance = settled.Balance.Sub(udait(3))
	settled.SettledHeight = f.ctx.BlockHeight()
	require.Equal(t, []types.Escrow{gs.Escrows[0], settled}, dep.Escrows)

	dep, err = f.queries.Deployment(f.ctx, &types.QueryDeploymentRequest{Id: 4})
	require.NoError(t, err)
	require.Equal(t, answered(gs.Deployments[3]), dep.Deployment)
	require.Empty(t, dep.Groups)

	grp, err := f.queries.Group(f.ctx, &types.QueryGroupRequest{Id: 4})
	require.NoError(t, err)
	require.Equal(t, gs.Groups[3], grp.Group)
	require.Equal(t, gs.Escrows[3], grp.Escrow)

	bid, err := f.queries.Bid(f.ctx, &types.QueryBidRequest{Id: 6})
	require.NoError(t, err)
	require.Equal(t, gs.Bids[5], bid.Bid)

	lease, err := f.queries.Lease(f.ctx, &types.QueryLeaseRequest{Id: 2})
	require.NoError(t, err)
	require.Equal(t, gs.Leases[1], lease.Lease)

	tests := []struct {
		name string
		call func(id uint64) error
	}{
		{"deployment", func(id uint64) error {
			_, err := f.queries.Deployment(f.ctx, &types.QueryDeploymentRequest{Id: id})
			return err
		}},
		{"group", func(id uint64) error { _, err := f.queries.Group(f.ctx, &types.QueryGroupRequest{Id: id}); return err }},
		{"bid", func(id uint64) error { _, err := f.queries.Bid(f.ctx, &types.QueryBidRequest{Id: id}); return err }},
		{"lease", func(id uint64) error { _, err := f.queries.Lease(f.ctx, &types.QueryLeaseRequest{Id: id}); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireCode(t, codes.InvalidArgument, tc.call(0))
			requireCode(t, codes.NotFound, tc.call(99))
		})
	}
}

func bidIDs(bids []types.Bid) []uint64 {
	out := []uint64{}
	for _, b := range bids {
		out = append(out, b.Id)
	}
	return out
}

func TestQueryBids(t *testing.T) {
	f := newFixture(t).withMarket(t)
	tests := []struct {
		name string
		req  *types.QueryBidsRequest
		want []uint64
	}{
		{"all", nil, []uint64{1, 2, 3, 4, 5, 6, 7}},
		{"provider A", &types.QueryBidsRequest{Provider: str(provA)}, []uint64{5, 1, 3, 7}}, // ended first
		{"provider B", &types.QueryBidsRequest{Provider: str(provB)}, []uint64{4, 2, 6}},
		{"provider without bids", &types.QueryBidsRequest{Provider: str(auditorX)}, []uint64{}},
		{"provider A, open", &types.QueryBidsRequest{Provider: str(provA), State: types.BidOpen}, []uint64{1, 7}},
		{"provider B on group 2", &types.QueryBidsRequest{Provider: str(provB), GroupId: 2}, []uint64{4}},
		{"group 1", &types.QueryBidsRequest{GroupId: 1}, []uint64{1, 2}},
		{"group 4", &types.QueryBidsRequest{GroupId: 4}, []uint64{6, 7}},
		{"group 2, lost", &types.QueryBidsRequest{GroupId: 2, State: types.BidLost}, []uint64{4}},
		{"group 2, open", &types.QueryBidsRequest{GroupId: 2, State: types.BidOpen}, []uint64{}},
		{"open", &types.QueryBidsRequest{State: types.BidOpen}, []uint64{1, 2, 6, 7}},
		{"unknown group", &types.QueryBidsRequest{GroupId: 42}, []uint64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.queries.Bids(f.ctx, tc.req)
			require.NoError(t, err)
			require.Equal(t, tc.want, bidIDs(res.Bids))
		})
	}

	_, err := f.queries.Bids(f.ctx, &types.QueryBidsRequest{Provider: "provider"})
	requireCode(t, codes.InvalidArgument, err)
}

// The provider index is keyed ((provider, live, group), bid): paging must stay
// inside the provider's prefix across pages.
func TestQueryBidsByProviderPagination(t *testing.T) {
	f := newFixture(t).withMarket(t)
	for _, tc := range []struct {
		provider sdk.AccAddress
		want     []uint64
	}{
		{provA, []uint64{5, 1, 3, 7}},
		{provB, []uint64{4, 2, 6}},
	} {
		t.Run(str(tc.provider), func(t *testing.T) {
			first, err := f.queries.Bids(f.ctx, &types.QueryBidsRequest{Provider: str(tc.provider),
				Pagination: &query.PageRequest{Limit: 1, CountTotal: true}})
			require.NoError(t, err)
			require.Equal(t, uint64(len(tc.want)), first.Pagination.Total)

			got := bidIDs(first.Bids)
			next := first.Pagination.NextKey
			for len(next) != 0 {
				page, err := f.queries.Bids(f.ctx, &types.QueryBidsRequest{Provider: str(tc.provider),
					Pagination: &query.PageRequest{Key: next, Limit: 1}})
				require.NoError(t, err)
				require.Len(t, page.Bids, 1)
				got = append(got, bidIDs(page.Bids)...)
				next = page.Pagination.NextKey
				require.LessOrEqual(t, len(got), len(tc.want), "paging left the provider's prefix")
			}
			require.Equal(t, tc.want, got)

			rev, err := f.queries.Bids(f.ctx, &types.QueryBidsRequest{Provider: str(tc.provider),
				Pagination: &query.PageRequest{Reverse: true}})
			require.NoError(t, err)
			reversed := make([]uint64, len(tc.want))
			for i, id := range tc.want {
				reversed[len(tc.want)-1-i] = id
			}
			require.Equal(t, reversed, bidIDs(rev.Bids))
		})
	}
}

func TestQueryDeployments(t *testing.T) {
	f := newFixture(t).withMarket(t)
	tests := []struct {
		name string
		req  *types.QueryDeploymentsRequest
		want []uint64
	}{
		{"all", nil, []uint64{1, 2, 3, 4}},
		{"tenant1", &types.QueryDeploymentsRequest{Owner: str(tenant1)}, []uint64{1, 3, 4}},
		{"tenant2", &types.QueryDeploymentsRequest{Owner: str(tenant2)}, []uint64{2}},
		{"tenant1, active", &types.QueryDeploymentsRequest{Owner: str(tenant1), State: types.DeploymentActive}, []uint64{1, 3}},
		{"tenant2, active", &types.QueryDeploymentsRequest{Owner: str(tenant2), State: types.DeploymentActive}, []uint64{}},
		{"closed", &types.QueryDeploymentsRequest{State: types.DeploymentClosed}, []uint64{2, 4}},
		{"owner without deployments", &types.QueryDeploymentsRequest{Owner: str(provA)}, []uint64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.queries.Deployments(f.ctx, tc.req)
			require.NoError(t, err)
			ids := []uint64{}
			for _, d := range res.Deployments {
				ids = append(ids, d.Id)
			}
			require.Equal(t, tc.want, ids)
		})
	}
	_, err := f.queries.Deployments(f.ctx, &types.QueryDeploymentsRequest{Owner: "owner"})
	requireCode(t, codes.InvalidArgument, err)
}

func TestQueryGroups(t *testing.T) {
	f := newFixture(t).withMarket(t)
	tests := []struct {
		name string
		req  *types.QueryGroupsRequest
		want []uint64
	}{
		{"all", nil, []uint64{1, 2, 3, 4, 5}},
		{"deployment 1", &types.QueryGroupsRequest{DeploymentId: 1}, []uint64{1, 2}},
		{"deployment 3", &types.QueryGroupsRequest{DeploymentId: 3}, []uint64{4, 5}},
		{"deployment 4", &types.QueryGroupsRequest{DeploymentId: 4}, []uint64{}},
		{"deployment 3, paused", &types.QueryGroupsRequest{DeploymentId: 3, State: types.GroupPaused}, []uint64{5}},
		{"open", &types.QueryGroupsRequest{State: types.GroupOpen}, []uint64{1, 4}},
		{"matched", &types.QueryGroupsRequest{State: types.GroupMatched}, []uint64{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.queries.Groups(f.ctx, tc.req)
			require.NoError(t, err)
			ids := []uint64{}
			for _, g := range res.Groups {
				ids = append(ids, g.Id)
			}
			require.Equal(t, tc.want, ids)
		})
	}
}

func TestQueryLeases(t *testing.T) {
	f := newFixture(t).withMarket(t)
	tests := []struct {
		name string
		req  *types.QueryLeasesRequest
		want []uint64
	}{
		{"all", nil, []uint64{1, 2}},
		{"tenant1", &types.QueryLeasesRequest{Tenant: str(tenant1)}, []uint64{1}},
		{"tenant2", &types.QueryLeasesRequest{Tenant: str(tenant2)}, []uint64{2}},
		{"provider A", &types.QueryLeasesRequest{Provider: str(provA)}, []uint64{1, 2}},
		{"provider B", &types.QueryLeasesRequest{Provider: str(provB)}, []uint64{}},
		{"provider A, closed", &types.QueryLeasesRequest{Provider: str(provA), State: types.LeaseClosed}, []uint64{2}},
		{"provider A, tenant1", &types.QueryLeasesRequest{Provider: str(provA), Tenant: str(tenant1)}, []uint64{1}},
		{"active", &types.QueryLeasesRequest{State: types.LeaseActive}, []uint64{1}},
		{"insufficient funds", &types.QueryLeasesRequest{State: types.LeaseInsufficientFunds}, []uint64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.queries.Leases(f.ctx, tc.req)
			require.NoError(t, err)
			ids := []uint64{}
			for _, l := range res.Leases {
				ids = append(ids, l.Id)
			}
			require.Equal(t, tc.want, ids)
		})
	}
	_, err := f.queries.Leases(f.ctx, &types.QueryLeasesRequest{Tenant: "t"})
	requireCode(t, codes.InvalidArgument, err)
	_, err = f.queries.Leases(f.ctx, &types.QueryLeasesRequest{Provider: "p"})
	requireCode(t, codes.InvalidArgument, err)
}
