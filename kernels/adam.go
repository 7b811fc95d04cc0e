package kernels

import (
	"fmt"
	"math"
)

// The Adam and RAdam updates: the per-step scalars (bias corrections and
// their products with lr) are computed once in float64 and rounded to
// float32 (adamConsts); the elements are updated in float32 in PyTorch's
// order, by the Go twins below or the assembly, which performs the same
// operations (no FMA), so all implementations agree bit for bit. Where
// PyTorch divides by a per-step scalar, we multiply by its float64
// reciprocal rounded once, which leaves one division and one square root
// per element (the divider bounds the assembly's speed).

// adamBlock bounds one assembly call (style guide 7.4); a multiple of 8.
const adamBlock = 1 << 14

// adamConsts are the float32 scalars of one optimiser step. The assembly
// reads them by field name (elementwise_amd64.s).
type adamConsts struct {
	// The moment average m = lerp(m, g, w1) is computed as
	// base + coef·(g - m): base = m and coef = w1 when w1 < 0.5, else
	// base = g and coef = -(1 - w1) (ATen's two-sided lerp, exactly).
	coef     float32
	baseIsG  uint32  // all ones when base = g, 0 when base = m
	b2, w2   float32 // beta2 and 1 - beta2
	step     float32 // Adam: -lr/(1 - beta1^t); RAdam: see newRAdamConsts
	ibc2s    float32 // Adam: 1/sqrt(1 - beta2^t)
	eps      float32
	adaptive uint32 // RAdam: 1 when rho_t > 5 (the rectified update), else 0
}

func newAdamConsts(lr, beta1, beta2, eps float64, t int) adamConsts {
	w1 := float32(1 - beta1)
	k := adamConsts{coef: w1, b2: float32(beta2), w2: float32(1 - beta2), eps: float32(eps)}
	if w1 >= 0.5 {
		k.coef, k.baseIsG = -(1 - w1), ^uint32(0)
	}
	tf := float64(t)
	bc1 := 1 - math.Pow(beta1, tf)
	b2t := math.Pow(beta2, tf)
	bc2 := 1 - b2t
	k.step = float32(-lr / bc1)
	k.ibc2s = float32(1 / math.Sqrt(bc2))
	return k
}

// newRAdamConsts are the scalars of one RAdam step: step = lr/(1-beta1^t),
// times sqrt(1-beta2^t)·rect when rho_t > 5 (adaptive).
func newRAdamConsts(lr, beta1, beta2, eps float64, t int) adamConsts {
	k := newAdamConsts(lr, beta1, beta2, eps, t)
	tf := float64(t)
	bc1 := 1 - math.Pow(beta1, tf)
	b2t := math.Pow(beta2, tf)
	bc2 := 1 - b2t
	step := lr / bc1
	rhoInf := 2/(1-beta2) - 1
	if rhoT := rhoInf - 2*tf*b2t/bc2; rhoT > 5 {
		k.adaptive = 1
		rect := math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
		step *= math.Sqrt(bc2) * rect
	}
	k.step = float32(step)
	return k
}

// AdamStep applies one Adam update with PyTorch's semantics (torch.optim.Adam,
// single-tensor path, no weight decay, no amsgrad) at the 1-based step t >= 1
// to params with grads and the moments m and v (all of length len(params)):
//
//	m = lerp(m, g, 1-beta1);  v = v·beta2 + (1-beta2)·g·g
//	params -= (lr/(1-beta1^t)) · m / (sqrt(v)·(1/sqrt(1-beta2^t)) + eps)
//
// The scalars are computed in float64 and rounded to float32, the element
// operations in float32 in PyTorch's order (every implementation gives the
// same bits; PyTorch divides by sqrt(1-beta2^t) where this multiplies by
// its reciprocal, within an ulp of the denominator). A NaN or ±Inf gradient makes that element's m, v and
// parameter NaN or infinite; check the gradient first (AllFinite). t < 1 or
// short slices panic. The slices must not overlap, except that grads may be
// params (a test convenience).
func AdamStep(params, grads, m, v []float32, lr, beta1, beta2, eps float64, t int) {
	n := len(params)
	checkOptim("AdamStep", grads, m, v, n, t)
	im := current()
	optimStep(im.adam, adamGeneric, params, grads[:n], m[:n], v[:n], newAdamConsts(lr, beta1, beta2, eps, t))
}

// RAdamStep applies one RAdam update with PyTorch's semantics
// (torch.optim.RAdam, single-tensor path, no weight decay) at the 1-based
// step t >= 1; arguments as for AdamStep:
//
//	m = lerp(m, g, 1-beta1);  v = v·beta2 + (1-beta2)·g·g
//	rho_inf = 2/(1-beta2) - 1;  rho_t = rho_inf - 2t·beta2^t/(1-beta2^t)
//	if rho_t > 5:
//	    rect = sqrt((rho_t-4)(rho_t-2)rho_inf / ((rho_inf-4)(rho_inf-2)rho_t))
//	    params -= m/(1-beta1^t) · lr · sqrt(1-beta2^t)/(sqrt(v)+eps) · rect
//	else:
//	    params -= m/(1-beta1^t) · lr
//
// (note eps is added before the bias correction here, unlike Adam). The
// per-step factors lr/(1-beta1^t)·sqrt(1-beta2^t)·rect are multiplied in
// float64 and rounded once, so each element costs one multiplication and
// one division: params -= (m·step)/(sqrt(v) + eps). t < 1 or short slices
// panic.
func RAdamStep(params, grads, m, v []float32, lr, beta1, beta2, eps float64, t int) {
	n := len(params)
	checkOptim("RAdamStep", grads, m, v, n, t)
	im := current()
	optimStep(im.radam, radamGeneric, params, grads[:n], m[:n], v[:n], newRAdamConsts(lr, beta1, beta2, eps, t))
}

// optimStep runs fn (the table's kernel) over whole blocks of 8 and the
// twin over the tail. The update is elementwise, so the split changes no
// bit.
func optimStep(fn, twin func(p, g, m, v []float32, k adamConsts), p, g, m, v []float32, k adamConsts) {
	n8 := len(p) &^ 7
	for lo := 0; lo < n8; lo += adamBlock {
		hi := min(lo+adamBlock, n8)
		fn(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], k)
	}
	if n8 < len(p) {
		twin(p[n8:], g[n8:], m[n8:], v[n8:], k)
	}
}

// adamGeneric is the Go twin of impl.adam (any length).
func adamGeneric(p, g, m, v []float32, k adamConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := adamLerp(m[i], gi, k)
		vi := float32(v[i]*k.b2) + float32(float32(k.w2*gi)*gi)
		m[i], v[i] = mi, vi
		denom := float32(sqrt32(vi)*k.ibc2s) + k.eps
		p[i] += float32(k.step*mi) / denom
	}
}

// radamGeneric is the Go twin of impl.radam (any length).
func radamGeneric(p, g, m, v []float32, k adamConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := adamLerp(m[i], gi, k)
		vi := float32(v[i]*k.b2) + float32(float32(k.w2*gi)*gi)
		m[i], v[i] = mi, vi
		u := mi * k.step
		if k.adaptive != 0 {
			u /= sqrt32(vi) + k.eps
		}
		p[i] -= u
	}
}

// adamLerp is torch.lerp(m, g, w1) in the base + coef·(g - m) form of
// adamConsts.
func adamLerp(m, g float32, k adamConsts) float32 {
	base := m
	if k.baseIsG != 0 {
		base = g
	}
	return base + float32(k.coef*(g-m))
}

// sqrt32 is the correctly rounded float32 square root (VSQRTPS): the
// float64 root of a float32 rounds to the same float32.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func checkOptim(fn string, grads, m, v []float32, n, t int) {
	if t < 1 {
		panic(fmt.Sprintf("kernels.%s: step t=%d, need t >= 1", fn, t))
	}
	if len(grads) < n {
		lenPanic(fn, "grads", len(grads), n)
	}
	if len(m) < n {
		lenPanic(fn, "m", len(m), n)
	}
	if len(v) < n {
		lenPanic(fn, "v", len(v), n)
	}
}
