package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
)

// A two-layer decoder-like network trained for a few Adam steps on one
// batch: parameters and gradients live in one flat Params vector each.
func Example() {
	var p nn.Params
	l1, _ := nn.NewLinear(&p, "fc1", 4, 8)
	l2, _ := nn.NewLinear(&p, "fc2", 8, 3)
	if err := p.Alloc(); err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	_ = l1.Init(r)
	_ = l2.Init(r)
	opt, _ := nn.NewOptimizer(nn.Adam, 1e-2, p.Len())
	ws := kernels.NewWorkspace(1)
	defer ws.Close()

	const rows = 2
	x := []float32{0, 1, 0, 1, 1, 0, 1, 0}
	target := []float32{1, 0, 1, 0, 1, 0}
	h := make([]float32, rows*8)
	z := make([]float32, rows*3)
	dz := make([]float32, rows*3)
	dh := make([]float32, rows*8)
	var bce nn.BCE
	var first, last float64
	for step := range 50 {
		_ = l1.Forward(ws, h, x, rows)
		_ = nn.ReLU.Forward(h, h)
		_ = l2.Forward(ws, z, h, rows)
		loss, _ := bce.Loss(ws, dz, z, target, rows, 3, 1.0/rows, nil)
		_ = l2.Backward(ws, dh, dz, h, rows)
		_ = nn.ReLU.Backward(dh, dh, h)
		_ = l1.Backward(ws, nil, dh, x, rows)
		_ = opt.Step(ws, p.Data, p.Grad)
		if step == 0 {
			first = loss
		}
		last = loss
	}
	fmt.Println("parameters:", p.Len(), "loss decreased:", last < first/2)
	// Output: parameters: 67 loss decreased: true
}
