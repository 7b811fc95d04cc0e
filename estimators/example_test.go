package estimators_test

import (
	"fmt"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// A forward/backward round trip with ReinMax on two rows of three
// categories: Forward samples D and returns π; Backward maps ∂Loss/∂D (here
// a linear loss f(D) = cᵀD, so g = c) to ∂Loss/∂logits.
func Example() {
	est, err := estimators.New(estimators.DefaultConfig("reinmax"), 2, 3)
	if err != nil {
		panic(err)
	}
	ws := kernels.NewWorkspace(1)
	defer ws.Close()
	logits := []float32{
		4, 0, 0, // almost surely category 0
		0, 1, 5, // most likely category 2
	}
	d := make([]float32, 6)
	pi := make([]float32, 6)
	if err := est.Forward(ws, 1, 0, logits, d, pi); err != nil {
		panic(err)
	}
	g := []float32{1, -1, 2, 1, -1, 2} // ∂Loss/∂D
	grad := make([]float32, 6)
	if err := est.Backward(ws, 1, 0, g, nil, grad); err != nil {
		panic(err)
	}
	fmt.Println("index:", est.Index())
	fmt.Printf("d:     %v\n", d)
	fmt.Printf("pi:    %.3f\n", pi)
	fmt.Printf("grad:  %.3f\n", grad)
	// Output:
	// index: [0 2]
	// d:     [1 0 0 0 0 1]
	// pi:    [0.965 0.018 0.018 0.007 0.018 0.976]
	// grad:  [0.009 -0.018 0.009 -0.003 -0.027 0.030]
}

// The exact gradient by enumeration: one example of two binary latents,
// with the loss of each of its four codes (first latent most significant).
func ExampleEstimator_SetCodeLoss() {
	est, err := estimators.New(estimators.DefaultConfig("exact"), 2, 2)
	if err != nil {
		panic(err)
	}
	logits := []float32{0, 0, 0, 0} // q = (½, ½) for both latents
	d, pi, grad := make([]float32, 4), make([]float32, 4), make([]float32, 4)
	if err := est.Forward(nil, 7, 0, logits, d, pi); err != nil {
		panic(err)
	}
	// f(z1, z2) for codes 00, 01, 10, 11.
	if err := est.SetCodeLoss([]float32{0, 1, 2, 3}, 2); err != nil {
		panic(err)
	}
	if err := est.Backward(nil, 7, 0, nil, nil, grad); err != nil {
		panic(err)
	}
	fmt.Printf("%.3f\n", grad)
	// Output:
	// [-0.500 0.500 -0.250 0.250]
}

// DefaultConfig fills every default; Tau2 = 0 means "same as Tau".
func ExampleDefaultConfig() {
	cfg := estimators.DefaultConfig("reinmax-cv")
	cfg.Tau = 0.5
	fmt.Printf("%+v\n", cfg.WithDefaults())
	// Output:
	// {Method:reinmax-cv Tau:0.5 K:100 Alpha:1 Eta:0.7 Tau2:0.5 Noise:softmax Gap:1}
}
