package vae

import (
	"fmt"
	"testing"

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
			if _, ok := codeCount(s.c, s.l); method == "exact" && !ok {
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
