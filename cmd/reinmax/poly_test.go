package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
)

func TestPolyRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "0"}, "P=0"},
		{[]string{"-target", "1.5"}, "Target=1.5"},
		{[]string{"-epochs", "-1"}, "Epochs=-1"},
		{[]string{"-steps", "0"}, "StepsPerEpoch=0"},
		{[]string{"-lr", "0"}, "LR=0"},
		{[]string{"-batch", "0"}, "Batch=0"},
		{[]string{"-methods", "magic"}, `unknown method "magic"`},
		{[]string{"-K", "0"}, "K=0"},
		{[]string{"-tau", "-1"}, "Tau"},
		{[]string{"-threads", "-1"}, "--threads=-1"},
		// Extreme values are refused before any allocation: they used to
		// panic in makeslice, run out of memory or print an overflowed
		// product.
		{[]string{"-threads", "9223372036854775807"}, "--threads=9223372036854775807, need 0..1024"},
		{[]string{"-threads", "1000000000"}, "--threads=1000000000, need 0..1024"},
		{[]string{"-threads", "1025"}, "--threads=1025"},
		{[]string{"-epochs", "9223372036854775807"}, "Epochs=9223372036854775807, need 0..2^20"},
		{[]string{"-epochs", "1000000000"}, "Epochs=1000000000"},
		{[]string{"-steps", "9223372036854775807"}, "StepsPerEpoch=9223372036854775807"},
		{[]string{"-latents", "9223372036854775807"}, "Latents·Batch=9223372036854775807·64"},
		{[]string{"-batch", "9223372036854775807"}, "Latents·Batch=128·9223372036854775807"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		code, stdout, stderr := run(append([]string{"poly", "-epochs", "1", "-steps", "1"}, tc.args...)...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, "%v", tc.args)
		require.Contains(t, stderr, "run 'reinmax poly -h' for usage", "%v", tc.args)
		require.Empty(t, stdout, "%v", tc.args)
	}
}

// TestPolyCommand runs a shortened task with three methods: the table and
// JSON report every method, the losses fall below the starting value, the
// numbers equal the library's, and a rerun with other threads is identical.
func TestPolyCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"poly", "-epochs", "3", "-steps", "50", "-latents", "16", "-batch", "8", "-lr", "0.01", "-p", "3",
		"-methods", "exact,reinmax,reinforce", "-quiet"}
	code, stdout, stderr := run(append(args, "-json", filepath.Join(dir, "a.json"), "-threads", "1")...)
	require.Equal(t, 0, code, stderr)
	for _, s := range []string{"exact", "reinmax", "reinforce", "p=3", "final_loss"} {
		require.Contains(t, stdout, s)
	}
	read := func(name string) polyReport {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		var rep polyReport
		require.NoError(t, json.Unmarshal(raw, &rep))
		return rep
	}
	a := read("a.json")
	require.Len(t, a.Results, 3)
	require.Equal(t, 3.0, a.Config.P)
	start := (0.55*0.55*0.55 + 0.45*0.45*0.45) / 2
	for _, r := range a.Results {
		require.Equal(t, 150, r.Steps, r.Method)
		require.Len(t, r.EpochLoss, 3, r.Method)
		require.Less(t, r.ExpectedLoss, start-0.005, r.Method)
		require.InDelta(t, 0.45*0.45*0.45, r.MinLoss, 1e-12)
	}
	cfg := diag.DefaultPolyConfig()
	cfg.Epochs, cfg.StepsPerEpoch, cfg.Latents, cfg.Batch, cfg.LR, cfg.P = 3, 50, 16, 8, 0.01, 3
	want, err := diag.RunPoly(cfg, estimators.DefaultConfig("reinmax"), nil)
	require.NoError(t, err)
	require.Equal(t, want, a.Results[1].PolyResult)

	code, _, stderr = run(append(args, "-json", filepath.Join(dir, "b.json"), "-threads", "2")...)
	require.Equal(t, 0, code, stderr)
	b := read("b.json")
	require.Equal(t, 2, b.Threads)
	for i := range a.Results {
		require.Equal(t, a.Results[i].PolyResult, b.Results[i].PolyResult)
	}

	// No --threads means GOMAXPROCS, as the flag says.
	code, _, stderr = run(append(args, "-json", filepath.Join(dir, "c.json"))...)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, runtime.GOMAXPROCS(0), read("c.json").Threads)
}

// TestPolyQuickAndFull: the default is the quick check; -full is the
// full protocol's 40 × 200 steps, and explicit -epochs/-steps still win.
func TestPolyQuickAndFull(t *testing.T) {
	tiny := []string{"poly", "-methods", "st", "-latents", "2", "-batch", "2", "-quiet"}
	code, stdout, stderr := run(tiny...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, fmt.Sprintf("%d×%d steps", polyQuickEpochs, polyQuickSteps))
	code, stdout, stderr = run(append(tiny, "-full", "-steps", "3")...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "40×3 steps")
}
