//go:build !purego && !noasm

#include "textflag.h"
#include "gemmpack_amd64.h"
#include "rowmath_amd64.h"

// AVX-512 (F, VL) routines of the "avx512" table: the SGEMM micro-kernels
// (plain and packing B), the row softmax, the -log of the random draws and
// NegLog, the conditional-Gumbel logits, the lane kernel of
// CondGumbelAvgJTau at τ ≠ 1, SigmoidBCE and the xoshiro steps. Stubs and
// Go wrappers are in avx512_amd64.go; the table's other kernels are the
// AVX2 ones.

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

// FMA20 does the 20 FMAs of one k step: row i of the tile gets A at offset
// ao+4i (broadcast) times the B vector in BR.
#define FMA20(ao, BR) \
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

// KSTEP does one k step reading A at offset ao and B at offset bo.
#define KSTEP(ao, bo, BR) \
	VMOVUPS (bo)(DI), BR; \
	FMA20(ao, BR)

// ZERO20 clears the accumulators Z0..Z19.
#define ZERO20 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19

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

// STORE20 stores the 20 accumulator rows to C (beta = 0).
#define STORE20 \
	STOREROW(Z0); \
	STOREROW(Z1); \
	STOREROW(Z2); \
	STOREROW(Z3); \
	STOREROW(Z4); \
	STOREROW(Z5); \
	STOREROW(Z6); \
	STOREROW(Z7); \
	STOREROW(Z8); \
	STOREROW(Z9); \
	STOREROW(Z10); \
	STOREROW(Z11); \
	STOREROW(Z12); \
	STOREROW(Z13); \
	STOREROW(Z14); \
	STOREROW(Z15); \
	STOREROW(Z16); \
	STOREROW(Z17); \
	STOREROW(Z18); \
	STOREROW(Z19)

// UPDATE20 sets the 20 rows of C to acc + beta*C (beta in Z31).
#define UPDATE20 \
	UPDATEROW(Z0); \
	UPDATEROW(Z1); \
	UPDATEROW(Z2); \
	UPDATEROW(Z3); \
	UPDATEROW(Z4); \
	UPDATEROW(Z5); \
	UPDATEROW(Z6); \
	UPDATEROW(Z7); \
	UPDATEROW(Z8); \
	UPDATEROW(Z9); \
	UPDATEROW(Z10); \
	UPDATEROW(Z11); \
	UPDATEROW(Z12); \
	UPDATEROW(Z13); \
	UPDATEROW(Z14); \
	UPDATEROW(Z15); \
	UPDATEROW(Z16); \
	UPDATEROW(Z17); \
	UPDATEROW(Z18); \
	UPDATEROW(Z19)

// WRITE20 finishes a 20×16 kernel whose beta is at beta(FP): C = acc when
// beta == 0 (either sign; C is not read), else acc + beta*C (NaN takes
// this path, as the Go comparison does); upd names the second path's
// label.
#define WRITE20(beta, upd) \
	VMOVSS       beta, X30; \
	VXORPS       X31, X31, X31; \
	VUCOMISS     X31, X30; \
	JNE          upd; \
	JPS          upd; \
	STORE20; \
	VZEROUPPER; \
	RET; \
upd: \
	VBROADCASTSS beta, Z31; \
	UPDATE20; \
	VZEROUPPER; \
	RET

TEXT ·gemm20x16AVX512(SB), NOSPLIT, $0-92
	MOVQ kc+0(FP), CX
	MOVQ a_base+8(FP), SI
	MOVQ b_base+32(FP), DI
	MOVQ c_base+56(FP), DX
	MOVQ ldc+80(FP), R8
	SHLQ $2, R8

	ZERO20

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
	WRITE20(beta+88(FP), g5_update)

// ---------------------------------------------------------------------------
// func gemm20x16IdxAVX512(idx []int32, a, b, c []float32, ldc int, beta float32)
//
// gemm20x16AVX512 over the k steps listed in idx only, in their order: step
// p = idx[t] reads A at a[20p:] and B at b[16p:] of the full packed panels.
// The driver lists the steps where the sparse operand's panel is not all
// zero, so the FMAs left out would each have added ±0 to an accumulator.
//
// Registers as gemm20x16AVX512, except: R9 the next index, CX the indices
// left, R10 and R11 the bases of the A and B panels, AX the step's B
// offset.
TEXT ·gemm20x16IdxAVX512(SB), NOSPLIT, $0-108
	IDXARGS

	ZERO20

	TESTQ CX, CX
	JZ    gi5_write

gi5_loop:
	MOVLQSX (R9), AX
	LEAQ    (AX)(AX*4), SI
	SHLQ    $4, SI
	ADDQ    R10, SI
	SHLQ    $6, AX
	VMOVUPS (R11)(AX*1), Z30
	FMA20(0, Z30)
	ADDQ    $4, R9
	DECQ    CX
	JNZ     gi5_loop

gi5_write:
	WRITE20(beta+104(FP), gi5_update)

// ---------------------------------------------------------------------------
// func gemm20x16PackAVX512(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)
//
// gemm20x16AVX512 with B read from its stored rows (ldb apart) instead of
// a packed panel, each row's 16 floats also written to the packed panel pb
// for the tile's other row panels: the B panel is packed inside the FMA
// loop's spare load and store slots. Same FMA order, so the same bits.
//
// Registers as gemm20x16AVX512, except:
//	R10  B row of the next k step; R11 = ldb, R12 = 2·ldb, R13 = 3·ldb,
//	R14 = 4·ldb, all in bytes
//	DI   packed panel pb, 16 floats per k step

// KSTEPPACK does one k step reading B at bsrc and storing it at bo(DI).
#define KSTEPPACK(ao, bo, BR, bsrc) \
	VMOVUPS bsrc, BR; \
	VMOVUPS BR, (bo)(DI); \
	FMA20(ao, BR)

TEXT ·gemm20x16PackAVX512(SB), NOSPLIT, $0-124
	PACKARGS

	ZERO20

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   gp_tail

gp_loop4:
	KSTEPPACK(0, 0, Z30, (R10))
	KSTEPPACK(80, 64, Z31, (R10)(R11*1))
	KSTEPPACK(160, 128, Z30, (R10)(R12*1))
	KSTEPPACK(240, 192, Z31, (R10)(R13*1))
	ADDQ $320, SI
	ADDQ $256, DI
	ADDQ R14, R10
	DECQ BX
	JNZ  gp_loop4

gp_tail:
	ANDQ $3, CX
	JZ   gp_write

gp_loop1:
	KSTEPPACK(0, 0, Z30, (R10))
	ADDQ $80, SI
	ADDQ $64, DI
	ADDQ R11, R10
	DECQ CX
	JNZ  gp_loop1

gp_write:
	WRITE20(beta+120(FP), gp_update)

// ---------------------------------------------------------------------------
// func gemm20x16PackTAVX512(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)
//
// gemm20x16AVX512 with B transposed: the panel's element (p, j) is
// b[j*ldb+p], 16 stored rows read 4 floats at a time and transposed in
// registers, then written to the packed panel pb for the tile's other row
// panels. Same FMA order, so the same bits. kc%4 == 0.
//
// Registers as gemm20x16AVX512, except:
//	R10  rows 0-7 of B at the next k step, R9 rows 8-15; R11 = ldb,
//	R12 = 3·ldb, R13 = 5·ldb, R14 = 7·ldb, all in bytes
//	DI   packed panel pb, 16 floats per k step
//	Z20..Z23  4 k steps of rows 0-3, 4-7, 8-11, 12-15 (4 floats each)
//	Z24, Z25  permutation indexes; Z26, Z27 temporaries
//	Z28..Z31  the 4 k steps' B vectors (B[p][0:16] .. B[p+3][0:16])

// LOADQUAD loads 4 floats of rows r, r+1, r+2, r+3 (at r0..r3) into Z.
#define LOADQUAD(Z, X, r0, r1, r2, r3) \
	VMOVUPS     r0, X; \
	VINSERTF32X4 $1, r1, Z, Z; \
	VINSERTF32X4 $2, r2, Z, Z; \
	VINSERTF32X4 $3, r3, Z, Z

// BTRANSPOSE4 reads the next 4 k steps of the 16 rows and leaves them
// transposed in Z28..Z31, also storing them to pb.
#define BTRANSPOSE4 \
	LOADQUAD(Z20, X20, (R10), (R10)(R11*1), (R10)(R11*2), (R10)(R12*1)); \
	LOADQUAD(Z21, X21, (R10)(R11*4), (R10)(R13*1), (R10)(R12*2), (R10)(R14*1)); \
	LOADQUAD(Z22, X22, (R9), (R9)(R11*1), (R9)(R11*2), (R9)(R12*1)); \
	LOADQUAD(Z23, X23, (R9)(R11*4), (R9)(R13*1), (R9)(R12*2), (R9)(R14*1)); \
	VMOVAPS     Z20, Z26; \
	VPERMT2PS   Z21, Z24, Z26; \
	VPERMT2PS   Z21, Z25, Z20; \
	VMOVAPS     Z22, Z27; \
	VPERMT2PS   Z23, Z24, Z27; \
	VPERMT2PS   Z23, Z25, Z22; \
	VSHUFF32X4  $0x44, Z27, Z26, Z28; \
	VSHUFF32X4  $0xee, Z27, Z26, Z29; \
	VSHUFF32X4  $0x44, Z22, Z20, Z30; \
	VSHUFF32X4  $0xee, Z22, Z20, Z31; \
	VMOVUPS     Z28, (DI); \
	VMOVUPS     Z29, 64(DI); \
	VMOVUPS     Z30, 128(DI); \
	VMOVUPS     Z31, 192(DI); \
	ADDQ        $16, R10; \
	ADDQ        $16, R9

// Permutation indexes of BTRANSPOSE4 (two tables: 0-15 the first, 16-31
// the second). From the 4×4 blocks of rows r..r+3 (first) and r+4..r+7
// (second), each row's 4 k steps in one 128-bit lane: k steps 0 and 1 of
// the 8 rows (gtIdx01), k steps 2 and 3 (gtIdx23).
DATA gtIdx01<>+0(SB)/4, $0
DATA gtIdx01<>+4(SB)/4, $4
DATA gtIdx01<>+8(SB)/4, $8
DATA gtIdx01<>+12(SB)/4, $12
DATA gtIdx01<>+16(SB)/4, $16
DATA gtIdx01<>+20(SB)/4, $20
DATA gtIdx01<>+24(SB)/4, $24
DATA gtIdx01<>+28(SB)/4, $28
DATA gtIdx01<>+32(SB)/4, $1
DATA gtIdx01<>+36(SB)/4, $5
DATA gtIdx01<>+40(SB)/4, $9
DATA gtIdx01<>+44(SB)/4, $13
DATA gtIdx01<>+48(SB)/4, $17
DATA gtIdx01<>+52(SB)/4, $21
DATA gtIdx01<>+56(SB)/4, $25
DATA gtIdx01<>+60(SB)/4, $29
GLOBL gtIdx01<>(SB), RODATA|NOPTR, $64

DATA gtIdx23<>+0(SB)/4, $2
DATA gtIdx23<>+4(SB)/4, $6
DATA gtIdx23<>+8(SB)/4, $10
DATA gtIdx23<>+12(SB)/4, $14
DATA gtIdx23<>+16(SB)/4, $18
DATA gtIdx23<>+20(SB)/4, $22
DATA gtIdx23<>+24(SB)/4, $26
DATA gtIdx23<>+28(SB)/4, $30
DATA gtIdx23<>+32(SB)/4, $3
DATA gtIdx23<>+36(SB)/4, $7
DATA gtIdx23<>+40(SB)/4, $11
DATA gtIdx23<>+44(SB)/4, $15
DATA gtIdx23<>+48(SB)/4, $19
DATA gtIdx23<>+52(SB)/4, $23
DATA gtIdx23<>+56(SB)/4, $27
DATA gtIdx23<>+60(SB)/4, $31
GLOBL gtIdx23<>(SB), RODATA|NOPTR, $64

TEXT ·gemm20x16PackTAVX512(SB), NOSPLIT, $0-124
	MOVQ    kc+0(FP), BX
	MOVQ    a_base+8(FP), SI
	MOVQ    b_base+32(FP), R10
	MOVQ    ldb+56(FP), R11
	MOVQ    pb_base+64(FP), DI
	MOVQ    c_base+88(FP), DX
	MOVQ    ldc+112(FP), R8
	SHLQ    $2, R8
	SHLQ    $2, R11
	LEAQ    (R11)(R11*2), R12
	LEAQ    (R11)(R11*4), R13
	LEAQ    (R12)(R11*4), R14
	LEAQ    (R10)(R11*8), R9
	VMOVUPS gtIdx01<>(SB), Z24
	VMOVUPS gtIdx23<>(SB), Z25

	ZERO20

	SHRQ $2, BX
	JZ   gt_write

gt_loop4:
	BTRANSPOSE4
	FMA20(0, Z28)
	FMA20(80, Z29)
	FMA20(160, Z30)
	FMA20(240, Z31)
	ADDQ $320, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  gt_loop4

gt_write:
	WRITE20(beta+120(FP), gt_update)

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

// ---------------------------------------------------------------------------
// func bce16AVX512(dz, z, x []float32, scale float32, acc [8]float64) [8]float64
//
// bceAVX2 (elementwise_amd64.s) 16 lanes at a time, the same operations
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

// ---------------------------------------------------------------------------
// func xoshiro8AVX512(s *[32]uint32, dst []float32)
//
// xoshiro8AVX2 (xoshiro_amd64.s) with the two rotations as one VPROLD each
// (AVX-512 VL, on YMM registers) instead of two shifts and an or: the same
// eight lanes, the same bits. Registers: AX s, DI dst, CX steps left; Y0-Y3
// the state words s0..s3, Y4, Y5 scratch.
TEXT ·xoshiro8AVX512(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), AX
	MOVQ dst_base+8(FP), DI
	MOVQ dst_len+16(FP), CX
	SHRQ $3, CX
	JZ   x5_done
	VMOVDQU 0(AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3

x5_loop:
	VPADDD  Y0, Y3, Y4 // s0 + s3
	VPROLD  $7, Y4, Y4 // rotl 7
	VPADDD  Y0, Y4, Y4 // r
	VPSRLD  $8, Y4, Y4
	VMOVDQU Y4, (DI)
	VPSLLD  $9, Y1, Y5 // t
	VPXOR   Y0, Y2, Y2 // s2 ^= s0
	VPXOR   Y1, Y3, Y3 // s3 ^= s1
	VPXOR   Y2, Y1, Y1 // s1 ^= s2
	VPXOR   Y3, Y0, Y0 // s0 ^= s3
	VPXOR   Y5, Y2, Y2 // s2 ^= t
	VPROLD  $11, Y3, Y3 // rotl 11
	ADDQ    $32, DI
	DECQ    CX
	JNZ     x5_loop

	VMOVDQU Y0, 0(AX)
	VMOVDQU Y1, 32(AX)
	VMOVDQU Y2, 64(AX)
	VMOVDQU Y3, 96(AX)
	VZEROUPPER

x5_done:
	RET
