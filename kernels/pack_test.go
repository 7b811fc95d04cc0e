package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// packNaiveTranspose8 is the definition of transpose8.
func packNaiveTranspose8(dst []float32, ldd int, src []float32, lds, cols int, alpha float32) {
	for p := 0; p < cols; p++ {
		for r := 0; r < 8; r++ {
			dst[p*ldd+r] = alpha * src[r*lds+p]
		}
	}
}

// packGuarded returns n floats of gemmSentinel with values from rng at the
// indices for which elem says so.
func packGuarded(rng *rand.Rand, n int, elem func(i int) bool) []float32 {
	buf := make([]float32, n)
	for i := range buf {
		buf[i] = gemmSentinel
		if elem(i) {
			buf[i] = 2*rng.Float32() - 1
		}
	}
	return buf
}

func requireSameBits(t *testing.T, got, want []float32, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), what)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			require.FailNowf(t, "bits differ", "%s: [%d] = %#x, want %#x", what, i,
				math.Float32bits(got[i]), math.Float32bits(want[i]))
		}
	}
}

// TestTranspose8 checks transpose8 with every table's transpose8, and the
// Go twin alone, against the definition: every column count up to 3
// blocks and a bit, strides with junk between rows (sentinels that must
// not be read: they would show up in dst), unaligned starts, alpha 1 and
// -0.5, and guard bands around and between dst's rows that must keep
// their bits.
func TestTranspose8(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for cols := 0; cols <= 27; cols++ {
		for _, alpha := range []float32{1, -0.5} {
			for off := 0; off < 8; off += 3 {
				lds, ldd := max(cols+off%5, 1), 8+off
				srcLen := off + 7*lds + cols + 9
				src := packGuarded(rng, srcLen, func(i int) bool {
					i -= off
					return i >= 0 && i%lds < cols && i/lds < 8
				})
				dstLen := off + max(cols, 1)*ldd + 9
				fresh := packGuarded(rng, dstLen, func(int) bool { return false })
				want := append([]float32(nil), fresh...)
				packNaiveTranspose8(want[off:], ldd, src[off:], lds, cols, alpha)
				name := fmt.Sprintf("cols=%d alpha=%v off=%d lds=%d ldd=%d", cols, alpha, off, lds, ldd)
				for _, im := range impls {
					got := append([]float32(nil), fresh...)
					transpose8(im, got[off:], ldd, src[off:], lds, cols, alpha)
					requireSameBits(t, got, want, fmt.Sprintf("%s %s", name, im.name))
				}
				got := append([]float32(nil), fresh...)
				transpose8Generic(got[off:], ldd, src[off:], lds, cols, alpha)
				requireSameBits(t, got, want, name+" twin")
			}
		}
	}
}

// TestTransposePanel checks the overlapping 8-row groups for panel widths
// that are and are not multiples of 8.
func TestTransposePanel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, w := range []int{8, 9, 12, 16, 20, 23, 24} {
		for _, cols := range []int{1, 7, 8, 13, 256} {
			lds := cols + 3
			src := packGuarded(rng, (w-1)*lds+cols, func(i int) bool { return i%lds < cols })
			want := make([]float32, w*cols)
			for p := 0; p < cols; p++ {
				for i := 0; i < w; i++ {
					want[p*w+i] = -0.5 * src[i*lds+p]
				}
			}
			for _, im := range impls {
				got := packGuarded(rng, w*cols, func(int) bool { return false })
				transposePanel(im, got, w, src, lds, cols, -0.5)
				requireSameBits(t, got, want, fmt.Sprintf("w=%d cols=%d %s", w, cols, im.name))
			}
		}
	}
}

// TestScatterGroups checks every special case of scatterGroups (6, 16, 20,
// multiples of 4 with alpha = 1) and the general loop against the
// definition, with guards between the groups.
func TestScatterGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, w := range []int{1, 4, 5, 6, 8, 12, 16, 20, 32} {
		for _, alpha := range []float32{1, -0.5} {
			for _, n := range []int{0, 1, 2, 7} {
				step := w + 3
				src := packGuarded(rng, n*w, func(int) bool { return true })
				fresh := packGuarded(rng, n*step+2, func(int) bool { return false })
				want := append([]float32(nil), fresh...)
				for q := 0; q < n; q++ {
					for i := 0; i < w; i++ {
						want[q*step+i] = alpha * src[q*w+i]
					}
				}
				got := append([]float32(nil), fresh...)
				scatterGroups(got, step, src, n, w, alpha)
				requireSameBits(t, got, want, fmt.Sprintf("w=%d alpha=%v n=%d", w, alpha, n))
			}
		}
	}
}

// packTestKernel is a micro-kernel for any mr×nr (plain loops), so that the
// driver's packing can be tested with the panel shapes of tables this CPU
// may not have (AVX-512's 20×16, NEON's 8×8, wider ones).
func packTestKernel(mr, nr int) func(kc int, a, b, c []float32, ldc int, beta float32) {
	return func(kc int, a, b, c []float32, ldc int, beta float32) {
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				var s float32
				for p := 0; p < kc; p++ {
					s += a[p*mr+i] * b[p*nr+j]
				}
				if beta == 0 {
					c[i*ldc+j] = s
				} else {
					c[i*ldc+j] = s + float32(beta*c[i*ldc+j])
				}
			}
		}
	}
}

// TestSgemmPanelShapes runs the whole driver with micro-tiles of several
// shapes (through packTestKernel, with the best table's transpose8) over all
// four transpose forms, ragged and VAE-sized shapes, padded leading
// dimensions and 1 and 2 threads, against the float64 oracle with guards
// around C.
func TestSgemmPanelShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ws := NewWorkspace(2)
	defer ws.Close()
	shapes := [][3]int{{1, 1, 1}, {7, 9, 5}, {21, 17, 300}, {33, 40, 9}, {100, 48, 100}, {61, 33, 513}}
	if !testing.Short() {
		shapes = append(shapes, [3]int{100, 256, 512}, [3]int{256, 32, 100})
	}
	for _, tile := range [][2]int{{20, 16}, {8, 8}, {6, 16}, {12, 24}, {4, 4}, {9, 11}} {
		im := &impl{name: fmt.Sprintf("test%dx%d", tile[0], tile[1]), mr: tile[0], nr: tile[1],
			kc: 256, gemm: packTestKernel(tile[0], tile[1]), transpose8: impls[0].transpose8}
		for i, s := range shapes {
			for form := 0; form < 4; form++ {
				g := newGemmCase(rng, form&1 != 0, form&2 != 0, s[0], s[1], s[2], gemmAlphas[(i+form)%3], gemmBetas[form], form%2*5, (i+form)%8)
				for _, w := range []*Workspace{nil, ws} {
					g.check(t, im.name, g.run(t, im, w))
				}
			}
		}
	}
}
