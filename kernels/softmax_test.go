package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rowGuard marks memory a row kernel must neither read nor write: a quiet
// NaN with a recognisable payload. Read as input it poisons a row; written,
// its bit pattern changes.
var rowGuard = math.Float32frombits(0x7fc0d00d)

// rowImpls runs f once per registered implementation, in parallel subtests.
// With KERNELS_REQUIRE=avx2 (CI on AVX2 machines) a missing path fails.
func rowImpls(t *testing.T, f func(t *testing.T, im *impl)) {
	t.Helper()
	if want := os.Getenv("KERNELS_REQUIRE"); want != "" {
		for _, name := range strings.Split(want, ",") {
			_, err := lookup(name)
			require.NoError(t, err, "KERNELS_REQUIRE=%s", want)
		}
	}
	if len(impls) == 1 {
		t.Logf("only the generic implementation is available on this CPU/build")
	}
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			t.Parallel()
			f(t, im)
		})
	}
}

// guardedRows returns a buffer of n floats starting at offset off, with
// rowGuard in the off floats before and 9 floats after, and the view.
func guardedRows(n, off int) (buf, view []float32) {
	buf = make([]float32, off+n+9)
	for i := range buf {
		buf[i] = rowGuard
	}
	return buf, buf[off : off+n : off+n]
}

// requireGuards checks that everything outside [off, off+n) still holds the
// guard bits.
func requireGuards(t testing.TB, buf []float32, off, n int, what string) {
	t.Helper()
	for i, v := range buf {
		if i >= off && i < off+n {
			continue
		}
		if math.Float32bits(v) != math.Float32bits(rowGuard) {
			t.Fatalf("%s: guard element %d (offset %d, n %d) overwritten with %v", what, i, off, n, v)
		}
	}
}

// softmaxRef64 is the float64 oracle: softmax(src/tau) and its log-sum-exp.
func softmaxRef64(src []float32, tau float64) (p []float64, lse float64) {
	m := math.Inf(-1)
	for _, v := range src {
		m = max(m, float64(v))
	}
	p = make([]float64, len(src))
	var s float64
	for j, v := range src {
		p[j] = math.Exp((float64(v) - m) / tau)
		s += p[j]
	}
	for j := range p {
		p[j] /= s
	}
	return p, m/tau + math.Log(s)
}

// ulpDiff is the distance between two float32 values in units in the last
// place (0 for equal values, including both NaN).
func ulpDiff(a, b float32) int64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt64
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 == (ib < 0x80000000) {
		d := ia - ib
		return max(d, -d)
	}
	// Opposite signs: distance through zero.
	return (ia & 0x7fffffff) + (ib & 0x7fffffff)
}

// softmaxCheck compares one computed row with the float64 oracle.
func softmaxCheck(t testing.TB, what string, got, src []float32, tau float32) {
	t.Helper()
	const rtol, atol = 2e-6, 1e-7
	ref, _ := softmaxRef64(src, float64(tau))
	var sum float64
	arg := 0
	for j, v := range src {
		if v > src[arg] {
			arg = j
		}
	}
	for j, g := range got {
		if math.IsInf(float64(src[j]), -1) {
			if math.Float32bits(g) != 0 {
				t.Fatalf("%s: src[%d] = -Inf gives %v, want exactly +0", what, j, g)
			}
		}
		if d := math.Abs(float64(g) - ref[j]); !(d <= atol+rtol*ref[j]) {
			t.Fatalf("%s: col %d: got %v, want %v (|diff| %.3g > %.3g); src %v",
				what, j, g, ref[j], d, atol+rtol*ref[j], src[j])
		}
		sum += float64(g)
		if g > got[arg] {
			t.Fatalf("%s: argmax not preserved: got[%d]=%v > got[%d]=%v (src argmax)", what, j, g, arg, got[arg])
		}
	}
	if math.Abs(sum-1) > 1e-6 {
		t.Fatalf("%s: row sums to %.9g", what, sum)
	}
}

// softmaxRowsFor makes rows×cols logits: random rows of several scales plus
// the special rows of the style guide.
func softmaxRowsFor(rng *rand.Rand, rows, cols int) []float32 {
	src := make([]float32, rows*cols)
	inf := float32(math.Inf(1))
	for r := 0; r < rows; r++ {
		row := src[r*cols : (r+1)*cols]
		switch r % 10 {
		case 0, 1, 2:
			s := []float64{1, 5, 30}[r%3]
			for j := range row {
				row[j] = float32(rng.NormFloat64() * s)
			}
		case 3: // equal values
			for j := range row {
				row[j] = 2.5
			}
		case 4: // one dominant value
			for j := range row {
				row[j] = float32(rng.NormFloat64())
			}
			row[rng.IntN(cols)] = 40
		case 5: // ±88
			for j := range row {
				row[j] = float32([]float64{88, -88, 87.5, -87.9}[j%4])
			}
		case 6: // ±1e4
			for j := range row {
				row[j] = float32(rng.NormFloat64() * 1e4)
			}
			row[rng.IntN(cols)] = 1e4
		case 7: // differences of 1e30
			for j := range row {
				row[j] = float32([]float64{1e30, 0, -1e30, 1e30 * (1 - 1e-7)}[j%4])
			}
		case 8: // -Inf entries
			for j := range row {
				if rng.IntN(3) == 0 {
					row[j] = -inf
				} else {
					row[j] = float32(rng.NormFloat64() * 2)
				}
			}
			row[rng.IntN(cols)] = 0.5
		case 9: // all -Inf but one
			for j := range row {
				row[j] = -inf
			}
			row[rng.IntN(cols)] = float32(rng.NormFloat64())
		}
	}
	return src
}

var softmaxTaus = []float32{0.1, 0.5, 1, 1.3, 10}

// softmaxCols are the row lengths of the style guide: 1..3W+3 for W = 8
// (covers NEON's W = 4 too), then the sizes around powers of two.
func softmaxCols() []int {
	var c []int
	for n := 1; n <= 27; n++ {
		c = append(c, n)
	}
	return append(c, 63, 64, 65, 127, 128, 129, 1000, 1024)
}

// TestSoftmaxRows checks every path against the float64 oracle and against
// the Go twin, with guard bands, unaligned offsets and in-place calls.
func TestSoftmaxRows(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		ws := NewWorkspace(1)
		defer ws.Close()
		worstTwin := int64(0)
		for ci, cols := range softmaxCols() {
			rows := 20
			if cols >= 1000 {
				rows = 10
			}
			for ti, tau := range softmaxTaus {
				off := (ci + ti) % 8
				inPlace := (ci+ti)%3 == 0
				src := softmaxRowsFor(rng, rows, cols)
				sbuf, sv := guardedRows(rows*cols, off)
				copy(sv, src)
				dbuf, dv := sbuf, sv
				doff := off
				if !inPlace {
					doff = (off + 3) % 8
					dbuf, dv = guardedRows(rows*cols, doff)
				}
				lbuf, lse := guardedRows(rows, (off+5)%8)
				what := fmt.Sprintf("%s cols=%d tau=%v off=%d inplace=%v", im.name, cols, tau, off, inPlace)
				require.NoError(t, softmaxRows(im, ws, dv, sv, rows, cols, tau, lse), what)
				requireGuards(t, dbuf, doff, rows*cols, what+" dst")
				requireGuards(t, lbuf, (off+5)%8, rows, what+" lse")
				if !inPlace {
					requireGuards(t, sbuf, off, rows*cols, what+" src")
					require.Equal(t, src, sv, "%s: src modified", what)
				}
				twin := make([]float32, rows*cols)
				twinLse := make([]float32, rows)
				require.NoError(t, softmaxRows(genericImpl, nil, twin, src, rows, cols, tau, twinLse))
				for r := 0; r < rows; r++ {
					w := fmt.Sprintf("%s row %d", what, r)
					softmaxCheck(t, w, dv[r*cols:(r+1)*cols], src[r*cols:(r+1)*cols], tau)
					_, l64 := softmaxRef64(src[r*cols:(r+1)*cols], float64(tau))
					require.InDelta(t, l64, float64(lse[r]), 2e-6*math.Max(1, math.Abs(l64)), "%s lse", w)
				}
				for i := range twin {
					d := ulpDiff(dv[i], twin[i])
					worstTwin = max(worstTwin, d)
					if d > 2 {
						t.Fatalf("%s: element %d: %v vs twin %v (%d ulp)", what, i, dv[i], twin[i], d)
					}
				}
				for r := range twinLse {
					require.LessOrEqual(t, ulpDiff(lse[r], twinLse[r]), int64(2), "%s lse row %d", what, r)
				}
			}
		}
		t.Logf("%s: worst distance to the Go twin: %d ulp", im.name, worstTwin)
	})
}

// TestSoftmaxMeasuredError measures the worst relative error against the
// float64 oracle over random rows (the number quoted in doc.go), and requires
// it below the documented bound.
func TestSoftmaxMeasuredError(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(21, 22))
		// Worst relative error of probabilities above 1e-3, 1e-7 and 1e-30:
		// the error grows with |x| = |src-max|/tau through the rounding of x.
		bounds := []float64{1e-3, 1e-7, 1e-30}
		worst := make([]float64, len(bounds))
		for _, cols := range []int{2, 8, 10, 64, 1024} {
			for _, tau := range softmaxTaus {
				rows := max(8, 4096/cols)
				src := make([]float32, rows*cols)
				for i := range src {
					src[i] = float32(rng.NormFloat64() * 4)
				}
				dst := make([]float32, len(src))
				require.NoError(t, softmaxRows(im, nil, dst, src, rows, cols, tau, nil))
				for r := 0; r < rows; r++ {
					ref, _ := softmaxRef64(src[r*cols:(r+1)*cols], float64(tau))
					for j, p := range ref {
						for b, lo := range bounds {
							if p > lo {
								worst[b] = max(worst[b], math.Abs(float64(dst[r*cols+j])-p)/p)
							}
						}
					}
				}
			}
		}
		t.Logf("%s: max relative error vs float64 for p > 1e-3: %.3g, p > 1e-7: %.3g, p > 1e-30: %.3g",
			im.name, worst[0], worst[1], worst[2])
		require.Less(t, worst[0], 1e-6)
		require.Less(t, worst[1], 2e-6)
		require.Less(t, worst[2], 1e-5)
	})
}

// TestSoftmaxThreads requires bit-identical results for 1, 2, 3 and 8
// workers on a matrix large enough to be split.
func TestSoftmaxThreads(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(31, 32))
		for _, cols := range []int{3, 8, 64} {
			rows := 5003
			src := softmaxRowsFor(rng, rows, cols)
			var want []float32
			for _, th := range []int{1, 2, 3, 8} {
				ws := NewWorkspace(th)
				dst := make([]float32, rows*cols)
				lse := make([]float32, rows)
				require.NoError(t, softmaxRows(im, ws, dst, src, rows, cols, 0.7, lse))
				ws.Close()
				if want == nil {
					want = dst
					continue
				}
				for i := range dst {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
						t.Fatalf("cols=%d threads=%d: element %d = %v, 1 thread gave %v", cols, th, i, dst[i], want[i])
					}
				}
			}
		}
	})
}

// TestSoftmaxErrors checks the argument errors and the per-row errors.
func TestSoftmaxErrors(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		inf, nan := float32(math.Inf(1)), float32(math.NaN())
		for _, tau := range []float32{0, -1, nan, inf, float32(math.Inf(-1)), 1e-45} {
			err := softmaxRows(im, nil, make([]float32, 4), make([]float32, 4), 2, 2, tau, nil)
			require.ErrorIs(t, err, ErrTemperature, "tau=%v", tau)
			require.Contains(t, err.Error(), "SoftmaxRows")
		}
		// Shape errors are found before any kernel runs: dst stays intact.
		shape := []struct {
			dst, src, lse    int
			rows, cols, want int
		}{
			{4, 3, 0, 2, 2, 0}, {3, 4, 0, 2, 2, 0}, {4, 4, 1, 2, 2, 0},
			{4, 4, 0, -1, 2, 0}, {4, 4, 0, 2, 0, 0}, {4, 4, 0, math.MaxInt / 2, 3, 0},
		}
		for _, c := range shape {
			buf, dst := guardedRows(c.dst, 1)
			var lse []float32
			if c.lse > 0 {
				lse = make([]float32, c.lse)
			}
			err := softmaxRows(im, nil, dst, make([]float32, c.src), c.rows, c.cols, 1, lse)
			require.ErrorIs(t, err, ErrShape, "%+v", c)
			requireGuards(t, buf, 1, 0, fmt.Sprintf("%+v", c))
		}
		// Bad rows: the error names the first one, for every path, in place
		// or not, with the row in a padded block or not.
		for _, cols := range []int{1, 5, 8, 24} {
			for _, bad := range []struct {
				vals []float32
				msg  string
			}{
				{[]float32{nan}, "NaN"},
				{[]float32{inf}, "+Inf"},
				{[]float32{-inf, nan}, "NaN"},
			} {
				rows := 19
				src := make([]float32, rows*cols)
				for i := range src {
					src[i] = float32(i%7) - 3
				}
				for r := 0; r < rows; r++ {
					src[r*cols] = 1
				}
				row := 13
				for j := range cols {
					src[row*cols+j] = float32(math.Inf(-1))
				}
				for k, v := range bad.vals {
					src[row*cols+min(k, cols-1)] = v
				}
				for _, inPlace := range []bool{false, true} {
					s := append([]float32(nil), src...)
					dst := make([]float32, len(s))
					if inPlace {
						dst = s
					}
					err := softmaxRows(im, nil, dst, s, rows, cols, 1, nil)
					require.ErrorIs(t, err, ErrNonFinite)
					require.Contains(t, err.Error(), "row 13", "cols=%d %v", cols, bad.vals)
					if !inPlace && cols > 1 {
						require.Contains(t, err.Error(), bad.msg)
					}
				}
				// All -Inf row.
				s := append([]float32(nil), src...)
				for j := range cols {
					s[4*cols+j] = -inf
				}
				err := softmaxRows(im, nil, make([]float32, len(s)), s, rows, cols, 1, nil)
				require.ErrorIs(t, err, ErrNonFinite)
				require.Contains(t, err.Error(), "row 4")
			}
		}
	})
}

// raceBuild reports whether the test binary runs under the race detector,
// whose sync.Pool drops a quarter of the items put back: the pooled scratch
// of nil workspaces then allocates, by design of the detector.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// rowAllocWorkspaces are the workspaces of the allocation tests: a nil one
// (pooled scratch; not under the race detector, see raceBuild) and reused
// ones with one and two threads.
func rowAllocWorkspaces() []*Workspace {
	ws := []*Workspace{NewWorkspace(1), NewWorkspace(2)}
	if !raceBuild() {
		ws = append(ws, nil)
	}
	return ws
}

// TestSoftmaxAllocs requires zero allocations per call in steady state, with
// a reused workspace and with a nil one.
func TestSoftmaxAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun counts the allocations of the whole process.
	for _, im := range impls {
		for _, cols := range []int{5, 8, 64} {
			rows := 4000
			src := softmaxRowsFor(rand.New(rand.NewPCG(1, uint64(cols))), rows, cols)
			dst := make([]float32, len(src))
			lse := make([]float32, rows)
			for _, ws := range rowAllocWorkspaces() {
				a := testing.AllocsPerRun(20, func() {
					if err := softmaxRows(im, ws, dst, src, rows, cols, 1, lse); err != nil {
						panic(err)
					}
				})
				require.Zero(t, a, "%s cols=%d threads=%d nil=%v", im.name, cols, ws.Threads(), ws == nil)
				ws.Close()
			}
		}
	}
}

// TestSoftmaxUsesActive checks that the public function dispatches to the
// active implementation (and so to every path in turn).
func TestSoftmaxUsesActive(t *testing.T) {
	src := []float32{1, 2, 3, float32(math.Inf(-1)), 0, 0}
	for _, im := range impls {
		restore, err := Use(im.name)
		require.NoError(t, err)
		require.Equal(t, im.name, Active())
		dst := make([]float32, len(src))
		require.NoError(t, SoftmaxRows(nil, dst, src, 2, 3, 1, nil))
		restore()
		softmaxCheck(t, im.name, dst[:3], src[:3], 1)
		softmaxCheck(t, im.name, dst[3:], src[3:], 1)
	}
	_, err := Use("no-such-path")
	require.ErrorIs(t, err, ErrArgument)
	require.Equal(t, "generic", Available()[len(Available())-1])
}

// TestExpf32Ulp sweeps float32 bit patterns in [-87.3, 0] with a stride and
// requires expf32 within 1.5 ulp of math.Exp (the measured worst is quoted in
// doc.go), and exactly 0 below the cutoff.
func TestExpf32Ulp(t *testing.T) {
	stride := uint32(97)
	if testing.Short() {
		stride = 997
	}
	lo, hi := uint32(0x80000000), math.Float32bits(expCutoff)
	worst, at := 0.0, float32(0)
	for b := lo; b <= hi; b += stride {
		x := math.Float32frombits(b)
		got := float64(expf32(x))
		want := math.Exp(float64(x))
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1)))) - float64(float32(want))
		if e := math.Abs(got-want) / ulp; e > worst {
			worst, at = e, x
		}
	}
	t.Logf("expf32: worst error on [-87.3, 0]: %.3f ulp at x = %v", worst, at)
	require.LessOrEqual(t, worst, 1.5, "at x = %v", at)
	for _, x := range []float32{math.Nextafter32(expCutoff, -100), -88, -100, -1e30, float32(math.Inf(-1))} {
		require.Equal(t, uint32(0), math.Float32bits(expf32(x)), "x=%v", x)
	}
	require.Equal(t, float32(1), expf32(0))
	require.True(t, math.IsNaN(float64(expf32(float32(math.NaN())))))
}

// TestFma32 compares fma32 with the exactly rounded a·b + c (math/big) on
// random operands and on operands built to make s a float32 midpoint, the
// case where a plain float64 computation would round twice.
func TestFma32(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	check := func(a, b, c float32) {
		t.Helper()
		if got, want := fma32(a, b, c), exact(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
	for range 20000 {
		a := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		b := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		c := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		check(a, b, c)
	}
	// Double rounding: with A = 2^23+2896 and B = 2^23-2895, A·B = 2^46 + 4688,
	// so a·b = 2^-24 + 4688·2^-70 for the float32 a = A·2^-23, b = B·2^-47.
	// 1 + a·b rounds in float64 to the float32 midpoint 1 + 2^-24, which
	// then ties to even (1), while the exact sum is above the midpoint.
	a := float32(1<<23+2896) * 0x1p-23
	b := float32(1<<23-2895) * 0x1p-47
	require.Equal(t, float32(1), float32(float64(a)*float64(b)+1), "the case must double-round in plain float64")
	check(a, b, 1)
	check(-a, b, -1)
	check(a, b*0x1p-60, 0x1p-60)
	for range 100000 {
		// Products against a c that puts the float32 rounding point
		// inside them.
		a := float32(1+rng.Float64()) * float32(math.Exp2(float64(rng.IntN(8))))
		b := float32(1 + rng.Float64())
		c := float32(rng.IntN(1<<20)) * float32(math.Exp2(float64(rng.IntN(6)+4)))
		check(a, b, c)
		check(-a, b, -c)
	}
	// Subnormal results and overflow.
	check(0x1p-70, 0x1p-70, 0x1p-140)
	check(0x1p-130, 3, -0x1p-128)
	check(3e38, 3e38, 1)
}

// ExampleSoftmaxRows turns two rows of logits into probabilities; the -Inf
// logit gets exactly 0.
func ExampleSoftmaxRows() {
	logits := []float32{
		0, 0, float32(math.Log(2)), float32(math.Inf(-1)),
		10, 10, 10, 10,
	}
	p := make([]float32, len(logits))
	lse := make([]float32, 2)
	if err := SoftmaxRows(nil, p, logits, 2, 4, 1, lse); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n%.4f\nlse %.4f %.4f\n", p[:4], p[4:], lse[0], lse[1])
	err := SoftmaxRows(nil, p, []float32{1, float32(math.NaN())}, 1, 2, 1, nil)
	fmt.Println(errors.Is(err, ErrNonFinite))
	// Output:
	// [0.2500 0.2500 0.5000 0.0000]
	// [0.2500 0.2500 0.2500 0.2500]
	// lse 1.3863 11.3863
	// true
}
