package vae

import (
	"sort"
	"testing"
	"time"
)

func TestZZStepAB(t *testing.T) {
	dir, _ := FindMNIST()
	m, _ := LoadMNIST(dir)
	for _, th := range []int{2, 1} {
		for _, method := range []string{"st", "reinmax"} {
			cfg := DefaultConfig()
			cfg.C, cfg.L, cfg.Threads = 8, 4, th
			cfg.Estimator.Method = method
			tr, err := NewTrainer(cfg, m.Train, nil)
			if err != nil { t.Fatal(err) }
			for i := 0; i < 30; i++ { tr.Step() }
			var on, off []float64
			for i := 0; i < 600; i++ {
				sp := i%2 == 0
				tr.Model().Enc1.SparseInput = sp
				t0 := time.Now()
				if _, err := tr.Step(); err != nil { t.Fatal(err) }
				d := time.Since(t0).Seconds() * 1e3
				if sp { on = append(on, d) } else { off = append(off, d) }
			}
			sort.Float64s(on); sort.Float64s(off)
			t.Logf("threads %d %s: dense %.3f ms, sparse %.3f ms (p25 %.3f / %.3f)", th, method, off[len(off)/2], on[len(on)/2], off[len(off)/4], on[len(on)/4])
			tr.Close()
		}
	}
}
