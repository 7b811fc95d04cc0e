package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The row kernels: softmax rows, categorical sampling and -log of uniforms
// in AVX2+FMA, and the AVX-512 softmax and -log of the "avx512" table. Each
// mirrors its Go twin operation for operation (softmax.go, sample.go,
// rng.go, neglog.go, expf.go); the Go loops around them are in
// rows_amd64.go. Registers are physical, named in each function's comment.

// sm8Group computes the softmax of the 8 rows of 8 floats at SI (stats to
// DX) with one row per lane, leaving the probabilities as columns in Y0-Y7
// (Y_j = column j, lane l = row l). Within a row these are the twin's
// operations exactly: the max over the row (a tree, but max is exact), the
// same exp, the twin's 8-lane sum tree (one column per lane accumulator),
// one division for the 8 rows. Uses Y8-Y13; Y14 = 1, Y15 = invTau.
func sm8Group() {
	for j := range 8 {
		// Row pair (j%4, j%4+4), floats 4·(j/4) onwards.
		off := 32*(j%4) + 16*(j/4)
		VMOVUPS(m(RSI, off), xmm[j])
		VINSERTF128(U8(1), m(RSI, off+128), ymm[j], ymm[j])
	}
	transpose4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	transpose4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	VMAXPS(Y1, Y0, Y8)
	VMAXPS(Y3, Y2, Y9)
	VMAXPS(Y5, Y4, Y10)
	VMAXPS(Y7, Y6, Y11)
	VMAXPS(Y9, Y8, Y8)
	VMAXPS(Y11, Y10, Y10)
	VMAXPS(Y10, Y8, Y12)
	for _, c := range ymm[:8] {
		// exp((C - max)·invTau), max in Y12.
		VSUBPS(Y12, c, c)
		VMULPS(Y15, c, c)
		exp8(c, Y8, Y9, Y10, Y11)
	}
	VADDPS(Y4, Y0, Y8)
	VADDPS(Y6, Y2, Y9)
	VADDPS(Y9, Y8, Y8)
	VADDPS(Y5, Y1, Y9)
	VADDPS(Y7, Y3, Y10)
	VADDPS(Y10, Y9, Y9)
	VADDPS(Y9, Y8, Y13)
	VUNPCKLPS(Y13, Y12, Y8)
	VUNPCKHPS(Y13, Y12, Y9)
	VPERM2F128(U8(0x20), Y9, Y8, Y10)
	VPERM2F128(U8(0x31), Y9, Y8, Y11)
	VMOVUPS(Y10, m(RDX, 0))
	VMOVUPS(Y11, m(RDX, 32))
	VDIVPS(Y13, Y14, Y13)
	for _, c := range ymm[:8] {
		VMULPS(Y13, c, c)
	}
}

// sm8Store transposes the columns Y0-Y7 back to rows and stores the 8 rows
// of 8 floats at DI.
func sm8Store() {
	transpose4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	transpose4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	for j := range 8 {
		off := 32*(j%4) + 16*(j/4)
		VMOVUPS(xmm[j], m(RDI, off))
		VEXTRACTF128(U8(1), ymm[j], m(RDI, off+128))
	}
}

// lanesTree reduces the 8 lanes of y with op into every lane, with the
// twin's tree: (l, l+4), (l, l+2), (l, l+1); t is scratch, and the first
// step reads src (y itself, or another register) and writes y.
func lanesTree(op func(...Op), src, y, t VecPhysical) {
	VPERM2F128(U8(0x01), src, src, t) // swap 128-bit halves
	op(t, src, y)
	VPERMILPS(U8(0x4e), y, t) // swap 64-bit pairs
	op(t, y, y)
	VPERMILPS(U8(0xb1), y, t) // swap neighbours
	op(t, y, y)
}

func vmaxps(ops ...Op) { VMAXPS(ops[0], ops[1], ops[2]) }
func vaddps(ops ...Op) { VADDPS(ops[0], ops[1], ops[2]) }

// softmaxRows describes the row softmax.
//
// Registers: SI src row, DI dst row, DX stats, CX rows left, BX row bytes,
// AX byte offset in the row; Y0 row max, Y2 lane sums then 1/sum, Y3 the
// current vector, Y4-Y7 exp scratch, Y14 = 1, Y15 = invTau. Rows of 8
// floats go in groups of 8 with one row per lane (sm8Group), the last
// rows%8 one per vector.
func softmaxRows() {
	TEXT("softmaxRowsAVX2", NOSPLIT, "func(dst, src, stats []float32, cols int, invTau float32)")
	Pragma("noescape")
	Doc("softmaxRowsAVX2 computes, for each of the rows = len(stats)/2 rows of cols", "floats (cols%8 == 0, cols >= 8; pads are -Inf), exactly what", "softmaxRowsGeneric computes:", "", "\tm = max_j src[j]", "\tfor j: e_j = expf32((src[j] - m) * invTau); dst[j] = e_j; acc[j%8] += e_j", "\ts = ((acc0+acc4) + (acc2+acc6)) + ((acc1+acc5) + (acc3+acc7))", "\tfor j: dst[j] = e_j * (1/s)", "\tstats[2r], stats[2r+1] = m, s", "", "Preconditions (checked by the Go driver): len(src), len(dst) >=", "rows*cols; dst is src or does not overlap it. No alignment is assumed.")
	Load(Param("dst").Base(), RDI)
	Load(Param("src").Base(), RSI)
	Load(Param("stats").Base(), RDX)
	Load(Param("stats").Len(), RCX)
	SHRQ(U8(1), RCX) // rows
	JZ(LabelRef("done"))
	Load(Param("cols"), RBX)
	SHLQ(U8(2), RBX) // row bytes
	VBROADCASTSS(addr(Param("invTau")), Y15)
	VMOVUPS(kOne, Y14)
	CMPQ(RBX, U8(32))
	JE(LabelRef("groups8"))

	Label("row")
	// Pass 1: Y0 = max over the row, broadcast.
	VMOVUPS(m(RSI, 0), Y0)
	MOVQ(U32(32), RAX)
	CMPQ(RAX, RBX)
	JAE(LabelRef("maxred"))
	Label("maxloop")
	VMAXPS(mi(RSI, RAX, 1, 0), Y0, Y0)
	ADDQ(U8(32), RAX)
	CMPQ(RAX, RBX)
	JB(LabelRef("maxloop"))
	Label("maxred")
	lanesTree(vmaxps, Y0, Y0, Y1)
	VMOVSS(X0, m(RDX, 0)) // stats[2r] = m
	// Pass 2: dst = exp((src - m)·invTau), Y2 += it lane by lane.
	VXORPS(Y2, Y2, Y2)
	XORQ(RAX, RAX)
	Label("exploop")
	VMOVUPS(mi(RSI, RAX, 1, 0), Y3)
	VSUBPS(Y0, Y3, Y3)
	VMULPS(Y15, Y3, Y3)
	exp8(Y3, Y4, Y5, Y6, Y7)
	VMOVUPS(Y3, mi(RDI, RAX, 1, 0))
	VADDPS(Y3, Y2, Y2)
	ADDQ(U8(32), RAX)
	CMPQ(RAX, RBX)
	JB(LabelRef("exploop"))
	// Reduce the lane sums with the twin's tree.
	lanesTree(vaddps, Y2, Y2, Y1)
	VMOVSS(X2, m(RDX, 4)) // stats[2r+1] = s
	VDIVPS(Y2, Y14, Y2)   // 1/s
	// Pass 3: dst *= 1/s.
	XORQ(RAX, RAX)
	Label("scaleloop")
	VMULPS(mi(RDI, RAX, 1, 0), Y2, Y3)
	VMOVUPS(Y3, mi(RDI, RAX, 1, 0))
	ADDQ(U8(32), RAX)
	CMPQ(RAX, RBX)
	JB(LabelRef("scaleloop"))
	ADDQ(RBX, RSI)
	ADDQ(RBX, RDI)
	ADDQ(U8(8), RDX)
	DECQ(RCX)
	JNZ(LabelRef("row"))
	JMP(LabelRef("done"))

	// cols == 8: groups of 8 rows with one row per lane, then the last
	// rows%8 rows one per vector.
	Label("groups8")
	CMPQ(RCX, U8(8))
	JB(LabelRef("row8"))
	sm8Group()
	sm8Store()
	ADDQ(U32(256), RSI)
	ADDQ(U32(256), RDI)
	ADDQ(U8(64), RDX)
	SUBQ(U8(8), RCX)
	JMP(LabelRef("groups8"))

	// One row per vector, kept in Y3 from load to store. The lane sums are
	// the exponentials themselves (0 + e = e).
	Label("row8")
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	VMOVUPS(m(RSI, 0), Y3)
	lanesTree(vmaxps, Y3, Y0, Y1)
	VMOVSS(X0, m(RDX, 0))
	VSUBPS(Y0, Y3, Y3)
	VMULPS(Y15, Y3, Y3)
	exp8(Y3, Y4, Y5, Y6, Y7)
	lanesTree(vaddps, Y3, Y2, Y1)
	VMOVSS(X2, m(RDX, 4))
	VDIVPS(Y2, Y14, Y2)
	VMULPS(Y2, Y3, Y3)
	VMOVUPS(Y3, m(RDI, 0))
	ADDQ(U8(32), RSI)
	ADDQ(U8(32), RDI)
	ADDQ(U8(8), RDX)
	DECQ(RCX)
	JNZ(LabelRef("row8"))

	Label("done")
	done()
}

// sampleCount8 sets idx (R9) from the probability columns Y0-Y7 and u (R8)
// of 8 rows: t = u·total, k = #{j : c_j <= t} over the partial sums, k == 8
// becomes -2 (the fallback), u outside [0, 1) -1. Y8-Y12 scratch, Y14 = 1.
func sampleCount8() {
	// t = u * total, total = ((pi0 + pi1) + pi2) + ... in column order.
	VADDPS(Y1, Y0, Y8)
	for _, c := range ymm[2:8] {
		VADDPS(c, Y8, Y8)
	}
	VMULPS(m(R8, 0), Y8, Y8)
	// k = #{j : c_j <= t}, the same partial sums again (Y11), counted
	// negatively in Y9.
	VCMPPS(U8(0x1d), Y0, Y8, Y9)
	VADDPS(Y1, Y0, Y11)
	VCMPPS(U8(0x1d), Y11, Y8, Y10)
	VPADDD(Y10, Y9, Y9)
	for _, c := range ymm[2:8] {
		VADDPS(c, Y11, Y11)
		VCMPPS(U8(0x1d), Y11, Y8, Y10)
		VPADDD(Y10, Y9, Y9)
	}
	VPXOR(Y10, Y10, Y10)
	VPSUBD(Y9, Y10, Y9) // k
	// k == 8: -2 (fallback); u outside [0, 1): -1.
	VPSLLD(U8(28), Y9, Y11)
	VPSRAD(U8(31), Y11, Y11) // -1 where bit 3 of k is set, i.e. k == 8
	VPSLLD(U8(1), Y11, Y12)
	VPANDN(Y9, Y11, Y9)
	VPOR(Y12, Y9, Y9)
	VMOVUPS(m(R8, 0), Y11)
	VCMPPS(U8(0x19), Y10, Y11, Y12) // NGE_UQ: !(u >= 0)
	VPOR(Y12, Y9, Y9)
	VCMPPS(U8(0x15), Y14, Y11, Y12) // NLT_UQ: !(u < 1)
	VPOR(Y12, Y9, Y9)
	VMOVDQU(Y9, m(R9, 0))
}

// softmaxSample8 describes the fused softmax and sampling of rows of 8
// floats, rows%8 == 0: sm8Group, then sampling from the probability columns
// exactly as sampleRowsAVX2 does on the stored rows, then sm8Store.
// Registers: SI src, DI dst, DX stats, R8 u, R9 idx, CX groups left; Y0-Y7
// the probability columns; Y8 t, Y9-Y13 scratch, Y14 = 1, Y15 = invTau (1).
func softmaxSample8() {
	TEXT("softmaxSample8AVX2", NOSPLIT, "func(dst, src, stats []float32, idx []int32, u []float32)")
	Pragma("noescape")
	Doc("softmaxSample8AVX2 computes, for rows = len(idx) rows of 8 floats", "(rows%8 == 0), softmaxRowsAVX2(dst, src, stats, 8, 1) followed by", "sampleRowsAVX2(idx, dst, u, cdf, 8), eight rows at a time with one row", "per lane and the probabilities kept in registers between the two. Rows", "that fail the softmax (sum NaN) get an unspecified idx.", "", "Preconditions: len(src), len(dst) >= 8*rows, len(stats) >= 2*rows,", "len(u) >= rows; dst is src or does not overlap it.")
	Load(Param("dst").Base(), RDI)
	Load(Param("src").Base(), RSI)
	Load(Param("stats").Base(), RDX)
	Load(Param("idx").Base(), R9)
	Load(Param("idx").Len(), RCX)
	Load(Param("u").Base(), R8)
	SHRQ(U8(3), RCX)
	JZ(LabelRef("done"))
	VMOVUPS(kOne, Y14)
	VMOVUPS(kOne, Y15)
	Label("group")
	sm8Group()
	sampleCount8()
	sm8Store()
	ADDQ(U32(256), RSI)
	ADDQ(U32(256), RDI)
	ADDQ(U8(64), RDX)
	ADDQ(U8(32), R8)
	ADDQ(U8(32), R9)
	DECQ(RCX)
	JNZ(LabelRef("group"))
	Label("done")
	done()
}

// sampleRows describes the categorical sampler, eight rows per group with
// one row per lane.
//
// Registers: SI p of the group, DI idx, R8 u, R9 cdf, CX groups left, BX
// row bytes, R10 3·BX, R11 / DX rows 0 / 4 at the current 8 columns, R12
// the cdf pointer, R13 bytes or columns left; Y0-Y3 a transposed 4-column
// block, Y4-Y7 transpose scratch, Y8 scratch, Y9 u then t = u·total, Y10 c
// (running sum), Y11 = +Inf, Y12 the running minimum, Y13 = cols, Y14 = 0.
func sampleRows() {
	TEXT("sampleRowsAVX2", NOSPLIT, "func(idx []int32, p, u, cdf []float32, cols int)")
	Pragma("noescape")
	Doc("sampleRowsAVX2 computes, for each of the rows = len(idx) rows of cols", "floats of p (rows%8 == 0, cols%8 == 0, cols >= 8; pads are 0), exactly", "what sampleRowsGeneric computes, eight rows at a time with one row per", "lane:", "", "\tc = 0; mn = +Inf", "\tfor j: mn = min(mn, p[j]); c += p[j]; cdf[j] = c", "\tbad = !(u[r] >= 0) || !(u[r] < 1) || mn < 0 || !(c > 0) || !(c < +Inf)", "\tt = u[r] * c; k = #{j : cdf[j] <= t}    (= the first j with cdf[j] > t)", "\tidx[r] = bad ? -1 : k == cols ? -2 : k", "", "(A NaN entry makes c NaN, so bad does not depend on how min treats it.)", "Preconditions: len(p) >= rows*cols, len(u) >= rows, len(cdf) >= 8*cols.")
	Load(Param("idx").Base(), RDI)
	Load(Param("idx").Len(), RCX)
	SHRQ(U8(3), RCX) // groups of 8 rows
	JZ(LabelRef("done"))
	Load(Param("p").Base(), RSI)
	Load(Param("u").Base(), R8)
	Load(Param("cdf").Base(), R9)
	cols := addr(Param("cols"))
	MOVQ(cols, RBX)
	VPBROADCASTD(cols, Y13)
	SHLQ(U8(2), RBX) // row bytes
	LEAQ(mi(RBX, RBX, 2, 0), R10)
	VXORPS(Y14, Y14, Y14)
	VMOVUPS(kInf, Y11)

	Label("group")
	VXORPS(Y10, Y10, Y10)
	VMOVAPS(Y11, Y12)
	MOVQ(RSI, R11)
	LEAQ(mi(RSI, RBX, 4, 0), RDX)
	MOVQ(R9, R12)
	MOVQ(RBX, R13)
	Label("block")
	// Columns [j, j+4) then [j+4, j+8) of the eight rows, in order: per
	// column (lane l = row l) mn = min(mn, p); c += p; store c to the cdf.
	for _, off := range []int{0, 16} {
		load4(off, R11, RDX, RBX, R10)
		transpose4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
		for _, c := range ymm[:4] {
			VMINPS(c, Y12, Y12)
			VADDPS(c, Y10, Y10)
			VMOVUPS(Y10, m(R12, 0))
			ADDQ(U8(32), R12)
		}
	}
	ADDQ(U8(32), R11)
	ADDQ(U8(32), RDX)
	SUBQ(U8(32), R13)
	JNZ(LabelRef("block"))
	// bad = !(u >= 0) | !(u < 1) | min < 0 | !(total > 0) | !(total < +Inf);
	// a NaN entry makes the total NaN.
	VMOVUPS(m(R8, 0), Y9)
	VCMPPS(U8(0x19), Y14, Y9, Y4)  // NGE_UQ
	VCMPPS(U8(0x15), kOne, Y9, Y5) // NLT_UQ
	VORPS(Y5, Y4, Y4)
	VCMPPS(U8(0x11), Y14, Y12, Y5) // LT_OQ
	VORPS(Y5, Y4, Y4)
	VCMPPS(U8(0x1a), Y14, Y10, Y5) // NGT_UQ
	VORPS(Y5, Y4, Y4)
	VCMPPS(U8(0x15), Y11, Y10, Y5) // NLT_UQ
	VORPS(Y5, Y4, Y4)
	VMULPS(Y10, Y9, Y9) // t = u·total
	// k = #{j : cdf[j] <= t}, two counters over even and odd columns.
	VPXOR(Y0, Y0, Y0)
	VPXOR(Y1, Y1, Y1)
	MOVQ(R9, R12)
	MOVQ(RBX, R13)
	SHRQ(U8(3), R13) // cols/2 pairs
	Label("count")
	VCMPPS(U8(0x1d), m(R12, 0), Y9, Y2) // t >= cdf[j] (GE_OQ)
	VPSUBD(Y2, Y0, Y0)
	VCMPPS(U8(0x1d), m(R12, 32), Y9, Y3)
	VPSUBD(Y3, Y1, Y1)
	ADDQ(U8(64), R12)
	DECQ(R13)
	JNZ(LabelRef("count"))
	// k == cols (no cdf above t): -2; bad rows: -1.
	VPADDD(Y1, Y0, Y0)
	VPCMPEQD(Y13, Y0, Y2) // k == cols
	VPSLLD(U8(1), Y2, Y3) // -1 -> -2
	VPANDN(Y0, Y2, Y0)
	VPOR(Y3, Y0, Y0)
	VPOR(Y4, Y0, Y0)
	VMOVDQU(Y0, m(RDI, 0))
	ADDQ(U8(32), RDI)
	ADDQ(U8(32), R8)
	LEAQ(mi(RSI, RBX, 8, 0), RSI)
	DECQ(RCX)
	JNZ(LabelRef("group"))
	Label("done")
	done()
}

// softmaxCols describes the softmax of groups of 8 rows of cols floats
// with one row per lane, so that the exponentials of a group are
// independent (the per-row chain max -> exp -> sum -> divide no longer
// limits the throughput). Per row these are the twin's operations exactly;
// the lane accumulator of column j is acc[j%8], filled in order of j. If
// len(idx) > 0 it then samples idx from the probabilities as
// sampleRowsAVX2 does (u as there). scratch holds the group column by
// column: the logits, then the exponentials, then the partial sums of the
// sampler.
//
// Registers: SI src / DI dst of the group, BX row bytes, R10 3·BX, CX
// groups left, R8 stats, R9 scratch, R12 idx (0: no sampling), R13 u, AX
// bytes of columns left or the scratch offset, R11 / DX rows 0 / 4 at the
// current 8 columns. Y12 the max then 1/sum, Y13 the partial sums, Y15
// invTau.
func softmaxCols() {
	TEXT("softmaxColsAVX2", NOSPLIT, "func(dst, src, stats, scratch []float32, idx []int32, u []float32, cols int, invTau float32)")
	Pragma("noescape")
	Doc("softmaxColsAVX2 computes what softmaxRowsAVX2 computes, for rows =", "len(stats)/2 rows of cols floats with rows%8 == 0, cols%8 == 0 and", "cols >= 16, eight rows at a time with one row per lane (scratch, of at", "least 8*cols floats, holds the group column by column). If len(idx) > 0", "it then computes sampleRowsAVX2(idx, dst, u, scratch, cols) for the group", "from the probabilities (with invTau = 1 this is the fused kernel; rows", "that fail the softmax get an unspecified idx).", "", "Preconditions: len(src), len(dst) >= rows*cols, len(idx) == 0 or", "len(idx), len(u) >= rows; dst is src or does not overlap it.")
	Load(Param("dst").Base(), RDI)
	Load(Param("src").Base(), RSI)
	Load(Param("stats").Base(), R8)
	Load(Param("stats").Len(), RCX)
	SHRQ(U8(4), RCX) // groups: rows/8 = len/16
	JZ(LabelRef("done"))
	Load(Param("scratch").Base(), R9)
	Load(Param("idx").Base(), R12)
	Load(Param("idx").Len(), RAX)
	TESTQ(RAX, RAX)
	JNZ(LabelRef("args"))
	XORQ(R12, R12) // no sampling
	Label("args")
	Load(Param("u").Base(), R13)
	cols := addr(Param("cols"))
	Load(Param("cols"), RBX)
	SHLQ(U8(2), RBX)
	LEAQ(mi(RBX, RBX, 2, 0), R10)
	VBROADCASTSS(addr(Param("invTau")), Y15)

	Label("group")
	softmaxColsMax()
	softmaxColsExp()
	softmaxColsNormalise()
	softmaxColsSample(cols)
	Label("next")
	LEAQ(mi(RSI, RBX, 8, 0), RSI)
	LEAQ(mi(RDI, RBX, 8, 0), RDI)
	ADDQ(U8(64), R8)
	DECQ(RCX)
	JNZ(LabelRef("group"))
	Label("done")
	done()
}

// negLogRows describes the -log of uniforms made from integer draws, 8 or
// 16 floats at a time (AVX-512: the last 8 under the mask K5 = 0xff): x =
// max(float32(k), 1/2)·2^-24, then n times x = -log(x).
//
// AVX2 registers: DI dst, CX vectors left, BX n, AX repeats left; Y0 the
// value, Y1-Y5 negLog8's scratch. AVX-512: CX floats left, DX the lane
// mask bits; Z0 the value, Z1-Z5 and K1 negLog16's scratch, K5 the lanes.
// On Zen 4 a ZMM operation costs two YMM ones, yet the AVX-512 routine runs
// about 1.4× faster: the -log is one long dependent chain per vector, and
// with 16 lanes per instruction the out-of-order window holds twice the
// elements.
func negLogRows(v vec) {
	TEXT("negLogRows"+v.suffix, NOSPLIT, "func(dst []float32, n int)")
	Pragma("noescape")
	if v.avx512 {
		Doc("negLogRowsAVX512 is negLogRowsAVX2 (the impl.negLog contract) in 16", "lanes. Preconditions: len(dst)%8 == 0, n >= 0.")
	} else {
		Doc("negLogRowsAVX2 computes what negLogGeneric computes, eight at a time:", "", "\tfor i: x = max(float32(bits(dst[i])), 0.5) * 2^-24; repeat n times: x = negLogf32(x); dst[i] = x", "", "Preconditions: len(dst)%8 == 0, n >= 0.")
	}
	Load(Param("dst").Base(), RDI)
	Load(Param("dst").Len(), RCX)
	if v.avx512 {
		Load(Param("n"), RBX)
		MOVL(U32(0xffff), EDX)
		KMOVW(EDX, K5)
		Label("loop")
		CMPQ(RCX, U8(16))
		JAE(LabelRef("vec"))
		TESTQ(RCX, RCX)
		JZ(LabelRef("done"))
		MOVL(U32(0xff), EDX)
		KMOVW(EDX, K5)
		MOVQ(U32(16), RCX) // the last 8 floats end the loop
		Label("vec")
		VCVTDQ2PS_Z(m(RDI, 0), K5, Z0) // k < 2^24: exact
		VMAXPS_BCST(kHalf, Z0, Z0)     // U = max(k, 1/2)·2^-24
		VMULPS_BCST(k2m24, Z0, Z0)
	} else {
		SHRQ(U8(3), RCX)
		JZ(LabelRef("done"))
		Load(Param("n"), RBX)
		Label("loop")
		VCVTDQ2PS(m(RDI, 0), Y0) // k < 2^24: exact
		VMAXPS(kHalf, Y0, Y0)    // U = max(k, 1/2)·2^-24
		VMULPS(k2m24, Y0, Y0)
	}
	MOVQ(RBX, RAX)
	Label("rep")
	TESTQ(RAX, RAX)
	JLE(LabelRef("store"))
	if v.avx512 {
		negLog16(Z0, Z1, Z2, Z3, Z4, Z5, K1)
	} else {
		negLog8(Y0, Y1, Y2, Y3, Y4, Y5)
	}
	DECQ(RAX)
	JMP(LabelRef("rep"))
	Label("store")
	if v.avx512 {
		VMOVUPS(Z0, K5, m(RDI, 0))
		ADDQ(U8(64), RDI)
		SUBQ(U8(16), RCX)
		JMP(LabelRef("loop"))
	} else {
		VMOVUPS(Y0, m(RDI, 0))
		ADDQ(U8(32), RDI)
		DECQ(RCX)
		JNZ(LabelRef("loop"))
	}
	Label("done")
	done()
}

// negLogFloatsAVX2 describes the -log of floats, eight at a time, up to the
// first vector that is not all positive normal floats or +Inf. +Inf (a
// masked category of the conditional Gumbel sampler) is done here, as the
// twin does it (-log(+Inf) = -Inf), so that masked categories do not send
// every vector to the twin.
//
// Registers: DI x, CX vectors left, AX elements done, BX the lane mask; Y0
// the value, Y1-Y5 negLog8's scratch (Y1, Y2 first hold the domain test),
// Y6 the +Inf lanes.
func negLogFloatsAVX2() {
	TEXT("negLogFloatsAVX2", NOSPLIT, "func(x []float32) int")
	Pragma("noescape")
	Doc("negLogFloatsAVX2 replaces x[i] by negLogf32(x[i]), eight at a time, up to", "the first vector holding a value that is not a positive normal finite", "float (NaN included), which it leaves untouched; it returns the number of", "elements done (a multiple of 8). Precondition: len(x)%8 == 0.")
	Load(Param("x").Base(), RDI)
	Load(Param("x").Len(), RCX)
	SHRQ(U8(3), RCX)
	XORQ(RAX, RAX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	Label("loop")
	VMOVUPS(m(RDI, 0), Y0)
	VCMPPS(U8(0x1d), kMinNorm, Y0, Y1) // x >= 2^-126 (GE_OQ: false for NaN)
	VCMPPS(U8(0x12), kMaxF, Y0, Y2)    // x <= MaxFloat32 (LE_OQ)
	VANDPS(Y2, Y1, Y1)
	VCMPPS(U8(0x00), kInf, Y0, Y6) // x == +Inf (EQ_OQ)
	VORPS(Y6, Y1, Y1)
	VMOVMSKPS(Y1, EBX)
	CMPL(EBX, U32(0xff))
	JNE(LabelRef("done")) // the Go twin takes this vector
	negLog8(Y0, Y1, Y2, Y3, Y4, Y5)
	VBLENDVPS(Y6, kNegInf, Y0, Y0)
	VMOVUPS(Y0, m(RDI, 0))
	ADDQ(U8(32), RDI)
	ADDQ(U8(8), RAX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("done")
	Store(RAX, ReturnIndex(0))
	done()
}

// negLogFloatsAVX512 describes negLogFloatsAVX2 in 16 lanes: it stops at
// the first 8-float half vector that holds a special value (the low half
// of a vector can still go when only its high half holds one), so it
// returns a multiple of 8 as the table's w = 8 contract asks.
//
// Registers: DI x, CX floats left, AX floats done, BX the lanes of this
// vector (0xffff or 0xff), DX the valid lanes; Z0 the value, Z1-Z5 and K1
// negLog16's scratch, K2 and K3 the domain tests, K4 the +Inf lanes, K5
// the lanes to store.
func negLogFloatsAVX512() {
	TEXT("negLogFloatsAVX512", NOSPLIT, "func(x []float32) int")
	Pragma("noescape")
	Doc("negLogFloatsAVX512 is negLogFloatsAVX2 (the impl.negLogF contract) in 16", "lanes; it returns a multiple of 8. Precondition: len(x)%8 == 0.")
	Load(Param("x").Base(), RDI)
	Load(Param("x").Len(), RCX)
	XORQ(RAX, RAX)
	Label("loop")
	MOVL(U32(0xffff), EBX)
	CMPQ(RCX, U8(16))
	JAE(LabelRef("vec"))
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	MOVL(U32(0xff), EBX)
	Label("vec")
	KMOVW(EBX, K5)
	VMOVUPS_Z(m(RDI, 0), K5, Z0)
	VCMPPS_BCST(U8(0x1d), kMinNorm, Z0, K2) // x >= 2^-126 (GE_OQ: false for NaN)
	VCMPPS_BCST(U8(0x12), kMaxF, Z0, K3)    // x <= MaxFloat32 (LE_OQ)
	KANDW(K3, K2, K2)
	VCMPPS_BCST(U8(0x00), kInf, Z0, K4) // x == +Inf (EQ_OQ)
	KORW(K4, K2, K2)
	KMOVW(K2, EDX)
	ANDL(EBX, EDX)
	CMPL(EDX, EBX)
	JE(LabelRef("go"))
	CMPL(EBX, U32(0xff)) // a half vector with a special value:
	JE(LabelRef("done")) // the Go twin takes it
	ANDL(U32(0xff), EDX)
	CMPL(EDX, U32(0xff))
	JNE(LabelRef("done"))
	MOVL(U32(0xff), EBX) // only the high half has one: do the low
	KMOVW(EBX, K5)
	Label("go")
	negLog16(Z0, Z1, Z2, Z3, Z4, Z5, K1)
	VBROADCASTSS(kNegInf, K4, Z0)
	VMOVUPS(Z0, K5, m(RDI, 0))
	POPCNTL(EBX, EBX)
	ADDQ(RBX, RAX)
	SUBQ(RBX, RCX)
	LEAQ(mi(RDI, RBX, 4, 0), RDI)
	CMPL(EBX, U8(16))
	JE(LabelRef("loop"))
	Label("done")
	Store(RAX, ReturnIndex(0))
	done()
}

// softmaxRowsAVX512 describes the row softmax one row at a time, 16
// columns per vector (a last half vector of 8 columns in YMM). The
// exponentials of a vector go into the twin's 8-lane accumulator in column
// order: first its low eight (columns j..j+7), then its high eight
// (j+8..j+15), so acc[l] sums the columns l mod 8 in order exactly like
// the twin.
//
// Registers: SI src row, DI dst row, DX stats, CX rows left, BX row bytes,
// R9 bytes in whole 16-column vectors, AX byte offset in the row; Z0 the
// row max, Y2 lane sums then 1/sum, Z3 the current vector, Z4-Z6 and K1
// exp16's scratch, Z16 = invTau.
func softmaxRowsAVX512() {
	TEXT("softmaxRowsAVX512", NOSPLIT, "func(dst, src, stats []float32, cols int, invTau float32)")
	Pragma("noescape")
	Doc("softmaxRowsAVX512 computes, for each of the rows = len(stats)/2 rows of", "cols floats (cols%8 == 0, cols >= 16; pads are -Inf), exactly what", "softmaxRowsGeneric computes (see softmaxRowsAVX2), 16 columns per", "vector.", "", "Preconditions (checked by the Go driver): len(src), len(dst) >=", "rows*cols; dst is src or does not overlap it. No alignment is assumed.")
	Load(Param("dst").Base(), RDI)
	Load(Param("src").Base(), RSI)
	Load(Param("stats").Base(), RDX)
	Load(Param("stats").Len(), RCX)
	SHRQ(U8(1), RCX) // rows
	JZ(LabelRef("done"))
	Load(Param("cols"), RBX)
	SHLQ(U8(2), RBX) // row bytes
	MOVQ(RBX, R9)
	ANDQ(I8(-64), R9) // >= 64: cols >= 16
	VBROADCASTSS(addr(Param("invTau")), Z16)

	Label("row")
	// Pass 1: the row max in every lane of Z0.
	VMOVUPS(m(RSI, 0), Z0)
	MOVQ(U32(64), RAX)
	Label("maxloop")
	CMPQ(RAX, R9)
	JAE(LabelRef("maxtail"))
	VMAXPS(mi(RSI, RAX, 1, 0), Z0, Z0)
	ADDQ(U8(64), RAX)
	JMP(LabelRef("maxloop"))
	Label("maxtail")
	VEXTRACTF64X4(U8(1), Z0, Y1)
	VMAXPS(Y1, Y0, Y0)
	CMPQ(R9, RBX)
	JE(LabelRef("maxred"))
	VMAXPS(mi(RSI, R9, 1, 0), Y0, Y0)
	Label("maxred")
	lanesTree(vmaxps, Y0, Y0, Y1)
	VMOVSS(X0, m(RDX, 0)) // stats[2r] = m
	VBROADCASTSS(X0, Z0)

	// Pass 2: dst = exp((src - m)·invTau); Y2 = acc[0..7].
	VXORPS(Y2, Y2, Y2)
	XORQ(RAX, RAX)
	Label("exploop")
	VMOVUPS(mi(RSI, RAX, 1, 0), Z3)
	VSUBPS(Z0, Z3, Z3)
	VMULPS(Z16, Z3, Z3)
	exp16(Z3, Z4, Z5, Z6, K1)
	VMOVUPS(Z3, mi(RDI, RAX, 1, 0))
	VEXTRACTF64X4(U8(1), Z3, Y4)
	VADDPS(Y3, Y2, Y2) // columns j..j+7
	VADDPS(Y4, Y2, Y2) // then j+8..j+15
	ADDQ(U8(64), RAX)
	CMPQ(RAX, R9)
	JB(LabelRef("exploop"))
	CMPQ(R9, RBX)
	JE(LabelRef("sumred"))
	VMOVUPS(mi(RSI, R9, 1, 0), Y3) // the last 8 columns (lanes 8-15 zero, unused)
	VSUBPS(Z0, Z3, Z3)
	VMULPS(Z16, Z3, Z3)
	exp16(Z3, Z4, Z5, Z6, K1)
	VMOVUPS(Y3, mi(RDI, R9, 1, 0))
	VADDPS(Y3, Y2, Y2)
	Label("sumred")
	// The twin's tree; every lane ends equal.
	lanesTree(vaddps, Y2, Y2, Y1)
	VMOVSS(X2, m(RDX, 4)) // stats[2r+1] = s
	VBROADCASTSS(kOne, Y1)
	VDIVPS(Y2, Y1, Y2) // 1/s
	VBROADCASTSS(X2, Z2)

	// Pass 3: dst *= 1/s.
	XORQ(RAX, RAX)
	Label("scale")
	VMULPS(mi(RDI, RAX, 1, 0), Z2, Z3)
	VMOVUPS(Z3, mi(RDI, RAX, 1, 0))
	ADDQ(U8(64), RAX)
	CMPQ(RAX, R9)
	JB(LabelRef("scale"))
	CMPQ(R9, RBX)
	JE(LabelRef("next"))
	VMULPS(mi(RDI, R9, 1, 0), Y2, Y3)
	VMOVUPS(Y3, mi(RDI, R9, 1, 0))
	Label("next")
	ADDQ(RBX, RSI)
	ADDQ(RBX, RDI)
	ADDQ(U8(8), RDX)
	DECQ(RCX)
	JNZ(LabelRef("row"))
	Label("done")
	done()
}

// softmax8AVX512 describes the softmax of rows of 8 floats, two per vector
// (row 2q in lanes 0-7, row 2q+1 in lanes 8-15). Every reduction stays
// inside a 256-bit half and follows the twin's tree, so each row gets the
// twin's bits.
//
// Registers: SI src, DI dst, DX stats, CX pairs of rows left; Z0 the max,
// Z1 scratch, Z2 the sums then 1/sum, Z3 the rows, Z4-Z6 and K1 exp16's
// scratch, Z16 = invTau, Z17 = 1.
func softmax8AVX512() {
	TEXT("softmax8AVX512", NOSPLIT, "func(dst, src, stats []float32, invTau float32)")
	Pragma("noescape")
	Doc("softmax8AVX512 computes softmaxRowsAVX512(dst, src, stats, 8, invTau) for", "an even number of rows (len(stats)/2), two rows per vector.", "", "Preconditions: len(src), len(dst) >= 4*len(stats); dst is src or does not", "overlap it.")
	Load(Param("dst").Base(), RDI)
	Load(Param("src").Base(), RSI)
	Load(Param("stats").Base(), RDX)
	Load(Param("stats").Len(), RCX)
	SHRQ(U8(2), RCX) // pairs of rows
	JZ(LabelRef("done"))
	VBROADCASTSS(addr(Param("invTau")), Z16)
	VBROADCASTSS(kOne, Z17)
	Label("loop")
	VMOVUPS(m(RSI, 0), Z3)
	VSHUFF32X4(U8(0xb1), Z3, Z3, Z1) // swap the 128-bit halves of each row
	VMAXPS(Z1, Z3, Z0)
	VPERMILPS(U8(0x4e), Z0, Z1)
	VMAXPS(Z1, Z0, Z0)
	VPERMILPS(U8(0xb1), Z0, Z1)
	VMAXPS(Z1, Z0, Z0)
	VSUBPS(Z0, Z3, Z3)
	VMULPS(Z16, Z3, Z3)
	exp16(Z3, Z4, Z5, Z6, K1)
	VSHUFF32X4(U8(0xb1), Z3, Z3, Z1) // (l, l+4)
	VADDPS(Z1, Z3, Z2)
	VPERMILPS(U8(0x4e), Z2, Z1) // (l, l+2)
	VADDPS(Z1, Z2, Z2)
	VPERMILPS(U8(0xb1), Z2, Z1) // (0, 1)
	VADDPS(Z1, Z2, Z2)
	VUNPCKLPS(Z2, Z0, Z1) // (m, s, m, s) in each 128-bit lane
	VMOVSD(X1, m(RDX, 0)) // row 2q: lane 0
	VEXTRACTF32X4(U8(2), Z1, X1)
	VMOVSD(X1, m(RDX, 8)) // row 2q+1: lane 8
	VDIVPS(Z2, Z17, Z2)
	VMULPS(Z2, Z3, Z3)
	VMOVUPS(Z3, m(RDI, 0))
	ADDQ(U8(64), RSI)
	ADDQ(U8(64), RDI)
	ADDQ(U8(16), RDX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("done")
	done()
}

// softmaxColsMax transposes a group into scratch, 8 columns at a time, and
// takes the lane-wise max (Y12).
func softmaxColsMax() {
	// Pass 1: transpose the group into scratch, 8 columns at a time, and
	// take the lane-wise max.
	VMOVUPS(kNegInf, Y12)
	MOVQ(RSI, R11)
	LEAQ(mi(RSI, RBX, 4, 0), RDX)
	MOVQ(R9, RAX)
	Label("load")
	for h, off := range []int{0, 16} {
		load4(off, R11, RDX, RBX, R10)
		transpose4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
		for c, y := range ymm[:4] {
			VMOVUPS(y, m(RAX, 128*h+32*c))
		}
		// A tree per 4 columns keeps the running max off the critical path.
		if h == 0 {
			VMAXPS(Y1, Y0, Y4)
			VMAXPS(Y3, Y2, Y5)
			VMAXPS(Y5, Y4, Y4)
		} else {
			VMAXPS(Y1, Y0, Y5)
			VMAXPS(Y3, Y2, Y6)
			VMAXPS(Y6, Y5, Y5)
			VMAXPS(Y5, Y4, Y4)
			VMAXPS(Y4, Y12, Y12)
		}
	}
	ADDQ(U8(32), R11)
	ADDQ(U8(32), RDX)
	ADDQ(U32(256), RAX)
	MOVQ(R11, R14)
	SUBQ(RSI, R14)
	CMPQ(R14, RBX)
	JB(LabelRef("load"))

}

// softmaxColsExp replaces the group in scratch by its exponentials, summed
// per lane into acc[0..7] (Y0-Y7).
func softmaxColsExp() {
	// Pass 2: exponentials in place in scratch; Y0-Y7 = acc[0..7].
	for _, y := range ymm[:8] {
		VXORPS(y, y, y)
	}
	MOVQ(R9, RAX)
	Label("exp")
	for c, acc := range ymm[:8] {
		// exp((x - max)·invTau) of the scratch column, added to acc.
		VMOVUPS(m(RAX, 32*c), Y8)
		VSUBPS(Y12, Y8, Y8)
		VMULPS(Y15, Y8, Y8)
		exp8(Y8, Y9, Y10, Y11, Y13)
		VMOVUPS(Y8, m(RAX, 32*c))
		VADDPS(Y8, acc, acc)
	}
	ADDQ(U32(256), RAX)
	MOVQ(RAX, R14)
	SUBQ(R9, R14)
	SHRQ(U8(3), R14) // scratch bytes / 8 = row bytes done
	CMPQ(R14, RBX)
	JB(LabelRef("exp"))

}

// softmaxColsNormalise writes the stats and the probabilities, transposed
// back to the rows of dst; with sampling, the partial sums go to scratch
// and the group's samples are drawn (softmaxColsSample) before "next".
func softmaxColsNormalise() {
	// Pass 3: the sum tree, the stats, 1/sum.
	VADDPS(Y4, Y0, Y0)
	VADDPS(Y6, Y2, Y2)
	VADDPS(Y2, Y0, Y0)
	VADDPS(Y5, Y1, Y1)
	VADDPS(Y7, Y3, Y3)
	VADDPS(Y3, Y1, Y1)
	VADDPS(Y1, Y0, Y13)
	VUNPCKLPS(Y13, Y12, Y8)
	VUNPCKHPS(Y13, Y12, Y9)
	VPERM2F128(U8(0x20), Y9, Y8, Y10)
	VPERM2F128(U8(0x31), Y9, Y8, Y11)
	VMOVUPS(Y10, m(R8, 0))
	VMOVUPS(Y11, m(R8, 32))
	VMOVUPS(kOne, Y12)
	VDIVPS(Y13, Y12, Y12)
	VXORPS(Y13, Y13, Y13)

	// Pass 4: probabilities, transposed back to the rows of dst; with
	// sampling, the partial sums go to scratch.
	MOVQ(RDI, R11)
	LEAQ(mi(RDI, RBX, 4, 0), RDX)
	MOVQ(R9, RAX)
	Label("store")
	for c, y := range ymm[:8] {
		VMULPS(m(RAX, 32*c), Y12, y)
	}
	TESTQ(R12, R12)
	JZ(LabelRef("nocdf"))
	for c, y := range ymm[:8] {
		VADDPS(y, Y13, Y13)
		VMOVUPS(Y13, m(RAX, 32*c))
	}
	Label("nocdf")
	transpose4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	transpose4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	rows := []func(base Register, disp int) Mem{
		func(b Register, d int) Mem { return m(b, d) },
		func(b Register, d int) Mem { return mi(b, RBX, 1, d) },
		func(b Register, d int) Mem { return mi(b, RBX, 2, d) },
		func(b Register, d int) Mem { return mi(b, R10, 1, d) },
	}
	for j := range 8 {
		VMOVUPS(xmm[j], rows[j%4](R11, 16*(j/4)))
		VEXTRACTF128(U8(1), ymm[j], rows[j%4](RDX, 16*(j/4)))
	}
	ADDQ(U8(32), R11)
	ADDQ(U8(32), RDX)
	ADDQ(U32(256), RAX)
	MOVQ(R11, R14)
	SUBQ(RDI, R14)
	CMPQ(R14, RBX)
	JB(LabelRef("store"))
	TESTQ(R12, R12)
	JZ(LabelRef("next"))

}

// softmaxColsSample draws the group's samples from the partial sums in
// scratch, as sampleRowsAVX2 does (the probabilities are valid, so only u
// can make a row bad).
func softmaxColsSample(cols Mem) {
	// Pass 5: t = u·total, k = #{j : c_j <= t}, idx as in sampleRowsAVX2
	// (the probabilities are valid, so only u can make a row bad).
	VMULPS(m(R13, 0), Y13, Y13)
	VPXOR(Y0, Y0, Y0)
	MOVQ(R9, RAX)
	MOVQ(RBX, R14)
	SHRQ(U8(2), R14) // cols
	Label("count")
	VCMPPS(U8(0x1d), m(RAX, 0), Y13, Y1) // t >= c_j (GE_OQ)
	VPSUBD(Y1, Y0, Y0)
	ADDQ(U8(32), RAX)
	DECQ(R14)
	JNZ(LabelRef("count"))
	VPBROADCASTD(cols, Y2)
	VPCMPEQD(Y2, Y0, Y2) // k == cols
	VPSLLD(U8(1), Y2, Y3)
	VPANDN(Y0, Y2, Y0)
	VPOR(Y3, Y0, Y0)
	VMOVUPS(m(R13, 0), Y1)
	VXORPS(Y2, Y2, Y2)
	VCMPPS(U8(0x19), Y2, Y1, Y3) // NGE_UQ: !(u >= 0)
	VPOR(Y3, Y0, Y0)
	VCMPPS(U8(0x15), kOne, Y1, Y3) // NLT_UQ: !(u < 1)
	VPOR(Y3, Y0, Y0)
	VMOVDQU(Y0, m(R12, 0))
	ADDQ(U8(32), R12)
	ADDQ(U8(32), R13)
}
