package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// firstDraws returns the first n Uint64 of the stream (seed, step, block).
func firstDraws(seed, step, block uint64, n int) []uint64 {
	pcg := rand.NewPCG(12345, 67890) // prior state must not matter
	for range 3 {
		pcg.Uint64()
	}
	SeedStream(pcg, seed, step, block)
	out := make([]uint64, n)
	for i := range out {
		out[i] = pcg.Uint64()
	}
	return out
}

// TestSeedStream checks that a stream depends on (seed, step, block) only,
// and that different triples, including neighbours, give different streams.
func TestSeedStream(t *testing.T) {
	a := firstDraws(3, 17, 5, 8)
	pcg := rand.NewPCG(0, 0)
	SeedStream(pcg, 3, 17, 5)
	for i, want := range a {
		require.Equal(t, want, pcg.Uint64(), "draw %d", i)
	}
	// Re-seeding mid-stream restarts the stream.
	SeedStream(pcg, 3, 17, 5)
	require.Equal(t, a[0], pcg.Uint64())
	seen := map[uint64][3]uint64{}
	for seed := uint64(0); seed < 10; seed++ {
		for step := uint64(0); step < 20; step++ {
			for block := uint64(0); block < 20; block++ {
				d := firstDraws(seed, step, block, 1)[0]
				prev, dup := seen[d]
				require.False(t, dup, "(%d,%d,%d) and %v start alike", seed, step, block, prev)
				seen[d] = [3]uint64{seed, step, block}
			}
		}
	}
	// Swapping the roles of the words gives another stream.
	require.NotEqual(t, firstDraws(1, 2, 3, 1), firstDraws(2, 1, 3, 1))
	require.NotEqual(t, firstDraws(1, 2, 3, 1), firstDraws(1, 3, 2, 1))
	// Neighbouring seeds are uncorrelated: the bits of the first draws
	// agree about half of the time.
	agree := 0
	for s := uint64(0); s < 200; s++ {
		x, y := firstDraws(s, 0, 0, 1)[0], firstDraws(s+1, 0, 0, 1)[0]
		agree += 64 - popcount(x^y)
	}
	frac := float64(agree) / (200 * 64)
	require.InDelta(t, 0.5, frac, 0.02, "bit agreement of neighbouring seeds")
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TestUniforms checks the bit mapping (two values per Uint64, high bits
// first), the range and the mean.
func TestUniforms(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ref := rand.New(rand.NewPCG(1, 2))
	u := make([]float32, 10001)
	Uniforms(r, u)
	for i := 0; i+1 < len(u); i += 2 {
		x := ref.Uint64()
		require.Equal(t, float32(x>>40)/(1<<24), u[i])
		require.Equal(t, float32((x>>16)&0xffffff)/(1<<24), u[i+1])
	}
	require.Equal(t, float32(ref.Uint64()>>40)/(1<<24), u[len(u)-1])
	var sum float64
	for _, v := range u {
		require.True(t, v >= 0 && v < 1, "%v", v)
		sum += float64(v)
	}
	require.InDelta(t, 0.5, sum/float64(len(u)), 0.01)
}

// ksStat is the Kolmogorov–Smirnov distance between the sample x and cdf.
func ksStat(x []float32, cdf func(float64) float64) float64 {
	s := slices.Clone(x)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := float64(len(s))
	d := 0.0
	for i, v := range s {
		f := cdf(float64(v))
		d = max(d, math.Abs(f-float64(i)/n), math.Abs(float64(i+1)/n-f))
	}
	return d
}

// TestExponentials checks, per path, bit-identical draws (asm vs twin), the
// range (never 0 or +Inf), the mean, the variance and the Kolmogorov–Smirnov
// distance to Exp(1), all with a fixed seed.
func TestExponentials(t *testing.T) {
	n := 1 << 20
	if testing.Short() {
		n = 1 << 17
	}
	want := make([]float32, n+3) // not a multiple of 8 nor of the chunk
	randomNegLog(genericImpl, rand.New(rand.NewPCG(5, 6)), want, 1)
	rowImpls(t, func(t *testing.T, im *impl) {
		e := make([]float32, n+3)
		randomNegLog(im, rand.New(rand.NewPCG(5, 6)), e, 1)
		require.Equal(t, want, e, "%s differs from the Go twin", im.name)
		var m1, m2 float64
		for _, v := range e {
			require.True(t, v > 0 && v < 18, "draw %v", v)
			m1 += float64(v)
			m2 += float64(v) * float64(v)
		}
		mean := m1 / float64(len(e))
		variance := m2/float64(len(e)) - mean*mean
		d := ksStat(e, func(x float64) float64 { return 1 - math.Exp(-x) })
		t.Logf("%s: mean %.5f variance %.5f KS %.5f (n=%d)", im.name, mean, variance, d, len(e))
		sd := 1 / math.Sqrt(float64(len(e)))
		require.InDelta(t, 1, mean, 5*sd)
		require.InDelta(t, 1, variance, 15*sd)
		require.Less(t, d, 1.95*sd) // P(D > 1.95/sqrt(n)) ≈ 0.001
	})
	// The public function uses the active path.
	e := make([]float32, 1000)
	Exponentials(rand.New(rand.NewPCG(5, 6)), e)
	require.Equal(t, want[:1000], e)
	// Extremes of the 24-bit grid: k = 0 and k = 2^24-1.
	for _, k := range []uint32{0, 1, 1<<24 - 1} {
		x := []float32{math.Float32frombits(k)}
		negLogGeneric(x, 1)
		require.True(t, x[0] > 0 && x[0] < 17.4, "k=%d: %v", k, x[0])
	}
}

// TestGumbels checks the Gumbel draws like the exponentials: identical paths,
// finite values, mean γ, variance π²/6, and the KS distance.
func TestGumbels(t *testing.T) {
	n := 1 << 20
	if testing.Short() {
		n = 1 << 17
	}
	want := make([]float32, n+5)
	randomNegLog(genericImpl, rand.New(rand.NewPCG(7, 8)), want, 2)
	rowImpls(t, func(t *testing.T, im *impl) {
		g := make([]float32, n+5)
		randomNegLog(im, rand.New(rand.NewPCG(7, 8)), g, 2)
		require.Equal(t, want, g, "%s differs from the Go twin", im.name)
		var m1, m2 float64
		for _, v := range g {
			require.True(t, v > -3 && v < 17, "draw %v", v)
			m1 += float64(v)
			m2 += float64(v) * float64(v)
		}
		mean := m1 / float64(len(g))
		variance := m2/float64(len(g)) - mean*mean
		d := ksStat(g, func(x float64) float64 { return math.Exp(-math.Exp(-x)) })
		t.Logf("%s: mean %.5f variance %.5f KS %.5f (n=%d)", im.name, mean, variance, d, len(g))
		sd := math.Sqrt(math.Pi * math.Pi / 6 / float64(len(g)))
		require.InDelta(t, 0.5772156649, mean, 5*sd)
		require.InDelta(t, math.Pi*math.Pi/6, variance, 20*sd)
		require.Less(t, d, 1.95/math.Sqrt(float64(len(g))))
	})
	g := make([]float32, 999)
	Gumbels(rand.New(rand.NewPCG(7, 8)), g)
	require.Equal(t, want[:999], g)
}

// TestNegLogf32 sweeps u over (0, 1) and requires -log(u) within 2 ulp of
// the float64 value (the measured worst is quoted in doc.go).
func TestNegLogf32(t *testing.T) {
	stride := uint32(37)
	if testing.Short() {
		stride = 371
	}
	worst, at := 0.0, float32(0)
	for b := math.Float32bits(0x1p-26); b < math.Float32bits(1); b += stride {
		u := math.Float32frombits(b)
		got := float64(negLogf32(u))
		want := -math.Log(float64(u))
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1)))) - float64(float32(want))
		if e := math.Abs(got-want) / ulp; e > worst {
			worst, at = e, u
		}
	}
	// And the Gumbel step, -log(E) for E in the range of the exponentials.
	for b := math.Float32bits(5e-8); b < math.Float32bits(18); b += stride {
		u := math.Float32frombits(b)
		got := float64(negLogf32(u))
		want := -math.Log(float64(u))
		ulp := float64(math.Nextafter32(float32(math.Abs(want)), float32(math.Inf(1)))) - float64(float32(math.Abs(want)))
		if e := math.Abs(got-want) / ulp; e > worst {
			worst, at = e, u
		}
	}
	t.Logf("negLogf32: worst error %.3f ulp at u = %v", worst, at)
	require.LessOrEqual(t, worst, 2.0, "at u = %v", at)
}

// TestRNGAllocs requires the bulk generators to allocate nothing.
func TestRNGAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	pcg := rand.NewPCG(1, 1)
	dst := make([]float32, 5000)
	require.Zero(t, testing.AllocsPerRun(10, func() {
		SeedStream(pcg, 1, 2, 3)
		Uniforms(r, dst)
		Exponentials(r, dst)
		Gumbels(r, dst)
	}))
}
