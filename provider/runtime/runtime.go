// Package runtime runs a lease's services on the provider's machine behind
// one interface (SPEC section 11). The process runtime (this package's
// Process) is the embedded default; a docker runtime and, later, a
// Kubernetes one implement the same Runtime.
package runtime

import (
	"context"
	"errors"
	"io"
)

// Spec is one replica of one service of a lease, as the provider decided
// to run it: the manifest's service plus what the provider assigned.
type Spec struct {
	// ID names the workload; the provider keeps it in its workload table
	// and gives it back to Adopt, Stop, Status and Logs. It is unique per
	// (lease, service, replica) and safe as a file or container name.
	ID string
	// Labels describe the workload for the runtime's own listing (lease,
	// group, service, replica); a runtime stores them where it can.
	Labels map[string]string
	Image  string
	// Command and Args as in the manifest.
	Command []string
	Args    []string
	// Env is the service's environment, secrets included, plus what the
	// runtime adds (ports, GPUs).
	Env []EnvVar
	// Ports maps each port the service listens on to the host port the
	// provider assigned.
	Ports []PortMap
	// GPUs are the host GPU indices this workload may use.
	GPUs []int
	// Limits the runtime applies where the host allows.
	CPUMillis uint64
	MemoryMB  uint64
}

// EnvVar is one variable of a workload's environment.
type EnvVar struct{ Name, Value string }

// PortMap is a service port and the host port it is reached at.
type PortMap struct {
	Port     uint32 // as the manifest names it
	HostPort uint32
}

// State is what a runtime knows of a workload.
type State struct {
	Running bool
	// ExitCode is the exit status once it stopped (-1 when unknown, e.g.
	// a process adopted after a restart that then exited).
	ExitCode int
}

// ErrNotFound: the runtime has no such workload (never started, or gone).
var ErrNotFound = errors.New("workload not found")

// Runtime starts, adopts, inspects and stops workloads. Every method is
// safe for concurrent use.
type Runtime interface {
	// Name is the runtime's config name ("process", "docker").
	Name() string
	// Start runs a workload; it returns once the workload is started (not
	// healthy: the provider's health checks decide that).
	Start(ctx context.Context, spec Spec) error
	// Adopt takes back a workload started before a restart of the daemon;
	// ErrNotFound if it is not running any more.
	Adopt(ctx context.Context, spec Spec) error
	// Status reports whether the workload runs.
	Status(ctx context.Context, id string) (State, error)
	// Logs returns the workload's output: the last tail lines (0: all),
	// and then, with follow, what it writes until ctx ends or it stops.
	Logs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error)
	// Stop ends the workload and frees what it held; stopping one that is
	// gone is not an error.
	Stop(ctx context.Context, id string) error
}
