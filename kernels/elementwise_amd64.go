//go:build !purego && !noasm

package kernels

import "math"

// The elementwise kernels (elementwise_amd64.s): SigmoidBCE, the Adam and
// RAdam updates, the finiteness check and the layer helpers, AVX2+FMA, and
// SigmoidBCE in AVX-512.

// bceAVX2 computes, eight elements at a time, exactly what bceGeneric
// computes: for each i, (e, g) = bceElem(z[i], x[i]); acc[i%8] +=
// float64(e); if len(dz) > 0, dz[i] = scale*g. It returns acc.
//
// Preconditions: len(z)%8 == 0, len(x) >= len(z), len(dz) == 0 or
// len(dz) >= len(z); dz may be z.
//
//go:noescape
func bceAVX2(dz, z, x []float32, scale float32, acc [8]float64) [8]float64

// adamAVX2 computes what adamGeneric computes, eight elements at a time.
// Preconditions: len(p)%8 == 0, len(g), len(m), len(v) >= len(p).
//
//go:noescape
func adamAVX2(p, g, m, v []float32, k adamConsts)

// radamAVX2 computes what radamGeneric computes, eight elements at a time.
// Preconditions as for adamAVX2.
//
//go:noescape
func radamAVX2(p, g, m, v []float32, k adamConsts)

// finiteAVX2 reports whether x (len(x)%8 == 0) holds no NaN and no ±Inf:
// it ORs the bits of x - x (+0 exactly for finite x) over the slice.
//
//go:noescape
func finiteAVX2(x []float32) bool

// addBiasAVX2 computes m[r*cols+j] += bias[j] for r < rows and
// j < len(bias), eight columns at a time (addBiasGeneric per row).
// Preconditions: rows >= 1, len(bias)%8 == 0, 8 <= len(bias) <= cols,
// len(m) >= rows*cols.
//
//go:noescape
func addBiasAVX2(m []float32, rows, cols int, bias []float32)

// sumRowsAVX2 computes dst[j] += m[r*cols+j] for r = 0..rows-1 in order
// and j < len(dst) (sumRowsGeneric), 32 or 8 columns at a time.
// Preconditions: rows >= 1, len(dst)%8 == 0, 8 <= len(dst) <= cols,
// len(m) >= rows*cols.
//
//go:noescape
func sumRowsAVX2(dst, m []float32, rows, cols int)

// reluAVX2 computes y[i] = max(x[i], 0) with Go's semantics (NaN stays
// NaN, -0 becomes +0): VMAXPS keeps x when it is NaN, and adding +0 turns
// -0 into +0 and changes nothing else. len(x)%8 == 0, len(y) >= len(x).
//
//go:noescape
func reluAVX2(y, x []float32)

// reluBackwardAVX2 computes dx[i] = y[i] > 0 ? dy[i] : +0 (a compare mask
// ANDed with dy). len(dy)%8 == 0, len(dx), len(y) >= len(dy).
//
//go:noescape
func reluBackwardAVX2(dx, dy, y []float32)

// elemConsts holds the constants that only elementwise_amd64.s uses, each
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
