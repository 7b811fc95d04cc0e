//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_arm64.h"

// NEON routines of the "neon" table (kernels_arm64.go). Go's arm64
// assembler has no NEON float arithmetic (style guide, kernels.md 7.6), so
// every float add, multiply, max, min, compare, rounding, conversion and
// by-element FMLA is a WORD with its mnemonic in the comment; the encodings
// come from aarch64-linux-gnu-as and are checked with go tool objdump.
// The single-chain -log, exp and conditional-Gumbel logit used by several
// routines are macros in rowmath_arm64.h (their WORDs are commented there
// by the operation they perform). Registers R18, R27, R28 and R29 are
// never touched.

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

// ---------------------------------------------------------------------------
// Row softmax, one row at a time, four columns per vector.
//
// func softmaxRowsNEON(dst, src, stats []float32, cols int, invTau float32)
//
// For each of the rows = len(stats)/2 rows of cols floats (cols%4 == 0,
// cols >= 4), exactly the operations of softmaxRowsGeneric: the maximum m
// (FMAX, which propagates NaN as Go's max does), e = expf32((x-m)*invTau)
// stored to dst, the exponentials summed into two 4-lane accumulators that
// together form the twin's acc[j%8] (V10 for j%8 < 4, V11 for the rest), the
// twin's reduction tree, then dst *= 1/s.
//
// Registers:
//	R0, R1, R2   dst, src, stats of the current row; R3 rows left; R4 cols
//	R6, R8       read and write pointers inside the row; R7 counter
//	V0..V4, V5..V9   the two exp chains (x, k, r, p, q)
//	V10, V11     sum accumulators; V12 = m, V13 = invTau (broadcast)
//	V20..V31     constants (neonConsts): cutoff, log2e, c1, c2, P0..P5,
//	             1.0, int 127
TEXT ·softmaxRowsNEON(SB), NOSPLIT, $0-84
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  stats_base+48(FP), R2
	MOVD  stats_len+56(FP), R3
	LSR   $1, R3, R3
	MOVD  cols+72(FP), R4
	FMOVS invTau+80(FP), F13
	VDUP  V13.S[0], V13.S4
	EXPCONSTS(R5)
	CBZ   R3, softmax_done

softmax_row:
	// Pass 1: the row maximum.
	MOVD   R1, R6
	LSR    $2, R4, R7
	VLD1.P 16(R6), [V0.S4]
	SUBS   $1, R7, R7
	BEQ    softmax_max_done

softmax_max:
	VLD1.P 16(R6), [V1.S4]
	WORD $0x4e21f400 // fmax v0.4s, v0.4s, v1.4s
	SUBS $1, R7, R7
	BNE  softmax_max

softmax_max_done:
	WORD $0x6e30f800 // fmaxv s0, v0.4s
	VDUP V0.S[0], V12.S4

	// Pass 2: exponentials to dst and their sums, eight columns per
	// iteration (V10 takes j%8 < 4, V11 the rest), then four.
	MOVD R1, R6
	MOVD R0, R8
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	LSR  $3, R4, R7
	CBZ  R7, softmax_exp_tail

softmax_exp:
	VLD1.P 16(R6), [V0.S4]
	VLD1.P 16(R6), [V5.S4]
	WORD $0x4eacd400 // fsub v0.4s, v0.4s, v12.4s
	WORD $0x4eacd4a5 // fsub v5.4s, v5.4s, v12.4s
	WORD $0x6e2ddc00 // fmul v0.4s, v0.4s, v13.4s
	WORD $0x6e2ddca5 // fmul v5.4s, v5.4s, v13.4s
	// k = round-half-even(x*log2e); r = fma(-k, c1, x); r = fma(-k, c2, r)
	WORD $0x6e35dc01 // fmul v1.4s, v0.4s, v21.4s
	WORD $0x6e35dca6 // fmul v6.4s, v5.4s, v21.4s
	WORD $0x4e218821 // frintn v1.4s, v1.4s
	WORD $0x4e2188c6 // frintn v6.4s, v6.4s
	VORR V0.B16, V0.B16, V2.B16
	VORR V5.B16, V5.B16, V7.B16
	VFMLS V22.S4, V1.S4, V2.S4
	VFMLS V22.S4, V6.S4, V7.S4
	VFMLS V23.S4, V1.S4, V2.S4
	VFMLS V23.S4, V6.S4, V7.S4
	// Horner: p = P0; p = fma(p, r, Pi), i = 1..5
	VORR V25.B16, V25.B16, V3.B16
	VORR V25.B16, V25.B16, V8.B16
	VFMLA V24.S4, V2.S4, V3.S4
	VFMLA V24.S4, V7.S4, V8.S4
	VORR V26.B16, V26.B16, V4.B16
	VORR V26.B16, V26.B16, V9.B16
	VFMLA V3.S4, V2.S4, V4.S4
	VFMLA V8.S4, V7.S4, V9.S4
	VORR V27.B16, V27.B16, V3.B16
	VORR V27.B16, V27.B16, V8.B16
	VFMLA V4.S4, V2.S4, V3.S4
	VFMLA V9.S4, V7.S4, V8.S4
	VORR V28.B16, V28.B16, V4.B16
	VORR V28.B16, V28.B16, V9.B16
	VFMLA V3.S4, V2.S4, V4.S4
	VFMLA V8.S4, V7.S4, V9.S4
	VORR V29.B16, V29.B16, V3.B16
	VORR V29.B16, V29.B16, V8.B16
	VFMLA V4.S4, V2.S4, V3.S4
	VFMLA V9.S4, V7.S4, V8.S4
	// y = fma(p, r*r, r) + 1
	WORD $0x6e22dc44 // fmul v4.4s, v2.4s, v2.4s
	WORD $0x6e27dce9 // fmul v9.4s, v7.4s, v7.4s
	VFMLA V3.S4, V4.S4, V2.S4
	VFMLA V8.S4, V9.S4, V7.S4
	WORD $0x4e3ed442 // fadd v2.4s, v2.4s, v30.4s
	WORD $0x4e3ed4e7 // fadd v7.4s, v7.4s, v30.4s
	// times 2^k built as (k+127)<<23
	WORD $0x4ea1b821 // fcvtzs v1.4s, v1.4s
	WORD $0x4ea1b8c6 // fcvtzs v6.4s, v6.4s
	VADD V31.S4, V1.S4, V1.S4
	VADD V31.S4, V6.S4, V6.S4
	VSHL $23, V1.S4, V1.S4
	VSHL $23, V6.S4, V6.S4
	WORD $0x6e21dc42 // fmul v2.4s, v2.4s, v1.4s
	WORD $0x6e26dce7 // fmul v7.4s, v7.4s, v6.4s
	// x < cutoff (false for NaN, which propagates) gives exactly 0
	WORD $0x6ea0e681 // fcmgt v1.4s, v20.4s, v0.4s
	WORD $0x6ea5e686 // fcmgt v6.4s, v20.4s, v5.4s
	WORD $0x4e611c42 // bic v2.16b, v2.16b, v1.16b
	WORD $0x4e661ce7 // bic v7.16b, v7.16b, v6.16b
	VST1.P [V2.S4], 16(R8)
	VST1.P [V7.S4], 16(R8)
	WORD $0x4e22d54a // fadd v10.4s, v10.4s, v2.4s
	WORD $0x4e27d56b // fadd v11.4s, v11.4s, v7.4s
	SUBS $1, R7, R7
	BNE  softmax_exp

softmax_exp_tail:
	TBZ    $2, R4, softmax_sum
	VLD1.P 16(R6), [V0.S4]
	WORD $0x4eacd400 // fsub v0.4s, v0.4s, v12.4s
	WORD $0x6e2ddc00 // fmul v0.4s, v0.4s, v13.4s
	EXP4
	VST1.P [V2.S4], 16(R8)
	WORD $0x4e22d54a // fadd v10.4s, v10.4s, v2.4s

softmax_sum:
	// s = ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)), a = [V10, V11].
	WORD $0x4e2bd540 // fadd v0.4s, v10.4s, v11.4s
	VEXT $8, V0.B16, V0.B16, V1.B16
	WORD $0x4e21d400 // fadd v0.4s, v0.4s, v1.4s
	WORD $0x7e30d800 // faddp s0, v0.2s
	FMOVS F12, (R2)
	FMOVS F0, 4(R2)
	FMOVS $(1.0), F1
	FDIVS F0, F1, F1
	VDUP  V1.S[0], V1.S4

	// Pass 3: dst *= 1/s.
	MOVD R0, R8
	LSR  $2, R4, R7

softmax_scale:
	VLD1   (R8), [V0.S4]
	WORD $0x6e21dc00 // fmul v0.4s, v0.4s, v1.4s
	VST1.P [V0.S4], 16(R8)
	SUBS   $1, R7, R7
	BNE    softmax_scale

	ADD  $8, R2, R2
	ADD  R4<<2, R0, R0
	ADD  R4<<2, R1, R1
	SUBS $1, R3, R3
	BNE  softmax_row

softmax_done:
	RET

// ---------------------------------------------------------------------------
// Categorical sampling by inverse CDF, four rows at a time, one row per lane.
//
// func sampleRowsNEON(idx []int32, p, u, cdf []float32, cols int)
//
// For each group of four of the rows = len(idx) rows (rows%4 == 0) of cols
// floats (cols%4 == 0), exactly what sampleRowsGeneric computes: pass 1
// loads a 4×4 block of the four rows, transposes it so that each vector
// holds one column, and runs the twin's running sum c += p[j] in each lane
// (strictly in order of j), storing the partial sums to cdf column by
// column, with the minimum alongside; then
//
//	bad = !(u >= 0) || !(u < 1) || min < 0 || !(c > 0) || !(c < +Inf)
//	t = u*c; k = #{j : cdf[j] <= t}    (the first j with cdf[j] > t)
//	idx = bad ? -1 : k == cols ? -2 : k
//
// (a NaN entry makes c NaN, so bad does not depend on how FMIN treats it).
//
// Registers:
//	R0 idx, R2 p, R3 u of the group; R1 groups left; R4 cdf; R5 cols
//	R6 row stride in bytes; R7..R10 the four row pointers; R11, R12 cdf
//	pointer and counter
//	V11 running sums, V17 minimum; V20 +Inf, V21 1.0, V22 int -1,
//	V23 int -2, V24 int cols
TEXT ·sampleRowsNEON(SB), NOSPLIT, $0-104
	MOVD  idx_base+0(FP), R0
	MOVD  idx_len+8(FP), R1
	LSR   $2, R1, R1
	MOVD  p_base+24(FP), R2
	MOVD  u_base+48(FP), R3
	MOVD  cdf_base+72(FP), R4
	MOVD  cols+96(FP), R5
	LSL   $2, R5, R6
	MOVW  $0x7f800000, R7
	VDUP  R7, V20.S4
	MOVW  $0x3f800000, R7
	VDUP  R7, V21.S4
	MOVW  $-1, R7
	VDUP  R7, V22.S4
	MOVW  $-2, R7
	VDUP  R7, V23.S4
	VDUP  R5, V24.S4
	CBZ   R1, sample_done

sample_group:
	MOVD R2, R7
	ADD  R6, R7, R8
	ADD  R6, R8, R9
	ADD  R6, R9, R10
	MOVD R4, R11
	LSR  $2, R5, R12
	VEOR V11.B16, V11.B16, V11.B16
	VORR V20.B16, V20.B16, V17.B16

sample_scan:
	VLD1.P 16(R7), [V0.S4]
	VLD1.P 16(R8), [V1.S4]
	VLD1.P 16(R9), [V2.S4]
	VLD1.P 16(R10), [V3.S4]
	// Transpose: V0..V3 = columns j..j+3, lane l = row l.
	VTRN1  V1.S4, V0.S4, V4.S4
	VTRN2  V1.S4, V0.S4, V5.S4
	VTRN1  V3.S4, V2.S4, V6.S4
	VTRN2  V3.S4, V2.S4, V7.S4
	VTRN1  V6.D2, V4.D2, V0.D2
	VTRN1  V7.D2, V5.D2, V1.D2
	VTRN2  V6.D2, V4.D2, V2.D2
	VTRN2  V7.D2, V5.D2, V3.D2
	WORD $0x4e20d568 // fadd v8.4s, v11.4s, v0.4s
	WORD $0x4e21d509 // fadd v9.4s, v8.4s, v1.4s
	WORD $0x4e22d52a // fadd v10.4s, v9.4s, v2.4s
	WORD $0x4e23d54b // fadd v11.4s, v10.4s, v3.4s
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R11)
	WORD $0x4ea1f400 // fmin v0.4s, v0.4s, v1.4s
	WORD $0x4ea3f442 // fmin v2.4s, v2.4s, v3.4s
	WORD $0x4ea0f631 // fmin v17.4s, v17.4s, v0.4s
	WORD $0x4ea2f631 // fmin v17.4s, v17.4s, v2.4s
	SUBS $1, R12, R12
	BNE  sample_scan

	// ok = u >= 0 && u < 1 && min >= 0 && c > 0 && c < +Inf; t = u*c.
	VLD1.P 16(R3), [V0.S4]
	WORD $0x6ea0c801 // fcmge v1.4s, v0.4s, #0.0
	WORD $0x6ea0e6a2 // fcmgt v2.4s, v21.4s, v0.4s
	VAND V2.B16, V1.B16, V1.B16
	WORD $0x6ea0ca22 // fcmge v2.4s, v17.4s, #0.0
	VAND V2.B16, V1.B16, V1.B16
	WORD $0x4ea0c962 // fcmgt v2.4s, v11.4s, #0.0
	VAND V2.B16, V1.B16, V1.B16
	WORD $0x6eabe682 // fcmgt v2.4s, v20.4s, v11.4s
	VAND V2.B16, V1.B16, V1.B16
	WORD $0x6e2bdc03 // fmul v3.4s, v0.4s, v11.4s

	// Pass 2: k -= (cdf[j] <= t ? -1 : 0), four columns per iteration.
	MOVD R4, R11
	LSR  $2, R5, R12
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16

sample_count:
	VLD1.P 64(R11), [V6.S4, V7.S4, V8.S4, V9.S4]
	WORD $0x6e26e466 // fcmge v6.4s, v3.4s, v6.4s
	WORD $0x6e27e467 // fcmge v7.4s, v3.4s, v7.4s
	WORD $0x6e28e468 // fcmge v8.4s, v3.4s, v8.4s
	WORD $0x6e29e469 // fcmge v9.4s, v3.4s, v9.4s
	VSUB V6.S4, V4.S4, V4.S4
	VSUB V7.S4, V5.S4, V5.S4
	VSUB V8.S4, V4.S4, V4.S4
	VSUB V9.S4, V5.S4, V5.S4
	SUBS $1, R12, R12
	BNE  sample_count

	VADD  V5.S4, V4.S4, V4.S4
	VCMEQ V24.S4, V4.S4, V5.S4
	VBIT  V5.B16, V23.B16, V4.B16 // k == cols: -2
	VBIF  V1.B16, V22.B16, V4.B16 // bad row: -1
	VST1.P [V4.S4], 16(R0)
	ADD  R6<<2, R2, R2
	SUBS $1, R1, R1
	BNE  sample_group

sample_done:
	RET

// ---------------------------------------------------------------------------
// -log of uniforms (Exponentials, Gumbels), eight floats per iteration.
//
// func negLogRowsNEON(dst []float32, n int)
//
// Exactly what negLogGeneric computes: x = max(float32(bits(dst[i])), 0.5)
// * 2^-24, then n times x = negLogf32(x) (expf.go: exponent and mantissa
// split, the √½ adjustment done by masks, Horner with FMA, Cody–Waite
// recombination), for len(dst)%4 == 0.
//
// Registers:
//	R0 read and R5 write pointer; R4 pairs left; R2 n, R6 its counter
//	V0..V4, V5..V9   the two chains (x, e, m, mask, z; the Horner values
//	                 reuse m and mask)
//	V15..V31   constants (neonLogConsts): 0.5, 2^-24, int 126, int
//	           0x7fffff, √½, L0..L8, c1, c2, 1.0
TEXT ·negLogRowsNEON(SB), NOSPLIT, $0-32
	MOVD   dst_base+0(FP), R0
	MOVD   dst_len+8(FP), R1
	MOVD   n+24(FP), R2
	LOGCONSTS(R3)
	MOVD   R0, R5
	LSR    $3, R1, R4
	CBZ    R4, neglog_tail

neglog_pair:
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R0), [V5.S4]
	// x = max(float32(k), 0.5) * 2^-24
	WORD $0x6e21d800 // ucvtf v0.4s, v0.4s
	WORD $0x6e21d8a5 // ucvtf v5.4s, v5.4s
	WORD $0x4e2ff400 // fmax v0.4s, v0.4s, v15.4s
	WORD $0x4e2ff4a5 // fmax v5.4s, v5.4s, v15.4s
	WORD $0x6e30dc00 // fmul v0.4s, v0.4s, v16.4s
	WORD $0x6e30dca5 // fmul v5.4s, v5.4s, v16.4s
	MOVD R2, R6
	CBZ  R6, neglog2_store

neglog2_iter:
	// e = float32(exponent - 126); m = mantissa in [1/2, 1)
	VUSHR $23, V0.S4, V1.S4
	VUSHR $23, V5.S4, V6.S4
	VSUB V17.S4, V1.S4, V1.S4
	VSUB V17.S4, V6.S4, V6.S4
	WORD $0x4e21d821 // scvtf v1.4s, v1.4s
	WORD $0x4e21d8c6 // scvtf v6.4s, v6.4s
	VAND V18.B16, V0.B16, V2.B16
	VAND V18.B16, V5.B16, V7.B16
	VORR V15.B16, V2.B16, V2.B16
	VORR V15.B16, V7.B16, V7.B16
	// m < √½: e = e - 1, x = (m-1) + m; else e = e - 0, x = (m-1) + 0
	WORD $0x6ea2e663 // fcmgt v3.4s, v19.4s, v2.4s
	WORD $0x6ea7e668 // fcmgt v8.4s, v19.4s, v7.4s
	VAND V31.B16, V3.B16, V4.B16
	VAND V31.B16, V8.B16, V9.B16
	WORD $0x4ea4d421 // fsub v1.4s, v1.4s, v4.4s
	WORD $0x4ea9d4c6 // fsub v6.4s, v6.4s, v9.4s
	VAND V2.B16, V3.B16, V3.B16
	VAND V7.B16, V8.B16, V8.B16
	WORD $0x4ebfd440 // fsub v0.4s, v2.4s, v31.4s
	WORD $0x4ebfd4e5 // fsub v5.4s, v7.4s, v31.4s
	WORD $0x4e23d400 // fadd v0.4s, v0.4s, v3.4s
	WORD $0x4e28d4a5 // fadd v5.4s, v5.4s, v8.4s
	WORD $0x6e20dc04 // fmul v4.4s, v0.4s, v0.4s
	WORD $0x6e25dca9 // fmul v9.4s, v5.4s, v5.4s
	// Horner: y = L0; y = fma(y, x, Li), i = 1..8 (y alternates m, mask)
	VORR V21.B16, V21.B16, V2.B16
	VORR V21.B16, V21.B16, V7.B16
	VFMLA V20.S4, V0.S4, V2.S4
	VFMLA V20.S4, V5.S4, V7.S4
	VORR V22.B16, V22.B16, V3.B16
	VORR V22.B16, V22.B16, V8.B16
	VFMLA V2.S4, V0.S4, V3.S4
	VFMLA V7.S4, V5.S4, V8.S4
	VORR V23.B16, V23.B16, V2.B16
	VORR V23.B16, V23.B16, V7.B16
	VFMLA V3.S4, V0.S4, V2.S4
	VFMLA V8.S4, V5.S4, V7.S4
	VORR V24.B16, V24.B16, V3.B16
	VORR V24.B16, V24.B16, V8.B16
	VFMLA V2.S4, V0.S4, V3.S4
	VFMLA V7.S4, V5.S4, V8.S4
	VORR V25.B16, V25.B16, V2.B16
	VORR V25.B16, V25.B16, V7.B16
	VFMLA V3.S4, V0.S4, V2.S4
	VFMLA V8.S4, V5.S4, V7.S4
	VORR V26.B16, V26.B16, V3.B16
	VORR V26.B16, V26.B16, V8.B16
	VFMLA V2.S4, V0.S4, V3.S4
	VFMLA V7.S4, V5.S4, V8.S4
	VORR V27.B16, V27.B16, V2.B16
	VORR V27.B16, V27.B16, V7.B16
	VFMLA V3.S4, V0.S4, V2.S4
	VFMLA V8.S4, V5.S4, V7.S4
	VORR V28.B16, V28.B16, V3.B16
	VORR V28.B16, V28.B16, V8.B16
	VFMLA V2.S4, V0.S4, V3.S4
	VFMLA V7.S4, V5.S4, V8.S4
	// y = (y*x)*z; y = fma(e, c2, y); y = fma(-z, 1/2, y)
	WORD $0x6e20dc63 // fmul v3.4s, v3.4s, v0.4s
	WORD $0x6e25dd08 // fmul v8.4s, v8.4s, v5.4s
	WORD $0x6e24dc63 // fmul v3.4s, v3.4s, v4.4s
	WORD $0x6e29dd08 // fmul v8.4s, v8.4s, v9.4s
	VFMLA V30.S4, V1.S4, V3.S4
	VFMLA V30.S4, V6.S4, V8.S4
	VFMLS V15.S4, V4.S4, V3.S4
	VFMLS V15.S4, V9.S4, V8.S4
	// -log u = -fma(e, c1, x + y)
	WORD $0x4e23d400 // fadd v0.4s, v0.4s, v3.4s
	WORD $0x4e28d4a5 // fadd v5.4s, v5.4s, v8.4s
	VFMLA V29.S4, V1.S4, V0.S4
	VFMLA V29.S4, V6.S4, V5.S4
	WORD $0x6ea0f800 // fneg v0.4s, v0.4s
	WORD $0x6ea0f8a5 // fneg v5.4s, v5.4s
	SUBS $1, R6, R6
	BNE  neglog2_iter

neglog2_store:
	VST1.P [V0.S4], 16(R5)
	VST1.P [V5.S4], 16(R5)
	SUBS   $1, R4, R4
	BNE    neglog_pair

neglog_tail:
	TBZ    $2, R1, neglog_done
	VLD1.P 16(R0), [V0.S4]
	// x = max(float32(k), 0.5) * 2^-24
	WORD $0x6e21d800 // ucvtf v0.4s, v0.4s
	WORD $0x4e2ff400 // fmax v0.4s, v0.4s, v15.4s
	WORD $0x6e30dc00 // fmul v0.4s, v0.4s, v16.4s
	MOVD R2, R6
	CBZ  R6, neglog1_store

neglog1_iter:
	NEGLOG4
	SUBS $1, R6, R6
	BNE  neglog1_iter

neglog1_store:
	VST1.P [V0.S4], 16(R5)

neglog_done:
	RET

// ---------------------------------------------------------------------------
// Conditional-Gumbel logits (CondGumbelLogits): cgLogitsGeneric four floats
// per vector, a row's last C%4 floats one at a time through the same code
// (a scalar load leaves the other lanes zero; only lane 0 is stored).
//
// func cgLogitsNEON(e, w []float32, i, K int, z float32)
//
// Per element, as the twin: a = (e_kj·w_j + e_ki/z) + 1e-20, then
// cgNegLog(a): negLogf32(a) (negLogRowsNEON's chain) where a is a positive
// normal float, -Inf where a = +Inf (a masked category), NaN otherwise.
//
// Registers:
//	R0 the current row, R1 w, R2 row bytes, R3 i, R4 rows left, R6
//	floats left in the row, R7 row and R8 w pointers, R10 the step (16 or 4)
//	V0..V4   a, then negLogRowsNEON's chain; V5 w_j
//	V6 the valid lanes (then the result), V7 scratch, V8 the +Inf lanes
//	V9 e_ki/z, F16 z (V16 is not used by the chain)
//	V10..V14 (neonCGConsts): 1e-20, 2^-126, MaxFloat32, +Inf, -Inf
//	V15..V31 (neonLogConsts) as in negLogRowsNEON
TEXT ·cgLogitsNEON(SB), NOSPLIT, $0-68
	MOVD   e_base+0(FP), R0
	MOVD   w_base+24(FP), R1
	MOVD   w_len+32(FP), R2
	MOVD   i+48(FP), R3
	MOVD   K+56(FP), R4
	LOGCONSTS(R5)
	MOVD   $·neonCGConsts(SB), R5
	VLD1.P 64(R5), [V10.S4, V11.S4, V12.S4, V13.S4]
	VLD1   (R5), [V14.S4]
	FMOVS  z+64(FP), F16
	LSL    $2, R2, R2

cgl_row:
	// e_ki/z, read before the row is overwritten
	ADD   R3<<2, R0, R7
	FMOVS (R7), F9
	FDIVS F16, F9, F9
	VDUP  V9.S[0], V9.S4
	MOVD  R0, R7
	MOVD  R1, R8
	LSR   $2, R2, R6

cgl_next:
	CMP    $4, R6
	BLT    cgl_scalar
	VLD1   (R7), [V0.S4]
	VLD1   (R8), [V5.S4]
	MOVD   $16, R10
	B      cgl_body

cgl_scalar:
	CBZ   R6, cgl_rowdone
	FMOVS (R7), F0
	FMOVS (R8), F5
	MOVD  $4, R10

cgl_body:
	// a = (e·w + e_ki/z) + 1e-20
	WORD $0x6e25dc00 // fmul v0.4s, v0.4s, v5.4s
	WORD $0x4e29d400 // fadd v0.4s, v0.4s, v9.4s
	WORD $0x4e2ad400 // fadd v0.4s, v0.4s, v10.4s
	CGNEGLOG4
	CMP  $16, R10
	BNE  cgl_store1
	VST1 [V6.S4], (R7)
	B    cgl_advance

cgl_store1:
	FMOVS F6, (R7)

cgl_advance:
	ADD R10, R7, R7
	ADD R10, R8, R8
	SUB R10>>2, R6, R6
	B   cgl_next

cgl_rowdone:
	ADD  R2, R0, R0
	SUBS $1, R4, R4
	BNE  cgl_row
	RET

// ---------------------------------------------------------------------------
// The lane-per-sample conditional-Gumbel kernel of CondGumbelAvgJTau
// (cglanes.go), four samples per group, lane l holding sample 4q+l, each
// step as cgLanesGeneric (the logarithm is negLogRowsNEON's chain and the
// exponential softmaxRowsNEON's). A group's contributions go to the lanes
// k mod 8 of the 8-lane accumulators: the low four for even groups, the
// high four for odd ones, in order of k, as the twin sums them.
//
// func cgLanesNEON(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool)
//
// Per group: the columns are copied into x (x[4j+l] = e[(4q+l)·C + j], 1
// for a lane past K) with integer loads and stores; then, at τ = 1,
// r = 1/a per column with the sums s and t = Σ r·g; at τ ≠ 1, the column
// logits cgNegLog(a) and their maximum m (m > y ? m : y), the
// exponentials q = expf32((y - m)·(1/τ)) and their sum s, then
// t = Σ (q·(1/s))·g; last, acc_j += p·g_j - p·d in the lanes in use, with
// p = x_j·(1/s) and d = t·(1/s) (τ = 1) or t.
//
// Registers:
//	R0 acc, R1 x, R2 the group's first sample, R3 w, R4 C, R5 g, R6 i,
//	R7 samples left, R8 masks, R9 tau1, R10 bytes per sample, R11 the
//	accumulator half (0 or 16 bytes), R12 scratch pointer, R13 samples in
//	the group, R14 their lane mask, R15 lane, R19 source, R20 x pointer,
//	R21 columns left, R22 a word, R23 w or g pointer
//	V9 e_ki/z per lane; V10 s at τ ≠ 1 (V20 at τ = 1), V21 t, V22 1/s,
//	V23 d, V16 m (τ ≠ 1), V12 m and V13 1/τ in the exponential pass;
//	the rest as in cgLogitsNEON (logits) and softmaxRowsNEON (exp).
TEXT ·cgLanesNEON(SB), NOSPLIT, $0-153
	MOVD  acc_base+0(FP), R0
	MOVD  x_base+24(FP), R1
	MOVD  e_base+48(FP), R2
	MOVD  w_base+72(FP), R3
	MOVD  w_len+80(FP), R4
	MOVD  g_base+96(FP), R5
	MOVD  i+120(FP), R6
	MOVD  K+128(FP), R7
	MOVD  masks+144(FP), R8
	MOVBU tau1+152(FP), R9
	LSL   $2, R4, R10
	MOVD  ZR, R11

	// acc = 0 (8·C floats)
	MOVD R0, R12
	LSL  $1, R4, R21
	VEOR V0.B16, V0.B16, V0.B16

cln_zero:
	VST1.P [V0.S4], 16(R12)
	SUBS   $1, R21, R21
	BNE    cln_zero

cln_group:
	// R13 = min(4, samples left); R14 = &masks[R13] (its first 4 lanes)
	MOVD $4, R13
	CMP  $4, R7
	CSEL LT, R7, R13, R13
	ADD  R13<<5, R8, R14

	// x[4j+l] = e[(4q+l)·C + j] for the lanes in use, 1 for the others
	MOVD ZR, R15

cln_lane:
	ADD  R15<<2, R1, R20
	MOVD R4, R21
	CMP  R13, R15
	BGE  cln_ones
	MUL  R10, R15, R19
	ADD  R2, R19, R19

cln_col:
	MOVWU.P 4(R19), R22
	MOVW    R22, (R20)
	ADD     $16, R20
	SUBS    $1, R21, R21
	BNE     cln_col
	B       cln_lanenext

cln_ones:
	MOVW $0x3f800000, R22

cln_one:
	MOVW R22, (R20)
	ADD  $16, R20
	SUBS $1, R21, R21
	BNE  cln_one

cln_lanenext:
	ADD $1, R15, R15
	CMP $4, R15
	BNE cln_lane

	// e_ki/z per lane; the constants of the conditional-Gumbel logits
	ADD    R6<<4, R1, R12
	VLD1   (R12), [V9.S4]
	FMOVS  z+136(FP), F7
	VDUP   V7.S[0], V7.S4
	WORD   $0x6e27fd29 // fdiv v9.4s, v9.4s, v7.4s
	MOVD   $·neonCGConsts(SB), R12
	VLD1.P 64(R12), [V10.S4, V11.S4, V12.S4, V13.S4]
	VLD1   (R12), [V14.S4]
	MOVD   R1, R20
	MOVD   R3, R23
	MOVD   R4, R21
	VEOR   V21.B16, V21.B16, V21.B16
	CBZ    R9, cln_tau

	// τ = 1: r = 1/a, s += r, t += r·g_j
	FMOVS $(1.0), F15
	VDUP  V15.S[0], V15.S4
	VEOR  V20.B16, V20.B16, V20.B16
	MOVD  R5, R12

cln_a1:
	VLD1    (R20), [V0.S4]
	VLD1R.P 4(R23), [V5.S4]
	WORD    $0x6e25dc00 // fmul v0.4s, v0.4s, v5.4s
	WORD    $0x4e29d400 // fadd v0.4s, v0.4s, v9.4s
	WORD    $0x4e2ad400 // fadd v0.4s, v0.4s, v10.4s
	WORD    $0x6e20fde0 // fdiv v0.4s, v15.4s, v0.4s
	VST1.P  [V0.S4], 16(R20)
	WORD    $0x4e20d694 // fadd v20.4s, v20.4s, v0.4s
	VLD1R.P 4(R12), [V6.S4]
	WORD    $0x6e26dc06 // fmul v6.4s, v0.4s, v6.4s
	WORD    $0x4e26d6b5 // fadd v21.4s, v21.4s, v6.4s
	SUBS    $1, R21, R21
	BNE     cln_a1

	WORD $0x6e34fdf6 // fdiv v22.4s, v15.4s, v20.4s
	WORD $0x6e36deb7 // fmul v23.4s, v21.4s, v22.4s
	B    cln_acc

	// τ ≠ 1, pass 1: y = cgNegLog(a) into x, m = max
cln_tau:
	LOGCONSTS(R12)
	VORR   V14.B16, V14.B16, V16.B16 // m = -Inf

cln_at:
	VLD1    (R20), [V0.S4]
	VLD1R.P 4(R23), [V5.S4]
	WORD    $0x6e25dc00 // fmul v0.4s, v0.4s, v5.4s
	WORD    $0x4e29d400 // fadd v0.4s, v0.4s, v9.4s
	WORD    $0x4e2ad400 // fadd v0.4s, v0.4s, v10.4s
	CGNEGLOG4
	VST1.P  [V6.S4], 16(R20)
	WORD    $0x6ea6e607 // fcmgt v7.4s, v16.4s, v6.4s
	WORD    $0x6e661e07 // bsl v7.16b, v16.16b, v6.16b
	VORR    V7.B16, V7.B16, V16.B16
	SUBS    $1, R21, R21
	BNE     cln_at

	// pass 2: q = expf32((y - m)·(1/τ)) into x, s += q
	EXPCONSTS(R12)
	VORR   V16.B16, V16.B16, V12.B16
	FMOVS  invTau+140(FP), F13
	VDUP   V13.S[0], V13.S4
	VEOR   V10.B16, V10.B16, V10.B16
	MOVD   R1, R20
	MOVD   R4, R21

cln_bt:
	VLD1 (R20), [V0.S4]
	WORD $0x4eacd400 // fsub v0.4s, v0.4s, v12.4s
	WORD $0x6e2ddc00 // fmul v0.4s, v0.4s, v13.4s
	EXP4
	VST1.P [V2.S4], 16(R20)
	WORD   $0x4e22d54a // fadd v10.4s, v10.4s, v2.4s
	SUBS   $1, R21, R21
	BNE    cln_bt

	// pass 3: 1/s; t += (q·(1/s))·g_j; d = t
	WORD $0x6e2affd6 // fdiv v22.4s, v30.4s, v10.4s
	VEOR V21.B16, V21.B16, V21.B16
	MOVD R1, R20
	MOVD R5, R23
	MOVD R4, R21

cln_ct:
	VLD1.P  16(R20), [V0.S4]
	WORD    $0x6e36dc00 // fmul v0.4s, v0.4s, v22.4s
	VLD1R.P 4(R23), [V5.S4]
	WORD    $0x6e25dc00 // fmul v0.4s, v0.4s, v5.4s
	WORD    $0x4e20d6b5 // fadd v21.4s, v21.4s, v0.4s
	SUBS    $1, R21, R21
	BNE     cln_ct
	VORR    V21.B16, V21.B16, V23.B16

	// acc_j += p·g_j - p·d in the lanes in use (+0 in the others),
	// p = x_j·(1/s)
cln_acc:
	VLD1 (R14), [V24.S4]
	MOVD R1, R20
	MOVD R5, R23
	MOVD R4, R21
	ADD  R11, R0, R12

cln_al:
	VLD1.P  16(R20), [V0.S4]
	WORD    $0x6e36dc00 // fmul v0.4s, v0.4s, v22.4s
	VLD1R.P 4(R23), [V5.S4]
	WORD    $0x6e25dc01 // fmul v1.4s, v0.4s, v5.4s
	WORD    $0x6e37dc02 // fmul v2.4s, v0.4s, v23.4s
	WORD    $0x4ea2d421 // fsub v1.4s, v1.4s, v2.4s
	VAND    V24.B16, V1.B16, V1.B16
	VLD1    (R12), [V3.S4]
	WORD    $0x4e23d423 // fadd v3.4s, v1.4s, v3.4s
	VST1    [V3.S4], (R12)
	ADD     $32, R12
	SUBS    $1, R21, R21
	BNE     cln_al

	// next group: four samples on, the other accumulator half
	ADD  R10<<2, R2, R2
	EOR  $16, R11, R11
	SUBS $4, R7, R7
	BGT  cln_group
	RET

// ---------------------------------------------------------------------------
// Xoshiro8 (xoshiro.go): one step of the eight xoshiro128++ lanes per
// iteration, lanes 0-3 in the first vector of each state word and 4-7 in
// the second, integer operations only.
//
// func xoshiro8NEON(s *[32]uint32, dst []float32)
//
// XSTEP4 advances the four lanes of S0..S3 (state words s0..s3) and leaves
// their outputs >> 8 in R, using T as scratch:
//
//	r = rotl(s0+s3, 7) + s0; t = s1 << 9
//	s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
#define XSTEP4(S0, S1, S2, S3, R, T) \
	VADD  S3.S4, S0.S4, R.S4; \
	VSHL  $7, R.S4, T.S4; \
	VUSHR $25, R.S4, R.S4; \
	VORR  T.B16, R.B16, R.B16; \
	VADD  S0.S4, R.S4, R.S4; \
	VUSHR $8, R.S4, R.S4; \
	VSHL  $9, S1.S4, T.S4; \
	VEOR  S0.B16, S2.B16, S2.B16; \
	VEOR  S1.B16, S3.B16, S3.B16; \
	VEOR  S2.B16, S1.B16, S1.B16; \
	VEOR  S3.B16, S0.B16, S0.B16; \
	VEOR  T.B16, S2.B16, S2.B16; \
	VSHL  $11, S3.S4, T.S4; \
	VUSHR $21, S3.S4, S3.S4; \
	VORR  T.B16, S3.B16, S3.B16

// Registers: R0 s, R1 dst, R2 steps left; V0-V7 the state (s0 lanes 0-3,
// 4-7 in V0, V1; s1 in V2, V3; s2 in V4, V5; s3 in V6, V7), V8, V9 the
// outputs, V10, V11 scratch.
TEXT ·xoshiro8NEON(SB), NOSPLIT, $0-32
	MOVD s+0(FP), R0
	MOVD dst_base+8(FP), R1
	MOVD dst_len+16(FP), R2
	LSR  $3, R2, R2
	CBZ  R2, xo_done
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	ADD  $64, R0, R3
	VLD1 (R3), [V4.S4, V5.S4, V6.S4, V7.S4]

xo_loop:
	XSTEP4(V0, V2, V4, V6, V8, V10)
	XSTEP4(V1, V3, V5, V7, V9, V11)
	VST1.P [V8.S4, V9.S4], 32(R1)
	SUBS   $1, R2, R2
	BNE    xo_loop

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R3)

xo_done:
	RET

// ---------------------------------------------------------------------------
// Adam and RAdam updates (adam.go), four elements per iteration, the
// operations of adamGeneric and radamGeneric (no FMA).
//
// ADAMMV loads g (V0), m (V1), v (V2) and p (V3) through R1, R2, R3, R0 and
// stores the new moments:
//
//	fsub v4 = g - m; fmul v4 = v4·coef; v5 = baseIsG ? g : m (bsl)
//	fadd v5 = v5 + v4 (mi); fmul v2 = v·b2; fmul v6 = w2·g; fmul v6 = v6·g
//	fadd v2 = v2 + v6 (vi)
//
// V8 coef, V9 b2, V10 w2, V11 the baseIsG mask, V12 step, V13 ibc2s, V14 eps.
#define ADAMMV \
	VLD1.P 16(R1), [V0.S4]; \
	VLD1   (R2), [V1.S4]; \
	VLD1   (R3), [V2.S4]; \
	VLD1   (R0), [V3.S4]; \
	WORD   $0x4ea1d404; \
	WORD   $0x6e28dc84; \
	VORR   V11.B16, V11.B16, V5.B16; \
	WORD   $0x6e611c05; \
	WORD   $0x4e24d4a5; \
	VST1.P [V5.S4], 16(R2); \
	WORD   $0x6e29dc42; \
	WORD   $0x6e20dd46; \
	WORD   $0x6e20dcc6; \
	WORD   $0x4e26d442; \
	VST1.P [V2.S4], 16(R3)

// ADAMCONSTS broadcasts the per-step scalars of adamConsts, at R6 (its
// fields in order: coef, baseIsG, b2, w2, step, ibc2s, eps), into V8-V14,
// using R5. (Through a pointer: asmdecl checks FP references even in macros.)
#define ADAMCONSTS \
	FMOVS 0(R6), F8; \
	VDUP  V8.S[0], V8.S4; \
	MOVWU 4(R6), R5; \
	VDUP  R5, V11.S4; \
	FMOVS 8(R6), F9; \
	VDUP  V9.S[0], V9.S4; \
	FMOVS 12(R6), F10; \
	VDUP  V10.S[0], V10.S4; \
	FMOVS 16(R6), F12; \
	VDUP  V12.S[0], V12.S4; \
	FMOVS 20(R6), F13; \
	VDUP  V13.S[0], V13.S4; \
	FMOVS 24(R6), F14; \
	VDUP  V14.S[0], V14.S4

// func adamNEON(p, g, m, v []float32, k adamConsts)
//
// Registers: R0 p, R1 g, R2 m, R3 v, R4 groups of four left. Per element
// (after ADAMMV): p += (step·mi) / (sqrt(vi)·ibc2s + eps).
TEXT ·adamNEON(SB), NOSPLIT, $0-128
	MOVD p_base+0(FP), R0
	MOVD p_len+8(FP), R4
	MOVD g_base+24(FP), R1
	MOVD m_base+48(FP), R2
	MOVD v_base+72(FP), R3
	MOVD  $k_coef+96(FP), R6
	ADAMCONSTS
	LSR  $2, R4, R4
	CBZ  R4, adam_done

adam_loop:
	ADAMMV
	WORD   $0x6ea1f846 // fsqrt v6.4s, v2.4s
	WORD   $0x6e2ddcc6 // fmul v6.4s, v6.4s, v13.4s
	WORD   $0x4e2ed4c6 // fadd v6.4s, v6.4s, v14.4s
	WORD   $0x6e25dd87 // fmul v7.4s, v12.4s, v5.4s
	WORD   $0x6e26fce7 // fdiv v7.4s, v7.4s, v6.4s
	WORD   $0x4e27d463 // fadd v3.4s, v3.4s, v7.4s
	VST1.P [V3.S4], 16(R0)
	SUBS   $1, R4, R4
	BNE    adam_loop

adam_done:
	RET

// func radamNEON(p, g, m, v []float32, k adamConsts)
//
// Registers as adamNEON, R5 the adaptive flag. Per element (after ADAMMV):
// u = mi·step; if adaptive, u = u/(sqrt(vi) + eps); p -= u.
TEXT ·radamNEON(SB), NOSPLIT, $0-128
	MOVD p_base+0(FP), R0
	MOVD p_len+8(FP), R4
	MOVD g_base+24(FP), R1
	MOVD m_base+48(FP), R2
	MOVD v_base+72(FP), R3
	MOVD  $k_coef+96(FP), R6
	ADAMCONSTS
	MOVWU k_adaptive+124(FP), R5
	LSR  $2, R4, R4
	CBZ  R4, radam_done

radam_loop:
	ADAMMV
	WORD $0x6e2cdca7 // fmul v7.4s, v5.4s, v12.4s
	CBZ  R5, radam_store
	WORD $0x6ea1f846 // fsqrt v6.4s, v2.4s
	WORD $0x4e2ed4c6 // fadd v6.4s, v6.4s, v14.4s
	WORD $0x6e26fce7 // fdiv v7.4s, v7.4s, v6.4s

radam_store:
	WORD   $0x4ea7d463 // fsub v3.4s, v3.4s, v7.4s
	VST1.P [V3.S4], 16(R0)
	SUBS   $1, R4, R4
	BNE    radam_loop

radam_done:
	RET

// ---------------------------------------------------------------------------
// Fused sigmoid + binary cross-entropy (sigmoidbce.go), four elements per
// iteration, bceElem's operations in its order. The exponential and the
// logarithm need the constant registers V15-V31 in turn, so each vector
// loads the exp constants (neonConsts), the log constants (neonLogConsts)
// and then the per-call constants of k, and keeps its values in V5-V9 and
// V14 across the loads; the float64 lane sums stay in V10-V13.
//
// func bceNEON(dz, z, x []float32, k *[6][4]uint32, acc *[8]float64)
//
// Per element (bceElem): na = -|z|; t = expf32(na); u = 1 + t;
// c = t - (u - 1); q = 1/u; l = c·q - negLogf32(u); near = -l;
// far = max(-100, na - l) (as -100 > x ? -100 : x); S = (u == 1 && z has
// no sign bit) || z <= -88.72...; if S, near = 0 and far = -100;
// lp, l1p = far, near where z has its sign bit, else near, far;
// e = x·lp + (1 - x)·l1p, added in float64 to acc[i%8] (lanes 0-3 for
// even vectors, 4-7 for odd ones); with dz, r = t·q,
// g = (sign ? r - x : (1 - x) - r)·(r·q·1e12 < 1 ? r·q·1e12 : 1), 0 if S,
// and dz = scale·g.
//
// Registers:
//	R0 dz (R9 its length: 0 for no gradient), R1 z, R2 x, R3 k, R4 acc,
//	R5 vectors left, R6 vector parity, R7 constant table pointer
//	V14 z; V5 t, V6 u, V7 c, V8 q, V9 l; V10-V13 acc lanes 0-1, 2-3, 4-5,
//	6-7 (float64); after the logarithm V15 -100, V16 1, V18 1e12, V19
//	-88.72..., V20 scale (k), V21-V29 scratch
TEXT ·bceNEON(SB), NOSPLIT, $0-88
	MOVD dz_base+0(FP), R0
	MOVD dz_len+8(FP), R9
	MOVD z_base+24(FP), R1
	MOVD z_len+32(FP), R5
	MOVD x_base+48(FP), R2
	MOVD k+72(FP), R3
	MOVD acc+80(FP), R4
	VLD1 (R4), [V10.D2, V11.D2, V12.D2, V13.D2]
	LSR  $2, R5, R5
	MOVD ZR, R6
	CBZ  R5, bce_done

bce_loop:
	VLD1.P 16(R1), [V14.S4]
	EXPCONSTS(R7)
	// t = expf32(-|z|)
	WORD $0x4ea0f9c0 // fabs v0.4s, v14.4s
	WORD $0x6ea0f800 // fneg v0.4s, v0.4s
	EXP4
	VORR V2.B16, V2.B16, V5.B16
	// u = 1 + t; c = t - (u - 1); q = 1/u
	WORD $0x4e3ed4a6 // fadd v6.4s, v5.4s, v30.4s
	WORD $0x4ebed4c7 // fsub v7.4s, v6.4s, v30.4s
	WORD $0x4ea7d4a7 // fsub v7.4s, v5.4s, v7.4s
	WORD $0x6e26ffc8 // fdiv v8.4s, v30.4s, v6.4s
	// l = c·q - negLogf32(u)
	LOGCONSTS(R7)
	VORR   V6.B16, V6.B16, V0.B16
	NEGLOG4
	WORD $0x6e28dce9 // fmul v9.4s, v7.4s, v8.4s
	WORD $0x4ea0d529 // fsub v9.4s, v9.4s, v0.4s
	// the per-call constants: -100, 1, (sign), 1e12, -88.72..., scale
	VLD1 (R3), [V15.S4, V16.S4, V17.S4, V18.S4]
	ADD  $64, R3, R7
	VLD1 (R7), [V19.S4, V20.S4]
	// V1 = the sign of z in every bit; near = -l; far = max(-100, na - l)
	WORD $0x4f2105c1 // sshr v1.4s, v14.4s, #31
	WORD $0x4ea0f9c0 // fabs v0.4s, v14.4s
	WORD $0x6ea0f800 // fneg v0.4s, v0.4s
	WORD $0x6ea0f922 // fneg v2.4s, v9.4s
	WORD $0x4ea9d403 // fsub v3.4s, v0.4s, v9.4s
	WORD $0x6ea3e5e4 // fcmgt v4.4s, v15.4s, v3.4s
	WORD $0x6e631de4 // bsl v4.16b, v15.16b, v3.16b
	// S = (u == 1 && no sign) || -88.72... >= z
	WORD $0x4e30e4c3 // fcmeq v3.4s, v6.4s, v16.4s
	WORD $0x4e611c63 // bic v3.16b, v3.16b, v1.16b
	WORD $0x6e2ee675 // fcmge v21.4s, v19.4s, v14.4s
	WORD $0x4eb51c63 // orr v3.16b, v3.16b, v21.16b
	// S: far = -100, near = 0; lp, l1p by the sign
	VORR V3.B16, V3.B16, V21.B16
	WORD $0x6e641df5 // bsl v21.16b, v15.16b, v4.16b
	WORD $0x4e631c42 // bic v2.16b, v2.16b, v3.16b
	VORR V1.B16, V1.B16, V22.B16
	WORD $0x6e621eb6 // bsl v22.16b, v21.16b, v2.16b
	VORR V1.B16, V1.B16, V23.B16
	WORD $0x6e751c57 // bsl v23.16b, v2.16b, v21.16b
	// e = x·lp + (1 - x)·l1p, into the float64 lanes
	VLD1.P 16(R2), [V24.S4]
	WORD $0x4eb8d619 // fsub v25.4s, v16.4s, v24.4s
	WORD $0x6e36df1a // fmul v26.4s, v24.4s, v22.4s
	WORD $0x6e37df3b // fmul v27.4s, v25.4s, v23.4s
	WORD $0x4e3bd75a // fadd v26.4s, v26.4s, v27.4s
	WORD $0x0e617b5b // fcvtl v27.2d, v26.2s
	WORD $0x4e617b5c // fcvtl2 v28.2d, v26.4s
	TBNZ $0, R6, bce_odd
	WORD $0x4e7bd54a // fadd v10.2d, v10.2d, v27.2d
	WORD $0x4e7cd56b // fadd v11.2d, v11.2d, v28.2d
	B    bce_grad

bce_odd:
	WORD $0x4e7bd58c // fadd v12.2d, v12.2d, v27.2d
	WORD $0x4e7cd5ad // fadd v13.2d, v13.2d, v28.2d

bce_grad:
	CBZ R9, bce_next
	// r = t·q; g = sign ? r - x : (1 - x) - r
	WORD $0x6e28dcbb // fmul v27.4s, v5.4s, v8.4s
	WORD $0x4eb8d77c // fsub v28.4s, v27.4s, v24.4s
	WORD $0x4ebbd73d // fsub v29.4s, v25.4s, v27.4s
	VORR V1.B16, V1.B16, V0.B16
	WORD $0x6e7d1f80 // bsl v0.16b, v28.16b, v29.16b
	// f = r·q·1e12, 1 unless f < 1; g = g·f, 0 where S; dz = scale·g
	WORD $0x6e28df7c // fmul v28.4s, v27.4s, v8.4s
	WORD $0x6e32df9c // fmul v28.4s, v28.4s, v18.4s
	WORD $0x6ebce61d // fcmgt v29.4s, v16.4s, v28.4s
	WORD $0x6e701f9d // bsl v29.16b, v28.16b, v16.16b
	WORD $0x6e3ddc00 // fmul v0.4s, v0.4s, v29.4s
	WORD $0x4e631c00 // bic v0.16b, v0.16b, v3.16b
	WORD $0x6e20de80 // fmul v0.4s, v20.4s, v0.4s
	VST1.P [V0.S4], 16(R0)

bce_next:
	EOR  $1, R6, R6
	SUBS $1, R5, R5
	BNE  bce_loop

bce_done:
	VST1 [V10.D2, V11.D2, V12.D2, V13.D2], (R4)
	RET

// ---------------------------------------------------------------------------
// Layer helpers (elementwise.go) and the finiteness check (finite.go), eight
// floats per iteration, the twins' operations (one rounding per addition).

// func addBiasNEON(m []float32, rows, cols int, bias []float32)
//
// m[r*cols+j] += bias[j] for r < rows, j < len(bias) (a multiple of 8).
// Registers: R0 the row, R1 rows left, R2 row bytes, R3 bias, R4 its
// length, R5 and R6 pointers, R7 pairs left.
TEXT ·addBiasNEON(SB), NOSPLIT, $0-64
	MOVD m_base+0(FP), R0
	MOVD rows+24(FP), R1
	MOVD cols+32(FP), R2
	MOVD bias_base+40(FP), R3
	MOVD bias_len+48(FP), R4
	LSL  $2, R2, R2
	CBZ  R1, ab_done

ab_row:
	MOVD R0, R5
	MOVD R3, R6
	LSR  $3, R4, R7

ab_col:
	VLD1   (R5), [V0.S4, V1.S4]
	VLD1.P 32(R6), [V2.S4, V3.S4]
	WORD $0x4e22d400 // fadd v0.4s, v0.4s, v2.4s
	WORD $0x4e23d421 // fadd v1.4s, v1.4s, v3.4s
	VST1.P [V0.S4, V1.S4], 32(R5)
	SUBS   $1, R7, R7
	BNE    ab_col
	ADD    R2, R0, R0
	SUBS   $1, R1, R1
	BNE    ab_row

ab_done:
	RET

// func sumRowsNEON(dst, m []float32, rows, cols int)
//
// dst[j] += m[r*cols+j] for r = 0, 1, ... in order, j < len(dst) (a
// multiple of 8), eight columns at a time down the rows.
// Registers: R0 dst, R1 the chunk's top, R2 rows, R3 row bytes, R4 chunks
// left, R5 pointer, R6 rows left.
TEXT ·sumRowsNEON(SB), NOSPLIT, $0-64
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R4
	MOVD m_base+24(FP), R1
	MOVD rows+48(FP), R2
	MOVD cols+56(FP), R3
	LSL  $2, R3, R3
	LSR  $3, R4, R4
	CBZ  R4, sr_done

sr_chunk:
	VLD1 (R0), [V0.S4, V1.S4]
	MOVD R1, R5
	MOVD R2, R6
	CBZ  R6, sr_store

sr_row:
	VLD1 (R5), [V2.S4, V3.S4]
	WORD $0x4e22d400 // fadd v0.4s, v0.4s, v2.4s
	WORD $0x4e23d421 // fadd v1.4s, v1.4s, v3.4s
	ADD  R3, R5, R5
	SUBS $1, R6, R6
	BNE  sr_row

sr_store:
	VST1.P [V0.S4, V1.S4], 32(R0)
	ADD    $32, R1, R1
	SUBS   $1, R4, R4
	BNE    sr_chunk

sr_done:
	RET

// func reluNEON(y, x []float32)
//
// y = max(x, 0) with FMAX, Go's max (NaN stays NaN, -0 becomes +0);
// len(x) a multiple of 8.
TEXT ·reluNEON(SB), NOSPLIT, $0-48
	MOVD y_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	LSR  $3, R2, R2
	CBZ  R2, relu_done
	VEOR V31.B16, V31.B16, V31.B16

relu_loop:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	WORD $0x4e3ff400 // fmax v0.4s, v0.4s, v31.4s
	WORD $0x4e3ff421 // fmax v1.4s, v1.4s, v31.4s
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUBS   $1, R2, R2
	BNE    relu_loop

relu_done:
	RET

// func reluBackwardNEON(dx, dy, y []float32)
//
// dx = y > 0 ? dy : +0 (false for NaN y); len(dy) a multiple of 8.
TEXT ·reluBackwardNEON(SB), NOSPLIT, $0-72
	MOVD dx_base+0(FP), R0
	MOVD dy_base+24(FP), R1
	MOVD dy_len+32(FP), R3
	MOVD y_base+48(FP), R2
	LSR  $3, R3, R3
	CBZ  R3, rb_done

rb_loop:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P 32(R2), [V2.S4, V3.S4]
	WORD $0x4ea0c842 // fcmgt v2.4s, v2.4s, #0.0
	WORD $0x4ea0c863 // fcmgt v3.4s, v3.4s, #0.0
	VAND   V2.B16, V0.B16, V0.B16
	VAND   V3.B16, V1.B16, V1.B16
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUBS   $1, R3, R3
	BNE    rb_loop

rb_done:
	RET

// func finiteNEON(x []float32) bool
//
// finiteGeneric's test: the sums of v - v (+0 for a finite v, NaN for
// ±Inf and NaN) stay +0 exactly when every value is finite.
TEXT ·finiteNEON(SB), NOSPLIT, $0-25
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R1
	LSR  $3, R1, R1
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	CBZ  R1, fin_sum

fin_loop:
	VLD1.P 32(R0), [V4.S4, V5.S4]
	WORD $0x4ea4d484 // fsub v4.4s, v4.4s, v4.4s
	WORD $0x4ea5d4a5 // fsub v5.4s, v5.4s, v5.4s
	WORD $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	WORD $0x4e25d421 // fadd v1.4s, v1.4s, v5.4s
	SUBS $1, R1, R1
	BNE  fin_loop

fin_sum:
	WORD $0x4e21d400 // fadd v0.4s, v0.4s, v1.4s
	WORD $0x4ea0d800 // fcmeq v0.4s, v0.4s, #0.0
	WORD $0x6eb1a800 // uminv s0, v0.4s
	FMOVS F0, R2
	ADDW  $1, R2, R2
	CMPW  $0, R2
	CSET  EQ, R3
	MOVB  R3, ret+24(FP)
	RET

// ---------------------------------------------------------------------------
// The Jacobian averages of the repeat estimators for rows of C categories,
// C a multiple of 8: avgJacGeneric (avgjacobian.go) and cgAvgJGeneric
// (condgumbel.go), eight categories per iteration, the sums over j in the
// twins' eight lanes (j%8 < 4 in one vector, the rest in another) and their
// reduction tree (as softmaxRowsNEON's).
//
// JACC8 adds p·g - p·d to eight accumulators: V0, V1 hold p, V2, V3 g,
// V4, V5 the accumulators, V18 d (V0-V3 are overwritten):
//
//	fmul v2 = p·g; fmul v0 = p·d; fsub v2 = v2 - v0; fadd acc = acc + v2
#define JACC8 \
	WORD $0x6e22dc02; \
	WORD $0x6e23dc23; \
	WORD $0x6e32dc00; \
	WORD $0x6e32dc21; \
	WORD $0x4ea0d442; \
	WORD $0x4ea1d463; \
	WORD $0x4e22d484; \
	WORD $0x4e23d4a5

// func avgJacNEON(avg, p, g []float32, K int)
//
// avg = Σ_k J(p_k) g: per sample, d = p_k·g in the lanes, then
// avg_j += p_kj·g_j - p_kj·d.
//
// Registers: R0 avg, R1 the sample, R2 g, R3 samples left, R4 C, R5-R7
// pointers, R8 groups of eight left; V16, V17 the lane sums, V18 d.
TEXT ·avgJacNEON(SB), NOSPLIT, $0-80
	MOVD avg_base+0(FP), R0
	MOVD avg_len+8(FP), R4
	MOVD p_base+24(FP), R1
	MOVD g_base+48(FP), R2
	MOVD K+72(FP), R3
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	MOVD R0, R5
	LSR  $3, R4, R8

aj_zero:
	VST1.P [V0.S4, V1.S4], 32(R5)
	SUBS   $1, R8, R8
	BNE    aj_zero

aj_sample:
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	MOVD R1, R5
	MOVD R2, R6
	LSR  $3, R4, R8

aj_dot:
	VLD1.P 32(R5), [V0.S4, V1.S4]
	VLD1.P 32(R6), [V2.S4, V3.S4]
	WORD $0x6e22dc00 // fmul v0.4s, v0.4s, v2.4s
	WORD $0x6e23dc21 // fmul v1.4s, v1.4s, v3.4s
	WORD $0x4e20d610 // fadd v16.4s, v16.4s, v0.4s
	WORD $0x4e21d631 // fadd v17.4s, v17.4s, v1.4s
	SUBS $1, R8, R8
	BNE  aj_dot

	// d = ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7))
	WORD $0x4e31d612 // fadd v18.4s, v16.4s, v17.4s
	VEXT $8, V18.B16, V18.B16, V19.B16
	WORD $0x4e33d652 // fadd v18.4s, v18.4s, v19.4s
	WORD $0x7e30da52 // faddp s18, v18.2s
	VDUP V18.S[0], V18.S4
	MOVD R1, R5
	MOVD R2, R6
	MOVD R0, R7
	LSR  $3, R4, R8

aj_acc:
	VLD1.P 32(R5), [V0.S4, V1.S4]
	VLD1.P 32(R6), [V2.S4, V3.S4]
	VLD1   (R7), [V4.S4, V5.S4]
	JACC8
	VST1.P [V4.S4, V5.S4], 32(R7)
	SUBS   $1, R8, R8
	BNE    aj_acc

	MOVD R5, R1
	SUBS $1, R3, R3
	BNE  aj_sample
	RET

// func cgAvgJNEON(avg, e, w, g []float32, i, K int, z float32)
//
// avg = Σ_k J(p_k) g over the K noise rows of e, w_i = 0 set by the
// caller: per row, r_j = 1/a_j with a_j = (e_j·w_j + e_i/z) + 1e-20
// written over e, s and t = Σ r·g in the lanes, 1/s, d = t·(1/s), then
// avg_j += p_j·g_j - p_j·d with p_j = r_j·(1/s).
//
// Registers: R0 avg, R1 the row, R2 w, R3 g, R4 C, R9 i, R10 rows left,
// R5-R8 pointers, R11 groups of eight left; V9 e_i/z, V10 1e-20, V11 1,
// V12 z, V16, V17 the lane sums s, V20, V21 those of t, then V20 1/s and
// V18 d.
TEXT ·cgAvgJNEON(SB), NOSPLIT, $0-116
	MOVD  avg_base+0(FP), R0
	MOVD  avg_len+8(FP), R4
	MOVD  e_base+24(FP), R1
	MOVD  w_base+48(FP), R2
	MOVD  g_base+72(FP), R3
	MOVD  i+96(FP), R9
	MOVD  K+104(FP), R10
	FMOVS z+112(FP), F12
	MOVD  $·neonCGConsts(SB), R5
	VLD1  (R5), [V10.S4]
	FMOVS $(1.0), F11
	VDUP  V11.S[0], V11.S4
	VEOR  V0.B16, V0.B16, V0.B16
	VEOR  V1.B16, V1.B16, V1.B16
	MOVD  R0, R5
	LSR   $3, R4, R11

cj_zero:
	VST1.P [V0.S4, V1.S4], 32(R5)
	SUBS   $1, R11, R11
	BNE    cj_zero

cj_row:
	ADD   R9<<2, R1, R5
	FMOVS (R5), F9
	FDIVS F12, F9, F9
	VDUP  V9.S[0], V9.S4
	VEOR  V16.B16, V16.B16, V16.B16
	VEOR  V17.B16, V17.B16, V17.B16
	VEOR  V20.B16, V20.B16, V20.B16
	VEOR  V21.B16, V21.B16, V21.B16
	MOVD  R1, R5
	MOVD  R2, R6
	MOVD  R3, R7
	LSR   $3, R4, R11

cj_r:
	VLD1   (R5), [V0.S4, V1.S4]
	VLD1.P 32(R6), [V2.S4, V3.S4]
	WORD $0x6e22dc00 // fmul v0.4s, v0.4s, v2.4s
	WORD $0x6e23dc21 // fmul v1.4s, v1.4s, v3.4s
	WORD $0x4e29d400 // fadd v0.4s, v0.4s, v9.4s
	WORD $0x4e29d421 // fadd v1.4s, v1.4s, v9.4s
	WORD $0x4e2ad400 // fadd v0.4s, v0.4s, v10.4s
	WORD $0x4e2ad421 // fadd v1.4s, v1.4s, v10.4s
	WORD $0x6e20fd60 // fdiv v0.4s, v11.4s, v0.4s
	WORD $0x6e21fd61 // fdiv v1.4s, v11.4s, v1.4s
	VST1.P [V0.S4, V1.S4], 32(R5)
	WORD $0x4e20d610 // fadd v16.4s, v16.4s, v0.4s
	WORD $0x4e21d631 // fadd v17.4s, v17.4s, v1.4s
	VLD1.P 32(R7), [V2.S4, V3.S4]
	WORD $0x6e22dc00 // fmul v0.4s, v0.4s, v2.4s
	WORD $0x6e23dc21 // fmul v1.4s, v1.4s, v3.4s
	WORD $0x4e20d694 // fadd v20.4s, v20.4s, v0.4s
	WORD $0x4e21d6b5 // fadd v21.4s, v21.4s, v1.4s
	SUBS $1, R11, R11
	BNE  cj_r

	// s and t by lanes8's tree; 1/s; d = t·(1/s)
	WORD $0x4e31d612 // fadd v18.4s, v16.4s, v17.4s
	VEXT $8, V18.B16, V18.B16, V22.B16
	WORD $0x4e36d652 // fadd v18.4s, v18.4s, v22.4s
	WORD $0x7e30da52 // faddp s18, v18.2s
	WORD $0x4e35d693 // fadd v19.4s, v20.4s, v21.4s
	VEXT $8, V19.B16, V19.B16, V22.B16
	WORD $0x4e36d673 // fadd v19.4s, v19.4s, v22.4s
	WORD $0x7e30da73 // faddp s19, v19.2s
	FDIVS F18, F11, F20
	FMULS F20, F19, F18
	VDUP  V20.S[0], V20.S4
	VDUP  V18.S[0], V18.S4
	MOVD  R1, R5
	MOVD  R3, R7
	MOVD  R0, R8
	LSR   $3, R4, R11

cj_acc:
	VLD1.P 32(R5), [V0.S4, V1.S4]
	VLD1.P 32(R7), [V2.S4, V3.S4]
	VLD1   (R8), [V4.S4, V5.S4]
	WORD $0x6e34dc00 // fmul v0.4s, v0.4s, v20.4s
	WORD $0x6e34dc21 // fmul v1.4s, v1.4s, v20.4s
	JACC8
	VST1.P [V4.S4, V5.S4], 32(R8)
	SUBS   $1, R11, R11
	BNE    cj_acc

	MOVD R5, R1
	SUBS $1, R10, R10
	BNE  cj_row
	RET
