package kernels

import (
	"fmt"
	"math"
)

// Elementwise helpers of the layers and optimisers. Plain Go (they are
// memory-bound), allocation-free, single-threaded and deterministic. Their
// signatures carry no error, so a slice shorter than the documented length
// is a programming error and panics with a message naming the function and
// the lengths (it never reads or writes out of bounds). Products that feed
// an addition are written float32(a*b) + c so no architecture fuses them:
// the results are the same on amd64 and arm64.

// lenPanic reports a slice shorter than the shape it is used with.
func lenPanic(fn, name string, got, need int) {
	panic(fmt.Sprintf("kernels.%s: len(%s)=%d, need %d", fn, name, got, need))
}

// Axpy computes y[i] += alpha*x[i] for i < len(x) (len(y) >= len(x)).
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		lenPanic("Axpy", "y", len(y), len(x))
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// AddBias adds bias[j] to m[r*cols+j] for every row r < rows and column
// j < cols (len(m) >= rows*cols, len(bias) >= cols).
func AddBias(m []float32, rows, cols int, bias []float32) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if len(bias) < cols {
		lenPanic("AddBias", "bias", len(bias), cols)
	}
	if len(m) < rows*cols {
		lenPanic("AddBias", "m", len(m), rows*cols)
	}
	bias = bias[:cols]
	for r := 0; r < rows; r++ {
		row := m[r*cols : (r+1)*cols]
		for j, b := range bias {
			row[j] += b
		}
	}
}

// SumRows adds the column sums of the rows×cols matrix m (len >= rows*cols)
// into dst (len >= cols): dst[j] += m[0,j] + m[1,j] + ..., added in row
// order, one rounding per addition (the bias gradient).
func SumRows(dst, m []float32, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if len(dst) < cols {
		lenPanic("SumRows", "dst", len(dst), cols)
	}
	if len(m) < rows*cols {
		lenPanic("SumRows", "m", len(m), rows*cols)
	}
	dst = dst[:cols]
	for r := 0; r < rows; r++ {
		row := m[r*cols : (r+1)*cols]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// Relu sets y[i] = max(x[i], 0) for i < len(x) (len(y) >= len(x); y may
// equal x). NaN stays NaN.
func Relu(y, x []float32) {
	if len(y) < len(x) {
		lenPanic("Relu", "y", len(y), len(x))
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// ReluBackward sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere, for
// i < len(dy) (len(dx), len(y) >= len(dy); dx may equal dy).
func ReluBackward(dx, dy, y []float32) {
	if len(dx) < len(dy) {
		lenPanic("ReluBackward", "dx", len(dx), len(dy))
	}
	if len(y) < len(dy) {
		lenPanic("ReluBackward", "y", len(y), len(dy))
	}
	dx, y = dx[:len(dy)], y[:len(dy)]
	for i, v := range dy {
		if y[i] > 0 {
			dx[i] = v
		} else {
			dx[i] = 0
		}
	}
}

// SigmoidBCE is PyTorch's binary_cross_entropy(sigmoid(z), x) summed over
// the elements: for logits z and targets x in [0, 1] (len(x) >= len(z)), it
// returns, in float64,
//
//	Σ_i -[x_i·max(log p_i, -100) + (1-x_i)·max(log(1-p_i), -100)],  p = sigmoid(z)
//
// and, if dz is not nil (len(dz) >= len(z)), sets dz[i] = scale·∂loss_i/∂z_i.
//
// The logs are computed in the stable log-sigmoid form (log p = -log(1+e^-z)
// for z >= 0, z - log(1+e^z) below; one exp and one log1p per element, in
// float64 to better than 1e-12), not from a rounded p. PyTorch works on p rounded to float32, and
// this function reproduces where that p saturates: when 1 + e^-z rounds to 1
// in float32 (z >= 24·ln 2 ≈ 16.64), p = 1 and log(1-p) is clamped to -100;
// when e^-z overflows float32 (z < -88.72), p = 0 and log p is clamped to
// -100. Elsewhere the clamps apply to the exact logs. Between those points
// the loss differs from PyTorch's only by PyTorch's own rounding of p and of
// 1-p (relative 2^-24/(1-p) in log(1-p)).
//
// The gradient follows PyTorch's autograd through sigmoid and BCE,
// (p - x)·s/max(s, 1e-12) with s = p(1-p): it is p - x, except 0 where p
// saturates as above and (p - x)·s·1e12 where s < 1e-12 (z < -27.6), the
// effect of PyTorch's epsilon.
func SigmoidBCE(dz, z, x []float32, scale float32) float64 {
	if len(x) < len(z) {
		lenPanic("SigmoidBCE", "x", len(x), len(z))
	}
	if dz != nil && len(dz) < len(z) {
		lenPanic("SigmoidBCE", "dz", len(dz), len(z))
	}
	x = x[:len(z)]
	var sum float64
	for i, zi := range z {
		zf, xi := float64(zi), float64(x[i])
		a := math.Abs(zf)
		t := math.Exp(-a) // e^-|z| in (0, 1]
		l := log1pUnit(t)
		var lp, l1p, p float64
		sat := false
		if zf >= 0 {
			lp, l1p, p = -l, -a-l, 1/(1+t)
			if float32(1)+float32(t) == 1 { // PyTorch's p is exactly 1
				lp, l1p, sat = 0, -100, true
			}
		} else {
			lp, l1p, p = -a-l, -l, t/(1+t)
			if math.IsInf(float64(float32(1/t)), 1) { // e^-z overflows: p = 0
				lp, l1p, sat = -100, 0, true
			}
		}
		lp, l1p = max(lp, -100), max(l1p, -100)
		sum -= float64(xi*lp) + float64((1-xi)*l1p)
		if dz != nil {
			g := p - xi
			if sat {
				g = 0
			} else if s := p * (1 - p); s < 1e-12 {
				g *= s * 1e12
			}
			dz[i] = scale * float32(g)
		}
	}
	return sum
}

// log1pUnit returns log(1+t) for t in [0, 1] with a relative error below
// 1e-12: log(1+t) = 2·atanh(s), s = t/(2+t) in [0, 1/3], by its series
// 2s·Σ_{k<=11} s^2k/(2k+1), whose remainder is below (1/9)^12/25. It is
// several times faster than math.Log1p and math.Log, which dominated
// SigmoidBCE.
func log1pUnit(t float64) float64 {
	s := t / (2 + t)
	w := s * s
	p := 1.0 / 23
	p = p*w + 1.0/21
	p = p*w + 1.0/19
	p = p*w + 1.0/17
	p = p*w + 1.0/15
	p = p*w + 1.0/13
	p = p*w + 1.0/11
	p = p*w + 1.0/9
	p = p*w + 1.0/7
	p = p*w + 1.0/5
	p = p*w + 1.0/3
	p = p*w + 1
	return 2 * s * p
}

// AdamStep applies one Adam update with PyTorch's semantics (torch.optim.Adam,
// single-tensor path, no weight decay, no amsgrad) at the 1-based step t >= 1
// to params with grads and the moments m and v (all of length len(params)):
//
//	m = lerp(m, g, 1-beta1);  v = v·beta2 + (1-beta2)·g·g
//	params -= (lr/(1-beta1^t)) · m / (sqrt(v)/sqrt(1-beta2^t) + eps)
//
// The scalars are computed in float64 and rounded to float32, the element
// operations in float32 in PyTorch's order. t < 1 or short slices panic.
func AdamStep(params, grads, m, v []float32, lr, beta1, beta2, eps float64, t int) {
	n := len(params)
	checkOptim("AdamStep", grads, m, v, n, t)
	grads, m, v = grads[:n], m[:n], v[:n]
	w1, b2, w2 := float32(1-beta1), float32(beta2), float32(1-beta2)
	bc1 := 1 - math.Pow(beta1, float64(t))
	bc2 := 1 - math.Pow(beta2, float64(t))
	step := float32(-lr / bc1)
	bc2s := float32(math.Sqrt(bc2))
	e := float32(eps)
	for i, g := range grads {
		mi := lerp32(m[i], g, w1)
		vi := float32(v[i]*b2) + float32(float32(w2*g)*g)
		m[i], v[i] = mi, vi
		denom := float32(float32(math.Sqrt(float64(vi)))/bc2s) + e
		params[i] += float32(step*mi) / denom
	}
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
// (note eps is added before the bias correction here, unlike Adam). t < 1 or
// short slices panic.
func RAdamStep(params, grads, m, v []float32, lr, beta1, beta2, eps float64, t int) {
	n := len(params)
	checkOptim("RAdamStep", grads, m, v, n, t)
	grads, m, v = grads[:n], m[:n], v[:n]
	w1, b2, w2 := float32(1-beta1), float32(beta2), float32(1-beta2)
	tf := float64(t)
	b2t := math.Pow(beta2, tf)
	bc1 := float32(1 - math.Pow(beta1, tf))
	bc2 := 1 - b2t
	rhoInf := 2/(1-beta2) - 1
	rhoT := rhoInf - 2*tf*b2t/bc2
	lr32 := float32(lr)
	adaptive := rhoT > 5
	var rect, bc2s, e float32
	if adaptive {
		rect = float32(math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)))
		bc2s = float32(math.Sqrt(bc2))
		e = float32(eps)
	}
	for i, g := range grads {
		mi := lerp32(m[i], g, w1)
		vi := float32(v[i]*b2) + float32(float32(w2*g)*g)
		m[i], v[i] = mi, vi
		u := float32(float32(mi/bc1) * lr32)
		if adaptive {
			a := bc2s / (float32(math.Sqrt(float64(vi))) + e)
			u = float32(float32(u*a) * rect)
		}
		params[i] -= u
	}
}

// lerp32 is torch.lerp for float32 (ATen's two-sided formula).
func lerp32(a, b, w float32) float32 {
	if w < 0.5 {
		return a + float32(w*(b-a))
	}
	return b - float32((b-a)*(1-w))
}

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
