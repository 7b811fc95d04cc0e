package vae

import "testing"

func TestZZProf(t *testing.T) {
	dir, _ := FindMNIST()
	m, _ := LoadMNIST(dir)
	cfg := DefaultConfig()
	cfg.C, cfg.L, cfg.Threads = 8, 4, 2
	cfg.Estimator.Method = "reinmax"
	tr, err := NewTrainer(cfg, m.Train, nil)
	if err != nil { t.Fatal(err) }
	for i := 0; i < 1200; i++ { tr.Step() }
}
