//go:build !purego && !noasm

package kernels

// Shape of the AVX2 GEMM micro-kernel. kc fixes the k-blocking and therefore
// the summation order of every element; mr and nr only fix the tiling.
const (
	gemmAVX2MR = 6
	gemmAVX2NR = 16
	gemmAVX2KC = 256
)

// gemmAVX2 is the table entry for the AVX2+FMA micro-kernel.
var gemmAVX2 = gemm6x16AVX2

// gemm6x16AVX2 computes one 6×16 tile of C from packed panels, with one FMA
// per product (so it may differ from gemmGeneric in the last bits):
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			var s float32
//			for p := 0; p < kc; p++ {
//				s = fma(a[p*6+i], b[p*16+j], s)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = s // C is not read
//			} else {
//				c[i*ldc+j] = s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
// Preconditions (checked by the Go driver): kc >= 0, len(a) >= 6*kc,
// len(b) >= 16*kc, ldc >= 16, len(c) >= 5*ldc+16. No alignment is assumed.
//
//go:noescape
func gemm6x16AVX2(kc int, a, b, c []float32, ldc int, beta float32)
