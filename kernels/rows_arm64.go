//go:build !purego && !noasm

package kernels

import "math"

// The NEON row kernels (rows_arm64.s): softmax rows, categorical sampling
// and the -log of uniforms, with the table entries that wrap them and
// their constants.

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
