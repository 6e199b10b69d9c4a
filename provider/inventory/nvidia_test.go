package inventory_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/inventory"
)

// testdata/nvidia-smi-query.csv is the output format of
// `nvidia-smi --query-gpu=index,name,memory.total,uuid --format=csv,noheader,nounits`
// on a mixed machine (a fixture: no GPU here).
func TestParseNvidiaSMI(t *testing.T) {
	out, err := os.ReadFile("testdata/nvidia-smi-query.csv")
	require.NoError(t, err)
	gpus, err := inventory.ParseNvidiaSMI(string(out))
	require.NoError(t, err)
	require.Equal(t, []inventory.GPU{
		{Index: 0, Name: "NVIDIA H100 80GB HBM3", MemoryMiB: 81559, UUID: "GPU-5f3a8c1e-2b7d-4a1e-9c3f-0d6e7b8a9c01"},
		{Index: 1, Name: "NVIDIA H100 80GB HBM3", MemoryMiB: 81559, UUID: "GPU-6a4b9d2f-3c8e-5b2f-ad40-1e7f8c9bad12"},
		{Index: 2, Name: "NVIDIA A100-SXM4-40GB", MemoryMiB: 40960, UUID: "GPU-7b5cae30-4d9f-6c30-be51-2f809dacbe23"},
		{Index: 3, Name: "NVIDIA GeForce RTX 4090", MemoryMiB: 24564, UUID: "GPU-8c6dbf41-5ea0-7d41-cf62-30918ebdcf34"},
	}, gpus)

	pools := inventory.Pools(gpus)
	require.Equal(t, []inventory.GPUPool{
		{Class: "hopper", Count: 2, MemoryGB: 80, Indices: []int{0, 1}},
		{Class: "ampere", Count: 1, MemoryGB: 40, Indices: []int{2}},
		{Class: "ada", Count: 1, MemoryGB: 24, Indices: []int{3}},
	}, pools)
	cfg := inventory.Config{GPUs: pools, CPUMillis: 1000, MemoryMB: 1000}
	require.NoError(t, cfg.Validate(), "detected pools make a valid inventory")
}

func TestParseNvidiaSMIRefusals(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"0, NVIDIA H100, 81559\n", "line 1: want 4 fields"},
		{"x, NVIDIA H100, 81559, GPU-1\n", `line 1: index "x"`},
		{"0, NVIDIA H100, 80 GiB, GPU-1\n", `line 1: memory.total "80 GiB"`},
		{"0, NVIDIA H100, 81559, GPU-1\n0, NVIDIA H100, 81559, GPU-2\n", "line 2: index 0 twice"},
		{"0, , 81559, GPU-1\n", "line 1: empty name"},
	} {
		_, err := inventory.ParseNvidiaSMI(tc.out)
		require.ErrorContains(t, err, tc.want, tc.out)
	}
	gpus, err := inventory.ParseNvidiaSMI("\n\n")
	require.NoError(t, err)
	require.Empty(t, gpus)
}

func TestClassOf(t *testing.T) {
	for name, want := range map[string]string{
		"NVIDIA H100 80GB HBM3":          "hopper",
		"NVIDIA H200":                    "hopper",
		"NVIDIA B200":                    "blackwell",
		"NVIDIA A100-SXM4-80GB":          "ampere",
		"NVIDIA A10G":                    "ampere",
		"NVIDIA L40S":                    "ada",
		"NVIDIA L4":                      "ada",
		"NVIDIA GeForce RTX 4090":        "ada",
		"NVIDIA RTX 6000 Ada Generation": "ada",
		"NVIDIA GeForce RTX 3090":        "ampere",
		"Tesla T4":                       "turing",
		"Tesla V100-SXM2-16GB":           "volta",
		"NVIDIA Future X9 (beta)":        "future-x9-beta",
	} {
		require.Equal(t, want, inventory.ClassOf(name), name)
	}
}

// Two pools may not claim one GPU index, and indices match the count.
func TestConfigIndices(t *testing.T) {
	base := func(pools ...inventory.GPUPool) inventory.Config {
		return inventory.Config{GPUs: pools, CPUMillis: 1, MemoryMB: 1}
	}
	require.NoError(t, base(inventory.GPUPool{Class: "a", Count: 2, MemoryGB: 1, Indices: []int{0, 1}}).Validate())
	require.ErrorContains(t, base(inventory.GPUPool{Class: "a", Count: 2, MemoryGB: 1, Indices: []int{0}}).Validate(), "1 indices for 2 GPUs")
	require.ErrorContains(t, base(
		inventory.GPUPool{Class: "a", Count: 1, MemoryGB: 1, Indices: []int{0}},
		inventory.GPUPool{Class: "b", Count: 1, MemoryGB: 1, Indices: []int{0}}).Validate(), `GPU 0 is already in pool "a"`)
	require.ErrorContains(t, base(inventory.GPUPool{Class: "a", Count: 1, MemoryGB: 1, Indices: []int{-1}}).Validate(), "negative")
}
