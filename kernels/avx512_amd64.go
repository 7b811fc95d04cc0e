//go:build !purego && !noasm

package kernels

// The "avx512" table: the AVX2 table with the SGEMM micro-kernels, the row
// softmax, the random draws (xoshiro and their -log), the
// conditional-Gumbel logits and SigmoidBCE replaced by AVX-512 (F, VL)
// routines (avx512_amd64.s). Its vector width w stays 8, so the row drivers
// pad and block exactly as for "avx2" (the 16-lane routines take a last half
// vector under a mask or from the AVX2 routine) and the AVX2 sampling and
// elementwise routines it inherits see what they expect.
var avx512Impl = &impl{
	name: "avx512", w: 8,
	mr: gemmAVX512MR, nr: gemmAVX512NR, kc: gemmAVX512KC, gemm: gemm20x16AVX512,
	gemmPack: gemm20x16PackAVX512, gemmPackT: gemm20x16PackTAVX512, gemmIdx: gemm20x16IdxAVX512,
	softmax: softmaxAVX512, bce: bceAVX512,
	negLog: negLogRowsAVX512, negLogF: negLogFloatsAVX512, cgLogits: cgLogitsAVX512,
	cgLanes: cgLanes512, xoshiro: xoshiro8AVX512,
}

// inheritAVX2 fills every field of the avx512 table that it does not define
// itself (sampling, -log, the optional elementwise kernels) from the AVX2
// table. It runs from kernels_amd64.go's init, after elementwise_amd64.go's
// init has filled the AVX2 table's optional fields (inits run in file name
// order), so tables stay equal in everything but GEMM and softmax.
func inheritAVX2(im, avx2 *impl) {
	own := *im
	*im = *avx2
	im.name, im.w = own.name, own.w
	im.mr, im.nr, im.kc, im.gemm, im.gemmPack, im.gemmPackT = own.mr, own.nr, own.kc, own.gemm, own.gemmPack, own.gemmPackT
	im.gemmIdx = own.gemmIdx
	im.gemmPF = nil // the AVX2 6×16 kernel; gemmPackT packs a transposed B here
	im.softmax, im.bce, im.xoshiro = own.softmax, own.bce, own.xoshiro
	im.negLog, im.negLogF, im.cgLogits, im.cgLanes = own.negLog, own.negLogF, own.cgLogits, own.cgLanes
}

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

// gemm20x16AVX512 computes one 20×16 tile of C from packed panels, with one
// FMA per product (so it may differ from gemmGeneric in the last bits):
//
//	for i := 0; i < 20; i++ {
//		for j := 0; j < 16; j++ {
//			var s float32
//			for p := 0; p < kc; p++ {
//				s = fma(a[p*20+i], b[p*16+j], s)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = s // C is not read
//			} else {
//				c[i*ldc+j] = s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
// Preconditions (checked by the Go driver): kc >= 0, len(a) >= 20*kc,
// len(b) >= 16*kc, ldc >= 16, len(c) >= 19*ldc+16. No alignment is assumed.
//
//go:noescape
func gemm20x16AVX512(kc int, a, b, c []float32, ldc int, beta float32)

// gemm20x16IdxAVX512 is gemm20x16AVX512 over the k steps p = idx[0],
// idx[1], ... only, in that order, of the full packed panels a (20 floats
// per step) and b (16 per step): the table's gemmIdx.
//
// Preconditions (checked by the Go driver): every idx[t] is in [0, kc) for
// panels of kc steps, len(a) >= 20*kc, len(b) >= 16*kc, ldc >= 16,
// len(c) >= 19*ldc+16.
//
//go:noescape
func gemm20x16IdxAVX512(idx []int32, a, b, c []float32, ldc int, beta float32)

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

// softmaxAVX512MinCols is the shortest row that softmaxRowsAVX512 takes.
// Shorter rows of 16 and 24 floats go to the AVX2 kernel that puts eight
// rows in the lanes of a vector: with one row at a time, the chain max ->
// exp -> sum -> divide of a row that short is what limits the speed (on
// Zen 4, where a ZMM operation costs two YMM ones, the AVX2 kernel was
// 5-10% faster at 16 and 24 columns, even at 32 and 10% slower at 64).
const softmaxAVX512MinCols = 32

// softmaxAVX512 is the table's softmax (the impl.softmax contract: cols%8
// == 0, pads -Inf). Rows of 8 floats go two per vector (softmax8AVX512; an
// odd last row takes the AVX2 routine), rows of at least
// softmaxAVX512MinCols floats one at a time (softmaxRowsAVX512), the others
// to softmaxAVX2. Every path computes the twin's operations in the twin's
// order, so the split changes no bit.
func softmaxAVX512(dst, src, stats, scratch []float32, cols int, invTau float32) {
	rows := len(stats) / 2
	switch {
	case cols >= softmaxAVX512MinCols:
		softmaxRowsAVX512(dst, src, stats, cols, invTau)
	case cols == 8:
		g := rows &^ 1
		softmax8AVX512(dst[:8*g], src[:8*g], stats[:2*g], invTau)
		if g < rows {
			softmaxRowsAVX2(dst[8*g:], src[8*g:], stats[2*g:], 8, invTau)
		}
	default:
		softmaxAVX2(dst, src, stats, scratch, cols, invTau)
	}
}

// softmaxRowsAVX512 computes, for each of the rows = len(stats)/2 rows of
// cols floats (cols%8 == 0, cols >= 16; pads are -Inf), exactly what
// softmaxRowsGeneric computes (see softmaxRowsAVX2), 16 columns per
// vector.
//
// Preconditions (checked by the Go driver): len(src), len(dst) >=
// rows*cols; dst is src or does not overlap it. No alignment is assumed.
//
//go:noescape
func softmaxRowsAVX512(dst, src, stats []float32, cols int, invTau float32)

// softmax8AVX512 computes softmaxRowsAVX512(dst, src, stats, 8, invTau) for
// an even number of rows (len(stats)/2), two rows per vector.
//
// Preconditions: len(src), len(dst) >= 4*len(stats); dst is src or does not
// overlap it.
//
//go:noescape
func softmax8AVX512(dst, src, stats []float32, invTau float32)

// negLogRowsAVX512 is negLogRowsAVX2 (the impl.negLog contract) in 16
// lanes. Preconditions: len(dst)%8 == 0, n >= 0.
//
//go:noescape
func negLogRowsAVX512(dst []float32, n int)

// negLogFloatsAVX512 is negLogFloatsAVX2 (the impl.negLogF contract) in 16
// lanes; it returns a multiple of 8. Precondition: len(x)%8 == 0.
//
//go:noescape
func negLogFloatsAVX512(x []float32) int

// cgLogitsAVX512 is cgLogitsAVX2 (the impl.cgLogits contract) in 16 lanes;
// it masks a row's last C%16 categories itself and does not read tail.
//
//go:noescape
func cgLogitsAVX512(e, w []float32, i, K int, z float32, tail *[8]int32)

// cgLanesAVX512 computes what cgLanesGeneric computes at τ ≠ 1, sixteen
// samples at a time, one per lane (avx512_amd64.s), with cgLanesAVX2's
// bits.
//
// Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,
// len(g) >= C, len(acc) >= 8*C, len(x) >= 16*C, w[i] == 0.
//
//go:noescape
func cgLanesAVX512(acc, x, e, w, g []float32, i, K int, z, invTau float32)

// cgLanes512 is the table's cgLanes: the AVX-512 kernel at τ ≠ 1, where
// the -log and exp of every element dominate and it is 1.3-1.4× faster on
// Zen 4, and the AVX2 kernel at τ = 1, where the AVX-512 one is no faster
// (slower at C = 4, whose last group of 100 samples fills 4 of 16 lanes).
// Both give the twin's bits.
func cgLanes512(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool) {
	if tau1 {
		cgLanesAVX2(acc, x, e, w, g, i, K, z, invTau, masks, tau1)
		return
	}
	cgLanesAVX512(acc, x, e, w, g, i, K, z, invTau)
}

// cgLaneIota16 holds the lane numbers, which times C are the gather offsets.
var cgLaneIota16 = [16]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

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

// xoshiro8AVX512 computes what xoshiro8AVX2 (and xoshiro8Generic) computes,
// with VPROLD for the rotations.
//
// Preconditions: len(dst)%8 == 0.
//
//go:noescape
func xoshiro8AVX512(s *[32]uint32, dst []float32)
