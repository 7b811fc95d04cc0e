package experiment_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/vae"
)

// syntheticMNIST stands in for MNIST: 40 training and 20 test images of
// random pixels.
func syntheticMNIST() *vae.MNIST {
	r := rand.New(rand.NewPCG(1, 2))
	set := func(n int) *vae.Dataset {
		px := make([]float32, n*vae.ImagePixels)
		for i := range px {
			px[i] = r.Float32()
		}
		d, err := vae.NewDataset(px, nil)
		if err != nil {
			panic(err)
		}
		return d
	}
	return &vae.MNIST{Train: set(40), Test: set(20)}
}

// A two-run sweep (ST and ReinMax at C=4, L=3, one epoch), then its report.
// Run it again and both runs are found finished.
func Example_sweep() {
	dir, err := os.MkdirTemp("", "sweep")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	opts := experiment.SweepOptions{
		Dir: dir,
		Grid: experiment.Grid{Methods: []estimators.Method{estimators.ST, estimators.ReinMax}, Configs: []string{"4x3"}, Seeds: experiment.Seeds{1},
			Epochs: 1, Batch: 10},
		Shards: 1, Parallel: 1, Threads: 1,
		Data: syntheticMNIST(),
	}
	res, err := experiment.Sweep(context.Background(), opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("trained:", res.Trained)
	res, _ = experiment.Sweep(context.Background(), opts)
	fmt.Println("already finished:", len(res.Finished))

	rep, err := experiment.ReadReport(dir, experiment.ReportOptions{})
	if err != nil {
		panic(err)
	}
	for _, g := range rep.Groups {
		fmt.Printf("%s %d×%d: %d seed, %d epoch, selected %v\n", g.Config.Estimator.Method, g.Config.C, g.Config.L,
			g.Train.N, g.Epochs, g.Selected)
	}
	// Output:
	// trained: [reinmax-4x3-lr0.0005-tau1-adam-batch10-seed1 st-4x3-lr0.0005-tau1-adam-batch10-seed1]
	// already finished: 2
	// st 4×3: 1 seed, 1 epoch, selected true
	// reinmax 4×3: 1 seed, 1 epoch, selected true
}

// One run, stopped and resumed: Train with Resume continues from the
// checkpoint to the same bits as a run that never stopped.
func ExampleTrain() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cfg := vae.DefaultConfig() // 8×4 ReinMax, Adam, lr 5e-4
	cfg.Batch, cfg.Threads = 10, 1
	data := syntheticMNIST()
	ctx := context.Background()
	if _, err := experiment.Train(ctx, experiment.Options{Dir: dir, Config: cfg, Epochs: 1, Data: data}); err != nil {
		panic(err)
	}
	sum, err := experiment.Train(ctx, experiment.Options{Dir: dir, Config: cfg, Epochs: 3, Mode: experiment.Resume, Data: data})
	if err != nil {
		panic(err)
	}
	st, _ := experiment.Inspect(dir)
	fmt.Println(sum.Epochs, "epochs,", len(st.Records), "records, consistent:", st.Check() == nil)
	// Output: 3 epochs, 3 records, consistent: true
}
