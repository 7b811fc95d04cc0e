package vae

import (
	"fmt"
	"math"
	"runtime"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
)

// MaxExactCodes bounds C^L for the exact estimator, whose every step decodes
// all C^L codes (the research code requires C^L < 16384).
const MaxExactCodes = 16384

// DefaultBatch is the protocol's batch size.
const DefaultBatch = 100

// Config is one VAE training configuration. The JSON form is what
// checkpoints store and what the command line reads.
type Config struct {
	// C is the number of categories per latent (>= 2), L the number of
	// latents (>= 1); the code is L one-hot vectors of C entries.
	C int `json:"c"`
	L int `json:"l"`
	// Batch is the number of examples per step; 0 means DefaultBatch.
	Batch int `json:"batch"`
	// Estimator selects the gradient estimator and its parameters.
	Estimator estimators.Config `json:"estimator"`
	// Optimizer is nn.Adam ("adam") or nn.RAdam ("radam"); "" means adam.
	// Both use PyTorch's defaults apart from LR.
	Optimizer string `json:"optimizer"`
	// LR is the learning rate, finite and > 0.
	LR float64 `json:"lr"`
	// Seed drives every random draw: weights, shuffling, estimator noise,
	// evaluation samples (see the package documentation for the streams).
	Seed uint64 `json:"seed"`
	// Threads is the number of worker goroutines; 0 means
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Threads int `json:"threads"`
	// LeakyReLU uses leaky ReLU (slope 0.01) instead of ReLU between layers.
	LeakyReLU bool `json:"leaky_relu"`
}

// DefaultConfig is the 8×4 (C = 8, L = 4) ReinMax configuration of the
// protocol: batch 100, Adam, lr 5e-4, τ = 1, seed 0.
func DefaultConfig() Config {
	return Config{C: 8, L: 4, Batch: DefaultBatch, Estimator: estimators.DefaultConfig("reinmax"),
		Optimizer: nn.Adam, LR: 5e-4}
}

// WithDefaults fills Batch, Optimizer, Threads and the estimator's optional
// fields (estimators.Config.WithDefaults) where they are zero.
func (c Config) WithDefaults() Config {
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.Optimizer == "" {
		c.Optimizer = nn.Adam
	}
	if c.Threads == 0 {
		c.Threads = runtime.GOMAXPROCS(0)
	}
	c.Estimator = c.Estimator.WithDefaults()
	return c
}

// Validate checks c after WithDefaults; errors name the field and value and
// wrap errkind.Argument (or the estimator's own error).
func (c Config) Validate() error {
	c = c.WithDefaults()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("vae.Config: "+format+": %w", append(a, errkind.Argument)...)
	}
	switch {
	case c.C < 2:
		return bad("C=%d categories, need >= 2", c.C)
	case c.L < 1:
		return bad("L=%d latents, need >= 1", c.L)
	case c.C > 1<<16 || c.L > 1<<16 || c.C*c.L > 1<<16:
		return bad("C×L=%d×%d exceeds %d code units", c.C, c.L, 1<<16)
	case c.Batch < 1 || c.Batch > 1<<16:
		return bad("Batch=%d, need 1..%d", c.Batch, 1<<16)
	case c.Optimizer != nn.Adam && c.Optimizer != nn.RAdam:
		return bad("Optimizer=%q, want %q or %q", c.Optimizer, nn.Adam, nn.RAdam)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("LR=%v must be finite and > 0", c.LR)
	case c.Threads < 0 || c.Threads > kernels.MaxThreads:
		// Above the bound the workspace would silently clamp (or, unbounded, run out of memory).
		return bad("Threads=%d, need 0..%d (0 means GOMAXPROCS)", c.Threads, kernels.MaxThreads)
	}
	if err := c.Estimator.Validate(); err != nil {
		return fmt.Errorf("vae.Config: Estimator: %w", err)
	}
	if err := estimators.CheckSize(c.Estimator, c.Batch*c.L, c.C); err != nil {
		return fmt.Errorf("vae.Config: Estimator: %w", err)
	}
	if c.Estimator.Method == "exact" {
		if n, ok := CodeCount(c.C, c.L); !ok {
			return bad("exact estimator needs C^L <= %d codes, have C^L=%d^%d (%d)", MaxExactCodes, c.C, c.L, n)
		}
	}
	return nil
}

// ValidateExplicit is Validate for a configuration whose fields were all
// given by a user: the zeros that WithDefaults would replace (Batch,
// Optimizer, and the estimator's, see estimators.Config.ValidateExplicit)
// are refused instead. Threads = 0 keeps its meaning, GOMAXPROCS.
func (c Config) ValidateExplicit() error {
	switch {
	case c.Batch == 0:
		return fmt.Errorf("vae.Config: Batch=0 must be >= 1: %w", errkind.Argument)
	case c.Optimizer == "":
		return fmt.Errorf("vae.Config: Optimizer is empty, want %q or %q: %w", nn.Adam, nn.RAdam, errkind.Argument)
	}
	if err := c.Estimator.ValidateExplicit(); err != nil {
		return fmt.Errorf("vae.Config: Estimator: %w", err)
	}
	return c.Validate()
}

// CodeCount returns C^L, the number of codes the exact gradient enumerates,
// and whether it is at most MaxExactCodes. The count stops growing once
// past the bound, so it cannot overflow; callers check a shape with it
// before any work instead of recomputing the power.
func CodeCount(c, l int) (int, bool) {
	n := 1
	for range l {
		n *= c
		if n > MaxExactCodes {
			return n, false
		}
	}
	return n, true
}

// Activation maps the LeakyReLU switch to the nn activation, so that every
// program building a Model for a Config (a trainer, a checkpoint's reader)
// picks the same one.
func (c Config) Activation() nn.Activation {
	if c.LeakyReLU {
		return nn.LeakyReLU
	}
	return nn.ReLU
}

// sameExceptThreads reports whether two configurations are equal in every
// field but Threads (results do not depend on it): what Load requires of a
// checkpoint. experiment.SameRun is the looser "trains identically", which
// also ignores the parameters a method does not read.
func (c Config) sameExceptThreads(o Config) bool {
	c, o = c.WithDefaults(), o.WithDefaults()
	c.Threads, o.Threads = 0, 0
	return c == o
}
