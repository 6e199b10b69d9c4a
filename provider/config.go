// Package provider holds the provider daemon's configuration file; the
// daemon's parts live in the sub-packages (inventory, pricing, bidengine,
// engine, chain).
package provider

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/provider/gateway"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/offers"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/provider/runtime"
	"github.com/daitchain/daitchain/provider/serving"
)

// Config is the provider daemon's file (see docs/examples/provider.yaml).
type Config struct {
	// Engine: cadences and backoff. engine.provider is filled from --from.
	Engine engine.Config `yaml:"engine"`
	// Inventory is the hardware offered.
	Inventory inventory.Config `yaml:"inventory"`
	// Pricing chooses and configures the pricing strategy.
	Pricing pricing.Config `yaml:"pricing"`
	// MetricsListen is where /metrics is served (empty: no server).
	MetricsListen string `yaml:"metrics_listen"`
	// Gateway serves leases (empty listen: the daemon only bids).
	Gateway gateway.Config `yaml:"gateway"`
	// Serving: manifest timeout, host ports, lifecycle cadence.
	Serving serving.Config `yaml:"serving"`
	// Runtime runs the workloads.
	Runtime RuntimeConfig `yaml:"runtime"`
	// Offers keeps standing offers on the order book, re-priced by the
	// pricing strategy as utilisation moves.
	Offers offers.Config `yaml:"offers"`
	// DataDir holds the gateway certificate, the workload table and the
	// process runtime's workload directories.
	DataDir string `yaml:"data_dir"`
}

// RuntimeConfig chooses the runtime.
type RuntimeConfig struct {
	// Kind is process (the default) or docker.
	Kind string `yaml:"kind"`
	// StopGrace is how long a stopped workload has between SIGTERM and
	// SIGKILL.
	StopGrace time.Duration `yaml:"stop_grace"`
	// Docker configures the docker runtime (kind docker).
	Docker runtime.DockerConfig `yaml:"docker"`
}

// LoadConfig reads a YAML file strictly: unknown keys are errors.
func LoadConfig(path string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks every section; the provider address is checked by the
// engine once it is set.
func (c Config) Validate() error {
	if err := c.Inventory.Validate(); err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	if err := c.Pricing.Validate(); err != nil {
		return fmt.Errorf("pricing: %w", err)
	}
	if err := c.Offers.Validate(); err != nil {
		return fmt.Errorf("offers: %w", err)
	}
	if err := c.Serving.WithDefaults().Validate(); err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	switch c.Runtime.Kind {
	case "", "process":
	case "docker":
		if err := c.Runtime.Docker.Validate(); err != nil {
			return fmt.Errorf("runtime.docker: %w", err)
		}
	default:
		return fmt.Errorf("runtime.kind %q: want process or docker", c.Runtime.Kind)
	}
	return nil
}
