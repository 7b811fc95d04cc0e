package kernels

import "math"

// The fused sigmoid + binary cross-entropy of the decoder output, in float32
// with one algorithm shared by the Go twin (bceElem) and the assembly.

// bceSatNeg is the smallest float32 a with float32(e^a) = +Inf (ln of the
// float32 overflow threshold, bits 0x42b17218). For z <= -bceSatNeg,
// PyTorch's p = 1/(1 + e^-z) is exactly 0 in float32.
const bceSatNeg = float32(88.72283935546875)

// bceBlock bounds one assembly call (style guide 7.4: keep asm calls short);
// a multiple of 8, so the lane of element i is i%8 across blocks too.
const bceBlock = 1 << 12

// SigmoidBCE is PyTorch's binary_cross_entropy(sigmoid(z), x) summed over
// the elements: for logits z and targets x (len(x) >= len(z)) it returns
//
//	Σ_i -[x_i·max(log p_i, -100) + (1-x_i)·max(log(1-p_i), -100)],  p = sigmoid(z)
//
// and, if dz is not nil (len(dz) >= len(z); dz may be z), sets
// dz[i] = scale·∂loss_i/∂z_i. Short slices panic.
//
// Algorithm (float32, the same operations in the Go twin and the assembly,
// so all implementations agree bit for bit): with t = e^-|z| (the exp of
// expf.go, 0 for |z| > 87.3), u = 1 + t, q = 1/u and the exact rounding
// error c = t - (u - 1), l = log(1+t) = log(u) + c·q (the log of expf.go),
// so log p = -l for z >= 0 and -|z| - l below, and log(1-p) the other way
// round. The element losses are summed in float64 in 8 lane accumulators
// (element i into lane i%8, in index order) and the lanes combined in a
// fixed tree, so the sum does not depend on how the caller splits rows.
//
// Saturation follows PyTorch's float32 p: where u = 1 and z >= 0 (z >=
// 24·ln 2 ≈ 16.64, +Inf included), p = 1 and log(1-p) is clamped to -100;
// where z <= -88.7228 (-Inf included) e^-z overflows, p = 0 and log p is
// clamped to -100; the gradient is 0 at both.
//
// The gradient is PyTorch's autograd through sigmoid and BCE,
// (p - x)·s/max(s, 1e-12) with s = p(1-p): computed as r - x (z < 0) or
// (1 - x) - r (z >= 0) with r = t·q = min(p, 1-p), times min(1, s·1e12), so
// it keeps its relative accuracy where p is close to 0 or 1. For
// -88.72 < z < -87.3, where e^z is below the exp's range, it returns 0
// instead of PyTorch's |dz| < 1e-25.
//
// Accuracy against a float64 evaluation of PyTorch's formula (2·10⁶ random
// logits N(0, 15²)): each element's loss within 2.1e-7 relative, the
// gradient within 1.9e-7·(|p| + |x|) absolute; TestSigmoidBCE holds every
// implementation to 4e-7 for both. NaN in z or x gives a NaN loss and NaN dz for
// that element; ±Inf in z is saturated as above.
func SigmoidBCE(dz, z, x []float32, scale float32) float64 {
	if len(x) < len(z) {
		lenPanic("SigmoidBCE", "x", len(x), len(z))
	}
	if dz != nil && len(dz) < len(z) {
		lenPanic("SigmoidBCE", "dz", len(dz), len(z))
	}
	return sigmoidBCE(current(), dz, z, x[:len(z)], scale)
}

// sigmoidBCE is SigmoidBCE on implementation im; len(x) == len(z) and dz
// is nil or long enough.
func sigmoidBCE(im *impl, dz, z, x []float32, scale float32) float64 {
	var acc [8]float64
	n8 := len(z) &^ 7
	for lo := 0; lo < n8; lo += bceBlock {
		hi := min(lo+bceBlock, n8)
		var d []float32
		if dz != nil {
			d = dz[lo:hi]
		}
		acc = im.bce(d, z[lo:hi], x[lo:hi], scale, acc)
	}
	if n8 < len(z) {
		var d []float32
		if dz != nil {
			d = dz[n8:len(z)]
		}
		acc = bceGeneric(d, z[n8:], x[n8:], scale, acc)
	}
	return -(((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7])))
}

// bceGeneric is the Go twin of impl.bce (any length): element i goes into
// lane i%8.
func bceGeneric(dz, z, x []float32, scale float32, acc [8]float64) [8]float64 {
	x = x[:len(z)]
	if len(dz) > 0 {
		dz = dz[:len(z)]
		for i, zi := range z {
			e, g := bceElem(zi, x[i])
			acc[i&7] += float64(e)
			dz[i] = scale * g
		}
		return acc
	}
	for i, zi := range z {
		e, _ := bceElem(zi, x[i])
		acc[i&7] += float64(e)
	}
	return acc
}

// bceElem returns, for one logit z and target x, e = x·lp + (1-x)·l1p (the
// negated loss, lp and l1p the clamped logs) and the unscaled gradient g,
// with exactly the float32 operations of the assembly (sigmoidbce_amd64.s),
// in its order; the comparisons are written as the vector min/max/blend
// evaluate them, NaN included.
func bceElem(z, x float32) (e, g float32) {
	neg := math.Float32bits(z)>>31 != 0 // the sign bit, as VBLENDVPS reads it
	na := math.Float32frombits(math.Float32bits(z) | 1<<31)
	t := expf32(na)
	u := 1 + t
	c := t - (u - 1)
	q := 1 / u
	l := float32(c*q) - negLogf32(u)
	near := -l     // log of the side p is not close to 0
	lbig := na - l // log of the other side
	far := lbig
	if -100 > lbig {
		far = -100
	}
	sat := (u == 1 && !neg) || z <= -bceSatNeg
	if sat { // PyTorch's p is exactly 0 or 1: its logs are 0 and -100
		near, far = 0, -100
	}
	lp, l1p := near, far
	if neg {
		lp, l1p = far, near
	}
	w := 1 - x
	e = float32(x*lp) + float32(w*l1p)

	r := float32(t * q) // min(p, 1-p); rounded here, so arm64 does not fuse it into r - x
	if neg {
		g = r - x
	} else {
		g = w - r
	}
	f := float32(r*q) * 1e12 // s·1e12, s = p(1-p) = t·q²
	if !(f < 1) {
		f = 1
	}
	g = g * f
	if sat {
		g = 0
	}
	return e, g
}
