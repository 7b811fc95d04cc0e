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
	tileAVX512 = tile{isa: avx512, mr: 20}
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
// (A mr floats per step, B 16), four per loop iteration, then one by one;
// with prefetch (the PF kernel, AVX2 only) each 4-step group also
// prefetches a line of 4 rows of the transposed B panel the driver packs
// next.
func gemmTile(t tile, prefetch bool) {
	kind, sig := "", "func(kc int, a, b, c []float32, ldc int, beta float32)"
	if prefetch {
		kind, sig = "PF", "func(kc int, a, b, c []float32, ldc int, beta float32, pf []float32, ldpf int)"
	}
	name := t.name(kind)
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if prefetch {
		Doc(name+" is "+t.name("")+" (the same bits) that also prefetches",
			"(into L2) the 16 stored rows of a transposed B panel the driver packs",
			"next: each 4-step group touches one 64-byte line of 4 of the rows (pf,",
			"ldpf floats apart), row by row, then the next 16 floats of the rows, so",
			"kc steps cover kc floats of each row. Prefetches never fault and change",
			"no result.",
			"",
			"Preconditions (checked by the Go driver): as "+t.name("")+", plus",
			"pf holding 16 rows of ldpf floats, each at least kc long.")
	} else {
		t.tileDoc(name)
	}
	kc := Load(Param("kc"), RCX)
	a := Mem{Base: Load(Param("a").Base(), RSI)}
	b := Mem{Base: Load(Param("b").Base(), RDI)}
	c := Load(Param("c").Base(), RDX)
	ldc := Load(Param("ldc"), R8)
	SHLQ(U8(2), ldc)
	if prefetch {
		// R10 the column block of pf, R11 the row offset (a multiple of
		// 4·ldpf), R13 = ldpf, AX = 3·ldpf, R12 = 4·ldpf, R9 = 16·ldpf
		// (bytes), R14 scratch.
		Load(Param("pf").Base(), R10)
		Load(Param("ldpf"), R13)
		SHLQ(U8(2), R13)
		LEAQ(Mem{Base: R13, Index: R13, Scale: 2}, RAX)
		MOVQ(R13, R12)
		SHLQ(U8(2), R12)
		MOVQ(R12, R9)
		SHLQ(U8(2), R9)
		XORQ(R11, R11)
	}
	t.zero()
	groups := RBX
	MOVQ(kc, groups)
	SHRQ(U8(2), groups)
	JZ(LabelRef("tail"))
	Label("loop4")
	if prefetch {
		LEAQ(Mem{Base: R10, Index: R11, Scale: 1}, R14)
		PREFETCHT1(Mem{Base: R14})
		PREFETCHT1(Mem{Base: R14, Index: R13, Scale: 1})
		PREFETCHT1(Mem{Base: R14, Index: R13, Scale: 2})
		PREFETCHT1(Mem{Base: R14, Index: RAX, Scale: 1})
		ADDQ(R12, R11)
		CMPQ(R11, R9)
		JL(LabelRef("rows"))
		XORQ(R11, R11)
		ADDQ(U8(64), R10)
		Label("rows")
	}
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

// tileDoc documents the plain kernel.
func (t tile) tileDoc(name string) {
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

// gemmTilePack describes the kernel that reads B from its stored rows (ldb
// apart) instead of a packed panel and also writes each row's 16 floats to
// the packed panel pb, for the tile's other row panels: the B panel is
// packed in the FMA loop's spare load and store slots. The same FMAs in
// the same order as the plain kernel, so the same bits.
func gemmTilePack(t tile) {
	name := t.name("Pack")
	TEXT(name, NOSPLIT, "func(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)")
	Pragma("noescape")
	Doc(name+" is "+t.name("")+" (the same FMAs in the same order) with",
		"the B panel read from the stored rows of B, b[p*ldb : p*ldb+16] for",
		"p < kc, and written to pb as the packed panel, pb[p*16 : p*16+16]: the",
		"first row panel of a column panel packs B in the FMA loop's spare load",
		"and store slots, where packing it first was a separate pass over memory.",
		"",
		"Preconditions (checked by the Go driver): as "+t.name("")+", plus",
		"len(b) >= (kc-1)*ldb+16 when kc > 0 and len(pb) >= 16*kc.")
	// CX kc, SI a, R10 the B row of the next k step, DI pb, DX c; R8 = ldc,
	// R11 = ldb, R12 = 2·ldb, R13 = 3·ldb, R14 = 4·ldb, all in bytes.
	kc := Load(Param("kc"), RCX)
	a := Mem{Base: Load(Param("a").Base(), RSI)}
	Load(Param("b").Base(), R10)
	Load(Param("ldb"), R11)
	pb := Mem{Base: Load(Param("pb").Base(), RDI)}
	c := Load(Param("c").Base(), RDX)
	ldc := Load(Param("ldc"), R8)
	SHLQ(U8(2), ldc)
	SHLQ(U8(2), R11)
	LEAQ(Mem{Base: R11, Index: R11, Scale: 1}, R12)
	LEAQ(Mem{Base: R12, Index: R11, Scale: 1}, R13)
	MOVQ(R11, R14)
	SHLQ(U8(2), R14)
	t.zero()
	MOVQ(kc, RBX)
	SHRQ(U8(2), RBX)
	JZ(LabelRef("tail"))
	Label("loop4")
	rows := []Mem{{Base: R10}, {Base: R10, Index: R11, Scale: 1}, {Base: R10, Index: R12, Scale: 1}, {Base: R10, Index: R13, Scale: 1}}
	for s, row := range rows {
		t.kstepPack(a.Offset(4*t.mr*s), row, pb.Offset(64*s), s)
	}
	ADDQ(U32(4*4*t.mr), a.Base)
	ADDQ(U32(4*64), pb.Base)
	ADDQ(R14, R10)
	DECQ(RBX)
	JNZ(LabelRef("loop4"))
	Label("tail")
	ANDQ(U8(3), kc)
	JZ(LabelRef("write"))
	Label("loop1")
	t.kstepPack(a, rows[0], pb, 0)
	ADDQ(U32(4*t.mr), a.Base)
	ADDQ(U32(64), pb.Base)
	ADDQ(R11, R10)
	DECQ(kc)
	JNZ(LabelRef("loop1"))
	Label("write")
	t.write(addr(Param("beta")), c, ldc, "update")
}

// kstepPack does one k step with B read from row and stored at pb.
func (t tile) kstepPack(a, row, pb Mem, step int) {
	regs := t.bRegs(step)
	for j, r := range regs {
		VMOVUPS(row.Offset(4*t.isa.lanes*j), r)
	}
	for j, r := range regs {
		VMOVUPS(r, pb.Offset(4*t.isa.lanes*j))
	}
	t.fma(a, regs)
}

// gemmTilePackT describes the AVX-512 kernel for a transposed B: the
// panel's element (p, j) is b[j*ldb+p]; four k steps of the 16 stored rows
// are read 4 floats at a time, transposed in registers and written to the
// packed panel pb. The same FMAs in the same order, so the same bits.
//
// Registers: R10 rows 0-7 of B at the next k step, R9 rows 8-15; R11 = ldb,
// R12 = 3·ldb, R13 = 5·ldb, R14 = 7·ldb (bytes); Z20..Z23 four k steps of
// rows 0-3, 4-7, 8-11, 12-15; Z24, Z25 the permutation indexes; Z26, Z27
// temporaries; Z28..Z31 the four k steps' B vectors.
func gemmTilePackT(t tile) {
	name := t.name("PackT")
	TEXT(name, NOSPLIT, "func(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)")
	Pragma("noescape")
	Doc(name+" is "+t.name("")+" (the same FMAs in the same",
		"order) for op(B) = Bᵀ: the panel's element (p, j) is read from b[j*ldb+p],",
		"four k steps of the 16 rows at a time transposed in registers, and",
		"written to pb as the packed panel, pb[p*16 : p*16+16].",
		"",
		"Preconditions (checked by the Go driver): as "+t.name("")+", plus",
		"kc%4 == 0, len(b) >= 15*ldb+kc when kc > 0 and len(pb) >= 16*kc.")
	// Permutation indexes (two tables: 0-15 the first operand, 16-31 the
	// second). From the 4×4 blocks of rows r..r+3 (first) and r+4..r+7
	// (second), each row's 4 k steps in one 128-bit lane: k steps 0 and 1
	// of the 8 rows (idx01), k steps 2 and 3 (idx23).
	table := func(name string, first int) Mem {
		m := GLOBL(name, RODATA|NOPTR)
		for i := range 16 {
			DATA(4*i, U32(4*(i%8)+first+i/8))
		}
		return m
	}
	idx01, idx23 := table("gtIdx01", 0), table("gtIdx23", 2)
	Load(Param("kc"), RBX)
	a := Mem{Base: Load(Param("a").Base(), RSI)}
	Load(Param("b").Base(), R10)
	Load(Param("ldb"), R11)
	pb := Load(Param("pb").Base(), RDI)
	c := Load(Param("c").Base(), RDX)
	ldc := Load(Param("ldc"), R8)
	SHLQ(U8(2), ldc)
	SHLQ(U8(2), R11)
	LEAQ(Mem{Base: R11, Index: R11, Scale: 2}, R12)
	LEAQ(Mem{Base: R11, Index: R11, Scale: 4}, R13)
	LEAQ(Mem{Base: R12, Index: R11, Scale: 4}, R14)
	LEAQ(Mem{Base: R10, Index: R11, Scale: 8}, R9)
	VMOVUPS(idx01, Z24)
	VMOVUPS(idx23, Z25)
	t.zero()
	SHRQ(U8(2), RBX)
	JZ(LabelRef("write"))
	Label("loop4")
	// The 16 rows' next 4 floats, 4 rows per register.
	quad := func(z, x VecPhysical, base Register) {
		rows := []Mem{{Base: base}, {Base: base, Index: R11, Scale: 1}, {Base: base, Index: R11, Scale: 2}, {Base: base, Index: R12, Scale: 1}}
		if z == Z21 || z == Z23 {
			rows = []Mem{{Base: base, Index: R11, Scale: 4}, {Base: base, Index: R13, Scale: 1}, {Base: base, Index: R12, Scale: 2}, {Base: base, Index: R14, Scale: 1}}
		}
		VMOVUPS(rows[0], x)
		for l := 1; l < 4; l++ {
			VINSERTF32X4(U8(l), rows[l], z, z)
		}
	}
	quad(Z20, X20, R10)
	quad(Z21, X21, R10)
	quad(Z22, X22, R9)
	quad(Z23, X23, R9)
	VMOVAPS(Z20, Z26)
	VPERMT2PS(Z21, Z24, Z26)
	VPERMT2PS(Z21, Z25, Z20)
	VMOVAPS(Z22, Z27)
	VPERMT2PS(Z23, Z24, Z27)
	VPERMT2PS(Z23, Z25, Z22)
	VSHUFF32X4(U8(0x44), Z27, Z26, Z28)
	VSHUFF32X4(U8(0xee), Z27, Z26, Z29)
	VSHUFF32X4(U8(0x44), Z22, Z20, Z30)
	VSHUFF32X4(U8(0xee), Z22, Z20, Z31)
	bs := []VecPhysical{Z28, Z29, Z30, Z31}
	for s, r := range bs {
		VMOVUPS(r, Mem{Base: pb, Disp: 64 * s})
	}
	ADDQ(U8(16), R10)
	ADDQ(U8(16), R9)
	for s, r := range bs {
		t.fma(a.Offset(4*t.mr*s), []VecPhysical{r})
	}
	ADDQ(U32(4*4*t.mr), a.Base)
	ADDQ(U32(4*64), pb)
	DECQ(RBX)
	JNZ(LabelRef("loop4"))
	Label("write")
	t.write(addr(Param("beta")), c, ldc, "update")
}

// nonzeroBits describes SgemmSparse's scan: per 32 floats, shift out the
// sign (±0 becomes 0), compare with zero, gather the four 8-lane masks into
// one word and invert it.
func nonzeroBits(v vec) {
	name := "nonzeroBits" + v.suffix
	TEXT(name, NOSPLIT, "func(x []float32, bits []uint32)")
	Pragma("noescape")
	Doc(name+" sets bit i%32 of bits[i/32] when x[i] is not ±0, for",
		"len(x) == 32*len(bits) (the table's nonzero; its twin is",
		"nonzeroBitsGeneric).")
	x := Mem{Base: Load(Param("x").Base(), GP64())}
	bits := Mem{Base: Load(Param("bits").Base(), GP64())}
	n := Load(Param("bits").Len(), GP64())
	TESTQ(n, n)
	JZ(LabelRef("done"))
	zero := v.reg()
	VPXOR(zero, zero, zero)
	Label("loop")
	q := v.regs(4)
	for i, r := range q {
		VPSLLD(U8(1), x.Offset(32*i), r)
	}
	for _, r := range q {
		VPCMPEQD(zero, r, r)
	}
	m := []Register{GP32(), GP32(), GP32(), GP32()}
	for i, r := range q {
		VMOVMSKPS(r, m[i])
	}
	for i := 1; i < 4; i++ {
		SHLL(U8(8*i), m[i])
	}
	for i := 1; i < 4; i++ {
		ORL(m[i], m[0])
	}
	NOTL(m[0])
	MOVL(m[0], bits)
	ADDQ(U8(128), x.Base)
	ADDQ(U8(4), bits.Base)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	done()
}
