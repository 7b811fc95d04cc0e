//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_arm64.h"

// NEON row routines of the "neon" table: softmax rows (softmax.go),
// categorical sampling (sample.go) and the -log of uniforms (rng.go); the
// stubs are in rows_arm64.go. Go's arm64 assembler has no NEON float
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
