package inventory

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// GPU is one GPU as nvidia-smi reports it.
type GPU struct {
	Index     int
	Name      string
	MemoryMiB uint64
	UUID      string
}

// NvidiaSMIArgs is the query Detect runs: one CSV line per GPU.
var NvidiaSMIArgs = []string{"--query-gpu=index,name,memory.total,uuid", "--format=csv,noheader,nounits"}

// ErrNoNvidiaSMI: the machine has no nvidia-smi; the config's GPUs stand.
var ErrNoNvidiaSMI = errors.New("nvidia-smi not found")

// DetectGPUs runs nvidia-smi (when it is on PATH) and parses its output.
func DetectGPUs(ctx context.Context) ([]GPU, error) {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil, ErrNoNvidiaSMI
	}
	out, err := exec.CommandContext(ctx, path, NvidiaSMIArgs...).Output()
	if err != nil {
		return nil, fmt.Errorf("nvidia-smi: %w", err)
	}
	return ParseNvidiaSMI(string(out))
}

// ParseNvidiaSMI reads the output of `nvidia-smi` with NvidiaSMIArgs:
// "index, name, memory.total (MiB), uuid" per line.
func ParseNvidiaSMI(out string) ([]GPU, error) {
	var gpus []GPU
	seen := map[int]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("nvidia-smi line %d: want 4 fields (index, name, memory.total, uuid), got %d: %q", line, len(f), text)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		idx, err := strconv.Atoi(f[0])
		if err != nil || idx < 0 {
			return nil, fmt.Errorf("nvidia-smi line %d: index %q", line, f[0])
		}
		if seen[idx] {
			return nil, fmt.Errorf("nvidia-smi line %d: index %d twice", line, idx)
		}
		seen[idx] = true
		mem, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("nvidia-smi line %d: memory.total %q (MiB, without units)", line, f[2])
		}
		if f[1] == "" {
			return nil, fmt.Errorf("nvidia-smi line %d: empty name", line)
		}
		gpus = append(gpus, GPU{Index: idx, Name: f[1], MemoryMiB: mem, UUID: f[3]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return gpus, nil
}

// classes maps model names to architecture classes (the class a group's
// gpu.class names), most specific first.
var classes = []struct{ match, class string }{
	{"GB200", "blackwell"}, {"B200", "blackwell"}, {"B100", "blackwell"}, {"RTX 50", "blackwell"},
	{"H200", "hopper"}, {"H100", "hopper"}, {"H800", "hopper"}, {"GH200", "hopper"},
	{"L40", "ada"}, {"L4", "ada"}, {"RTX 40", "ada"}, {"Ada", "ada"},
	{"A100", "ampere"}, {"A800", "ampere"}, {"A40", "ampere"}, {"A30", "ampere"}, {"A10", "ampere"}, {"A16", "ampere"}, {"A2", "ampere"}, {"RTX 30", "ampere"}, {"RTX A", "ampere"},
	{"T4", "turing"}, {"RTX 20", "turing"}, {"V100", "volta"},
}

// ClassOf names a GPU's class from its model name ("NVIDIA H100 80GB HBM3"
// is hopper); an unknown model is its name in lower case with anything
// but letters and digits as '-'.
func ClassOf(name string) string {
	for _, c := range classes {
		if strings.Contains(name, c.match) {
			return c.class
		}
	}
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimPrefix(name, "NVIDIA ")) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// Pools groups detected GPUs by class (the inventory holds one pool per
// class), in the order of each class's first GPU, with their indices. A
// pool's memory is the least of its GPUs' (GB, rounded to the nearest:
// 81,559 MiB is 80), so a pool never promises more than each GPU has.
func Pools(gpus []GPU) []GPUPool {
	var pools []GPUPool
	for _, g := range gpus {
		class, mem := ClassOf(g.Name), uint32((g.MemoryMiB+512)/1024)
		i := 0
		for i < len(pools) && pools[i].Class != class {
			i++
		}
		if i == len(pools) {
			pools = append(pools, GPUPool{Class: class, MemoryGB: mem})
		}
		pools[i].Count++
		pools[i].MemoryGB = min(pools[i].MemoryGB, mem)
		pools[i].Indices = append(pools[i].Indices, g.Index)
	}
	return pools
}
