package diag_test

import (
	"fmt"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
)

// Two draws of a gradient over two examples of two coordinates, whose mean is
// 1.5 times the exact gradient: the relative bias is 0.5, the cosine 1.
func ExampleMoments() {
	exact := []float32{1, -1, 2, -2}
	m, err := diag.NewMoments(len(exact))
	if err != nil {
		panic(err)
	}
	for _, noise := range []float32{-0.5, 0.5} {
		g := make([]float32, len(exact))
		for i, e := range exact {
			g[i] = 1.5*e + noise
		}
		if err := m.Add(g); err != nil {
			panic(err)
		}
	}
	met, err := m.Metrics(exact, 2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("rel bias %.2f (w.r.t. estimate %.2f), cosine %.2f, mean variance %.2f\n",
		met.RelBiasExact, met.RelBiasEstimate, met.Cosine, met.MeanVar)
	// Output: rel bias 0.50 (w.r.t. estimate 0.33), cosine 1.00, mean variance 0.25
}

// The toy task with the exact gradient, shortened to 5 epochs: the expected
// loss falls from about 0.2525 towards its minimum 0.45² = 0.2025.
func ExampleRunPoly() {
	cfg := diag.DefaultPolyConfig()
	cfg.Epochs = 5
	res, err := diag.RunPoly(cfg, estimators.DefaultConfig("exact"), nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s after %d steps: expected loss %.3f, minimum %.4f\n", res.Method, res.Steps, res.ExpectedLoss, res.MinLoss)
	// Output: exact after 1000 steps: expected loss 0.218, minimum 0.2025
}
