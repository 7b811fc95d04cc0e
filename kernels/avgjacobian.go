package kernels

import "fmt"

// AvgJacobian sets avg = (1/K) Σ_k J(p_k) g, J(p) g = p⊙g − p (p·g), for
// the K rows p_k of C = len(avg) values in p: the average Jacobian-vector
// product of softmax outputs (docs/estimators.md, "The conditional Gumbel sampler") that the Rao-Blackwellised
// estimators take over their K conditional samples. The sums over j run in
// eight lanes reduced in a fixed order (as in CondGumbelAvgJ), so every
// implementation gives the same bits. Allocates nothing.
//
// Errors (kernels.ErrShape, before any work): C < 1, K < 1, or short p or g.
func AvgJacobian(avg, p, g []float32, K int) error {
	return avgJacobian(current(), avg, p, g, K)
}

func avgJacobian(im *impl, avg, p, g []float32, K int) error {
	C := len(avg)
	switch {
	case C < 1 || K < 1:
		return fmt.Errorf("kernels.AvgJacobian: C=len(avg)=%d K=%d, need both >= 1: %w", C, K, ErrShape)
	case len(p) < K*C || len(g) < C:
		return fmt.Errorf("kernels.AvgJacobian: len(p)=%d len(g)=%d, need K*C=%d and C=%d: %w", len(p), len(g), K*C, C, ErrShape)
	}
	if C >= cgMinVectorCols {
		im.avgJac(avg, p[:K*C], g[:C], K, &cgTailMasks[C%8])
	} else {
		avgJacGeneric(avg, p[:K*C], g[:C], K, nil)
	}
	kf := float32(K)
	for j := range avg {
		avg[j] /= kf
	}
	return nil
}

// avgJacGeneric is the Go twin of the avgJac kernels: avg = Σ_k J(p_k) g
// (not yet divided by K), each operation rounded on its own, p·g in the
// eight lanes of lanes8. It does not read tail.
func avgJacGeneric(avg, p, g []float32, K int, _ *[8]int32) {
	C := len(avg)
	clear(avg)
	for k := range K {
		row := p[k*C : (k+1)*C : (k+1)*C]
		var t8 [8]float32
		for j, v := range row {
			t8[j%8] += float32(v * g[j])
		}
		d := lanes8(&t8)
		for j, v := range row {
			avg[j] += float32(v*g[j]) - float32(v*d)
		}
	}
}
