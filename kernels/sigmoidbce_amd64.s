//go:build !purego && !noasm

#include "textflag.h"

// The fused sigmoid + binary cross-entropy in AVX2+FMA and, at the end, in
// AVX-512. Each mirrors its Go twin (sigmoidbce.go) operation for
// operation; the stubs are in sigmoidbce_amd64.go. Constants are 8-lane
// splats used as memory operands: ·rowConsts (names in rowmath_amd64.h)
// and ·elemConsts.

#include "rowmath_amd64.h"


// ---------------------------------------------------------------------------
// func bceAVX2(dz, z, x []float32, scale float32, acc [8]float64) [8]float64
//
// Each element is one long dependency chain (an exp, a division, a log),
// longer than the out-of-order window holds, so the work runs in blocks of
// up to 4 vectors in three phases with short chains, through 384 bytes of
// stack: T = exp(-|z|), then Q = 1/u and L = l = c·q + log u (u = 1 + t,
// c = t - (u - 1)), then everything else (bceElem, lane by lane):
//
//	near = S ? 0 : -l, far = S ? -100 : max(-|z| - l, -100),
//	S (sign bit) = (u == 1 && z not negative) || z <= -88.7228,
//	lp/l1p = blend of near/far on the sign of z, e = x·lp + (1-x)·l1p,
//	acc += e (float64, lanes 0-3 in Y13, 4-7 in Y14),
//	dz = scale·(S ? 0 : (neg ? r - x : (1-x) - r)·min(r·q·1e12, 1)), r = t·q.
//
// Registers: SI z, DX x, DI dz (R8 = len(dz), 0: no gradient) at the
// block; CX vectors left; R10 vectors in the block, R14 its bytes; R11 byte
// offset in the block; R13 the scratch (T at 0, Q at 128, L at 256).
// Y12 = -100, Y15 = scale.
TEXT ·bceAVX2(SB), NOSPLIT, $384-208
	MOVQ         dz_base+0(FP), DI
	MOVQ         dz_len+8(FP), R8
	MOVQ         z_base+24(FP), SI
	MOVQ         z_len+32(FP), CX
	MOVQ         x_base+48(FP), DX
	VBROADCASTSS scale+72(FP), Y15
	VMOVUPD      acc_0+80(FP), Y13
	VMOVUPD      acc_4+112(FP), Y14
	VMOVUPS      E_M100, Y12
	LEAQ         0(SP), R13
	SHRQ         $3, CX

bceblock:
	TESTQ CX, CX
	JZ    bcedone
	MOVQ  CX, R10
	CMPQ  R10, $4
	JLE   bcesized
	MOVQ  $4, R10

bcesized:
	MOVQ R10, R14
	SHLQ $5, R14
	XORQ R11, R11

bcephase1:
	VMOVUPS (SI)(R11*1), Y0
	VORPS   K_SIGN, Y0, Y0
	EXP(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (R13)(R11*1)
	ADDQ    $32, R11
	CMPQ    R11, R14
	JLT     bcephase1
	XORQ    R11, R11

bcephase2:
	VMOVUPS (R13)(R11*1), Y0
	VADDPS  K_ONE, Y0, Y1
	VSUBPS  K_ONE, Y1, Y2
	VSUBPS  Y2, Y0, Y2
	VMOVUPS K_ONE, Y3
	VDIVPS  Y1, Y3, Y3
	VMULPS  Y3, Y2, Y2
	VMOVUPS Y3, 128(R13)(R11*1)
	NEGLOG(Y1, Y4, Y5, Y6, Y7, Y8)
	VSUBPS  Y1, Y2, Y2
	VMOVUPS Y2, 256(R13)(R11*1)
	ADDQ    $32, R11
	CMPQ    R11, R14
	JLT     bcephase2
	XORQ    R11, R11

bcephase3:
	VMOVUPS   (SI)(R11*1), Y0
	VORPS     K_SIGN, Y0, Y1
	VMOVUPS   (R13)(R11*1), Y2
	VMOVUPS   128(R13)(R11*1), Y5
	VMOVUPS   256(R13)(R11*1), Y4
	VADDPS    K_ONE, Y2, Y3
	VCMPPS    $0, K_ONE, Y3, Y6
	VXORPS    K_SIGN, Y4, Y7
	VSUBPS    Y4, Y1, Y8
	VMAXPS    Y8, Y12, Y8
	VANDNPS   Y6, Y0, Y9
	VCMPPS    $2, E_NEGT, Y0, Y10
	VORPS     Y10, Y9, Y9
	VBLENDVPS Y9, Y12, Y8, Y8
	VXORPS    Y10, Y10, Y10
	VBLENDVPS Y9, Y10, Y7, Y7
	VBLENDVPS Y0, Y8, Y7, Y10
	VBLENDVPS Y0, Y7, Y8, Y11
	VMOVUPS   (DX)(R11*1), Y3
	VMOVUPS   K_ONE, Y4
	VSUBPS    Y3, Y4, Y4
	VMULPS    Y3, Y10, Y10
	VMULPS    Y4, Y11, Y11
	VADDPS    Y11, Y10, Y10
	VCVTPS2PD X10, Y6
	VADDPD    Y6, Y13, Y13
	VEXTRACTF128 $1, Y10, X10
	VCVTPS2PD X10, Y6
	VADDPD    Y6, Y14, Y14
	TESTQ     R8, R8
	JZ        bcenext

	// Gradient: r = t·q; g = neg ? r - x : (1-x) - r;
	// g *= min(r·q·1e12, 1); g = S ? 0 : g; dz = scale·g.
	VMULPS    Y5, Y2, Y6
	VSUBPS    Y3, Y6, Y7
	VSUBPS    Y6, Y4, Y8
	VBLENDVPS Y0, Y7, Y8, Y7
	VMULPS    Y5, Y6, Y6
	VMULPS    E_1E12, Y6, Y6
	VMINPS    K_ONE, Y6, Y6
	VMULPS    Y6, Y7, Y7
	VXORPS    Y8, Y8, Y8
	VBLENDVPS Y9, Y8, Y7, Y7
	VMULPS    Y15, Y7, Y7
	VMOVUPS   Y7, (DI)(R11*1)

bcenext:
	ADDQ $32, R11
	CMPQ R11, R14
	JLT  bcephase3
	ADDQ R14, SI
	ADDQ R14, DX
	ADDQ R14, DI
	SUBQ R10, CX
	JMP  bceblock

bcedone:
	VMOVUPD    Y13, ret_0+144(FP)
	VMOVUPD    Y14, ret_4+176(FP)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func bce16AVX512(dz, z, x []float32, scale float32, acc [8]float64) [8]float64
//
// bceAVX2 (above) 16 lanes at a time, the same operations
// with EXP16 and NEGLOG16 and mask registers for the blends, in blocks of
// up to 4 vectors through 768 bytes of stack (T at 0, Q at 256, L at 512).
// The losses go into the twin's 8 float64 lanes (Z13): a vector's low 8
// elements, then its high 8, so lane l gets elements l, l+8, l+16, ... in
// index order, as in bceAVX2.
//
// Registers: SI z, DX x, DI dz (R8 = len(dz), 0: no gradient) at the
// block; CX vectors left; R10 vectors in the block, R14 its bytes; R11 byte
// offset in the block; R13 the scratch. Z12 = -100, Z15 = scale; K2 = z
// negative (sign bit), K3 = S (saturated).
TEXT ·bce16AVX512(SB), NOSPLIT, $768-208
	MOVQ         dz_base+0(FP), DI
	MOVQ         dz_len+8(FP), R8
	MOVQ         z_base+24(FP), SI
	MOVQ         z_len+32(FP), CX
	MOVQ         x_base+48(FP), DX
	VBROADCASTSS scale+72(FP), Z15
	VMOVUPD      acc_0+80(FP), Y13
	VMOVUPD      acc_4+112(FP), Y14
	VINSERTF64X4 $1, Y14, Z13, Z13
	VBROADCASTSS E_M100, Z12
	LEAQ         0(SP), R13
	SHRQ         $4, CX

b16block:
	TESTQ CX, CX
	JZ    b16done
	MOVQ  CX, R10
	CMPQ  R10, $4
	JLE   b16sized
	MOVQ  $4, R10

b16sized:
	MOVQ R10, R14
	SHLQ $6, R14
	XORQ R11, R11

b16phase1:
	VMOVUPS     (SI)(R11*1), Z0
	VPORD.BCST  K_SIGN, Z0, Z0
	EXP16(Z0, Z1, Z2, Z3, K1)
	VMOVUPS     Z0, (R13)(R11*1)
	ADDQ        $64, R11
	CMPQ        R11, R14
	JLT         b16phase1
	XORQ        R11, R11

b16phase2:
	VMOVUPS      (R13)(R11*1), Z0
	VADDPS.BCST  K_ONE, Z0, Z1
	VSUBPS.BCST  K_ONE, Z1, Z2
	VSUBPS       Z2, Z0, Z2
	VBROADCASTSS K_ONE, Z3
	VDIVPS       Z1, Z3, Z3
	VMULPS       Z3, Z2, Z2
	VMOVUPS      Z3, 256(R13)(R11*1)
	NEGLOG16(Z1, Z4, Z5, Z6, Z7, Z8, K1)
	VSUBPS       Z1, Z2, Z2
	VMOVUPS      Z2, 512(R13)(R11*1)
	ADDQ         $64, R11
	CMPQ         R11, R14
	JLT          b16phase2
	XORQ         R11, R11

b16phase3:
	VMOVUPS      (SI)(R11*1), Z0
	VPORD.BCST   K_SIGN, Z0, Z1
	VMOVUPS      (R13)(R11*1), Z2
	VMOVUPS      256(R13)(R11*1), Z5
	VMOVUPS      512(R13)(R11*1), Z4
	VADDPS.BCST  K_ONE, Z2, Z3
	VCMPPS.BCST  $0, K_ONE, Z3, K1
	VPTESTMD.BCST K_SIGN, Z0, K2
	KANDNW       K1, K2, K3
	VCMPPS.BCST  $2, E_NEGT, Z0, K4
	KORW         K4, K3, K3
	VPXORD.BCST  K_SIGN, Z4, Z7
	VSUBPS       Z4, Z1, Z8
	VMAXPS       Z8, Z12, Z8
	VMOVAPS      Z12, K3, Z8
	VPXORD       Z10, Z10, Z10
	VMOVAPS      Z10, K3, Z7
	VMOVAPS      Z7, Z10
	VMOVAPS      Z8, K2, Z10
	VMOVAPS      Z8, Z11
	VMOVAPS      Z7, K2, Z11
	VMOVUPS      (DX)(R11*1), Z3
	VBROADCASTSS K_ONE, Z4
	VSUBPS       Z3, Z4, Z4
	VMULPS       Z3, Z10, Z10
	VMULPS       Z4, Z11, Z11
	VADDPS       Z11, Z10, Z10
	VCVTPS2PD    Y10, Z6
	VADDPD       Z6, Z13, Z13
	VEXTRACTF64X4 $1, Z10, Y10
	VCVTPS2PD    Y10, Z6
	VADDPD       Z6, Z13, Z13
	TESTQ        R8, R8
	JZ           b16next

	// Gradient: r = t·q; g = neg ? r - x : (1-x) - r;
	// g *= min(r·q·1e12, 1); g = S ? 0 : g; dz = scale·g.
	VMULPS      Z5, Z2, Z6
	VSUBPS      Z3, Z6, Z7
	VSUBPS      Z6, Z4, Z8
	KNOTW       K2, K5
	VMOVAPS     Z8, K5, Z7
	VMULPS      Z5, Z6, Z6
	VMULPS.BCST E_1E12, Z6, Z6
	VMINPS.BCST K_ONE, Z6, Z6
	VMULPS      Z6, Z7, Z7
	VPXORD      Z8, Z8, Z8
	VMOVAPS     Z8, K3, Z7
	VMULPS      Z15, Z7, Z7
	VMOVUPS     Z7, (DI)(R11*1)

b16next:
	ADDQ $64, R11
	CMPQ R11, R14
	JLT  b16phase3
	ADDQ R14, SI
	ADDQ R14, DX
	ADDQ R14, DI
	SUBQ R10, CX
	JMP  b16block

b16done:
	VEXTRACTF64X4 $1, Z13, Y14
	VMOVUPD       Y13, ret_0+144(FP)
	VMOVUPD       Y14, ret_4+176(FP)
	VZEROUPPER
	RET
