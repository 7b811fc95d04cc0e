//go:build !purego && !noasm

package kernels

// The SGEMM micro-kernels of the "avx2" (6×16) and "avx512" (20×16) tables
// that read B as it is stored (gemm_amd64.s), and the nonzero scan of
// SgemmSparse. The plain and step-list micro-kernels are generated
// (gemmtile_amd64.s and .go, from kernels/_asm).

// Shape of the AVX2 GEMM micro-kernel. kc fixes the k-blocking and therefore
// the summation order of every element; mr and nr only fix the tiling.
const (
	gemmAVX2MR = 6
	gemmAVX2NR = 16
	gemmAVX2KC = 256
)

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

// nonzeroBitsAVX2 sets bit i%32 of bits[i/32] when x[i] is not ±0, for
// len(x) == 32*len(bits) (the table's nonzero; its twin is
// nonzeroBitsGeneric).
//
//go:noescape
func nonzeroBitsAVX2(x []float32, bits []uint32)

// Shape of the AVX-512 GEMM micro-kernel: 20 ZMM accumulators of 16 floats
// (20 of the 32 registers, 2 for B). nr = 16 keeps the driver's fast
// 16-column B packing, and 20 rows tile the VAE's batches (100, 200) with
// no edge panel. kc fixes the summation order: it equals the AVX2 one, so
// "avx512" and "avx2" give the same bits (one FMA chain per element in k
// order either way); a 256×16 B panel (16 KiB) stays in L1 while the A
// panels stream from L2.
const (
	gemmAVX512MR = 20
	gemmAVX512NR = 16
	gemmAVX512KC = 256
)

// gemm20x16PackAVX512 is gemm20x16AVX512 (the same FMAs in the same order)
// with the B panel read from the stored rows of B, b[p*ldb : p*ldb+16] for
// p < kc, and written to pb as the packed panel, pb[p*16 : p*16+16]: the
// first row panel of a column panel packs B in the FMA loop's spare load
// and store slots, where packing it first was a separate pass over memory.
//
// Preconditions (checked by the Go driver): as gemm20x16AVX512, plus
// ldb >= 16, len(pb) >= 16*kc and, when kc > 0, len(b) >= (kc-1)*ldb+16.
//
//go:noescape
func gemm20x16PackAVX512(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)

// gemm20x16PackTAVX512 is gemm20x16AVX512 (the same FMAs in the same
// order) with B transposed and read from its stored rows: the panel's
// element (p, j) is b[j*ldb+p]. It loads 4 floats of each of the 16 rows at
// a time, transposes them in registers and writes them to pb as the packed
// panel, pb[p*16+j].
//
// Preconditions (checked by the Go driver): as gemm20x16AVX512, plus
// kc%4 == 0, ldb >= kc, len(pb) >= 16*kc and, when kc > 0,
// len(b) >= 15*ldb+kc.
//
//go:noescape
func gemm20x16PackTAVX512(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)
