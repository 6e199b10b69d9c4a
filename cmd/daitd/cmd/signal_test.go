package cmd

import (
	"context"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The daemon's two-signal stop, with real signals sent to this process
// (caught by signalContext while it is registered): the first cancels the
// context, the second exits with status 1. The waits are bounds on events,
// not timings.
func TestSignalContextTwoSignals(t *testing.T) {
	exited := make(chan int, 1)
	ctx, stop := signalContext(context.Background(), slog.New(slog.NewTextHandler(t.Output(), nil)), func(code int) { exited <- code })
	defer stop()

	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first SIGTERM did not cancel the context")
	}
	select {
	case code := <-exited:
		t.Fatalf("exit(%d) after one signal", code)
	default:
	}

	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGINT))
	select {
	case code := <-exited:
		require.Equal(t, 1, code)
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not exit")
	}
}

// A context stopped without a signal (the engine returned by itself)
// releases the handler: no exit, and the goroutine ends.
func TestSignalContextStopWithoutSignal(t *testing.T) {
	exited := make(chan int, 1)
	ctx, stop := signalContext(context.Background(), slog.New(slog.NewTextHandler(t.Output(), nil)), func(code int) { exited <- code })
	stop()
	<-ctx.Done()
	select {
	case code := <-exited:
		t.Fatalf("exit(%d) without a signal", code)
	default:
	}
}
