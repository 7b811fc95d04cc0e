package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmSentinel marks memory a GEMM must neither read nor write: a quiet NaN with
// a recognisable payload. Read as input it poisons the result; written, its
// bit pattern changes.
var gemmSentinel = math.Float32frombits(0x7fc0beef)

// gemmCase is one Sgemm call laid out in gemmGuarded buffers: every matrix starts
// at offset off inside its buffer, rows are ld apart, and everything that is
// not an element (before, between rows, after) holds gemmSentinel.
type gemmCase struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	lda, ldb    int
	ldc         int
	offA, offB  int
	offC        int
	a, b, c0    []float32 // full buffers; c0 is C before the call
	want, tol   []float64 // the oracle, m×n, filled by prepare
}

// shapes returns the stored rows and columns of A and B.
func (g *gemmCase) shapes() (ar, ac, br, bc int) {
	ar, ac = g.m, g.k
	if g.tA {
		ar, ac = g.k, g.m
	}
	br, bc = g.k, g.n
	if g.tB {
		br, bc = g.n, g.k
	}
	return
}

// gemmGuarded returns a buffer holding a rows×cols matrix with leading dimension
// ld at offset off, with guard space after it, elements drawn by fill and
// everything else gemmSentinel.
func gemmGuarded(rows, cols, ld, off int, fill func() float32) []float32 {
	n := off + 11
	if rows > 0 && cols > 0 {
		n += (rows-1)*ld + cols
	}
	buf := make([]float32, n)
	for i := range buf {
		buf[i] = gemmSentinel
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			buf[off+i*ld+j] = fill()
		}
	}
	return buf
}

// newGemmCase fills a case with uniform values in [-1, 1) from rng; pad adds
// that much slack to every leading dimension.
func newGemmCase(rng *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32, pad, off int) *gemmCase {
	g := &gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		offA: off, offB: (off + 3) % 8, offC: (off + 5) % 8}
	ar, ac, br, bc := g.shapes()
	g.lda, g.ldb, g.ldc = max(ac, 1)+pad, max(bc, 1)+pad, max(n, 1)+pad
	u := func() float32 { return 2*rng.Float32() - 1 }
	g.a = gemmGuarded(ar, ac, g.lda, g.offA, u)
	g.b = gemmGuarded(br, bc, g.ldb, g.offB, u)
	g.c0 = gemmGuarded(m, n, g.ldc, g.offC, u)
	return g
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d off=%d/%d/%d",
		g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc, g.offA, g.offB, g.offC)
}

// run computes the case with im on ws and returns C's buffer.
func (g *gemmCase) run(t testing.TB, im *impl, ws *Workspace) []float32 {
	t.Helper()
	c := slices.Clone(g.c0)
	err := sgemm(im, ws, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a[g.offA:], g.lda,
		g.b[g.offB:], g.ldb, g.beta, c[g.offC:], g.ldc)
	require.NoError(t, err, "%v", g)
	return c
}

func (g *gemmCase) at(x []float32, off, ld, i, j int) float32 { return x[off+i*ld+j] }

// opA and opB read op(A)[i][p] and op(B)[p][j].
func (g *gemmCase) opA(i, p int) float32 {
	if g.tA {
		return g.at(g.a, g.offA, g.lda, p, i)
	}
	return g.at(g.a, g.offA, g.lda, i, p)
}

func (g *gemmCase) opB(p, j int) float32 {
	if g.tB {
		return g.at(g.b, g.offB, g.ldb, j, p)
	}
	return g.at(g.b, g.offB, g.ldb, p, j)
}

// oracle returns the float64 result and the error bound of element (i, j):
// |c - c64| <= 2(k+2)·2^-24·(Σ|alpha·a·b| + |beta·c0|). The +2 covers the
// rounding of alpha·a while packing and of the beta update; each k-block
// addition is covered by the k term. Computed once per case, in float64
// from contiguous copies of op(A) and op(B)ᵀ.
func (g *gemmCase) oracle(i, j int) (c64, tol float64) {
	if g.want == nil {
		g.prepare()
	}
	return g.want[i*g.n+j], g.tol[i*g.n+j]
}

func (g *gemmCase) prepare() {
	a64 := make([]float64, g.m*g.k) // op(A), m×k
	b64 := make([]float64, g.n*g.k) // op(B)ᵀ, n×k
	for i := 0; i < g.m; i++ {
		for p := 0; p < g.k; p++ {
			a64[i*g.k+p] = float64(g.opA(i, p))
		}
	}
	for j := 0; j < g.n; j++ {
		for p := 0; p < g.k; p++ {
			b64[j*g.k+p] = float64(g.opB(p, j))
		}
	}
	g.want = make([]float64, g.m*g.n)
	g.tol = make([]float64, g.m*g.n)
	alpha, beta := float64(g.alpha), float64(g.beta)
	for i := 0; i < g.m; i++ {
		ar := a64[i*g.k : (i+1)*g.k]
		for j := 0; j < g.n; j++ {
			br := b64[j*g.k : (j+1)*g.k][:len(ar)]
			var s, abs float64
			if alpha != 0 {
				for p, x := range ar {
					s += x * br[p]
					abs += math.Abs(x * br[p])
				}
				s, abs = alpha*s, math.Abs(alpha)*abs
			}
			if beta != 0 {
				bc := beta * float64(g.at(g.c0, g.offC, g.ldc, i, j))
				s += bc
				abs += math.Abs(bc)
			}
			g.want[i*g.n+j] = s
			g.tol[i*g.n+j] = 2*float64(g.k+2)*0x1p-24*abs + 0x1p-140
		}
	}
}

// check compares C against the oracle and requires every non-element of
// C's buffer to keep its exact bit pattern.
func (g *gemmCase) check(t testing.TB, name string, c []float32) {
	t.Helper()
	inside := make([]bool, len(c))
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			idx := g.offC + i*g.ldc + j
			inside[idx] = true
			want, tol := g.oracle(i, j)
			if d := math.Abs(float64(c[idx]) - want); !(d <= tol) {
				require.FailNowf(t, "wrong element", "%s %v: C[%d][%d]=%v, float64 oracle %v, |diff|=%g > tol %g",
					name, g, i, j, c[idx], want, d, tol)
			}
		}
	}
	for idx, v := range c {
		if !inside[idx] && math.Float32bits(v) != math.Float32bits(g.c0[idx]) {
			require.FailNowf(t, "guard overwritten", "%s %v: buffer[%d] (outside C) changed from %#x to %#x",
				name, g, idx, math.Float32bits(g.c0[idx]), math.Float32bits(v))
		}
	}
}

// checkClose requires got to be within the oracle's bound of want (two
// implementations, both within the bound of the exact result, may differ by
// up to twice the bound).
func (g *gemmCase) checkClose(t testing.TB, got, want []float32, what string) {
	t.Helper()
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			idx := g.offC + i*g.ldc + j
			_, tol := g.oracle(i, j)
			if d := math.Abs(float64(got[idx]) - float64(want[idx])); !(d <= 2*tol) {
				require.FailNowf(t, "implementations disagree", "%s %v: C[%d][%d]=%v vs %v, |diff|=%g > %g",
					what, g, i, j, got[idx], want[idx], d, 2*tol)
			}
		}
	}
}

// gemmForImpls runs f once per registered implementation, in parallel subtests.
// On a machine that should have a path (KERNELS_REQUIRE=avx2), a missing one
// fails instead of silently testing only Go.
func gemmForImpls(t *testing.T, f func(t *testing.T, im *impl)) {
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

var gemmDims = []int{0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 15, 16, 17, 33}

var (
	gemmAlphas = []float32{1, -0.5, 2, 0}
	gemmBetas  = []float32{0, 1, 0.5, -0.5}
)

// TestSgemmMicroKernel checks each micro-kernel alone on packed panels: kc
// around the unroll factor, every beta kind, NaN in C with beta = 0, and a
// tile inside a larger gemmGuarded buffer (ldc > nr).
func TestSgemmMicroKernel(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(1, 2))
		mr, nr := im.mr, im.nr
		for _, kc := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 256} {
			for _, beta := range []float32{0, 1, 0.5, float32(math.Copysign(0, -1))} {
				for off := 0; off < 8; off += 3 {
					a := make([]float32, off+kc*mr)[off:]
					b := make([]float32, off+kc*nr)[off:]
					for i := range a {
						a[i] = 2*rng.Float32() - 1
					}
					for i := range b {
						b[i] = 2*rng.Float32() - 1
					}
					ldc := nr + 5
					c := make([]float32, off+(mr+1)*ldc+3)
					for i := range c {
						c[i] = gemmSentinel
					}
					c0 := slices.Clone(c)
					for i := 0; i < mr; i++ {
						for j := 0; j < nr; j++ {
							if beta == 0 {
								c0[off+i*ldc+j] = float32(math.NaN())
							} else {
								c0[off+i*ldc+j] = 2*rng.Float32() - 1
							}
						}
					}
					copy(c, c0)
					im.gemm(kc, a, b, c[off:off+(mr-1)*ldc+nr], ldc, beta)
					for i := 0; i < mr; i++ {
						for j := 0; j < nr; j++ {
							var s, abs float64
							for p := 0; p < kc; p++ {
								ab := float64(a[p*mr+i]) * float64(b[p*nr+j])
								s += ab
								abs += math.Abs(ab)
							}
							if beta != 0 {
								s += float64(beta) * float64(c0[off+i*ldc+j])
								abs += math.Abs(float64(beta) * float64(c0[off+i*ldc+j]))
							}
							got := float64(c[off+i*ldc+j])
							tol := 2 * float64(kc+1) * 0x1p-24 * abs
							if d := math.Abs(got - s); !(d <= tol) {
								require.FailNowf(t, "wrong element", "kc=%d beta=%v off=%d: C[%d][%d]=%v, float64 %v, |diff|=%g > tol %g",
									kc, beta, off, i, j, got, s, d, tol)
							}
							c[off+i*ldc+j] = c0[off+i*ldc+j] // for the guard comparison below
						}
					}
					for i := range c {
						require.Equalf(t, math.Float32bits(c0[i]), math.Float32bits(c[i]),
							"kc=%d beta=%v: buffer[%d] outside the tile changed", kc, beta, i)
					}
				}
			}
		}
	})
}

// TestSgemmPackKernel checks every table's gemmPack and gemmPackT against
// its gemm: the same bits of C from B's stored rows (ldb apart, the slack
// holding sentinels; transposed for gemmPackT) as from the packed panel,
// the packed panel written exactly as packB writes it, and nothing outside
// the tile and the panel touched.
func TestSgemmPackKernel(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		for _, tB := range []bool{false, true} {
			fn := im.gemmPack
			if tB {
				fn = im.gemmPackT
			}
			if fn == nil {
				t.Logf("%s packs B (tB=%v) before its kernel", im.name, tB)
				continue
			}
			testPackKernel(t, im, fn, tB)
		}
	})
}

func testPackKernel(t *testing.T, im *impl, fn func(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32), tB bool) {
	rng := rand.New(rand.NewPCG(3, 4))
	mr, nr := im.mr, im.nr
	for _, kc := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 63, 64, 256} {
		if tB && kc%4 != 0 {
			continue
		}
		// Stored B: not tB, kc rows of ldb floats holding the panel's nr
		// columns; tB, nr rows of ldb floats holding its kc columns.
		rows, cols := kc, nr
		if tB {
			rows, cols = nr, kc
		}
		for _, ldb := range []int{cols, cols + 3, 512} {
			for _, beta := range []float32{0, 1, -0.5, 2, float32(math.Copysign(0, -1))} {
				off := rng.IntN(8)
				a := make([]float32, off+kc*mr)[off:]
				for i := range a {
					a[i] = 2*rng.Float32() - 1
				}
				b := make([]float32, off+max(rows-1, 0)*ldb+cols+5)
				for i := range b {
					b[i] = gemmSentinel
				}
				want := make([]float32, kc*nr) // the packed panel
				for r := range rows {
					for q := range cols {
						v := 2*rng.Float32() - 1
						b[off+r*ldb+q] = v
						if tB {
							want[q*nr+r] = v
						} else {
							want[r*nr+q] = v
						}
					}
				}
				ldc := nr + 5
				c0 := make([]float32, off+(mr+1)*ldc+3)
				for i := range c0 {
					c0[i] = gemmSentinel
				}
				for i := range mr {
					for j := range nr {
						c0[off+i*ldc+j] = 2*rng.Float32() - 1
						if beta == 0 {
							c0[off+i*ldc+j] = float32(math.NaN())
						}
					}
				}
				cRef, c := slices.Clone(c0), slices.Clone(c0)
				im.gemm(kc, a, want, cRef[off:off+(mr-1)*ldc+nr], ldc, beta)
				pb := make([]float32, kc*nr+2*nr)
				for i := range pb {
					pb[i] = gemmSentinel
				}
				src := b[off:]
				if kc > 0 {
					src = src[:(rows-1)*ldb+cols]
				}
				fn(kc, a, src, ldb, pb[nr:nr+kc*nr], c[off:off+(mr-1)*ldc+nr], ldc, beta)
				for i := range c {
					require.Equalf(t, math.Float32bits(cRef[i]), math.Float32bits(c[i]),
						"tB=%v kc=%d ldb=%d beta=%v: C buffer[%d]: packing kernel %v, gemm %v", tB, kc, ldb, beta, i, c[i], cRef[i])
				}
				for i, v := range pb {
					w := gemmSentinel
					if i >= nr && i < nr+kc*nr {
						w = want[i-nr]
					}
					require.Equalf(t, math.Float32bits(w), math.Float32bits(v),
						"tB=%v kc=%d ldb=%d: packed buffer[%d]", tB, kc, ldb, i)
				}
			}
		}
	}
}

// TestSgemmPrefetchKernel checks every table's gemmPF against its gemm:
// the same bits of C (and nothing outside the tile touched) with the
// prefetched rows anywhere, and the prefetched rows left as they were.
func TestSgemmPrefetchKernel(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		if im.gemmPF == nil {
			t.Logf("%s has no prefetching kernel", im.name)
			return
		}
		rng := rand.New(rand.NewPCG(5, 6))
		mr, nr := im.mr, im.nr
		for _, kc := range []int{0, 1, 3, 4, 5, 8, 17, 64, 256} {
			for _, ldpf := range []int{max(kc, 1), kc + 7, 784} {
				for _, beta := range []float32{0, 1, -0.5} {
					a, b := make([]float32, kc*mr), make([]float32, kc*nr)
					for _, x := range [][]float32{a, b} {
						for i := range x {
							x[i] = 2*rng.Float32() - 1
						}
					}
					ldc := nr + 3
					c0 := make([]float32, (mr+1)*ldc)
					for i := range c0 {
						c0[i] = 2*rng.Float32() - 1
					}
					pf := make([]float32, (nr-1)*ldpf+max(kc, 1))
					for i := range pf {
						pf[i] = float32(i)
					}
					pf0 := slices.Clone(pf)
					cRef, c := slices.Clone(c0), slices.Clone(c0)
					im.gemm(kc, a, b, cRef[:(mr-1)*ldc+nr], ldc, beta)
					im.gemmPF(kc, a, b, c[:(mr-1)*ldc+nr], ldc, beta, pf, ldpf)
					for i := range c {
						require.Equalf(t, math.Float32bits(cRef[i]), math.Float32bits(c[i]), "kc=%d ldpf=%d beta=%v: C buffer[%d]", kc, ldpf, beta, i)
					}
					require.Equal(t, pf0, pf, "the prefetched rows changed")
				}
			}
		}
	})
}

// TestSgemmSmallShapes runs every (m, n, k) of gemmDims with all four
// transposes against the float64 oracle, cycling through alpha, beta,
// padded leading dimensions and start offsets 0..7, with guard bands.
func TestSgemmSmallShapes(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(3, 4))
		ws := NewWorkspace(1)
		defer ws.Close()
		var other *impl
		if im != genericImpl {
			other = genericImpl
		}
		step := 1
		if testing.Short() {
			step = 3
		}
		idx := 0
		for mi, m := range gemmDims {
			for ni, n := range gemmDims {
				for ki, k := range gemmDims {
					if (mi+ni+ki)%step != 0 {
						continue
					}
					for tr := 0; tr < 4; tr++ {
						idx++
						g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, m, n, k,
							gemmAlphas[idx%4], gemmBetas[(idx/4)%4], (idx/16)%3*5, idx%8)
						c := g.run(t, im, ws)
						g.check(t, im.name, c)
						if other != nil {
							g.checkClose(t, c, g.run(t, other, ws), im.name+" vs generic")
						}
					}
				}
			}
		}
	})
}

// TestSgemmAlphaBeta crosses every alpha with every beta on shapes with
// edge tiles in both directions and more than one k-block, plus NaN in C
// with beta = 0 (must give a finite C, so C is never read).
func TestSgemmAlphaBeta(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, sh := range [][3]int{{13, 37, 300}, {7, 17, 9}, {31, 21, 513}} {
			for _, alpha := range gemmAlphas {
				for _, beta := range gemmBetas {
					for tr := 0; tr < 4; tr++ {
						g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, sh[0], sh[1], sh[2], alpha, beta, 3, tr)
						g.check(t, im.name, g.run(t, im, nil))
					}
				}
			}
			// beta = 0 with NaN (and Inf) in C.
			for tr := 0; tr < 4; tr++ {
				g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, sh[0], sh[1], sh[2], 1.5, 0, 2, tr+1)
				for i := 0; i < g.m; i++ {
					for j := 0; j < g.n; j++ {
						g.c0[g.offC+i*g.ldc+j] = []float32{float32(math.NaN()), float32(math.Inf(1))}[(i+j)%2]
					}
				}
				c := g.run(t, im, nil)
				g.check(t, im.name, c)
			}
		}
	})
}

// gemmVAEShapes are the products of the VAE (batch 100 and 200): forward
// X·W (784→512→256→32 and the decoder mirror) as m×n×k.
var gemmVAEShapes = func() [][3]int {
	var s [][3]int
	for _, batch := range []int{100, 200} {
		for _, l := range [][2]int{{784, 512}, {512, 256}, {256, 32}, {32, 256}, {256, 512}, {512, 784}} {
			s = append(s, [3]int{batch, l[1], l[0]})
		}
	}
	return s
}()

// TestSgemmVAEShapes checks the VAE's products in their three forms, Y = X·W,
// dW = Xᵀ·dY (tA) and dX = dY·Wᵀ (tB), plus a few large and ragged ones,
// on every implementation against the oracle and against the twin, with a
// two-thread workspace.
func TestSgemmVAEShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ws := NewWorkspace(2)
	defer ws.Close()
	shapes := gemmVAEShapes
	if testing.Short() {
		shapes = shapes[:6]
	}
	type form struct {
		tA, tB  bool
		m, n, k int
	}
	var forms []form
	for _, s := range shapes {
		b, out, in := s[0], s[1], s[2]
		forms = append(forms,
			form{false, false, b, out, in}, // Y = X·W
			form{true, false, in, out, b},  // dW = Xᵀ·dY
			form{false, true, b, in, out})  // dX = dY·Wᵀ
	}
	forms = append(forms, form{true, true, 97, 301, 517}, form{false, false, 250, 129, 1030})
	for i, f := range forms {
		g := newGemmCase(rng, f.tA, f.tB, f.m, f.n, f.k, gemmAlphas[i%3], gemmBetas[i%4], i%2*7, i%8)
		twin := g.run(t, genericImpl, ws)
		g.check(t, genericImpl.name, twin)
		for _, im := range impls {
			if im != genericImpl {
				c := g.run(t, im, ws)
				g.check(t, im.name, c)
				g.checkClose(t, c, twin, im.name+" vs generic")
			}
		}
	}
}

// TestSgemmGonum compares with gonum's pure-Go blas32 implementation.
func TestSgemmGonum(t *testing.T) {
	blas32.Use(gonum.Implementation{})
	gemmForImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(9, 10))
		for i, s := range [][3]int{{100, 256, 32}, {33, 17, 300}, {64, 64, 64}, {7, 130, 5}} {
			tA, tB := i&1 != 0, i&2 != 0
			g := newGemmCase(rng, tA, tB, s[0], s[1], s[2], 0.75, 0.5, 2, 0)
			c := g.run(t, im, nil)
			ar, ac, br, bc := g.shapes()
			want := slices.Clone(g.c0)
			tr := func(x bool) blas.Transpose {
				if x {
					return blas.Trans
				}
				return blas.NoTrans
			}
			blas32.Gemm(tr(tA), tr(tB), g.alpha,
				blas32.General{Rows: ar, Cols: ac, Stride: g.lda, Data: g.a[g.offA:]},
				blas32.General{Rows: br, Cols: bc, Stride: g.ldb, Data: g.b[g.offB:]},
				g.beta, blas32.General{Rows: g.m, Cols: g.n, Stride: g.ldc, Data: want[g.offC:]})
			g.checkClose(t, c, want, im.name+" vs gonum")
		}
	})
}

// TestSgemmThreads requires bit-identical results for 1, 2, 3 and 8 threads,
// on shapes whose tiles split unevenly and that need several chunks.
func TestSgemmThreads(t *testing.T) {
	gemmForImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		wss := map[int]*Workspace{}
		for _, th := range []int{1, 2, 3, 8} {
			wss[th] = NewWorkspace(th)
			defer wss[th].Close()
		}
		shapes := [][3]int{{100, 512, 784}, {200, 32, 256}, {61, 75, 300}, {5, 1000, 300}, {1000, 7, 600}}
		// Chunking: k so large that a chunk holds at most 5 row panels,
		// and 11 of them.
		shapes = append(shapes, [3]int{10*im.mr + 3, 50, gemmPackBudget/(6*im.mr) + 3})
		for i, s := range shapes {
			require.GreaterOrEqualf(t, 2*s[0]*s[1]*s[2], gemmParallelFlops, "%v would not be split", s)
			g := newGemmCase(rng, i&1 != 0, i&2 != 0, s[0], s[1], s[2], 1.25, 0.5, 1, i)
			want := g.run(t, im, wss[1])
			if s[2] > 1000 {
				g.check(t, im.name, want)
			}
			for _, th := range []int{2, 3, 8} {
				got := g.run(t, im, wss[th])
				for j := range want {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						require.FailNowf(t, "thread count changed the result",
							"%v: %d threads: buffer[%d]=%v, 1 thread: %v", g, th, j, got[j], want[j])
					}
				}
			}
		}
	})
}

// TestSgemmErrors checks that bad shapes are rejected with ErrShape, naming
// the argument, before anything is written.
func TestSgemmErrors(t *testing.T) {
	buf := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = gemmSentinel
		}
		return s
	}
	type args struct {
		tA, tB        bool
		m, n, k       int
		a, b, c       []float32
		lda, ldb, ldc int
	}
	good := func() args {
		return args{m: 4, n: 5, k: 3, a: buf(12), b: buf(15), c: buf(20), lda: 3, ldb: 5, ldc: 5}
	}
	cases := []struct {
		name, want string
		mod        func(*args)
	}{
		{"negative m", "m=-1", func(x *args) { x.m = -1 }},
		{"negative n", "n=-2", func(x *args) { x.n = -2 }},
		{"negative k", "k=-3", func(x *args) { x.k = -3 }},
		{"short a", "a (m×k): len=11, need 12", func(x *args) { x.a = x.a[:11] }},
		{"short b", "b (k×n): len=14, need 15", func(x *args) { x.b = x.b[:14] }},
		{"short c", "c (m×n): len=19, need 20", func(x *args) { x.c = x.c[:19] }},
		{"small lda", "lda=2 < max(1, cols=3)", func(x *args) { x.lda = 2 }},
		{"small ldb", "ldb=4 < max(1, cols=5)", func(x *args) { x.ldb = 4 }},
		{"small ldc", "ldc=4 < max(1, cols=5)", func(x *args) { x.ldc = 4 }},
		{"short a tA", "a (k×m, tA): len=12, need 14", func(x *args) { x.tA, x.lda, x.a = true, 5, buf(12) }},
		{"small ldb tB", "ldb=2 < max(1, cols=3)", func(x *args) { x.tB, x.ldb = true, 2 }},
		{"zero ld", "ldc=0 < max(1, cols=0)", func(x *args) { x.n, x.ldc, x.b, x.ldb = 0, 0, nil, 1 }},
	}
	for _, im := range impls {
		for _, tc := range cases {
			x := good()
			tc.mod(&x)
			err := sgemm(im, nil, x.tA, x.tB, x.m, x.n, x.k, 1, x.a, x.lda, x.b, x.ldb, 0, x.c, x.ldc)
			require.Errorf(t, err, "%s/%s", im.name, tc.name)
			require.Truef(t, errors.Is(err, ErrShape), "%s/%s: %v does not wrap ErrShape", im.name, tc.name, err)
			require.Containsf(t, err.Error(), "kernels.Sgemm", "%s", tc.name)
			require.Containsf(t, err.Error(), tc.want, "%s", tc.name)
			for i, v := range x.c {
				require.Equalf(t, math.Float32bits(gemmSentinel), math.Float32bits(v), "%s: c[%d] written", tc.name, i)
			}
		}
	}
	// Empty products are fine, even with empty slices.
	require.NoError(t, Sgemm(nil, false, false, 0, 0, 0, 1, nil, 1, nil, 1, 0, nil, 1))
	require.NoError(t, Sgemm(nil, true, true, 3, 0, 5, 1, make([]float32, 15), 3, nil, 5, 0, nil, 1))
}

// TestSgemmAllocs requires zero allocations per call with a reused
// workspace, single- and multi-threaded, on a ragged and a VAE shape.
func TestSgemmAllocs(t *testing.T) {
	for _, th := range []int{1, 2} {
		ws := NewWorkspace(th)
		for _, s := range [][3]int{{100, 512, 784}, {13, 7, 300}} {
			a := make([]float32, s[0]*s[2])
			b := make([]float32, s[2]*s[1])
			c := make([]float32, s[0]*s[1])
			for tr := 0; tr < 4; tr++ {
				tA, tB := tr&1 != 0, tr&2 != 0
				lda, ldb := s[2], s[1]
				if tA {
					lda = s[0]
				}
				if tB {
					ldb = s[2]
				}
				call := func() {
					_ = Sgemm(ws, tA, tB, s[0], s[1], s[2], 1, a, lda, b, ldb, 0.5, c, s[1])
				}
				call()
				require.Zerof(t, testing.AllocsPerRun(5, call), "threads=%d shape=%v tr=%d", th, s, tr)
			}
		}
		ws.Close()
	}
}

// TestSgemmUsesActive checks that Sgemm follows Use.
func TestSgemmUsesActive(t *testing.T) {
	for _, name := range Available() {
		restore, err := Use(name)
		require.NoError(t, err)
		require.Equal(t, name, Active())
		mr, nr, kc, mc, nc := GemmBlocking()
		im, _ := lookup(name)
		require.Equal(t, []int{im.mr, im.nr, im.kc}, []int{mr, nr, kc})
		require.Zero(t, mc%mr)
		require.Zero(t, nc%nr)
		c := []float32{float32(math.NaN())}
		require.NoError(t, Sgemm(nil, false, false, 1, 1, 2, 2, []float32{1, 2}, 2, []float32{3, 4}, 1, 0, c, 1))
		require.Equal(t, float32(22), c[0])
		restore()
	}
}

// TestGemmGrid checks the piece grid: cache limits for one thread, and for
// several a split that keeps every worker busy without packing B twice
// where a column split does as well, in at most perThread pieces a thread.
func TestGemmGrid(t *testing.T) {
	for _, tc := range []struct{ rp, cp, th, per, mcp, gr, gc int }{
		{17, 32, 1, 4, 85, 1, 1},
		{17, 32, 1, 4, 5, 4, 1},
		{17, 32, 2, 4, 85, 1, 8}, // column pieces: no B packed twice, a late worker still gets half
		{17, 32, 2, 2, 85, 1, 4}, // the same with B not transposed: wider stripes of B
		{17, 2, 2, 4, 85, 2, 2},
		{34, 49, 2, 4, 85, 1, 8}, // an even number of pieces: equal shares
		{40, 2, 2, 4, 85, 4, 2},  // few columns: rows split, so each thread packs only half of A
		{1, 1, 8, 4, 85, 1, 1},
		{3, 3, 8, 4, 85, 3, 3},  // one tile a piece: more threads busy, A and B rows are short
		{43, 2, 3, 4, 85, 6, 2}, // four pieces a thread, each thread packing a third of A
	} {
		gr, gc := gemmGrid(tc.rp, tc.cp, tc.th, tc.per, tc.mcp, 6, 16)
		require.Equalf(t, [2]int{tc.gr, tc.gc}, [2]int{gr, gc}, "%+v", tc)
	}
}

// FuzzSgemm decodes shapes, flags and float bit patterns (NaN, ±Inf,
// subnormals, extremes included) from the fuzzer's bytes and compares every
// implementation with the Go twin, element by element: NaN among the inputs
// an element reads must give NaN in both; inputs all finite and small enough
// that neither alpha·a, beta·c0 nor any partial sum can overflow must give
// results within the bound of each other; other elements (Inf inputs,
// possible overflow, where FMA and separate rounding may legitimately differ
// in class) are not compared.
// Everything outside C must keep its bits.
func FuzzSgemm(f *testing.F) {
	f.Add([]byte{5, 7, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{20, 17, 40, 3, 0xff, 0xc0, 0x7f, 0x80, 0, 0, 0x80, 0x7f, 1, 0, 0, 0})
	f.Add([]byte{1, 33, 9, 0x32, 0, 0, 0x80, 0xff, 0, 0, 0x80, 0x3f})
	f.Add([]byte{17, 16, 255, 0xf7, 4, 1, 0, 0x80, 0, 8, 0, 0, 0x80, 0x7f, 9, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 5 {
			return
		}
		m, n, k, flags := int(data[0])%40, int(data[1])%40, int(data[2])+int(data[2]>>7)*200, data[3]
		body := data[4:]
		next := 0
		val := func() float32 {
			// Four bytes per value: a selector byte picks a raw bit
			// pattern (one in four) or a small ordinary value.
			var w [4]byte
			for i := range w {
				w[i] = body[(next+i)%len(body)]
			}
			next += 4
			if w[0]&3 == 0 {
				return math.Float32frombits(uint32(w[0]) | uint32(w[1])<<8 | uint32(w[2])<<16 | uint32(w[3])<<24)
			}
			return float32(int(w[1])-128) / 64
		}
		g := &gemmCase{tA: flags&1 != 0, tB: flags&2 != 0, m: m, n: n, k: k,
			alpha: []float32{1, -0.5, 2, 0}[flags>>2&3], beta: []float32{0, 1, 0.5, -2}[flags>>4&3],
			offA: int(flags>>6) & 3, offC: 1}
		ar, ac, br, bc := g.shapes()
		g.lda, g.ldb, g.ldc = max(ac, 1)+1, max(bc, 1), max(n, 1)+2
		g.a = gemmGuarded(ar, ac, g.lda, g.offA, val)
		g.b = gemmGuarded(br, bc, g.ldb, 0, val)
		g.c0 = gemmGuarded(m, n, g.ldc, g.offC, val)
		want := g.run(t, genericImpl, nil)
		nonFinite := func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }
		for _, im := range impls {
			got := g.run(t, im, nil)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					// huge: alpha·a or beta·c0 may overflow float32 on
					// its own (the bound only covers the sum).
					var hasNaN, hasInf, huge bool
					note := func(v, scale float32) {
						hasNaN = hasNaN || math.IsNaN(float64(v))
						hasInf = hasInf || math.IsInf(float64(v), 0)
						huge = huge || math.Abs(float64(scale)*float64(v)) > 0x1p126
					}
					if g.alpha != 0 {
						for p := 0; p < k; p++ {
							note(g.opA(i, p), g.alpha)
							note(g.opB(p, j), 1)
						}
					}
					if g.beta != 0 {
						note(g.at(g.c0, g.offC, g.ldc, i, j), g.beta)
					}
					idx := g.offC + i*g.ldc + j
					x, y := got[idx], want[idx]
					_, tol := g.oracle(i, j)
					switch {
					case hasNaN:
						require.Truef(t, math.IsNaN(float64(x)) && math.IsNaN(float64(y)),
							"%s %v: C[%d][%d]=%v, twin %v: NaN input must give NaN", im.name, g, i, j, x, y)
					case !hasInf && !huge && tol < 0x1p100:
						require.Falsef(t, nonFinite(x) || nonFinite(y), "%s %v: C[%d][%d]=%v, twin %v", im.name, g, i, j, x, y)
						require.LessOrEqualf(t, math.Abs(float64(x)-float64(y)), 2*tol,
							"%s %v: C[%d][%d]=%v vs twin %v", im.name, g, i, j, x, y)
					}
				}
			}
			for idx := range got {
				r, c := (idx-g.offC)/g.ldc, (idx-g.offC)%g.ldc
				if idx < g.offC || r >= m || c >= n {
					require.Equalf(t, math.Float32bits(g.c0[idx]), math.Float32bits(got[idx]),
						"%s %v: buffer[%d] outside C changed", im.name, g, idx)
				}
			}
			fuzzSparse(t, im, g)
		}
	})
}

// fuzzSparse zeroes two k steps in three of op(A), then of op(B), and
// requires SgemmSparse to give Sgemm's bits on them, whatever the other
// operand holds (Inf and NaN included), but for the sign of a zero
// element (after products that underflow, see SgemmSparse).
func fuzzSparse(t *testing.T, im *impl, g *gemmCase) {
	ar, ac, br, bc := g.shapes()
	for _, sp := range []Sparsity{SparseA, SparseB} {
		z := *g
		z.a, z.b = slices.Clone(g.a), slices.Clone(g.b)
		x, off, ld, rows, cols, tr := z.a, z.offA, z.lda, ar, ac, g.tA
		if sp == SparseB {
			x, off, ld, rows, cols, tr = z.b, z.offB, z.ldb, br, bc, !g.tB
		}
		for i := range rows {
			for j := range cols {
				p := j // the k step of stored element (i, j)
				if tr {
					p = i
				}
				if p%3 != 0 {
					x[off+i*ld+j] = 0
				}
			}
		}
		want := z.run(t, im, nil)
		got := slices.Clone(z.c0)
		require.NoError(t, sgemmSparse(im, nil, sp, z.tA, z.tB, z.m, z.n, z.k, z.alpha, z.a[z.offA:], z.lda,
			z.b[z.offB:], z.ldb, z.beta, got[z.offC:], z.ldc))
		for i := range got {
			if got[i] == 0 && want[i] == 0 {
				continue
			}
			require.Equalf(t, math.Float32bits(want[i]), math.Float32bits(got[i]),
				"%s %v sparse=%d: buffer[%d]=%v, Sgemm %v", im.name, &z, sp, i, got[i], want[i])
		}
	}
}

// TestParallel checks the pool: every piece runs exactly once for many
// sizes and thread counts, reentrant calls and calls after Close run inline.
func TestParallel(t *testing.T) {
	for _, th := range []int{1, 2, 3, 8} {
		ws := NewWorkspace(th)
		require.Equal(t, th, ws.Threads())
		for _, n := range []int{0, 1, 2, 3, 7, 64, 1000} {
			task := &parallelCountTask{hits: make([]int32, n)}
			ws.Parallel(n, task)
			for i, h := range task.hits {
				require.Equalf(t, int32(1), h, "threads=%d n=%d piece %d ran %d times", th, n, i, h)
			}
		}
		// A task calling Parallel on the same workspace runs inline.
		outer := &parallelNestTask{ws: ws, inner: make([]*parallelCountTask, 4)}
		for i := range outer.inner {
			outer.inner[i] = &parallelCountTask{hits: make([]int32, 5)}
		}
		ws.Parallel(4, outer)
		for _, in := range outer.inner {
			require.Equal(t, []int32{1, 1, 1, 1, 1}, in.hits)
		}
		task := &parallelCountTask{hits: make([]int32, 3)}
		require.Zero(t, testing.AllocsPerRun(20, func() { ws.Parallel(3, task) }))
		ws.Close()
		ws.Close()
		task = &parallelCountTask{hits: make([]int32, 9)}
		ws.Parallel(9, task)
		require.Equal(t, []int32{1, 1, 1, 1, 1, 1, 1, 1, 1}, task.hits)
	}
	var nilWS *Workspace
	require.Equal(t, 1, nilWS.Threads())
	task := &parallelCountTask{hits: make([]int32, 3)}
	nilWS.Parallel(3, task)
	nilWS.Close()
	require.Equal(t, []int32{1, 1, 1}, task.hits)
	require.Equal(t, 1, NewWorkspace(-4).Threads())
}

// TestParallelConcurrent requires the pieces of a 2-thread workspace to run
// on two goroutines at once: each of two pieces waits for the other to
// start, which only completes if a worker takes the second piece while the
// caller is inside the first.
func TestParallelConcurrent(t *testing.T) {
	ws := NewWorkspace(2)
	defer ws.Close()
	task := &parallelRendezvousTask{arrived: make(chan int, 2), timeout: 20 * time.Second}
	ws.Parallel(2, task)
	require.False(t, task.timedOut.Load(), "the two pieces never ran at the same time")
}

type parallelRendezvousTask struct {
	arrived  chan int
	timeout  time.Duration
	timedOut atomic.Bool
}

func (r *parallelRendezvousTask) RunTask(i int) {
	r.arrived <- i
	deadline := time.Now().Add(r.timeout)
	for len(r.arrived) < 2 {
		if time.Now().After(deadline) {
			r.timedOut.Store(true)
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}

type parallelCountTask struct {
	mu   sync.Mutex
	hits []int32
}

func (c *parallelCountTask) RunTask(i int) {
	c.mu.Lock()
	c.hits[i]++
	c.mu.Unlock()
}

type parallelNestTask struct {
	ws    *Workspace
	inner []*parallelCountTask
}

func (t *parallelNestTask) RunTask(i int) { t.ws.Parallel(len(t.inner[i].hits), t.inner[i]) }
