package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// transpose8 describes the GEMM driver's packing transpose: 8 rows of cols
// floats, 8 columns at a time, scaled by alpha and transposed in registers
// by the classic 8×8 transpose (24 shuffles per 64 floats): per 128-bit
// lane unpack the row pairs, shuffle them into columns of 4 rows, then join
// the halves across lanes.
func transpose8(v vec) {
	name := "transpose8" + v.suffix
	TEXT(name, NOSPLIT, "func(dst []float32, ldd int, src []float32, lds, cols int, alpha float32)")
	Pragma("noescape")
	Doc(name+" writes the transpose of 8 rows of cols floats, scaled by",
		"alpha, exactly as transpose8Generic:",
		"",
		"\tfor p := 0; p < cols; p++ {",
		"\t\tfor r := 0; r < 8; r++ {",
		"\t\t\tdst[p*ldd+r] = alpha * src[r*lds+p]",
		"\t\t}",
		"\t}",
		"",
		"Preconditions (checked by the Go caller): cols%8 == 0, cols >= 0,",
		"len(src) >= 7*lds+cols, len(dst) >= (cols-1)*ldd+8 when cols > 0, and dst",
		"does not overlap src. No alignment is assumed.")
	// SI src rows 0..3 at column p (rows 1..3 at +R8, +2·R8, +R9), R10
	// rows 4..7; DI dst row p (rows p+1..p+3 at +R11, +2·R11, +R12), R13
	// dst row p+4; R8 = lds and R11 = ldd in bytes, R9 and R12 three times
	// them; CX the 8-column blocks left.
	Load(Param("dst").Base(), RDI)
	Load(Param("ldd"), R11)
	Load(Param("src").Base(), RSI)
	Load(Param("lds"), R8)
	Load(Param("cols"), RCX)
	alpha := Y15
	VBROADCASTSS(addr(Param("alpha")), alpha)
	SHLQ(U8(2), R8)
	SHLQ(U8(2), R11)
	LEAQ(Mem{Base: R8, Index: R8, Scale: 2}, R9)
	LEAQ(Mem{Base: R11, Index: R11, Scale: 2}, R12)
	LEAQ(Mem{Base: RSI, Index: R8, Scale: 4}, R10)
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 4}, R13)
	SHRQ(U8(3), RCX)
	JZ(LabelRef("done"))
	Label("loop")
	// The block's rows r0..r7, scaled by alpha.
	rows := []Mem{{Base: RSI}, {Base: RSI, Index: R8, Scale: 1}, {Base: RSI, Index: R8, Scale: 2}, {Base: RSI, Index: R9, Scale: 1},
		{Base: R10}, {Base: R10, Index: R8, Scale: 1}, {Base: R10, Index: R8, Scale: 2}, {Base: R10, Index: R9, Scale: 1}}
	y := ymm
	for r, m := range rows {
		VMULPS(m, alpha, y[r])
	}
	// t0..t7: per 128-bit lane, row pairs interleaved (low and high pairs).
	VUNPCKLPS(Y1, Y0, Y8)
	VUNPCKHPS(Y1, Y0, Y9)
	VUNPCKLPS(Y3, Y2, Y10)
	VUNPCKHPS(Y3, Y2, Y11)
	VUNPCKLPS(Y5, Y4, Y12)
	VUNPCKHPS(Y5, Y4, Y13)
	VUNPCKLPS(Y7, Y6, Y14)
	VUNPCKHPS(Y7, Y6, Y0)
	// s0..s7: columns of rows 0..3 and 4..7, two per register (column c
	// in the low lane, c+4 in the high one).
	VSHUFPS(U8(0x44), Y10, Y8, Y1)
	VSHUFPS(U8(0xEE), Y10, Y8, Y2)
	VSHUFPS(U8(0x44), Y11, Y9, Y3)
	VSHUFPS(U8(0xEE), Y11, Y9, Y4)
	VSHUFPS(U8(0x44), Y14, Y12, Y5)
	VSHUFPS(U8(0xEE), Y14, Y12, Y6)
	VSHUFPS(U8(0x44), Y0, Y13, Y7)
	VSHUFPS(U8(0xEE), Y0, Y13, Y8)
	// Join the halves: column p of all 8 rows goes to dst row p.
	dst := []Mem{{Base: RDI}, {Base: RDI, Index: R11, Scale: 1}, {Base: RDI, Index: R11, Scale: 2}, {Base: RDI, Index: R12, Scale: 1},
		{Base: R13}, {Base: R13, Index: R11, Scale: 1}, {Base: R13, Index: R11, Scale: 2}, {Base: R13, Index: R12, Scale: 1}}
	for h, imm := range []uint8{0x20, 0x31} {
		for c := range 4 {
			out := y[9+c]
			VPERM2F128(U8(imm), y[5+c], y[1+c], out)
			VMOVUPS(out, dst[4*h+c])
		}
	}
	ADDQ(U8(32), RSI)
	ADDQ(U8(32), R10)
	LEAQ(Mem{Base: RDI, Index: R11, Scale: 8}, RDI)
	LEAQ(Mem{Base: R13, Index: R11, Scale: 8}, R13)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("done")
	done()
}
