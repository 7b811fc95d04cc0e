//go:build !purego && !noasm

package kernels

import "math"

// The NEON conditional-Gumbel logits and Jacobian averages
// (condgumbel_arm64.s), with the table entries that wrap them.

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

// avgJacNEONTable and cgAvgJNEONTable are the table's avgJac and cgAvgJ:
// the kernels take rows of a multiple of 8 categories (every C above
// CondGumbelLanesMaxC in the VAE's configurations), the twins the others,
// with the same bits; tail (the 8-lane masks) is not read.
func avgJacNEONTable(avg, p, g []float32, K int, _ *[8]int32) {
	if len(avg)%8 != 0 {
		avgJacGeneric(avg, p, g, K, nil)
		return
	}
	avgJacNEON(avg, p, g, K)
}

func cgAvgJNEONTable(avg, e, w, g []float32, i, K int, z float32, _ *[8]int32) {
	if len(avg)%8 != 0 {
		cgAvgJGeneric(avg, e, w, g, i, K, z, nil)
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
