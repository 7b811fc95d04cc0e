//go:build !purego && !noasm

package kernels

// PROVISIONAL placeholders until the AVX2 softmax and sampling land.
var (
	softmaxAVX2 func(dst, src, lse []float32, cols int, invTau float32)
	sampleAVX2  func(idx []int32, p []float32, cols int, u []float32)
)
