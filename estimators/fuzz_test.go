package estimators_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/estimators"
)

// FuzzBackward: random method, shape, logits (scaled up to ±1e4, with -Inf
// masks), temperature and upstream gradients. An invalid temperature must
// be rejected by New; otherwise Forward and Backward succeed, the gradient
// is finite, zero at masked categories, and every row sums to ~0 (property 1
// of docs/estimators.md) up to float32 rounding of the terms that cancel.
func FuzzBackward(f *testing.F) {
	f.Add(uint8(0), uint8(5), uint8(3), uint64(1), 1.0, 1.0, 1.0, uint16(0))
	f.Add(uint8(6), uint8(2), uint8(7), uint64(2), 0.5, 1e4, 3.0, uint16(0x0102))
	f.Add(uint8(8), uint8(16), uint8(2), uint64(3), 1.3, 30.0, 0.1, uint16(0xffff))
	f.Add(uint8(2), uint8(3), uint8(1), uint64(4), -1.0, 1.0, 1.0, uint16(0))
	f.Add(uint8(4), uint8(9), uint8(4), uint64(5), math.NaN(), 1.0, 1.0, uint16(0))
	f.Add(uint8(10), uint8(4), uint8(6), uint64(6), 0.001, 1e4, 1e3, uint16(0x5555))
	f.Fuzz(func(t *testing.T, mi, ci, ri uint8, seed uint64, tau, scale, gscale float64, mask uint16) {
		methods := estimators.Methods()
		m := methods[int(mi)%len(methods)]
		C := 2 + int(ci)%15
		rows := 1 + int(ri)%9
		cfg := estimators.DefaultConfig(m)
		cfg.Tau, cfg.K = tau, 6
		if m == "reinmax-cv" && seed%2 == 1 {
			cfg.Noise = "gumbel"
		}
		est, err := estimators.New(cfg, rows, C)
		if !(tau > 0) || math.IsInf(tau, 0) || float32(tau) == 0 || math.IsInf(float64(float32(tau)), 0) {
			if err == nil {
				t.Fatalf("New accepted tau=%v", tau)
			}
			return
		}
		if tau < 1e-3 || tau > 1e3 {
			return // valid, but outside the range where gradients of ±1e4 logits stay moderate
		}
		if err != nil {
			t.Fatalf("New(%+v): %v", cfg, err)
		}
		scale = math.Min(math.Abs(scale), 1e4)
		gscale = math.Min(math.Abs(gscale), 1e3)
		if math.IsNaN(scale) || math.IsNaN(gscale) {
			return
		}
		r := rand.New(rand.NewPCG(seed, uint64(mask)))
		n := rows * C
		logits, g, gp := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range logits {
			logits[i] = float32(scale * (2*r.Float64() - 1))
			g[i] = float32(gscale * r.NormFloat64())
			gp[i] = float32(gscale * r.NormFloat64())
		}
		for row := range rows { // mask some categories, keeping one active per row
			for j := range C {
				if j != row%C && mask>>(uint(row*C+j)%16)&1 == 1 && r.IntN(2) == 0 {
					logits[row*C+j] = float32(math.Inf(-1))
				}
			}
		}
		d, pi, grad := make([]float32, n), make([]float32, n), make([]float32, n)
		if err := est.Forward(nil, seed, 1, logits, d, pi); err != nil {
			t.Fatalf("Forward: %v", err)
		}
		setLosses(t, est, string(m), rows, C, r)
		if err := est.Backward(nil, seed, 2, g, gp, grad); err != nil {
			t.Fatalf("Backward: %v", err)
		}
		for row := range rows {
			// Rounding of the row sum scales with the terms that cancel in it.
			var sum, abs, in float64
			for j := range C {
				in = max(in, math.Abs(float64(g[row*C+j]))*(1+1/tau), math.Abs(float64(gp[row*C+j])))
			}
			for j := range C {
				v := float64(grad[row*C+j])
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s row %d: grad %v (logits %v)", m, row, grad[row*C:(row+1)*C], logits[row*C:(row+1)*C])
				}
				if math.IsInf(float64(logits[row*C+j]), -1) && v != 0 {
					t.Fatalf("%s row %d: masked category %d has grad %v", m, row, j, v)
				}
				sum += v
				abs += math.Abs(v)
			}
			if tol := 2e-6 * float64(C) * (1 + abs + in); math.Abs(sum) > tol {
				t.Fatalf("%s row %d: row sum %v > %v (sum|.| %v)", m, row, sum, tol, abs)
			}
		}
	})
}
