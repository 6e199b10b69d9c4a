//go:build !unix

package pricing

import "os/exec"

// killProcessGroup is a no-op where process groups are not available: the
// default cancel kills the script itself.
func killProcessGroup(*exec.Cmd) {}
