//go:build !purego && !noasm

#include "textflag.h"

// AVX-512 (F, VL) routines of the "avx512" table: the SGEMM micro-kernel
// and the row softmax. Stubs and Go wrappers are in avx512_amd64.go; the
// other row kernels of the table are the AVX2 ones (rows_amd64.s).

// ---------------------------------------------------------------------------
// GEMM micro-kernel, AVX-512, 20×16 tile.
//
// func gemm20x16AVX512(kc int, a, b, c []float32, ldc int, beta float32)
//
// Registers:
//	SI   packed A panel, 20 floats per k step (k-major)
//	DI   packed B panel, 16 floats per k step (k-major)
//	DX   C tile, row by row; R8 = ldc in bytes
//	CX   remaining k steps; BX remaining 4-step groups
//	Z0..Z19   accumulators, row i in Zi
//	Z30, Z31  B[p][0:16] (alternating, so the next load runs ahead)
// Each k step is one load of B and 20 FMAs whose A operand is a 4-byte
// memory broadcast: 21 loads per 20 FMAs, and 20 independent chains hide
// the FMA latency on one or two FMA ports.

// KSTEP does one k step reading A at offset ao and B at offset bo.
#define KSTEP(ao, bo, BR) \
	VMOVUPS (bo)(DI), BR; \
	VFMADD231PS.BCST (ao+0)(SI), BR, Z0; \
	VFMADD231PS.BCST (ao+4)(SI), BR, Z1; \
	VFMADD231PS.BCST (ao+8)(SI), BR, Z2; \
	VFMADD231PS.BCST (ao+12)(SI), BR, Z3; \
	VFMADD231PS.BCST (ao+16)(SI), BR, Z4; \
	VFMADD231PS.BCST (ao+20)(SI), BR, Z5; \
	VFMADD231PS.BCST (ao+24)(SI), BR, Z6; \
	VFMADD231PS.BCST (ao+28)(SI), BR, Z7; \
	VFMADD231PS.BCST (ao+32)(SI), BR, Z8; \
	VFMADD231PS.BCST (ao+36)(SI), BR, Z9; \
	VFMADD231PS.BCST (ao+40)(SI), BR, Z10; \
	VFMADD231PS.BCST (ao+44)(SI), BR, Z11; \
	VFMADD231PS.BCST (ao+48)(SI), BR, Z12; \
	VFMADD231PS.BCST (ao+52)(SI), BR, Z13; \
	VFMADD231PS.BCST (ao+56)(SI), BR, Z14; \
	VFMADD231PS.BCST (ao+60)(SI), BR, Z15; \
	VFMADD231PS.BCST (ao+64)(SI), BR, Z16; \
	VFMADD231PS.BCST (ao+68)(SI), BR, Z17; \
	VFMADD231PS.BCST (ao+72)(SI), BR, Z18; \
	VFMADD231PS.BCST (ao+76)(SI), BR, Z19

// STOREROW stores one accumulator row to C and moves DX on.
#define STOREROW(acc) \
	VMOVUPS acc, (DX); \
	ADDQ    R8, DX

// UPDATEROW sets C row = acc + beta*C (beta in Z31; the product rounded on
// its own, as in the Go twin) and moves DX on.
#define UPDATEROW(acc) \
	VMULPS  (DX), Z31, Z30; \
	VADDPS  Z30, acc, acc; \
	VMOVUPS acc, (DX); \
	ADDQ    R8, DX

TEXT ·gemm20x16AVX512(SB), NOSPLIT, $0-92
	MOVQ kc+0(FP), CX
	MOVQ a_base+8(FP), SI
	MOVQ b_base+32(FP), DI
	MOVQ c_base+56(FP), DX
	MOVQ ldc+80(FP), R8
	SHLQ $2, R8

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   g5_tail

g5_loop4:
	KSTEP(0, 0, Z30)
	KSTEP(80, 64, Z31)
	KSTEP(160, 128, Z30)
	KSTEP(240, 192, Z31)
	ADDQ $320, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  g5_loop4

g5_tail:
	ANDQ $3, CX
	JZ   g5_write

g5_loop1:
	KSTEP(0, 0, Z30)
	ADDQ $80, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  g5_loop1

g5_write:
	// beta == 0 (either sign) stores without reading C; NaN takes the
	// update path like the Go comparison does.
	VMOVSS   beta+88(FP), X30
	VXORPS   X31, X31, X31
	VUCOMISS X31, X30
	JNE      g5_update
	JPS      g5_update

	STOREROW(Z0)
	STOREROW(Z1)
	STOREROW(Z2)
	STOREROW(Z3)
	STOREROW(Z4)
	STOREROW(Z5)
	STOREROW(Z6)
	STOREROW(Z7)
	STOREROW(Z8)
	STOREROW(Z9)
	STOREROW(Z10)
	STOREROW(Z11)
	STOREROW(Z12)
	STOREROW(Z13)
	STOREROW(Z14)
	STOREROW(Z15)
	STOREROW(Z16)
	STOREROW(Z17)
	STOREROW(Z18)
	STOREROW(Z19)
	VZEROUPPER
	RET

g5_update:
	VBROADCASTSS beta+88(FP), Z31
	UPDATEROW(Z0)
	UPDATEROW(Z1)
	UPDATEROW(Z2)
	UPDATEROW(Z3)
	UPDATEROW(Z4)
	UPDATEROW(Z5)
	UPDATEROW(Z6)
	UPDATEROW(Z7)
	UPDATEROW(Z8)
	UPDATEROW(Z9)
	UPDATEROW(Z10)
	UPDATEROW(Z11)
	UPDATEROW(Z12)
	UPDATEROW(Z13)
	UPDATEROW(Z14)
	UPDATEROW(Z15)
	UPDATEROW(Z16)
	UPDATEROW(Z17)
	UPDATEROW(Z18)
	UPDATEROW(Z19)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Row softmax, AVX-512, 16 lanes. The constants are lane 0 of the 8-lane
// splats in ·rowConsts (rows_amd64.go, values from expf.go), read with an
// embedded {1to16} broadcast.

#define C_CUTOFF ·rowConsts+0(SB)
#define C_LOG2E ·rowConsts+32(SB)
#define C_C1 ·rowConsts+64(SB)
#define C_C2 ·rowConsts+96(SB)
#define C_EP0 ·rowConsts+128(SB)
#define C_EP1 ·rowConsts+160(SB)
#define C_EP2 ·rowConsts+192(SB)
#define C_EP3 ·rowConsts+224(SB)
#define C_EP4 ·rowConsts+256(SB)
#define C_EP5 ·rowConsts+288(SB)
#define C_ONE ·rowConsts+320(SB)

// EXP16 replaces X by expf32(X) in each of its 16 lanes, the operations of
// rows_amd64.s's EXP (and so of the twin) one for one, using K, R, P as
// scratch and the mask register M:
//
//	M = !(X < cutoff) (NLT_UQ: true for NaN, so NaN lanes keep their NaN)
//	k = round-half-even(X*log2e); r = X - k*c1; r = r - k*c2
//	p = P0; p = p*r + Pi (i = 1..5); y = p*(r*r) + r; y = y + 1
//	X = M ? y*2^k : +0
//
// VRNDSCALEPS $0 is VROUNDPS $0 (nearest even); 2^k is added to the
// exponent bits as in EXP.
#define EXP16(X, K, R, P, M) \
	VCMPPS.BCST       $0x15, C_CUTOFF, X, M; \
	VMULPS.BCST       C_LOG2E, X, K; \
	VRNDSCALEPS       $0, K, K; \
	VFNMADD231PS.BCST C_C1, K, X; \
	VFNMADD231PS.BCST C_C2, K, X; \
	VBROADCASTSS      C_EP0, P; \
	VFMADD213PS.BCST  C_EP1, X, P; \
	VFMADD213PS.BCST  C_EP2, X, P; \
	VFMADD213PS.BCST  C_EP3, X, P; \
	VFMADD213PS.BCST  C_EP4, X, P; \
	VFMADD213PS.BCST  C_EP5, X, P; \
	VMULPS            X, X, R; \
	VFMADD213PS       X, R, P; \
	VADDPS.BCST       C_ONE, P, P; \
	VCVTPS2DQ         K, K; \
	VPSLLD            $23, K, K; \
	VPADDD            K, P, P; \
	VMOVAPS.Z         P, M, X

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
	VBROADCASTSS C_ONE, Y1
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
	VBROADCASTSS C_ONE, Z17

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
