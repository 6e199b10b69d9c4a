package cli

import (
	"strings"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// NewQueryCmd holds the hand-written queries; autocli adds the module's
// own to the same command. The market-data queries live in x/orderbook
// (ADR 0007); market, order-book and price-history are here too, so a
// buyer finds the going price where it buys.
func NewQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Compute market queries",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		marketDataCmd("market <class>", "A class's market data: last, VWAP, min, max, volume, open offers, resting buys (as `query orderbook market`)",
			func(cmd *cobra.Command, q obtypes.QueryClient, class string) error {
				res, err := q.Market(cmd.Context(), &obtypes.QueryMarketRequest{Class: class})
				return printed(cmd, res, err)
			}),
		marketDataCmd("order-book <class>", "A class's offers by price and resting buys by limit, --depth levels each (as `query orderbook order-book`)",
			func(cmd *cobra.Command, q obtypes.QueryClient, class string) error {
				depth, err := cmd.Flags().GetUint32("depth")
				if err != nil {
					return err
				}
				res, err := q.OrderBook(cmd.Context(), &obtypes.QueryOrderBookRequest{Class: class, Depth: depth})
				return printed(cmd, res, err)
			}),
		marketDataCmd("price-history <class>", "A class's trade buckets, oldest first (as `query orderbook price-history`)",
			func(cmd *cobra.Command, q obtypes.QueryClient, class string) error {
				res, err := q.PriceHistory(cmd.Context(), &obtypes.QueryPriceHistoryRequest{Class: class})
				return printed(cmd, res, err)
			}),
	)
	return cmd
}

func marketDataCmd(use, short string, run func(*cobra.Command, obtypes.QueryClient, string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Args:    cobra.ExactArgs(1),
		Example: "daitd query computemarket " + strings.TrimSuffix(use, " <class>") + " gpu:hopper:80",
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			return run(cmd, obtypes.NewQueryClient(clientCtx), args[0])
		},
	}
	if strings.HasPrefix(use, "order-book") {
		cmd.Flags().Uint32("depth", 0, "price levels on each side (0: 20, at most 100)")
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

func printed(cmd *cobra.Command, res proto.Message, err error) error {
	if err != nil {
		return err
	}
	return client.GetClientContextFromCmd(cmd).PrintProto(res)
}
