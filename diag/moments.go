package diag

import (
	"fmt"
	"math"

	"github.com/discretegrad/reinmax/kernels"
)

// Moments accumulates draws of a gradient vector of fixed length: their
// count and, per coordinate, their sum and sum of squares in float64, so
// that the mean and the (population) standard deviation of spec §5 come out
// of one streaming pass whatever the number of draws. The float64 sums keep
// the mean exact to float32 rounding even for millions of draws.
//
// A Moments serves one goroutine at a time. Add, Draw and Reset allocate
// nothing.
type Moments struct {
	n       int
	sum, sq []float64
	scratch []float32 // one draw, for Draw
}

// NewMoments returns an empty accumulator for gradients of size values
// (>= 1). Errors wrap kernels.ErrShape.
func NewMoments(size int) (*Moments, error) {
	if size < 1 {
		return nil, fmt.Errorf("diag.NewMoments: size=%d, need >= 1: %w", size, kernels.ErrShape)
	}
	return &Moments{sum: make([]float64, size), sq: make([]float64, size), scratch: make([]float32, size)}, nil
}

// Len is the length of the gradients accumulated.
func (m *Moments) Len() int { return len(m.sum) }

// Count is the number of draws added since the last Reset.
func (m *Moments) Count() int { return m.n }

// Reset forgets every draw.
func (m *Moments) Reset() {
	m.n = 0
	clear(m.sum)
	clear(m.sq)
}

// Add accumulates one draw g (len Len()). A NaN or ±Inf entry is an error
// wrapping kernels.ErrNonFinite that names its index, and then nothing is
// added (a diverged estimator must not quietly poison the statistics).
// A wrong length wraps kernels.ErrShape.
func (m *Moments) Add(g []float32) error {
	if len(g) != len(m.sum) {
		return fmt.Errorf("diag.Moments.Add: len(g)=%d, need %d: %w", len(g), len(m.sum), kernels.ErrShape)
	}
	// Check first so that a bad draw leaves the sums untouched.
	for i, v := range g {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("diag.Moments.Add: g[%d]=%v: %w", i, v, kernels.ErrNonFinite)
		}
	}
	sum, sq := m.sum[:len(g)], m.sq[:len(g)]
	for i, v := range g {
		x := float64(v)
		sum[i] += x
		sq[i] += x * x
	}
	m.n++
	return nil
}

// Mean writes the average of the draws into dst (len Len()). Errors: a
// wrong length (kernels.ErrShape) or no draw yet (kernels.ErrArgument).
func (m *Moments) Mean(dst []float64) error {
	if err := m.check("Mean", len(dst)); err != nil {
		return err
	}
	inv := 1 / float64(m.n)
	for i, s := range m.sum {
		dst[i] = s * inv
	}
	return nil
}

// Std writes the population standard deviation of the draws into dst
// (len Len()): sqrt(|avg(g²) − mean²|) per coordinate, as the reference
// computes it (the absolute value absorbs the rounding of a variance that is
// zero in exact arithmetic). Errors as for Mean.
func (m *Moments) Std(dst []float64) error {
	if err := m.check("Std", len(dst)); err != nil {
		return err
	}
	inv := 1 / float64(m.n)
	for i, s := range m.sum {
		mean := s * inv
		dst[i] = math.Sqrt(math.Abs(m.sq[i]*inv - mean*mean))
	}
	return nil
}

func (m *Moments) check(fn string, n int) error {
	if n != len(m.sum) {
		return fmt.Errorf("diag.Moments.%s: len(dst)=%d, need %d: %w", fn, n, len(m.sum), kernels.ErrShape)
	}
	if m.n == 0 {
		return fmt.Errorf("diag.Moments.%s: no draw accumulated: %w", fn, kernels.ErrArgument)
	}
	return nil
}

// Sampler draws one estimate of a gradient into grad, with its randomness
// taken from the streams named by (seed, stream); it returns the sampled
// loss, which Draw ignores. *vae.GradProbe satisfies it.
type Sampler interface {
	Sample(seed, stream uint64, grad []float32) (float64, error)
}

// Draw adds samples draws of s: draw j uses the stream first+j of seed, so
// the draws are distinct and the result is a pure function of (s, seed,
// first, samples). It allocates nothing beyond what s allocates. Errors:
// samples < 1 (kernels.ErrArgument), or the first failing draw's error
// (from s, or a non-finite gradient), naming its stream; the draws before it
// stay accumulated.
func (m *Moments) Draw(s Sampler, seed, first uint64, samples int) error {
	if samples < 1 {
		return fmt.Errorf("diag.Moments.Draw: samples=%d, need >= 1: %w", samples, kernels.ErrArgument)
	}
	for j := range uint64(samples) {
		if _, err := s.Sample(seed, first+j, m.scratch); err != nil {
			return fmt.Errorf("diag.Moments.Draw: seed %d stream %d: %w", seed, first+j, err)
		}
		if err := m.Add(m.scratch); err != nil {
			return fmt.Errorf("diag.Moments.Draw: seed %d stream %d: %w", seed, first+j, err)
		}
	}
	return nil
}
