//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_arm64.h"

// NEON lane kernel of CondGumbelAvgJTau (cglanes.go) for the "neon" table;
// the stub is in cglanes_arm64.go. Go's arm64 assembler has no NEON float
// arithmetic (style guide, kernels.md 7.6), so every float add, multiply,
// max, min, compare, rounding, conversion and by-element FMLA is a WORD with
// its mnemonic in the comment; the encodings come from aarch64-linux-gnu-as
// and are checked with go tool objdump. Registers R18, R27, R28 and R29 are
// never touched.
//
// The single-chain -log, exp and conditional-Gumbel logit are macros in
// rowmath_arm64.h (their WORDs are commented there by the operation they
// perform).

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
