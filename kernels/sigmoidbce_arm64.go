//go:build !purego && !noasm

package kernels

import "math"

// The NEON sigmoid + binary cross-entropy (sigmoidbce_arm64.s) and the
// table entry that wraps it.

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
