package kernels

import (
	"fmt"
	"math"
)

// CondGumbelLanesMaxC is the largest C for which CondGumbelAvgJTau uses its
// vector kernel (above it, the Go twin), and for which the estimators use
// CondGumbelAvgJTau. A short row fills vectors badly (C = 10 wastes 6 of 16
// lanes) and its lane sums cost as much as its arithmetic, so this kernel
// puts one sample in each lane instead. Up to C = 31 that is as fast as
// the row kernels (CondGumbelAvgJ, or CondGumbelLogits, SoftmaxRows and
// AvgJacobian) or faster, with AVX2 and with AVX-512, and at τ ≠ 1 with
// AVX-512 30-45% faster; at C = 64 the row kernels win with AVX2
// (docs/benchmarks-journal.md, "K = 100 estimators", parts 2 and 3).
const CondGumbelLanesMaxC = 31

// CondGumbelAvgJTauScratch is the scratch CondGumbelAvgJTau needs per
// category: 8 lane accumulators and a column of up to 16 samples.
const CondGumbelAvgJTauScratch = 24

// CondGumbelAvgJTau is CondGumbelAvgJ at any temperature τ:
//
//	avg = (1/K) Σ_k J(p_k) g,   p_k = softmax(−log a_k / τ),
//
// with a_k the k-th conditional-Gumbel sample's a of CondGumbelLogits (same
// e, w, i and z). At τ = 1 it takes no log and no exp (p_kj ∝ 1/a_kj);
// otherwise −log a (with −Inf for a masked category, a = +Inf) is shifted
// by its maximum over the row before the exp, as SoftmaxRows does. e is
// read only; scratch holds at least CondGumbelAvgJTauScratch·C floats of
// workspace; w_i is set to 0 during the call and restored, so concurrent
// calls need their own w.
//
// The order of every sum is part of the result: sample k's sums over j run
// in order of j, and its contributions are summed per lane l = k mod 8 (in
// order of k), then over the lanes in the tree of the other kernels. So
// the bits differ from CondGumbelAvgJ's (whose sums over j run in eight
// lanes), but every implementation gives the same ones. Allocates nothing.
//
// Errors (kernels.ErrShape or ErrArgument, before any work): C < 1, K < 1,
// i outside [0, C), short e, w, g or scratch, or τ not positive and finite.
func CondGumbelAvgJTau(avg, e, w, g, scratch []float32, i, K int, z, tau float32) error {
	return condGumbelAvgJTau(current(), avg, e, w, g, scratch, i, K, z, tau)
}

func condGumbelAvgJTau(im *impl, avg, e, w, g, scratch []float32, i, K int, z, tau float32) error {
	C := len(avg)
	if err := cgCheckSample("CondGumbelAvgJTau", "len(avg)", C, K, i); err != nil {
		return err
	}
	switch {
	case len(e) < K*C || len(w) < C || len(g) < C || len(scratch) < CondGumbelAvgJTauScratch*C:
		return fmt.Errorf("kernels.CondGumbelAvgJTau: len(e)=%d len(w)=%d len(g)=%d len(scratch)=%d, need K*C=%d, C=%d, C=%d, %d*C=%d: %w",
			len(e), len(w), len(g), len(scratch), K*C, C, C, CondGumbelAvgJTauScratch, CondGumbelAvgJTauScratch*C, ErrShape)
	case !(tau > 0) || math.IsInf(float64(tau), 1):
		return fmt.Errorf("kernels.CondGumbelAvgJTau: tau=%v, need a positive finite temperature: %w", tau, ErrArgument)
	}
	acc, x := scratch[:8*C], scratch[8*C:CondGumbelAvgJTauScratch*C]
	wi := w[i]
	w[i] = 0 // a_ki = e_ki·0 + e_ki/z + 1e-20, as in condGumbelAvgJ
	if C <= CondGumbelLanesMaxC {
		im.cgLanes(acc, x, e[:K*C], w[:C], g[:C], i, K, z, 1/tau, &cgTailMasks, tau == 1)
	} else {
		cgLanesGeneric(acc, x, e[:K*C], w[:C], g[:C], i, K, z, 1/tau, nil, tau == 1)
	}
	w[i] = wi
	kf := float32(K)
	for j := range avg {
		avg[j] = lanes8((*[8]float32)(acc[8*j:])) / kf
	}
	return nil
}

// cgLanesGeneric is the Go twin of the cgLanes kernels: acc[8j+l] = the sum,
// over the samples k ≡ l (mod 8) in order, of sample k's contribution
// p_kj·g_j − p_kj·(p_k·g), with w_i = 0 set by the caller. x holds 8·C
// floats of scratch (the twin uses C of them). Every operation is rounded
// on its own; the maximum is the vector instruction's (m > y ? m : y). It
// does not read masks.
func cgLanesGeneric(acc, x, e, w, g []float32, i, K int, z, invTau float32, _ *[8][8]int32, tau1 bool) {
	C := len(w)
	clear(acc)
	x = x[:C]
	for k := range K {
		row := e[k*C : (k+1)*C : (k+1)*C]
		ei := row[i] / z
		var s, t float32
		m := negInf
		for j, v := range row {
			a := float32(float32(v*w[j])+ei) + cgEps
			if tau1 {
				r := 1 / a
				x[j] = r
				s += r
				t += float32(r * g[j])
				continue
			}
			y := cgNegLog(a)
			x[j] = y
			if !(m > y) {
				m = y
			}
		}
		var inv, d float32
		if tau1 {
			inv = 1 / s
			d = t * inv
		} else {
			for j, y := range x {
				q := expf32((y - m) * invTau)
				x[j] = q
				s += q
			}
			inv = 1 / s
			for j, q := range x {
				t += float32(float32(q*inv) * g[j])
			}
			d = t
		}
		l := k % 8
		for j, r := range x {
			p := r * inv
			acc[8*j+l] += float32(p*g[j]) - float32(p*d)
		}
	}
}

var negInf = float32(math.Inf(-1))

// cgNegLog is −log a as the lane kernels take it: negLogf32 for a positive
// normal a, −Inf for a = +Inf (a masked category), NaN otherwise (never
// for a valid sample: a >= 1e-20).
func cgNegLog(a float32) float32 {
	switch {
	case a >= 0x1p-126 && a <= math.MaxFloat32:
		return negLogf32(a)
	case a > math.MaxFloat32:
		return negInf
	}
	return float32(math.NaN())
}
