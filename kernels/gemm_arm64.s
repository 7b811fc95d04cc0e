//go:build !purego && !noasm

#include "textflag.h"

// NEON routines of the "neon" table for SGEMM (gemm.go, gemmsparse.go): the
// 8×8 micro-kernels and the nonzero scan of SgemmSparse; the stubs are in
// gemm_arm64.go. Go's arm64 assembler has no NEON float arithmetic (style
// guide, kernels.md 7.6), so every float add, multiply, max, min, compare,
// rounding, conversion and by-element FMLA is a WORD with its mnemonic in
// the comment; the encodings come from aarch64-linux-gnu-as and are checked
// with go tool objdump. Registers R18, R27, R28 and R29 are never touched.

// ---------------------------------------------------------------------------
// GEMM micro-kernels, 8×8 tile.
//
// Registers:
//	R0   packed A panel, 8 floats per k step (k-major)
//	R1   packed B panel, 8 floats per k step (k-major)
//	R2   C tile, row by row; R4 = ldc in bytes
//	R3   remaining k steps
//	V0, V1 (V4, V5)   B[p][0:4], B[p][4:8] of the even (odd) k step
//	V2, V3 (V6, V7)   A[p][0:4], A[p][4:8]; row i uses lane i%4 by element
//	V16..V31          accumulators: row i in V(16+2i) (columns 0:4) and
//	                  V(17+2i) (columns 4:8)
// Each k step is 2 loads of 32 bytes and 16 by-element FMAs (one rounding
// per product, in k order, as the summation order in gemm.go requires).

// ZERO8X8 clears the accumulators V16..V31.
#define ZERO8X8 \
	VEOR V16.B16, V16.B16, V16.B16; \
	VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; \
	VEOR V19.B16, V19.B16, V19.B16; \
	VEOR V20.B16, V20.B16, V20.B16; \
	VEOR V21.B16, V21.B16, V21.B16; \
	VEOR V22.B16, V22.B16, V22.B16; \
	VEOR V23.B16, V23.B16, V23.B16; \
	VEOR V24.B16, V24.B16, V24.B16; \
	VEOR V25.B16, V25.B16, V25.B16; \
	VEOR V26.B16, V26.B16, V26.B16; \
	VEOR V27.B16, V27.B16, V27.B16; \
	VEOR V28.B16, V28.B16, V28.B16; \
	VEOR V29.B16, V29.B16, V29.B16; \
	VEOR V30.B16, V30.B16, V30.B16; \
	VEOR V31.B16, V31.B16, V31.B16

// FMA8X8A does the 16 FMAs of one k step with B in V0, V1 and A in V2, V3:
// fmla v(16+2i+h).4s, v(h).4s, v(2+i/4).s[i%4] for rows i < 8, halves h < 2.
#define FMA8X8A \
	WORD $0x4f821010; \
	WORD $0x4f821031; \
	WORD $0x4fa21012; \
	WORD $0x4fa21033; \
	WORD $0x4f821814; \
	WORD $0x4f821835; \
	WORD $0x4fa21816; \
	WORD $0x4fa21837; \
	WORD $0x4f831018; \
	WORD $0x4f831039; \
	WORD $0x4fa3101a; \
	WORD $0x4fa3103b; \
	WORD $0x4f83181c; \
	WORD $0x4f83183d; \
	WORD $0x4fa3181e; \
	WORD $0x4fa3183f

// FMA8X8B is FMA8X8A with B in V4, V5 and A in V6, V7.
#define FMA8X8B \
	WORD $0x4f861090; \
	WORD $0x4f8610b1; \
	WORD $0x4fa61092; \
	WORD $0x4fa610b3; \
	WORD $0x4f861894; \
	WORD $0x4f8618b5; \
	WORD $0x4fa61896; \
	WORD $0x4fa618b7; \
	WORD $0x4f871098; \
	WORD $0x4f8710b9; \
	WORD $0x4fa7109a; \
	WORD $0x4fa710bb; \
	WORD $0x4f87189c; \
	WORD $0x4f8718bd; \
	WORD $0x4fa7189e; \
	WORD $0x4fa718bf

// WRITE8X8 finishes an 8×8 kernel whose beta is at beta(FP): beta == 0
// (either sign) stores the accumulators without reading C; NaN compares
// unordered and takes the update path upd, like the Go comparison, which
// sets C = acc + beta*C with the product rounded on its own
// (gemmStoreRow4): per row, fmul v1, v2 by v0 (beta), then fadd into the
// row's accumulators.
#define WRITE8X8(beta, upd) \
	FMOVS beta, F0; \
	FCMPS $(0.0), F0; \
	BNE   upd; \
	VST1 [V16.S4, V17.S4], (R2); \
	ADD  R4, R2, R2; \
	VST1 [V18.S4, V19.S4], (R2); \
	ADD  R4, R2, R2; \
	VST1 [V20.S4, V21.S4], (R2); \
	ADD  R4, R2, R2; \
	VST1 [V22.S4, V23.S4], (R2); \
	ADD  R4, R2, R2; \
	VST1 [V24.S4, V25.S4], (R2); \
	ADD  R4, R2, R2; \
	VST1 [V26.S4, V27.S4], (R2); \
	ADD  R4, R2, R2; \
	VST1 [V28.S4, V29.S4], (R2); \
	ADD  R4, R2, R2; \
	VST1 [V30.S4, V31.S4], (R2); \
	RET; \
upd: \
	VDUP V0.S[0], V0.S4; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d610; \
	WORD $0x4e22d631; \
	VST1 [V16.S4, V17.S4], (R2); \
	ADD  R4, R2, R2; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d652; \
	WORD $0x4e22d673; \
	VST1 [V18.S4, V19.S4], (R2); \
	ADD  R4, R2, R2; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d694; \
	WORD $0x4e22d6b5; \
	VST1 [V20.S4, V21.S4], (R2); \
	ADD  R4, R2, R2; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d6d6; \
	WORD $0x4e22d6f7; \
	VST1 [V22.S4, V23.S4], (R2); \
	ADD  R4, R2, R2; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d718; \
	WORD $0x4e22d739; \
	VST1 [V24.S4, V25.S4], (R2); \
	ADD  R4, R2, R2; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d75a; \
	WORD $0x4e22d77b; \
	VST1 [V26.S4, V27.S4], (R2); \
	ADD  R4, R2, R2; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d79c; \
	WORD $0x4e22d7bd; \
	VST1 [V28.S4, V29.S4], (R2); \
	ADD  R4, R2, R2; \
	VLD1 (R2), [V1.S4, V2.S4]; \
	WORD $0x6e20dc21; \
	WORD $0x6e20dc42; \
	WORD $0x4e21d7de; \
	WORD $0x4e22d7ff; \
	VST1 [V30.S4, V31.S4], (R2); \
	RET

// func gemm8x8NEON(kc int, a, b, c []float32, ldc int, beta float32)
//
// The loop does two k steps with separate registers so loads run ahead.
TEXT ·gemm8x8NEON(SB), NOSPLIT, $0-92
	MOVD kc+0(FP), R3
	MOVD a_base+8(FP), R0
	MOVD b_base+32(FP), R1
	MOVD c_base+56(FP), R2
	MOVD ldc+80(FP), R4
	LSL  $2, R4, R4

	ZERO8X8

	LSR $1, R3, R5
	CBZ R5, gemm_tail

gemm_loop2:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P 32(R0), [V2.S4, V3.S4]
	VLD1.P 32(R1), [V4.S4, V5.S4]
	VLD1.P 32(R0), [V6.S4, V7.S4]
	FMA8X8A
	FMA8X8B
	SUBS $1, R5, R5
	BNE  gemm_loop2

gemm_tail:
	TBZ $0, R3, gemm_write
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P 32(R0), [V2.S4, V3.S4]
	FMA8X8A

gemm_write:
	WRITE8X8(beta+88(FP), gemm_update)

// ---------------------------------------------------------------------------
// func gemm8x8IdxNEON(idx []int32, a, b, c []float32, ldc int, beta float32)
//
// gemm8x8NEON over the k steps listed in idx only, in their order: step
// p = idx[t] reads A at a[8p:] and B at b[8p:] of the full packed panels.
// The driver lists the steps where the sparse operand's panel is not all
// zero, so the FMAs left out would each have added ±0 to an accumulator.
//
// Registers as gemm8x8NEON, except: R5 the next index, R3 the indices
// left, R0 and R1 the bases of the A and B panels, R6 and R7 the step's
// A and B addresses.
TEXT ·gemm8x8IdxNEON(SB), NOSPLIT, $0-108
	MOVD idx_base+0(FP), R5
	MOVD idx_len+8(FP), R3
	MOVD a_base+24(FP), R0
	MOVD b_base+48(FP), R1
	MOVD c_base+72(FP), R2
	MOVD ldc+96(FP), R4
	LSL  $2, R4, R4

	ZERO8X8

	CBZ R3, gidx_write

gidx_loop:
	MOVWU.P 4(R5), R6
	ADD     R6<<5, R1, R7
	ADD     R6<<5, R0, R6
	VLD1    (R7), [V0.S4, V1.S4]
	VLD1    (R6), [V2.S4, V3.S4]
	FMA8X8A
	SUBS    $1, R3, R3
	BNE     gidx_loop

gidx_write:
	WRITE8X8(beta+104(FP), gidx_update)

// ---------------------------------------------------------------------------
// func nonzeroBitsNEON(x []float32, bits []uint32)
//
// Per 32 floats (8 vectors): lanes that share a bit with 0x7fffffff (not
// ±0) become all ones (VCMTST), each vector keeps its lanes' own bits of
// the word (V16..V23 = 1<<(4v+lane)), and the OR of the 8 vectors summed
// across its lanes (the bits are disjoint, so the sum is the OR) is the
// word.
TEXT ·nonzeroBitsNEON(SB), NOSPLIT, $0-48
	MOVD   x_base+0(FP), R0
	MOVD   bits_base+24(FP), R1
	MOVD   bits_len+32(FP), R2
	CBZ    R2, nzb_done
	MOVD   $·nonzeroWeights(SB), R3
	VLD1.P 64(R3), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1   (R3), [V20.S4, V21.S4, V22.S4, V23.S4]
	MOVW   $0x7fffffff, R4
	VDUP   R4, V24.S4

nzb_loop:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VCMTST V24.S4, V0.S4, V0.S4
	VCMTST V24.S4, V1.S4, V1.S4
	VCMTST V24.S4, V2.S4, V2.S4
	VCMTST V24.S4, V3.S4, V3.S4
	VCMTST V24.S4, V4.S4, V4.S4
	VCMTST V24.S4, V5.S4, V5.S4
	VCMTST V24.S4, V6.S4, V6.S4
	VCMTST V24.S4, V7.S4, V7.S4
	VAND   V16.B16, V0.B16, V0.B16
	VAND   V17.B16, V1.B16, V1.B16
	VAND   V18.B16, V2.B16, V2.B16
	VAND   V19.B16, V3.B16, V3.B16
	VAND   V20.B16, V4.B16, V4.B16
	VAND   V21.B16, V5.B16, V5.B16
	VAND   V22.B16, V6.B16, V6.B16
	VAND   V23.B16, V7.B16, V7.B16
	VORR   V1.B16, V0.B16, V0.B16
	VORR   V3.B16, V2.B16, V2.B16
	VORR   V5.B16, V4.B16, V4.B16
	VORR   V7.B16, V6.B16, V6.B16
	VORR   V2.B16, V0.B16, V0.B16
	VORR   V6.B16, V4.B16, V4.B16
	VORR   V4.B16, V0.B16, V0.B16
	VADDV  V0.S4, V0
	FMOVS  F0, R5
	MOVW.P R5, 4(R1)
	SUBS   $1, R2, R2
	BNE    nzb_loop

nzb_done:
	RET
