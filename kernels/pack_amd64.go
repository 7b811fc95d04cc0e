//go:build !purego && !noasm

package kernels

// transpose8AVX2 writes the transpose of 8 rows of cols floats, scaled by
// alpha, exactly as transpose8Generic:
//
//	for p := 0; p < cols; p++ {
//		for r := 0; r < 8; r++ {
//			dst[p*ldd+r] = alpha * src[r*lds+p]
//		}
//	}
//
// Preconditions (checked by the Go caller): cols%8 == 0, cols >= 0,
// len(src) >= 7*lds+cols, len(dst) >= (cols-1)*ldd+8 when cols > 0, and dst
// does not overlap src. No alignment is assumed.
//
//go:noescape
func transpose8AVX2(dst []float32, ldd int, src []float32, lds, cols int, alpha float32)
