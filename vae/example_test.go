package vae_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// Train a small categorical VAE (C=8, L=4) with ReinMax for one epoch on a
// synthetic data set. On MNIST one would use vae.FindMNIST and vae.LoadMNIST.
func Example() {
	r := rand.New(rand.NewPCG(1, 2))
	pixels := make([]float32, 300*vae.ImagePixels)
	for i := range pixels {
		pixels[i] = float32(r.IntN(256)) / 255
	}
	data, err := vae.NewDataset(pixels, nil)
	if err != nil {
		panic(err)
	}
	cfg := vae.DefaultConfig() // 8×4, batch 100, Adam, lr 5e-4
	cfg.Estimator = estimators.DefaultConfig("reinmax")
	tr, err := vae.NewTrainer(cfg, data.Subset(200), &vae.Dataset{N: 100, Pixels: pixels[200*vae.ImagePixels:]})
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	stats, err := tr.TrainEpoch(context.Background(), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("epoch", stats.Epoch, "steps", stats.Step, "has test loss", stats.HasTest)
	fmt.Println("train loss > 0:", stats.TrainLoss > 0, "test loss > 0:", stats.TestLoss > 0)
	// Output:
	// epoch 1 steps 2 has test loss true
	// train loss > 0: true test loss > 0: true
}
