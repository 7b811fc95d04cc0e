//go:build !purego && !noasm

#include "textflag.h"
#include "gemmpack_amd64.h"

// ---------------------------------------------------------------------------
// GEMM micro-kernel, AVX2 + FMA, 6×16 tile.
//
// func gemm6x16AVX2(kc int, a, b, c []float32, ldc int, beta float32)
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

TEXT ·gemm6x16AVX2(SB), NOSPLIT, $0-92
	MOVQ kc+0(FP), CX
	MOVQ a_base+8(FP), SI
	MOVQ b_base+32(FP), DI
	MOVQ c_base+56(FP), DX
	MOVQ ldc+80(FP), R8
	SHLQ $2, R8

	ZERO12

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   gemm_tail

gemm_loop4:
	KSTEP(0, 0)
	KSTEP(24, 64)
	KSTEP(48, 128)
	KSTEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  gemm_loop4

gemm_tail:
	ANDQ $3, CX
	JZ   gemm_write

gemm_loop1:
	KSTEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  gemm_loop1

gemm_write:
	WRITE6(beta+88(FP), gemm_update)

// ---------------------------------------------------------------------------
// func gemm6x16IdxAVX2(idx []int32, a, b, c []float32, ldc int, beta float32)
//
// gemm6x16AVX2 over the k steps listed in idx only, in their order: step
// p = idx[t] reads A at a[6p:] and B at b[16p:] of the full packed panels.
// The driver lists the steps where the sparse operand's panel is not all
// zero, so the FMAs left out would each have added ±0 to an accumulator.
//
// Registers as gemm6x16AVX2, except: R9 the next index, CX the indices
// left, R10 and R11 the bases of the A and B panels.
TEXT ·gemm6x16IdxAVX2(SB), NOSPLIT, $0-108
	IDXARGS

	ZERO12

	TESTQ CX, CX
	JZ    gidx_write

gidx_loop:
	MOVLQSX (R9), AX
	LEAQ    (AX)(AX*2), SI
	SHLQ    $3, SI
	ADDQ    R10, SI
	SHLQ    $6, AX
	LEAQ    (R11)(AX*1), DI
	KSTEP(0, 0)
	ADDQ    $4, R9
	DECQ    CX
	JNZ     gidx_loop

gidx_write:
	WRITE6(beta+104(FP), gidx_update)

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
