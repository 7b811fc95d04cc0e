//go:build !purego && !noasm

package kernels

// PROVISIONAL placeholders until the AVX2 GEMM micro-kernel lands.
const (
	gemmAVX2MR = 6
	gemmAVX2NR = 16
	gemmAVX2KC = 256
)

var gemmAVX2 func(kc int, a, b, c *float32, ldc int)
