package vae

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/nn"
)

// benchShapes are the protocol's C×L configurations.
var benchShapes = []struct{ c, l int }{{8, 4}, {4, 24}, {16, 12}, {64, 8}, {10, 30}}

// BenchmarkTrainStep/<method>/<C>x<L>/threads=<n> times one training step
// (batch 100, forward + backward + optimiser) on 1000 synthetic images.
// exact runs only where C^L <= MaxExactCodes. Targets (reported, not
// enforced): 8x4 reinmax, 2 threads <= 5.5 ms/step, 1 thread <= 9 ms/step.
func BenchmarkTrainStep(b *testing.B) {
	data := synthDataset(b, 1000, 3)
	for _, method := range estimators.Methods() {
		for _, s := range benchShapes {
			if _, ok := CodeCount(s.c, s.l); method == "exact" && !ok {
				continue
			}
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("%s/%dx%d/threads=%d", method, s.c, s.l, threads)
				b.Run(name, func(b *testing.B) {
					cfg := Config{C: s.c, L: s.l, Batch: 100, Estimator: estimators.DefaultConfig(method),
						Optimizer: nn.Adam, LR: 5e-4, Seed: 1, Threads: threads}
					tr, err := NewTrainer(cfg, data, nil)
					if err != nil {
						b.Fatal(err)
					}
					defer tr.Close()
					if _, err := tr.Step(); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					for b.Loop() {
						if _, err := tr.Step(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkSparseInputAB times training steps on MNIST (8×4, st and
// reinmax, 1 and 2 threads) with the first layer skipping the images'
// zeros (nn.Linear.SparseInput, the default) and without, alternating step
// by step so that both see the same moments of a noisy machine, and
// reports each one's median step ("sparse-ms", "dense-ms") and their ratio.
// The two give the same bits, so the trajectory is one. Skipped without
// MNIST.
func BenchmarkSparseInputAB(b *testing.B) {
	dir, err := FindMNIST()
	if err != nil {
		b.Skip(err)
	}
	m, err := LoadMNIST(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, method := range []string{"st", "reinmax"} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/8x4/threads=%d", method, threads), func(b *testing.B) {
				cfg := Config{C: 8, L: 4, Batch: 100, Estimator: estimators.DefaultConfig(estimators.Method(method)),
					Optimizer: nn.Adam, LR: 5e-4, Seed: 1, Threads: threads}
				tr, err := NewTrainer(cfg, m.Train, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer tr.Close()
				var ms [2][]float64 // dense, sparse
				for i := 0; b.Loop(); i++ {
					for k := range 2 {
						tr.Model().Enc1.SparseInput = (i+k)%2 == 1
						t0 := time.Now()
						if _, err := tr.Step(); err != nil {
							b.Fatal(err)
						}
						if i > 0 { // the first pair warms up
							ms[(i+k)%2] = append(ms[(i+k)%2], float64(time.Since(t0).Microseconds())/1e3)
						}
					}
				}
				tr.Model().Enc1.SparseInput = true
				if len(ms[0]) == 0 {
					return
				}
				dense, sparse := median(ms[0]), median(ms[1])
				b.ReportMetric(dense, "dense-ms")
				b.ReportMetric(sparse, "sparse-ms")
				b.ReportMetric(sparse/dense, "sparse/dense")
			})
		}
	}
}

// median returns the median of x (reordering it).
func median(x []float64) float64 {
	slices.Sort(x)
	return x[len(x)/2]
}
