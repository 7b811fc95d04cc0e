//go:build !purego && !noasm

package kernels

import "golang.org/x/sys/cpu"

// archTables lists the assembly tables of amd64, best first, with whether
// this CPU runs each. x/sys/cpu honours GODEBUG (cpu.avx2=off, cpu.fma=off,
// cpu.avx512f=off, ...) and checks that the OS saves the YMM state (for
// AVX-512 also the ZMM and mask state).
func archTables() []archTable {
	avx2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	return []archTable{
		{avx512Impl, avx2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL},
		{avx2Impl, avx2},
	}
}

// Shape of the AVX2 GEMM micro-kernel. kc fixes the k-blocking and therefore
// the summation order of every element; mr and nr only fix the tiling.
const (
	gemmAVX2MR = 6
	gemmAVX2NR = 16
	gemmAVX2KC = 256
)

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

// avx2Impl is the AVX2+FMA table. Each kernel's stub and assembly are in
// the _amd64.go and _amd64.s files of its topic: gemm (the micro-kernels
// and the nonzero scan), pack (transpose8), rows (softmax, sampling, -log),
// xoshiro, condgumbel (with avgJac), cglanes, sigmoidbce (bce) and
// elementwise (adam, radam, finite and the layer helpers). Every
// topic's assembly and declarations are generated (gen.go).
var avx2Impl = &impl{
	name: "avx2", w: 8,

	mr: gemmAVX2MR, nr: gemmAVX2NR, kc: gemmAVX2KC,
	gemm: gemm6x16AVX2, gemmIdx: gemm6x16IdxAVX2,
	gemmPack: gemm6x16PackAVX2, gemmPF: gemm6x16PFAVX2, // its 16 registers leave none for gemmPackT's transpose
	nonzero: nonzeroBitsAVX2, transpose8: transpose8AVX2,

	softmax: softmaxAVX2, sample: sampleRowsAVX2, softmaxSample: softmaxSampleAVX2,
	negLog: negLogRowsAVX2, negLogF: negLogFloatsAVX2, xoshiro: xoshiro8AVX2,

	cgAvgJ: cgAvgJAVX2, cgLogits: cgLogitsAVX2, cgLanes: cgLanesAVX2, avgJac: avgJacAVX2,

	bce: bceAVX2, adam: adamAVX2, radam: radamAVX2, finite: finiteAVX2,
	addBias: addBiasAVX2, sumRows: sumRowsAVX2, relu: reluAVX2, reluBackward: reluBackwardAVX2,
}

// avx512Impl is the AVX-512 (F, VL) table: AVX-512 routines for the SGEMM
// micro-kernels, the row softmax, the random draws (xoshiro and their
// -log), NegLog, the conditional-Gumbel logits and lanes, SigmoidBCE and
// the optimisers; the AVX2 routines for the rest (sampling, the avgJ
// kernels, the finiteness scan and the layer helpers, the packing
// transpose). Its vector width w stays 8, so the row drivers pad and block
// exactly as for "avx2" (the 16-lane routines take a last half vector
// under a mask or from the AVX2 routine) and the AVX2 routines it shares
// see what they expect.
var avx512Impl = &impl{
	name: "avx512", w: 8,

	mr: gemmAVX512MR, nr: gemmAVX512NR, kc: gemmAVX512KC,
	gemm: gemm20x16AVX512, gemmIdx: gemm20x16IdxAVX512,
	gemmPack: gemm20x16PackAVX512, gemmPackT: gemm20x16PackTAVX512, // no gemmPF: gemmPackT packs a transposed B
	nonzero: nonzeroBitsAVX2, transpose8: transpose8AVX2,

	softmax: softmaxAVX512, sample: sampleRowsAVX2, softmaxSample: softmaxSampleAVX2,
	negLog: negLogRowsAVX512, negLogF: negLogFloatsAVX512, xoshiro: xoshiro8AVX512,

	cgAvgJ: cgAvgJAVX2, cgLogits: cgLogitsAVX512, cgLanes: cgLanes512, avgJac: avgJacAVX2,

	bce: bceAVX512, adam: adamAVX512, radam: radamAVX512, finite: finiteAVX2,
	addBias: addBiasAVX2, sumRows: sumRowsAVX2, relu: reluAVX2, reluBackward: reluBackwardAVX2,
}
