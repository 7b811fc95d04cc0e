package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// vec is a vector ISA as the kernels use it: the suffix of its kernels'
// names, its width in float32 lanes, its registers, and whether it has the
// AVX-512 instructions (EVEX: VPROLD, mask registers).
type vec struct {
	suffix string
	lanes  int
	reg    func() VecVirtual
	avx512 bool
}

var (
	// avx2 is AVX2 with FMA3, on YMM registers.
	avx2 = vec{suffix: "AVX2", lanes: 8, reg: YMM}
	// avx512vl is AVX-512 on YMM registers (AVX-512 VL): AVX2's width with
	// AVX-512's instructions.
	avx512vl = vec{suffix: "AVX512", lanes: 8, reg: YMM, avx512: true}
	// avx512 is AVX-512 on ZMM registers, 16 lanes.
	avx512 = vec{suffix: "AVX512", lanes: 16, reg: ZMM, avx512: true}
)

// bytes is the size of one vector in bytes.
func (v vec) bytes() int { return 4 * v.lanes }

// regs returns n fresh vector registers.
func (v vec) regs(n int) []VecVirtual {
	rs := make([]VecVirtual, n)
	for i := range rs {
		rs[i] = v.reg()
	}
	return rs
}

// addr is the memory operand of an argument (a struct field, a scalar), for
// instructions that read it in place (VBROADCASTSS).
func addr(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// broadcast loads the float32 argument c into every lane of a new register.
func (v vec) broadcast(c gotypes.Component) VecVirtual {
	r := v.reg()
	VBROADCASTSS(addr(c), r)
	return r
}

// byteLen loads the length of the slice argument name, in bytes.
func byteLen(name string) Register {
	n := Load(Param(name).Len(), GP64())
	SHLQ(U8(2), n)
	return n
}

// done ends an AVX function: VZEROUPPER before RET avoids the transition
// penalty in the SSE code that follows.
func done() {
	VZEROUPPER()
	RET()
}

// The vector registers by number, for kernels that name them (physical
// registers, as a hand-written kernel would).
var (
	xmm = []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}
	ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
)

// m is a memory operand base+disp.
func m(base Register, disp int) Mem { return Mem{Base: base, Disp: disp} }

// mi is a memory operand base+index·scale+disp.
func mi(base, index Register, scale uint8, disp int) Mem {
	return Mem{Base: base, Index: index, Scale: scale, Disp: disp}
}

// at is base + AX, the byte offset of the current vector in a row.
func at(base Register) Mem { return Mem{Base: base, Index: RAX, Scale: 1} }
