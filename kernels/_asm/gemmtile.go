package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// tile is a GEMM micro-kernel's shape and register plan: an mr×16 tile of C
// kept in accumulators, one k step loading the 16 floats of B and
// broadcasting the mr floats of A. The registers are fixed (physical), as
// in a hand-written kernel, so that the loads run ahead as planned:
//
//   - AVX2: B in Y0 and Y1 (two vectors per row), A broadcast into Y2 and Y3
//     alternately, row i accumulating in Y(4+2i) and Y(5+2i); 6 rows.
//   - AVX-512: B in Z30 or Z31 (alternate k steps), A as the FMA's memory
//     broadcast, row i accumulating in Zi; 20 rows.
type tile struct {
	isa vec
	mr  int
}

var (
	tileAVX2   = tile{isa: avx2, mr: 6}
	tileAVX512 = tile{isa: vec{suffix: "AVX512", lanes: 16, avx512: true}, mr: 20}
)

// name is the kernel's name, with kind ("", "Idx") after the shape.
func (t tile) name(kind string) string { return fmt.Sprintf("gemm%dx16%s%s", t.mr, kind, t.isa.suffix) }

// perRow is the number of vectors of a row of the tile.
func (t tile) perRow() int { return 16 / t.isa.lanes }

// acc is the accumulator of row i, vector j.
func (t tile) acc(i, j int) VecPhysical {
	if t.isa.avx512 {
		return zmm[i]
	}
	return ymm[4+2*i+j]
}

// bRegs are the registers of B at k step number step of an unrolled loop.
func (t tile) bRegs(step int) []VecPhysical {
	if t.isa.avx512 {
		return []VecPhysical{zmm[30+step%2]}
	}
	return []VecPhysical{Y0, Y1}
}

var (
	ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
)

// zero clears the accumulators.
func (t tile) zero() {
	for i := range t.mr {
		for j := range t.perRow() {
			if r := t.acc(i, j); t.isa.avx512 {
				VPXORD(r, r, r)
			} else {
				VXORPS(r, r, r)
			}
		}
	}
}

// fma does the FMAs of one k step: row i gets A at a+4i times B (in b).
func (t tile) fma(a Mem, b []VecPhysical) {
	for i := range t.mr {
		ai := a.Offset(4 * i)
		if t.isa.avx512 {
			VFMADD231PS_BCST(ai, b[0], t.acc(i, 0))
			continue
		}
		bc := []VecPhysical{Y2, Y3}[i%2]
		VBROADCASTSS(ai, bc)
		for j := range b {
			VFMADD231PS(b[j], bc, t.acc(i, j))
		}
	}
}

// kstep loads B at b and does one k step with A at a; step numbers the
// step within an unrolled loop (it picks the B registers).
func (t tile) kstep(a, b Mem, step int) {
	regs := t.bRegs(step)
	for j, r := range regs {
		VMOVUPS(b.Offset(4*t.isa.lanes*j), r)
	}
	t.fma(a, regs)
}

// write finishes the kernel: C = acc when beta == 0 (either sign; C is not
// read), else C = acc + beta·C with the product rounded on its own, as in
// the Go twin (NaN takes this path, as the Go comparison does). c points at
// the tile's first row, ldc is the row stride in bytes; label names the
// second path.
func (t tile) write(beta Mem, c, ldc Register, label string) {
	bx, zero, bv := X0, X1, VecPhysical(Y0)
	if t.isa.avx512 {
		bx, zero, bv = X30, X31, Z31
	}
	VMOVSS(beta, bx)
	VXORPS(zero, zero, zero)
	VUCOMISS(zero, bx)
	JNE(LabelRef(label))
	JPS(LabelRef(label))
	for i := range t.mr {
		for j := range t.perRow() {
			VMOVUPS(t.acc(i, j), Mem{Base: c, Disp: 64 / t.perRow() * j})
		}
		ADDQ(ldc, c)
	}
	done()
	Label(label)
	VBROADCASTSS(beta, bv)
	for i := range t.mr {
		for j := range t.perRow() {
			// AVX2 takes Y1 and Y2 for the two products of a row, AVX-512 Z30.
			tmp := VecPhysical(Z30)
			if !t.isa.avx512 {
				tmp = ymm[1+j]
			}
			cj := Mem{Base: c, Disp: 64 / t.perRow() * j}
			VMULPS(cj, bv, tmp)
			VADDPS(tmp, t.acc(i, j), t.acc(i, j))
			VMOVUPS(t.acc(i, j), cj)
		}
		ADDQ(ldc, c)
	}
	done()
}

// gemmTile describes the plain micro-kernel: kc k steps over packed panels
// (A mr floats per step, B 16), four per loop iteration, then one by one.
func gemmTile(t tile) {
	name := t.name("")
	TEXT(name, NOSPLIT, "func(kc int, a, b, c []float32, ldc int, beta float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes one %d×16 tile of C from packed panels, with one", name, t.mr),
		"FMA per product (so it may differ from gemmGeneric in the last bits):",
		"",
		fmt.Sprintf("\tfor i := 0; i < %d; i++ {", t.mr),
		"\t\tfor j := 0; j < 16; j++ {",
		"\t\t\tvar s float32",
		"\t\t\tfor p := 0; p < kc; p++ {",
		fmt.Sprintf("\t\t\t\ts = fma(a[p*%d+i], b[p*16+j], s)", t.mr),
		"\t\t\t}",
		"\t\t\tif beta == 0 {",
		"\t\t\t\tc[i*ldc+j] = s // C is not read",
		"\t\t\t} else {",
		"\t\t\t\tc[i*ldc+j] = s + beta*c[i*ldc+j]",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"",
		fmt.Sprintf("Preconditions (checked by the Go driver): kc >= 0, len(a) >= %d*kc,", t.mr),
		fmt.Sprintf("len(b) >= 16*kc, ldc >= 16, len(c) >= %d*ldc+16. No alignment is assumed.", t.mr-1))
	kc := Load(Param("kc"), RCX)
	a := Mem{Base: Load(Param("a").Base(), RSI)}
	b := Mem{Base: Load(Param("b").Base(), RDI)}
	c := Load(Param("c").Base(), RDX)
	ldc := Load(Param("ldc"), R8)
	SHLQ(U8(2), ldc)
	t.zero()
	groups := RBX
	MOVQ(kc, groups)
	SHRQ(U8(2), groups)
	JZ(LabelRef("tail"))
	Label("loop4")
	for s := range 4 {
		t.kstep(a.Offset(4*t.mr*s), b.Offset(64*s), s)
	}
	ADDQ(U32(4*4*t.mr), a.Base)
	ADDQ(U32(4*64), b.Base)
	DECQ(groups)
	JNZ(LabelRef("loop4"))
	Label("tail")
	ANDQ(U8(3), kc)
	JZ(LabelRef("write"))
	Label("loop1")
	t.kstep(a, b, 0)
	ADDQ(U32(4*t.mr), a.Base)
	ADDQ(U32(64), b.Base)
	DECQ(kc)
	JNZ(LabelRef("loop1"))
	Label("write")
	t.write(addr(Param("beta")), c, ldc, "update")
}

// gemmTileIdx describes the step-list micro-kernel: the plain kernel's k
// steps p = idx[0], idx[1], ... only, in that order, of the full packed
// panels (A at a[mr·p:], B at b[16·p:]).
func gemmTileIdx(t tile) {
	name := t.name("Idx")
	TEXT(name, NOSPLIT, "func(idx []int32, a, b, c []float32, ldc int, beta float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s is %s over the k steps p = idx[0], idx[1], ...", name, t.name("")),
		fmt.Sprintf("only, in that order, of the full packed panels a (%d floats per step) and", t.mr),
		"b (16 per step): the table's gemmIdx.",
		"",
		"Preconditions (checked by the Go driver): every idx[t] is in [0, kc) for",
		fmt.Sprintf("panels of kc steps, len(a) >= %d*kc, len(b) >= 16*kc, ldc >= 16,", t.mr),
		fmt.Sprintf("len(c) >= %d*ldc+16.", t.mr-1))
	idx := Load(Param("idx").Base(), R9)
	n := Load(Param("idx").Len(), RCX)
	aBase := Load(Param("a").Base(), R10)
	bBase := Load(Param("b").Base(), R11)
	c := Load(Param("c").Base(), RDX)
	ldc := Load(Param("ldc"), R8)
	SHLQ(U8(2), ldc)
	t.zero()
	TESTQ(n, n)
	JZ(LabelRef("write"))
	Label("loop")
	p := RAX
	MOVLQSX(Mem{Base: idx}, p)
	// SI = a + 4·mr·p, as p·m·2^s with m in {3, 5}: one LEAQ and a shift.
	m, s := 4*t.mr, 0
	for m%2 == 0 {
		m, s = m/2, s+1
	}
	LEAQ(Mem{Base: p, Index: p, Scale: uint8(m - 1)}, RSI)
	SHLQ(U8(s), RSI)
	ADDQ(aBase, RSI)
	SHLQ(U8(6), p) // 64·p: B's bytes per step
	if t.isa.avx512 {
		b := t.bRegs(0)
		VMOVUPS(Mem{Base: bBase, Index: p, Scale: 1}, b[0])
		t.fma(Mem{Base: RSI}, b)
	} else {
		LEAQ(Mem{Base: bBase, Index: p, Scale: 1}, RDI)
		t.kstep(Mem{Base: RSI}, Mem{Base: RDI}, 0)
	}
	ADDQ(U8(4), idx)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("write")
	t.write(addr(Param("beta")), c, ldc, "update")
}
