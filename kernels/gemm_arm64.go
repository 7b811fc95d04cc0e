//go:build !purego && !noasm

package kernels

// The NEON SGEMM micro-kernels and the nonzero scan of SgemmSparse
// (gemm_arm64.s), with the table entries that wrap them.

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
