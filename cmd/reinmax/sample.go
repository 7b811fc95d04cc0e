package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/discretegrad/reinmax/cmd/reinmax/internal/figures"
	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// runSample writes a PNG grid from a checkpoint: test images, their
// reconstructions, and decodings of codes drawn from the uniform prior.
func runSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sample", "--checkpoint FILE [flags]", stderr)
	ckpt := fs.String("checkpoint", "", "checkpoint written by train (required)")
	out := fs.String("out", "", "PNG to write (default: samples.png beside the checkpoint)")
	n := fs.Int("n", 16, "images per row (1..100)")
	seed := fs.Uint64("seed", 0, "seed of the codes drawn for reconstructions and prior samples")
	data := fs.String("data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *ckpt == "":
		return usageErr(fs, "--checkpoint is required")
	case *n < 1 || *n > 100:
		return usageErr(fs, "--n=%d must be in 1..100", *n)
	}
	if *out == "" {
		*out = filepath.Join(filepath.Dir(*ckpt), "samples.png")
	}
	m, info, err := vae.LoadModel(*ckpt)
	if err != nil {
		return err
	}
	cfg := info.Config.WithDefaults()
	if *data == "" {
		// Resolved here so that the error below can name the directory.
		if *data, err = vae.FindMNIST(); err != nil {
			return err
		}
	}
	mnist, err := loadMNIST(*data)
	if err != nil {
		return err
	}
	// --n is only checked against 1..100 above; a small --data set can
	// hold fewer test images than that.
	if *n > mnist.Test.N {
		return usageErr(fs, "--n=%d is larger than the %d test images in %s", *n, mnist.Test.N, *data)
	}
	ws := kernels.NewWorkspace(cfg.Threads)
	defer ws.Close()
	x := mnist.Test.Pixels[:*n*vae.ImagePixels]
	recon := make([]float32, len(x))
	prior := make([]float32, len(x))
	if err := m.Reconstruct(ws, recon, x, *n, *seed, 1); err != nil {
		return err
	}
	if err := m.SamplePrior(ws, prior, *n, *seed, 2); err != nil {
		return err
	}
	img, err := figures.SampleGrid([][]float32{x, recon, prior}, *n)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d test images, their reconstructions, %d prior samples (%s %d×%d)\n",
		*out, *n, *n, cfg.Estimator.Method, cfg.C, cfg.L)
	return nil
}
