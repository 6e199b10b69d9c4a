package cmd

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/daitchain/daitchain/provider"
)

const flagConfig = "config"

// ProviderCommand is `daitd provider`: the provider daemon.
func ProviderCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provider",
		Short: "Provider daemon: watch the market, price, bid, serve leases, withdraw",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(providerRunCmd())
	return cmd
}

func providerRunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run --config provider.yaml --from <key>",
		Short: "Run the provider daemon until SIGINT or SIGTERM",
		Long: `Runs the bidding engine for the --from account: it scans OPEN and ORDERED groups,
follows market events over the node's websocket (--node), bids on what its inventory and
audited attributes can serve at its pricing strategy's price, and withdraws earnings.
With a gateway configured it also serves its leases: it publishes the gateway's
certificate on chain, accepts each lease's manifest from its tenant, runs the services
(process runtime), watches their health and closes leases whose manifest never came or
whose services fail.
The first SIGINT/SIGTERM stops it cleanly (workloads keep running and are re-adopted on
the next start); a second one dumps every goroutine's stack and exits at once.`,
		Example: "daitd provider run --config docs/examples/provider.yaml --from provider1 --gas-prices 0.025udait",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString(flagConfig)
			cfg, err := provider.LoadConfig(path)
			if err != nil {
				return err
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			txf, err := tx.NewFactoryCLI(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			if txf.Gas() == flags.DefaultGasLimit && !txf.SimulateAndExecute() {
				txf = txf.WithSimulateAndExecute(true).WithGasAdjustment(1.5)
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)).With("provider", clientCtx.GetFromAddress().String())
			ctx, stop := signalContext(cmd.Context(), logger, func(code int) {
				_ = pprof.Lookup("goroutine").WriteTo(cmd.ErrOrStderr(), 2)
				os.Exit(code)
			})
			defer stop()
			return provider.Run(ctx, cfg, provider.Deps{ClientCtx: clientCtx, TxFactory: txf, Logger: logger})
		},
	}
	cmd.Flags().String(flagConfig, "provider.yaml", "daemon configuration file")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// signalContext is cancelled by the first SIGINT or SIGTERM; a second one
// exits the process at once with status 1 (exit is os.Exit but in tests).
// Its stop releases the signals and returns once the watcher has ended.
func signalContext(parent context.Context, logger *slog.Logger, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		defer close(done)
		select {
		case s, ok := <-sigs:
			if !ok {
				return
			}
			logger.Info("stopping", "signal", s.String())
			cancel()
		case <-ctx.Done():
			return
		}
		if s, ok := <-sigs; ok {
			logger.Error("second signal: exiting now", "signal", s.String())
			exit(1)
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
		close(sigs)
		<-done
	}
}
