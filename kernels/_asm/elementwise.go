package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// elementwise describes the optimiser updates, the finiteness scan and the
// layer helpers: each mirrors its Go twin (adam.go, finite.go,
// elementwise.go) operation for operation, one vector at a time.
func elementwise(v vec) {
	adam(v)
	radam(v)
	finite(v)
	addBias(v)
	sumRows(v)
	relu(v)
	reluBackward(v)
}

// adamArgs loads the pointers of adam's and radam's slices, p's length in
// bytes and the constants both read.
type adamArgs struct {
	p, g, m, v, n         Register
	coef, baseIsG, b2, w2 VecVirtual
	step, eps             VecVirtual
	baseK                 Register // 16 lanes: baseIsG as a mask (no VBLENDVPS on ZMM)
}

func loadAdamArgs(v vec) adamArgs {
	k := Param("k")
	a := adamArgs{
		p: Load(Param("p").Base(), GP64()), n: byteLen("p"),
		g: Load(Param("g").Base(), GP64()), m: Load(Param("m").Base(), GP64()), v: Load(Param("v").Base(), GP64()),
	}
	a.coef, a.baseIsG = v.broadcast(k.Field("coef")), v.broadcast(k.Field("baseIsG"))
	a.b2, a.w2 = v.broadcast(k.Field("b2")), v.broadcast(k.Field("w2"))
	a.step = v.broadcast(k.Field("step"))
	if v.lanes == 16 {
		a.baseK = K()
		VPTESTMD(a.baseIsG, a.baseIsG, a.baseK)
	}
	return a
}

// moments updates m and v at byte offset off and returns the new m and v:
// m = (baseIsG ? g : m) + coef·(g - m), v = b2·v + (w2·g)·g.
func (a adamArgs) moments(v vec, off Register) (m, vv VecVirtual) {
	at := func(base Register) Mem { return Mem{Base: base, Index: off, Scale: 1} }
	g, m0, v0 := v.reg(), v.reg(), v.reg()
	VMOVUPS(at(a.g), g)
	VMOVUPS(at(a.m), m0)
	VMOVUPS(at(a.v), v0)
	d := v.reg()
	VSUBPS(m0, g, d)
	VMULPS(a.coef, d, d)
	m = v.reg()
	if v.lanes == 16 {
		VBLENDMPS(g, m0, a.baseK, m)
	} else {
		VBLENDVPS(a.baseIsG, g, m0, m)
	}
	VADDPS(d, m, m)
	VMOVUPS(m, at(a.m))
	VMULPS(a.b2, v0, v0)
	gg := v.reg()
	VMULPS(a.w2, g, gg)
	VMULPS(g, gg, gg)
	VADDPS(gg, v0, v0)
	VMOVUPS(v0, at(a.v))
	return m, v0
}

// optimName is the name of an optimiser kernel: the 16-lane ones say so,
// for the Go glue that gives them whole 16-float vectors (elementwise_amd64.go).
func optimName(base string, v vec) string {
	if v.lanes == 16 {
		return base + "16" + v.suffix
	}
	return base + v.suffix
}

func adam(v vec) {
	name := optimName("adam", v)
	TEXT(name, NOSPLIT, "func(p, g, m, v []float32, k adamConsts)")
	Pragma("noescape")
	Doc(name+" computes what adamGeneric computes, one vector at a time:",
		"m and v as moments, then p += (step·m) / (sqrt(v)·ibc2s + eps).",
		"Preconditions: len(p) a multiple of the vector width, len(g), len(m), len(v) >= len(p).")
	a := loadAdamArgs(v)
	ibc2s := v.broadcast(Param("k").Field("ibc2s"))
	a.eps = v.broadcast(Param("k").Field("eps"))
	off := GP64()
	XORQ(off, off)
	CMPQ(a.n, U8(0))
	JE(LabelRef("adamdone"))
	Label("adamloop")
	m, vv := a.moments(v, off)
	p, den, upd := v.reg(), v.reg(), v.reg()
	VMOVUPS(Mem{Base: a.p, Index: off, Scale: 1}, p)
	VSQRTPS(vv, den)
	VMULPS(ibc2s, den, den)
	VADDPS(a.eps, den, den)
	VMULPS(a.step, m, upd)
	VDIVPS(den, upd, upd)
	VADDPS(upd, p, p)
	VMOVUPS(p, Mem{Base: a.p, Index: off, Scale: 1})
	ADDQ(U8(v.bytes()), off)
	CMPQ(off, a.n)
	JL(LabelRef("adamloop"))
	Label("adamdone")
	done()
}

func radam(v vec) {
	name := optimName("radam", v)
	TEXT(name, NOSPLIT, "func(p, g, m, v []float32, k adamConsts)")
	Pragma("noescape")
	Doc(name+" computes what radamGeneric computes, one vector at a time:",
		"m and v as moments, u = m·step, if adaptive u = u/(sqrt(v) + eps), p -= u.",
		"Preconditions as for "+optimName("adam", v)+".")
	a := loadAdamArgs(v)
	a.eps = v.broadcast(Param("k").Field("eps"))
	adaptive := Load(Param("k").Field("adaptive"), GP32())
	off := GP64()
	XORQ(off, off)
	CMPQ(a.n, U8(0))
	JE(LabelRef("radamdone"))
	TESTL(adaptive, adaptive)
	JZ(LabelRef("radamplain"))

	Label("radamloop")
	m, vv := a.moments(v, off)
	VMULPS(a.step, m, m)
	den := v.reg()
	VSQRTPS(vv, den)
	VADDPS(a.eps, den, den)
	VDIVPS(den, m, m)
	radamStore(v, a, off, m)
	JL(LabelRef("radamloop"))
	JMP(LabelRef("radamdone"))

	Label("radamplain")
	m, _ = a.moments(v, off)
	VMULPS(a.step, m, m)
	radamStore(v, a, off, m)
	JL(LabelRef("radamplain"))

	Label("radamdone")
	done()
}

// radamStore writes p - u at off and advances off, comparing it with the
// end for the loop's branch.
func radamStore(v vec, a adamArgs, off Register, u VecVirtual) {
	p := v.reg()
	VMOVUPS(Mem{Base: a.p, Index: off, Scale: 1}, p)
	VSUBPS(u, p, p)
	VMOVUPS(p, Mem{Base: a.p, Index: off, Scale: 1})
	ADDQ(U8(v.bytes()), off)
	CMPQ(off, a.n)
}

func finite(v vec) {
	TEXT("finite"+v.suffix, NOSPLIT, "func(x []float32) bool")
	Pragma("noescape")
	Doc("finite"+v.suffix+" reports whether x (len(x) a multiple of the vector width) holds no",
		"NaN and no ±Inf: it ORs the bits of x - x (+0 exactly for finite x) over the",
		"slice, four vectors at a time while they last, then one.")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	acc := v.regs(4)
	for _, r := range acc {
		VXORPS(r, r, r)
	}
	shift := map[int]uint8{8: 3, 16: 4}[v.lanes]
	SHRQ(U8(shift), n) // vectors
	CMPQ(n, U8(4))
	JL(LabelRef("finsingle"))
	Label("finloop4")
	t := v.regs(4)
	for i, r := range t {
		VMOVUPS(Mem{Base: x, Disp: i * v.bytes()}, r)
	}
	for _, r := range t {
		VSUBPS(r, r, r)
	}
	for i, r := range t {
		VORPS(r, acc[i], acc[i])
	}
	ADDQ(U8(4*v.bytes()), x)
	SUBQ(U8(4), n)
	CMPQ(n, U8(4))
	JGE(LabelRef("finloop4"))
	Label("finsingle")
	TESTQ(n, n)
	JZ(LabelRef("finreduce"))
	Label("finloop1")
	r := v.reg()
	VMOVUPS(Mem{Base: x}, r)
	VSUBPS(r, r, r)
	VORPS(r, acc[0], acc[0])
	ADDQ(U8(v.bytes()), x)
	DECQ(n)
	JNZ(LabelRef("finloop1"))
	Label("finreduce")
	VORPS(acc[1], acc[0], acc[0])
	VORPS(acc[3], acc[2], acc[2])
	VORPS(acc[2], acc[0], acc[0])
	VPTEST(acc[0], acc[0])
	ok := GP8()
	SETEQ(ok)
	Store(ok, ReturnIndex(0))
	done()
}

func addBias(v vec) {
	TEXT("addBias"+v.suffix, NOSPLIT, "func(m []float32, rows, cols int, bias []float32)")
	Pragma("noescape")
	Doc("addBias"+v.suffix+" computes m[r*cols+j] += bias[j] for r < rows and",
		"j < len(bias), one vector of columns at a time (addBiasGeneric per row).",
		"Preconditions: rows >= 1, len(bias) a multiple of the vector width,",
		"len(bias) <= cols, len(m) >= rows*cols.")
	row := Load(Param("m").Base(), GP64())
	rows := Load(Param("rows"), GP64())
	stride := Load(Param("cols"), GP64())
	SHLQ(U8(2), stride)
	bias := Load(Param("bias").Base(), GP64())
	n := byteLen("bias")
	Label("abrow")
	off := GP64()
	XORQ(off, off)
	Label("abvec")
	r := v.reg()
	VMOVUPS(Mem{Base: row, Index: off, Scale: 1}, r)
	VADDPS(Mem{Base: bias, Index: off, Scale: 1}, r, r)
	VMOVUPS(r, Mem{Base: row, Index: off, Scale: 1})
	ADDQ(U8(v.bytes()), off)
	CMPQ(off, n)
	JL(LabelRef("abvec"))
	ADDQ(stride, row)
	DECQ(rows)
	JNZ(LabelRef("abrow"))
	done()
}

func sumRows(v vec) {
	TEXT("sumRows"+v.suffix, NOSPLIT, "func(dst, m []float32, rows, cols int)")
	Pragma("noescape")
	Doc("sumRows"+v.suffix+" computes dst[j] += m[r*cols+j] for r = 0..rows-1 in order",
		"and j < len(dst) (sumRowsGeneric): blocks of four vectors of columns while",
		"they last, then of one, each block running down all the rows.",
		"Preconditions: rows >= 1, len(dst) a multiple of the vector width,",
		"len(dst) <= cols, len(m) >= rows*cols.")
	dst := Load(Param("dst").Base(), GP64())
	left := byteLen("dst")
	col := Load(Param("m").Base(), GP64())
	rows := Load(Param("rows"), GP64())
	stride := Load(Param("cols"), GP64())
	SHLQ(U8(2), stride)
	// One block of k vectors of columns: the sums start from dst and run
	// down the rows.
	block := func(k int, label string) {
		acc := v.regs(k)
		for i, r := range acc {
			VMOVUPS(Mem{Base: dst, Disp: i * v.bytes()}, r)
		}
		p, left := GP64(), GP64()
		MOVQ(col, p)
		MOVQ(rows, left)
		Label(label)
		for i, r := range acc {
			VADDPS(Mem{Base: p, Disp: i * v.bytes()}, r, r)
		}
		ADDQ(stride, p)
		DECQ(left)
		JNZ(LabelRef(label))
		for i, r := range acc {
			VMOVUPS(r, Mem{Base: dst, Disp: i * v.bytes()})
		}
		ADDQ(U32(k*v.bytes()), dst)
		ADDQ(U32(k*v.bytes()), col)
	}
	Label("srblock4")
	CMPQ(left, U32(4*v.bytes()))
	JL(LabelRef("srblock1"))
	block(4, "srrow4")
	SUBQ(U32(4*v.bytes()), left)
	JMP(LabelRef("srblock4"))
	Label("srblock1")
	TESTQ(left, left)
	JZ(LabelRef("srdone"))
	block(1, "srrow1")
	SUBQ(U32(v.bytes()), left)
	JMP(LabelRef("srblock1"))
	Label("srdone")
	done()
}

func relu(v vec) {
	TEXT("relu"+v.suffix, NOSPLIT, "func(y, x []float32)")
	Pragma("noescape")
	Doc("relu"+v.suffix+" computes y[i] = max(x[i], 0) with Go's semantics (NaN stays",
		"NaN, -0 becomes +0): VMAXPS keeps x when it is NaN, and adding +0 turns",
		"-0 into +0 and changes nothing else. len(x) a multiple of the vector",
		"width, len(y) >= len(x).")
	y := Load(Param("y").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := byteLen("x")
	off := GP64()
	XORQ(off, off)
	zero := v.reg()
	VXORPS(zero, zero, zero)
	TESTQ(n, n)
	JZ(LabelRef("reludone"))
	Label("reluloop")
	r := v.reg()
	VMOVUPS(Mem{Base: x, Index: off, Scale: 1}, r)
	VMAXPS(r, zero, r)
	VADDPS(zero, r, r)
	VMOVUPS(r, Mem{Base: y, Index: off, Scale: 1})
	ADDQ(U8(v.bytes()), off)
	CMPQ(off, n)
	JL(LabelRef("reluloop"))
	Label("reludone")
	done()
}

func reluBackward(v vec) {
	TEXT("reluBackward"+v.suffix, NOSPLIT, "func(dx, dy, y []float32)")
	Pragma("noescape")
	Doc("reluBackward"+v.suffix+" computes dx[i] = y[i] > 0 ? dy[i] : +0 (a compare mask",
		"ANDed with dy). len(dy) a multiple of the vector width, len(dx), len(y) >= len(dy).")
	dx := Load(Param("dx").Base(), GP64())
	dy := Load(Param("dy").Base(), GP64())
	n := byteLen("dy")
	y := Load(Param("y").Base(), GP64())
	off := GP64()
	XORQ(off, off)
	zero := v.reg()
	VXORPS(zero, zero, zero)
	TESTQ(n, n)
	JZ(LabelRef("rbdone"))
	Label("rbloop")
	r := v.reg()
	VMOVUPS(Mem{Base: y, Index: off, Scale: 1}, r)
	VCMPPS(U8(0x1e), zero, r, r) // greater than, ordered, quiet
	VANDPS(Mem{Base: dy, Index: off, Scale: 1}, r, r)
	VMOVUPS(r, Mem{Base: dx, Index: off, Scale: 1})
	ADDQ(U8(v.bytes()), off)
	CMPQ(off, n)
	JL(LabelRef("rbloop"))
	Label("rbdone")
	done()
}
