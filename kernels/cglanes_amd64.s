//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_amd64.h"

// The lane-per-sample conditional-Gumbel kernel of cglanes.go, AVX2 (and,
// at the end, AVX-512 for τ ≠ 1); the stubs are in cglanes_amd64.go. A
// group of eight samples is processed column by column: lane l holds sample
// 8q+l, so the sums over j are plain vector adds and no lanes are wasted
// for any C. Each step mirrors cgLanesGeneric (no FMA outside the exp and
// -log macros).
//
// Per group, the e columns are first copied into x, column j at x[8j:8j+8]:
// by 4×4 transposes of row loads when C >= 4 and another sample follows the
// group (the loads of a row's last columns read up to 3 floats of the next
// sample), by masked gathers otherwise (the last group, whose lanes past K
// are off and read as 1). The passes then read and overwrite x in place.
//
// Registers: DI acc, R15 x, SI the group's first sample of e, DX w, R8 g,
// CX C, R9 i, R10 samples left, R13 bytes per group (32·C), R14 the lane
// masks, R12 columns left, AX column offset in acc and x (32·j), BX column
// offset in e, w and g (4·j), R11 a column's address; Y15 the gather
// offsets l·C, Y14 the lanes in use, Y13 e_ki/z, Y12 the sum s (then 1/s),
// Y11 the sum t (then d = p·g), Y10 the maximum (τ ≠ 1), Y9 z, Y8 1/τ, Y7
// the gather's mask, Y0-Y6 scratch. In the transposes DX, CX, BX, AX, R11
// and R12 hold other things, and DX and CX are reloaded after.

// A_OF_X turns Y0 = e_kj into a = (e_kj·w_j + e_ki/z) + 1e-20.
#define A_OF_X \
	VBROADCASTSS (DX)(BX*1), Y1; \
	VMULPS       Y1, Y0, Y0; \
	VADDPS       Y13, Y0, Y0; \
	VADDPS       K_CGEPS8, Y0, Y0

// func cgLanesAVX2(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool)
TEXT ·cgLanesAVX2(SB), NOSPLIT, $0-153
	MOVQ         acc_base+0(FP), DI
	MOVQ         x_base+24(FP), R15
	MOVQ         e_base+48(FP), SI
	MOVQ         w_base+72(FP), DX
	MOVQ         w_len+80(FP), CX
	MOVQ         g_base+96(FP), R8
	MOVQ         i+120(FP), R9
	MOVQ         K+128(FP), R10
	VBROADCASTSS z+136(FP), Y9
	VBROADCASTSS invTau+140(FP), Y8
	MOVQ         masks+144(FP), R14
	MOVQ         CX, R13
	SHLQ         $5, R13
	MOVQ         CX, X15
	VPBROADCASTD X15, Y15
	VPMULLD      ·cgLaneIota(SB), Y15, Y15

	// acc = 0
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX
	MOVQ   CX, R12

cl_zero:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    R12
	JNZ     cl_zero

cl_group:
	CMPQ R10, $8
	JLE  cl_gather
	CMPQ CX, $4
	JLT  cl_gather

	// Full group with a next sample: transposes, 4 columns at a time.
	VPCMPEQD Y14, Y14, Y14
	MOVQ     CX, BX
	SHLQ     $2, BX           // bytes per sample
	LEAQ     (BX)(BX*2), AX
	MOVQ     SI, R12
	LEAQ     (SI)(BX*4), R11
	MOVQ     R15, DX

cl_tload:
	LOAD4(0, R12, R11, BX, AX)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	CMPQ    CX, $4
	JLT     cl_tpart
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	ADDQ    $128, DX
	ADDQ    $16, R12
	ADDQ    $16, R11
	SUBQ    $4, CX
	JNZ     cl_tload
	JMP     cl_loaded

cl_tpart:
	VMOVUPS Y0, (DX)
	CMPQ    CX, $2
	JLT     cl_loaded
	VMOVUPS Y1, 32(DX)
	CMPQ    CX, $3
	JLT     cl_loaded
	VMOVUPS Y2, 64(DX)
	JMP     cl_loaded

	// Last group: masked gathers, lanes past K read as 1.
cl_gather:
	CMPQ     R10, $8
	JGE      cl_full
	MOVQ     R10, AX
	SHLQ     $5, AX
	VMOVDQU  (R14)(AX*1), Y14
	JMP      cl_gcols

cl_full:
	VPCMPEQD Y14, Y14, Y14

cl_gcols:
	MOVQ SI, R11
	XORQ AX, AX
	MOVQ CX, R12

cl_gcol:
	VMOVUPS    K_ONE, Y0
	VMOVDQU    Y14, Y7
	VGATHERDPS Y7, (R11)(Y15*4), Y0
	VMOVUPS    Y0, (R15)(AX*1)
	ADDQ       $4, R11
	ADDQ       $32, AX
	DECQ       R12
	JNZ        cl_gcol

cl_loaded:
	MOVQ   w_base+72(FP), DX
	MOVQ   w_len+80(FP), CX
	MOVQ   R9, AX
	SHLQ   $5, AX
	VMOVUPS (R15)(AX*1), Y0
	VDIVPS Y9, Y0, Y13       // e_ki/z
	VXORPS Y12, Y12, Y12
	VXORPS Y11, Y11, Y11
	XORQ   AX, AX
	XORQ   BX, BX
	MOVQ   CX, R12
	CMPB   tau1+152(FP), $0
	JEQ    cl_tau

	// τ = 1: r_j = 1/a_j, s += r_j, t += r_j·g_j
cl_a1:
	VMOVUPS      (R15)(AX*1), Y0
	A_OF_X
	VMOVUPS      K_ONE, Y1
	VDIVPS       Y0, Y1, Y0
	VMOVUPS      Y0, (R15)(AX*1)
	VADDPS       Y0, Y12, Y12
	VBROADCASTSS (R8)(BX*1), Y1
	VMULPS       Y1, Y0, Y1
	VADDPS       Y1, Y11, Y11
	ADDQ         $32, AX
	ADDQ         $4, BX
	DECQ         R12
	JNZ          cl_a1

	VMOVUPS K_ONE, Y0
	VDIVPS  Y12, Y0, Y12     // 1/s
	VMULPS  Y12, Y11, Y11    // d = t·(1/s)
	JMP     cl_d

	// τ ≠ 1: x_j = cgNegLog(a_j), m = max(m, x_j)
cl_tau:
	VMOVUPS K_NEGINF, Y10

cl_at:
	VMOVUPS   (R15)(AX*1), Y0
	A_OF_X
	CGNEGLOG(Y0, Y2, Y3, Y1, Y4, Y5, Y6, Y7)
	VMOVUPS   Y0, (R15)(AX*1)
	VMAXPS    Y0, Y10, Y10             // m > x ? m : x
	ADDQ      $32, AX
	ADDQ      $4, BX
	DECQ      R12
	JNZ       cl_at

	// q_j = exp((x_j − m)·(1/τ)), s += q_j
	XORQ AX, AX
	MOVQ CX, R12

cl_bt:
	VMOVUPS (R15)(AX*1), Y0
	VSUBPS  Y10, Y0, Y0
	VMULPS  Y8, Y0, Y0
	EXP(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (R15)(AX*1)
	VADDPS  Y0, Y12, Y12
	ADDQ    $32, AX
	DECQ    R12
	JNZ     cl_bt

	VMOVUPS K_ONE, Y0
	VDIVPS  Y12, Y0, Y12 // 1/s

	// t += (q_j·(1/s))·g_j; d = t
	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

cl_ct:
	VMULPS       (R15)(AX*1), Y12, Y0
	VBROADCASTSS (R8)(BX*1), Y1
	VMULPS       Y1, Y0, Y0
	VADDPS       Y0, Y11, Y11
	ADDQ         $32, AX
	ADDQ         $4, BX
	DECQ         R12
	JNZ          cl_ct

	// acc_j += p·g_j − p·d in the lanes in use, p = x_j·(1/s)
cl_d:
	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

cl_dl:
	VMULPS       (R15)(AX*1), Y12, Y0
	VBROADCASTSS (R8)(BX*1), Y1
	VMULPS       Y1, Y0, Y2
	VMULPS       Y11, Y0, Y0
	VSUBPS       Y0, Y2, Y2
	VANDPS       Y14, Y2, Y2
	VADDPS       (DI)(AX*1), Y2, Y2
	VMOVUPS      Y2, (DI)(AX*1)
	ADDQ         $32, AX
	ADDQ         $4, BX
	DECQ         R12
	JNZ          cl_dl

	ADDQ R13, SI
	SUBQ $8, R10
	JG   cl_group
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// The lane-per-sample conditional-Gumbel kernel (cglanes.go), AVX-512:
// cgLanesAVX2 at τ ≠ 1 (at τ = 1, with neither log nor exp, it would be no
// faster) with sixteen samples per group, lane l holding sample 16q+l.
// Every lane computes what it computes in cgLanesAVX2 (EXP16 and CGNEGLOG16
// are EXP and CGNEGLOG in 16 lanes). The 8-lane accumulators get a group's
// low half (samples 16q..16q+7) and then its high half (16q+8..16q+15):
// the order in which cgLanesAVX2 adds its groups 2q and 2q+1, so acc gets
// the same bits.
//
// Per group, the e columns are first copied into x, column j at
// x[16j:16j+16]: when C >= 4 and another sample follows the group, by the
// AVX2 kernel's 4×4 transposes, once per half (rows 0-7 into the low eight
// floats of each column, rows 8-15 into the high eight); otherwise (the
// last group) by masked gathers, whose lanes past K read as 1.
//
// Registers: DI acc, R15 x, SI the group's first sample of e, DX w, R8 g,
// CX C, R9 i, R10 samples left, R13 bytes per group (64·C), R12 columns
// left, AX column offset in x (64·j), BX column offset in e, w and g (4·j);
// Z15 the gather offsets l·C, K7 the lanes in use, Z13 e_ki/z, Z12 the sum
// s (then 1/s), Z11 the sum t (then d = p·g), Z10 the maximum, Z9 z, Z8
// 1/τ, K1 the gather's mask, Z0-Z5 and K2-K4 scratch. In the
// transposes DX, CX, BX, AX, R9, R11 and R12 hold other things, and DX, CX
// and R9 are reloaded after.

// A_OF_X16 turns Z0 = e_kj into a = (e_kj·w_j + e_ki/z) + 1e-20.
#define A_OF_X16 \
	VBROADCASTSS (DX)(BX*1), Z1; \
	VMULPS       Z1, Z0, Z0; \
	VADDPS       Z13, Z0, Z0; \
	VADDPS.BCST  K_CGEPS8, Z0, Z0

// func cgLanesAVX512(acc, x, e, w, g []float32, i, K int, z, invTau float32)
TEXT ·cgLanesAVX512(SB), NOSPLIT, $0-144
	MOVQ         acc_base+0(FP), DI
	MOVQ         x_base+24(FP), R15
	MOVQ         e_base+48(FP), SI
	MOVQ         w_base+72(FP), DX
	MOVQ         w_len+80(FP), CX
	MOVQ         g_base+96(FP), R8
	MOVQ         i+120(FP), R9
	MOVQ         K+128(FP), R10
	VBROADCASTSS z+136(FP), Z9
	VBROADCASTSS invTau+140(FP), Z8
	MOVQ         CX, R13
	SHLQ         $6, R13
	MOVQ         CX, X15
	VPBROADCASTD X15, Z15
	VPMULLD      ·cgLaneIota16(SB), Z15, Z15

	// acc = 0
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX
	MOVQ   CX, R12

zl16_zero:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    R12
	JNZ     zl16_zero

zl16_group:
	CMPQ R10, $16
	JLE  zl16_gather
	CMPQ CX, $4
	JLT  zl16_gather

	// Full group with a next sample: per half of eight samples, the
	// AVX2 kernel's transposes, 4 columns at a time.
	MOVL  $0xffff, AX
	KMOVW AX, K7
	MOVQ  CX, BX
	SHLQ  $2, BX            // bytes per sample
	LEAQ  (BX)(BX*2), AX
	MOVQ  SI, R12
	LEAQ  (SI)(BX*4), R11
	MOVQ  R15, DX
	MOVQ  $2, R9            // halves left

zl16_half:
	MOVQ w_len+80(FP), CX

zl16_tload:
	LOAD4(0, R12, R11, BX, AX)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	CMPQ    CX, $4
	JLT     zl16_tpart
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 64(DX)
	VMOVUPS Y2, 128(DX)
	VMOVUPS Y3, 192(DX)
	ADDQ    $256, DX
	ADDQ    $16, R12
	ADDQ    $16, R11
	SUBQ    $4, CX
	JNZ     zl16_tload
	JMP     zl16_hnext

zl16_tpart:
	VMOVUPS Y0, (DX)
	CMPQ    CX, $2
	JLT     zl16_hnext
	VMOVUPS Y1, 64(DX)
	CMPQ    CX, $3
	JLT     zl16_hnext
	VMOVUPS Y2, 128(DX)

zl16_hnext:
	LEAQ (SI)(BX*8), R12    // rows 8-15 into the high eight floats
	LEAQ (R12)(BX*4), R11
	LEAQ 32(R15), DX
	DECQ R9
	JNZ  zl16_half
	MOVQ i+120(FP), R9
	JMP  zl16_loaded

	// Last group: masked gathers, lanes past K read as 1.
zl16_gather:
	MOVL $0xffff, AX
	CMPQ R10, $16
	JGE  zl16_gmask
	MOVQ R10, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	MOVQ w_len+80(FP), CX

zl16_gmask:
	KMOVW AX, K7
	MOVQ  SI, R11
	XORQ  AX, AX
	MOVQ  CX, R12

zl16_gcol:
	VBROADCASTSS K_ONE, Z0
	KMOVW        K7, K1
	VGATHERDPS   (R11)(Z15*4), K1, Z0
	VMOVUPS      Z0, (R15)(AX*1)
	ADDQ         $4, R11
	ADDQ         $64, AX
	DECQ         R12
	JNZ          zl16_gcol

zl16_loaded:
	MOVQ    w_base+72(FP), DX
	MOVQ    w_len+80(FP), CX
	MOVQ    R9, AX
	SHLQ    $6, AX
	VMOVUPS (R15)(AX*1), Z0
	VDIVPS  Z9, Z0, Z13      // e_ki/z
	VPXORD  Z12, Z12, Z12
	VPXORD  Z11, Z11, Z11
	XORQ    AX, AX
	XORQ    BX, BX
	MOVQ    CX, R12

	// x_j = cgNegLog(a_j), m = max(m, x_j)
	VBROADCASTSS K_NEGINF, Z10

zl16_at:
	VMOVUPS (R15)(AX*1), Z0
	A_OF_X16
	CGNEGLOG16(Z0, K2, K3, K4, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z0, (R15)(AX*1)
	VMAXPS  Z0, Z10, Z10     // m > x ? m : x
	ADDQ    $64, AX
	ADDQ    $4, BX
	DECQ    R12
	JNZ     zl16_at

	// q_j = exp((x_j − m)·(1/τ)), s += q_j
	XORQ AX, AX
	MOVQ CX, R12

zl16_bt:
	VMOVUPS (R15)(AX*1), Z0
	VSUBPS  Z10, Z0, Z0
	VMULPS  Z8, Z0, Z0
	EXP16(Z0, Z1, Z2, Z3, K2)
	VMOVUPS Z0, (R15)(AX*1)
	VADDPS  Z0, Z12, Z12
	ADDQ    $64, AX
	DECQ    R12
	JNZ     zl16_bt

	VBROADCASTSS K_ONE, Z0
	VDIVPS       Z12, Z0, Z12 // 1/s

	// t += (q_j·(1/s))·g_j; d = t
	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

zl16_ct:
	VMULPS       (R15)(AX*1), Z12, Z0
	VBROADCASTSS (R8)(BX*1), Z1
	VMULPS       Z1, Z0, Z0
	VADDPS       Z0, Z11, Z11
	ADDQ         $64, AX
	ADDQ         $4, BX
	DECQ         R12
	JNZ          zl16_ct

	// acc_j += p·g_j − p·d in the lanes in use (+0 in the others),
	// p = x_j·(1/s): the low half, then the high half
	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

zl16_dl:
	VMULPS        (R15)(AX*1), Z12, Z0
	VBROADCASTSS  (R8)(BX*1), Z1
	VMULPS        Z1, Z0, Z2
	VMULPS        Z11, Z0, Z0
	VSUBPS.Z      Z0, Z2, K7, Z2
	VEXTRACTF64X4 $1, Z2, Y3
	VADDPS        (DI)(BX*8), Y2, Y2
	VADDPS        Y2, Y3, Y2
	VMOVUPS       Y2, (DI)(BX*8)
	ADDQ          $64, AX
	ADDQ          $4, BX
	DECQ          R12
	JNZ           zl16_dl

	ADDQ R13, SI
	SUBQ $16, R10
	JG   zl16_group
	VZEROUPPER
	RET
