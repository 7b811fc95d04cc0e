package bench

import (
	"fmt"
	"sync"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// TrainMethods returns the estimators TrainCases measures: MainMethods, or
// st, reinmax and reinmax-rao when quick (a fresh slice).
func TrainMethods(quick bool) []estimators.Method {
	if quick {
		return []estimators.Method{estimators.ST, estimators.ReinMax, estimators.ReinMaxRao}
	}
	return MainMethods()
}

// TrainConfig is the trainer configuration of a training-step case: the
// protocol's defaults (vae.DefaultConfig: batch 100, Adam, seed 0) at C×L
// with method's defaults, its learning rate, temperature and optimiser from
// the preset table where it has the pair (vae.PresetFor; the
// temperature decides whether the repeat estimators take an extra softmax),
// and threads workers.
func TrainConfig(method estimators.Method, sh Shape, threads int) vae.Config {
	cfg := vae.DefaultConfig()
	cfg.C, cfg.L, cfg.Threads = sh.C, sh.L, threads
	cfg.Estimator = estimators.DefaultConfig(method)
	if p, err := vae.PresetFor(method, sh.C, sh.L); err == nil {
		cfg.LR, cfg.Estimator.Tau, cfg.Optimizer = p.LR, p.Tau, p.Optimizer
	}
	return cfg
}

// TrainCases returns one case per configuration C×L (8×4 alone when
// o.Quick), method (TrainMethods(o.Quick)) and thread count, named
// "train/CxL/<method>/t<threads>": one vae.Trainer.Step (forward, estimator,
// backward and optimiser update on a batch of 100) with TrainConfig, in
// steps/s, against st at the same configuration and threads. The training
// set (o.Data, else MNIST from o.DataDir or vae.FindMNIST) is read once,
// when the first selected case is set up; without it the set-up error
// wraps ErrNoData.
func TrainCases(o Options) ([]Case, error) {
	o, err := o.withDefaults("TrainCases")
	if err != nil {
		return nil, err
	}
	src := &dataSource{data: o.Data, dir: o.DataDir}
	var cs []Case
	for _, sh := range o.shapes() {
		for _, m := range TrainMethods(o.Quick) {
			for _, t := range o.Threads {
				c := Case{
					Name:  fmt.Sprintf("%s/%s/%s/%s", GroupTrain, sh, m, threadSuffix(t)),
					Group: GroupTrain, Threads: t,
					Work: 1, Unit: UnitSteps,
					setup: trainSetup(src, TrainConfig(m, sh, t)),
				}
				if m != "st" {
					c.Baseline = fmt.Sprintf("%s/%s/st/%s", GroupTrain, sh, threadSuffix(t))
				}
				cs = append(cs, c)
			}
		}
	}
	return cs, nil
}

// dataSource reads the training set at most once for all the cases of one
// TrainCases call.
type dataSource struct {
	once sync.Once
	data *vae.Dataset
	dir  string
	err  error
}

func (s *dataSource) get() (*vae.Dataset, error) {
	s.once.Do(func() {
		if s.data != nil {
			return
		}
		dir := s.dir
		if dir == "" {
			d, err := vae.FindMNIST()
			if err != nil {
				s.err = fmt.Errorf("%w: %w", ErrNoData, err)
				return
			}
			dir = d
		}
		m, err := vae.LoadMNIST(dir)
		if err != nil {
			s.err = fmt.Errorf("%w: %w", ErrNoData, err)
			return
		}
		s.data = m.Train
	})
	return s.data, s.err
}

// trainSetup builds a trainer for cfg and returns its timed Step.
func trainSetup(src *dataSource, cfg vae.Config) func() (func(int) error, func(), error) {
	return func() (func(int) error, func(), error) {
		data, err := src.get()
		if err != nil {
			return nil, nil, err
		}
		tr, err := vae.NewTrainer(cfg, data, nil)
		if err != nil {
			return nil, nil, err
		}
		op := func(int) error {
			_, err := tr.Step()
			return err
		}
		return op, tr.Close, nil
	}
}
