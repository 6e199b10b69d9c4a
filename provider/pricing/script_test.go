//go:build unix

package pricing_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/pricing"
)

func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "price.sh")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return path
}

func TestScript(t *testing.T) {
	q := quote(8, "hopper", 64_000, 512_000, 2000, 1, 5000)
	q.GroupID = 7
	for _, tc := range []struct {
		name    string
		body    string
		want    int64 // 0: declined
		err     error
		exit    int
		stderr  string
		timeout time.Duration
	}{
		{name: "price", body: `cat >/dev/null; echo '{"price":"1234udait"}'`, want: 1234},
		{name: "decimal price rounds up", body: `cat >/dev/null; echo '{"price":"12.1udait"}'`, want: 13},
		{name: "zero price becomes 1 udait", body: `cat >/dev/null; echo '{"price":"0udait"}'`, want: 1},
		{name: "price at max", body: `echo '{"price":"5000udait"}'`, want: 5000},
		{name: "price above max declines", body: `echo '{"price":"5001udait"}'`, want: 0},
		{name: "skip", body: `echo '{"skip":true,"reason":"maintenance"}'`, want: 0},
		{name: "reads the quote", body: `in=$(cat)
case "$in" in
*'"group_id":7'*'"gpu_class":"hopper"'*'"max_price":"5000udait"'*) echo '{"price":"42udait"}' ;;
*) echo "unexpected quote: $in" >&2; exit 9 ;;
esac`, want: 42},
		{name: "bad json", body: `echo 'not json'`, err: pricing.ErrScriptBadOutput},
		{name: "empty output", body: `true`, err: pricing.ErrScriptBadOutput},
		{name: "unknown field", body: `echo '{"prize":"1udait"}'`, err: pricing.ErrScriptBadOutput},
		{name: "neither price nor skip", body: `echo '{"skip":false}'`, err: pricing.ErrScriptBadOutput},
		{name: "both price and skip", body: `echo '{"price":"1udait","skip":true}'`, err: pricing.ErrScriptBadOutput},
		{name: "trailing data", body: `echo '{"price":"1udait"} {"price":"2udait"}'`, err: pricing.ErrScriptBadOutput},
		{name: "wrong denom", body: `echo '{"price":"1stake"}'`, err: pricing.ErrScriptBadOutput},
		{name: "negative price", body: `echo '{"price":"-1udait"}'`, err: pricing.ErrScriptBadOutput},
		{name: "non-zero exit", body: `echo 'no price feed' >&2; exit 3`, err: pricing.ErrScriptExit, exit: 3, stderr: "no price feed"},
		{name: "timeout", body: `sleep 10; echo '{"price":"1udait"}'`, err: pricing.ErrScriptTimeout, timeout: 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pricing.NewScript(pricing.ScriptConfig{Path: writeScript(t, tc.body), Timeout: tc.timeout})
			require.NoError(t, err)
			price, ok, err := s.Price(context.Background(), q)
			if tc.err == nil {
				require.NoError(t, err)
				if tc.want == 0 {
					require.False(t, ok)
					return
				}
				require.True(t, ok)
				require.Equal(t, udait(tc.want), price)
				return
			}
			require.ErrorIs(t, err, tc.err)
			require.False(t, ok)
			var se *pricing.ScriptError
			require.True(t, errors.As(err, &se))
			if tc.exit != 0 {
				require.Equal(t, tc.exit, se.ExitCode)
			}
			require.Equal(t, tc.stderr, se.Stderr)
		})
	}
}

// zombie reports whether pid has exited and waits to be reaped (a
// container's init may never reap it).
func zombie(pid int) bool {
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, ok := strings.Cut(string(bz), ") ")
	return ok && strings.HasPrefix(rest, "Z")
}

// TestScriptTimeoutKillsTheGroup: a script past its timeout is killed with
// its children (the shell and its sleep together): the child's pid is gone
// once Price returns, whatever the machine's speed.
func TestScriptTimeoutKillsTheGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	body := fmt.Sprintf(`sleep 30 & echo $! > %s; wait`, pidFile)
	s, err := pricing.NewScript(pricing.ScriptConfig{Path: writeScript(t, body), Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	_, ok, err := s.Price(context.Background(), quote(0, "", 1000, 1000, 0, 1, 10))
	require.ErrorIs(t, err, pricing.ErrScriptTimeout)
	require.False(t, ok)
	bz, err := os.ReadFile(pidFile)
	require.NoError(t, err, "the script started its child")
	pid, err := strconv.Atoi(strings.TrimSpace(string(bz)))
	require.NoError(t, err)
	// The kill is delivered before Price returns; the kernel reaps the
	// orphan shortly after. Wait for that event, not for a duration.
	for range 200 {
		if syscall.Kill(pid, 0) != nil || zombie(pid) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the script's child %d outlived its killed script", pid)
}

func TestScriptStartFailure(t *testing.T) {
	path := writeScript(t, `echo '{"price":"1udait"}'`)
	s, err := pricing.NewScript(pricing.ScriptConfig{Path: path})
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	_, _, err = s.Price(context.Background(), quote(0, "", 1000, 1000, 0, 1, 10))
	require.ErrorIs(t, err, pricing.ErrScriptStart)
}

func TestScriptCancelled(t *testing.T) {
	s, err := pricing.NewScript(pricing.ScriptConfig{Path: writeScript(t, `sleep 10`), Timeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, _, err = s.Price(ctx, quote(0, "", 1000, 1000, 0, 1, 10))
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, pricing.ErrScriptTimeout)
}

func TestScriptConfigValidate(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.sh")
	require.NoError(t, os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644))
	exe := writeScript(t, "true")
	for _, tc := range []struct {
		name string
		cfg  pricing.ScriptConfig
		ok   bool
	}{
		{"valid", pricing.ScriptConfig{Path: exe, Timeout: time.Second}, true},
		{"default timeout", pricing.ScriptConfig{Path: exe}, true},
		{"no path", pricing.ScriptConfig{}, false},
		{"missing", pricing.ScriptConfig{Path: filepath.Join(dir, "nope")}, false},
		{"directory", pricing.ScriptConfig{Path: dir}, false},
		{"not executable", pricing.ScriptConfig{Path: plain}, false},
		{"negative timeout", pricing.ScriptConfig{Path: exe, Timeout: -time.Second}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, pricing.ErrInvalidConfig)
		})
	}
}
