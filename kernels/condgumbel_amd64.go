//go:build !purego && !noasm

package kernels

// The conditional-Gumbel kernels' assembly and declarations are generated
// (condgumbel_amd64.s, condgumbel_stubs_amd64.go; kernels/_asm).

// cgEps8 holds cgEps in the 8 lanes of a vector, a memory operand of the
// conditional-Gumbel kernels (kCGEps8 in kernels/_asm/rowmath.go).
var cgEps8 = [8]float32{cgEps, cgEps, cgEps, cgEps, cgEps, cgEps, cgEps, cgEps}
