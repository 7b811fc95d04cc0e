package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// bce describes the fused sigmoid + binary cross-entropy of sigmoidbce.go
// (bceElem, lane by lane). Each element is one long dependency chain (an
// exp, a division, a log), longer than the out-of-order window holds, so
// the work runs in blocks of up to 4 vectors in three phases with short
// chains, through a stack scratch of 3 areas of 4 vectors: T = exp(-|z|),
// then Q = 1/u and L = l = c·q + log u (u = 1 + t, c = t - (u - 1)), then
// everything else:
//
//	near = S ? 0 : -l, far = S ? -100 : max(-|z| - l, -100),
//	S (sign bit) = (u == 1 && z not negative) || z <= -88.7228,
//	lp/l1p = blend of near/far on the sign of z, e = x·lp + (1-x)·l1p,
//	acc += e (float64, 8 lanes: lane l gets elements l, l+8, ... in order),
//	dz = scale·(S ? 0 : (neg ? r - x : (1-x) - r)·min(r·q·1e12, 1)), r = t·q.
//
// Registers: SI z, DX x, DI dz (R8 = len(dz), 0: no gradient) at the
// block; CX vectors left; R10 vectors in the block, R14 its bytes; R11 byte
// offset in the block; R13 the scratch. The AVX2 kernel keeps -100 in Y12,
// scale in Y15 and the sums in Y13 (lanes 0-3) and Y14 (4-7); the AVX-512
// one -100 in Z12, scale in Z15, the sums in Z13, z negative (its sign
// bit) in K2 and S in K3.
func bce(v vec) {
	name := "bce" + v.suffix
	if v.avx512 {
		name = "bce16" + v.suffix
	}
	TEXT(name, NOSPLIT, "func(dz, z, x []float32, scale float32, acc [8]float64) [8]float64")
	Pragma("noescape")
	if v.avx512 {
		Doc(name+" computes, sixteen elements at a time, exactly what bceAVX2",
			"(and bceGeneric) computes: for each i, (e, g) = bceElem(z[i], x[i]);",
			"acc[i%8] += float64(e) in index order; if len(dz) > 0, dz[i] = scale*g.",
			"",
			"Preconditions: len(z)%16 == 0, len(x) >= len(z), len(dz) == 0 or",
			"len(dz) >= len(z); dz may be z.")
	} else {
		Doc(name+" computes, eight elements at a time, exactly what bceGeneric",
			"computes: for each i, (e, g) = bceElem(z[i], x[i]); acc[i%8] +=",
			"float64(e); if len(dz) > 0, dz[i] = scale*g. It returns acc.",
			"",
			"Preconditions: len(z)%8 == 0, len(x) >= len(z), len(dz) == 0 or",
			"len(dz) >= len(z); dz may be z.")
	}
	vb := v.bytes()
	scratch := AllocLocal(3 * 4 * vb)
	Load(Param("dz").Base(), RDI)
	Load(Param("dz").Len(), R8)
	Load(Param("z").Base(), RSI)
	Load(Param("z").Len(), RCX)
	Load(Param("x").Base(), RDX)
	acc0, acc4 := addr(Param("acc").Index(0)), addr(Param("acc").Index(4))
	if v.avx512 {
		VBROADCASTSS(addr(Param("scale")), Z15)
		VMOVUPD(acc0, Y13)
		VMOVUPD(acc4, Y14)
		VINSERTF64X4(U8(1), Y14, Z13, Z13)
		VBROADCASTSS(eM100, Z12)
	} else {
		VBROADCASTSS(addr(Param("scale")), Y15)
		VMOVUPD(acc0, Y13)
		VMOVUPD(acc4, Y14)
		VMOVUPS(eM100, Y12)
	}
	LEAQ(scratch, R13)
	shift := map[bool]uint8{false: 3, true: 4}[v.avx512]
	SHRQ(U8(shift), RCX)

	Label("block")
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	MOVQ(RCX, R10)
	CMPQ(R10, U8(4))
	JLE(LabelRef("sized"))
	MOVQ(U32(4), R10)
	Label("sized")
	MOVQ(R10, R14)
	SHLQ(U8(shift+2), R14)
	XORQ(R11, R11)

	at := func(base Register, disp int) Mem { return Mem{Base: base, Index: R11, Scale: 1, Disp: disp} }
	phase := func(label string, body func()) {
		Label(label)
		body()
		ADDQ(U8(vb), R11)
		CMPQ(R11, R14)
		JL(LabelRef(label))
	}
	qOff, lOff := 4*vb, 8*vb
	if v.avx512 {
		bce16Phases(phase, at, qOff, lOff)
	} else {
		bceAVX2Phases(phase, at, qOff, lOff)
	}
	Label("next")
	ADDQ(U8(vb), R11)
	CMPQ(R11, R14)
	JL(LabelRef("phase3"))
	ADDQ(R14, RSI)
	ADDQ(R14, RDX)
	ADDQ(R14, RDI)
	SUBQ(R10, RCX)
	JMP(LabelRef("block"))

	Label("done")
	if v.avx512 {
		VEXTRACTF64X4(U8(1), Z13, Y14)
	}
	VMOVUPD(Y13, addr(ReturnIndex(0).Index(0)))
	VMOVUPD(Y14, addr(ReturnIndex(0).Index(4)))
	done()
}

// bceAVX2Phases emits the three phases of a block in 8 lanes: T, then Q
// and L into the scratch, then the loss and gradient of each element up to
// the label "next" (phase 3's loop end is the caller's).
func bceAVX2Phases(phase func(string, func()), at func(Register, int) Mem, qOff, lOff int) {
	phase("phase1", func() {
		VMOVUPS(at(RSI, 0), Y0)
		VORPS(kSign, Y0, Y0)
		exp8(Y0, Y1, Y2, Y3, Y4)
		VMOVUPS(Y0, at(R13, 0))
	})
	XORQ(R11, R11)
	phase("phase2", func() {
		VMOVUPS(at(R13, 0), Y0)
		VADDPS(kOne, Y0, Y1)
		VSUBPS(kOne, Y1, Y2)
		VSUBPS(Y2, Y0, Y2)
		VMOVUPS(kOne, Y3)
		VDIVPS(Y1, Y3, Y3)
		VMULPS(Y3, Y2, Y2)
		VMOVUPS(Y3, at(R13, qOff))
		negLog8(Y1, Y4, Y5, Y6, Y7, Y8)
		VSUBPS(Y1, Y2, Y2)
		VMOVUPS(Y2, at(R13, lOff))
	})
	XORQ(R11, R11)
	Label("phase3")
	VMOVUPS(at(RSI, 0), Y0)
	VORPS(kSign, Y0, Y1)
	VMOVUPS(at(R13, 0), Y2)
	VMOVUPS(at(R13, qOff), Y5)
	VMOVUPS(at(R13, lOff), Y4)
	VADDPS(kOne, Y2, Y3)
	VCMPPS(U8(0), kOne, Y3, Y6)
	VXORPS(kSign, Y4, Y7)
	VSUBPS(Y4, Y1, Y8)
	VMAXPS(Y8, Y12, Y8)
	VANDNPS(Y6, Y0, Y9)
	VCMPPS(U8(2), eNegT, Y0, Y10)
	VORPS(Y10, Y9, Y9)
	VBLENDVPS(Y9, Y12, Y8, Y8)
	VXORPS(Y10, Y10, Y10)
	VBLENDVPS(Y9, Y10, Y7, Y7)
	VBLENDVPS(Y0, Y8, Y7, Y10)
	VBLENDVPS(Y0, Y7, Y8, Y11)
	VMOVUPS(at(RDX, 0), Y3)
	VMOVUPS(kOne, Y4)
	VSUBPS(Y3, Y4, Y4)
	VMULPS(Y3, Y10, Y10)
	VMULPS(Y4, Y11, Y11)
	VADDPS(Y11, Y10, Y10)
	VCVTPS2PD(X10, Y6)
	VADDPD(Y6, Y13, Y13)
	VEXTRACTF128(U8(1), Y10, X10)
	VCVTPS2PD(X10, Y6)
	VADDPD(Y6, Y14, Y14)
	TESTQ(R8, R8)
	JZ(LabelRef("next"))
	// Gradient: r = t·q; g = neg ? r - x : (1-x) - r;
	// g *= min(r·q·1e12, 1); g = S ? 0 : g; dz = scale·g.
	VMULPS(Y5, Y2, Y6)
	VSUBPS(Y3, Y6, Y7)
	VSUBPS(Y6, Y4, Y8)
	VBLENDVPS(Y0, Y7, Y8, Y7)
	VMULPS(Y5, Y6, Y6)
	VMULPS(e1e12, Y6, Y6)
	VMINPS(kOne, Y6, Y6)
	VMULPS(Y6, Y7, Y7)
	VXORPS(Y8, Y8, Y8)
	VBLENDVPS(Y9, Y8, Y7, Y7)
	VMULPS(Y15, Y7, Y7)
	VMOVUPS(Y7, at(RDI, 0))
}

// bce16Phases emits bceAVX2Phases's phases in 16 lanes, with mask
// registers for the blends.
func bce16Phases(phase func(string, func()), at func(Register, int) Mem, qOff, lOff int) {
	phase("phase1", func() {
		VMOVUPS(at(RSI, 0), Z0)
		VPORD_BCST(kSign, Z0, Z0)
		exp16(Z0, Z1, Z2, Z3, K1)
		VMOVUPS(Z0, at(R13, 0))
	})
	XORQ(R11, R11)
	phase("phase2", func() {
		VMOVUPS(at(R13, 0), Z0)
		VADDPS_BCST(kOne, Z0, Z1)
		VSUBPS_BCST(kOne, Z1, Z2)
		VSUBPS(Z2, Z0, Z2)
		VBROADCASTSS(kOne, Z3)
		VDIVPS(Z1, Z3, Z3)
		VMULPS(Z3, Z2, Z2)
		VMOVUPS(Z3, at(R13, qOff))
		negLog16(Z1, Z4, Z5, Z6, Z7, Z8, K1)
		VSUBPS(Z1, Z2, Z2)
		VMOVUPS(Z2, at(R13, lOff))
	})
	XORQ(R11, R11)
	Label("phase3")
	VMOVUPS(at(RSI, 0), Z0)
	VPORD_BCST(kSign, Z0, Z1)
	VMOVUPS(at(R13, 0), Z2)
	VMOVUPS(at(R13, qOff), Z5)
	VMOVUPS(at(R13, lOff), Z4)
	VADDPS_BCST(kOne, Z2, Z3)
	VCMPPS_BCST(U8(0), kOne, Z3, K1)
	VPTESTMD_BCST(kSign, Z0, K2)
	KANDNW(K1, K2, K3)
	VCMPPS_BCST(U8(2), eNegT, Z0, K4)
	KORW(K4, K3, K3)
	VPXORD_BCST(kSign, Z4, Z7)
	VSUBPS(Z4, Z1, Z8)
	VMAXPS(Z8, Z12, Z8)
	VMOVAPS(Z12, K3, Z8)
	VPXORD(Z10, Z10, Z10)
	VMOVAPS(Z10, K3, Z7)
	VMOVAPS(Z7, Z10)
	VMOVAPS(Z8, K2, Z10)
	VMOVAPS(Z8, Z11)
	VMOVAPS(Z7, K2, Z11)
	VMOVUPS(at(RDX, 0), Z3)
	VBROADCASTSS(kOne, Z4)
	VSUBPS(Z3, Z4, Z4)
	VMULPS(Z3, Z10, Z10)
	VMULPS(Z4, Z11, Z11)
	VADDPS(Z11, Z10, Z10)
	VCVTPS2PD(Y10, Z6)
	VADDPD(Z6, Z13, Z13)
	VEXTRACTF64X4(U8(1), Z10, Y10)
	VCVTPS2PD(Y10, Z6)
	VADDPD(Z6, Z13, Z13)
	TESTQ(R8, R8)
	JZ(LabelRef("next"))
	// Gradient: r = t·q; g = neg ? r - x : (1-x) - r;
	// g *= min(r·q·1e12, 1); g = S ? 0 : g; dz = scale·g.
	VMULPS(Z5, Z2, Z6)
	VSUBPS(Z3, Z6, Z7)
	VSUBPS(Z6, Z4, Z8)
	KNOTW(K2, K5)
	VMOVAPS(Z8, K5, Z7)
	VMULPS(Z5, Z6, Z6)
	VMULPS_BCST(e1e12, Z6, Z6)
	VMINPS_BCST(kOne, Z6, Z6)
	VMULPS(Z6, Z7, Z7)
	VPXORD(Z8, Z8, Z8)
	VMOVAPS(Z8, K3, Z7)
	VMULPS(Z15, Z7, Z7)
	VMOVUPS(Z7, at(RDI, 0))
}
