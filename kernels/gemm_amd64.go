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

// gemm6x16PackAVX2 is gemm6x16AVX2 (the same FMAs in the same order) with
// the B panel read from the stored rows of B, b[p*ldb : p*ldb+16] for
// p < kc, and written to pb as the packed panel, pb[p*16 : p*16+16].
//
// Preconditions (checked by the Go driver): as gemm6x16AVX2, plus
// ldb >= 16, len(pb) >= 16*kc and, when kc > 0, len(b) >= (kc-1)*ldb+16.
//
//go:noescape
func gemm6x16PackAVX2(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)

// gemm6x16PFAVX2 is gemm6x16AVX2 (the same bits) that also prefetches
// into L2, over its kc steps, kc floats of each of the 16 rows of pf
// (ldpf floats apart): the stored rows of the transposed B panel the
// driver packs next.
//
//go:noescape
func gemm6x16PFAVX2(kc int, a, b, c []float32, ldc int, beta float32, pf []float32, ldpf int)

// gemm6x16IdxAVX2 is gemm6x16AVX2 over the k steps p = idx[0], idx[1], ...
// only, in that order, of the full packed panels a (6 floats per step) and b
// (16 per step): the table's gemmIdx.
//
// Preconditions (checked by the Go driver): every idx[t] is in [0, kc) for
// panels of kc steps, len(a) >= 6*kc, len(b) >= 16*kc, ldc >= 16,
// len(c) >= 5*ldc+16.
//
//go:noescape
func gemm6x16IdxAVX2(idx []int32, a, b, c []float32, ldc int, beta float32)

// nonzeroBitsAVX2 sets bit i%32 of bits[i/32] when x[i] is not ±0, for
// len(x) == 32*len(bits) (the table's nonzero; its twin is
// nonzeroBitsGeneric).
//
//go:noescape
func nonzeroBitsAVX2(x []float32, bits []uint32)
