package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The conditional-Gumbel kernels of condgumbel.go and the Jacobian average
// of avgjacobian.go: the fused avgJ and the Jacobian average in AVX2, the
// logits in AVX2 and AVX-512. Each step mirrors its Go twin, separate
// multiplies and adds (no FMA), lane sums reduced as ((l0+l4) + (l2+l6)) +
// ((l1+l5) + (l3+l7)) (hsum). Registers are physical, named in each
// function's comment.

// hsum reduces the eight lanes of Y (X its low half) into the low float of
// X, using A and B as scratch.
func hsum(y, x, a, b VecPhysical) {
	VEXTRACTF128(U8(1), y, a)
	VADDPS(a, x, a)
	VMOVHLPS(a, a, b)
	VADDPS(b, a, b)
	VMOVSHDUP(b, a)
	VADDSS(a, b, x)
}

// rowVectors runs body over a row's full vectors (R11 of them, AX the byte
// offset from 0), then tail, if R12 (C%8) is not 0, at the offset after
// them; label names the loop.
func rowVectors(label string, body, tail func()) {
	XORQ(RAX, RAX)
	MOVQ(R11, RBX)
	TESTQ(RBX, RBX)
	JZ(LabelRef(label + "_tail"))
	Label(label)
	body()
	ADDQ(U8(32), RAX)
	DECQ(RBX)
	JNZ(LabelRef(label))
	Label(label + "_tail")
	TESTQ(R12, R12)
	JZ(LabelRef(label + "_end"))
	tail()
	Label(label + "_end")
}

// zeroAvg sets avg (DI, R11 full vectors) to zero and the register that
// will hold its masked last vector, last, too.
func zeroAvg(last VecPhysical) {
	VXORPS(Y0, Y0, Y0)
	XORQ(RAX, RAX)
	MOVQ(R11, RBX)
	TESTQ(RBX, RBX)
	JZ(LabelRef("zero_tail"))
	Label("zero")
	VMOVUPS(Y0, at(RDI))
	ADDQ(U8(32), RAX)
	DECQ(RBX)
	JNZ(LabelRef("zero"))
	Label("zero_tail")
	VXORPS(last, last, last)
}

// storeLastAvg writes the masked last vector of avg (C%8 != 0) from last,
// kept in a register to the end: a load cannot take its data from an
// earlier masked store, so a round trip through memory would stall every
// row.
func storeLastAvg(last VecPhysical) {
	TESTQ(R12, R12)
	JZ(LabelRef("ret"))
	MOVQ(R11, RAX)
	SHLQ(U8(5), RAX)
	VMASKMOVPS(last, Y13, at(RDI))
	Label("ret")
	done()
}

// splitC sets R11 = C/8 (full vectors per row) and R12 = C%8 from CX = C.
func splitC() {
	MOVQ(RCX, R11)
	SHRQ(U8(3), R11)
	MOVQ(RCX, R12)
	ANDQ(U8(7), R12)
}

// cgAvgJ describes the fused conditional-Gumbel average of Jacobians.
//
// Registers: DI avg, SI the current row of e, DX w, R8 g, CX C, R9 i, R10
// rows left, R11 full vectors per row, R12 C%8, R13 bytes per row, AX byte
// offset, BX vectors left; Y15 the masked last vector of avg, Y14 1, Y13
// the tail mask, Y11 e_ki/z, Y9/Y10 lane sums of r and r·g, Y7 1/s, Y8
// p·g; 1e-20 is added from memory. Each sample is a chain of dependent
// steps (two divisions, two lane reductions), so rows go in pairs: R14 the
// second row of a pair, with Y12 its e_ki/z, Y5/Y6 its lane sums, Y3 its
// 1/s and Y4 its p·g. The pair's contributions are added to avg in row
// order, as the twin adds them.
func cgAvgJ() {
	TEXT("cgAvgJAVX2", NOSPLIT, "func(avg, e, w, g []float32, i, K int, z float32, tail *[8]int32)")
	Pragma("noescape")
	Doc("cgAvgJAVX2 computes what cgAvgJGeneric computes, eight categories per",
		"vector (lane l takes j ≡ l mod 8), with masked loads and stores for the",
		"last vector of a row when C%8 != 0.",
		"",
		"Preconditions: C = len(avg) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,",
		"len(w), len(g) >= C, w[i] == 0, tail = &cgTailMasks[C%8].")
	Load(Param("avg").Base(), RDI)
	Load(Param("avg").Len(), RCX)
	Load(Param("e").Base(), RSI)
	Load(Param("w").Base(), RDX)
	Load(Param("g").Base(), R8)
	Load(Param("i"), R9)
	Load(Param("K"), R10)
	Load(Param("tail"), RAX)
	VMOVDQU(Mem{Base: RAX}, Y13)
	VMOVUPS(kOne, Y14)
	splitC()
	MOVQ(RCX, R13)
	SHLQ(U8(2), R13)
	zeroAvg(Y15)
	z := addr(Param("z"))
	eki := func(row Register, dst VecPhysical) {
		VMOVSS(Mem{Base: row, Index: R9, Scale: 4}, X0)
		VDIVSS(z, X0, X0)
		VBROADCASTSS(X0, dst)
	}

	cgAvgJPairs(eki)
	cgAvgJSingles(eki)
	Label("end")
	storeLastAvg(Y15)
}

// avgJac describes the Jacobian average.
//
// Registers: DI avg, SI the current row of p, R8 g, CX C, R10 rows left,
// R11 full vectors per row, R12 C%8, AX byte offset, BX vectors left; Y13
// the tail mask, Y10 lane sums of p·g, Y8 p·g, Y12 the masked last vector
// of avg.
func avgJac() {
	TEXT("avgJacAVX2", NOSPLIT, "func(avg, p, g []float32, K int, tail *[8]int32)")
	Pragma("noescape")
	Doc("avgJacAVX2 computes what avgJacGeneric computes, eight categories per",
		"vector, the last one of a row masked when C%8 != 0.",
		"",
		"Preconditions: C = len(avg) >= 1, K >= 1, len(p) >= K*C, len(g) >= C,",
		"tail = &cgTailMasks[C%8].")
	Load(Param("avg").Base(), RDI)
	Load(Param("avg").Len(), RCX)
	Load(Param("p").Base(), RSI)
	Load(Param("g").Base(), R8)
	Load(Param("K"), R10)
	Load(Param("tail"), RAX)
	VMOVDQU(Mem{Base: RAX}, Y13)
	splitC()
	zeroAvg(Y12)
	Label("row")
	// Pass 1: lane sums of p*g.
	VXORPS(Y10, Y10, Y10)
	rowVectors("p1", func() {
		VMOVUPS(at(RSI), Y0)
		VMULPS(at(R8), Y0, Y1)
		VADDPS(Y1, Y10, Y10)
	}, func() {
		VMASKMOVPS(at(RSI), Y13, Y0)
		VMASKMOVPS(at(R8), Y13, Y1)
		VMULPS(Y1, Y0, Y1)
		VADDPS(Y1, Y10, Y10)
	})
	hsum(Y10, X10, X1, X2)
	VBROADCASTSS(X10, Y8)
	// Pass 2: avg += p*g - p*d.
	rowVectors("p2", func() {
		VMOVUPS(at(RSI), Y0)
		VMULPS(at(R8), Y0, Y1)
		VMULPS(Y8, Y0, Y2)
		VSUBPS(Y2, Y1, Y1)
		VADDPS(at(RDI), Y1, Y1)
		VMOVUPS(Y1, at(RDI))
	}, func() {
		VMASKMOVPS(at(RSI), Y13, Y0)
		VMASKMOVPS(at(R8), Y13, Y1)
		VMULPS(Y1, Y0, Y1)
		VMULPS(Y8, Y0, Y2)
		VSUBPS(Y2, Y1, Y1)
		VADDPS(Y1, Y12, Y12)
	})
	LEAQ(Mem{Base: RSI, Index: RCX, Scale: 4}, RSI)
	DECQ(R10)
	JNZ(LabelRef("row"))
	storeLastAvg(Y12)
}

// cgLogits describes the conditional-Gumbel logits, one row of e at a time
// (rows are independent, so the out-of-order core overlaps one row's
// division with the next): a = (e·w + e_ki/z) + 1e-20, e = cgNegLog(a).
//
// AVX2 registers: SI the current row of e, DX w, CX C, R9 i, R10 rows left,
// R11 full vectors per row, R12 C%8, AX byte offset, BX vectors left; Y15
// 1e-20, Y13 the tail mask, Y11 e_ki/z, Y0-Y7 a and cgNegLog8's scratch.
// AVX-512 (16 categories at a time, a row's last C%16 under the mask K4,
// tail not read): R13 row bytes instead of CX, R11 whole vectors per row;
// Z15 1e-20, Z11 e_ki/z, Z0-Z5 and K1-K3 a and cgNegLog16's scratch.
func cgLogits(v vec) {
	name := "cgLogits" + v.suffix
	TEXT(name, NOSPLIT, "func(e, w []float32, i, K int, z float32, tail *[8]int32)")
	Pragma("noescape")
	if v.avx512 {
		Doc(name+" is cgLogitsAVX2 (the impl.cgLogits contract) in 16 lanes;",
			"it masks a row's last C%16 categories itself and does not read tail.")
	} else {
		Doc(name+" computes what cgLogitsGeneric computes, eight categories",
			"per vector, the last one of a row masked when C%8 != 0 (so any C >= 1).",
			"",
			"Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,",
			"w[i] == 0, tail = &cgTailMasks[C%8].")
	}
	z := addr(Param("z"))
	Load(Param("e").Base(), RSI)
	Load(Param("w").Base(), RDX)
	if v.avx512 {
		Load(Param("w").Len(), R13)
	} else {
		Load(Param("w").Len(), RCX)
	}
	Load(Param("i"), R9)
	Load(Param("K"), R10)
	eps, eki, a := Y15, Y11, Y0
	if v.avx512 {
		eps, eki, a = Z15, Z11, Z0
		VBROADCASTSS(kCGEps8, Z15)
		MOVQ(R13, R11)
		SHRQ(U8(4), R11)
		MOVQ(R13, RCX)
		ANDQ(U8(15), RCX)
		MOVL(U32(1), EAX)
		SHLL(CL, EAX)
		DECL(EAX)
		KMOVW(EAX, K4)
		SHLQ(U8(2), R13)
	} else {
		Load(Param("tail"), RAX)
		VMOVDQU(Mem{Base: RAX}, Y13)
		VMOVUPS(kCGEps8, Y15)
		splitC()
	}
	negLog := func() {
		if v.avx512 {
			cgNegLog16(Z0, K1, K2, K3, Z1, Z2, Z3, Z4, Z5)
		} else {
			cgNegLog8(Y0, Y2, Y3, Y1, Y4, Y5, Y6, Y7)
		}
	}
	Label("row")
	VMOVSS(Mem{Base: RSI, Index: R9, Scale: 4}, X0)
	VDIVSS(z, X0, X0)
	VBROADCASTSS(X0, eki)
	XORQ(RAX, RAX)
	MOVQ(R11, RBX)
	TESTQ(RBX, RBX)
	JZ(LabelRef("tail"))
	Label("vec")
	VMOVUPS(at(RSI), a)
	VMULPS(at(RDX), a, a)
	VADDPS(eki, a, a)
	VADDPS(eps, a, a)
	negLog()
	VMOVUPS(a, at(RSI))
	ADDQ(U8(v.bytes()), RAX)
	DECQ(RBX)
	JNZ(LabelRef("vec"))
	Label("tail")
	if v.avx512 {
		KORTESTW(K4, K4)
		JZ(LabelRef("next"))
		VMOVUPS_Z(at(RSI), K4, Z0)
		VMULPS_Z(at(RDX), Z0, K4, Z0)
	} else {
		TESTQ(R12, R12)
		JZ(LabelRef("next"))
		VMASKMOVPS(at(RSI), Y13, Y0)
		VMASKMOVPS(at(RDX), Y13, Y1)
		VMULPS(Y1, Y0, Y0)
	}
	VADDPS(eki, a, a)
	VADDPS(eps, a, a)
	negLog()
	if v.avx512 {
		VMOVUPS(Z0, K4, at(RSI))
	} else {
		VMASKMOVPS(Y0, Y13, at(RSI))
	}
	Label("next")
	if v.avx512 {
		ADDQ(R13, RSI)
	} else {
		LEAQ(Mem{Base: RSI, Index: RCX, Scale: 4}, RSI)
	}
	DECQ(R10)
	JNZ(LabelRef("row"))
	done()
}

// cgAvgJPairs takes the rows two at a time while two are left (from the
// label "pair"; it goes on at "single"): R14 the second row of a pair,
// with Y12 its e_ki/z, Y5/Y6 its lane sums, Y3 its 1/s and Y4 its p·g.
func cgAvgJPairs(eki func(Register, VecPhysical)) {
	Label("pair")
	CMPQ(R10, U8(2))
	JL(LabelRef("single"))
	LEAQ(Mem{Base: RSI, Index: R13, Scale: 1}, R14)
	eki(RSI, Y11)
	eki(R14, Y12)
	for _, r := range []VecPhysical{Y9, Y10, Y5, Y6} {
		VXORPS(r, r, r)
	}
	// Pass 1 of both rows, as in the single row below.
	rowVectors("pp1", func() {
		VMOVUPS(at(RDX), Y2)
		VMULPS(at(RSI), Y2, Y0)
		VADDPS(Y11, Y0, Y0)
		VADDPS(kCGEps8, Y0, Y0)
		VDIVPS(Y0, Y14, Y0)
		VMOVUPS(Y0, at(RSI))
		VADDPS(Y0, Y9, Y9)
		VMULPS(at(R8), Y0, Y1)
		VADDPS(Y1, Y10, Y10)
		VMULPS(at(R14), Y2, Y2)
		VADDPS(Y12, Y2, Y2)
		VADDPS(kCGEps8, Y2, Y2)
		VDIVPS(Y2, Y14, Y2)
		VMOVUPS(Y2, at(R14))
		VADDPS(Y2, Y5, Y5)
		VMULPS(at(R8), Y2, Y1)
		VADDPS(Y1, Y6, Y6)
	}, func() {
		VMASKMOVPS(at(RDX), Y13, Y2)
		VMASKMOVPS(at(R8), Y13, Y1)
		VMASKMOVPS(at(RSI), Y13, Y0)
		VMULPS(Y2, Y0, Y0)
		VADDPS(Y11, Y0, Y0)
		VADDPS(kCGEps8, Y0, Y0)
		VDIVPS(Y0, Y14, Y0)
		VANDPS(Y13, Y0, Y0)
		VMASKMOVPS(Y0, Y13, at(RSI))
		VADDPS(Y0, Y9, Y9)
		VMULPS(Y1, Y0, Y0)
		VADDPS(Y0, Y10, Y10)
		VMASKMOVPS(at(R14), Y13, Y0)
		VMULPS(Y2, Y0, Y0)
		VADDPS(Y12, Y0, Y0)
		VADDPS(kCGEps8, Y0, Y0)
		VDIVPS(Y0, Y14, Y0)
		VANDPS(Y13, Y0, Y0)
		VMASKMOVPS(Y0, Y13, at(R14))
		VADDPS(Y0, Y5, Y5)
		VMULPS(Y1, Y0, Y0)
		VADDPS(Y0, Y6, Y6)
	})
	hsum(Y9, X9, X1, X2)
	hsum(Y10, X10, X1, X2)
	hsum(Y5, X5, X1, X2)
	hsum(Y6, X6, X1, X2)
	VMOVSS(kOne, X0)
	VDIVSS(X9, X0, X7)  // 1/s of the first row
	VMULSS(X7, X10, X8) // its d
	VDIVSS(X5, X0, X3)  // 1/s of the second
	VMULSS(X3, X6, X4)  // its d
	for _, r := range []VecPhysical{Y7, Y8, Y3, Y4} {
		VBROADCASTSS(r.AsX(), r)
	}
	// Pass 2: avg = (avg + (pA*g - pA*dA)) + (pB*g - pB*dB).
	rowVectors("pp2", func() {
		VMOVUPS(at(R8), Y2)
		VMULPS(at(RSI), Y7, Y0)
		VMULPS(Y2, Y0, Y1)
		VMULPS(Y8, Y0, Y0)
		VSUBPS(Y0, Y1, Y1)
		VADDPS(at(RDI), Y1, Y1)
		VMULPS(at(R14), Y3, Y0)
		VMULPS(Y2, Y0, Y2)
		VMULPS(Y4, Y0, Y0)
		VSUBPS(Y0, Y2, Y2)
		VADDPS(Y2, Y1, Y1)
		VMOVUPS(Y1, at(RDI))
	}, func() {
		VMASKMOVPS(at(R8), Y13, Y2)
		VMASKMOVPS(at(RSI), Y13, Y0)
		VMULPS(Y0, Y7, Y0)
		VMULPS(Y2, Y0, Y1)
		VMULPS(Y8, Y0, Y0)
		VSUBPS(Y0, Y1, Y1)
		VADDPS(Y1, Y15, Y15)
		VMASKMOVPS(at(R14), Y13, Y0)
		VMULPS(Y0, Y3, Y0)
		VMULPS(Y2, Y0, Y2)
		VMULPS(Y4, Y0, Y0)
		VSUBPS(Y0, Y2, Y2)
		VADDPS(Y2, Y15, Y15)
	})
	LEAQ(Mem{Base: R14, Index: R13, Scale: 1}, RSI)
	SUBQ(U8(2), R10)
	JMP(LabelRef("pair"))

}

// cgAvgJSingles takes the rows left one at a time (from the label
// "single"; it goes on at "end").
func cgAvgJSingles(eki func(Register, VecPhysical)) {
	Label("single")
	TESTQ(R10, R10)
	JZ(LabelRef("end"))
	Label("row")
	eki(RSI, Y11)
	VXORPS(Y9, Y9, Y9)
	VXORPS(Y10, Y10, Y10)
	// Pass 1: r = 1/((e*w + ei) + 1e-20), stored over e; lane sums of r
	// and r*g.
	rowVectors("p1", func() {
		VMOVUPS(at(RSI), Y0)
		VMULPS(at(RDX), Y0, Y0)
		VADDPS(Y11, Y0, Y0)
		VADDPS(kCGEps8, Y0, Y0)
		VDIVPS(Y0, Y14, Y0)
		VMOVUPS(Y0, at(RSI))
		VADDPS(Y0, Y9, Y9)
		VMULPS(at(R8), Y0, Y1)
		VADDPS(Y1, Y10, Y10)
	}, func() {
		VMASKMOVPS(at(RSI), Y13, Y0)
		VMASKMOVPS(at(RDX), Y13, Y2)
		VMULPS(Y2, Y0, Y0)
		VADDPS(Y11, Y0, Y0)
		VADDPS(kCGEps8, Y0, Y0)
		VDIVPS(Y0, Y14, Y0)
		VANDPS(Y13, Y0, Y0) // lanes past C: 0
		VMASKMOVPS(Y0, Y13, at(RSI))
		VADDPS(Y0, Y9, Y9)
		VMASKMOVPS(at(R8), Y13, Y1)
		VMULPS(Y1, Y0, Y1)
		VADDPS(Y1, Y10, Y10)
	})
	hsum(Y9, X9, X1, X2)
	hsum(Y10, X10, X1, X2)
	VMOVSS(kOne, X0)
	VDIVSS(X9, X0, X0)  // 1/s
	VMULSS(X0, X10, X1) // d = t * (1/s)
	VBROADCASTSS(X0, Y7)
	VBROADCASTSS(X1, Y8)
	// Pass 2: p = r/s; avg += p*g - p*d.
	rowVectors("p2", func() {
		VMULPS(at(RSI), Y7, Y0)
		VMULPS(at(R8), Y0, Y1)
		VMULPS(Y8, Y0, Y2)
		VSUBPS(Y2, Y1, Y1)
		VADDPS(at(RDI), Y1, Y1)
		VMOVUPS(Y1, at(RDI))
	}, func() {
		VMASKMOVPS(at(RSI), Y13, Y0)
		VMULPS(Y0, Y7, Y0)
		VMASKMOVPS(at(R8), Y13, Y1)
		VMULPS(Y1, Y0, Y1)
		VMULPS(Y8, Y0, Y2)
		VSUBPS(Y2, Y1, Y1)
		VADDPS(Y1, Y15, Y15)
	})
	LEAQ(Mem{Base: RSI, Index: RCX, Scale: 4}, RSI)
	DECQ(R10)
	JNZ(LabelRef("row"))
}
