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
