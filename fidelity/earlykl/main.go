// Command earlykl trains the Go VAE for a few steps from many seeds and
// prints the KL term of the last step per seed, to compare how often early
// training falls into posterior collapse (every row one-hot, KL = L·log C)
// with the PyTorch reference (fidelity/early_kl.py does the same there).
//
//	go run ./fidelity/earlykl -method reinmax -tau 1.3 -seeds 80 -steps 60
package main

import (
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

func main() {
	method := flag.String("method", "reinmax", "estimator")
	tau := flag.Float64("tau", 1.3, "temperature")
	lr := flag.Float64("lr", 5e-4, "Adam learning rate")
	seeds := flag.Int("seeds", 80, "seeds 0..N-1")
	steps := flag.Int("steps", 60, "training steps per seed")
	flag.Parse()
	if err := run(*method, *tau, *lr, *seeds, *steps); err != nil {
		fmt.Fprintln(os.Stderr, "earlykl:", err)
		os.Exit(1)
	}
}

func run(method string, tau, lr float64, seeds, steps int) error {
	dir, err := vae.FindMNIST()
	if err != nil {
		return err
	}
	data, err := vae.LoadMNIST(dir)
	if err != nil {
		return err
	}
	var sum, sumSq float64
	collapsed := 0
	for seed := range seeds {
		cfg := vae.DefaultConfig()
		cfg.Estimator = estimators.DefaultConfig(estimators.Method(method))
		cfg.Estimator.Tau, cfg.LR, cfg.Seed, cfg.Threads = tau, lr, uint64(seed), 1
		t, err := vae.NewTrainer(cfg, data.Train, nil)
		if err != nil {
			return err
		}
		var st vae.StepStats
		for range steps {
			if st, err = t.Step(); err != nil {
				t.Close()
				return err
			}
		}
		t.Close()
		fmt.Printf("seed %d kld %.4f\n", seed, st.KLD)
		sum += st.KLD
		sumSq += st.KLD * st.KLD
		if st.KLD > 0.998*float64(cfg.L)*math.Log(float64(cfg.C)) {
			collapsed++
		}
	}
	n := float64(seeds)
	mean := sum / n
	fmt.Printf("mean kld after %d steps %.3f ± %.3f (standard error), collapsed %d of %d\n",
		steps, mean, math.Sqrt((sumSq/n-mean*mean)/n), collapsed, seeds)
	return nil
}
