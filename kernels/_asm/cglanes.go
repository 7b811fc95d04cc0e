package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// cgLanes describes the lane-per-sample conditional-Gumbel kernel of
// cglanes.go: a group of samples (8 for AVX2, 16 for AVX-512) is processed
// column by column, lane l holding sample l of the group, so the sums over
// j are plain vector adds and no lanes are wasted for any C. Each step
// mirrors cgLanesGeneric (no FMA outside the exp and -log).
//
// Per group, the e columns are first copied into x, column j at
// x[lanes·j:]: by 4×4 transposes of row loads when C >= 4 and another
// sample follows the group (the loads of a row's last columns read up to 3
// floats of the next sample; AVX-512 does them once per half of eight
// samples), by masked gathers otherwise (the last group, whose lanes past K
// are off and read as 1). The passes then read and overwrite x in place.
// AVX2 runs at any τ (at τ = 1 with neither log nor exp); AVX-512 at τ ≠ 1
// only, where the -log and exp dominate, and adds a group's low half of
// eight samples to the 8-lane accumulators before its high half: the order
// in which the AVX2 kernel adds its groups, so acc gets the same bits.
//
// Registers: DI acc, R15 x, SI the group's first sample of e, DX w, R8 g,
// CX C, R9 i, R10 samples left, R13 bytes per group, R12 columns left, AX
// column offset in x, BX column offset in e, w and g (4·j), R11 a column's
// address. AVX2: R14 the lane masks; Y15 the gather offsets l·C, Y14 the
// lanes in use, Y13 e_ki/z, Y12 the sum s (then 1/s), Y11 the sum t (then
// d = p·g), Y10 the maximum (τ ≠ 1), Y9 z, Y8 1/τ, Y7 the gather's mask,
// Y0-Y6 scratch. AVX-512: the same in Z registers, K7 the lanes in use, K1
// the gather's mask, K2-K4 scratch. In the transposes DX, CX, BX, AX, R11
// and R12 (and for AVX-512 R9) hold other things and are reloaded after.
func cgLanes(v vec) {
	name := "cgLanes" + v.suffix
	if v.avx512 {
		TEXT(name, NOSPLIT, "func(acc, x, e, w, g []float32, i, K int, z, invTau float32)")
		Pragma("noescape")
		Doc(name+" computes what cgLanesGeneric computes at τ ≠ 1, sixteen",
			"samples at a time, one per lane, with cgLanesAVX2's bits.",
			"",
			"Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,",
			"len(g) >= C, len(acc) >= 8*C, len(x) >= 16*C, w[i] == 0.")
	} else {
		TEXT(name, NOSPLIT, "func(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool)")
		Pragma("noescape")
		Doc(name+" computes what cgLanesGeneric computes, eight samples at a",
			"time, one per lane.",
			"",
			"Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,",
			"len(g) >= C, len(acc), len(x) >= 8*C, w[i] == 0, masks = &cgTailMasks.")
	}
	wBase, wLen, iArg := Param("w").Base(), Param("w").Len(), Param("i")
	Load(Param("acc").Base(), RDI)
	Load(Param("x").Base(), R15)
	Load(Param("e").Base(), RSI)
	Load(wBase, RDX)
	Load(wLen, RCX)
	Load(Param("g").Base(), R8)
	Load(iArg, R9)
	Load(Param("K"), R10)
	r := func(n int) VecPhysical { return map[bool][]VecPhysical{false: ymm, true: zmm}[v.avx512][n] }
	VBROADCASTSS(addr(Param("z")), r(9))
	VBROADCASTSS(addr(Param("invTau")), r(8))
	iota := NewDataAddr(Symbol{Name: "·cgLaneIota"}, 0)
	shift := uint8(5)
	if v.avx512 {
		iota, shift = NewDataAddr(Symbol{Name: "·cgLaneIota16"}, 0), 6
	} else {
		Load(Param("masks"), R14)
	}
	MOVQ(RCX, R13)
	SHLQ(U8(shift), R13)
	MOVQ(RCX, X15)
	VPBROADCASTD(X15, r(15))
	VPMULLD(iota, r(15), r(15))

	// acc = 0
	VXORPS(Y0, Y0, Y0)
	XORQ(RAX, RAX)
	MOVQ(RCX, R12)
	Label("zero")
	VMOVUPS(Y0, Mem{Base: RDI, Index: RAX, Scale: 1})
	ADDQ(U8(32), RAX)
	DECQ(R12)
	JNZ(LabelRef("zero"))

	Label("group")
	cgLanesLoad(v, r, wLen, iArg)
	cgLanesPasses(v, r, wBase, wLen)
	ADDQ(R13, RSI)
	SUBQ(U8(v.lanes), R10)
	JG(LabelRef("group"))
	done()
}

// cgLanesLoad copies a group's e columns into x, column j at x[lanes·j:],
// by 4×4 transposes when C >= 4 and another sample follows the group, else
// by masked gathers whose lanes past K read as 1, and sets the lanes in use
// (Y14 or K7). It ends at the label "loaded".
func cgLanesLoad(v vec, r func(int) VecPhysical, wLen, iArg gotypes.Component) {
	vb := v.bytes()
	CMPQ(R10, U8(v.lanes))
	JLE(LabelRef("gather"))
	CMPQ(RCX, U8(4))
	JL(LabelRef("gather"))
	// Full group with a next sample: transposes, 4 columns at a time.
	if v.avx512 {
		MOVL(U32(0xffff), EAX)
		KMOVW(EAX, K7)
	} else {
		VPCMPEQD(Y14, Y14, Y14)
	}
	MOVQ(RCX, RBX)
	SHLQ(U8(2), RBX) // bytes per sample
	LEAQ(Mem{Base: RBX, Index: RBX, Scale: 2}, RAX)
	MOVQ(RSI, R12)
	LEAQ(Mem{Base: RSI, Index: RBX, Scale: 4}, R11)
	MOVQ(R15, RDX)
	if v.avx512 {
		MOVQ(U32(2), R9) // halves left
		Label("half")
		Load(wLen, RCX)
	}
	Label("tload")
	load4(0, R12, R11, RBX, RAX)
	transpose4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	CMPQ(RCX, U8(4))
	JL(LabelRef("tpart"))
	for c, y := range []VecPhysical{Y0, Y1, Y2, Y3} {
		VMOVUPS(y, Mem{Base: RDX, Disp: c * vb})
	}
	ADDQ(U32(4*vb), RDX)
	ADDQ(U8(16), R12)
	ADDQ(U8(16), R11)
	SUBQ(U8(4), RCX)
	JNZ(LabelRef("tload"))
	after := "loaded"
	if v.avx512 {
		after = "hnext"
	}
	JMP(LabelRef(after))
	Label("tpart")
	VMOVUPS(Y0, Mem{Base: RDX})
	CMPQ(RCX, U8(2))
	JL(LabelRef(after))
	VMOVUPS(Y1, Mem{Base: RDX, Disp: vb})
	CMPQ(RCX, U8(3))
	JL(LabelRef(after))
	VMOVUPS(Y2, Mem{Base: RDX, Disp: 2 * vb})
	if v.avx512 {
		Label("hnext")
		LEAQ(Mem{Base: RSI, Index: RBX, Scale: 8}, R12) // rows 8-15 into the high eight floats
		LEAQ(Mem{Base: R12, Index: RBX, Scale: 4}, R11)
		LEAQ(Mem{Base: R15, Disp: 32}, RDX)
		DECQ(R9)
		JNZ(LabelRef("half"))
		Load(iArg, R9)
	}
	JMP(LabelRef("loaded"))

	// Last group: masked gathers, lanes past K read as 1.
	Label("gather")
	if v.avx512 {
		MOVL(U32(0xffff), EAX)
		CMPQ(R10, U8(16))
		JGE(LabelRef("gmask"))
		MOVQ(R10, RCX)
		MOVL(U32(1), EAX)
		SHLL(CL, EAX)
		DECL(EAX)
		Load(wLen, RCX)
		Label("gmask")
		KMOVW(EAX, K7)
	} else {
		CMPQ(R10, U8(8))
		JGE(LabelRef("full"))
		MOVQ(R10, RAX)
		SHLQ(U8(5), RAX)
		VMOVDQU(Mem{Base: R14, Index: RAX, Scale: 1}, Y14)
		JMP(LabelRef("gcols"))
		Label("full")
		VPCMPEQD(Y14, Y14, Y14)
		Label("gcols")
	}
	MOVQ(RSI, R11)
	XORQ(RAX, RAX)
	MOVQ(RCX, R12)
	Label("gcol")
	if v.avx512 {
		VBROADCASTSS(kOne, Z0)
		KMOVW(K7, K1)
		VGATHERDPS(Mem{Base: R11, Index: Z15, Scale: 4}, K1, Z0)
	} else {
		VMOVUPS(kOne, Y0)
		VMOVDQU(Y14, Y7)
		VGATHERDPS(Y7, Mem{Base: R11, Index: Y15, Scale: 4}, Y0)
	}
	VMOVUPS(r(0), Mem{Base: R15, Index: RAX, Scale: 1})
	ADDQ(U8(4), R11)
	ADDQ(U8(vb), RAX)
	DECQ(R12)
	JNZ(LabelRef("gcol"))

}

// laneColumns is what the passes over a loaded group share: the ISA, its
// registers by number (r), and x's current column (xcol, at AX).
type laneColumns struct {
	v    vec
	r    func(int) VecPhysical
	xcol Mem
}

// aOfX turns r(0) = e_kj into a = (e_kj·w_j + e_ki/z) + 1e-20.
func (c laneColumns) aOfX() {
	VBROADCASTSS(Mem{Base: RDX, Index: RBX, Scale: 1}, c.r(1))
	VMULPS(c.r(1), c.r(0), c.r(0))
	VADDPS(c.r(13), c.r(0), c.r(0))
	if c.v.avx512 {
		VADDPS_BCST(kCGEps8, Z0, Z0)
	} else {
		VADDPS(kCGEps8, Y0, Y0)
	}
}

// columns runs body over the C columns (AX the offset in x, BX in w and g
// when withBX); restart first rewinds them.
func (c laneColumns) columns(label string, withBX bool, body func()) {
	Label(label)
	body()
	ADDQ(U8(c.v.bytes()), RAX)
	if withBX {
		ADDQ(U8(4), RBX)
	}
	DECQ(R12)
	JNZ(LabelRef(label))
}

func (c laneColumns) restart(withBX bool) {
	XORQ(RAX, RAX)
	if withBX {
		XORQ(RBX, RBX)
	}
	MOVQ(RCX, R12)
}

// cgLanesPasses runs the passes over a loaded group (from the label
// "loaded"): at τ = 1 (AVX2 only) r = 1/a with the sums s and t = Σ r·g,
// else cgLanesSoftmax; then cgLanesAccumulate.
func cgLanesPasses(v vec, r func(int) VecPhysical, wBase, wLen gotypes.Component) {
	shift := uint8(5)
	if v.avx512 {
		shift = 6
	}
	Label("loaded")
	Load(wBase, RDX)
	Load(wLen, RCX)
	MOVQ(R9, RAX)
	SHLQ(U8(shift), RAX)
	c := laneColumns{v: v, r: r, xcol: Mem{Base: R15, Index: RAX, Scale: 1}}
	VMOVUPS(c.xcol, r(0))
	VDIVPS(r(9), r(0), r(13)) // e_ki/z
	if v.avx512 {
		VPXORD(Z12, Z12, Z12)
		VPXORD(Z11, Z11, Z11)
	} else {
		VXORPS(Y12, Y12, Y12)
		VXORPS(Y11, Y11, Y11)
	}
	c.restart(true)
	if !v.avx512 {
		CMPB(addr(Param("tau1")), U8(0))
		JE(LabelRef("tau"))
		// τ = 1: r_j = 1/a_j, s += r_j, t += r_j·g_j
		c.columns("a1", true, func() {
			VMOVUPS(c.xcol, Y0)
			c.aOfX()
			VMOVUPS(kOne, Y1)
			VDIVPS(Y0, Y1, Y0)
			VMOVUPS(Y0, c.xcol)
			VADDPS(Y0, Y12, Y12)
			VBROADCASTSS(Mem{Base: R8, Index: RBX, Scale: 1}, Y1)
			VMULPS(Y1, Y0, Y1)
			VADDPS(Y1, Y11, Y11)
		})
		VMOVUPS(kOne, Y0)
		VDIVPS(Y12, Y0, Y12)  // 1/s
		VMULPS(Y12, Y11, Y11) // d = t·(1/s)
		JMP(LabelRef("d"))
		Label("tau")
	}
	cgLanesSoftmax(c)
	if !v.avx512 {
		Label("d")
	}
	cgLanesAccumulate(c)
}

// cgLanesSoftmax computes, at τ ≠ 1, x_j = cgNegLog(a_j) and their maximum
// m, q_j = exp((x_j − m)·(1/τ)) with s = Σ q_j, and d = t = Σ (q_j/s)·g_j.
func cgLanesSoftmax(c laneColumns) {
	v, r := c.v, c.r
	if v.avx512 {
		VBROADCASTSS(kNegInf, Z10)
	} else {
		VMOVUPS(kNegInf, Y10)
	}
	c.columns("at", true, func() {
		VMOVUPS(c.xcol, r(0))
		c.aOfX()
		if v.avx512 {
			cgNegLog16(Z0, K2, K3, K4, Z1, Z2, Z3, Z4, Z5)
		} else {
			cgNegLog8(Y0, Y2, Y3, Y1, Y4, Y5, Y6, Y7)
		}
		VMOVUPS(r(0), c.xcol)
		VMAXPS(r(0), r(10), r(10)) // m > x ? m : x
	})
	c.restart(false)
	c.columns("bt", false, func() {
		VMOVUPS(c.xcol, r(0))
		VSUBPS(r(10), r(0), r(0))
		VMULPS(r(8), r(0), r(0))
		if v.avx512 {
			exp16(Z0, Z1, Z2, Z3, K2)
		} else {
			exp8(Y0, Y1, Y2, Y3, Y4)
		}
		VMOVUPS(r(0), c.xcol)
		VADDPS(r(0), r(12), r(12))
	})
	if v.avx512 {
		VBROADCASTSS(kOne, Z0)
	} else {
		VMOVUPS(kOne, Y0)
	}
	VDIVPS(r(12), r(0), r(12)) // 1/s
	c.restart(true)
	c.columns("ct", true, func() {
		VMULPS(c.xcol, r(12), r(0))
		VBROADCASTSS(Mem{Base: R8, Index: RBX, Scale: 1}, r(1))
		VMULPS(r(1), r(0), r(0))
		VADDPS(r(0), r(11), r(11))
	})
}

// cgLanesAccumulate adds acc_j += p·g_j − p·d in the lanes in use, p =
// x_j·(1/s) (AVX-512: the low half of the group, then the high half).
func cgLanesAccumulate(c laneColumns) {
	r := c.r
	c.restart(true)
	c.columns("dl", true, func() {
		VMULPS(c.xcol, r(12), r(0))
		VBROADCASTSS(Mem{Base: R8, Index: RBX, Scale: 1}, r(1))
		VMULPS(r(1), r(0), r(2))
		VMULPS(r(11), r(0), r(0))
		if c.v.avx512 {
			VSUBPS_Z(Z0, Z2, K7, Z2)
			VEXTRACTF64X4(U8(1), Z2, Y3)
			VADDPS(Mem{Base: RDI, Index: RBX, Scale: 8}, Y2, Y2)
			VADDPS(Y2, Y3, Y2)
			VMOVUPS(Y2, Mem{Base: RDI, Index: RBX, Scale: 8})
		} else {
			VSUBPS(Y0, Y2, Y2)
			VANDPS(Y14, Y2, Y2)
			VADDPS(at(RDI), Y2, Y2)
			VMOVUPS(Y2, at(RDI))
		}
	})
}
