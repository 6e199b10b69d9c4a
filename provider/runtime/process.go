package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Process runs each workload as a child process in its own process group,
// working directory and environment (SPEC section 11's development and test
// runtime). It is NOT isolated: the child runs as the daemon's user and
// sees its filesystem; CPU and memory limits are not enforced (the docker
// runtime enforces them with cgroups). It sets RLIMIT_NOFILE and
// RLIMIT_CORE, hides GPUs not assigned (CUDA_VISIBLE_DEVICES), and kills
// the whole process group on Stop.
//
// Layout under Dir, per workload ID: work/ (the working directory),
// output.log (stdout and stderr), pid (pid and kernel start time, so that
// Adopt after a daemon restart never takes a reused pid).
type Process struct {
	Dir string
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	StopGrace time.Duration

	mu    sync.Mutex
	procs map[string]*proc
}

type proc struct {
	pid       int
	startTime uint64
	done      chan struct{} // closed when the process is known to be gone
	exitCode  int
	child     bool // started here (waited on) rather than adopted
}

// NewProcess makes a process runtime keeping its workloads under dir.
func NewProcess(dir string, stopGrace time.Duration) (*Process, error) {
	if dir == "" {
		return nil, errors.New("process runtime: a directory is required")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("process runtime: %w", err)
	}
	if stopGrace <= 0 {
		stopGrace = 10 * time.Second
	}
	return &Process{Dir: dir, StopGrace: stopGrace, procs: map[string]*proc{}}, nil
}

// Name is "process".
func (p *Process) Name() string { return "process" }

func (p *Process) path(id string, elem ...string) (string, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return "", fmt.Errorf("workload id %q is not a plain name", id)
	}
	return filepath.Join(append([]string{p.Dir, id}, elem...)...), nil
}

// Start runs spec.Command (and Args); the image is ignored.
func (p *Process) Start(_ context.Context, spec Spec) error {
	if len(spec.Command) == 0 {
		return fmt.Errorf("workload %s: the process runtime runs a command; the service has only an image", spec.ID)
	}
	work, err := p.path(spec.ID, "work")
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr, ok := p.procs[spec.ID]; ok && alive(pr) {
		return fmt.Errorf("workload %s is already running (pid %d)", spec.ID, pr.pid)
	}
	if err := os.MkdirAll(work, 0o750); err != nil {
		return err
	}
	logPath, _ := p.path(spec.ID, "output.log")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer func() { _ = out.Close() }() // the child holds its own descriptor

	cmd := exec.Command(spec.Command[0], append(append([]string{}, spec.Command[1:]...), spec.Args...)...) //nolint:gosec // the tenant's command is what the provider runs
	cmd.Dir = work
	cmd.Env = processEnv(spec, work)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("workload %s: %w", spec.ID, err)
	}
	pid := cmd.Process.Pid
	for _, l := range []struct {
		res int
		v   uint64
	}{{unix.RLIMIT_NOFILE, 4096}, {unix.RLIMIT_CORE, 0}} {
		_ = unix.Prlimit(pid, l.res, &unix.Rlimit{Cur: l.v, Max: l.v}, nil) // best effort: the host may refuse
	}
	st, _ := startTime(pid)
	pr := &proc{pid: pid, startTime: st, done: make(chan struct{}), child: true, exitCode: -1}
	pidPath, _ := p.path(spec.ID, "pid")
	if err := os.WriteFile(pidPath, []byte(fmt.Sprintf("%d %d\n", pid, st)), 0o640); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Wait()
		return err
	}
	go func() {
		err := cmd.Wait()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
		p.mu.Lock()
		pr.exitCode = code
		p.mu.Unlock()
		close(pr.done)
	}()
	p.procs[spec.ID] = pr
	return nil
}

// processEnv is the child's whole environment: no variable of the daemon's
// but PATH, then the service's, then PORT_<port>=<host port> for each port
// (and PORT for the first), HOME the working directory, and
// CUDA_VISIBLE_DEVICES the assigned GPUs (empty: none visible).
func processEnv(spec Spec, work string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work}
	for _, e := range spec.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	for i, pm := range spec.Ports {
		env = append(env, fmt.Sprintf("PORT_%d=%d", pm.Port, pm.HostPort))
		if i == 0 {
			env = append(env, fmt.Sprintf("PORT=%d", pm.HostPort))
		}
	}
	gpus := make([]string, len(spec.GPUs))
	for i, g := range spec.GPUs {
		gpus[i] = strconv.Itoa(g)
	}
	return append(env, "CUDA_VISIBLE_DEVICES="+strings.Join(gpus, ","))
}

// Adopt finds a workload started before a daemon restart by its pid file;
// the pid must still be the same process (same kernel start time).
func (p *Process) Adopt(_ context.Context, spec Spec) error {
	pidPath, err := p.path(spec.ID, "pid")
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr, ok := p.procs[spec.ID]; ok && alive(pr) {
		return nil
	}
	data, err := os.ReadFile(pidPath)
	if err != nil {
		return fmt.Errorf("workload %s: %w", spec.ID, ErrNotFound)
	}
	var pid int
	var st uint64
	if _, err := fmt.Sscanf(string(data), "%d %d", &pid, &st); err != nil || pid <= 0 {
		return fmt.Errorf("workload %s: unreadable pid file: %w", spec.ID, ErrNotFound)
	}
	pr := &proc{pid: pid, startTime: st, done: make(chan struct{}), exitCode: -1}
	if !alive(pr) {
		return fmt.Errorf("workload %s (pid %d) is gone: %w", spec.ID, pid, ErrNotFound)
	}
	p.procs[spec.ID] = pr
	return nil
}

// alive says whether pr still runs: for a child, until Wait returned; for
// an adopted process, while its pid has the same start time and is not a
// zombie.
func alive(pr *proc) bool {
	select {
	case <-pr.done:
		return false
	default:
	}
	if pr.child {
		return true
	}
	st, err := startTime(pr.pid)
	if err != nil || st != pr.startTime {
		close(pr.done)
		return false
	}
	return true
}

// GroupAlive says whether a process of the process group pgid still runs
// (zombies, which no longer run, do not count).
func GroupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		// f[0] state (field 3), f[2] process group (field 5).
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

// startTime reads a process's start time (clock ticks since boot) and
// reports an error for a zombie or a missing process.
func startTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	fields := strings.Fields(string(data[i+1:]))
	// fields[0] is the state (field 3); the start time is field 22.
	if len(fields) < 20 {
		return 0, errors.New("short /proc stat")
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return 0, errors.New("zombie")
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// Status reports whether the workload runs.
func (p *Process) Status(_ context.Context, id string) (State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.procs[id]
	if !ok {
		return State{}, fmt.Errorf("workload %s: %w", id, ErrNotFound)
	}
	if alive(pr) {
		return State{Running: true, ExitCode: -1}, nil
	}
	return State{ExitCode: pr.exitCode}, nil
}

// Stop sends SIGTERM to the workload's process group, then SIGKILL after
// StopGrace. The working directory and log stay (the daemon prunes them).
func (p *Process) Stop(ctx context.Context, id string) error {
	p.mu.Lock()
	pr, ok := p.procs[id]
	p.mu.Unlock()
	if !ok {
		return nil
	}
	p.mu.Lock()
	running := alive(pr)
	p.mu.Unlock()
	if running {
		_ = syscall.Kill(-pr.pid, syscall.SIGTERM)
		if !p.waitGone(ctx, pr, p.StopGrace) {
			_ = syscall.Kill(-pr.pid, syscall.SIGKILL)
			p.waitGone(ctx, pr, 5*time.Second)
		}
	}
	// The group may outlive its leader (a child that ignored SIGTERM):
	// kill what is left and wait until none of it runs.
	for deadline := time.Now().Add(5 * time.Second); GroupAlive(pr.pid) && time.Now().Before(deadline); {
		_ = syscall.Kill(-pr.pid, syscall.SIGKILL)
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.procs, id)
	return nil
}

// waitGone waits up to d for pr to end: on Wait for a child, by polling
// for an adopted process.
func (p *Process) waitGone(ctx context.Context, pr *proc, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		p.mu.Lock()
		gone := !alive(pr)
		p.mu.Unlock()
		if gone {
			return true
		}
		select {
		case <-pr.done:
			return true
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// maxTailBytes bounds how much of a log Logs reads back for a tail.
const maxTailBytes = 4 << 20

// Logs returns the last tail lines of the workload's output (0: all, up to
// the last 4 MiB), then, with follow, what it appends until ctx ends or
// the workload stops.
func (p *Process) Logs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error) {
	logPath, err := p.path(id, "output.log")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(logPath)
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", id, ErrNotFound)
	}
	start, err := tailOffset(f, tail)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, err
	}
	if !follow {
		return f, nil
	}
	pr, w := io.Pipe()
	go func() {
		defer func() { _ = f.Close() }()
		buf := make([]byte, 32<<10)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			n, err := f.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				continue
			}
			if err != nil && !errors.Is(err, io.EOF) {
				_ = w.CloseWithError(err)
				return
			}
			st, serr := p.Status(ctx, id)
			if serr != nil || !st.Running {
				// Drain what the last writes left, then end.
				if rest, _ := io.ReadAll(f); len(rest) > 0 {
					_, _ = w.Write(rest)
				}
				_ = w.Close()
				return
			}
			select {
			case <-ctx.Done():
				_ = w.CloseWithError(ctx.Err())
				return
			case <-tick.C:
			}
		}
	}()
	return pr, nil
}

// tailOffset is where the last n lines of f start (n 0: the start, or the
// last maxTailBytes).
func tailOffset(f *os.File, n int) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := info.Size()
	from := max(size-maxTailBytes, 0)
	if n <= 0 {
		return from, nil
	}
	buf := make([]byte, size-from)
	if _, err := f.ReadAt(buf, from); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	// Count newlines back from the end, ignoring a final one.
	end := len(buf)
	if end > 0 && buf[end-1] == '\n' {
		end--
	}
	lines := 0
	for i := end - 1; i >= 0; i-- {
		if buf[i] == '\n' {
			lines++
			if lines == n {
				return from + int64(i) + 1, nil
			}
		}
	}
	return from, nil
}
