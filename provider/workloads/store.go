// Package workloads is the provider daemon's workload table: for each lease
// it serves, what it was sent and what it runs, kept in an embedded bbolt
// database so that a restart re-adopts running workloads instead of closing
// their leases (SPEC section 11).
package workloads

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Phase is where a lease is in the provider's hands.
type Phase string

const (
	// AwaitingManifest: leased, no manifest yet (the manifest timeout runs).
	AwaitingManifest Phase = "awaiting_manifest"
	// Running: the manifest was accepted and its workloads started.
	Running Phase = "running"
	// Closing: the provider decided to close the lease (its reason is
	// Reason) and waits for the chain to say so.
	Closing Phase = "closing"
	// Stopped: the lease closed on chain and its workloads are gone.
	Stopped Phase = "stopped"
)

// Lease is one lease's record.
type Lease struct {
	LeaseID      uint64 `json:"lease_id"`
	BidID        uint64 `json:"bid_id"`
	DeploymentID uint64 `json:"deployment_id"`
	GroupID      uint64 `json:"group_id"`
	Group        string `json:"group"`
	Tenant       string `json:"tenant"`
	// GPUClass is the inventory pool the group's GPUs come from.
	GPUClass string `json:"gpu_class,omitempty"`
	Phase    Phase  `json:"phase"`
	// Version is the deployment's on-chain version the manifest matched.
	Version []byte `json:"version,omitempty"`
	// Manifest is the deployment file's bytes (never secrets: those are
	// not in the file).
	Manifest []byte `json:"manifest,omitempty"`
	// Secrets are the tenant's secret values, sealed to the gateway key
	// (internal/sealed): service -> variable -> sealed value. Never clear.
	Secrets map[string]map[string]string `json:"sealed_secrets,omitempty"`
	// Workloads are what runs, one per service replica.
	Workloads []Workload `json:"workloads,omitempty"`
	// Reason is why the provider is closing the lease (a CloseReason name).
	Reason string `json:"reason,omitempty"`
	// LeasedAt starts the manifest timeout; ManifestAt is when it came.
	LeasedAt   time.Time `json:"leased_at"`
	ManifestAt time.Time `json:"manifest_at,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Workload is one replica of one service, as the runtime runs it.
type Workload struct {
	ID      string            `json:"id"`
	Service string            `json:"service"`
	Replica int               `json:"replica"`
	Ports   map[uint32]uint32 `json:"ports,omitempty"` // service port -> host port
	GPUs    []int             `json:"gpus,omitempty"`
}

var bucket = []byte("leases")

// Store is the table; it is safe for concurrent use.
type Store struct{ db *bolt.DB }

// ErrNotFound: no record for the lease.
var ErrNotFound = errors.New("no workload record for this lease")

// Open opens (or creates) the table at path. A second daemon on the same
// file is refused after a second rather than waiting for ever.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("workload table %s is held by another process (is another daemon running?)", path)
		}
		return nil, fmt.Errorf("workload table %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("workload table %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

func key(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// Put writes a lease's record (UpdatedAt is set by the caller).
func (s *Store) Put(l Lease) error {
	if l.LeaseID == 0 {
		return errors.New("workload record without a lease id")
	}
	v, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key(l.LeaseID), v) })
}

// Get reads a lease's record.
func (s *Store) Get(id uint64) (Lease, error) {
	var l Lease
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get(key(id))
		if v == nil {
			return fmt.Errorf("lease %d: %w", id, ErrNotFound)
		}
		return json.Unmarshal(v, &l)
	})
	return l, err
}

// List returns every record, by lease id.
func (s *Store) List() ([]Lease, error) {
	var out []Lease
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			var l Lease
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// Delete removes a lease's record; a missing one is not an error.
func (s *Store) Delete(id uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(key(id)) })
}
