//go:build !purego && !noasm

package kernels

import "math"

// The NEON elementwise kernels (elementwise_arm64.s): the Adam and RAdam
// updates, SigmoidBCE, the layer helpers and the finiteness check.

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
