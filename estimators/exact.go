package estimators

import (
	"fmt"
	"math"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
)

// MaxCodes bounds C^L for SetCodeLoss (the research code requires
// C^L < 16384; the bound here only guards memory and time).
const MaxCodes = 1 << 20

// exactState holds the per-code losses of the exact method and the float64
// scratch of its enumeration.
type exactState struct {
	f     []float32 // [B·C^L] losses, grown on demand
	l     int       // latents per example
	codes int       // C^L
	b     int       // examples
	ok    bool      // set since the last Forward
	per   int       // examples per parallel piece
	scr   [][]float64
}

// SetRowLoss gives reinforce its per-row f(D), len rows of the last
// Forward: the loss of the example the row belongs to, already scaled (for
// example divided by the batch size). Backward then returns
// f(D)(D − π) + J(π)g_p. f is copied. Call it after Forward and
// before Backward; Forward invalidates it. Errors: another method, len(f) >
// maxRows (errkind.Shape), NaN/Inf values (errkind.NonFinite).
func (e *Estimator) SetRowLoss(f []float32) error {
	if e.m != mReinforce {
		return fmt.Errorf("estimators.SetRowLoss: method %q takes no row loss (only reinforce): %w", e.cfg.Method, errkind.Argument)
	}
	if len(f) > e.maxRows {
		return fmt.Errorf("estimators.SetRowLoss: len(f)=%d exceeds maxRows=%d: %w", len(f), e.maxRows, errkind.Shape)
	}
	if j := firstNonFinite(f); j >= 0 {
		return fmt.Errorf("estimators.SetRowLoss: f[%d]=%v: %w", j, f[j], errkind.NonFinite)
	}
	copy(e.rowLoss, f)
	e.rowLossN, e.rowLossOK = len(f), true
	return nil
}

// SetCodeLoss gives exact the loss of every code of every example:
// f[b·C^L + code], code = Σ_l k_l·C^(L−1−l) (first latent most significant),
// for examples of L latents, so that rows = B·L with B = len(f)/C^L must
// match the last Forward at Backward time. Backward then returns the exact
// gradient of Σ_b Σ_z Π_l q_bl(z_l) f_b(z) with respect to the logits
// (computed in float64) plus J(π)g_p; g is ignored. f is copied
// (the buffer grows on first use, then is reused). Call it after Forward and
// before Backward; Forward invalidates it. Errors: another method, L < 1,
// C^L > MaxCodes, len(f) not a positive multiple of C^L, B·L > maxRows
// (errkind.Shape), NaN/Inf values (errkind.NonFinite).
func (e *Estimator) SetCodeLoss(f []float32, L int) error {
	if e.m != mExact {
		return fmt.Errorf("estimators.SetCodeLoss: method %q takes no code loss (only exact): %w", e.cfg.Method, errkind.Argument)
	}
	if L < 1 {
		return fmt.Errorf("estimators.SetCodeLoss: L=%d, need >= 1: %w", L, errkind.Shape)
	}
	codes := 1
	for range L {
		codes *= e.cols
		if codes > MaxCodes {
			return fmt.Errorf("estimators.SetCodeLoss: C^L=%d^%d exceeds %d codes: %w", e.cols, L, MaxCodes, errkind.Shape)
		}
	}
	if len(f) == 0 || len(f)%codes != 0 {
		return fmt.Errorf("estimators.SetCodeLoss: len(f)=%d is not a positive multiple of C^L=%d^%d=%d: %w",
			len(f), e.cols, L, codes, errkind.Shape)
	}
	b := len(f) / codes
	if b*L > e.maxRows {
		return fmt.Errorf("estimators.SetCodeLoss: B*L=%d*%d rows exceeds maxRows=%d: %w", b, L, e.maxRows, errkind.Shape)
	}
	if j := firstNonFinite(f); j >= 0 {
		return fmt.Errorf("estimators.SetCodeLoss: f[%d]=%v (example %d, code %d): %w", j, f[j], j/codes, j%codes, errkind.NonFinite)
	}
	s := &e.code
	if cap(s.f) < len(f) {
		s.f = make([]float32, len(f))
	}
	s.f = s.f[:len(f)]
	copy(s.f, f)
	s.l, s.codes, s.b, s.ok = L, codes, b, true
	s.per = max(1, kernels.RowBlock/L)
	pieces := (b + s.per - 1) / s.per
	need := 3*L*e.cols + 2*(L+1) + L // q, F, gp row, prefix, suffix, digits
	if len(s.scr) < pieces {
		s.scr = append(s.scr, make([][]float64, pieces-len(s.scr))...)
	}
	for p := range pieces {
		if len(s.scr[p]) < need {
			s.scr[p] = make([]float64, need)
		}
	}
	if len(e.errs) < pieces {
		e.errs = append(e.errs, make([]error, pieces-len(e.errs))...)
	}
	return nil
}

// exactBackward runs the enumeration over blocks of examples.
func (e *Estimator) exactBackward(fn string, ws *kernels.Workspace) error {
	s := &e.code
	if !s.ok {
		return fmt.Errorf("estimators.%s: exact needs SetCodeLoss after the last Forward: %w", fn, errkind.Argument)
	}
	if s.b*s.l != e.rows {
		return fmt.Errorf("estimators.%s: SetCodeLoss gave B*L=%d*%d=%d rows, the sample has %d: %w",
			fn, s.b, s.l, s.b*s.l, e.rows, errkind.Shape)
	}
	pieces := (s.b + s.per - 1) / s.per
	clear(e.errs[:pieces])
	e.task.phase = phaseExact
	ws.Parallel(pieces, &e.task)
	for _, err := range e.errs[:pieces] {
		if err != nil {
			return fmt.Errorf("estimators.%s: %w", fn, err)
		}
	}
	return nil
}

// exactBlock computes the exact gradient of the examples of piece p. For
// each example, q_l = softmax(θ_l) in float64 and
// F_l[k] = Σ_{z: z_l = k} f(z) Π_{m≠l} q_m(z_m), so that the gradient of
// Σ_z Π_l q_l(z_l) f(z) with respect to θ_l is J(q_l) F_l; the products
// over m ≠ l come from prefix and suffix products, so a zero q never
// divides. g_p is added inside the same J: J(q_l)(F_l + g_p,l).
func (e *Estimator) exactBlock(p int) {
	s := &e.code
	L, C := s.l, e.cols
	buf := s.scr[p]
	q, F, gp := buf[:L*C], buf[L*C:2*L*C], buf[2*L*C:3*L*C]
	prefix, suffix := buf[3*L*C:3*L*C+L+1], buf[3*L*C+L+1:3*L*C+2*L+2]
	digits := buf[3*L*C+2*L+2 : 3*L*C+3*L+2]
	for ex := p * s.per; ex < min(s.b, (p+1)*s.per); ex++ {
		r0 := ex * L
		if e.gp != nil {
			rowsGP := e.gp[r0*C : (r0+L)*C]
			if j := firstNonFinite(rowsGP); j >= 0 {
				e.errs[p] = fmt.Errorf("gp row %d holds %v: %w", r0+j/C, rowsGP[j], errkind.NonFinite)
				return
			}
			for j, v := range rowsGP {
				gp[j] = float64(v)
			}
		} else {
			clear(gp)
		}
		for l := range L {
			softmax64(q[l*C:(l+1)*C], e.theta[(r0+l)*C:(r0+l+1)*C])
		}
		clear(F)
		clear(digits)
		f := s.f[ex*s.codes : (ex+1)*s.codes]
		for _, fz := range f {
			prefix[0] = 1
			for l := range L {
				prefix[l+1] = prefix[l] * q[l*C+int(digits[l])]
			}
			suffix[L] = 1
			for l := L - 1; l >= 0; l-- {
				suffix[l] = suffix[l+1] * q[l*C+int(digits[l])]
			}
			fv := float64(fz)
			for l := range L {
				F[l*C+int(digits[l])] += fv * (prefix[l] * suffix[l+1])
			}
			// Next code: the last latent is the least significant digit.
			for l := L - 1; l >= 0; l-- {
				digits[l]++
				if int(digits[l]) < C {
					break
				}
				digits[l] = 0
			}
		}
		for l := range L {
			ql, fl, gl := q[l*C:(l+1)*C], F[l*C:(l+1)*C], gp[l*C:(l+1)*C]
			var d float64
			for j, v := range ql {
				d += v * (fl[j] + gl[j])
			}
			out := e.grad[(r0+l)*C : (r0+l+1)*C]
			for j, v := range ql {
				out[j] = float32(v*(fl[j]+gl[j]) - v*d)
				if !finite(out[j]) {
					e.errs[p] = fmt.Errorf("grad row %d overflows float32 at category %d (check the scale of the code losses): %w",
						r0+l, j, errkind.NonFinite)
					return
				}
			}
		}
	}
}

// softmax64 sets q = softmax(theta) in float64 (-Inf entries give 0).
func softmax64(q []float64, theta []float32) {
	m := math.Inf(-1)
	for _, v := range theta {
		m = max(m, float64(v))
	}
	var z float64
	for j, v := range theta {
		q[j] = math.Exp(float64(v) - m)
		z += q[j]
	}
	for j := range q {
		q[j] /= z
	}
}
