//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_arm64.h"

// NEON routines of the "neon" table for the conditional Gumbel sampler
// (condgumbel.go) and the Jacobian averages (avgjacobian.go); the stubs are
// in condgumbel_arm64.go. Go's arm64 assembler has no NEON float arithmetic
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
