//go:build !purego && !noasm

package kernels

import (
	"math"

	"golang.org/x/sys/cpu"
)

// neonImpl is the NEON (ASIMD) table; its routines live in kernels_arm64.s.
var neonImpl = &impl{
	name: "neon", w: 4,
	mr: gemmNEONMR, nr: gemmNEONNR, kc: gemmNEONKC, gemm: gemmNEON, gemmIdx: gemmIdxNEON,
	nonzero: nonzeroBitsNEON,
	softmax: softmaxNEON, sample: sampleNEON, negLog: negLogRowsNEON,
	softmaxSample: softmaxSampleNEON, cgLogits: cgLogitsNEONTable,
	cgLanes: cgLanesNEON, xoshiro: xoshiro8NEON,
	adam: adamNEON, radam: radamNEON, bce: bceNEONTable, finite: finiteNEON,
	addBias: addBiasNEON, sumRows: sumRowsNEON, relu: reluNEON, reluBackward: reluBackwardNEON,
	avgJac: avgJacNEONTable, cgAvgJ: cgAvgJNEONTable,
}

// x/sys/cpu honours GODEBUG=cpu.asimd=off.
var _ = cpu.ARM64.HasASIMD && register(neonImpl)

// Shape of the NEON GEMM micro-kernel: 16 of the 32 V registers hold the
// 8×8 tile. kc equals the twin's, so both sum in the same k-blocks.
const (
	gemmNEONMR = 8
	gemmNEONNR = 8
	gemmNEONKC = 256
)

// gemmNEON is the table's GEMM entry. The re-slicing makes a short panel or
// tile fail in Go, before the assembly could touch memory outside it.
func gemmNEON(kc int, a, b, c []float32, ldc int, beta float32) {
	gemm8x8NEON(kc, a[:8*kc], b[:8*kc], c[:7*ldc+8], ldc, beta)
}

// gemmIdxNEON is the table's gemmIdx (the driver guarantees the indices
// and panel lengths; the tile is re-sliced as in gemmNEON).
func gemmIdxNEON(idx []int32, a, b, c []float32, ldc int, beta float32) {
	gemm8x8IdxNEON(idx, a, b, c[:7*ldc+8], ldc, beta)
}

// softmaxNEON is the table's softmax: rows = len(stats)/2 rows of cols
// floats (cols%4 == 0).
func softmaxNEON(dst, src, stats, _ []float32, cols int, invTau float32) {
	n := len(stats) / 2 * cols
	softmaxRowsNEON(dst[:n], src[:n], stats, cols, invTau)
}

// sampleNEON is the table's sampling entry: rows = len(idx) rows (a
// multiple of 4) of cols floats (cols%4 == 0).
func sampleNEON(idx []int32, p, u, cdf []float32, cols int) {
	rows := len(idx)
	sampleRowsNEON(idx, p[:rows*cols], u[:rows], cdf[:4*cols], cols)
}

// softmaxSampleNEON is the table's fused entry: the softmax kernel with
// invTau = 1, then the sampler on its output (two passes; the rows are hot
// in cache between them).
func softmaxSampleNEON(dst, src, stats, scratch []float32, idx []int32, u []float32, cols int) {
	softmaxNEON(dst, src, stats, scratch, cols, 1)
	sampleNEON(idx, dst, u, scratch, cols)
}

// negLogRowsNEON computes what negLogGeneric computes, four floats per
// vector:
//
//	for i: x = max(float32(bits(dst[i])), 0.5) * 2^-24; repeat n times: x = negLogf32(x); dst[i] = x
//
// Preconditions: len(dst)%4 == 0 (rng.go hands it whole vectors only),
// n >= 0.
//
//go:noescape
func negLogRowsNEON(dst []float32, n int)

// gemm8x8NEON computes one 8×8 tile of C from packed panels with one fused
// multiply-add per product, in k order:
//
//	for i, j < 8: s = 0; for p < kc: s = fma(a[p*8+i], b[p*8+j], s)
//	c[i*ldc+j] = s                      if beta == 0 (C is not read)
//	c[i*ldc+j] = s + float32(beta*c)    otherwise
//
// Preconditions (checked by the Go driver, enforced by gemmNEON): kc >= 0,
// len(a), len(b) >= 8*kc, ldc >= 8, len(c) >= 7*ldc+8. No alignment is
// assumed.
//
//go:noescape
func gemm8x8NEON(kc int, a, b, c []float32, ldc int, beta float32)

// gemm8x8IdxNEON is gemm8x8NEON over the k steps p = idx[0], idx[1], ...
// only, in that order, of the full packed panels a and b (8 floats per
// step each).
//
// Preconditions (checked by the Go driver): every idx[t] is in [0, kc) for
// panels of kc steps, len(a) >= 8*kc, len(b) >= 8*kc, ldc >= 8,
// len(c) >= 7*ldc+8.
//
//go:noescape
func gemm8x8IdxNEON(idx []int32, a, b, c []float32, ldc int, beta float32)

// nonzeroBitsNEON sets bit i%32 of bits[i/32] when x[i] is not ±0, for
// len(x) == 32*len(bits) (the table's nonzero; its twin is
// nonzeroBitsGeneric).
//
//go:noescape
func nonzeroBitsNEON(x []float32, bits []uint32)

// softmaxRowsNEON computes, for each of the rows = len(stats)/2 rows of cols
// floats (cols%4 == 0, cols >= 4; pads are -Inf), exactly what
// softmaxRowsGeneric computes (same exp, same 8-way accumulator and
// reduction tree), storing m and the sum to stats[2r], stats[2r+1].
//
// Preconditions: len(src), len(dst) >= rows*cols; dst is src or does not
// overlap it. No alignment is assumed.
//
//go:noescape
func softmaxRowsNEON(dst, src, stats []float32, cols int, invTau float32)

// sampleRowsNEON computes, for the rows = len(idx) rows of cols floats of p
// (rows%4 == 0, cols%4 == 0, cols >= 4; pads are 0), exactly what
// sampleRowsGeneric computes, four rows at a time with one row per lane;
// cdf receives the partial sums.
//
// Preconditions: len(p) >= rows*cols, len(u) >= rows, len(cdf) >= 4*cols.
//
//go:noescape
func sampleRowsNEON(idx []int32, p, u, cdf []float32, cols int)

// neonConsts holds the constants of softmaxRowsNEON, each repeated in the 4
// lanes of a vector, in the order the assembly loads them into V20..V31. The
// values come from expf.go, so the twin and the assembly cannot drift apart.
var neonConsts = func() (t [12][4]uint32) {
	f := math.Float32bits
	vals := [...]uint32{
		f(expCutoff), f(expLog2e), f(expC1), f(expC2),
		f(expP0), f(expP1), f(expP2), f(expP3), f(expP4), f(expP5),
		f(1), 127,
	}
	for i, v := range vals {
		for l := range t[i] {
			t[i][l] = v
		}
	}
	return t
}()

// nonzeroWeights holds, for nonzeroBitsNEON's vector v < 8 of a 32-float
// word, lane l's bit 1<<(4v+l).
var nonzeroWeights = func() (t [8][4]uint32) {
	for v := range t {
		for l := range t[v] {
			t[v][l] = 1 << (4*v + l)
		}
	}
	return t
}()

// neonLogConsts holds the constants of negLogRowsNEON (V15..V31), each
// repeated in the 4 lanes, from expf.go like neonConsts.
var neonLogConsts = func() (t [17][4]uint32) {
	f := math.Float32bits
	vals := [...]uint32{
		f(0.5), f(0x1p-24), 126, 0x007fffff, f(logSqrtHalf),
		f(logP0), f(logP1), f(logP2), f(logP3), f(logP4), f(logP5), f(logP6), f(logP7), f(logP8),
		f(expC1), f(expC2), f(1),
	}
	for i, v := range vals {
		for l := range t[i] {
			t[i][l] = v
		}
	}
	return t
}()

// cgLogitsNEONTable is the table's cgLogits. The kernel does a row's last
// C%4 categories itself, so tail (the 8-lane masks) is not read.
func cgLogitsNEONTable(e, w []float32, i, K int, z float32, _ *[8]int32) {
	C := len(w)
	cgLogitsNEON(e[:K*C], w, i, K, z)
}

// cgLogitsNEON computes what cgLogitsGeneric computes (condgumbel.go), four
// categories per vector. Preconditions: C = len(w) >= 1, K >= 1,
// 0 <= i < C, len(e) >= K*C, w[i] == 0.
//
//go:noescape
func cgLogitsNEON(e, w []float32, i, K int, z float32)

// neonCGConsts holds the constants of cgLogitsNEON (V10..V14), each
// repeated in the 4 lanes: the guard cgEps, the smallest normal float,
// MaxFloat32, +Inf and -Inf.
var neonCGConsts = func() (t [5][4]uint32) {
	f := math.Float32bits
	vals := [...]uint32{f(cgEps), 0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000}
	for i, v := range vals {
		for l := range t[i] {
			t[i][l] = v
		}
	}
	return t
}()

// cgLanesNEON computes what cgLanesGeneric computes (cglanes.go), four
// samples at a time, one per lane.
//
// Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,
// len(g) >= C, len(acc) >= 8*C, len(x) >= 4*C, w[i] == 0,
// masks = &cgTailMasks.
//
//go:noescape
func cgLanesNEON(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool)

// xoshiro8NEON computes what xoshiro8Generic computes, one step of all
// eight lanes at a time, and stores the state back. Precondition:
// len(dst)%8 == 0.
//
//go:noescape
func xoshiro8NEON(s *[32]uint32, dst []float32)

// adamNEON and radamNEON compute what adamGeneric and radamGeneric compute,
// four elements at a time. Preconditions: len(p)%4 == 0, len(g), len(m),
// len(v) >= len(p).
//
//go:noescape
func adamNEON(p, g, m, v []float32, k adamConsts)

//go:noescape
func radamNEON(p, g, m, v []float32, k adamConsts)

// bceNEONTable is the table's bce: the kernel takes the per-call constants
// (with scale) and the float64 lane sums through pointers to the stack.
func bceNEONTable(dz, z, x []float32, scale float32, acc [8]float64) [8]float64 {
	f := math.Float32bits
	var k [6][4]uint32
	for i, v := range [6]uint32{f(-100), f(1), 1 << 31, f(1e12), f(-bceSatNeg), f(scale)} {
		k[i] = [4]uint32{v, v, v, v}
	}
	bceNEON(dz, z, x[:len(z)], &k, &acc)
	return acc
}

// bceNEON computes what bceGeneric computes (sigmoidbce.go), four elements
// at a time: acc[i%8] += float64(e_i) and, if len(dz) > 0, dz[i] =
// scale·g_i, with k holding -100, 1, the sign bit, 1e12, -bceSatNeg and
// scale in four lanes each. Preconditions: len(z)%8 == 0, len(x) >=
// len(z), len(dz) == 0 or >= len(z).
//
//go:noescape
func bceNEON(dz, z, x []float32, k *[6][4]uint32, acc *[8]float64)

// The layer helpers and the finiteness check, eight floats per iteration
// (the impl contracts of elementwise.go and finite.go: whole groups of 8).
//
//go:noescape
func addBiasNEON(m []float32, rows, cols int, bias []float32)

//go:noescape
func sumRowsNEON(dst, m []float32, rows, cols int)

//go:noescape
func reluNEON(y, x []float32)

//go:noescape
func reluBackwardNEON(dx, dy, y []float32)

//go:noescape
func finiteNEON(x []float32) bool

// avgJacNEONTable and cgAvgJNEONTable are the table's avgJac and cgAvgJ:
// the kernels take rows of a multiple of 8 categories (every C above
// CondGumbelLanesMaxC in the VAE's configurations), the twins the others,
// with the same bits; tail (the 8-lane masks) is not read.
func avgJacNEONTable(avg, p, g []float32, K int, _ *[8]int32) {
	if len(avg)%8 != 0 {
		avgJacGeneric(avg, p, g, K)
		return
	}
	avgJacNEON(avg, p, g, K)
}

func cgAvgJNEONTable(avg, e, w, g []float32, i, K int, z float32, _ *[8]int32) {
	if len(avg)%8 != 0 {
		cgAvgJGeneric(avg, e, w, g, i, K, z)
		return
	}
	cgAvgJNEON(avg, e, w, g, i, K, z)
}

// avgJacNEON computes what avgJacGeneric computes and cgAvgJNEON what
// cgAvgJGeneric computes (e is overwritten with the 1/a), eight categories
// at a time. Preconditions: C = len(avg) a multiple of 8, K >= 1, the other
// slices at least as long as the twins need; cgAvgJNEON: 0 <= i < C,
// w[i] == 0.
//
//go:noescape
func avgJacNEON(avg, p, g []float32, K int)

//go:noescape
func cgAvgJNEON(avg, e, w, g []float32, i, K int, z float32)
