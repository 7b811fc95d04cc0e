package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestXoshiro128ppReference holds the step to the authors' reference C:
// the first ten outputs of xoshiro128plusplus.c from the state {1, 2, 3, 4}
// (the vector the Rust rand_xoshiro crate tests against as well).
func TestXoshiro128ppReference(t *testing.T) {
	want := []uint32{641, 1573767, 3222811527, 3517856514, 836907274, 4247214768,
		3867114732, 1355841295, 495546011, 621204420}
	s0, s1, s2, s3 := uint32(1), uint32(2), uint32(3), uint32(4)
	for i, w := range want {
		var r uint32
		r, s0, s1, s2, s3 = xoshiro128pp(s0, s1, s2, s3)
		require.Equal(t, w, r, "output %d", i)
	}
}

// randomXoshiro returns a generator in a random (non-zero) state.
func randomXoshiro(rng *rand.Rand) *Xoshiro8 {
	var x Xoshiro8
	for i := range x.s {
		x.s[i] = rng.Uint32()
	}
	return &x
}

// TestXoshiro8Order checks the documented output order against the scalar
// step: value i of a call is lane i%8 at step i/8, a short last step drops
// the rest of its values, and calls continue where the last one stopped.
func TestXoshiro8Order(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, im := range impls {
		for _, lengths := range [][]int{{0}, {1}, {8}, {13, 8, 3}, {4096 + 5, 16}, {2048, 2048, 7}} {
			x := randomXoshiro(rng)
			lanes := x.s
			for _, n := range lengths {
				got := make([]float32, n)
				x.bits(im, got)
				steps := (n + 7) / 8
				for l := range xoshiroLanes {
					s0, s1, s2, s3 := lanes[l], lanes[8+l], lanes[16+l], lanes[24+l]
					for st := range steps {
						var r uint32
						r, s0, s1, s2, s3 = xoshiro128pp(s0, s1, s2, s3)
						if i := 8*st + l; i < n {
							require.Equal(t, r>>8, math.Float32bits(got[i]), "%s: lengths %v: value %d", im.name, lengths, i)
						}
					}
					lanes[l], lanes[8+l], lanes[16+l], lanes[24+l] = s0, s1, s2, s3
				}
				require.Equal(t, lanes, x.s, "%s: state after %d values", im.name, n)
			}
		}
	}
}

// TestXoshiro8ImplsMatchTwin holds every kernel to the Go twin bit for bit:
// whole-step lengths up to 70 steps and large, unaligned destinations,
// guard values around them that must not change, and the state after.
func TestXoshiro8ImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for _, im := range impls {
		if im.xoshiro == nil {
			continue
		}
		for steps := range 71 {
			for _, n := range []int{8 * steps, 8 * (steps + 500)} {
				x := randomXoshiro(rng)
				twin := *x
				off := rng.IntN(4)
				buf := make([]float32, n+off+3)
				for i := range buf {
					buf[i] = float32(i) - 0.5
				}
				want := append([]float32(nil), buf...)
				xoshiro8Generic(&twin.s, want[off:off+n])
				im.xoshiro(&x.s, buf[off:off+n])
				require.Equal(t, twin.s, x.s, "%s: n=%d: state", im.name, n)
				for i := range buf {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(buf[i]), "%s: n=%d off=%d: element %d", im.name, n, off, i)
				}
			}
		}
	}
}

// TestXoshiro8Seed checks that streams are reproducible, that nearby seeds,
// steps and blocks give unrelated streams, and that no two lanes share a
// state.
func TestXoshiro8Seed(t *testing.T) {
	draw := func(seed, step, block uint64) []float32 {
		var x Xoshiro8
		x.Seed(seed, step, block)
		u := make([]float32, 64)
		x.Uniforms(u)
		return u
	}
	require.Equal(t, draw(1, 2, 3), draw(1, 2, 3))
	base := draw(1, 2, 3)
	for _, other := range [][]float32{draw(2, 2, 3), draw(1, 3, 3), draw(1, 2, 4), draw(1, 2, 3|1<<63)} {
		same := 0
		for i := range base {
			if base[i] == other[i] {
				same++
			}
		}
		require.LessOrEqual(t, same, 1, "neighbouring streams share values")
	}
	var x Xoshiro8
	for seed := range uint64(100) {
		x.Seed(seed, 0, 0)
		seen := map[[4]uint32]bool{}
		for l := range xoshiroLanes {
			st := [4]uint32{x.s[l], x.s[8+l], x.s[16+l], x.s[24+l]}
			require.NotEqual(t, [4]uint32{}, st)
			require.False(t, seen[st], "seed %d: two lanes share a state", seed)
			seen[st] = true
		}
	}
}

// TestXoshiro8Distributions checks, per path, that the draws are the twin's
// bits, and their distribution with a fixed seed: uniforms in [0, 1) with
// mean 1/2 and a small KS distance, exponentials and Gumbels as in
// TestExponentials and TestGumbels, and the correlation of neighbouring
// values (which come from different lanes).
func TestXoshiro8Distributions(t *testing.T) {
	n := 1<<20 + 3
	if testing.Short() {
		n = 1<<17 + 3
	}
	draw := func(im *impl, kind int) []float32 {
		var x Xoshiro8
		x.Seed(9, 10, 11)
		v := make([]float32, n)
		if kind == 0 {
			x.bits(im, v)
			for i, b := range v {
				v[i] = float32(math.Float32bits(b)) * 0x1p-24
			}
		} else {
			x.negLog(im, v, kind)
		}
		return v
	}
	sd := 1 / math.Sqrt(float64(n))
	rowImpls(t, func(t *testing.T, im *impl) {
		u := draw(im, 0)
		require.Equal(t, draw(genericImpl, 0), u, "%s: uniforms differ from the Go twin", im.name)
		var m1, lag float64
		for i, v := range u {
			require.True(t, v >= 0 && v < 1, "uniform %v", v)
			m1 += float64(v)
			if i > 0 {
				lag += (float64(v) - 0.5) * (float64(u[i-1]) - 0.5)
			}
		}
		corr := lag / float64(n-1) * 12 // the variance of U(0,1) is 1/12
		dU := ksStat(u, func(x float64) float64 { return min(max(x, 0), 1) })
		t.Logf("%s: uniforms mean %.5f KS %.5f lag-1 correlation %.5f (n=%d)", im.name, m1/float64(n), dU, corr, n)
		require.InDelta(t, 0.5, m1/float64(n), 5*sd/math.Sqrt(12))
		require.Less(t, dU, 1.95*sd)
		require.InDelta(t, 0, corr, 5*sd)

		for _, kind := range []int{1, 2} {
			e := draw(im, kind)
			require.Equal(t, draw(genericImpl, kind), e, "%s: kind %d differs from the Go twin", im.name, kind)
			var m1, m2 float64
			for _, v := range e {
				require.False(t, math.IsInf(float64(v), 0) || math.IsNaN(float64(v)), "draw %v", v)
				m1 += float64(v)
				m2 += float64(v) * float64(v)
			}
			mean := m1 / float64(n)
			variance := m2/float64(n) - mean*mean
			wantMean, wantVar := 1.0, 1.0
			cdf := func(x float64) float64 { return 1 - math.Exp(-x) }
			if kind == 2 {
				wantMean, wantVar = 0.5772156649, math.Pi*math.Pi/6
				cdf = func(x float64) float64 { return math.Exp(-math.Exp(-x)) }
			}
			d := ksStat(e, cdf)
			t.Logf("%s: kind %d mean %.5f variance %.5f KS %.5f", im.name, kind, mean, variance, d)
			require.InDelta(t, wantMean, mean, 5*sd*math.Sqrt(wantVar))
			require.InDelta(t, wantVar, variance, 20*sd*wantVar)
			require.Less(t, d, 1.95*sd)
		}
	})
	// The methods use the active path.
	var x Xoshiro8
	x.Seed(9, 10, 11)
	e := make([]float32, n)
	x.Exponentials(e)
	require.Equal(t, draw(genericImpl, 1), e)
	x.Seed(9, 10, 11)
	x.Gumbels(e)
	require.Equal(t, draw(genericImpl, 2), e)
	x.Seed(9, 10, 11)
	x.Uniforms(e)
	require.Equal(t, draw(genericImpl, 0), e)
}

// TestXoshiro8Allocs requires seeding and drawing to allocate nothing.
func TestXoshiro8Allocs(t *testing.T) {
	var x Xoshiro8
	dst := make([]float32, 5003)
	require.Zero(t, testing.AllocsPerRun(10, func() {
		x.Seed(1, 2, 3)
		x.Uniforms(dst)
		x.Exponentials(dst)
		x.Gumbels(dst)
	}))
}

// FuzzXoshiro8 runs every kernel against the Go twin from fuzzed states and
// lengths.
func FuzzXoshiro8(f *testing.F) {
	f.Add(make([]byte, 128), uint16(8))
	f.Add([]byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4}, uint16(1001))
	f.Fuzz(func(t *testing.T, state []byte, n uint16) {
		var x Xoshiro8
		for i := range x.s {
			if 4*i+4 <= len(state) {
				x.s[i] = binary.LittleEndian.Uint32(state[4*i:])
			}
		}
		n %= 8192
		want := make([]float32, n)
		twin := x
		twin.bits(genericImpl, want)
		for _, im := range impls {
			got := make([]float32, n)
			y := x
			y.bits(im, got)
			require.Equal(t, twin.s, y.s, im.name)
			for i := range got {
				require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: n=%d: element %d", im.name, n, i)
			}
		}
	})
}

// Draw the backward noise of one row block: K·C exponentials per row from
// the stream (seed, step, block).
func ExampleXoshiro8() {
	var x Xoshiro8
	x.Seed(1, 0, 0)
	e := make([]float32, 100*8) // K = 100 samples of C = 8 categories
	x.Exponentials(e)
	var sum float64
	for _, v := range e {
		sum += float64(v)
	}
	fmt.Printf("%d draws, mean %.1f\n", len(e), sum/float64(len(e)))
	// Output: 800 draws, mean 1.0
}
