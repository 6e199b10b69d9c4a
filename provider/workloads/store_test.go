package workloads_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/workloads"
)

func TestStorePersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workloads.db")
	s, err := workloads.Open(path)
	require.NoError(t, err)
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	running := workloads.Lease{
		LeaseID: 300, DeploymentID: 7, GroupID: 9, Group: "web", Tenant: "dait1tenant", Phase: workloads.Running,
		Version: []byte{1, 2}, Manifest: []byte("groups: []\n"), LeasedAt: at, ManifestAt: at.Add(time.Minute), UpdatedAt: at,
		Workloads: []workloads.Workload{{ID: "lease-300-web-0", Service: "web", Ports: map[uint32]uint32{8080: 18080}, GPUs: []int{0, 1}}},
	}
	waiting := workloads.Lease{LeaseID: 2, Phase: workloads.AwaitingManifest, LeasedAt: at, UpdatedAt: at}
	require.NoError(t, s.Put(running))
	require.NoError(t, s.Put(waiting))
	require.Error(t, s.Put(workloads.Lease{}), "a record needs a lease id")

	// A second daemon on the same file is refused with a clear error.
	_, err = workloads.Open(path)
	require.ErrorContains(t, err, "held by another process")
	require.NoError(t, s.Close())

	s, err = workloads.Open(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	got, err := s.Get(300)
	require.NoError(t, err)
	require.Equal(t, running, got)
	all, err := s.List()
	require.NoError(t, err)
	require.Equal(t, []workloads.Lease{waiting, running}, all, "listed by lease id, not insertion")

	require.NoError(t, s.Delete(2))
	require.NoError(t, s.Delete(2), "deleting twice is fine")
	_, err = s.Get(2)
	require.ErrorIs(t, err, workloads.ErrNotFound)
}
