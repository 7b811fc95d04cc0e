//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_amd64.h"

// The conditional-Gumbel kernels of condgumbel.go and the Jacobian average
// of avgjacobian.go in AVX2 (cgAvgJAVX2, avgJacAVX2, cgLogitsAVX2), and the
// logits in AVX-512 (cgLogitsAVX512) at the end; the stubs are in
// condgumbel_amd64.go. The fused avgJ first: each step mirrors
// cgAvgJGeneric, separate multiplies and adds (no FMA), lane sums reduced
// as ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)).


// HSUM reduces the eight lanes of Y (X its low half) into the low float of
// X, using A and B as scratch.
#define HSUM(Y, X, A, B) \
	VEXTRACTF128 $1, Y, A; \
	VADDPS       A, X, A; \
	VMOVHLPS     A, A, B; \
	VADDPS       B, A, B; \
	VMOVSHDUP    B, A; \
	VADDSS       A, B, X

// func cgAvgJAVX2(avg, e, w, g []float32, i, K int, z float32, tail *[8]int32)
//
// Registers: DI avg, SI the current row of e, DX w, R8 g, CX C, R9 i,
// R10 rows left, R11 full vectors per row, R12 C%8, R13 bytes per row,
// AX byte offset, BX vectors left; Y15 the masked last vector of avg (kept
// in a register to the end, as in avgJacAVX2), Y14 1, Y13 tail mask, Y11
// e_ki/z, Y9/Y10 lane sums of r and r·g, Y7 1/s, Y8 p·g; 1e-20 is added
// from memory.
//
// Each sample is a chain of dependent steps (two divisions, two lane
// reductions), so rows go in pairs: R14 the second row of a pair, with Y12
// its e_ki/z, Y5/Y6 its lane sums, Y3 its 1/s and Y4 its p·g. The pair's
// contributions are added to avg in row order, as the twin adds them.
TEXT ·cgAvgJAVX2(SB), NOSPLIT, $0-128
	MOVQ avg_base+0(FP), DI
	MOVQ avg_len+8(FP), CX
	MOVQ e_base+24(FP), SI
	MOVQ w_base+48(FP), DX
	MOVQ g_base+72(FP), R8
	MOVQ i+96(FP), R9
	MOVQ K+104(FP), R10
	MOVQ tail+120(FP), AX
	VMOVDQU (AX), Y13
	VMOVUPS K_ONE, Y14
	MOVQ CX, R11
	SHRQ $3, R11
	MOVQ CX, R12
	ANDQ $7, R12
	MOVQ CX, R13
	SHLQ $2, R13

	// avg = 0
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX
	MOVQ   R11, BX
	TESTQ  BX, BX
	JZ     cg_zero_tail

cg_zero:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     cg_zero

cg_zero_tail:
	VXORPS Y15, Y15, Y15

cg_pair:
	CMPQ R10, $2
	JLT  cg_single
	LEAQ (SI)(R13*1), R14

	// ei = e[k][i] / z for both rows
	VMOVSS       (SI)(R9*4), X0
	VDIVSS       z+112(FP), X0, X0
	VBROADCASTSS X0, Y11
	VMOVSS       (R14)(R9*4), X0
	VDIVSS       z+112(FP), X0, X0
	VBROADCASTSS X0, Y12
	VXORPS       Y9, Y9, Y9
	VXORPS       Y10, Y10, Y10
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6

	// Pass 1 of both rows, as below.
	XORQ  AX, AX
	MOVQ  R11, BX
	TESTQ BX, BX
	JZ    cp_p1_tail

cp_p1:
	VMOVUPS (DX)(AX*1), Y2
	VMULPS  (SI)(AX*1), Y2, Y0
	VADDPS  Y11, Y0, Y0
	VADDPS  K_CGEPS8, Y0, Y0
	VDIVPS  Y0, Y14, Y0
	VMOVUPS Y0, (SI)(AX*1)
	VADDPS  Y0, Y9, Y9
	VMULPS  (R8)(AX*1), Y0, Y1
	VADDPS  Y1, Y10, Y10
	VMULPS  (R14)(AX*1), Y2, Y2
	VADDPS  Y12, Y2, Y2
	VADDPS  K_CGEPS8, Y2, Y2
	VDIVPS  Y2, Y14, Y2
	VMOVUPS Y2, (R14)(AX*1)
	VADDPS  Y2, Y5, Y5
	VMULPS  (R8)(AX*1), Y2, Y1
	VADDPS  Y1, Y6, Y6
	ADDQ    $32, AX
	DECQ    BX
	JNZ     cp_p1

cp_p1_tail:
	TESTQ      R12, R12
	JZ         cp_sums
	VMASKMOVPS (DX)(AX*1), Y13, Y2
	VMASKMOVPS (R8)(AX*1), Y13, Y1
	VMASKMOVPS (SI)(AX*1), Y13, Y0
	VMULPS     Y2, Y0, Y0
	VADDPS     Y11, Y0, Y0
	VADDPS     K_CGEPS8, Y0, Y0
	VDIVPS     Y0, Y14, Y0
	VANDPS     Y13, Y0, Y0
	VMASKMOVPS Y0, Y13, (SI)(AX*1)
	VADDPS     Y0, Y9, Y9
	VMULPS     Y1, Y0, Y0
	VADDPS     Y0, Y10, Y10
	VMASKMOVPS (R14)(AX*1), Y13, Y0
	VMULPS     Y2, Y0, Y0
	VADDPS     Y12, Y0, Y0
	VADDPS     K_CGEPS8, Y0, Y0
	VDIVPS     Y0, Y14, Y0
	VANDPS     Y13, Y0, Y0
	VMASKMOVPS Y0, Y13, (R14)(AX*1)
	VADDPS     Y0, Y5, Y5
	VMULPS     Y1, Y0, Y0
	VADDPS     Y0, Y6, Y6

cp_sums:
	HSUM(Y9, X9, X1, X2)
	HSUM(Y10, X10, X1, X2)
	HSUM(Y5, X5, X1, X2)
	HSUM(Y6, X6, X1, X2)
	VMOVSS       K_ONE, X0
	VDIVSS       X9, X0, X7    // 1/s of the first row
	VMULSS       X7, X10, X8   // its d
	VDIVSS       X5, X0, X3    // 1/s of the second
	VMULSS       X3, X6, X4    // its d
	VBROADCASTSS X7, Y7
	VBROADCASTSS X8, Y8
	VBROADCASTSS X3, Y3
	VBROADCASTSS X4, Y4

	// Pass 2: avg = (avg + (pA*g - pA*dA)) + (pB*g - pB*dB).
	XORQ  AX, AX
	MOVQ  R11, BX
	TESTQ BX, BX
	JZ    cp_p2_tail

cp_p2:
	VMOVUPS (R8)(AX*1), Y2
	VMULPS  (SI)(AX*1), Y7, Y0
	VMULPS  Y2, Y0, Y1
	VMULPS  Y8, Y0, Y0
	VSUBPS  Y0, Y1, Y1
	VADDPS  (DI)(AX*1), Y1, Y1
	VMULPS  (R14)(AX*1), Y3, Y0
	VMULPS  Y2, Y0, Y2
	VMULPS  Y4, Y0, Y0
	VSUBPS  Y0, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     cp_p2

cp_p2_tail:
	TESTQ      R12, R12
	JZ         cp_next
	VMASKMOVPS (R8)(AX*1), Y13, Y2
	VMASKMOVPS (SI)(AX*1), Y13, Y0
	VMULPS     Y0, Y7, Y0
	VMULPS     Y2, Y0, Y1
	VMULPS     Y8, Y0, Y0
	VSUBPS     Y0, Y1, Y1
	VADDPS     Y1, Y15, Y15
	VMASKMOVPS (R14)(AX*1), Y13, Y0
	VMULPS     Y0, Y3, Y0
	VMULPS     Y2, Y0, Y2
	VMULPS     Y4, Y0, Y0
	VSUBPS     Y0, Y2, Y2
	VADDPS     Y2, Y15, Y15

cp_next:
	LEAQ (R14)(R13*1), SI
	SUBQ $2, R10
	JMP  cg_pair

cg_single:
	TESTQ R10, R10
	JZ    cg_done

cg_row:
	// ei = e[k][i] / z
	VMOVSS       (SI)(R9*4), X0
	VDIVSS       z+112(FP), X0, X0
	VBROADCASTSS X0, Y11
	VXORPS       Y9, Y9, Y9
	VXORPS       Y10, Y10, Y10

	// Pass 1: r = 1/((e*w + ei) + 1e-20), stored over e; lane sums of r
	// and r*g.
	XORQ  AX, AX
	MOVQ  R11, BX
	TESTQ BX, BX
	JZ    cg_p1_tail

cg_p1:
	VMOVUPS (SI)(AX*1), Y0
	VMULPS  (DX)(AX*1), Y0, Y0
	VADDPS  Y11, Y0, Y0
	VADDPS  K_CGEPS8, Y0, Y0
	VDIVPS  Y0, Y14, Y0
	VMOVUPS Y0, (SI)(AX*1)
	VADDPS  Y0, Y9, Y9
	VMULPS  (R8)(AX*1), Y0, Y1
	VADDPS  Y1, Y10, Y10
	ADDQ    $32, AX
	DECQ    BX
	JNZ     cg_p1

cg_p1_tail:
	TESTQ      R12, R12
	JZ         cg_sums
	VMASKMOVPS (SI)(AX*1), Y13, Y0
	VMASKMOVPS (DX)(AX*1), Y13, Y2
	VMULPS     Y2, Y0, Y0
	VADDPS     Y11, Y0, Y0
	VADDPS     K_CGEPS8, Y0, Y0
	VDIVPS     Y0, Y14, Y0
	VANDPS     Y13, Y0, Y0     // lanes past C: 0
	VMASKMOVPS Y0, Y13, (SI)(AX*1)
	VADDPS     Y0, Y9, Y9
	VMASKMOVPS (R8)(AX*1), Y13, Y1
	VMULPS     Y1, Y0, Y1
	VADDPS     Y1, Y10, Y10

cg_sums:
	HSUM(Y9, X9, X1, X2)
	HSUM(Y10, X10, X1, X2)
	VMOVSS       K_ONE, X0
	VDIVSS       X9, X0, X0    // 1/s
	VMULSS       X0, X10, X1   // d = t * (1/s)
	VBROADCASTSS X0, Y7
	VBROADCASTSS X1, Y8

	// Pass 2: p = r/s; avg += p*g - p*d.
	XORQ  AX, AX
	MOVQ  R11, BX
	TESTQ BX, BX
	JZ    cg_p2_tail

cg_p2:
	VMULPS  (SI)(AX*1), Y7, Y0
	VMULPS  (R8)(AX*1), Y0, Y1
	VMULPS  Y8, Y0, Y2
	VSUBPS  Y2, Y1, Y1
	VADDPS  (DI)(AX*1), Y1, Y1
	VMOVUPS Y1, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     cg_p2

cg_p2_tail:
	TESTQ      R12, R12
	JZ         cg_next
	VMASKMOVPS (SI)(AX*1), Y13, Y0
	VMULPS     Y0, Y7, Y0
	VMASKMOVPS (R8)(AX*1), Y13, Y1
	VMULPS     Y1, Y0, Y1
	VMULPS     Y8, Y0, Y2
	VSUBPS     Y2, Y1, Y1
	VADDPS     Y1, Y15, Y15

cg_next:
	LEAQ (SI)(CX*4), SI
	DECQ R10
	JNZ  cg_row

cg_done:
	TESTQ      R12, R12
	JZ         cg_ret
	MOVQ       R11, AX
	SHLQ       $5, AX
	VMASKMOVPS Y15, Y13, (DI)(AX*1)

cg_ret:
	VZEROUPPER
	RET

// func avgJacAVX2(avg, p, g []float32, K int, tail *[8]int32)
//
// Registers: DI avg, SI the current row of p, R8 g, CX C, R10 rows left,
// R11 full vectors per row, R12 C%8, AX byte offset, BX vectors left;
// Y13 tail mask, Y10 lane sums of p·g, Y8 p·g, Y12 the masked last vector
// of avg. That vector stays in a register until the end: a load cannot
// take its data from an earlier masked store, so a round trip through
// memory would stall every row.
TEXT ·avgJacAVX2(SB), NOSPLIT, $0-88
	MOVQ avg_base+0(FP), DI
	MOVQ avg_len+8(FP), CX
	MOVQ p_base+24(FP), SI
	MOVQ g_base+48(FP), R8
	MOVQ K+72(FP), R10
	MOVQ tail+80(FP), AX
	VMOVDQU (AX), Y13
	MOVQ CX, R11
	SHRQ $3, R11
	MOVQ CX, R12
	ANDQ $7, R12

	// avg = 0
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX
	MOVQ   R11, BX
	TESTQ  BX, BX
	JZ     aj_zero_tail

aj_zero:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     aj_zero

aj_zero_tail:
	VXORPS Y12, Y12, Y12

aj_row:
	// Pass 1: lane sums of p*g.
	VXORPS Y10, Y10, Y10
	XORQ   AX, AX
	MOVQ   R11, BX
	TESTQ  BX, BX
	JZ     aj_p1_tail

aj_p1:
	VMOVUPS (SI)(AX*1), Y0
	VMULPS  (R8)(AX*1), Y0, Y1
	VADDPS  Y1, Y10, Y10
	ADDQ    $32, AX
	DECQ    BX
	JNZ     aj_p1

aj_p1_tail:
	TESTQ      R12, R12
	JZ         aj_sum
	VMASKMOVPS (SI)(AX*1), Y13, Y0
	VMASKMOVPS (R8)(AX*1), Y13, Y1
	VMULPS     Y1, Y0, Y1
	VADDPS     Y1, Y10, Y10

aj_sum:
	HSUM(Y10, X10, X1, X2)
	VBROADCASTSS X10, Y8

	// Pass 2: avg += p*g - p*d.
	XORQ  AX, AX
	MOVQ  R11, BX
	TESTQ BX, BX
	JZ    aj_p2_tail

aj_p2:
	VMOVUPS (SI)(AX*1), Y0
	VMULPS  (R8)(AX*1), Y0, Y1
	VMULPS  Y8, Y0, Y2
	VSUBPS  Y2, Y1, Y1
	VADDPS  (DI)(AX*1), Y1, Y1
	VMOVUPS Y1, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     aj_p2

aj_p2_tail:
	TESTQ      R12, R12
	JZ         aj_next
	VMASKMOVPS (SI)(AX*1), Y13, Y0
	VMASKMOVPS (R8)(AX*1), Y13, Y1
	VMULPS     Y1, Y0, Y1
	VMULPS     Y8, Y0, Y2
	VSUBPS     Y2, Y1, Y1
	VADDPS     Y1, Y12, Y12

aj_next:
	LEAQ (SI)(CX*4), SI
	DECQ R10
	JNZ  aj_row

	TESTQ      R12, R12
	JZ         aj_done
	MOVQ       R11, AX
	SHLQ       $5, AX
	VMASKMOVPS Y12, Y13, (DI)(AX*1)

aj_done:
	VZEROUPPER
	RET

// func cgLogitsAVX2(e, w []float32, i, K int, z float32, tail *[8]int32)
//
// Registers: SI the current row of e, DX w, CX C, R9 i, R10 rows left, R11
// full vectors per row, R12 C%8, AX byte offset, BX vectors left; Y15
// 1e-20, Y13 tail mask, Y11 e_ki/z, Y0-Y7 a and CGNEGLOG's scratch. Rows do
// not depend on each other, so the out-of-order core overlaps one row's
// division with the next.
TEXT ·cgLogitsAVX2(SB), NOSPLIT, $0-80
	MOVQ         e_base+0(FP), SI
	MOVQ         w_base+24(FP), DX
	MOVQ         w_len+32(FP), CX
	MOVQ         i+48(FP), R9
	MOVQ         K+56(FP), R10
	MOVQ         tail+72(FP), AX
	VMOVDQU      (AX), Y13
	VMOVUPS      K_CGEPS8, Y15
	MOVQ         CX, R11
	SHRQ         $3, R11
	MOVQ         CX, R12
	ANDQ         $7, R12

cl_row:
	VMOVSS       (SI)(R9*4), X0
	VDIVSS       z+64(FP), X0, X0
	VBROADCASTSS X0, Y11
	XORQ         AX, AX
	MOVQ         R11, BX
	TESTQ        BX, BX
	JZ           cl_tail

cl_vec:
	VMOVUPS (SI)(AX*1), Y0
	VMULPS  (DX)(AX*1), Y0, Y0
	VADDPS  Y11, Y0, Y0
	VADDPS  Y15, Y0, Y0
	CGNEGLOG(Y0, Y2, Y3, Y1, Y4, Y5, Y6, Y7)
	VMOVUPS Y0, (SI)(AX*1)
	ADDQ    $32, AX
	DECQ    BX
	JNZ     cl_vec

cl_tail:
	TESTQ      R12, R12
	JZ         cl_next
	VMASKMOVPS (SI)(AX*1), Y13, Y0
	VMASKMOVPS (DX)(AX*1), Y13, Y1
	VMULPS     Y1, Y0, Y0
	VADDPS     Y11, Y0, Y0
	VADDPS     Y15, Y0, Y0
	CGNEGLOG(Y0, Y2, Y3, Y1, Y4, Y5, Y6, Y7)
	VMASKMOVPS Y0, Y13, (SI)(AX*1)

cl_next:
	LEAQ (SI)(CX*4), SI
	DECQ R10
	JNZ  cl_row
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Conditional-Gumbel logits, AVX-512: cgLogitsAVX2 with CGNEGLOG16 on 16
// categories at a time; a row's last C%16 categories go under the mask K4.
//
// func cgLogitsAVX512(e, w []float32, i, K int, z float32, tail *[8]int32)
//
// Registers: SI the current row of e, DX w, R13 row bytes, R9 i, R10 rows
// left, R11 whole vectors per row, AX byte offset, BX vectors left; Z15
// 1e-20, Z11 e_ki/z, K4 the last vector's lanes, Z0-Z5 and K1-K3 a and
// CGNEGLOG16's scratch. tail (the AVX2 routine's mask) is not used.
TEXT ·cgLogitsAVX512(SB), NOSPLIT, $0-80
	MOVQ         e_base+0(FP), SI
	MOVQ         w_base+24(FP), DX
	MOVQ         w_len+32(FP), R13
	MOVQ         i+48(FP), R9
	MOVQ         K+56(FP), R10
	VBROADCASTSS K_CGEPS8, Z15
	MOVQ         R13, R11
	SHRQ         $4, R11
	MOVQ         R13, CX
	ANDQ         $15, CX
	MOVL         $1, AX
	SHLL         CX, AX
	DECL         AX
	KMOVW        AX, K4
	SHLQ         $2, R13

zc_row:
	VMOVSS       (SI)(R9*4), X0
	VDIVSS       z+64(FP), X0, X0
	VBROADCASTSS X0, Z11
	XORQ         AX, AX
	MOVQ         R11, BX
	TESTQ        BX, BX
	JZ           zc_tail

zc_vec:
	VMOVUPS (SI)(AX*1), Z0
	VMULPS  (DX)(AX*1), Z0, Z0
	VADDPS  Z11, Z0, Z0
	VADDPS  Z15, Z0, Z0
	CGNEGLOG16(Z0, K1, K2, K3, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z0, (SI)(AX*1)
	ADDQ    $64, AX
	DECQ    BX
	JNZ     zc_vec

zc_tail:
	KORTESTW  K4, K4
	JZ        zc_next
	VMOVUPS.Z (SI)(AX*1), K4, Z0
	VMULPS.Z  (DX)(AX*1), Z0, K4, Z0
	VADDPS    Z11, Z0, Z0
	VADDPS    Z15, Z0, Z0
	CGNEGLOG16(Z0, K1, K2, K3, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS   Z0, K4, (SI)(AX*1)

zc_next:
	ADDQ R13, SI
	DECQ R10
	JNZ  zc_row
	VZEROUPPER
	RET
