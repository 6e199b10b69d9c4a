package pricing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

const (
	// DefaultScriptTimeout applies when ScriptConfig.Timeout is zero.
	DefaultScriptTimeout = 2 * time.Second
	// maxScriptOutput bounds what is kept of stdout and stderr.
	maxScriptOutput = 64 << 10
	// maxStderrInError bounds the stderr quoted in a ScriptError.
	maxStderrInError = 1 << 10
	// scriptWaitDelay bounds the wait for pipes that a killed script's
	// children still hold open.
	scriptWaitDelay = 500 * time.Millisecond
)

// Sentinels for errors.Is on a *ScriptError.
var (
	ErrScriptStart     = errors.New("pricing script did not start")
	ErrScriptTimeout   = errors.New("pricing script timed out")
	ErrScriptExit      = errors.New("pricing script failed")
	ErrScriptBadOutput = errors.New("pricing script output is invalid")
)

// ScriptError is every failure of a pricing script.
type ScriptError struct {
	Kind     error  // one of the ErrScript* sentinels
	ExitCode int    // for ErrScriptExit
	Stderr   string // what the script wrote to stderr, truncated
	Err      error  // the cause, if any
}

func (e *ScriptError) Error() string {
	msg := e.Kind.Error()
	if e.Kind == ErrScriptExit {
		msg += fmt.Sprintf(" (exit code %d)", e.ExitCode)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Stderr != "" {
		msg += "; stderr: " + e.Stderr
	}
	return msg
}

func (e *ScriptError) Is(target error) bool { return target == e.Kind }
func (e *ScriptError) Unwrap() error        { return e.Err }

// ScriptConfig runs an executable for each quote. It gets the quote as JSON
// on stdin and answers on stdout with {"price":"1234udait"} (decimals are
// rounded up) or {"skip":true}; an optional "reason" string is allowed.
type ScriptConfig struct {
	Path    string        `yaml:"path"`
	Args    []string      `yaml:"args"`
	Timeout time.Duration `yaml:"timeout"` // e.g. "2s"; 0 means DefaultScriptTimeout
}

// Validate checks that Path is an executable file and Timeout is not negative.
func (c ScriptConfig) Validate() error {
	if c.Path == "" {
		return fmt.Errorf("%w: script path is required", ErrInvalidConfig)
	}
	fi, err := os.Stat(c.Path)
	if err != nil {
		return fmt.Errorf("%w: script path: %v", ErrInvalidConfig, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%w: script path %s is not an executable file", ErrInvalidConfig, c.Path)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%w: script timeout must not be negative", ErrInvalidConfig)
	}
	return nil
}

// Script prices by running an external program.
type Script struct {
	path    string
	args    []string
	timeout time.Duration
}

// NewScript validates cfg and builds the strategy.
func NewScript(cfg ScriptConfig) (*Script, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Script{path: cfg.Path, args: append([]string(nil), cfg.Args...), timeout: cfg.Timeout}
	if s.timeout == 0 {
		s.timeout = DefaultScriptTimeout
	}
	return s, nil
}

// ScriptQuote is the JSON a script reads on stdin.
type ScriptQuote struct {
	GroupID     uint64          `json:"group_id"`
	Resources   ScriptResources `json:"resources"`
	GPUClass    string          `json:"gpu_class"`
	MaxPrice    string          `json:"max_price"` // e.g. "5000udait", per block
	Utilisation ScriptRatio     `json:"utilisation"`
}

// ScriptResources mirrors the group's resources, zeros included.
type ScriptResources struct {
	GPU struct {
		Count    uint32 `json:"count"`
		MemoryGB uint32 `json:"memory_gb"`
		Class    string `json:"class"`
	} `json:"gpu"`
	CPUMillis uint64 `json:"cpu_millis"`
	MemoryMB  uint64 `json:"memory_mb"`
	StorageGB uint64 `json:"storage_gb"`
	Replicas  uint32 `json:"replicas"`
}

// ScriptRatio is the utilisation, exact (num/den) and as a float.
type ScriptRatio struct {
	Num   uint64  `json:"num"`
	Den   uint64  `json:"den"`
	Value float64 `json:"value"`
}

func newScriptQuote(q Quote) ScriptQuote {
	sq := ScriptQuote{
		GroupID:     q.GroupID,
		GPUClass:    gpuClass(q),
		MaxPrice:    q.MaxPrice.String(),
		Utilisation: ScriptRatio{Num: q.Utilisation.Num, Den: q.Utilisation.Den, Value: q.Utilisation.Float64()},
	}
	r := q.Resources
	sq.Resources.GPU.Count = r.GPU.Count
	sq.Resources.GPU.MemoryGB = r.GPU.MemoryGb
	sq.Resources.GPU.Class = r.GPU.Class
	sq.Resources.CPUMillis = r.CpuMillis
	sq.Resources.MemoryMB = r.MemoryMb
	sq.Resources.StorageGB = r.StorageGb
	sq.Resources.Replicas = r.Replicas
	return sq
}

type scriptAnswer struct {
	Price  *string `json:"price"`
	Skip   bool    `json:"skip"`
	Reason string  `json:"reason"`
}

// Price runs the script once.
func (s *Script) Price(ctx context.Context, q Quote) (sdk.Coin, bool, error) {
	if err := checkQuote(q); err != nil {
		return sdk.Coin{}, false, err
	}
	in, err := json.Marshal(newScriptQuote(q))
	if err != nil {
		return sdk.Coin{}, false, fmt.Errorf("encode quote: %w", err)
	}
	runCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	var stdout, stderr capped
	cmd := exec.CommandContext(runCtx, s.path, s.args...)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = scriptWaitDelay
	killProcessGroup(cmd)

	runErr := cmd.Run()
	errOut := stderr.tail()
	if runErr != nil {
		var exitErr *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return sdk.Coin{}, false, fmt.Errorf("pricing script: %w", ctx.Err())
		case runCtx.Err() != nil:
			return sdk.Coin{}, false, &ScriptError{Kind: ErrScriptTimeout, Stderr: errOut, Err: fmt.Errorf("no answer within %s", s.timeout)}
		case errors.As(runErr, &exitErr):
			return sdk.Coin{}, false, &ScriptError{Kind: ErrScriptExit, ExitCode: exitErr.ExitCode(), Stderr: errOut}
		case errors.Is(runErr, exec.ErrWaitDelay):
			return sdk.Coin{}, false, &ScriptError{Kind: ErrScriptExit, Stderr: errOut, Err: errors.New("it left a process holding its output open")}
		default:
			return sdk.Coin{}, false, &ScriptError{Kind: ErrScriptStart, Stderr: errOut, Err: runErr}
		}
	}
	if stdout.overflow {
		return sdk.Coin{}, false, badOutput(errOut, fmt.Errorf("stdout is longer than %d bytes", maxScriptOutput))
	}
	return s.parse(q, stdout.Bytes(), errOut)
}

func (s *Script) parse(q Quote, out []byte, stderr string) (sdk.Coin, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var ans scriptAnswer
	if err := dec.Decode(&ans); err != nil {
		return sdk.Coin{}, false, badOutput(stderr, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return sdk.Coin{}, false, badOutput(stderr, errors.New("trailing data after the JSON object"))
	}
	switch {
	case ans.Skip && ans.Price != nil:
		return sdk.Coin{}, false, badOutput(stderr, errors.New(`both "price" and "skip"`))
	case ans.Skip:
		return sdk.Coin{}, false, nil
	case ans.Price == nil:
		return sdk.Coin{}, false, badOutput(stderr, errors.New(`neither "price" nor "skip"`))
	}
	price, err := sdk.ParseDecCoin(*ans.Price)
	if err != nil {
		return sdk.Coin{}, false, badOutput(stderr, fmt.Errorf("price %q: %w", *ans.Price, err))
	}
	if price.Denom != types.Denom {
		return sdk.Coin{}, false, badOutput(stderr, fmt.Errorf("price %q is not in %s", *ans.Price, types.Denom))
	}
	return settleInt(q, price.Amount.Ceil().TruncateInt())
}

func badOutput(stderr string, err error) error {
	return &ScriptError{Kind: ErrScriptBadOutput, Stderr: stderr, Err: err}
}

// capped keeps the first maxScriptOutput bytes and drops the rest without
// failing the write, so a chatty script is not killed by a broken pipe.
type capped struct {
	bytes.Buffer
	overflow bool
}

func (c *capped) Write(p []byte) (int, error) {
	room := maxScriptOutput - c.Len()
	if len(p) > room {
		c.overflow = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// tail is the end of what was kept, trimmed, short enough for a log line.
func (c *capped) tail() string {
	s := strings.TrimSpace(c.String())
	if len(s) > maxStderrInError {
		s = "..." + s[len(s)-maxStderrInError:]
	}
	return s
}
