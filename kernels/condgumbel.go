package kernels

import "fmt"

// cgEps is the guard inside the conditional-Gumbel logarithm (constant
// 1e-20; docs/estimators.md, "The conditional Gumbel sampler").
const cgEps float32 = 1e-20

// CondGumbelAvgJ computes the core of the Rao-Blackwellised estimators at
// temperature 1 (gr, reinmax-rao, reinmax-cv; docs/estimators.md, "The
// conditional Gumbel sampler"):
//
//	avg = (1/K) Σ_k J(p_k) g,   J(p) g = p⊙g − p (p·g),
//	p_kj ∝ 1/a_kj,  a_kj = e_kj·w_j + e_ki/z + 1e-20 (j ≠ i),  a_ki = e_ki/z + 1e-20,
//
// that is, p_k is the softmax of the k-th conditional Gumbel sample of φ
// given argmax = i, with w_j = exp(φ_max − φ_j) (+Inf for a masked
// category, which gets p = 0) and z = Σ_j exp(φ_j − φ_max). e holds the
// K rows of C = len(avg) Exp(1) draws (finite, > 0) and is overwritten with
// scratch; w and g have C values, w_i is ignored (set to 0 during the call
// and restored, so concurrent calls need their own w), and g must be finite.
// The sums over j run in eight lanes (j mod 8) reduced in a fixed order,
// so every implementation gives the same bits. Allocates nothing.
//
// Errors (kernels.ErrShape, before any work): C < 1, K < 1, i outside
// [0, C), or short e, w or g.
func CondGumbelAvgJ(avg, e, w, g []float32, i, K int, z float32) error {
	return condGumbelAvgJ(current(), avg, e, w, g, i, K, z)
}

func condGumbelAvgJ(im *impl, avg, e, w, g []float32, i, K int, z float32) error {
	C := len(avg)
	if err := cgCheckSample("CondGumbelAvgJ", "len(avg)", C, K, i); err != nil {
		return err
	}
	switch {
	case len(e) < K*C || len(w) < C || len(g) < C:
		return fmt.Errorf("kernels.CondGumbelAvgJ: len(e)=%d len(w)=%d len(g)=%d, need K*C=%d, C=%d, C=%d: %w",
			len(e), len(w), len(g), K*C, C, C, ErrShape)
	}
	// With w_i = 0 the general formula gives a_ki = e_ki/z + 1e-20 exactly
	// (e_ki·0 = 0), so the kernels need no special lane.
	wi := w[i]
	w[i] = 0
	if C >= cgMinVectorCols {
		im.cgAvgJ(avg, e[:K*C], w[:C], g[:C], i, K, z, &cgTailMasks[C%8])
	} else {
		cgAvgJGeneric(avg, e[:K*C], w[:C], g[:C], i, K, z, nil)
	}
	w[i] = wi
	kf := float32(K)
	for j := range avg {
		avg[j] /= kf
	}
	return nil
}

// cgCheckSample validates the shape common to the conditional-Gumbel
// kernels: C and K at least 1, i a category. cname names C's source.
func cgCheckSample(fn, cname string, C, K, i int) error {
	switch {
	case C < 1 || K < 1:
		return fmt.Errorf("kernels.%s: C=%s=%d K=%d, need both >= 1: %w", fn, cname, C, K, ErrShape)
	case i < 0 || i >= C:
		return fmt.Errorf("kernels.%s: i=%d outside [0, %d): %w", fn, i, C, ErrShape)
	}
	return nil
}

// cgMinVectorCols is the smallest C given to the assembly. Below it the
// per-sample overhead of the vector code (a scalar division, two lane
// reductions) costs more than the twin's scalar loop; both give the same
// bits, so this is only a speed choice.
const cgMinVectorCols = 8

// cgTailMasks[n] enables the first n lanes of the last vector of a row
// (all eight when n = 0: C is a multiple of 8).
var cgTailMasks = func() (m [8][8]int32) {
	for n := range 8 {
		for l := range 8 {
			if n == 0 || l < n {
				m[n][l] = -1
			}
		}
	}
	return m
}()

// cgAvgJGeneric is the Go twin of the cgAvgJ kernels: avg = Σ_k J(p_k) g
// (not yet divided by K), with w_i = 0 already set. Every operation is
// rounded to float32 on its own (the conversions keep the compiler from
// fusing multiply-adds), and the sums over j use the kernels' eight lanes:
// lane l adds the j ≡ l (mod 8) terms in order, then
// ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)). e rows receive 1/a. It does
// not read tail.
func cgAvgJGeneric(avg, e, w, g []float32, i, K int, z float32, _ *[8]int32) {
	C := len(avg)
	clear(avg)
	for k := range K {
		row := e[k*C : (k+1)*C : (k+1)*C]
		ei := row[i] / z
		var s8, t8 [8]float32
		for j, v := range row {
			a := float32(float32(float32(v*w[j])+ei) + cgEps)
			r := 1 / a
			row[j] = r
			s8[j%8] += r
			t8[j%8] += float32(r * g[j])
		}
		s, t := lanes8(&s8), lanes8(&t8)
		inv := 1 / s
		d := float32(t * inv) // p_k·g
		for j, r := range row {
			p := float32(r * inv)
			avg[j] += float32(p*g[j]) - float32(p*d)
		}
	}
}

// lanes8 reduces eight lane sums in the kernels' order.
func lanes8(v *[8]float32) float32 {
	return float32(float32(v[0]+v[4])+float32(v[2]+v[6])) + float32(float32(v[1]+v[5])+float32(v[3]+v[7]))
}

// CondGumbelLogits builds the K conditional Gumbel samples of φ given
// argmax = i for temperatures other than 1 (docs/estimators.md, "The conditional Gumbel sampler"), in place: each
// e_kj (the K rows of C = len(w) Exp(1) draws, finite and > 0) becomes
//
//	−log a_kj,  a_kj = e_kj·w_j + e_ki/z + 1e-20 (j ≠ i),  a_ki = e_ki/z + 1e-20,
//
// the sample shifted by −max φ, with w_j = exp(φ_max − φ_j) (+Inf for a
// masked category, whose logit becomes −Inf) and z = Σ_j exp(φ_j − φ_max);
// w_i is ignored (set to 0 during the call and restored, so concurrent
// calls need their own w). Every operation is rounded on its own (no fused
// multiply-add) and the logarithm is NegLog's, so every implementation
// gives the same bits; an a that no valid e gives (NaN, 0 or below, from a
// NaN or negative e) becomes NaN. Allocates nothing.
//
// Errors (kernels.ErrShape, before any work): C < 1, K < 1, i outside
// [0, C), or len(e) < K·C.
func CondGumbelLogits(e, w []float32, i, K int, z float32) error {
	return condGumbelLogits(current(), e, w, i, K, z)
}

func condGumbelLogits(im *impl, e, w []float32, i, K int, z float32) error {
	C := len(w)
	if err := cgCheckSample("CondGumbelLogits", "len(w)", C, K, i); err != nil {
		return err
	}
	if len(e) < K*C {
		return fmt.Errorf("kernels.CondGumbelLogits: len(e)=%d, need K*C=%d: %w", len(e), K*C, ErrShape)
	}
	wi := w[i]
	w[i] = 0 // a_ki = e_ki·0 + e_ki/z + 1e-20, as in condGumbelAvgJ
	im.cgLogits(e[:K*C], w, i, K, z, &cgTailMasks[C%8])
	w[i] = wi
	return nil
}

// cgLogitsGeneric is the Go twin of the cgLogits kernels: cgNegLog(a_kj)
// written over e_kj, with w_i = 0 set by the caller. The conversions keep
// the compiler from fusing the multiply and the add. It does not read
// tail.
func cgLogitsGeneric(e, w []float32, i, K int, z float32, _ *[8]int32) {
	C := len(w)
	for k := range K {
		row := e[k*C : (k+1)*C : (k+1)*C]
		ei := row[i] / z
		for j, v := range row {
			row[j] = cgNegLog(float32(float32(v*w[j])+ei) + cgEps)
		}
	}
}
