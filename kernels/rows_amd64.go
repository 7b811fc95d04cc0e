//go:build !purego && !noasm

package kernels

import "math"

// The row kernels (rows_amd64.s): softmax rows, categorical sampling and
// the -log of uniforms, AVX2+FMA, and the softmax and -log in AVX-512, with
// the table entries that wrap them and their constants.

// softmaxAVX2 is the table's softmax: whole groups of 8 rows with one row
// per lane (softmaxColsAVX2 for cols >= 16; softmaxRowsAVX2 does it itself
// for cols == 8), the last rows%8 rows one row at a time. Every path
// computes the twin's operations, so the split changes no bit.
func softmaxAVX2(dst, src, stats, scratch []float32, cols int, invTau float32) {
	rows := len(stats) / 2
	if g := rows &^ 7; cols >= 16 && g > 0 {
		softmaxColsAVX2(dst[:g*cols], src[:g*cols], stats[:2*g], scratch, nil, nil, cols, invTau)
		dst, src, stats = dst[g*cols:], src[g*cols:], stats[2*g:]
	}
	softmaxRowsAVX2(dst, src, stats, cols, invTau)
}

// softmaxSampleAVX2 is the table's fused softmax and sampling (rows%8 == 0).
func softmaxSampleAVX2(dst, src, stats, scratch []float32, idx []int32, u []float32, cols int) {
	if cols == 8 {
		softmaxSample8AVX2(dst, src, stats, idx, u)
		return
	}
	softmaxColsAVX2(dst, src, stats, scratch, idx, u, cols, 1)
}

// softmaxRowsAVX2 computes, for each of the rows = len(stats)/2 rows of cols
// floats (cols%8 == 0, cols >= 8; pads are -Inf), exactly what
// softmaxRowsGeneric computes:
//
//	m = max_j src[j]
//	for j: e_j = expf32((src[j] - m) * invTau); dst[j] = e_j; acc[j%8] += e_j
//	s = ((acc0+acc4) + (acc2+acc6)) + ((acc1+acc5) + (acc3+acc7))
//	for j: dst[j] = e_j * (1/s)
//	stats[2r], stats[2r+1] = m, s
//
// Preconditions (checked by the Go driver): len(src), len(dst) >=
// rows*cols; dst is src or does not overlap it. No alignment is assumed.
//
//go:noescape
func softmaxRowsAVX2(dst, src, stats []float32, cols int, invTau float32)

// sampleRowsAVX2 computes, for each of the rows = len(idx) rows of cols
// floats of p (rows%8 == 0, cols%8 == 0, cols >= 8; pads are 0), exactly
// what sampleRowsGeneric computes, eight rows at a time with one row per
// lane:
//
//	c = 0; mn = +Inf
//	for j: mn = min(mn, p[j]); c += p[j]; cdf[j] = c
//	bad = !(u[r] >= 0) || !(u[r] < 1) || mn < 0 || !(c > 0) || !(c < +Inf)
//	t = u[r] * c; k = #{j : cdf[j] <= t}    (= the first j with cdf[j] > t)
//	idx[r] = bad ? -1 : k == cols ? -2 : k
//
// (A NaN entry makes c NaN, so bad does not depend on how min treats it.)
// Preconditions: len(p) >= rows*cols, len(u) >= rows, len(cdf) >= 8*cols.
//
//go:noescape
func sampleRowsAVX2(idx []int32, p, u, cdf []float32, cols int)

// softmaxColsAVX2 computes what softmaxRowsAVX2 computes, for rows =
// len(stats)/2 rows of cols floats with rows%8 == 0, cols%8 == 0 and
// cols >= 16, eight rows at a time with one row per lane (scratch, of at
// least 8*cols floats, holds the group column by column). If len(idx) > 0
// it then computes sampleRowsAVX2(idx, dst, u, scratch, cols) for the group
// from the probabilities (with invTau = 1 this is the fused kernel; rows
// that fail the softmax get an unspecified idx).
//
// Preconditions: len(src), len(dst) >= rows*cols, len(idx) == 0 or
// len(idx), len(u) >= rows; dst is src or does not overlap it.
//
//go:noescape
func softmaxColsAVX2(dst, src, stats, scratch []float32, idx []int32, u []float32, cols int, invTau float32)

// softmaxSample8AVX2 computes, for rows = len(idx) rows of 8 floats
// (rows%8 == 0), softmaxRowsAVX2(dst, src, stats, 8, 1) followed by
// sampleRowsAVX2(idx, dst, u, cdf, 8), eight rows at a time with one row
// per lane and the probabilities kept in registers between the two. Rows
// that fail the softmax (sum NaN) get an unspecified idx.
//
// Preconditions: len(src), len(dst) >= 8*rows, len(stats) >= 2*rows,
// len(u) >= rows; dst is src or does not overlap it.
//
//go:noescape
func softmaxSample8AVX2(dst, src, stats []float32, idx []int32, u []float32)

// negLogRowsAVX2 computes what negLogGeneric computes, eight at a time:
//
//	for i: x = max(float32(bits(dst[i])), 0.5) * 2^-24; repeat n times: x = negLogf32(x); dst[i] = x
//
// Preconditions: len(dst)%8 == 0, n >= 0.
//
//go:noescape
func negLogRowsAVX2(dst []float32, n int)

// negLogFloatsAVX2 replaces x[i] by negLogf32(x[i]), eight at a time, up to
// the first vector holding a value that is not a positive normal finite
// float (NaN included), which it leaves untouched; it returns the number of
// elements done (a multiple of 8). Precondition: len(x)%8 == 0.
//
//go:noescape
func negLogFloatsAVX2(x []float32) int

// rowConsts holds the constants of rows_amd64.s, each repeated in the 8 lanes
// of a YMM register so that it can be a memory operand. The assembly names
// them by index (K_* macros); the values come from expf.go, so the Go twins
// and the assembly cannot drift apart.
var rowConsts = func() (t [30][8]uint32) {
	f := math.Float32bits
	vals := [...]uint32{
		0: f(expCutoff), 1: f(expLog2e), 2: f(expC1), 3: f(expC2),
		4: f(expP0), 5: f(expP1), 6: f(expP2), 7: f(expP3), 8: f(expP4), 9: f(expP5),
		10: f(1), 11: f(float32(math.Inf(-1))), 12: f(float32(math.Inf(1))), 13: 0x007fffff, 14: f(0.5), 15: 126,
		16: f(logSqrtHalf), 17: f(logP0), 18: f(logP1), 19: f(logP2), 20: f(logP3), 21: f(logP4),
		22: f(logP5), 23: f(logP6), 24: f(logP7), 25: f(logP8),
		26: f(0x1p-24), 27: 0x80000000, 28: f(0x1p-126), 29: f(math.MaxFloat32),
	}
	for i, v := range vals {
		for l := range t[i] {
			t[i][l] = v
		}
	}
	return t
}()

// softmaxAVX512MinCols is the shortest row that softmaxRowsAVX512 takes.
// Shorter rows of 16 and 24 floats go to the AVX2 kernel that puts eight
// rows in the lanes of a vector: with one row at a time, the chain max ->
// exp -> sum -> divide of a row that short is what limits the speed (on
// Zen 4, where a ZMM operation costs two YMM ones, the AVX2 kernel was
// 5-10% faster at 16 and 24 columns, even at 32 and 10% slower at 64).
const softmaxAVX512MinCols = 32

// softmaxAVX512 is the table's softmax (the impl.softmax contract: cols%8
// == 0, pads -Inf). Rows of 8 floats go two per vector (softmax8AVX512; an
// odd last row takes the AVX2 routine), rows of at least
// softmaxAVX512MinCols floats one at a time (softmaxRowsAVX512), the others
// to softmaxAVX2. Every path computes the twin's operations in the twin's
// order, so the split changes no bit.
func softmaxAVX512(dst, src, stats, scratch []float32, cols int, invTau float32) {
	rows := len(stats) / 2
	switch {
	case cols >= softmaxAVX512MinCols:
		softmaxRowsAVX512(dst, src, stats, cols, invTau)
	case cols == 8:
		g := rows &^ 1
		softmax8AVX512(dst[:8*g], src[:8*g], stats[:2*g], invTau)
		if g < rows {
			softmaxRowsAVX2(dst[8*g:], src[8*g:], stats[2*g:], 8, invTau)
		}
	default:
		softmaxAVX2(dst, src, stats, scratch, cols, invTau)
	}
}

// softmaxRowsAVX512 computes, for each of the rows = len(stats)/2 rows of
// cols floats (cols%8 == 0, cols >= 16; pads are -Inf), exactly what
// softmaxRowsGeneric computes (see softmaxRowsAVX2), 16 columns per
// vector.
//
// Preconditions (checked by the Go driver): len(src), len(dst) >=
// rows*cols; dst is src or does not overlap it. No alignment is assumed.
//
//go:noescape
func softmaxRowsAVX512(dst, src, stats []float32, cols int, invTau float32)

// softmax8AVX512 computes softmaxRowsAVX512(dst, src, stats, 8, invTau) for
// an even number of rows (len(stats)/2), two rows per vector.
//
// Preconditions: len(src), len(dst) >= 4*len(stats); dst is src or does not
// overlap it.
//
//go:noescape
func softmax8AVX512(dst, src, stats []float32, invTau float32)

// negLogRowsAVX512 is negLogRowsAVX2 (the impl.negLog contract) in 16
// lanes. Preconditions: len(dst)%8 == 0, n >= 0.
//
//go:noescape
func negLogRowsAVX512(dst []float32, n int)

// negLogFloatsAVX512 is negLogFloatsAVX2 (the impl.negLogF contract) in 16
// lanes; it returns a multiple of 8. Precondition: len(x)%8 == 0.
//
//go:noescape
func negLogFloatsAVX512(x []float32) int
