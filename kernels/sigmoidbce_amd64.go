//go:build !purego && !noasm

package kernels

import "math"

// The fused sigmoid + binary cross-entropy (sigmoidbce_amd64.s) in AVX2+FMA
// and AVX-512. The other elementwise kernels (the Adam and RAdam updates,
// the finiteness check, the layer helpers) are generated:
// elementwise_amd64.s and .go, from kernels/_asm.

// bceAVX2 computes, eight elements at a time, exactly what bceGeneric
// computes: for each i, (e, g) = bceElem(z[i], x[i]); acc[i%8] +=
// float64(e); if len(dz) > 0, dz[i] = scale*g. It returns acc.
//
// Preconditions: len(z)%8 == 0, len(x) >= len(z), len(dz) == 0 or
// len(dz) >= len(z); dz may be z.
//
//go:noescape
func bceAVX2(dz, z, x []float32, scale float32, acc [8]float64) [8]float64

// elemConsts holds the constants that only sigmoidbce_amd64.s uses, each
// repeated in the 8 lanes of a YMM register so that it can be a memory
// operand; the assembly names them by index (E_* macros). The values come
// from sigmoidbce.go, so the Go twin and the assembly cannot drift apart;
// the shared constants are rowConsts (rows_amd64.go).
var elemConsts = func() (t [3][8]uint32) {
	f := math.Float32bits
	vals := [...]uint32{0: f(-100), 1: f(-bceSatNeg), 2: f(1e12)}
	for i, v := range vals {
		for l := range t[i] {
			t[i][l] = v
		}
	}
	return t
}()

// bceAVX512 is the table's bce (the impl.bce contract: len(z)%8 == 0):
// bce16AVX512 over whole 16-float vectors, bceAVX2 over a last 8. The
// lane of element i stays i%8 (the split is at a multiple of 8).
func bceAVX512(dz, z, x []float32, scale float32, acc [8]float64) [8]float64 {
	n16 := len(z) &^ 15
	var d16, d8 []float32
	if len(dz) > 0 {
		d16, d8 = dz[:n16], dz[n16:]
	}
	acc = bce16AVX512(d16, z[:n16], x[:n16], scale, acc)
	if n16 < len(z) {
		acc = bceAVX2(d8, z[n16:], x[n16:], scale, acc)
	}
	return acc
}

// bce16AVX512 computes, sixteen elements at a time, exactly what bceAVX2
// (and bceGeneric) computes: for each i, (e, g) = bceElem(z[i], x[i]);
// acc[i%8] += float64(e) in index order; if len(dz) > 0, dz[i] = scale*g.
//
// Preconditions: len(z)%16 == 0, len(x) >= len(z), len(dz) == 0 or
// len(dz) >= len(z); dz may be z.
//
//go:noescape
func bce16AVX512(dz, z, x []float32, scale float32, acc [8]float64) [8]float64
