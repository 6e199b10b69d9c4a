// Package testnet runs the four-validator fault test (scripts/testnet_faults.sh)
// on 127.0.0.1. It needs DAIT_TESTNET=1, which `make test` (and so CI) sets:
// a plain `go test ./...` skips it.
package testnet

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// freePortBase finds 35 consecutive free ports on 127.0.0.1 (the script's
// four nodes use base+10*i+k), away from `make testnet`'s default 36600,
// unless TESTNET_PORT names the base.
func freePortBase(t *testing.T) int {
	if v := os.Getenv("TESTNET_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("TESTNET_PORT=%q: %v", v, err)
		}
		return n
	}
	for base := 41000; base < 60000; base += 100 {
		free := true
		for p := base; p < base+35 && free; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				continue
			}
			_ = l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no 35 consecutive free ports on 127.0.0.1 between 41000 and 60000")
	return 0
}

// scriptLimit is the script's own bound (FAULTS_TIMEOUT); a pass takes
// about 2.5 minutes on 2 cores.
const scriptLimit = 450 * time.Second

// TestTestnetFaults builds build/daitd, then runs scripts/testnet_faults.sh in
// a temporary TESTNET_HOME: validators stopped, halted, restarted and killed
// while a compute-market lease runs, with liveness, halt, no-fork and
// same-app-hash checks and the lease's books compared on every node. The
// script bounds itself (scriptLimit) and stops every node it started on exit.
func TestTestnetFaults(t *testing.T) {
	if os.Getenv("DAIT_TESTNET") != "1" {
		t.Skip("skipping the 4-validator fault test: set DAIT_TESTNET=1 to run it (35 free ports on 127.0.0.1, found at run time; the script installs jq and curl if missing)")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is required: %v", err)
	}
	root := repoRoot(t)

	// A first build with a cold cache takes about 5 minutes: it has its own
	// bound, apart from the script's.
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancelBuild()
	build := exec.CommandContext(buildCtx, "go", "build", "-o", "build/daitd", "./cmd/daitd")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -o build/daitd ./cmd/daitd: %v\n%s", err, out)
	}

	// The script gives up by itself after scriptLimit; the context is a
	// backstop for a script that hangs in its own cleanup.
	ctx, cancel := context.WithTimeout(context.Background(), scriptLimit+time.Minute)
	defer cancel()
	script := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "testnet_faults.sh"))
	script.Dir = root
	script.Env = append(os.Environ(),
		"TESTNET_HOME="+t.TempDir(),
		"DAITD="+filepath.Join(root, "build", "daitd"),
		"TESTNET_PORT="+strconv.Itoa(freePortBase(t)),
		"FAULTS_TIMEOUT="+strconv.Itoa(int(scriptLimit/time.Second)),
	)
	script.Stdout = t.Output()
	script.Stderr = t.Output()
	// On timeout, SIGTERM lets the script's trap stop the nodes; SIGKILL only
	// if it does not exit within 30 s.
	script.Cancel = func() error { return script.Process.Signal(syscall.SIGTERM) }
	script.WaitDelay = 30 * time.Second

	start := time.Now()
	if err := script.Run(); err != nil {
		t.Fatalf("scripts/testnet_faults.sh failed after %s: %v", time.Since(start).Round(time.Second), err)
	}
	t.Logf("scripts/testnet_faults.sh passed in %s", time.Since(start).Round(time.Second))
}

// repoRoot is two directories above this file, where go.mod lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod in %s: %v", root, err)
	}
	return root
}
