//go:build !purego && !noasm

#include "textflag.h"

// AVX2+FMA row kernels: softmax rows, categorical sampling, -log of uniforms;
// at the end, the AVX-512 softmax and -log of the "avx512" table. Each
// mirrors its Go twin operation for operation (softmax.go, sample.go,
// rng.go, neglog.go, expf.go); the stubs and their Go loops are in
// rows_amd64.go.
// Constants are 8-lane splats in ·rowConsts (rows_amd64.go), used as memory
// operands; their names and the EXP and NEGLOG macros are in rowmath_amd64.h.

#include "rowmath_amd64.h"

// SCOL consumes column C of the group (lane l = row l): mn = min(mn, p);
// c += p; store c to the cdf.
#define SCOL(C) \
	VMINPS  C, Y12, Y12; \
	VADDPS  C, Y10, Y10; \
	VMOVUPS Y10, (R12); \
	ADDQ    $32, R12

// SM8GROUP computes the softmax of the 8 rows of 8 floats at SI (stats to
// DX) with one row per lane, leaving the probabilities as columns in Y0-Y7
// (Y_j = column j, lane l = row l). Within a row these are the twin's
// operations exactly: the max over the row (a tree, but max is exact), the
// same EXP, the twin's 8-lane sum tree (one column per lane accumulator),
// one division for the 8 rows. Uses Y8-Y13; Y14 = 1, Y15 = invTau.
#define SM8GROUP \
	VMOVUPS      0(SI), X0; \
	VINSERTF128  $1, 128(SI), Y0, Y0; \
	VMOVUPS      32(SI), X1; \
	VINSERTF128  $1, 160(SI), Y1, Y1; \
	VMOVUPS      64(SI), X2; \
	VINSERTF128  $1, 192(SI), Y2, Y2; \
	VMOVUPS      96(SI), X3; \
	VINSERTF128  $1, 224(SI), Y3, Y3; \
	VMOVUPS      16(SI), X4; \
	VINSERTF128  $1, 144(SI), Y4, Y4; \
	VMOVUPS      48(SI), X5; \
	VINSERTF128  $1, 176(SI), Y5, Y5; \
	VMOVUPS      80(SI), X6; \
	VINSERTF128  $1, 208(SI), Y6, Y6; \
	VMOVUPS      112(SI), X7; \
	VINSERTF128  $1, 240(SI), Y7, Y7; \
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11); \
	TRANSPOSE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11); \
	VMAXPS       Y1, Y0, Y8; \
	VMAXPS       Y3, Y2, Y9; \
	VMAXPS       Y5, Y4, Y10; \
	VMAXPS       Y7, Y6, Y11; \
	VMAXPS       Y9, Y8, Y8; \
	VMAXPS       Y11, Y10, Y10; \
	VMAXPS       Y10, Y8, Y12; \
	SM8EXP(Y0); \
	SM8EXP(Y1); \
	SM8EXP(Y2); \
	SM8EXP(Y3); \
	SM8EXP(Y4); \
	SM8EXP(Y5); \
	SM8EXP(Y6); \
	SM8EXP(Y7); \
	VADDPS       Y4, Y0, Y8; \
	VADDPS       Y6, Y2, Y9; \
	VADDPS       Y9, Y8, Y8; \
	VADDPS       Y5, Y1, Y9; \
	VADDPS       Y7, Y3, Y10; \
	VADDPS       Y10, Y9, Y9; \
	VADDPS       Y9, Y8, Y13; \
	VUNPCKLPS    Y13, Y12, Y8; \
	VUNPCKHPS    Y13, Y12, Y9; \
	VPERM2F128   $0x20, Y9, Y8, Y10; \
	VPERM2F128   $0x31, Y9, Y8, Y11; \
	VMOVUPS      Y10, (DX); \
	VMOVUPS      Y11, 32(DX); \
	VDIVPS       Y13, Y14, Y13; \
	VMULPS       Y13, Y0, Y0; \
	VMULPS       Y13, Y1, Y1; \
	VMULPS       Y13, Y2, Y2; \
	VMULPS       Y13, Y3, Y3; \
	VMULPS       Y13, Y4, Y4; \
	VMULPS       Y13, Y5, Y5; \
	VMULPS       Y13, Y6, Y6; \
	VMULPS       Y13, Y7, Y7

// SM8EXP replaces column C by exp((C - max)*invTau), max in Y12.
#define SM8EXP(C) \
	VSUBPS Y12, C, C; \
	VMULPS Y15, C, C; \
	EXP(C, Y8, Y9, Y10, Y11)

// SM8STORE transposes the columns Y0-Y7 back to rows and stores the 8 rows
// of 8 floats at DI.
#define SM8STORE \
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11); \
	TRANSPOSE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11); \
	VMOVUPS      X0, 0(DI); \
	VEXTRACTF128 $1, Y0, 128(DI); \
	VMOVUPS      X1, 32(DI); \
	VEXTRACTF128 $1, Y1, 160(DI); \
	VMOVUPS      X2, 64(DI); \
	VEXTRACTF128 $1, Y2, 192(DI); \
	VMOVUPS      X3, 96(DI); \
	VEXTRACTF128 $1, Y3, 224(DI); \
	VMOVUPS      X4, 16(DI); \
	VEXTRACTF128 $1, Y4, 144(DI); \
	VMOVUPS      X5, 48(DI); \
	VEXTRACTF128 $1, Y5, 176(DI); \
	VMOVUPS      X6, 80(DI); \
	VEXTRACTF128 $1, Y6, 208(DI); \
	VMOVUPS      X7, 112(DI); \
	VEXTRACTF128 $1, Y7, 240(DI)

// ---------------------------------------------------------------------------
// func softmaxRowsAVX2(dst, src, stats []float32, cols int, invTau float32)
//
// Registers: SI src row, DI dst row, DX stats, CX rows left, BX row bytes,
// AX byte offset in the row; Y0 row max, Y2 lane sums then 1/sum, Y3 the
// current vector, Y4-Y7 EXP scratch, Y14 = 1, Y15 = invTau.
TEXT ·softmaxRowsAVX2(SB), NOSPLIT, $0-84
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         stats_base+48(FP), DX
	MOVQ         stats_len+56(FP), CX
	SHRQ         $1, CX                // rows
	JZ           sm_done
	MOVQ         cols+72(FP), BX
	SHLQ         $2, BX                // row bytes
	VBROADCASTSS invTau+80(FP), Y15
	VMOVUPS      K_ONE, Y14
	CMPQ         BX, $32
	JEQ          sm8_groups

sm_row:
	// Pass 1: Y0 = max over the row, broadcast.
	VMOVUPS (SI), Y0
	MOVQ    $32, AX
	CMPQ    AX, BX
	JAE     sm_maxred

sm_maxloop:
	VMAXPS (SI)(AX*1), Y0, Y0
	ADDQ   $32, AX
	CMPQ   AX, BX
	JB     sm_maxloop

sm_maxred:
	VPERM2F128 $0x01, Y0, Y0, Y1 // swap 128-bit halves
	VMAXPS     Y1, Y0, Y0
	VPERMILPS  $0x4e, Y0, Y1     // swap 64-bit pairs
	VMAXPS     Y1, Y0, Y0
	VPERMILPS  $0xb1, Y0, Y1     // swap neighbours
	VMAXPS     Y1, Y0, Y0
	VMOVSS     X0, (DX)          // stats[2r] = m

	// Pass 2: dst = exp((src - m)*invTau), Y2 += it lane by lane.
	VXORPS Y2, Y2, Y2
	XORQ   AX, AX

sm_exploop:
	VMOVUPS (SI)(AX*1), Y3
	VSUBPS  Y0, Y3, Y3
	VMULPS  Y15, Y3, Y3
	EXP(Y3, Y4, Y5, Y6, Y7)
	VMOVUPS Y3, (DI)(AX*1)
	VADDPS  Y3, Y2, Y2
	ADDQ    $32, AX
	CMPQ    AX, BX
	JB      sm_exploop

	// Reduce the lane sums with the twin's tree: (l, l+4), (l, l+2), (0, 1).
	VPERM2F128 $0x01, Y2, Y2, Y1
	VADDPS     Y1, Y2, Y2
	VPERMILPS  $0x4e, Y2, Y1
	VADDPS     Y1, Y2, Y2
	VPERMILPS  $0xb1, Y2, Y1
	VADDPS     Y1, Y2, Y2
	VMOVSS     X2, 4(DX)         // stats[2r+1] = s
	VDIVPS     Y2, Y14, Y2       // 1/s

	// Pass 3: dst *= 1/s.
	XORQ AX, AX

sm_scaleloop:
	VMULPS  (DI)(AX*1), Y2, Y3
	VMOVUPS Y3, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, BX
	JB      sm_scaleloop

	ADDQ BX, SI
	ADDQ BX, DI
	ADDQ $8, DX
	DECQ CX
	JNZ  sm_row
	JMP  sm_done

	// cols == 8: groups of 8 rows with one row per lane (SM8GROUP), then
	// the last rows%8 rows one per vector.
sm8_groups:
	CMPQ CX, $8
	JB   sm8_row
	SM8GROUP
	SM8STORE
	ADDQ $256, SI
	ADDQ $256, DI
	ADDQ $64, DX
	SUBQ $8, CX
	JMP  sm8_groups

	// One row per vector, kept in Y3 from load to store. The lane sums are
	// the exponentials themselves (0 + e = e).
sm8_row:
	TESTQ CX, CX
	JZ    sm_done
	VMOVUPS    (SI), Y3
	VPERM2F128 $0x01, Y3, Y3, Y1
	VMAXPS     Y1, Y3, Y0
	VPERMILPS  $0x4e, Y0, Y1
	VMAXPS     Y1, Y0, Y0
	VPERMILPS  $0xb1, Y0, Y1
	VMAXPS     Y1, Y0, Y0
	VMOVSS     X0, (DX)
	VSUBPS     Y0, Y3, Y3
	VMULPS     Y15, Y3, Y3
	EXP(Y3, Y4, Y5, Y6, Y7)
	VPERM2F128 $0x01, Y3, Y3, Y1
	VADDPS     Y1, Y3, Y2
	VPERMILPS  $0x4e, Y2, Y1
	VADDPS     Y1, Y2, Y2
	VPERMILPS  $0xb1, Y2, Y1
	VADDPS     Y1, Y2, Y2
	VMOVSS     X2, 4(DX)
	VDIVPS     Y2, Y14, Y2
	VMULPS     Y2, Y3, Y3
	VMOVUPS    Y3, (DI)
	ADDQ       $32, SI
	ADDQ       $32, DI
	ADDQ       $8, DX
	DECQ       CX
	JNZ        sm8_row

sm_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func softmaxSample8AVX2(dst, src, stats []float32, idx []int32, u []float32)
//
// For rows of 8 floats, rows%8 == 0: SM8GROUP, then sampling from the
// probability columns exactly as sampleRowsAVX2 does on the stored rows,
// then SM8STORE. Registers: SI src, DI dst, DX stats, R8 u, R9 idx, CX rows
// left; Y0-Y7 the probability columns; Y8 t, Y9-Y13 scratch, Y14 = 1,
// Y15 = invTau (1).
TEXT ·softmaxSample8AVX2(SB), NOSPLIT, $0-120
	MOVQ    dst_base+0(FP), DI
	MOVQ    src_base+24(FP), SI
	MOVQ    stats_base+48(FP), DX
	MOVQ    idx_base+72(FP), R9
	MOVQ    idx_len+80(FP), CX
	MOVQ    u_base+96(FP), R8
	SHRQ    $3, CX
	JZ      ss_done
	VMOVUPS K_ONE, Y14
	VMOVUPS K_ONE, Y15

ss_group:
	SM8GROUP

	// t = u * total, total = ((pi0 + pi1) + pi2) + ... in column order.
	VADDPS Y1, Y0, Y8
	VADDPS Y2, Y8, Y8
	VADDPS Y3, Y8, Y8
	VADDPS Y4, Y8, Y8
	VADDPS Y5, Y8, Y8
	VADDPS Y6, Y8, Y8
	VADDPS Y7, Y8, Y8
	VMULPS (R8), Y8, Y8

	// k = #{j : c_j <= t}, the same partial sums again (Y11), counted
	// negatively in Y9.
	VCMPPS $0x1d, Y0, Y8, Y9
	VADDPS Y1, Y0, Y11
	VCMPPS $0x1d, Y11, Y8, Y10
	VPADDD Y10, Y9, Y9
	VADDPS Y2, Y11, Y11
	VCMPPS $0x1d, Y11, Y8, Y10
	VPADDD Y10, Y9, Y9
	VADDPS Y3, Y11, Y11
	VCMPPS $0x1d, Y11, Y8, Y10
	VPADDD Y10, Y9, Y9
	VADDPS Y4, Y11, Y11
	VCMPPS $0x1d, Y11, Y8, Y10
	VPADDD Y10, Y9, Y9
	VADDPS Y5, Y11, Y11
	VCMPPS $0x1d, Y11, Y8, Y10
	VPADDD Y10, Y9, Y9
	VADDPS Y6, Y11, Y11
	VCMPPS $0x1d, Y11, Y8, Y10
	VPADDD Y10, Y9, Y9
	VADDPS Y7, Y11, Y11
	VCMPPS $0x1d, Y11, Y8, Y10
	VPADDD Y10, Y9, Y9
	VPXOR  Y10, Y10, Y10
	VPSUBD Y9, Y10, Y9      // k

	// k == 8: -2 (fallback); u outside [0, 1): -1.
	VPSLLD  $28, Y9, Y11
	VPSRAD  $31, Y11, Y11   // -1 where bit 3 of k is set, i.e. k == 8
	VPSLLD  $1, Y11, Y12
	VPANDN  Y9, Y11, Y9
	VPOR    Y12, Y9, Y9
	VMOVUPS (R8), Y11
	VCMPPS  $0x19, Y10, Y11, Y12 // NGE_UQ: !(u >= 0)
	VPOR    Y12, Y9, Y9
	VCMPPS  $0x15, Y14, Y11, Y12 // NLT_UQ: !(u < 1)
	VPOR    Y12, Y9, Y9
	VMOVDQU Y9, (R9)

	SM8STORE
	ADDQ $256, SI
	ADDQ $256, DI
	ADDQ $64, DX
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ  ss_group

ss_done:
	VZEROUPPER
	RET

// SCEXP replaces the scratch column at off(AX) by exp((x - max)*invTau)
// (max in Y12) and adds it to the lane accumulator ACC; Y8-Y11, Y13 scratch.
#define SCEXP(off, ACC) \
	VMOVUPS off(AX), Y8; \
	VSUBPS  Y12, Y8, Y8; \
	VMULPS  Y15, Y8, Y8; \
	EXP(Y8, Y9, Y10, Y11, Y13); \
	VMOVUPS Y8, off(AX); \
	VADDPS  Y8, ACC, ACC

// SCCDF adds the probability column C to the partial sums Y13 and stores
// them to the scratch column at off(AX).
#define SCCDF(off, C) \
	VADDPS  C, Y13, Y13; \
	VMOVUPS Y13, off(AX)

// ---------------------------------------------------------------------------
// func softmaxColsAVX2(dst, src, stats, scratch []float32, idx []int32, u []float32, cols int, invTau float32)
//
// Softmax of groups of 8 rows of cols floats (cols%8 == 0, cols >= 16,
// rows = len(stats)/2 a multiple of 8) with one row per lane, so that the
// exponentials of a group are independent (the per-row chain max -> exp ->
// sum -> divide no longer limits the throughput). Per row these are the
// twin's operations exactly; the lane accumulator of column j is acc[j%8],
// filled in order of j. If len(idx) > 0 it then samples idx from the
// probabilities as sampleRowsAVX2 does (u as there).
//
// scratch (>= 8*cols floats) holds the group column by column: the logits,
// then the exponentials, then the partial sums of the sampler.
//
// Registers: SI src / DI dst of the group, BX row bytes, R10 3*BX, CX groups
// left, R8 stats, R9 scratch, R12 idx (0: no sampling), R13 u, AX bytes of
// columns left or scratch offset, R11 / DX rows 0 / 4 at the current 8
// columns. Y12 max then 1/sum, Y13 partial sums, Y15 invTau.
TEXT ·softmaxColsAVX2(SB), NOSPLIT, $0-156
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         stats_base+48(FP), R8
	MOVQ         stats_len+56(FP), CX
	SHRQ         $4, CX                   // groups: rows/8 = len/16
	JZ           sc_done
	MOVQ         scratch_base+72(FP), R9
	MOVQ         idx_base+96(FP), R12
	MOVQ         idx_len+104(FP), AX
	TESTQ        AX, AX
	JNZ          sc_args
	XORQ         R12, R12                 // no sampling

sc_args:
	MOVQ         u_base+120(FP), R13
	MOVQ         cols+144(FP), BX
	SHLQ         $2, BX
	LEAQ         (BX)(BX*2), R10
	VBROADCASTSS invTau+152(FP), Y15

sc_group:
	// Pass 1: transpose the group into scratch, 8 columns at a time, and
	// take the lane-wise max.
	VMOVUPS K_NEGINF, Y12
	MOVQ    SI, R11
	LEAQ    (SI)(BX*4), DX
	MOVQ    R9, AX

sc_load:
	LOAD4(0, R11, DX, BX, R10)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	VMOVUPS Y0, 0(AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	VMOVUPS Y3, 96(AX)
	VMAXPS  Y1, Y0, Y4             // a tree per 4 columns keeps the
	VMAXPS  Y3, Y2, Y5             // running max off the critical path
	VMAXPS  Y5, Y4, Y4
	LOAD4(16, R11, DX, BX, R10)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	VMOVUPS Y0, 128(AX)
	VMOVUPS Y1, 160(AX)
	VMOVUPS Y2, 192(AX)
	VMOVUPS Y3, 224(AX)
	VMAXPS  Y1, Y0, Y5
	VMAXPS  Y3, Y2, Y6
	VMAXPS  Y6, Y5, Y5
	VMAXPS  Y5, Y4, Y4
	VMAXPS  Y4, Y12, Y12
	ADDQ    $32, R11
	ADDQ    $32, DX
	ADDQ    $256, AX
	MOVQ    R11, R14
	SUBQ    SI, R14
	CMPQ    R14, BX
	JB      sc_load

	// Pass 2: exponentials in place in scratch; Y0-Y7 = acc[0..7].
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   R9, AX

sc_exp:
	SCEXP(0, Y0)
	SCEXP(32, Y1)
	SCEXP(64, Y2)
	SCEXP(96, Y3)
	SCEXP(128, Y4)
	SCEXP(160, Y5)
	SCEXP(192, Y6)
	SCEXP(224, Y7)
	ADDQ $256, AX
	MOVQ AX, R14
	SUBQ R9, R14
	SHRQ $3, R14                     // scratch bytes / 8 = row bytes done
	CMPQ R14, BX
	JB   sc_exp

	// Pass 3: the sum tree, the stats, 1/sum.
	VADDPS     Y4, Y0, Y0
	VADDPS     Y6, Y2, Y2
	VADDPS     Y2, Y0, Y0
	VADDPS     Y5, Y1, Y1
	VADDPS     Y7, Y3, Y3
	VADDPS     Y3, Y1, Y1
	VADDPS     Y1, Y0, Y13
	VUNPCKLPS  Y13, Y12, Y8
	VUNPCKHPS  Y13, Y12, Y9
	VPERM2F128 $0x20, Y9, Y8, Y10
	VPERM2F128 $0x31, Y9, Y8, Y11
	VMOVUPS    Y10, (R8)
	VMOVUPS    Y11, 32(R8)
	VMOVUPS    K_ONE, Y12
	VDIVPS     Y13, Y12, Y12
	VXORPS     Y13, Y13, Y13

	// Pass 4: probabilities, transposed back to the rows of dst; with
	// sampling, the partial sums go to scratch.
	MOVQ DI, R11
	LEAQ (DI)(BX*4), DX
	MOVQ R9, AX

sc_store:
	VMULPS 0(AX), Y12, Y0
	VMULPS 32(AX), Y12, Y1
	VMULPS 64(AX), Y12, Y2
	VMULPS 96(AX), Y12, Y3
	VMULPS 128(AX), Y12, Y4
	VMULPS 160(AX), Y12, Y5
	VMULPS 192(AX), Y12, Y6
	VMULPS 224(AX), Y12, Y7
	TESTQ  R12, R12
	JZ     sc_nocdf
	SCCDF(0, Y0)
	SCCDF(32, Y1)
	SCCDF(64, Y2)
	SCCDF(96, Y3)
	SCCDF(128, Y4)
	SCCDF(160, Y5)
	SCCDF(192, Y6)
	SCCDF(224, Y7)

sc_nocdf:
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	TRANSPOSE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	VMOVUPS      X0, (R11)
	VEXTRACTF128 $1, Y0, (DX)
	VMOVUPS      X1, (R11)(BX*1)
	VEXTRACTF128 $1, Y1, (DX)(BX*1)
	VMOVUPS      X2, (R11)(BX*2)
	VEXTRACTF128 $1, Y2, (DX)(BX*2)
	VMOVUPS      X3, (R11)(R10*1)
	VEXTRACTF128 $1, Y3, (DX)(R10*1)
	VMOVUPS      X4, 16(R11)
	VEXTRACTF128 $1, Y4, 16(DX)
	VMOVUPS      X5, 16(R11)(BX*1)
	VEXTRACTF128 $1, Y5, 16(DX)(BX*1)
	VMOVUPS      X6, 16(R11)(BX*2)
	VEXTRACTF128 $1, Y6, 16(DX)(BX*2)
	VMOVUPS      X7, 16(R11)(R10*1)
	VEXTRACTF128 $1, Y7, 16(DX)(R10*1)
	ADDQ         $32, R11
	ADDQ         $32, DX
	ADDQ         $256, AX
	MOVQ         R11, R14
	SUBQ         DI, R14
	CMPQ         R14, BX
	JB           sc_store

	TESTQ R12, R12
	JZ    sc_next

	// Pass 5: t = u*total, k = #{j : c_j <= t}, idx as in sampleRowsAVX2
	// (the probabilities are valid, so only u can make a row bad).
	VMULPS (R13), Y13, Y13
	VPXOR  Y0, Y0, Y0
	MOVQ   R9, AX
	MOVQ   BX, R14
	SHRQ   $2, R14                   // cols

sc_count:
	VCMPPS $0x1d, (AX), Y13, Y1      // t >= c_j (GE_OQ)
	VPSUBD Y1, Y0, Y0
	ADDQ   $32, AX
	DECQ   R14
	JNZ    sc_count

	VPBROADCASTD cols+144(FP), Y2
	VPCMPEQD     Y2, Y0, Y2          // k == cols
	VPSLLD       $1, Y2, Y3
	VPANDN       Y0, Y2, Y0
	VPOR         Y3, Y0, Y0
	VMOVUPS      (R13), Y1
	VXORPS       Y2, Y2, Y2
	VCMPPS       $0x19, Y2, Y1, Y3   // NGE_UQ: !(u >= 0)
	VPOR         Y3, Y0, Y0
	VCMPPS       $0x15, K_ONE, Y1, Y3 // NLT_UQ: !(u < 1)
	VPOR         Y3, Y0, Y0
	VMOVDQU      Y0, (R12)
	ADDQ         $32, R12
	ADDQ         $32, R13

sc_next:
	LEAQ (SI)(BX*8), SI
	LEAQ (DI)(BX*8), DI
	ADDQ $64, R8
	DECQ CX
	JNZ  sc_group

sc_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func sampleRowsAVX2(idx []int32, p, u, cdf []float32, cols int)
//
// Eight rows per group, one row per lane. Registers: SI p of the group,
// DI idx, R8 u, R9 cdf, CX groups left, BX row bytes, R10 3*BX, R11 / DX
// rows 0 / 4 at the current 8 columns, R12 cdf pointer, R13 bytes or
// columns left; Y0-Y3 a transposed 4-column block, Y4-Y7 transpose scratch,
// Y8 scratch, Y9 u then t = u*total, Y10 c (running sum), Y11 = +Inf,
// Y12 running minimum, Y13 = cols, Y14 = 0.
TEXT ·sampleRowsAVX2(SB), NOSPLIT, $0-104
	MOVQ         idx_base+0(FP), DI
	MOVQ         idx_len+8(FP), CX
	SHRQ         $3, CX                  // groups of 8 rows
	JZ           sa_done
	MOVQ         p_base+24(FP), SI
	MOVQ         u_base+48(FP), R8
	MOVQ         cdf_base+72(FP), R9
	MOVQ         cols+96(FP), BX
	VPBROADCASTD cols+96(FP), Y13
	SHLQ         $2, BX                  // row bytes
	LEAQ         (BX)(BX*2), R10
	VXORPS       Y14, Y14, Y14
	VMOVUPS      K_INF, Y11

sa_group:
	VXORPS  Y10, Y10, Y10
	VMOVAPS Y11, Y12
	MOVQ    SI, R11
	LEAQ    (SI)(BX*4), DX
	MOVQ    R9, R12
	MOVQ    BX, R13

sa_block:
	// Columns [j, j+4) then [j+4, j+8) of the eight rows, in order.
	LOAD4(0, R11, DX, BX, R10)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	SCOL(Y0)
	SCOL(Y1)
	SCOL(Y2)
	SCOL(Y3)
	LOAD4(16, R11, DX, BX, R10)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	SCOL(Y0)
	SCOL(Y1)
	SCOL(Y2)
	SCOL(Y3)
	ADDQ $32, R11
	ADDQ $32, DX
	SUBQ $32, R13
	JNZ  sa_block

	// bad = !(u >= 0) | !(u < 1) | min < 0 | !(total > 0) | !(total < +Inf);
	// a NaN entry makes the total NaN.
	VMOVUPS (R8), Y9
	VCMPPS  $0x19, Y14, Y9, Y4   // NGE_UQ
	VCMPPS  $0x15, K_ONE, Y9, Y5 // NLT_UQ
	VORPS   Y5, Y4, Y4
	VCMPPS  $0x11, Y14, Y12, Y5  // LT_OQ
	VORPS   Y5, Y4, Y4
	VCMPPS  $0x1a, Y14, Y10, Y5  // NGT_UQ
	VORPS   Y5, Y4, Y4
	VCMPPS  $0x15, Y11, Y10, Y5  // NLT_UQ
	VORPS   Y5, Y4, Y4
	VMULPS  Y10, Y9, Y9          // t = u*total

	// k = #{j : cdf[j] <= t}, two counters over even and odd columns.
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	MOVQ  R9, R12
	MOVQ  BX, R13
	SHRQ  $3, R13                // cols/2 pairs

sa_count:
	VCMPPS $0x1d, (R12), Y9, Y2   // t >= cdf[j] (GE_OQ)
	VPSUBD Y2, Y0, Y0
	VCMPPS $0x1d, 32(R12), Y9, Y3
	VPSUBD Y3, Y1, Y1
	ADDQ   $64, R12
	DECQ   R13
	JNZ    sa_count

	// k == cols (no cdf above t): -2; bad rows: -1.
	VPADDD   Y1, Y0, Y0
	VPCMPEQD Y13, Y0, Y2        // k == cols
	VPSLLD   $1, Y2, Y3         // -1 -> -2
	VPANDN   Y0, Y2, Y0
	VPOR     Y3, Y0, Y0
	VPOR     Y4, Y0, Y0
	VMOVDQU  Y0, (DI)
	ADDQ     $32, DI
	ADDQ     $32, R8
	LEAQ     (SI)(BX*8), SI
	DECQ     CX
	JNZ      sa_group

sa_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func negLogRowsAVX2(dst []float32, n int)
//
// Registers: DI dst, CX vectors left, BX n, AX repeats left; Y0 the value,
// Y1-Y5 NEGLOG scratch.
TEXT ·negLogRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	SHRQ $3, CX
	JZ   nl_done
	MOVQ n+24(FP), BX

nl_loop:
	VCVTDQ2PS (DI), Y0           // k < 2^24: exact
	VMAXPS    K_HALF, Y0, Y0     // U = max(k, 1/2) * 2^-24
	VMULPS    K_2M24, Y0, Y0
	MOVQ      BX, AX

nl_rep:
	TESTQ AX, AX
	JLE   nl_store
	NEGLOG(Y0, Y1, Y2, Y3, Y4, Y5)
	DECQ  AX
	JMP   nl_rep

nl_store:
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     nl_loop

nl_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func negLogFloatsAVX2(x []float32) int
//
// Registers: DI x, CX vectors left, AX elements done, BX lane mask; Y0 the
// value, Y1-Y5 NEGLOG scratch (Y1, Y2 first hold the domain test), Y6 the
// +Inf lanes. +Inf (a masked category of the conditional Gumbel sampler)
// is done here, as the twin does it (-log(+Inf) = -Inf), so that masked
// categories do not send every vector to the twin.
TEXT ·negLogFloatsAVX2(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), DI
	MOVQ x_len+8(FP), CX
	SHRQ $3, CX
	XORQ AX, AX
	TESTQ CX, CX
	JZ   nf_done

nf_loop:
	VMOVUPS   (DI), Y0
	VCMPPS    $0x1d, K_MINNORM, Y0, Y1 // x >= 2^-126 (GE_OQ: false for NaN)
	VCMPPS    $0x12, K_MAXF, Y0, Y2    // x <= MaxFloat32 (LE_OQ)
	VANDPS    Y2, Y1, Y1
	VCMPPS    $0x00, K_INF, Y0, Y6     // x == +Inf (EQ_OQ)
	VORPS     Y6, Y1, Y1
	VMOVMSKPS Y1, BX
	CMPL      BX, $0xff
	JNE       nf_done                  // the Go twin takes this vector
	NEGLOG(Y0, Y1, Y2, Y3, Y4, Y5)
	VBLENDVPS Y6, K_NEGINF, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, DI
	ADDQ      $8, AX
	DECQ      CX
	JNZ       nf_loop

nf_done:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Row softmax, AVX-512, 16 lanes: EXP16 (rowmath_amd64.h) on the rows.

// ---------------------------------------------------------------------------
// func softmaxRowsAVX512(dst, src, stats []float32, cols int, invTau float32)
//
// One row at a time, 16 columns per vector (cols%8 == 0, cols >= 16; a last
// half vector of 8 columns is done in YMM). The exponentials of a vector go
// into the twin's 8-lane accumulator in column order: first its low eight
// (columns j..j+7), then its high eight (j+8..j+15), so acc[l] sums the
// columns l mod 8 in order exactly like the twin.
//
// Registers: SI src row, DI dst row, DX stats, CX rows left, BX row bytes,
// R9 bytes in whole 16-column vectors, AX byte offset in the row; Z0 row
// max, Y2 lane sums then 1/sum, Z3 the current vector, Z4-Z6 and K1 EXP16
// scratch, Z16 = invTau.
TEXT ·softmaxRowsAVX512(SB), NOSPLIT, $0-84
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         stats_base+48(FP), DX
	MOVQ         stats_len+56(FP), CX
	SHRQ         $1, CX                // rows
	JZ           sx_done
	MOVQ         cols+72(FP), BX
	SHLQ         $2, BX                // row bytes
	MOVQ         BX, R9
	ANDQ         $-64, R9              // >= 64: cols >= 16
	VBROADCASTSS invTau+80(FP), Z16

sx_row:
	// Pass 1: the row max in every lane of Z0.
	VMOVUPS (SI), Z0
	MOVQ    $64, AX

sx_maxloop:
	CMPQ   AX, R9
	JAE    sx_maxtail
	VMAXPS (SI)(AX*1), Z0, Z0
	ADDQ   $64, AX
	JMP    sx_maxloop

sx_maxtail:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	CMPQ          R9, BX
	JEQ           sx_maxred
	VMAXPS        (SI)(R9*1), Y0, Y0

sx_maxred:
	VPERM2F128   $0x01, Y0, Y0, Y1
	VMAXPS       Y1, Y0, Y0
	VPERMILPS    $0x4e, Y0, Y1
	VMAXPS       Y1, Y0, Y0
	VPERMILPS    $0xb1, Y0, Y1
	VMAXPS       Y1, Y0, Y0
	VMOVSS       X0, (DX)              // stats[2r] = m
	VBROADCASTSS X0, Z0

	// Pass 2: dst = exp((src - m)*invTau); Y2 = acc[0..7].
	VXORPS Y2, Y2, Y2
	XORQ   AX, AX

sx_exploop:
	VMOVUPS       (SI)(AX*1), Z3
	VSUBPS        Z0, Z3, Z3
	VMULPS        Z16, Z3, Z3
	EXP16(Z3, Z4, Z5, Z6, K1)
	VMOVUPS       Z3, (DI)(AX*1)
	VEXTRACTF64X4 $1, Z3, Y4
	VADDPS        Y3, Y2, Y2           // columns j..j+7
	VADDPS        Y4, Y2, Y2           // then j+8..j+15
	ADDQ          $64, AX
	CMPQ          AX, R9
	JB            sx_exploop
	CMPQ          R9, BX
	JEQ           sx_sumred
	VMOVUPS       (SI)(R9*1), Y3       // the last 8 columns (lanes 8-15 zero, unused)
	VSUBPS        Z0, Z3, Z3
	VMULPS        Z16, Z3, Z3
	EXP16(Z3, Z4, Z5, Z6, K1)
	VMOVUPS       Y3, (DI)(R9*1)
	VADDPS        Y3, Y2, Y2

sx_sumred:
	// The twin's tree: (l, l+4), (l, l+2), (0, 1); every lane ends equal.
	VPERM2F128   $0x01, Y2, Y2, Y1
	VADDPS       Y1, Y2, Y2
	VPERMILPS    $0x4e, Y2, Y1
	VADDPS       Y1, Y2, Y2
	VPERMILPS    $0xb1, Y2, Y1
	VADDPS       Y1, Y2, Y2
	VMOVSS       X2, 4(DX)             // stats[2r+1] = s
	VBROADCASTSS K_ONE, Y1
	VDIVPS       Y2, Y1, Y2            // 1/s
	VBROADCASTSS X2, Z2

	// Pass 3: dst *= 1/s.
	XORQ AX, AX

sx_scale:
	VMULPS  (DI)(AX*1), Z2, Z3
	VMOVUPS Z3, (DI)(AX*1)
	ADDQ    $64, AX
	CMPQ    AX, R9
	JB      sx_scale
	CMPQ    R9, BX
	JEQ     sx_next
	VMULPS  (DI)(R9*1), Y2, Y3
	VMOVUPS Y3, (DI)(R9*1)

sx_next:
	ADDQ BX, SI
	ADDQ BX, DI
	ADDQ $8, DX
	DECQ CX
	JNZ  sx_row

sx_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func softmax8AVX512(dst, src, stats []float32, invTau float32)
//
// Rows of 8 floats, two per vector (rows = len(stats)/2, even): row 2q in
// lanes 0-7, row 2q+1 in lanes 8-15. Every reduction stays inside a 256-bit
// half and follows the twin's tree, so each row gets the twin's bits.
//
// Registers: SI src, DI dst, DX stats, CX pairs of rows left; Z0 the max,
// Z1 scratch, Z2 the sums then 1/sum, Z3 the rows, Z4-Z6 and K1 EXP16
// scratch, Z16 = invTau, Z17 = 1.
TEXT ·softmax8AVX512(SB), NOSPLIT, $0-76
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         stats_base+48(FP), DX
	MOVQ         stats_len+56(FP), CX
	SHRQ         $2, CX                // pairs of rows
	JZ           s8_done
	VBROADCASTSS invTau+72(FP), Z16
	VBROADCASTSS K_ONE, Z17

s8_loop:
	VMOVUPS       (SI), Z3
	VSHUFF32X4    $0xb1, Z3, Z3, Z1    // swap the 128-bit halves of each row
	VMAXPS        Z1, Z3, Z0
	VPERMILPS     $0x4e, Z0, Z1
	VMAXPS        Z1, Z0, Z0
	VPERMILPS     $0xb1, Z0, Z1
	VMAXPS        Z1, Z0, Z0
	VSUBPS        Z0, Z3, Z3
	VMULPS        Z16, Z3, Z3
	EXP16(Z3, Z4, Z5, Z6, K1)
	VSHUFF32X4    $0xb1, Z3, Z3, Z1    // (l, l+4)
	VADDPS        Z1, Z3, Z2
	VPERMILPS     $0x4e, Z2, Z1        // (l, l+2)
	VADDPS        Z1, Z2, Z2
	VPERMILPS     $0xb1, Z2, Z1        // (0, 1)
	VADDPS        Z1, Z2, Z2
	VUNPCKLPS     Z2, Z0, Z1           // (m, s, m, s) in each 128-bit lane
	VMOVSD        X1, (DX)             // row 2q: lane 0
	VEXTRACTF32X4 $2, Z1, X1
	VMOVSD        X1, 8(DX)            // row 2q+1: lane 8
	VDIVPS        Z2, Z17, Z2
	VMULPS        Z2, Z3, Z3
	VMOVUPS       Z3, (DI)
	ADDQ          $64, SI
	ADDQ          $64, DI
	ADDQ          $16, DX
	DECQ          CX
	JNZ           s8_loop

s8_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// -log, AVX-512: NEGLOG16 (rowmath_amd64.h) on 16 floats at a time, and on
// the last 8 (lengths are multiples of 8) under the mask K5 = 0xff. On Zen 4
// a ZMM operation costs two YMM ones, yet these run about 1.4× faster than
// the AVX2 routines: the -log is one long dependent chain per vector, and
// with 16 lanes per instruction the out-of-order window holds twice the
// elements.
//
// func negLogRowsAVX512(dst []float32, n int)
//
// Registers: DI dst, CX floats left, BX n, AX repeats left, DX the lane
// mask bits; Z0 the value, Z1-Z5 and K1 NEGLOG16 scratch, K5 the lanes.
TEXT ·negLogRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ n+24(FP), BX
	MOVL $0xffff, DX
	KMOVW DX, K5

zl_loop:
	CMPQ CX, $16
	JAE  zl_vec
	TESTQ CX, CX
	JZ   zl_done
	MOVL $0xff, DX
	KMOVW DX, K5
	MOVQ $16, CX                 // the last 8 floats end the loop

zl_vec:
	VCVTDQ2PS.Z (DI), K5, Z0     // k < 2^24: exact
	VMAXPS.BCST K_HALF, Z0, Z0   // U = max(k, 1/2) * 2^-24
	VMULPS.BCST K_2M24, Z0, Z0
	MOVQ        BX, AX

zl_rep:
	TESTQ AX, AX
	JLE   zl_store
	NEGLOG16(Z0, Z1, Z2, Z3, Z4, Z5, K1)
	DECQ  AX
	JMP   zl_rep

zl_store:
	VMOVUPS Z0, K5, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     zl_loop

zl_done:
	VZEROUPPER
	RET

// func negLogFloatsAVX512(x []float32) int
//
// negLogFloatsAVX2 in 16 lanes: it stops at the first 8-float half vector
// that holds a special value (the low half of a vector can still go when
// only its high half holds one), so it returns a multiple of 8 as the
// table's w = 8 contract asks.
//
// Registers: DI x, CX floats left, AX floats done, BX the lanes of this
// vector (0xffff or 0xff), DX the valid lanes; Z0 the value, Z1-Z5 and K1
// NEGLOG16 scratch, K2 and K3 the domain tests, K4 the +Inf lanes, K5 the
// lanes to store.
TEXT ·negLogFloatsAVX512(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), DI
	MOVQ x_len+8(FP), CX
	XORQ AX, AX

zf_loop:
	MOVL $0xffff, BX
	CMPQ CX, $16
	JAE  zf_vec
	TESTQ CX, CX
	JZ   zf_done
	MOVL $0xff, BX

zf_vec:
	KMOVW       BX, K5
	VMOVUPS.Z   (DI), K5, Z0
	VCMPPS.BCST $0x1d, K_MINNORM, Z0, K2 // x >= 2^-126 (GE_OQ: false for NaN)
	VCMPPS.BCST $0x12, K_MAXF, Z0, K3    // x <= MaxFloat32 (LE_OQ)
	KANDW       K3, K2, K2
	VCMPPS.BCST $0x00, K_INF, Z0, K4     // x == +Inf (EQ_OQ)
	KORW        K4, K2, K2
	KMOVW       K2, DX
	ANDL        BX, DX
	CMPL        DX, BX
	JEQ         zf_go
	CMPL        BX, $0xff                // a half vector with a special value:
	JEQ         zf_done                  // the Go twin takes it
	ANDL        $0xff, DX
	CMPL        DX, $0xff
	JNE         zf_done
	MOVL        $0xff, BX                // only the high half has one: do the low
	KMOVW       BX, K5

zf_go:
	NEGLOG16(Z0, Z1, Z2, Z3, Z4, Z5, K1)
	VBROADCASTSS K_NEGINF, K4, Z0
	VMOVUPS      Z0, K5, (DI)
	POPCNTL      BX, BX
	ADDQ         BX, AX
	SUBQ         BX, CX
	LEAQ         (DI)(BX*4), DI
	CMPL         BX, $16
	JEQ          zf_loop

zf_done:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
