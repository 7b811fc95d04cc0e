package kernels_test

import (
	"fmt"

	"github.com/discretegrad/reinmax/kernels"
)

// A linear layer's forward pass Y = X·W (batch 2, 3 inputs, 2 outputs) and
// its weight gradient dW = Xᵀ·dY, accumulated into dW with beta = 1.
func ExampleSgemm() {
	ws := kernels.NewWorkspace(2) // reuse it across calls; results do not depend on threads
	defer ws.Close()

	x := []float32{1, 2, 3, 4, 5, 6} // 2×3
	w := []float32{1, 0, 0, 1, 1, 1} // 3×2
	y := make([]float32, 2*2)        // 2×2
	if err := kernels.Sgemm(ws, false, false, 2, 2, 3, 1, x, 3, w, 2, 0, y, 2); err != nil {
		panic(err)
	}
	fmt.Println("Y =", y)

	dy := []float32{1, 0, 0, 1} // 2×2
	dw := make([]float32, 3*2)  // 3×2, accumulated twice
	for range 2 {
		// dW (3×2) += Xᵀ (3×2) · dY (2×2): tA, A stored as 2×3 with lda = 3.
		if err := kernels.Sgemm(ws, true, false, 3, 2, 2, 1, x, 3, dy, 2, 1, dw, 2); err != nil {
			panic(err)
		}
	}
	fmt.Println("dW =", dw)

	err := kernels.Sgemm(ws, false, false, 2, 2, 3, 1, x[:5], 3, w, 2, 0, y, 2)
	fmt.Println(err)
	// Output:
	// Y = [4 5 10 11]
	// dW = [2 8 4 10 6 12]
	// kernels.Sgemm: a (m×k): len=5, need 6 for rows=2 cols=3 lda=3: bad shape
}

// The first layer of a network on images: most inputs are exact zeros, so
// SgemmSparse skips their products in the forward pass (the inputs are
// op(A)) and in the weight gradient (op(B)), with Sgemm's bits.
func ExampleSgemmSparse() {
	x := []float32{0, 0, 3, 0, 0, 0, 1, 0} // 2 images of 4 pixels
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8} // 2 outputs × 4 inputs
	y := make([]float32, 2*2)
	// Y = X·Wᵀ (2×2).
	if err := kernels.SgemmSparse(nil, kernels.SparseA, false, true, 2, 2, 4, 1, x, 4, w, 4, 0, y, 2); err != nil {
		panic(err)
	}
	dense := make([]float32, 2*2)
	if err := kernels.Sgemm(nil, false, true, 2, 2, 4, 1, x, 4, w, 4, 0, dense, 2); err != nil {
		panic(err)
	}
	fmt.Println("Y =", y, "same as Sgemm:", fmt.Sprint(y) == fmt.Sprint(dense))

	dy := []float32{1, -1, 2, 0.5} // 2×2
	dw := make([]float32, 2*4)
	// dW = dYᵀ·X (2×4): the images are op(B).
	if err := kernels.SgemmSparse(nil, kernels.SparseB, true, false, 2, 4, 2, 1, dy, 2, x, 4, 0, dw, 4); err != nil {
		panic(err)
	}
	fmt.Println("dW =", dw)
	// Output:
	// Y = [9 21 3 7] same as Sgemm: true
	// dW = [0 0 5 0 0 0 -2.5 0]
}
