//go:build !purego && !noasm

package kernels

import "golang.org/x/sys/cpu"

// avx2Impl is the AVX2+FMA table. Its routines live in gemm_amd64.go /
// kernels_amd64.s (GEMM) and rows_amd64.go / rows_amd64.s (softmax, sampling).
var avx2Impl = &impl{
	name: "avx2", w: 8,
	mr: gemmAVX2MR, nr: gemmAVX2NR, kc: gemmAVX2KC, gemm: gemmAVX2, gemmPack: gemm6x16PackAVX2, gemmPF: gemm6x16PFAVX2,
	gemmIdx: gemm6x16IdxAVX2, nonzero: nonzeroBitsAVX2,
	softmax: softmaxAVX2, sample: sampleAVX2, negLog: negLogAVX2,
	softmaxSample: softmaxSampleAVX2, negLogF: negLogFloatsAVX2,
	cgAvgJ: cgAvgJAVX2, avgJac: avgJacAVX2, cgLogits: cgLogitsAVX2,
	cgLanes: cgLanesAVX2, xoshiro: xoshiro8AVX2,
}

// x/sys/cpu honours GODEBUG=cpu.avx2=off and checks OS support of the YMM state.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && register(avx2Impl)

// "avx512" goes ahead of "avx2": register prepends, and naming hasAVX2 makes
// this initialiser run after that one. HasAVX512F also checks OS support of
// the ZMM and mask state, and honours GODEBUG=cpu.avx512f=off.
var _ = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && register(avx512Impl)

// After elementwise_amd64.go's init (file order) has completed avx2Impl.
func init() { inheritAVX2(avx512Impl, avx2Impl) }
