package engine

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/daitchain/daitchain/provider/bidengine"
)

const namespace = "daitd_provider"

type metrics struct {
	bidsPlaced     prometheus.Counter
	bidsWon        prometheus.Counter
	bidsLost       *prometheus.CounterVec // label how: lost | closed | reconciled
	bidErrors      prometheus.Counter
	skips          *prometheus.CounterVec // label reason: bidengine.Reason.String()
	leasesActive   prometheus.Gauge
	withdrawn      prometheus.Counter
	withdrawErrors prometheus.Counter
	utilisation    prometheus.Gauge
	reconnects     prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		bidsPlaced: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "bids_placed_total",
			Help: "Bids the chain accepted.",
		}),
		bidsWon: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "bids_won_total",
			Help: "Bids that became leases.",
		}),
		bidsLost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "bids_lost_total",
			Help: "Bids that ended without a lease: lost the auction, closed, or found gone on a rescan.",
		}, []string{"how"}),
		bidErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "bid_errors_total",
			Help: "Bids the engine decided on but failed to submit.",
		}),
		skips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "skips_total",
			Help: "Groups the engine did not bid on, by reason.",
		}, []string{"reason"}),
		leasesActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "leases_active",
			Help: "Leases this provider holds now.",
		}),
		withdrawn: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "earnings_withdrawn_udait_total",
			Help: "Earnings withdrawn, in udait.",
		}),
		withdrawErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "withdraw_errors_total",
			Help: "Withdrawals that failed.",
		}),
		utilisation: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "inventory_utilisation",
			Help: "Share in use of the busiest resource, open bids and leases together, in [0, 1].",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "event_reconnects_total",
			Help: "Times the engine lost the event stream or failed to (re)connect.",
		}),
	}
	for _, r := range bidengine.Reasons() {
		if r != bidengine.ReasonBid {
			m.skips.WithLabelValues(r.String())
		}
	}
	for _, how := range []string{lostAuction, lostClosed, lostReconciled} {
		m.bidsLost.WithLabelValues(how)
	}
	for _, c := range []prometheus.Collector{
		m.bidsPlaced, m.bidsWon, m.bidsLost, m.bidErrors, m.skips, m.leasesActive,
		m.withdrawn, m.withdrawErrors, m.utilisation, m.reconnects,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register engine metrics: %w", err)
		}
	}
	return m, nil
}

const (
	lostAuction    = "lost"
	lostClosed     = "closed"
	lostReconciled = "reconciled"
)
