//go:build !purego && !noasm

#include "textflag.h"
#include "gemmpack_amd64.h"

// SGEMM micro-kernels (gemm.go) that read B as it is stored: the AVX2+FMA
// 6×16 tile of the "avx2" table (prefetching and packing B) and the nonzero
// scan of SgemmSparse, then the AVX-512 (F, VL) 20×16 tile of the "avx512"
// table (packing B and packing a transposed B). The stubs are in
// gemm_amd64.go. The plain and step-list tiles they extend are generated
// (gemmtile_amd64.s, from kernels/_asm) with the same registers.

// ---------------------------------------------------------------------------
// GEMM micro-kernel, AVX2 + FMA, 6×16 tile (gemm6x16AVX2, generated; the
// macros below serve the variants here).
//
// Registers:
//	SI   packed A panel, 6 floats per k step (k-major)
//	DI   packed B panel, 16 floats per k step (k-major)
//	DX   C tile, row by row; R8 = ldc in bytes
//	CX   remaining k steps; BX remaining 4-step groups
//	Y0, Y1    B[p][0:8], B[p][8:16]
//	Y2, Y3    A[p][i] broadcast (alternating, so loads run ahead)
//	Y4..Y15   accumulators: row i in Y(4+2i) (columns 0:8) and Y(5+2i) (8:16)
// Each k step is 2 loads of B, 6 broadcasts of A and 12 FMAs; the FMAs of
// one row are independent of the other rows, so 12 chains hide the latency.

// FMA6X16 does the 12 FMAs of one k step with B in Y0, Y1: row i gets A
// at offset ao+4i (broadcast into Y2 or Y3).
#define FMA6X16(ao) \
	VBROADCASTSS (ao)(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS (ao+4)(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS (ao+8)(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9; \
	VBROADCASTSS (ao+12)(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y10; \
	VFMADD231PS  Y1, Y3, Y11; \
	VBROADCASTSS (ao+16)(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y12; \
	VFMADD231PS  Y1, Y2, Y13; \
	VBROADCASTSS (ao+20)(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y14; \
	VFMADD231PS  Y1, Y3, Y15

// KSTEP does one k step reading A at offset ao and B at offset bo.
#define KSTEP(ao, bo) \
	VMOVUPS      (bo)(DI), Y0; \
	VMOVUPS      (bo+32)(DI), Y1; \
	FMA6X16(ao)

// ZERO12 clears the accumulators Y4..Y15.
#define ZERO12 \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	VXORPS Y12, Y12, Y12; \
	VXORPS Y13, Y13, Y13; \
	VXORPS Y14, Y14, Y14; \
	VXORPS Y15, Y15, Y15

// STOREROW stores one row of accumulators (lo, hi) to C and moves DX on.
#define STOREROW(lo, hi) \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 32(DX); \
	ADDQ    R8, DX

// UPDATEROW sets C row = acc + beta*C (beta in Y0) and moves DX on.
#define UPDATEROW(lo, hi) \
	VMULPS  (DX), Y0, Y1; \
	VADDPS  Y1, lo, lo; \
	VMOVUPS lo, (DX); \
	VMULPS  32(DX), Y0, Y2; \
	VADDPS  Y2, hi, hi; \
	VMOVUPS hi, 32(DX); \
	ADDQ    R8, DX

// STORE6 stores the 6 accumulator rows to C (beta = 0).
#define STORE6 \
	STOREROW(Y4, Y5); \
	STOREROW(Y6, Y7); \
	STOREROW(Y8, Y9); \
	STOREROW(Y10, Y11); \
	STOREROW(Y12, Y13); \
	STOREROW(Y14, Y15)

// UPDATE6 sets the 6 rows of C to acc + beta*C (beta in Y0).
#define UPDATE6 \
	UPDATEROW(Y4, Y5); \
	UPDATEROW(Y6, Y7); \
	UPDATEROW(Y8, Y9); \
	UPDATEROW(Y10, Y11); \
	UPDATEROW(Y12, Y13); \
	UPDATEROW(Y14, Y15)

// WRITE6 finishes a 6×16 kernel whose beta is at beta(FP): C = acc when
// beta == 0 (either sign; C is not read), else acc + beta*C (NaN takes
// this path, as the Go comparison does); upd names the second path's
// label.
#define WRITE6(beta, upd) \
	VMOVSS       beta, X0; \
	VXORPS       X1, X1, X1; \
	VUCOMISS     X1, X0; \
	JNE          upd; \
	JPS          upd; \
	STORE6; \
	VZEROUPPER; \
	RET; \
upd: \
	VBROADCASTSS beta, Y0; \
	UPDATE6; \
	VZEROUPPER; \
	RET

// ---------------------------------------------------------------------------
// func nonzeroBitsAVX2(x []float32, bits []uint32)
//
// Per 32 floats: shift out the sign (±0 -> 0), compare with zero, gather
// the four 8-lane masks into one word and invert it.
TEXT ·nonzeroBitsAVX2(SB), NOSPLIT, $0-48
	MOVQ  x_base+0(FP), SI
	MOVQ  bits_base+24(FP), DI
	MOVQ  bits_len+32(FP), CX
	TESTQ CX, CX
	JZ    nzb_done
	VPXOR Y15, Y15, Y15

nzb_loop:
	VPSLLD    $1, (SI), Y0
	VPSLLD    $1, 32(SI), Y1
	VPSLLD    $1, 64(SI), Y2
	VPSLLD    $1, 96(SI), Y3
	VPCMPEQD  Y15, Y0, Y0
	VPCMPEQD  Y15, Y1, Y1
	VPCMPEQD  Y15, Y2, Y2
	VPCMPEQD  Y15, Y3, Y3
	VMOVMSKPS Y0, AX
	VMOVMSKPS Y1, BX
	VMOVMSKPS Y2, DX
	VMOVMSKPS Y3, R8
	SHLL      $8, BX
	SHLL      $16, DX
	SHLL      $24, R8
	ORL       BX, AX
	ORL       DX, AX
	ORL       R8, AX
	NOTL      AX
	MOVL      AX, (DI)
	ADDQ      $128, SI
	ADDQ      $4, DI
	DECQ      CX
	JNZ       nzb_loop
	VZEROUPPER

nzb_done:
	RET

// ---------------------------------------------------------------------------
// func gemm6x16PFAVX2(kc int, a, b, c []float32, ldc int, beta float32, pf []float32, ldpf int)
//
// gemm6x16AVX2 that also prefetches (into L2) the 16 stored rows of a
// transposed B panel the driver packs next: each 4-step group touches one
// 64-byte line of 4 of the rows (pf, ldpf floats apart), row by row, then
// the next 16 floats of the rows, so kc steps cover kc floats of each row.
// Prefetches never fault and change no result.
//
// Registers as gemm6x16AVX2, plus R10 the column block of pf, R11 the row
// offset (a multiple of 4·ldpf), R12 = 4·ldpf, R13 = ldpf, AX = 3·ldpf,
// R9 = 16·ldpf (bytes), R14 scratch.
TEXT ·gemm6x16PFAVX2(SB), NOSPLIT, $0-128
	MOVQ kc+0(FP), CX
	MOVQ a_base+8(FP), SI
	MOVQ b_base+32(FP), DI
	MOVQ c_base+56(FP), DX
	MOVQ ldc+80(FP), R8
	SHLQ $2, R8
	MOVQ pf_base+96(FP), R10
	MOVQ ldpf+120(FP), R13
	SHLQ $2, R13
	LEAQ (R13)(R13*2), AX
	LEAQ (R13*4), R12
	LEAQ (R12*4), R9
	XORQ R11, R11

	ZERO12

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   gpf_tail

gpf_loop4:
	LEAQ        (R10)(R11*1), R14
	PREFETCHT1  (R14)
	PREFETCHT1  (R14)(R13*1)
	PREFETCHT1  (R14)(R13*2)
	PREFETCHT1  (R14)(AX*1)
	ADDQ        R12, R11
	CMPQ        R11, R9
	JLT         gpf_rows
	XORQ        R11, R11
	ADDQ        $64, R10

gpf_rows:
	KSTEP(0, 0)
	KSTEP(24, 64)
	KSTEP(48, 128)
	KSTEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  gpf_loop4

gpf_tail:
	ANDQ $3, CX
	JZ   gpf_write

gpf_loop1:
	KSTEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  gpf_loop1

gpf_write:
	WRITE6(beta+88(FP), gpf_update)

// ---------------------------------------------------------------------------
// func gemm6x16PackAVX2(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)
//
// gemm6x16AVX2 with B read from its stored rows (ldb apart) instead of a
// packed panel, each row's 16 floats also written to the packed panel pb
// for the tile's other row panels. Same FMA order, so the same bits.
//
// Registers as gemm6x16AVX2, except:
//	R10  B row of the next k step; R11 = ldb, R12 = 2·ldb, R13 = 3·ldb,
//	R14 = 4·ldb, all in bytes
//	DI   packed panel pb, 16 floats per k step

// KSTEPPACK does one k step reading B at lo and hi (its two halves) and
// storing it at bo(DI).
#define KSTEPPACK(ao, bo, lo, hi) \
	VMOVUPS      lo, Y0; \
	VMOVUPS      hi, Y1; \
	VMOVUPS      Y0, (bo)(DI); \
	VMOVUPS      Y1, (bo+32)(DI); \
	FMA6X16(ao)

TEXT ·gemm6x16PackAVX2(SB), NOSPLIT, $0-124
	PACKARGS

	ZERO12

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   gpack_tail

gpack_loop4:
	KSTEPPACK(0, 0, (R10), 32(R10))
	KSTEPPACK(24, 64, (R10)(R11*1), 32(R10)(R11*1))
	KSTEPPACK(48, 128, (R10)(R12*1), 32(R10)(R12*1))
	KSTEPPACK(72, 192, (R10)(R13*1), 32(R10)(R13*1))
	ADDQ $96, SI
	ADDQ $256, DI
	ADDQ R14, R10
	DECQ BX
	JNZ  gpack_loop4

gpack_tail:
	ANDQ $3, CX
	JZ   gpack_write

gpack_loop1:
	KSTEPPACK(0, 0, (R10), 32(R10))
	ADDQ $24, SI
	ADDQ $64, DI
	ADDQ R11, R10
	DECQ CX
	JNZ  gpack_loop1

gpack_write:
	WRITE6(beta+120(FP), gpack_update)

// The AVX-512 kernels below reuse some macro names of the AVX2 ones above.
#undef KSTEP
#undef STOREROW
#undef UPDATEROW
#undef KSTEPPACK

// ---------------------------------------------------------------------------
// GEMM micro-kernel, AVX-512, 20×16 tile.
//
// GEMM micro-kernel, AVX-512, 20×16 tile (gemm20x16AVX512, generated; the
// macros below serve the variants here).
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
