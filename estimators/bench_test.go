package estimators_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// benchShapes are the VAE's (C, L) configurations; a batch of 100 examples
// gives rows = 100·L categorical rows of C categories.
var benchShapes = []struct{ C, L int }{{8, 4}, {4, 24}, {16, 12}, {64, 8}, {10, 30}}

// BenchmarkForwardBackward measures one Forward + Backward (with the
// defaults: K = 100, τ = 1) per method and shape, in rows per second.
// exact runs only where C^L <= 16384.
//
//	go test ./estimators -run '^$' -bench ForwardBackward -benchtime 20x
func BenchmarkForwardBackward(b *testing.B) {
	for _, m := range estimators.Methods() {
		for _, sh := range benchShapes {
			codes := 1
			for range sh.L {
				codes = min(codes*sh.C, 1<<30)
			}
			if m == "exact" && codes > 16384 {
				continue
			}
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("%s/C=%d,L=%d/threads=%d", m, sh.C, sh.L, threads)
				b.Run(name, func(b *testing.B) { benchRoundTrip(b, string(m), sh.C, sh.L, codes, threads) })
			}
		}
	}
}

func benchRoundTrip(b *testing.B, m string, C, L, codes, threads int) {
	const batch = 100
	rows := batch * L
	est, err := estimators.New(estimators.DefaultConfig(estimators.Method(m)), rows, C)
	if err != nil {
		b.Fatal(err)
	}
	ws := kernels.NewWorkspace(threads)
	defer ws.Close()
	r := rand.New(rand.NewPCG(1, 2))
	logits, g, gp := make([]float32, rows*C), make([]float32, rows*C), make([]float32, rows*C)
	for i := range logits {
		logits[i] = float32(r.NormFloat64())
		g[i] = float32(r.NormFloat64())
		gp[i] = float32(r.NormFloat64())
	}
	d, pi, grad := make([]float32, rows*C), make([]float32, rows*C), make([]float32, rows*C)
	rowLoss := make([]float32, rows)
	var codeLoss []float32
	if m == "exact" {
		codeLoss = make([]float32, batch*codes)
		for i := range codeLoss {
			codeLoss[i] = float32(r.NormFloat64())
		}
	}
	step := func(i int) {
		if err := est.Forward(ws, 1, uint64(i), logits, d, pi); err != nil {
			b.Fatal(err)
		}
		switch m {
		case "reinforce":
			if err := est.SetRowLoss(rowLoss); err != nil {
				b.Fatal(err)
			}
		case "exact":
			if err := est.SetCodeLoss(codeLoss, L); err != nil {
				b.Fatal(err)
			}
		}
		if err := est.Backward(ws, 1, uint64(i), g, gp, grad); err != nil {
			b.Fatal(err)
		}
	}
	step(-1) // warm-up: buffers grow on first use
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		step(i)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRepeatTemperature compares the repeat estimators at τ = 1 (the
// probabilities come straight from the conditional sampler) and τ = 0.5
// (logarithms, then one kernels.SoftmaxRows call over rows·K rows), at
// C = 16, L = 12, one thread.
func BenchmarkRepeatTemperature(b *testing.B) {
	for _, m := range []string{"gr", "reinmax-rao", "reinmax-cv"} {
		for _, tau := range []float64{1, 0.5} {
			b.Run(fmt.Sprintf("%s/tau=%v", m, tau), func(b *testing.B) {
				const C, rows = 16, 1200
				cfg := estimators.DefaultConfig(estimators.Method(m))
				cfg.Tau = tau
				est, err := estimators.New(cfg, rows, C)
				if err != nil {
					b.Fatal(err)
				}
				logits, g := make([]float32, rows*C), make([]float32, rows*C)
				r := rand.New(rand.NewPCG(1, 2))
				for i := range logits {
					logits[i] = float32(r.NormFloat64())
					g[i] = float32(r.NormFloat64())
				}
				d, pi, grad := make([]float32, rows*C), make([]float32, rows*C), make([]float32, rows*C)
				if err := est.Forward(nil, 1, 0, logits, d, pi); err != nil {
					b.Fatal(err)
				}
				if err := est.Backward(nil, 1, 0, g, nil, grad); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if err := est.Backward(nil, 1, uint64(i), g, nil, grad); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
