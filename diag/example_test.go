package diag_test

import (
	"fmt"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
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

// Gradient quality of two estimators on a fresh 4×2 model and eight
// synthetic images: straight-through is biased but close to the exact
// gradient's direction; REINFORCE is unbiased, but so noisy that the mean of
// 256 draws is still far from it. A checkpoint series is measured the same
// way, with CheckpointSource.
func ExampleGradStat() {
	pixels := make([]float32, 8*vae.ImagePixels)
	for i := range pixels {
		pixels[i] = float32((i*37)%101) / 100
	}
	data, err := vae.NewDataset(pixels, nil)
	if err != nil {
		panic(err)
	}
	src, err := diag.FreshSource(4, 2, false, 1)
	if err != nil {
		panic(err)
	}
	cfg := diag.GradStatConfig{
		Methods: []estimators.Config{estimators.DefaultConfig("st"), estimators.DefaultConfig("reinforce")},
		Data:    data, Examples: 8, Samples: 256, Seed: 1,
	}
	rep, err := diag.GradStat(cfg, []diag.GradStatSource{src}, nil)
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Models[0].Results {
		fmt.Printf("%s: %d draws, relative bias %.2f, cosine with the exact gradient %.2f\n",
			r.Method, r.Metrics.Samples, r.Metrics.RelBiasExact, r.Metrics.Cosine)
	}
	// Output:
	// st: 256 draws, relative bias 0.35, cosine with the exact gradient 0.94
	// reinforce: 256 draws, relative bias 331.66, cosine with the exact gradient -0.12
}
