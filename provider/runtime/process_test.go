package runtime_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/runtime"
)

func newProcess(t *testing.T, dir string) *runtime.Process {
	t.Helper()
	p, err := runtime.NewProcess(dir, 2*time.Second)
	require.NoError(t, err)
	return p
}

func shSpec(id, script string) runtime.Spec {
	return runtime.Spec{ID: id, Command: []string{"/bin/sh", "-c", script}}
}

// logs reads a workload's whole output.
func logs(t *testing.T, p *runtime.Process, id string, tail int) string {
	t.Helper()
	r, err := p.Logs(context.Background(), id, tail, false)
	require.NoError(t, err)
	defer func() { _ = r.Close() }()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

// eventually polls cond (an event: a log line, an exit) within a bound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupGone says whether no process is left running in the group led by pid.
func groupGone(pid int) bool { return !runtime.GroupAlive(pid) }

func pidOf(t *testing.T, dir, id string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, id, "pid"))
	require.NoError(t, err)
	var pid int
	_, err = fmt.Sscanf(string(data), "%d", &pid)
	require.NoError(t, err)
	return pid
}

// A workload runs with only its own environment (its variables, ports,
// GPUs), writes to its log, and Stop kills its whole process group.
func TestProcessStartLogsStop(t *testing.T) {
	t.Setenv("DAEMON_ONLY", "leak")
	dir := t.TempDir()
	p := newProcess(t, dir)
	ctx := context.Background()
	spec := shSpec("lease-1-web-0", `echo "started port=$PORT p8080=$PORT_8080 gpus=$CUDA_VISIBLE_DEVICES model=$MODEL daemon=${DAEMON_ONLY:-unset} home=$HOME"; sleep 300 & wait`)
	spec.Env = []runtime.EnvVar{{Name: "MODEL", Value: "llama"}}
	spec.Ports = []runtime.PortMap{{Port: 8080, HostPort: 18080}}
	spec.GPUs = []int{0, 3}
	require.NoError(t, p.Start(ctx, spec))
	pid := pidOf(t, dir, spec.ID)

	eventually(t, "the first log line", func() bool { return strings.Contains(logs(t, p, spec.ID, 0), "started") })
	home := filepath.Join(dir, spec.ID, "work")
	require.Equal(t, "started port=18080 p8080=18080 gpus=0,3 model=llama daemon=unset home="+home+"\n", logs(t, p, spec.ID, 0))
	st, err := p.Status(ctx, spec.ID)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.Error(t, p.Start(ctx, spec), "a running workload is not started twice")

	require.NoError(t, p.Stop(ctx, spec.ID))
	require.True(t, groupGone(pid), "the shell and its sleep are gone")
	_, err = p.Status(ctx, spec.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	require.NoError(t, p.Stop(ctx, spec.ID), "stopping a stopped workload is not an error")
	require.Contains(t, logs(t, p, spec.ID, 0), "started", "the log outlives the workload")
}

// A workload that ignores SIGTERM is killed after the grace period.
func TestProcessStopKillsStubbornGroup(t *testing.T) {
	dir := t.TempDir()
	p := newProcess(t, dir)
	spec := shSpec("stubborn", `trap "" TERM; echo ready; while :; do sleep 1; done`)
	require.NoError(t, p.Start(context.Background(), spec))
	pid := pidOf(t, dir, spec.ID)
	eventually(t, "ready", func() bool { return strings.Contains(logs(t, p, spec.ID, 0), "ready") })
	require.NoError(t, p.Stop(context.Background(), spec.ID))
	require.True(t, groupGone(pid))
}

// A second runtime on the same directory (the daemon restarted) adopts a
// running workload by its pid file, and can stop it; a gone one is not
// adopted.
func TestProcessAdoptAfterRestart(t *testing.T) {
	dir := t.TempDir()
	first := newProcess(t, dir)
	ctx := context.Background()
	spec := shSpec("lease-2-api-0", `echo up; sleep 300 & wait`)
	require.NoError(t, first.Start(ctx, spec))
	pid := pidOf(t, dir, spec.ID)
	eventually(t, "up", func() bool { return strings.Contains(logs(t, first, spec.ID, 0), "up") })

	second := newProcess(t, dir)
	_, err := second.Status(ctx, spec.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound, "not known before Adopt")
	require.NoError(t, second.Adopt(ctx, spec))
	st, err := second.Status(ctx, spec.ID)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.Contains(t, logs(t, second, spec.ID, 0), "up")

	require.NoError(t, second.Stop(ctx, spec.ID))
	require.True(t, groupGone(pid))
	third := newProcess(t, dir)
	require.ErrorIs(t, third.Adopt(ctx, spec), runtime.ErrNotFound)
	require.ErrorIs(t, third.Adopt(ctx, shSpec("never-started", "true")), runtime.ErrNotFound)
}

// A pid file naming a live process that is not ours (another start time)
// is not adopted.
func TestProcessAdoptRefusesReusedPid(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "w"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "w", "pid"), []byte("1 12345\n"), 0o600))
	p := newProcess(t, dir)
	require.ErrorIs(t, p.Adopt(context.Background(), shSpec("w", "true")), runtime.ErrNotFound)
}

func TestProcessExitCodeAndFollow(t *testing.T) {
	p := newProcess(t, t.TempDir())
	ctx := context.Background()
	spec := shSpec("job", `for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done; exit 3`)
	require.NoError(t, p.Start(ctx, spec))
	r, err := p.Logs(ctx, spec.ID, 0, true)
	require.NoError(t, err)
	all, err := io.ReadAll(r) // ends when the workload has stopped
	require.NoError(t, err)
	require.Equal(t, "line1\nline2\nline3\nline4\nline5\n", string(all))
	st, err := p.Status(ctx, spec.ID)
	require.NoError(t, err)
	require.False(t, st.Running)
	require.Equal(t, 3, st.ExitCode)

	require.Equal(t, "line4\nline5\n", logs(t, p, spec.ID, 2))
	require.Equal(t, "line1\nline2\nline3\nline4\nline5\n", logs(t, p, spec.ID, 50))
}

// Following stops when the caller's context ends.
func TestProcessFollowCancelled(t *testing.T) {
	p := newProcess(t, t.TempDir())
	spec := shSpec("chatty", `echo hi; sleep 300 & wait`)
	require.NoError(t, p.Start(context.Background(), spec))
	t.Cleanup(func() { _ = p.Stop(context.Background(), spec.ID) })
	ctx, cancel := context.WithCancel(context.Background())
	r, err := p.Logs(ctx, spec.ID, 0, true)
	require.NoError(t, err)
	buf := make([]byte, 3)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.Equal(t, "hi\n", string(buf))
	cancel()
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, context.Canceled)
}

func TestProcessRefusals(t *testing.T) {
	p := newProcess(t, t.TempDir())
	ctx := context.Background()
	require.ErrorContains(t, p.Start(ctx, runtime.Spec{ID: "img", Image: "nginx"}), "the process runtime runs a command")
	for _, id := range []string{"", "..", "a/b", `a\b`} {
		require.Error(t, p.Start(ctx, shSpec(id, "true")), "id %q", id)
	}
	require.Error(t, p.Start(ctx, runtime.Spec{ID: "missing", Command: []string{"/no/such/program"}}))
	_, err := p.Logs(ctx, "nothing", 0, false)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	_, err = runtime.NewProcess("", time.Second)
	require.Error(t, err)
}
