package types_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// The stateless checks read the account prefix from the global SDK config,
// as they do in the app.
func init() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount("dait", "daitpub")
	cfg.SetBech32PrefixForValidator("daitvaloper", "daitvaloperpub")
	cfg.SetBech32PrefixForConsensusNode("daitvalcons", "daitvalconspub")
}

// addr is a deterministic account address; distinct i give distinct addresses.
func addr(i byte) string {
	return sdk.MustBech32ifyAddressBytes("dait", bytes.Repeat([]byte{i}, 20))
}

func udait(amount int64) sdk.Coin { return sdk.NewInt64Coin(types.Denom, amount) }

// coin builds a coin without sdk.NewCoin's checks, so that tests can hold
// negative amounts and bad denoms.
func coin(denom string, amount int64) sdk.Coin {
	return sdk.Coin{Denom: denom, Amount: math.NewInt(amount)}
}

func TestDefaultParams(t *testing.T) {
	p := types.DefaultParams()

	require.Equal(t, uint64(30), p.BidDurationBlocks)
	require.Equal(t, sdk.NewInt64Coin("udait", 100_000_000), p.BidMinDeposit)
	require.Equal(t, sdk.NewInt64Coin("udait", 50_000_000), p.LeaseMinDeposit)
	require.Equal(t, uint32(100), p.TakeRateBps)
	require.Empty(t, p.AuditorWhitelist)
	require.Equal(t, uint32(256), p.MaxBidsPerGroup)
	require.Equal(t, sdk.NewInt64Coin("udait", 1_000_000_000), p.ProviderMinBond)
	require.NoError(t, p.Validate())

	require.Equal(t, p, types.DefaultGenesis().Params)
}

func TestParamsValidate(t *testing.T) {
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = addr(byte(i + 1))
		}
		return out
	}
	tests := []struct {
		name   string
		mutate func(*types.Params)
		valid  bool
	}{
		{"defaults", func(*types.Params) {}, true},
		{"bid duration 1", func(p *types.Params) { p.BidDurationBlocks = 1 }, true},
		{"take rate 0", func(p *types.Params) { p.TakeRateBps = 0 }, true},
		{"take rate 100%", func(p *types.Params) { p.TakeRateBps = 10_000 }, true},
		{"two auditors", func(p *types.Params) { p.AuditorWhitelist = []string{addr(1), addr(2)} }, true},
		{"100 auditors", func(p *types.Params) { p.AuditorWhitelist = many(100) }, true},
		{"max bids 1", func(p *types.Params) { p.MaxBidsPerGroup = 1 }, true},
		{"max bids 10000", func(p *types.Params) { p.MaxBidsPerGroup = 10_000 }, true},
		{"provider min bond zero", func(p *types.Params) { p.ProviderMinBond = udait(0) }, true},

		{"bid duration 0", func(p *types.Params) { p.BidDurationBlocks = 0 }, false},
		{"bid min deposit zero", func(p *types.Params) { p.BidMinDeposit = udait(0) }, false},
		{"bid min deposit wrong denom", func(p *types.Params) { p.BidMinDeposit = coin("stake", 100) }, false},
		{"bid min deposit no denom", func(p *types.Params) { p.BidMinDeposit = coin("", 100) }, false},
		{"bid min deposit negative", func(p *types.Params) { p.BidMinDeposit = coin("udait", -1) }, false},
		{"bid min deposit unset amount", func(p *types.Params) { p.BidMinDeposit = sdk.Coin{Denom: "udait"} }, false},
		{"lease min deposit zero", func(p *types.Params) { p.LeaseMinDeposit = udait(0) }, false},
		{"lease min deposit wrong denom", func(p *types.Params) { p.LeaseMinDeposit = coin("uatom", 5) }, false},
		{"lease min deposit negative", func(p *types.Params) { p.LeaseMinDeposit = coin("udait", -5) }, false},
		{"take rate 10001", func(p *types.Params) { p.TakeRateBps = 10_001 }, false},
		{"duplicate auditor", func(p *types.Params) { p.AuditorWhitelist = []string{addr(1), addr(2), addr(1)} }, false},
		{"duplicate auditor in upper case", func(p *types.Params) {
			p.AuditorWhitelist = []string{addr(1), strings.ToUpper(addr(1))}
		}, false},
		{"auditor not an address", func(p *types.Params) { p.AuditorWhitelist = []string{"auditor"} }, false},
		{"auditor empty", func(p *types.Params) { p.AuditorWhitelist = []string{""} }, false},
		{"auditor with another prefix", func(p *types.Params) {
			p.AuditorWhitelist = []string{sdk.MustBech32ifyAddressBytes("cosmos", bytes.Repeat([]byte{1}, 20))}
		}, false},
		{"101 auditors", func(p *types.Params) { p.AuditorWhitelist = many(101) }, false},
		{"max bids 0", func(p *types.Params) { p.MaxBidsPerGroup = 0 }, false},
		{"max bids 10001", func(p *types.Params) { p.MaxBidsPerGroup = 10_001 }, false},
		{"provider min bond negative", func(p *types.Params) { p.ProviderMinBond = coin("udait", -1) }, false},
		{"provider min bond wrong denom", func(p *types.Params) { p.ProviderMinBond = coin("stake", 1000) }, false},
		{"provider min bond unset", func(p *types.Params) { p.ProviderMinBond = sdk.Coin{} }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := types.DefaultParams()
			tc.mutate(&p)
			err := p.Validate()
			if tc.valid {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, types.ErrInvalidParams)
		})
	}
}

func TestParamsIsAuditor(t *testing.T) {
	p := types.DefaultParams()
	require.False(t, p.IsAuditor(addr(1)), "the default whitelist is empty")

	p.AuditorWhitelist = []string{addr(1), addr(2)}
	require.True(t, p.IsAuditor(addr(1)))
	require.True(t, p.IsAuditor(addr(2)))
	require.False(t, p.IsAuditor(addr(3)))
	require.False(t, p.IsAuditor(""))
}

// Validate reads whitelist entries as addresses (an upper-case spelling of a
// listed address is a duplicate), but IsAuditor and NewAuditedAttributes
// compare strings: an auditor whitelisted in upper case can never attest
// under its canonical address. Either Validate must refuse non-canonical
// spellings or the lookups must compare addresses.
func TestParamsNonCanonicalAuditor(t *testing.T) {

	p := types.DefaultParams()
	p.AuditorWhitelist = []string{strings.ToUpper(addr(1))}
	if err := p.Validate(); err != nil {
		require.ErrorIs(t, err, types.ErrInvalidParams)
		return
	}
	require.True(t, p.IsAuditor(addr(1)), "a whitelist Validate accepts must match the auditor's canonical address")
}
