package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// xoshiro describes the eight-lane xoshiro128++ step of xoshiro.go: lane l
// of the state words s0..s3 is generator l, and each step stores r >> 8 of
// every lane (24-bit draws):
//
//	r = rotl(s0+s3, 7) + s0; t = s1 << 9
//	s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
func xoshiro(v vec) {
	name := "xoshiro8" + v.suffix
	TEXT(name, NOSPLIT, "func(s *[32]uint32, dst []float32)")
	Pragma("noescape")
	if v.avx512 {
		Doc(name+" computes what xoshiro8AVX2 (and xoshiro8Generic) computes, with",
			"VPROLD for the rotations.", "", "Preconditions: len(dst)%8 == 0.")
	} else {
		Doc(name+" computes what xoshiro8Generic computes, one vector step of all",
			"eight lanes at a time, and stores the state back.", "", "Preconditions: len(dst)%8 == 0.")
	}
	st := Mem{Base: Load(Param("s"), GP64())}
	dst := Mem{Base: Load(Param("dst").Base(), GP64())}
	steps := Load(Param("dst").Len(), GP64())
	SHRQ(U8(3), steps)
	JZ(LabelRef("done"))
	s := v.regs(4)
	for i, r := range s {
		VMOVDQU(st.Offset(32*i), r)
	}
	Label("loop")
	r := v.reg()
	VPADDD(s[0], s[3], r)
	v.rotl(r, 7)
	VPADDD(s[0], r, r)
	VPSRLD(U8(8), r, r)
	VMOVDQU(r, dst)
	t := v.reg()
	VPSLLD(U8(9), s[1], t)
	VPXOR(s[0], s[2], s[2])
	VPXOR(s[1], s[3], s[3])
	VPXOR(s[2], s[1], s[1])
	VPXOR(s[3], s[0], s[0])
	VPXOR(t, s[2], s[2])
	v.rotl(s[3], 11)
	ADDQ(U8(32), dst.Base)
	DECQ(steps)
	JNZ(LabelRef("loop"))
	for i, r := range s {
		VMOVDQU(r, st.Offset(32*i))
	}
	Label("done")
	done()
}

// rotl rotates each 32-bit lane of r left by k: one VPROLD with AVX-512,
// else two shifts and an or.
func (v vec) rotl(r VecVirtual, k int) {
	if v.avx512 {
		VPROLD(U8(k), r, r)
		return
	}
	hi := v.reg()
	VPSLLD(U8(k), r, hi)
	VPSRLD(U8(32-k), r, r)
	VPOR(hi, r, r)
}
