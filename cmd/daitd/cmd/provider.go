package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/daitchain/daitchain/internal/chainclient"
	"github.com/daitchain/daitchain/provider"
	providerchain "github.com/daitchain/daitchain/provider/chain"
	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
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
The first SIGINT/SIGTERM stops it cleanly; a second one exits at once.`,
		Example: "daitd provider run --config docs/examples/provider.yaml --from provider1 --gas-prices 0.025udait",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString(flagConfig)
			cfg, err := provider.LoadConfig(path)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
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
			owner := clientCtx.GetFromAddress().String()
			cfg.Engine.Provider = owner
			inv, err := inventory.New(cfg.Inventory)
			if err != nil {
				return err
			}
			strategy, err := pricing.New(cfg.Pricing)
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)).With("provider", owner)
			registry := prometheus.NewRegistry()
			eng, err := engine.New(cfg.Engine, engine.Deps{
				Chain:     providerchain.New(owner, clientCtx, chainclient.NewSubmitter(clientCtx, txf)),
				Events:    providerchain.NewEvents(clientCtx.NodeURI),
				Inventory: inv,
				Strategy:  strategy,
				Registry:  registry,
				Logger:    logger,
			})
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context(), logger, os.Exit)
			defer stop()
			if cfg.MetricsListen != "" {
				srv := &http.Server{Addr: cfg.MetricsListen, Handler: promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
				go func() {
					if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
						logger.Error("metrics server", "err", err)
					}
				}()
				defer func() {
					sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_ = srv.Shutdown(sctx)
				}()
				logger.Info("metrics", "url", fmt.Sprintf("http://%s/metrics", cfg.MetricsListen))
			}
			logger.Info("provider daemon started", "node", clientCtx.NodeURI)
			err = eng.Run(ctx)
			logger.Info("provider daemon stopped")
			return err
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
