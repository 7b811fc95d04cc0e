//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_amd64.h"

// The lane-per-sample conditional-Gumbel kernels of cglanes.go, AVX2. A
// group of eight samples is processed column by column: lane l gathers
// sample 8q+l, so the sums over j are plain vector adds and no lanes are
// wasted for any C. Each step mirrors cgLanesGeneric (no FMA outside the
// exp and -log macros).
//
// Registers of both kernels: DI acc, R15 x, SI the group's first sample of
// e, DX w, R8 g, CX C, R9 i, R10 samples left, R13 bytes per group (32·C),
// R14 the lane masks, R12 columns left, AX column offset in acc and x
// (32·j), BX column offset in e, w and g (4·j), R11 the column's address;
// Y15 the gather offsets l·C, Y14 the lanes in use, Y13 e_ki/z, Y12 the
// sum s (then 1/s), Y11 the sum t (then p·g), Y10 the maximum (τ ≠ 1),
// Y9 z, Y8 1/τ, Y7 the gather's mask, Y0-Y6 scratch.

#define K_CGEPS8 ·cgEps8+0(SB)

// LANES_PROLOGUE loads the arguments common to both kernels and builds the
// gather offsets.
#define LANES_PROLOGUE \
	MOVQ         acc_base+0(FP), DI; \
	MOVQ         x_base+24(FP), R15; \
	MOVQ         e_base+48(FP), SI; \
	MOVQ         w_base+72(FP), DX; \
	MOVQ         w_len+80(FP), CX; \
	MOVQ         g_base+96(FP), R8; \
	MOVQ         i+120(FP), R9; \
	MOVQ         K+128(FP), R10; \
	VBROADCASTSS z+136(FP), Y9; \
	MOVQ         masks+144(FP), R14; \
	MOVQ         CX, R13; \
	SHLQ         $5, R13; \
	MOVQ         CX, X15; \
	VPBROADCASTD X15, Y15; \
	VPMULLD      ·cgLaneIota(SB), Y15, Y15

// GATHER loads column R11 of the group's eight samples into Y0 (1 in the
// lanes not in use).
#define GATHER \
	VMOVUPS    K_ONE, Y0; \
	VMOVDQU    Y14, Y7; \
	VGATHERDPS Y7, (R11)(Y15*4), Y0

// A_OF_E turns Y0 = e_kj into a = (e_kj·w_j + e_ki/z) + 1e-20.
#define A_OF_E \
	VBROADCASTSS (DX)(BX*1), Y1; \
	VMULPS       Y1, Y0, Y0; \
	VADDPS       Y13, Y0, Y0; \
	VADDPS       K_CGEPS8, Y0, Y0

// ACCUMULATE adds column j's contributions p·g_j − p·d of the lanes in use
// to acc, p = x_j·(1/s) (Y12), d in Y11.
#define ACCUMULATE \
	VMULPS       (R15)(AX*1), Y12, Y0; \
	VBROADCASTSS (R8)(BX*1), Y1; \
	VMULPS       Y1, Y0, Y2; \
	VMULPS       Y11, Y0, Y0; \
	VSUBPS       Y0, Y2, Y2; \
	VANDPS       Y14, Y2, Y2; \
	VADDPS       (DI)(AX*1), Y2, Y2; \
	VMOVUPS      Y2, (DI)(AX*1)

// func cgLanes1AVX2(acc, x, e, w, g []float32, i, K int, z float32, masks *[8][8]int32)
TEXT ·cgLanes1AVX2(SB), NOSPLIT, $0-152
	LANES_PROLOGUE

	// acc = 0
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX
	MOVQ   CX, R12

l1_zero:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    R12
	JNZ     l1_zero

l1_group:
	CMPQ     R10, $8
	JGE      l1_full
	MOVQ     R10, AX
	SHLQ     $5, AX
	VMOVDQU  (R14)(AX*1), Y14
	JMP      l1_ei

l1_full:
	VPCMPEQD Y14, Y14, Y14

l1_ei:
	LEAQ   (SI)(R9*4), R11
	GATHER
	VDIVPS Y9, Y0, Y13
	VXORPS Y12, Y12, Y12
	VXORPS Y11, Y11, Y11

	// r_j = 1/a_j, s += r_j, t += r_j·g_j
	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

l1_a:
	LEAQ         (SI)(BX*1), R11
	GATHER
	A_OF_E
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
	JNZ          l1_a

	VMOVUPS K_ONE, Y0
	VDIVPS  Y12, Y0, Y12 // 1/s
	VMULPS  Y12, Y11, Y11 // d = t·(1/s)

	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

l1_d:
	ACCUMULATE
	ADDQ $32, AX
	ADDQ $4, BX
	DECQ R12
	JNZ  l1_d

	ADDQ R13, SI
	SUBQ $8, R10
	JG   l1_group
	VZEROUPPER
	RET

// func cgLanesTauAVX2(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32)
TEXT ·cgLanesTauAVX2(SB), NOSPLIT, $0-152
	LANES_PROLOGUE
	VBROADCASTSS invTau+140(FP), Y8

	// acc = 0
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX
	MOVQ   CX, R12

lt_zero:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    R12
	JNZ     lt_zero

lt_group:
	CMPQ     R10, $8
	JGE      lt_full
	MOVQ     R10, AX
	SHLQ     $5, AX
	VMOVDQU  (R14)(AX*1), Y14
	JMP      lt_ei

lt_full:
	VPCMPEQD Y14, Y14, Y14

lt_ei:
	LEAQ    (SI)(R9*4), R11
	GATHER
	VDIVPS  Y9, Y0, Y13
	VXORPS  Y12, Y12, Y12
	VXORPS  Y11, Y11, Y11
	VMOVUPS K_NEGINF, Y10

	// x_j = cgNegLog(a_j), m = max(m, x_j)
	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

lt_a:
	LEAQ      (SI)(BX*1), R11
	GATHER
	A_OF_E
	VCMPPS    $0x1d, K_MINNORM, Y0, Y2 // a >= 2^-126
	VCMPPS    $0x12, K_MAXF, Y0, Y3    // a <= MaxFloat32
	VANDPS    Y3, Y2, Y2
	VCMPPS    $0x00, K_INF, Y0, Y3     // a == +Inf
	NEGLOG(Y0, Y1, Y4, Y5, Y6, Y7)
	VMOVUPS   K_INF, Y1
	VSUBPS    K_INF, Y1, Y1            // NaN
	VBLENDVPS Y3, K_NEGINF, Y1, Y1
	VBLENDVPS Y2, Y0, Y1, Y0
	VMOVUPS   Y0, (R15)(AX*1)
	VMAXPS    Y0, Y10, Y10             // m > x ? m : x
	ADDQ      $32, AX
	ADDQ      $4, BX
	DECQ      R12
	JNZ       lt_a

	// q_j = exp((x_j − m)·(1/τ)), s += q_j
	XORQ AX, AX
	MOVQ CX, R12

lt_b:
	VMOVUPS (R15)(AX*1), Y0
	VSUBPS  Y10, Y0, Y0
	VMULPS  Y8, Y0, Y0
	EXP(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (R15)(AX*1)
	VADDPS  Y0, Y12, Y12
	ADDQ    $32, AX
	DECQ    R12
	JNZ     lt_b

	VMOVUPS K_ONE, Y0
	VDIVPS  Y12, Y0, Y12 // 1/s

	// t += (q_j·(1/s))·g_j; d = t
	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

lt_c:
	VMULPS       (R15)(AX*1), Y12, Y0
	VBROADCASTSS (R8)(BX*1), Y1
	VMULPS       Y1, Y0, Y0
	VADDPS       Y0, Y11, Y11
	ADDQ         $32, AX
	ADDQ         $4, BX
	DECQ         R12
	JNZ          lt_c

	XORQ AX, AX
	XORQ BX, BX
	MOVQ CX, R12

lt_d:
	ACCUMULATE
	ADDQ $32, AX
	ADDQ $4, BX
	DECQ R12
	JNZ  lt_d

	ADDQ R13, SI
	SUBQ $8, R10
	JG   lt_group
	VZEROUPPER
	RET
