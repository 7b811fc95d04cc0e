package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/internal/allocstest"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// stubCase is a case whose operation is f, counting set-ups and cleanups.
func stubCase(name, baseline string, f func(i int) error, setups, cleanups *int) Case {
	return Case{
		Name: name, Group: "stub", Threads: 1, Work: 1e6, Unit: UnitRows, Baseline: baseline,
		setup: func() (func(int) error, func(), error) {
			*setups++
			return f, func() { *cleanups++ }, nil
		},
	}
}

var sink []byte

func TestMeasureTimesCountsAndCleansUp(t *testing.T) {
	var setups, cleanups, calls int
	c := stubCase("stub/sleep", "", func(i int) error {
		require.Equal(t, calls, i, "operations are numbered from 0 in call order")
		calls++
		sink = make([]byte, 64) // exactly one heap allocation per call
		time.Sleep(200 * time.Microsecond)
		return nil
	}, &setups, &cleanups)
	r, err := Measure(c, 2*time.Millisecond, 3)
	require.NoError(t, err)
	require.Equal(t, 1, setups)
	require.Equal(t, 1, cleanups)
	require.Equal(t, "stub/sleep", r.Name)
	require.Equal(t, 3, r.Samples)
	require.GreaterOrEqual(t, r.Iterations, 1)
	// The sample size was calibrated to last about minTime (at least half
	// of it on the calibration run; the machine's load may change it later).
	require.Greater(t, float64(r.Iterations)*r.NsPerOp, 0.25*float64(2*time.Millisecond))
	require.GreaterOrEqual(t, r.NsPerOp, 200e3, "the median cannot beat the sleep")
	require.Less(t, r.NsPerOp, 50e6)
	require.InDelta(t, 1e6*1e9/r.NsPerOp, r.Metric, 1e-6*r.Metric, "rows/s = Work / seconds per op")
	require.InDelta(t, 1, r.AllocsPerOp, 0.5, "one make per call")
	require.GreaterOrEqual(t, r.BytesPerOp, 64.0)
	require.GreaterOrEqual(t, r.Spread, 0.0)
	require.GreaterOrEqual(t, calls, r.Iterations*r.Samples+1, "calibration plus samples")
}

func TestMeasureErrors(t *testing.T) {
	var setups, cleanups int
	boom := errors.New("boom")
	c := stubCase("stub/fails", "", func(i int) error {
		if i == 3 {
			return boom
		}
		return nil
	}, &setups, &cleanups)
	_, err := Measure(c, time.Millisecond, 5)
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "stub/fails")
	require.ErrorContains(t, err, "operation 3")
	require.Equal(t, 1, cleanups, "cleanup runs on failure too")

	c.setup = func() (func(int) error, func(), error) { return nil, nil, boom }
	_, err = Measure(c, time.Millisecond, 1)
	require.ErrorIs(t, err, boom)

	_, err = Measure(Case{Name: "bare"}, time.Millisecond, 1)
	require.ErrorIs(t, err, errkind.Argument)
	require.ErrorContains(t, err, `"bare"`)
	_, err = Measure(c, -time.Second, 1)
	require.ErrorIs(t, err, errkind.Argument)
	_, err = Measure(c, 0, 0)
	require.ErrorIs(t, err, errkind.Argument)
	require.ErrorContains(t, err, "samples=0")
}

func TestRunFiltersAndSetsRatios(t *testing.T) {
	var setups, cleanups int
	spin := func(d time.Duration) func(int) error {
		return func(int) error {
			for start := time.Now(); time.Since(start) < d; {
			}
			return nil
		}
	}
	cs := []Case{
		stubCase("x/base", "", spin(50*time.Microsecond), &setups, &cleanups),
		stubCase("x/slow", "x/base", spin(200*time.Microsecond), &setups, &cleanups),
		stubCase("y/orphan", "y/missing", spin(10*time.Microsecond), &setups, &cleanups),
		stubCase("z/skipped", "", func(int) error { panic("filtered out, never run") }, &setups, &cleanups),
	}
	var seen []string
	rs, err := Run(cs, Options{MinTime: time.Millisecond, Samples: 5, Filter: regexp.MustCompile(`^[xy]/`)},
		func(r Result) { seen = append(seen, r.Name) })
	require.NoError(t, err)
	require.Equal(t, []string{"x/base", "x/slow", "y/orphan"}, seen)
	require.Len(t, rs, 3)
	require.Equal(t, 3, setups, "the filtered-out case is never set up")
	require.Equal(t, 3, cleanups)
	require.Zero(t, rs[0].Ratio)
	require.Equal(t, "x/base", rs[1].Baseline)
	require.InDelta(t, rs[1].NsPerOp/rs[0].NsPerOp, rs[1].Ratio, 1e-12)
	require.Greater(t, rs[1].Ratio, 1.5, "a 4× longer spin is measured slower")
	require.Empty(t, rs[2].Baseline, "a baseline not measured is dropped")
	require.Zero(t, rs[2].Ratio)

	// Run stops at the first error and returns what it measured.
	boom := errors.New("boom")
	cs[2] = stubCase("y/orphan", "", func(int) error { return boom }, &setups, &cleanups)
	rs, err = Run(cs[:3], Options{MinTime: time.Microsecond, Samples: 1}, nil)
	require.ErrorIs(t, err, boom)
	require.Len(t, rs, 2)
	require.Positive(t, rs[1].Ratio)
}

func TestOptionsAreValidated(t *testing.T) {
	fns := map[string]func(Options) error{
		"SgemmCases":     func(o Options) error { _, err := SgemmCases(o); return err },
		"SoftmaxCases":   func(o Options) error { _, err := SoftmaxCases(o); return err },
		"NoiseCases":     func(o Options) error { _, err := NoiseCases(o); return err },
		"EstimatorCases": func(o Options) error { _, err := EstimatorCases(o); return err },
		"TrainCases":     func(o Options) error { _, err := TrainCases(o); return err },
		"Run":            func(o Options) error { _, err := Run(nil, o, nil); return err },
	}
	bad := []struct {
		o    Options
		want string
	}{
		{Options{Threads: []int{1, 0}}, "Threads has 0"},
		{Options{Threads: []int{-2}}, "Threads has -2"},
		{Options{Threads: []int{}}, "Threads is empty"},
		{Options{MinTime: -time.Millisecond}, "MinTime=-1ms"},
		{Options{Samples: -1}, "Samples=-1"},
	}
	for name, fn := range fns {
		for _, b := range bad {
			err := fn(b.o)
			require.ErrorIs(t, err, errkind.Argument, "%s %+v", name, b.o)
			require.ErrorContains(t, err, "bench."+name)
			require.ErrorContains(t, err, b.want)
		}
		require.NoError(t, fn(Options{}), name)
	}
}

// allCases returns every case of o.
func allCases(t *testing.T, o Options) []Case {
	var cs []Case
	for _, f := range []func(Options) ([]Case, error){SgemmCases, SgemmMNISTCases, SoftmaxCases, NoiseCases, EstimatorCases, TrainCases} {
		c, err := f(o)
		require.NoError(t, err)
		cs = append(cs, c...)
	}
	return cs
}

func TestCaseCatalogue(t *testing.T) {
	full := allCases(t, Options{})
	quick := allCases(t, Options{Quick: true, Threads: []int{3}})
	for _, cs := range [][]Case{full, quick} {
		names := map[string]Case{}
		for _, c := range cs {
			require.NotContains(t, names, c.Name, "duplicate name")
			names[c.Name] = c
			require.NotNil(t, c.setup, c.Name)
			require.True(t, strings.HasPrefix(c.Name, c.Group+"/"), c.Name)
			require.True(t, strings.HasSuffix(c.Name, fmt.Sprintf("/t%d", c.Threads)), c.Name)
			require.Positive(t, c.Work, c.Name)
		}
		for _, c := range cs {
			if c.Baseline != "" {
				b, ok := names[c.Baseline]
				require.True(t, ok, "%s: baseline %s missing", c.Name, c.Baseline)
				require.Equal(t, c.Threads, b.Threads, c.Name)
				require.Equal(t, c.Group, b.Group, c.Name)
			}
		}
	}
	count := func(cs []Case, group string) int {
		n := 0
		for _, c := range cs {
			if c.Group == group {
				n++
			}
		}
		return n
	}
	impls := len(kernels.Available())
	// 6 layers × (fwd, dW, dx) less enc1.dx; 3 estimator-shape softmaxes;
	// every method at 5 shapes less exact where C^L > 16384 (all but 8×4).
	require.Equal(t, 17*(impls+1)*2, count(full, GroupSgemm))
	require.Equal(t, 2*impls*2*2, count(full, GroupSgemmMNIST)) // fwd, dW × dense, sparse
	require.Equal(t, 2*impls*2, count(quick, GroupSgemmMNIST))
	require.Equal(t, 5*2*impls*2, count(full, GroupSoftmax))
	require.Equal(t, 5*impls*2, count(full, GroupSoftmaxSample))
	require.Equal(t, 5*impls*2, count(full, GroupNoise)) // one thread, two generators
	require.Equal(t, (5*11-4)*2, count(full, GroupEstimator))
	require.Equal(t, 5*5*2, count(full, GroupTrain))
	require.Equal(t, 6*(impls+1), count(quick, GroupSgemm))
	require.Equal(t, 5, count(quick, GroupEstimator))
	require.Equal(t, 3, count(quick, GroupTrain))
	require.Equal(t, impls*2, count(quick, GroupNoise))

	// SGEMM work is 2·m·n·k of the shape in the name, and the shapes are
	// the VAE's: every layer's forward product at batch 100.
	fwd := map[string]bool{}
	for _, c := range full {
		if c.Group != GroupSgemm {
			continue
		}
		var m, n, k int
		parts := strings.Split(c.Name, "/")
		_, err := fmt.Sscanf(parts[2], "%dx%dx%d", &m, &n, &k)
		require.NoError(t, err, c.Name)
		require.Equal(t, 2*float64(m*n*k), c.Work, c.Name)
		if strings.HasSuffix(parts[1], ".fwd") {
			require.Equal(t, Batch, m, c.Name)
			fwd[parts[2]] = true
		}
	}
	require.Equal(t, map[string]bool{"100x512x784": true, "100x256x512": true, "100x32x256": true,
		"100x256x32": true, "100x512x256": true, "100x784x512": true}, fwd)
}

// TestSgemmOperandsAgree checks that every implementation and gonum are
// handed the same product: the outputs of each case's operation agree with
// a float64 reference to float32 accuracy (a wrong leading dimension or
// transpose flag would differ by O(1)).
func TestSgemmOperandsAgree(t *testing.T) {
	for _, s := range gemmShapes(false) {
		// Reference from the stored operands, read with the case's layout.
		r := rand.New(rand.NewPCG(1, 2))
		a, b := uniforms(r, s.m*s.k), uniforms(r, s.k*s.n)
		at := func(i, p int) float64 {
			if s.tA {
				return float64(a[p*s.m+i])
			}
			return float64(a[i*s.k+p])
		}
		bt := func(p, j int) float64 {
			if s.tB {
				return float64(b[j*s.k+p])
			}
			return float64(b[p*s.n+j])
		}
		for _, impl := range append(kernels.Available(), ImplGonum) {
			op, c, cleanup, err := newSgemmOp(s, impl, 2)
			require.NoError(t, err)
			require.NoError(t, op(0))
			cleanup()
			// Spot-check a few entries (a full float64 product per shape
			// and implementation would dominate the test's time).
			for _, ij := range [][2]int{{0, 0}, {s.m - 1, s.n - 1}, {s.m / 2, s.n / 3}, {s.m / 3, s.n - 1}} {
				i, j := ij[0], ij[1]
				var want float64
				for p := range s.k {
					want += at(i, p) * bt(p, j)
				}
				require.InDelta(t, want, float64(c[i*s.n+j]), 1e-4*float64(s.k), "%s %s C[%d,%d]", s.name, impl, i, j)
			}
		}
	}
}

// TestSgemmMNISTDenseSparseAgree checks that the dense and sparse cases of
// SgemmMNISTCases compute the same product, bit for bit, on images that are
// mostly zeros.
func TestSgemmMNISTDenseSparseAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	px := make([]float32, Batch*vae.ImagePixels)
	for i := range px {
		if i%vae.ImageCols > 8 && i%vae.ImageCols < 20 && r.IntN(2) == 0 {
			px[i] = r.Float32()
		}
	}
	data, err := vae.NewDataset(px, nil)
	require.NoError(t, err)
	for _, s := range mnistShapes {
		for _, impl := range kernels.Available() {
			var out [2][]float32
			for i, sp := range []kernels.Sparsity{kernels.Dense, s.sp} {
				op, c, cleanup, err := newSgemmMNISTOp(data, s.gemmShape, sp, impl, 2)
				require.NoError(t, err)
				require.NoError(t, op(0))
				cleanup()
				out[i] = c
			}
			require.Equal(t, out[0], out[1], "%s %s", s.name, impl)
			require.True(t, slices.ContainsFunc(out[0], func(v float32) bool { return v != 0 }), "%s %s: a real product", s.name, impl)
		}
	}
}

// synthData is a small training set of random pixels.
func synthData(t *testing.T, n int) *vae.Dataset {
	r := rand.New(rand.NewPCG(9, 9))
	px := make([]float32, n*vae.ImagePixels)
	for i := range px {
		px[i] = r.Float32()
	}
	d, err := vae.NewDataset(px, nil)
	require.NoError(t, err)
	return d
}

// TestQuickCasesRun runs every quick case (the training steps on a
// synthetic set) through the three drivers.
func TestQuickCasesRun(t *testing.T) {
	o := Options{Quick: true, MinTime: time.Nanosecond, Samples: 1, Data: synthData(t, 250)}
	active := kernels.Active()
	rs, err := Kernels(o, nil)
	require.NoError(t, err)
	require.Equal(t, active, kernels.Active(), "cases restore the active implementation")
	// SGEMM: 6 forward shapes × (gonum + impls) × 2 threads; softmax: 3
	// kinds × impls × 2 threads; noise: impls × 2 generators, one thread.
	require.Len(t, rs, 6*(len(kernels.Available())+1)*2+3*len(kernels.Available())*2+len(kernels.Available())*2)
	er, err := Estimators(o, nil)
	require.NoError(t, err)
	require.Len(t, er, 5*2)
	tr, err := TrainSteps(o, nil)
	require.NoError(t, err)
	require.Len(t, tr, 3*2)
	for _, r := range append(append(rs, er...), tr...) {
		require.Positive(t, r.NsPerOp, r.Name)
		require.Positive(t, r.Metric, r.Name)
		require.Equal(t, 1, r.Samples, r.Name)
		switch {
		case r.Group == GroupSgemm && r.Impl != ImplGonum:
			require.Equal(t, strings.Replace(r.Name, "/"+r.Impl+"/", "/gonum/", 1), r.Baseline)
			require.Positive(t, r.Ratio, r.Name)
		case r.Group == GroupNoise && r.Impl != "" && strings.Contains(r.Name, "/"+NoiseXoshiro8+"/"):
			require.Equal(t, strings.Replace(r.Name, "/"+NoiseXoshiro8+"/", "/"+NoisePCG+"/", 1), r.Baseline)
			require.Positive(t, r.Ratio, r.Name)
		case (r.Group == GroupEstimator || r.Group == GroupTrain) && !strings.Contains(r.Name, "/st/"):
			require.Positive(t, r.Ratio, "%s: ratio against st", r.Name)
		default:
			require.Zero(t, r.Ratio, r.Name)
		}
	}
}

// TestCaseOpsAllocateNothing requires the steady state of every quick
// kernels, estimator and training case (gonum aside) to allocate nothing in
// this module's code, on any goroutine. allocstest.Count leaves out the
// runtime's own allocations (a sudog cache refilled after a collection),
// which Result.AllocsPerOp and testing.AllocsPerRun count.
func TestCaseOpsAllocateNothing(t *testing.T) {
	o := Options{Quick: true, Data: synthData(t, 250)}
	var cs []Case
	for _, c := range allCases(t, o) {
		// The generic SGEMM's large products take tens of ms each.
		slow := c.Impl == "generic" && (c.Group == GroupSgemm && !strings.Contains(c.Name, "dec1") || c.Group == GroupSgemmMNIST)
		if c.Impl != ImplGonum && !(testing.Short() && slow) {
			cs = append(cs, c)
		}
	}
	require.NotEmpty(t, cs)
	for _, c := range cs {
		op, cleanup, err := c.setup()
		require.NoError(t, err, c.Name)
		i := 0
		for range 2 { // warm-up
			require.NoError(t, op(i), c.Name)
			i++
		}
		n, stacks := allocstest.Count(3, func() {
			if err := op(i); err != nil {
				panic(err)
			}
			i++
		})
		cleanup()
		require.Zero(t, n, "%s allocates in 3 ops:\n%s", c.Name, stacks)
	}
}

func TestTrainCasesWithoutData(t *testing.T) {
	for _, f := range []func(Options) ([]Case, error){TrainCases, SgemmMNISTCases} {
		cs, err := f(Options{Quick: true, DataDir: t.TempDir()})
		require.NoError(t, err, "data is read only when a case is set up")
		_, err = Measure(cs[0], time.Nanosecond, 1)
		require.ErrorIs(t, err, ErrNoData)
		require.ErrorContains(t, err, vae.TrainImagesFile)
	}
}

// TestCheckCores: one figure alone and one per GOMAXPROCS at once, all
// positive, and Slowest is their smallest ratio.
func TestCheckCores(t *testing.T) {
	c := CheckCores(5 * time.Millisecond)
	require.Positive(t, c.Solo)
	require.Len(t, c.Together, runtime.GOMAXPROCS(0))
	lowest := c.Together[0]
	for _, g := range c.Together {
		require.Positive(t, g)
		lowest = min(lowest, g)
	}
	require.InDelta(t, lowest/c.Solo, c.Slowest(), 1e-12)
	require.Zero(t, CoreCheck{}.Slowest())
}
