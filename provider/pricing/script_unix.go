//go:build unix

package pricing

import (
	"os/exec"
	"syscall"
)

// killProcessGroup runs the script in its own process group and kills the
// whole group on timeout, so that a shell's children die with it.
func killProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
