package bench

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
)

// TestSummaryFixture renders testdata/summary, a fixed set of the files
// bench/summary.sh writes (two SGEMM products on every path, a few
// training steps, PyTorch for some of them, one measured epoch), and
// checks the machine lines and every table row.
func TestSummaryFixture(t *testing.T) {
	in, err := ReadSummaryDir("testdata/summary")
	require.NoError(t, err)
	require.Len(t, in.Go, 2, "reinmax-sgemm.json, reinmax-train.json")
	require.Len(t, in.Torch, 4, "torch_step.py's table line is skipped")
	require.Len(t, in.BLAS, 4)
	require.Len(t, in.Epochs, 1)
	var b bytes.Buffer
	require.NoError(t, WriteSummary(&b, in))
	md := b.String()
	for _, want := range []string{
		"Regenerate with `bash bench/summary.sh`.",
		"- **Machine**: AMD EPYC, family 26 model 2, 2 logical cores, Linux 6.1.0; SIMD SSE4 AVX AVX2 FMA3 AVX512F.",
		"- **reinmax**: built from 1a2b3c4 with uncommitted changes to kernels/gemm.go; go1.26.8 linux/amd64, kernels path `avx512` (available: avx2, avx512, generic).",
		"- **Peers**: PyTorch 1.13.0a0 (OpenBLAS 0.3.21, Cooperlake kernels); numpy 1.24.2 (OpenBLAS 0.3.21, Cooperlake kernels).",
		"- **When**: 2026-11-28 09:10 UTC; load average before: 0.31 0.52 1.07.",
		"sgemm run: before 110 alone, 109 and 108 at once; after 111 alone, 60 and 109 at once (**busy**: 54%); " +
			"train run: before 105 alone, 104 and 101 at once; after 106 alone, 104 and 103 at once.",
		"- Measured once no process matched `go test` (waited 30 s).",
		"Regenerate with `bash bench/summary.sh`.\n\n**The machine was busy during these measurements** (see the core check)",
		"Configurations 8×4 and 4×24; methods st, reinmax. Go: `reinmax bench`, median of 5 samples of ≥ 100ms. " +
			"PyTorch: median of 200 steps timed one by one after 30 warm-up steps",

		"| C×L | method | Go, 1 thread | Go, 2 threads | PyTorch, 1 thread | PyTorch, 2 threads | PyTorch ÷ Go, 1 thread | PyTorch ÷ Go, 2 threads |\n" +
			"|---|---|---:|---:|---:|---:|---:|---:|\n" +
			"| 8×4 | st | 6.50 | 3.40 | 13.0 | 13.6 | 2.00× | 4.00× |\n" +
			"| 8×4 | reinmax | 6.60 | 3.30 | 13.2 | 13.2 | 2.00× | 4.00× |\n" +
			"| 4×24 | st | 9.00 | – | – | – | – | – |\n\n",

		"One epoch is 600 steps and a pass over the 10,000 test images.",
		"| C×L | method | Go, 1 thread | Go, 2 threads | PyTorch (est.), 1 thread | PyTorch (est.), 2 threads |\n" +
			"|---|---|---:|---:|---:|---:|\n" +
			"| 8×4 | st | 4.6 (4.0) | – | 8.3 | 8.7 |\n" + // 600 × 13.0 ms + 500 ms
			"| 8×4 | reinmax | – | – | 8.4 | 8.4 |\n" +
			"| 4×24 | st | – | – | – | – |\n\n",

		"(`bench/blas_sgemm.py`, median of 5 samples of ≥ 40ms, OPENBLAS_NUM_THREADS = threads)",
		"| product | m×n×k | threads | avx512 (active) | avx2 | generic | gonum | OpenBLAS (numpy) | avx512 ÷ gonum | avx512 ÷ OpenBLAS |\n" +
			"|---|---|:-:|---:|---:|---:|---:|---:|---:|---:|\n" +
			"| enc1.fwd | 100x512x784 | 1 | 100.0 | 80.0 | 2.00 | 10.0 | 125.0 | 10.00× | 0.80× |\n" +
			"| enc1.fwd | 100x512x784 | 2 | 200.0 | 160.0 | 4.00 | 20.0 | 250.0 | 10.00× | 0.80× |\n" +
			"| dec1.fwd | 100x256x32 | 1 | 50.0 | 40.0 | 1.64 | 8.19 | 80.0 | 6.10× | 0.62× |\n" +
			"| dec1.fwd | 100x256x32 | 2 | 75.0 | 60.0 | 2.05 | 16.4 | 80.0 | 4.58× | 0.94× |\n" +
			// (80.3 + 1.6 MFLOP) / (803 + 33 µs) = 98.0 GFLOP/s; OpenBLAS (642 + 20 µs): 123.6
			"| **all 2 products** | | 1 | **98.0** | **78.4** | **1.99** | **9.96** | **123.6** | 9.85× | 0.79× |\n" +
			"| **all 2 products** | | 2 | **193.5** | **154.8** | **3.93** | **19.9** | **239.8** | 9.72× | 0.81× |\n",
	} {
		require.Contains(t, md, want)
	}
	require.True(t, strings.HasPrefix(md, "## Summary\n"), md)
}

// TestSummaryGoOnly: without the peers' files the Go columns are there and
// the peers' are dashes; without a Go report it is an error.
func TestSummaryGoOnly(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"reinmax-sgemm.json", "reinmax-train.json"} {
		raw, err := os.ReadFile("testdata/summary/" + f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dir+"/"+f, raw, 0o644))
	}
	in, err := ReadSummaryDir(dir)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteSummary(&b, in))
	require.Contains(t, b.String(), "| 8×4 | st | 6.50 | 3.40 | – | – | – | – |\n")
	require.Contains(t, b.String(), "| avx512 (active) | avx2 | generic | gonum | avx512 ÷ gonum |\n")
	require.Contains(t, b.String(), "| **all 2 products** | | 1 | **98.0** | **78.4** | **1.99** | **9.96** | 9.85× |\n")
	require.NotContains(t, b.String(), "### Epoch")

	// Quiet core checks: no warning.
	for i := range in.Go {
		in.Go[i].CoresAfter = in.Go[i].CoresBefore
	}
	b.Reset()
	require.NoError(t, WriteSummary(&b, in))
	require.NotContains(t, b.String(), "The machine was busy")

	_, err = ReadSummaryDir(t.TempDir())
	require.ErrorContains(t, err, "no reinmax*.json")
	require.Error(t, WriteSummary(&b, SummaryInput{Go: []Report{{}}}))
}

func TestReplaceSummary(t *testing.T) {
	doc := []byte("# Benchmarks\n\nIntro.\n\n" + SummaryBegin + "\nold\n" + SummaryEnd + "\n\n## Development journal\n")
	out, err := ReplaceSummary(doc, []byte("\n## Summary\n\nnew\n\n"))
	require.NoError(t, err)
	want := "# Benchmarks\n\nIntro.\n\n" + SummaryBegin + "\n\n## Summary\n\nnew\n\n" + SummaryEnd + "\n\n## Development journal\n"
	require.Equal(t, want, string(out))
	again, err := ReplaceSummary(out, []byte("## Summary\n\nnew"))
	require.NoError(t, err)
	require.Equal(t, want, string(again), "idempotent")

	_, err = ReplaceSummary([]byte("# Benchmarks\n"), []byte("x"))
	require.ErrorContains(t, err, "no")
	_, err = ReplaceSummary([]byte(SummaryEnd+"\n"+SummaryBegin), []byte("x"))
	require.Error(t, err)
}

// TestTorchPresets checks bench/torch_step.py's PRESETS against the preset
// table that the Go training cases use (TrainConfig), for every
// configuration of Shapes and every method the script implements, so that
// the PyTorch peer trains with the same temperature and optimiser.
func TestTorchPresets(t *testing.T) {
	src, err := os.ReadFile("torch_step.py")
	require.NoError(t, err)
	re := regexp.MustCompile(`\("(\d+)x(\d+)", "([a-z-]+)"\): \(([0-9.e-]+), ([0-9.]+), "(adam|radam)"\)`)
	got := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		got[m[1]+"x"+m[2]+"/"+m[3]] = strings.Join(m[4:], " ")
	}
	for _, sh := range Shapes() {
		for _, m := range []estimators.Method{estimators.ST, estimators.ReinMax, estimators.ReinMaxRao, estimators.GR} {
			cfg := TrainConfig(m, sh, 1)
			key := fmt.Sprintf("%s/%s", sh, m)
			require.Contains(t, got, key, "torch_step.py's PRESETS lacks %s", key)
			f := strings.Fields(got[key])
			lr, err := strconv.ParseFloat(f[0], 64)
			require.NoError(t, err)
			tau, err := strconv.ParseFloat(f[1], 64)
			require.NoError(t, err)
			require.InDelta(t, cfg.LR, lr, 1e-12, key)
			require.InDelta(t, cfg.Estimator.Tau, tau, 1e-12, key)
			require.Equal(t, cfg.Optimizer, f[2], key)
		}
	}
}
