// Command dump runs a few training steps of the Go VAE and writes what the
// PyTorch reference needs to replay them exactly (fidelity/crosscheck.py):
// the initial weights, and per step the batch's example indices, the
// sampled code D and the losses, plus the gradient of the first step.
//
//	go run ./fidelity/dump -method reinmax -tau 1.3 -steps 60 -out /tmp/xc
//	python3 fidelity/crosscheck.py /tmp/xc
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

type stepRecord struct {
	Indices []int32 `json:"indices"` // training-set indices of the batch
	Code    []int   `json:"code"`    // sampled category per row (batch·L rows)
	Loss    float64 `json:"loss"`
	BCE     float64 `json:"bce"`
	KLD     float64 `json:"kld"`
}

type dumpFile struct {
	Config vae.Config   `json:"config"`
	Data   string       `json:"data"`
	Names  []string     `json:"names"` // parameter tensors in grad0.bin order
	Steps  []stepRecord `json:"steps"`
}

func main() {
	method := flag.String("method", "reinmax", "estimator")
	tau := flag.Float64("tau", 1.3, "temperature")
	lr := flag.Float64("lr", 5e-4, "Adam learning rate")
	c := flag.Int("C", 8, "categories")
	l := flag.Int("L", 4, "latents")
	seed := flag.Uint64("seed", 0, "seed")
	steps := flag.Int("steps", 60, "training steps to record")
	data := flag.String("data", "", "MNIST directory (default: the GoMNIST module's copy)")
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if err := run(*method, *tau, *lr, *c, *l, *seed, *steps, *data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "dump:", err)
		os.Exit(1)
	}
}

func run(method string, tau, lr float64, c, l int, seed uint64, steps int, data, out string) error {
	if out == "" || steps < 1 {
		return fmt.Errorf("need -out DIR and -steps >= 1")
	}
	if data == "" {
		d, err := vae.FindMNIST()
		if err != nil {
			return err
		}
		data = d
	}
	mnist, err := vae.LoadMNIST(data)
	if err != nil {
		return err
	}
	cfg := vae.DefaultConfig()
	cfg.C, cfg.L, cfg.Seed, cfg.LR, cfg.Threads = c, l, seed, lr, 1
	cfg.Estimator = estimators.DefaultConfig(estimators.Method(method))
	cfg.Estimator.Tau = tau
	t, err := vae.NewTrainer(cfg, mnist.Train, nil)
	if err != nil {
		return err
	}
	defer t.Close()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := t.Model().SaveWeights(filepath.Join(out, "weights0.safetensors")); err != nil {
		return err
	}
	dump := dumpFile{Config: t.Config(), Data: data}
	for _, p := range t.Model().Params.Tensors() {
		dump.Names = append(dump.Names, p.Name)
	}
	for s := range steps {
		st, err := t.Step()
		if err != nil {
			return err
		}
		idx, d := t.LastBatch()
		rec := stepRecord{Indices: append([]int32(nil), idx...), Loss: st.Loss, BCE: st.BCE, KLD: st.KLD}
		for r := 0; r < len(d)/c; r++ {
			for k := range c {
				if d[r*c+k] == 1 {
					rec.Code = append(rec.Code, k)
				}
			}
		}
		dump.Steps = append(dump.Steps, rec)
		if s == 0 {
			f, err := os.Create(filepath.Join(out, "grad0.bin"))
			if err != nil {
				return err
			}
			if err := binary.Write(f, binary.LittleEndian, t.Model().Params.Grad); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
	b, err := json.Marshal(dump)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "steps.json"), b, 0o644)
}
