package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The vector exp and -log of expf.go (expf32 and negLogf32, operation for
// operation) in 8 and in 16 lanes, the conditional Gumbel sampler's -log,
// and the 4×4 transposes of 8-row blocks, shared by the row, sigmoid + BCE
// and conditional-Gumbel kernels. Their registers are the caller's
// (physical), as the hand-written macros they replace took them.

// The 8-lane constants of ·rowConsts (rows_amd64.go, whose table fixes
// each index); the 16-lane code reads their lane 0 with an embedded
// {1to16} broadcast.
var (
	kCutoff  = rowConst(0)
	kLog2e   = rowConst(1)
	kC1      = rowConst(2)
	kC2      = rowConst(3)
	kEP      = []Mem{rowConst(4), rowConst(5), rowConst(6), rowConst(7), rowConst(8), rowConst(9)}
	kOne     = rowConst(10)
	kNegInf  = rowConst(11)
	kInf     = rowConst(12)
	kMant    = rowConst(13)
	kHalf    = rowConst(14)
	kI126    = rowConst(15)
	kSqrtHf  = rowConst(16)
	kLP      = []Mem{rowConst(17), rowConst(18), rowConst(19), rowConst(20), rowConst(21), rowConst(22), rowConst(23), rowConst(24), rowConst(25)}
	k2m24    = rowConst(26)
	kSign    = rowConst(27)
	kMinNorm = rowConst(28)
	kMaxF    = rowConst(29)

	// kCGEps8 is the 1e-20 guard of the conditional Gumbel sampler
	// (condgumbel_amd64.go).
	kCGEps8 = NewDataAddr(Symbol{Name: "·cgEps8"}, 0)
	// The constants of the sigmoid + BCE kernels (·elemConsts,
	// sigmoidbce_amd64.go).
	eM100 = NewDataAddr(Symbol{Name: "·elemConsts"}, 0)
	eNegT = NewDataAddr(Symbol{Name: "·elemConsts"}, 32)
	e1e12 = NewDataAddr(Symbol{Name: "·elemConsts"}, 64)
)

func rowConst(i int) Mem { return NewDataAddr(Symbol{Name: "·rowConsts"}, 32*i) }

// exp8 replaces X by expf32(X) in every lane, using K, R, P and M as
// scratch (X holds r after the reduction, R holds r*r):
//
//	M = X < cutoff (LT_OQ: false for NaN)
//	k = round-half-even(X*log2e); r = X - k*c1; r = r - k*c2
//	p = P0; p = p*r + Pi (i = 1..5); y = p*(r*r) + r; y = y + 1
//	X = M ? +0 : y*2^k
//
// y*2^k is formed by adding k<<23 to the bits of y: y is in [0.7, 1.5] and,
// above the cutoff, y*2^k is normal, so this equals the twin's product with
// the float (k+127)<<23 exactly. The mask is applied last, so the garbage
// that huge k give in lanes below the cutoff (and -Inf lanes) never
// escapes; NaN lanes stay NaN.
func exp8(x, k, r, p, m VecPhysical) {
	VCMPPS(U8(0x11), kCutoff, x, m)
	VMULPS(kLog2e, x, k)
	VROUNDPS(U8(0), k, k)
	VFNMADD231PS(kC1, k, x)
	VFNMADD231PS(kC2, k, x)
	VMOVUPS(kEP[0], p)
	for _, c := range kEP[1:] {
		VFMADD213PS(c, x, p)
	}
	VMULPS(x, x, r)
	VFMADD213PS(x, r, p)
	VADDPS(kOne, p, p)
	VCVTPS2DQ(k, k)
	VPSLLD(U8(23), k, k)
	VPADDD(k, p, p)
	VANDNPS(p, m, x)
}

// negLog8 replaces X (a positive normal float in every lane) by
// negLogf32(X), using E, M, T, Z and Y as scratch:
//
//	e = (bits(X)>>23) - 126; m = bits(X)&0x7fffff | bits(0.5)   (X = m*2^e)
//	T = m < sqrt(1/2); e = e - (T & 1); x = (m - 1) + (T & m)
//	z = x*x; y = L0; y = y*x + Li (i = 1..8); y = (y*x)*z
//	y = e*c2 + y; y = y - z*0.5; r = x + y; r = e*c1 + r; X = -r
func negLog8(x, e, m, t, z, y VecPhysical) {
	VPSRLD(U8(23), x, e)
	VPSUBD(kI126, e, e)
	VCVTDQ2PS(e, e)
	VANDPS(kMant, x, m)
	VORPS(kHalf, m, m)
	VCMPPS(U8(0x11), kSqrtHf, m, t)
	VANDPS(kOne, t, z)
	VSUBPS(z, e, e)
	VANDPS(m, t, t)
	VSUBPS(kOne, m, m)
	VADDPS(t, m, m)
	VMULPS(m, m, z)
	VMOVUPS(kLP[0], y)
	for _, c := range kLP[1:] {
		VFMADD213PS(c, m, y)
	}
	VMULPS(m, y, y)
	VMULPS(z, y, y)
	VFMADD231PS(kC2, e, y)
	VFNMADD231PS(kHalf, z, y)
	VADDPS(y, m, y)
	VFMADD231PS(kC1, e, y)
	VXORPS(kSign, y, x)
}

// cgNegLog8 replaces X by cgNegLog(X) (cglanes.go): negLog8 for a positive
// normal lane, -Inf for +Inf (a masked category of the conditional Gumbel
// sampler), NaN for anything else; V and I hold the lane tests, E, M, T, Z
// and Y are negLog8's scratch.
func cgNegLog8(x, v, i, e, m, t, z, y VecPhysical) {
	VCMPPS(U8(0x1d), kMinNorm, x, v)
	VCMPPS(U8(0x12), kMaxF, x, i)
	VANDPS(i, v, v)
	VCMPPS(U8(0x00), kInf, x, i)
	negLog8(x, e, m, t, z, y)
	VMOVUPS(kInf, e)
	VSUBPS(kInf, e, e)
	VBLENDVPS(i, kNegInf, e, e)
	VBLENDVPS(v, x, e, x)
}

// exp16 replaces X by expf32(X) in each of its 16 lanes, the operations of
// exp8 (and so of the twin), using K, R, P as scratch and the mask
// register M:
//
//	M = !(X < cutoff) (NLT_UQ: true for NaN, so NaN lanes keep their NaN)
//	k = round-half-even(X*log2e); r = X - k*c1; r = r - k*c2
//	p = P0; p = p*r + Pi (i = 1..5); y = p*(r*r) + r; y = y + 1
//	X = M ? y*2^k : +0
//
// VRNDSCALEPS $0 is VROUNDPS $0 (nearest even). VSCALEFPS forms y*2^k in
// one operation where exp8 adds k<<23 to the bits of y: above the cutoff
// y*2^k is normal, so both give the exact product (and NaN stays NaN).
func exp16(x, k, r, p VecPhysical, m Register) {
	VCMPPS_BCST(U8(0x15), kCutoff, x, m)
	VMULPS_BCST(kLog2e, x, k)
	VRNDSCALEPS(U8(0), k, k)
	VFNMADD231PS_BCST(kC1, k, x)
	VFNMADD231PS_BCST(kC2, k, x)
	VBROADCASTSS(kEP[0], p)
	for _, c := range kEP[1:] {
		VFMADD213PS_BCST(c, x, p)
	}
	VMULPS(x, x, r)
	VFMADD213PS(x, r, p)
	VADDPS_BCST(kOne, p, p)
	VSCALEFPS(k, p, p)
	VMOVAPS_Z(p, m, x)
}

// negLog16 is negLog8 in the 16 lanes of a ZMM register, with the same
// values at every step (X is a positive normal float in every lane):
// VGETMANTPS gives m = (X's mantissa)/2 in [1/2, 1), the bits negLog8
// builds with an and and an or, and VGETEXPPS the exponent e - 1; the mask
// register KM stands in for negLog8's lane mask T (m < sqrt(1/2)), so
// e - (T & 1) becomes (e - 1) + 1 and a masked - 1, and x = (m - 1) +
// (T & m) a masked + m (in an unmasked lane negLog8 adds +0: neither e nor
// m - 1 is ever -0). x is kept in T; E, M, Z and Y are scratch too.
func negLog16(x, e, m, t, z, y VecPhysical, km Register) {
	VGETMANTPS(U8(2), x, m)
	VGETEXPPS(x, e)
	VCMPPS_BCST(U8(0x11), kSqrtHf, m, km)
	VADDPS_BCST(kOne, e, e)
	VSUBPS_BCST(kOne, e, km, e)
	VSUBPS_BCST(kOne, m, t)
	VADDPS(m, t, km, t)
	VMULPS(t, t, z)
	VBROADCASTSS(kLP[0], y)
	for _, c := range kLP[1:] {
		VFMADD213PS_BCST(c, t, y)
	}
	VMULPS(t, y, y)
	VMULPS(z, y, y)
	VFMADD231PS_BCST(kC2, e, y)
	VFNMADD231PS_BCST(kHalf, z, y)
	VADDPS(y, t, y)
	VFMADD231PS_BCST(kC1, e, y)
	VPXORD_BCST(kSign, y, x)
}

// cgNegLog16 is cgNegLog8 in 16 lanes: negLog16 for a positive normal
// lane, -Inf for +Inf, NaN (the default NaN of Inf - Inf, as in cgNegLog8)
// for anything else. The mask registers KV and KI hold the lane tests and
// KM is negLog16's; E, M, T, Z and Y are scratch.
func cgNegLog16(x VecPhysical, kv, ki, km Register, e, m, t, z, y VecPhysical) {
	VCMPPS_BCST(U8(0x1d), kMinNorm, x, kv)
	VCMPPS_BCST(U8(0x12), kMaxF, x, ki)
	KANDW(ki, kv, kv)
	VCMPPS_BCST(U8(0x00), kInf, x, ki)
	negLog16(x, e, m, t, z, y, km)
	VBROADCASTSS(kInf, e)
	VSUBPS_BCST(kInf, e, e)
	VBROADCASTSS(kNegInf, ki, e)
	VMOVAPS(x, kv, e)
	VMOVAPS(e, x)
}

// transpose4 turns A, B, C, D, each holding 4 consecutive floats of rows
// (i, i+4) for i = 0..3 in its (low, high) half, into the four columns,
// lane l = row l, using T0-T3 as scratch: within each 128-bit half it is
// the classic 4x4 transpose.
func transpose4(a, b, c, d, t0, t1, t2, t3 VecPhysical) {
	VUNPCKLPS(b, a, t0)
	VUNPCKHPS(b, a, t1)
	VUNPCKLPS(d, c, t2)
	VUNPCKHPS(d, c, t3)
	VSHUFPS(U8(0x44), t2, t0, a)
	VSHUFPS(U8(0xee), t2, t0, b)
	VSHUFPS(U8(0x44), t3, t1, c)
	VSHUFPS(U8(0xee), t3, t1, d)
}

// load4 loads 4 floats at off of rows 0..3 (at lo + k·s) and of rows 4..7
// (at hi + k·s) into Y0-Y3, row k in the low half and row k+4 in the high
// half, the input of transpose4; s3 = 3·s.
func load4(off int, lo, hi, s, s3 Register) {
	rows := func(base Register) []Mem {
		return []Mem{{Base: base, Disp: off}, {Base: base, Index: s, Scale: 1, Disp: off},
			{Base: base, Index: s, Scale: 2, Disp: off}, {Base: base, Index: s3, Scale: 1, Disp: off}}
	}
	l, h := rows(lo), rows(hi)
	xs := []VecPhysical{X0, X1, X2, X3}
	ys := []VecPhysical{Y0, Y1, Y2, Y3}
	for k := range 4 {
		VMOVUPS(l[k], xs[k])
		VINSERTF128(U8(1), h[k], ys[k], ys[k])
	}
}
