package kernels

import "math"

// The float32 exp and log shared by the Go twins and the assembly (style
// guide, kernels.md 7.7). The assembly performs exactly the operations
// below, in the same order, with one rounding per FMA; the twins emulate the
// FMAs exactly with fma32, so asm and Go agree bit for bit.

// exp (Cephes expf with FMA): for x >= expCutoff,
//
//	k = round-half-even(x·log2 e)
//	r = fma(-k, c1, x); r = fma(-k, c2, r)    (Cody–Waite: c1 + c2 ≈ ln 2)
//	p = P0; p = fma(p, r, Pi) for i = 1..5   (Horner)
//	e^x ≈ (fma(p, r·r, r) + 1) · 2^k          (2^k built as (k+127)<<23)
//
// x < expCutoff (including -Inf) gives exactly 0: below it e^x leaves the
// normal range, and for x >= expCutoff, k >= -126 and the result is normal,
// so no denormal is ever produced. NaN is not below the cutoff and
// propagates. Measured error on [-87.3, 0]: see TestExpf32Ulp and doc.go.
const (
	expCutoff = float32(-87.3)
	expLog2e  = float32(1.44269504088896341)
	expC1     = float32(0.693359375)
	expC2     = float32(-2.12194440e-4)
	expP0     = float32(1.9875691500e-4)
	expP1     = float32(1.3981999507e-3)
	expP2     = float32(8.3334519073e-3)
	expP3     = float32(4.1665795894e-2)
	expP4     = float32(1.6666665459e-1)
	expP5     = float32(5.0000001201e-1)
)

// log (Cephes logf with FMA), for positive normal u:
//
//	u = m·2^e with m in [1/2, 1) (exponent and mantissa bits)
//	if m < √½ { e--; x = (m-1) + m } else { x = m - 1 }   (both exact)
//	y = L0; y = fma(y, x, Li) for i = 1..8; y = (y·x)·(x·x)
//	y = fma(e, c2, y); y = fma(-(x·x), 1/2, y)
//	log u ≈ fma(e, c1, x + y)
//
// with the same c1, c2 as exp.
const (
	logSqrtHalf = float32(0.707106781186547524)
	logP0       = float32(7.0376836292e-2)
	logP1       = float32(-1.1514610310e-1)
	logP2       = float32(1.1676998740e-1)
	logP3       = float32(-1.2420140846e-1)
	logP4       = float32(1.4249322787e-1)
	logP5       = float32(-1.6668057665e-1)
	logP6       = float32(2.0000714765e-1)
	logP7       = float32(-2.4999993993e-1)
	logP8       = float32(3.3333331174e-1)
)

// fma32 returns a·b + c rounded once to float32, as VFMADD…PS computes it.
//
// a·b is exact in float64 (24+24 < 53 bits), so s = a·b + c is rounded at
// most once, to float64. Rounding s to float32 again is then correct unless
// s lies exactly halfway between two float32 values while a·b + c did not
// (double rounding); only that rare case takes the slow path, which moves s
// one float64 step towards the exact value before the final rounding.
func fma32(a, b, c float32) float32 {
	// a·b is exact in float64, so even where the compiler fuses this into
	// a float64 FMA the value is the same.
	s := float64(a)*float64(b) + float64(c)
	// Fast path: the 29 bits below float32's last mantissa bit are not
	// exactly one half, and |s| is in float32's normal range (biased
	// float64 exponent >= 1023-126; the shift drops the sign).
	if u := math.Float64bits(s); u&(1<<29-1) != 1<<28 && u<<1 >= (1023-126)<<53 {
		return float32(s)
	}
	return fma32Slow(a, b, c, s)
}

// fmaTry is the inlinable fast path of fma32: the float64 value rounded to
// float32 and whether that is the correctly rounded result (false in the
// rare cases fma32 resolves).
func fmaTry(a, b, c float32) (float32, bool) {
	s := float64(a)*float64(b) + float64(c)
	u := math.Float64bits(s)
	return float32(s), u&(1<<29-1) != 1<<28 && u<<1 >= (1023-126)<<53
}

func fma32Slow(a, b, c float32, s float64) float32 {
	r := float32(s)
	if math.IsInf(s, 0) || math.IsNaN(s) || float64(r) == s {
		return r
	}
	// Exact error of s = p + c (Knuth's TwoSum).
	p, cf := float64(a)*float64(b), float64(c)
	bv := s - p
	av := s - bv
	e := (p - av) + (cf - bv)
	if e == 0 {
		return r // s is a·b + c exactly: one rounding only
	}
	// Is s the midpoint between r and its float32 neighbour on the other side?
	o := math.Nextafter32(r, float32(math.Copysign(math.Inf(1), s-float64(r))))
	if s != (float64(r)+float64(o))/2 {
		return r
	}
	return float32(math.Nextafter(s, math.Copysign(math.Inf(1), e)))
}

// expPoly and logPoly are the Horner coefficients after the leading one.
var (
	expPoly = [...]float32{expP1, expP2, expP3, expP4, expP5}
	logPoly = [...]float32{logP1, logP2, logP3, logP4, logP5, logP6, logP7, logP8}
)

// expf32 is the scalar exp of the softmax kernels (see the constants above).
// Each fma32 is spelled as fmaTry with fma32 as the rare fallback, so that
// the common case is inlined (fma32 itself is too big to be).
func expf32(x float32) float32 {
	if x < expCutoff {
		return 0
	}
	if x != x {
		return x
	}
	k := float32(math.RoundToEven(float64(x * expLog2e)))
	r, ok := fmaTry(-k, expC1, x)
	if !ok {
		r = fma32(-k, expC1, x)
	}
	r0 := r
	if r, ok = fmaTry(-k, expC2, r0); !ok {
		r = fma32(-k, expC2, r0)
	}
	p := expP0
	for _, c := range expPoly {
		q, ok := fmaTry(p, r, c)
		if !ok {
			q = fma32(p, r, c)
		}
		p = q
	}
	z := r * r
	y, ok := fmaTry(p, z, r)
	if !ok {
		y = fma32(p, z, r)
	}
	y++
	return y * math.Float32frombits(uint32(int32(k)+127)<<23)
}

// negLogf32 returns -log(u) for a positive normal float32 u with the log
// above (the kernel of Exponentials and Gumbels).
func negLogf32(u float32) float32 {
	b := math.Float32bits(u)
	e := float32(int32(b>>23) - 126)
	m := math.Float32frombits(b&0x007fffff | 0x3f000000)
	var x float32
	if m < logSqrtHalf {
		e--
		x = (m - 1) + m
	} else {
		x = m - 1
	}
	z := x * x
	y := logP0
	for _, c := range logPoly {
		q, ok := fmaTry(y, x, c)
		if !ok {
			q = fma32(y, x, c)
		}
		y = q
	}
	y = y * x
	y = y * z
	y0 := y
	y, ok := fmaTry(e, expC2, y0)
	if !ok {
		y = fma32(e, expC2, y0)
	}
	y0 = y
	if y, ok = fmaTry(-z, 0.5, y0); !ok {
		y = fma32(-z, 0.5, y0)
	}
	r := x + y
	r0 := r
	if r, ok = fmaTry(e, expC1, r0); !ok {
		r = fma32(e, expC1, r0)
	}
	return -r
}
