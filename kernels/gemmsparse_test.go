package kernels

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSgemmIdxKernel checks each table's gemmIdx alone on packed panels:
// over a step list it gives the bits of gemm over all steps with the
// unlisted steps of both panels zeroed, while it is handed those steps
// holding NaN (so reading one shows), with every beta kind, and it writes
// nothing outside the tile.
func TestSgemmIdxKernel(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		if im.gemmIdx == nil {
			t.Logf("%s has no step-list kernel: SgemmSparse runs as Sgemm", im.name)
			return
		}
		rng := rand.New(rand.NewPCG(5, 6))
		mr, nr := im.mr, im.nr
		for _, kc := range []int{0, 1, 2, 5, 8, 63, 256} {
			for _, density := range []float64{0, 0.1, 0.5, 1} {
				for _, beta := range []float32{0, 1, -0.5, float32(math.Copysign(0, -1))} {
					var steps []int32
					for p := range kc {
						if rng.Float64() < density {
							steps = append(steps, int32(p))
						}
					}
					listed := make([]bool, kc)
					for _, p := range steps {
						listed[p] = true
					}
					a := make([]float32, kc*mr)
					b := make([]float32, kc*nr)
					az, bz := make([]float32, kc*mr), make([]float32, kc*nr)
					for p := range kc {
						for i := range mr {
							a[p*mr+i] = gemmSentinel
							if listed[p] {
								a[p*mr+i] = 2*rng.Float32() - 1
								az[p*mr+i] = a[p*mr+i]
							}
						}
						for j := range nr {
							b[p*nr+j] = gemmSentinel
							if listed[p] {
								b[p*nr+j] = 2*rng.Float32() - 1
								bz[p*nr+j] = b[p*nr+j]
							}
						}
					}
					ldc := nr + 3
					c0 := make([]float32, 2+(mr+1)*ldc)
					for i := range c0 {
						c0[i] = gemmSentinel
					}
					for i := range mr {
						for j := range nr {
							c0[1+i*ldc+j] = 2*rng.Float32() - 1
						}
					}
					want, got := slices.Clone(c0), slices.Clone(c0)
					im.gemm(kc, az, bz, want[1:1+(mr-1)*ldc+nr], ldc, beta)
					im.gemmIdx(steps, a, b, got[1:1+(mr-1)*ldc+nr], ldc, beta)
					for i := range got {
						require.Equalf(t, math.Float32bits(want[i]), math.Float32bits(got[i]),
							"kc=%d density=%v beta=%v: buffer[%d]=%v, gemm over zeroed steps %v", kc, density, beta, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// sparseFill returns a fill function for gemmGuarded: exact zeros (a
// third of them -0) with probability 1-density, else uniform in [-1, 1).
func sparseFill(rng *rand.Rand, density float64) func() float32 {
	return func() float32 {
		if rng.Float64() >= density {
			if rng.IntN(3) == 0 {
				return float32(math.Copysign(0, -1))
			}
			return 0
		}
		return 2*rng.Float32() - 1
	}
}

// countingIdx returns a copy of im whose gemmIdx counts its calls.
func countingIdx(im *impl, calls *atomic.Int64) *impl {
	c := *im
	c.gemmIdx = func(idx []int32, a, b, cc []float32, ldc int, beta float32) {
		calls.Add(1)
		im.gemmIdx(idx, a, b, cc, ldc, beta)
	}
	return &c
}

// TestSgemmSparse checks that SgemmSparse gives Sgemm's bits, for both
// sparse operands, every transpose, alpha and beta kind, ragged and
// multi-k-block shapes, densities from all-zero to dense, on 1 to 3
// threads, and that sparse operands did take the step-list kernel.
func TestSgemmSparse(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		if im.gemmIdx == nil {
			t.Logf("%s has no step-list kernel: SgemmSparse runs as Sgemm", im.name)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		wss := []*Workspace{nil, NewWorkspace(2), NewWorkspace(3)}
		defer wss[1].Close()
		defer wss[2].Close()
		shapes := [][3]int{{1, 1, 1}, {5, 17, 33}, {21, 16, 300}, {41, 35, 9}, {100, 64, 784}, {64, 100, 100}, {7, 45, 520}}
		for si, s := range shapes {
			for _, sp := range []Sparsity{SparseA, SparseB} {
				for _, density := range []float64{0, 0.05, 0.3, 1} {
					var calls atomic.Int64
					counted := im
					if im.gemmIdx != nil {
						counted = countingIdx(im, &calls)
					}
					for tr := range 4 {
						alpha := gemmAlphas[(si+tr)%3] // never 0: that reads neither operand
						beta := gemmBetas[(si+tr)%4]
						g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, s[0], s[1], s[2], alpha, beta, tr%2, si)
						ar, ac, br, bc := g.shapes()
						if sp == SparseA {
							g.a = gemmGuarded(ar, ac, g.lda, g.offA, sparseFill(rng, density))
						} else {
							g.b = gemmGuarded(br, bc, g.ldb, g.offB, sparseFill(rng, density))
						}
						want := g.run(t, im, nil)
						for _, ws := range wss {
							got := slices.Clone(g.c0)
							err := sgemmSparse(counted, ws, sp, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a[g.offA:], g.lda,
								g.b[g.offB:], g.ldb, g.beta, got[g.offC:], g.ldc)
							require.NoError(t, err)
							for i := range got {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									require.FailNowf(t, "SgemmSparse differs from Sgemm", "%v sparse=%d density=%v threads=%d: buffer[%d]=%v, Sgemm %v",
										g, sp, density, ws.Threads(), i, got[i], want[i])
								}
							}
						}
					}
					if im.gemmIdx != nil && density <= 0.05 && s[0]*s[1] > 1 {
						require.Positivef(t, calls.Load(), "%v sparse=%d density=%v: the step-list kernel never ran", s, sp, density)
					}
					if density == 1 {
						require.Zerof(t, calls.Load(), "%v sparse=%d: dense operands took the step-list kernel", s, sp)
					}
				}
			}
		}
	})
}

// TestSgemmSparseChunks checks Sgemm's bits on a product whose k is so
// large that A is packed in several chunks (one parallel round each).
func TestSgemmSparseChunks(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(13, 14))
		ws := NewWorkspace(2)
		defer ws.Close()
		k := gemmPackBudget/(6*im.mr) + 3 // at most 5 row panels a chunk
		m := 10*im.mr + 3
		require.Greater(t, ceilDiv(m, im.mr), max(gemmPackBudget/(k*im.mr), 1))
		for _, sp := range []Sparsity{SparseA, SparseB} {
			g := newGemmCase(rng, false, sp == SparseB, m, 50, k, 1, 0.5, 1, 2)
			ar, ac, br, bc := g.shapes()
			if sp == SparseA {
				g.a = gemmGuarded(ar, ac, g.lda, g.offA, sparseFill(rng, 0.01))
			} else {
				g.b = gemmGuarded(br, bc, g.ldb, g.offB, sparseFill(rng, 0.01))
			}
			want := g.run(t, im, ws)
			got := slices.Clone(g.c0)
			require.NoError(t, sgemmSparse(im, ws, sp, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a[g.offA:], g.lda,
				g.b[g.offB:], g.ldb, g.beta, got[g.offC:], g.ldc))
			for i := range got {
				require.Equalf(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%v sparse=%d: buffer[%d]", g, sp, i)
			}
		}
	})
}

// TestSgemmSparseNonFinite checks Sgemm's bits where the other operand
// holds Inf or NaN on steps the sparse operand skips (0·Inf = NaN, so
// those tiles must run every step) and where the sparse operand itself
// holds NaN and Inf, for both sparse operands and on 1 and 2 threads.
func TestSgemmSparseNonFinite(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		const m, n, k = 60, 48, 300
		ws := NewWorkspace(2)
		defer ws.Close()
		x := make([]float32, m*k) // the sparse operand, m×k: zeros but for steps 3 and 290
		for i := range m {
			x[i*k+3], x[i*k+290] = 1, -2
		}
		y := make([]float32, k*n) // the other operand, k×n
		for i := range y {
			y[i] = 0.5
		}
		// SparseA: C = X·Y (m×n). SparseB: C = Yᵀ·Xᵀ (n×m), X as op(B).
		prod := func(sp Sparsity, dense bool, w *Workspace) []float32 {
			c := make([]float32, m*n)
			var err error
			switch {
			case sp == SparseA && dense:
				err = sgemm(im, w, false, false, m, n, k, 1, x, k, y, n, 0, c, n)
			case sp == SparseA:
				err = sgemmSparse(im, w, SparseA, false, false, m, n, k, 1, x, k, y, n, 0, c, n)
			case dense:
				err = sgemm(im, w, true, true, n, m, k, 1, y, n, x, k, 0, c, m)
			default:
				err = sgemmSparse(im, w, SparseB, true, true, n, m, k, 1, y, n, x, k, 0, c, m)
			}
			require.NoError(t, err)
			return c
		}
		check := func(what string, wantNaN bool) {
			for _, sp := range []Sparsity{SparseA, SparseB} {
				want := prod(sp, true, nil)
				require.Equalf(t, wantNaN, slices.ContainsFunc(want, func(v float32) bool { return math.IsNaN(float64(v)) }),
					"%s sparse=%d: Sgemm's NaN", what, sp)
				for _, w := range []*Workspace{nil, ws} {
					got := prod(sp, false, w)
					for i := range got {
						require.Equalf(t, math.Float32bits(want[i]), math.Float32bits(got[i]),
							"%s sparse=%d threads=%d: C[%d]=%v, Sgemm %v", what, sp, w.Threads(), i, got[i], want[i])
					}
				}
			}
		}
		check("finite", false)
		y[10*n+5] = float32(math.Inf(1)) // step 10 is zero in every row of X
		check("Inf on a zero step", true)
		y[10*n+5], y[200*n+40] = 0.5, float32(math.NaN())
		check("NaN on a zero step", true)
		y[200*n+40] = 0.5
		x[7*k+20], x[9*k+21] = float32(math.NaN()), float32(math.Inf(-1))
		check("NaN and -Inf in the sparse operand", true)
	})
}

// TestSgemmSparseErrors checks the sparsity argument and that shape errors
// are Sgemm's.
func TestSgemmSparseErrors(t *testing.T) {
	c := make([]float32, 4)
	for _, sp := range []Sparsity{-1, 3} {
		err := SgemmSparse(nil, sp, false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, c, 2)
		require.ErrorIs(t, err, ErrArgument)
		require.ErrorContains(t, err, "sparsity")
	}
	err := SgemmSparse(nil, SparseA, false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, c, 2)
	require.True(t, errors.Is(err, ErrShape), "%v", err)
	require.ErrorContains(t, err, "kernels.SgemmSparse: a (m×k): len=3, need 4")
	err = SgemmSparse(nil, SparseB, false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, c, 2)
	require.ErrorIs(t, err, ErrShape)
	require.ErrorContains(t, err, "kernels.SgemmSparse: negative dimension m=-1")
}

// TestSgemmSparseAllocs requires zero allocations per call with a reused
// workspace, for both sparse operands, on one and two threads.
func TestSgemmSparseAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const m, n, k = 100, 512, 784
	x := make([]float32, m*k)
	fill := sparseFill(rng, 0.2)
	for i := range x {
		x[i] = fill()
	}
	w := make([]float32, n*k)
	dy := make([]float32, m*n)
	c := make([]float32, n*k)
	for _, th := range []int{1, 2} {
		ws := NewWorkspace(th)
		fwd := func() { _ = SgemmSparse(ws, SparseA, false, true, m, n, k, 1, x, k, w, k, 0, c, n) }
		dW := func() { _ = SgemmSparse(ws, SparseB, true, false, n, k, m, 1, dy, n, x, k, 0, c, k) }
		for _, call := range []func(){fwd, dW} {
			call()
			require.Zerof(t, testing.AllocsPerRun(5, call), "threads=%d", th)
		}
		ws.Close()
	}
}

// TestNonzeroBits checks nonzeroBits (each table's nonzero kernel plus the
// Go tail) against v != 0 on lengths around the 32-float word, with ±0,
// the smallest subnormals of both signs, NaN and ±Inf among the values.
func TestNonzeroBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	special := []float32{0, float32(math.Copysign(0, -1)), math.Float32frombits(1), math.Float32frombits(0x80000001),
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1, -0.5}
	for _, im := range impls {
		for _, n := range []int{0, 1, 31, 32, 33, 63, 64, 65, 96, 100, 5120} {
			x := make([]float32, n)
			for i := range x {
				x[i] = special[rng.IntN(len(special))]
			}
			bits := make([]uint32, n/32+2)
			for i := range bits {
				bits[i] = 0xdeadbeef
			}
			nw := nonzeroBits(im, bits, x)
			require.Equal(t, (n+31)/32, nw, "%s n=%d", im.name, n)
			for i, v := range x {
				want := v != 0 || math.IsNaN(float64(v))
				require.Equalf(t, want, bits[i/32]>>(i%32)&1 == 1, "%s n=%d: bit %d for %v", im.name, n, i, v)
			}
			if n%32 != 0 {
				require.Zerof(t, bits[n/32]>>(n%32), "%s n=%d: bits past the end of x", im.name, n)
			}
			require.Equalf(t, uint32(0xdeadbeef), bits[nw], "%s n=%d: word past the end written", im.name, n)
		}
	}
}
