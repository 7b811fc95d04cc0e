//go:build !purego && !noasm

#include "textflag.h"

// Packing helper of the GEMM driver (pack.go): an AVX2 8-row transpose.
// Stub and doc comment in pack_amd64.go.

// ---------------------------------------------------------------------------
// func transpose8AVX2(dst []float32, ldd int, src []float32, lds, cols int, alpha float32)
//
// Registers:
//	SI   src rows 0..3 at column p (rows 1..3 at +R8, +2·R8, +R9)
//	R10  src rows 4..7 at column p
//	R8   lds in bytes; R9 = 3·lds in bytes
//	DI   dst row p (rows p+1..p+3 at +R11, +2·R11, +R12)
//	R13  dst row p+4
//	R11  ldd in bytes; R12 = 3·ldd in bytes
//	CX   remaining 8-column blocks
//	Y15  alpha broadcast
//	Y0..Y14  the block: loaded rows, then unpack, shuffle and lane-permute
//	stages of the classic 8×8 transpose (24 shuffles per 64 floats).
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-76
	MOVQ dst_base+0(FP), DI
	MOVQ ldd+24(FP), R11
	MOVQ src_base+32(FP), SI
	MOVQ lds+56(FP), R8
	MOVQ cols+64(FP), CX
	VBROADCASTSS alpha+72(FP), Y15
	SHLQ $2, R8                 // lds in bytes
	SHLQ $2, R11                // ldd in bytes
	LEAQ (R8)(R8*2), R9         // 3·lds
	LEAQ (R11)(R11*2), R12      // 3·ldd
	LEAQ (SI)(R8*4), R10        // row 4
	LEAQ (DI)(R11*4), R13       // dst row p+4
	SHRQ $3, CX
	JZ   t8_done

t8_loop:
	// Rows r0..r7 of the 8×8 block, scaled by alpha.
	VMULPS (SI), Y15, Y0
	VMULPS (SI)(R8*1), Y15, Y1
	VMULPS (SI)(R8*2), Y15, Y2
	VMULPS (SI)(R9*1), Y15, Y3
	VMULPS (R10), Y15, Y4
	VMULPS (R10)(R8*1), Y15, Y5
	VMULPS (R10)(R8*2), Y15, Y6
	VMULPS (R10)(R9*1), Y15, Y7

	// Per 128-bit lane, interleave row pairs:
	// t0 = (r0,r1) low pairs, t1 = (r0,r1) high pairs, ...
	VUNPCKLPS Y1, Y0, Y8        // t0 = a00 a10 a01 a11 | a04 a14 a05 a15
	VUNPCKHPS Y1, Y0, Y9        // t1 = a02 a12 a03 a13 | a06 a16 a07 a17
	VUNPCKLPS Y3, Y2, Y10       // t2 (rows 2, 3)
	VUNPCKHPS Y3, Y2, Y11       // t3
	VUNPCKLPS Y5, Y4, Y12       // t4 (rows 4, 5)
	VUNPCKHPS Y5, Y4, Y13       // t5
	VUNPCKLPS Y7, Y6, Y14       // t6 (rows 6, 7)
	VUNPCKHPS Y7, Y6, Y0        // t7

	// Columns of rows 0..3 (s0..s3) and 4..7 (s4..s7), two per register:
	// s0 = column 0 | column 4, s1 = 1 | 5, s2 = 2 | 6, s3 = 3 | 7.
	VSHUFPS $0x44, Y10, Y8, Y1  // s0
	VSHUFPS $0xEE, Y10, Y8, Y2  // s1
	VSHUFPS $0x44, Y11, Y9, Y3  // s2
	VSHUFPS $0xEE, Y11, Y9, Y4  // s3
	VSHUFPS $0x44, Y14, Y12, Y5 // s4
	VSHUFPS $0xEE, Y14, Y12, Y6 // s5
	VSHUFPS $0x44, Y0, Y13, Y7  // s6
	VSHUFPS $0xEE, Y0, Y13, Y8  // s7

	// Join the halves: column p of all 8 rows goes to dst row p.
	VPERM2F128 $0x20, Y5, Y1, Y9
	VMOVUPS    Y9, (DI)
	VPERM2F128 $0x20, Y6, Y2, Y10
	VMOVUPS    Y10, (DI)(R11*1)
	VPERM2F128 $0x20, Y7, Y3, Y11
	VMOVUPS    Y11, (DI)(R11*2)
	VPERM2F128 $0x20, Y8, Y4, Y12
	VMOVUPS    Y12, (DI)(R12*1)
	VPERM2F128 $0x31, Y5, Y1, Y9
	VMOVUPS    Y9, (R13)
	VPERM2F128 $0x31, Y6, Y2, Y10
	VMOVUPS    Y10, (R13)(R11*1)
	VPERM2F128 $0x31, Y7, Y3, Y11
	VMOVUPS    Y11, (R13)(R11*2)
	VPERM2F128 $0x31, Y8, Y4, Y12
	VMOVUPS    Y12, (R13)(R12*1)

	ADDQ $32, SI
	ADDQ $32, R10
	LEAQ (DI)(R11*8), DI
	LEAQ (R13)(R11*8), R13
	DECQ CX
	JNZ  t8_loop

t8_done:
	VZEROUPPER
	RET
