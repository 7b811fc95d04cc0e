package bench

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/vae"
)

// Groups of cases (Case.Group, Result.Group).
const (
	GroupSgemm         = "sgemm"
	GroupSgemmMNIST    = "sgemm-mnist"
	GroupSoftmax       = "softmax"
	GroupSoftmaxSample = "softmax-sample"
	GroupNoise         = "noise"
	GroupEstimator     = "estimator"
	GroupTrain         = "train"
)

// Units of Result.Metric.
const (
	UnitGFLOPS = "GFLOP/s" // Case.Work is floating-point operations
	UnitRows   = "rows/s"  // Case.Work is categorical rows
	UnitSteps  = "steps/s" // Case.Work is optimiser steps
	UnitDraws  = "draws/s" // Case.Work is random draws
)

// Timing defaults of Run (Options.MinTime, Options.Samples).
const (
	DefaultMinTime = 40 * time.Millisecond
	DefaultSamples = 5
	QuickMinTime   = 5 * time.Millisecond
	QuickSamples   = 3
	maxThreads     = 1024
	// MaxSamples bounds Options.Samples: Measure keeps one float64 per
	// sample and runs up to 2^30 iterations in each, so an unbounded
	// count runs out of memory or overflows. A median of 10^5 samples is
	// far more than any comparison needs.
	MaxSamples          = 100_000
	maxItersPerSample   = 1 << 30
	calibrationHeadroom = 1.2
)

// ErrNoData marks a training-step case that found no MNIST data (neither
// Options.Data nor Options.DataDir given, and vae.FindMNIST failed); the
// benchmarks skip such cases.
var ErrNoData = errors.New("bench: MNIST not found")

// Options select and time the cases. The zero value means: threads 1 and 2,
// the full set of shapes and methods, DefaultMinTime, DefaultSamples, every
// case, MNIST from the GoMNIST module.
type Options struct {
	// Threads are the kernels.Workspace (and trainer) thread counts to
	// measure, each >= 1; nil means {1, 2}.
	Threads []int
	// Quick reduces the cases to one configuration (8×4), the forward
	// SGEMM shapes and the main estimators, and, where MinTime and Samples
	// are zero, uses QuickMinTime and QuickSamples.
	Quick bool
	// MinTime is the least wall time of one timing sample (>= 0; 0 means
	// DefaultMinTime or QuickMinTime). Samples is the number of samples
	// whose median is reported (>= 0; 0 means DefaultSamples or QuickSamples).
	MinTime time.Duration
	Samples int
	// Filter, when not nil, keeps only the cases whose Name it matches;
	// the others are never set up (so no MNIST is read unless a training
	// case is selected).
	Filter *regexp.Regexp
	// Data is the training set of the training-step cases; nil means
	// MNIST's training images read from DataDir, or, when DataDir is "",
	// from the directory vae.FindMNIST returns.
	Data    *vae.Dataset
	DataDir string
}

// withDefaults validates o and fills its zero fields; fn names the caller.
func (o Options) withDefaults(fn string) (Options, error) {
	if o.Threads == nil {
		o.Threads = []int{1, 2}
	}
	if len(o.Threads) == 0 {
		return o, fmt.Errorf("bench.%s: Options.Threads is empty: %w", fn, errkind.Argument)
	}
	for _, t := range o.Threads {
		if t < 1 || t > maxThreads {
			return o, fmt.Errorf("bench.%s: Options.Threads has %d, need 1..%d: %w", fn, t, maxThreads, errkind.Argument)
		}
	}
	if o.MinTime < 0 {
		return o, fmt.Errorf("bench.%s: Options.MinTime=%v, need >= 0: %w", fn, o.MinTime, errkind.Argument)
	}
	if o.Samples < 0 || o.Samples > MaxSamples {
		return o, fmt.Errorf("bench.%s: Options.Samples=%d, need 0..%d: %w", fn, o.Samples, MaxSamples, errkind.Argument)
	}
	if o.MinTime == 0 {
		o.MinTime = DefaultMinTime
		if o.Quick {
			o.MinTime = QuickMinTime
		}
	}
	if o.Samples == 0 {
		o.Samples = DefaultSamples
		if o.Quick {
			o.Samples = QuickSamples
		}
	}
	return o, nil
}

// Case is one measurement: an operation at one shape, with one
// implementation and thread count. Cases are built by SgemmCases,
// SgemmMNISTCases, SoftmaxCases, EstimatorCases and TrainCases; their
// operands are made only when the case is measured.
type Case struct {
	// Name identifies the case, "group/shape/.../t<threads>"; unique within
	// the cases of one Options.
	Name string
	// Group is one of the Group constants; Impl is the kernels
	// implementation ("avx2", "generic", …) or "gonum", and "" where the
	// case uses whatever kernels.Active() is.
	Group, Impl string
	// Threads is the workspace (or trainer, or GOMAXPROCS for gonum)
	// thread count.
	Threads int
	// Work is the amount done by one operation, counted in Unit's numerator
	// (FLOP for GFLOP/s, rows, steps).
	Work float64
	Unit string
	// Baseline is the Name of the case this one is compared with ("" for
	// none): gonum for SGEMM, st for estimators and training steps.
	Baseline string
	// setup builds the operands and returns the operation (i counts calls
	// from 0, so random streams and trainer steps advance) and a cleanup
	// that releases workers and restores global state; cleanup is non-nil
	// whenever err is nil.
	setup func() (op func(i int) error, cleanup func(), err error)
}

// Result is the measurement of one Case.
type Result struct {
	Name    string `json:"name"`
	Group   string `json:"group"`
	Impl    string `json:"impl,omitempty"`
	Threads int    `json:"threads"`
	// NsPerOp is the median over the samples of the wall time per operation.
	NsPerOp float64 `json:"ns_per_op"`
	// Metric is Work per second in Unit (GFLOP/s = FLOP per ns) at NsPerOp.
	Metric float64 `json:"metric"`
	Unit   string  `json:"unit"`
	// AllocsPerOp and BytesPerOp are heap allocations per operation over
	// all samples (after warm-up), from runtime.MemStats; they count every
	// goroutine's allocations, so run nothing else meanwhile.
	AllocsPerOp float64 `json:"allocs_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	// Iterations is the number of operations per sample, Samples the
	// number of samples; Spread is (slowest − fastest sample) / median, a
	// noise indicator.
	Iterations int     `json:"iterations"`
	Samples    int     `json:"samples"`
	Spread     float64 `json:"spread"`
	// Baseline is the case compared with and Ratio = NsPerOp /
	// baseline's NsPerOp (below 1: faster than the baseline); both are
	// empty when the baseline was not measured in the same Run.
	Baseline string  `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
}

// metric converts a time per operation into c's rate.
func (c Case) metric(nsPerOp float64) float64 {
	if nsPerOp <= 0 {
		return 0
	}
	if c.Unit == UnitGFLOPS {
		return c.Work / nsPerOp
	}
	return c.Work * 1e9 / nsPerOp
}

// Benchmark runs c under the testing package: set-up outside the timed
// loop, b.ReportAllocs, and c's rate as a custom metric. A training case
// without MNIST data is skipped with the reason; other set-up or operation
// errors fail the benchmark.
func (c Case) Benchmark(b *testing.B) {
	op, cleanup, err := c.setup()
	if err != nil {
		if errors.Is(err, ErrNoData) {
			b.Skip(err)
		}
		b.Fatal(err)
	}
	defer cleanup()
	if err := op(0); err != nil { // warm-up: buffers grow on first use
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 1; b.Loop(); i++ {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(c.metric(float64(b.Elapsed().Nanoseconds())/float64(b.N)), c.Unit)
}

// Measure times c: set-up, a calibration phase that doubles as warm-up
// (the number of operations per sample grows until a sample takes at least
// minTime, or minTime/2 on the final try), then samples samples of that many
// operations, after a forced garbage collection and a few more warm-up
// operations; it reports their median. minTime must be >= 0 and samples >= 1.
// Errors are set-up and operation errors, wrapped with the case's name.
func Measure(c Case, minTime time.Duration, samples int) (Result, error) {
	if minTime < 0 || samples < 1 {
		return Result{}, fmt.Errorf("bench.Measure: minTime=%v samples=%d, need >= 0 and >= 1: %w", minTime, samples, errkind.Argument)
	}
	if c.setup == nil {
		return Result{}, fmt.Errorf("bench.Measure: case %q has no set-up (build cases with the *Cases functions): %w", c.Name, errkind.Argument)
	}
	op, cleanup, err := c.setup()
	if err != nil {
		return Result{}, fmt.Errorf("bench %s: %w", c.Name, err)
	}
	defer cleanup()

	t := &opTimer{name: c.Name, op: op}
	n, err := t.calibrate(minTime)
	if err != nil {
		return Result{}, err
	}

	// Finish any collection the set-up's garbage started, as testing.B does,
	// so that no cycle runs into the samples; then refill what the
	// collection emptied (the runtime's sudog and pool caches, which a
	// multi-threaded workspace's channel waits take from the heap) with a
	// few unrecorded operations.
	runtime.GC()
	time.Sleep(2 * time.Millisecond)
	if _, err := t.run(min(n, 4)); err != nil {
		return Result{}, err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ns := make([]float64, samples)
	for s := range ns {
		d, err := t.run(n)
		if err != nil {
			return Result{}, err
		}
		ns[s] = float64(d.Nanoseconds()) / float64(n)
	}
	runtime.ReadMemStats(&after)
	slices.Sort(ns)
	med := ns[samples/2]
	if samples%2 == 0 {
		med = (ns[samples/2-1] + ns[samples/2]) / 2
	}
	total := float64(n * samples)
	r := Result{
		Name: c.Name, Group: c.Group, Impl: c.Impl, Threads: c.Threads,
		NsPerOp: med, Metric: c.metric(med), Unit: c.Unit,
		AllocsPerOp: float64(after.Mallocs-before.Mallocs) / total,
		BytesPerOp:  float64(after.TotalAlloc-before.TotalAlloc) / total,
		Iterations:  n, Samples: samples,
		Baseline: c.Baseline,
	}
	if med > 0 {
		r.Spread = (ns[samples-1] - ns[0]) / med
	}
	return r, nil
}

// opTimer runs a case's operation, numbering the calls across runs.
type opTimer struct {
	name  string
	op    func(int) error
	calls int
}

// run times n calls of the operation.
func (t *opTimer) run(n int) (time.Duration, error) {
	start := time.Now()
	for range n {
		if err := t.op(t.calls); err != nil {
			return 0, fmt.Errorf("bench %s: operation %d: %w", t.name, t.calls, err)
		}
		t.calls++
	}
	return time.Since(start), nil
}

// calibrate returns the number of calls per sample: enough for minTime,
// found by timing growing runs.
func (t *opTimer) calibrate(minTime time.Duration) (int, error) {
	n := 1
	for {
		d, err := t.run(n)
		if err != nil {
			return 0, err
		}
		if d >= minTime || n >= maxItersPerSample {
			return n, nil
		}
		// Aim 20% past minTime from the measured rate, growing at most
		// 100× per round so that a first call slowed by warm-up cannot
		// make the samples absurdly long.
		next := float64(n) * calibrationHeadroom * float64(minTime) / math.Max(float64(d), 1)
		next = math.Min(math.Max(next, float64(n+1)), 100*float64(n))
		n = int(math.Min(next, maxItersPerSample))
		if d >= minTime/2 {
			return n, nil // close enough: this n is the sample size
		}
	}
}

// Select returns the cases whose Name re matches (all of them for a nil re),
// in order.
func Select(cases []Case, re *regexp.Regexp) []Case {
	if re == nil {
		return cases
	}
	var out []Case
	for _, c := range cases {
		if re.MatchString(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// Run measures the cases that o.Filter selects, in order, with o's timing,
// calling each (if not nil) with every result as it is ready; then it sets
// Ratio on each result whose baseline was measured in this run. It stops at
// the first error and returns the results so far with it.
func Run(cases []Case, o Options, each func(Result)) ([]Result, error) {
	o, err := o.withDefaults("Run")
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, c := range Select(cases, o.Filter) {
		r, err := Measure(c, o.MinTime, o.Samples)
		if err != nil {
			SetRatios(out)
			return out, err
		}
		out = append(out, r)
		if each != nil {
			each(r)
		}
	}
	SetRatios(out)
	return out, nil
}

// SetRatios sets Ratio = NsPerOp / baseline's NsPerOp on every result whose
// Baseline names another result of rs, and clears Baseline and Ratio on the
// others.
func SetRatios(rs []Result) {
	byName := make(map[string]float64, len(rs))
	for _, r := range rs {
		byName[r.Name] = r.NsPerOp
	}
	for i := range rs {
		base, ok := byName[rs[i].Baseline]
		if rs[i].Baseline == "" || !ok || base <= 0 {
			rs[i].Baseline, rs[i].Ratio = "", 0
			continue
		}
		rs[i].Ratio = rs[i].NsPerOp / base
	}
}

// Timing describes o's timing rule, defaults resolved: "median of 5
// samples of >= 40ms per case".
func (o Options) Timing() string {
	d, err := o.withDefaults("Timing")
	if err != nil {
		d = o
	}
	return fmt.Sprintf("median of %d samples of >= %v per case", d.Samples, d.MinTime)
}

// AllCases returns every case group's cases that o.Filter selects, the
// ones that read MNIST last: without MNIST, Run stops at the first of them
// and every other case has been measured.
func AllCases(o Options) ([]Case, error) {
	var cases []Case
	for _, f := range []func(Options) ([]Case, error){SgemmCases, SoftmaxCases, NoiseCases, EstimatorCases, SgemmMNISTCases, TrainCases} {
		cs, err := f(o)
		if err != nil {
			return nil, err
		}
		cases = append(cases, cs...)
	}
	return Select(cases, o.Filter), nil
}

// ParseThreads parses a comma list of thread counts ("1,2"), each in
// 1..1024, without duplicates.
func ParseThreads(s string) ([]int, error) {
	var ts []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not a list of integers", s)
		}
		if n < 1 || n > maxThreads {
			return nil, fmt.Errorf("%d threads: need 1..%d", n, maxThreads)
		}
		if slices.Contains(ts, n) {
			return nil, fmt.Errorf("%d listed twice", n)
		}
		ts = append(ts, n)
	}
	return ts, nil
}

// Kernels runs SgemmCases, SoftmaxCases and NoiseCases (see Run).
func Kernels(o Options, each func(Result)) ([]Result, error) {
	var cs []Case
	for _, f := range []func(Options) ([]Case, error){SgemmCases, SoftmaxCases, NoiseCases} {
		c, err := f(o)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c...)
	}
	return Run(cs, o, each)
}

// Estimators runs EstimatorCases (see Run).
func Estimators(o Options, each func(Result)) ([]Result, error) {
	cs, err := EstimatorCases(o)
	if err != nil {
		return nil, err
	}
	return Run(cs, o, each)
}

// TrainSteps runs TrainCases (see Run). Without MNIST (and without
// Options.Data) the error wraps ErrNoData.
func TrainSteps(o Options, each func(Result)) ([]Result, error) {
	cs, err := TrainCases(o)
	if err != nil {
		return nil, err
	}
	return Run(cs, o, each)
}

// threadSuffix is the last name component of a case at t threads.
func threadSuffix(t int) string { return fmt.Sprintf("t%d", t) }
