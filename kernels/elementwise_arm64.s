//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_arm64.h"

// NEON elementwise routines of the "neon" table: the Adam and RAdam updates
// (adam.go), the layer helpers (elementwise.go) and the finiteness check
// (finite.go); the stubs are in elementwise_arm64.go. The sigmoid + BCE is
// in sigmoidbce_arm64.s. Go's arm64 assembler has no NEON float arithmetic
// (style guide, kernels.md 7.6), so every float add, multiply, max, min,
// compare, rounding, conversion and by-element FMLA is a WORD with its
// mnemonic in the comment; the encodings come from aarch64-linux-gnu-as and
// are checked with go tool objdump. Registers R18, R27, R28 and R29 are
// never touched.
//
// The single-chain -log, exp and conditional-Gumbel logit are macros in
// rowmath_arm64.h (their WORDs are commented there by the operation they
// perform).

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
