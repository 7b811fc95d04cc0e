package diag

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/discretegrad/reinmax/errkind"
)

// Moments accumulates draws of a gradient vector of fixed length: their
// count and, per coordinate, their sum and sum of squares in float64, so
// that the mean and the (population) standard deviation of Metrics come out
// of one streaming pass whatever the number of draws. The float64 sums keep
// the mean exact to float32 rounding even for millions of draws.
//
// A Moments serves one goroutine at a time. Add, Draw and Reset allocate
// nothing.
type Moments struct {
	n       int
	sum, sq []float64
	work    []*chunkSums // one per sampler, for Draw
	one     [1]Sampler   // Draw's sampler, without allocating a slice
}

// NewMoments returns an empty accumulator for gradients of size values
// (>= 1). Errors wrap errkind.Shape.
func NewMoments(size int) (*Moments, error) {
	if size < 1 {
		return nil, fmt.Errorf("diag.NewMoments: size=%d, need >= 1: %w", size, errkind.Shape)
	}
	return &Moments{sum: make([]float64, size), sq: make([]float64, size)}, nil
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
// wrapping errkind.NonFinite that names its index, and then nothing is
// added (a diverged estimator must not quietly poison the statistics).
// A wrong length wraps errkind.Shape.
func (m *Moments) Add(g []float32) error {
	if len(g) != len(m.sum) {
		return fmt.Errorf("diag.Moments.Add: len(g)=%d, need %d: %w", len(g), len(m.sum), errkind.Shape)
	}
	if i := accumulate(m.sum, m.sq, g); i >= 0 {
		return fmt.Errorf("diag.Moments.Add: g[%d]=%v: %w", i, g[i], errkind.NonFinite)
	}
	m.n++
	return nil
}

// accumulate adds g and its squares to sum and sq (len(g) each) in
// float64. It checks first, so that a draw with a NaN or ±Inf leaves the
// sums untouched; it then returns the index of that entry, else -1.
func accumulate(sum, sq []float64, g []float32) int {
	for i, v := range g {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	sum, sq = sum[:len(g)], sq[:len(g)]
	for i, v := range g {
		x := float64(v)
		sum[i] += x
		sq[i] += x * x
	}
	return -1
}

// Mean writes the average of the draws into dst (len Len()). Errors: a
// wrong length (errkind.Shape) or no draw yet (errkind.Argument).
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
		return fmt.Errorf("diag.Moments.%s: len(dst)=%d, need %d: %w", fn, n, len(m.sum), errkind.Shape)
	}
	if m.n == 0 {
		return fmt.Errorf("diag.Moments.%s: no draw accumulated: %w", fn, errkind.Argument)
	}
	return nil
}

// Sampler draws one estimate of a gradient into grad, with its randomness
// taken from the streams named by (seed, stream); it returns the sampled
// loss, which Draw ignores. *vae.GradProbe satisfies it.
type Sampler interface {
	Sample(seed, stream uint64, grad []float32) (float64, error)
}

// drawChunk is how many consecutive draws are summed on their own before
// being added to the totals, in stream order. It is fixed, so the sums (and
// every metric) are bitwise the same whatever the number of samplers.
const drawChunk = 32

// chunkSums is one sampler's partial sums over a chunk of draws.
type chunkSums struct {
	n       int
	sum, sq []float64
	scratch []float32
}

// Draw adds samples draws of s: draw j uses the stream first+j of seed, so
// the draws are distinct and the result is a pure function of (s, seed,
// first, samples). It allocates nothing beyond what s allocates. Errors:
// samples < 1 (errkind.Argument), or the first failing draw's error
// (from s, or a non-finite gradient), naming its stream; the draws before it
// stay accumulated.
func (m *Moments) Draw(s Sampler, seed, first uint64, samples int) error {
	m.one[0] = s
	err := m.DrawParallel(m.one[:], seed, first, samples)
	m.one[0] = nil
	return err
}

// DrawParallel is Draw with the draws shared among the samplers ss, one
// goroutine each (each sampler serves one goroutine; give them independent
// state, e.g. one vae.GradProbe per goroutine on a single-threaded
// workspace). The draws are summed in fixed chunks merged in stream order,
// so the result is bitwise identical to Draw's for any len(ss), provided
// every sampler returns the same gradient for the same (seed, stream).
// Errors as for Draw; len(ss) == 0 is errkind.Argument. With one sampler
// it allocates nothing; with several, a little for the goroutines.
func (m *Moments) DrawParallel(ss []Sampler, seed, first uint64, samples int) error {
	const fn = "diag.Moments.Draw"
	if samples < 1 {
		return fmt.Errorf("%s: samples=%d, need >= 1: %w", fn, samples, errkind.Argument)
	}
	if len(ss) == 0 {
		return fmt.Errorf("%s: no sampler: %w", fn, errkind.Argument)
	}
	chunks := samples/drawChunk + min(1, samples%drawChunk) // (samples+drawChunk-1)/drawChunk overflows near MaxInt
	workers := min(len(ss), chunks)
	for len(m.work) < workers {
		size := len(m.sum)
		m.work = append(m.work, &chunkSums{sum: make([]float64, size), sq: make([]float64, size), scratch: make([]float32, size)})
	}
	if workers == 1 {
		w := m.work[0]
		for c := range chunks {
			lo, hi := c*drawChunk, min((c+1)*drawChunk, samples)
			err := w.draw(ss[0], seed, first+uint64(lo), hi-lo)
			m.merge(w)
			if err != nil {
				return fmt.Errorf("%s: %w", fn, err)
			}
		}
		return nil
	}
	// Workers take chunks in order and merge them in the same order: a
	// worker that finishes chunk c waits until chunks 0..c-1 are merged.
	var (
		next     atomic.Int64
		failed   atomic.Bool // stop taking chunks once a draw failed
		mu       sync.Mutex
		turn     = sync.NewCond(&mu)
		merged   int
		firstErr error
		wg       sync.WaitGroup
	)
	for i := range workers {
		wg.Go(func() {
			s, w := ss[i], m.work[i]
			for !failed.Load() {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				lo, hi := c*drawChunk, min((c+1)*drawChunk, samples)
				err := w.draw(s, seed, first+uint64(lo), hi-lo)
				mu.Lock()
				for merged != c {
					turn.Wait()
				}
				if firstErr == nil {
					m.merge(w)
					if err != nil {
						firstErr = fmt.Errorf("%s: %w", fn, err)
						failed.Store(true)
					}
				}
				merged++
				turn.Broadcast()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firstErr
}

// draw sums count draws of s from stream first on, from zero. It stops at
// the first failure; the draws before it stay in w.
func (w *chunkSums) draw(s Sampler, seed, first uint64, count int) error {
	w.n = 0
	clear(w.sum)
	clear(w.sq)
	for j := range uint64(count) {
		stream := first + j
		if _, err := s.Sample(seed, stream, w.scratch); err != nil {
			return fmt.Errorf("seed %d stream %d: %w", seed, stream, err)
		}
		if i := accumulate(w.sum, w.sq, w.scratch); i >= 0 {
			return fmt.Errorf("seed %d stream %d: g[%d]=%v: %w", seed, stream, i, w.scratch[i], errkind.NonFinite)
		}
		w.n++
	}
	return nil
}

// merge adds a chunk's sums to the totals.
func (m *Moments) merge(w *chunkSums) {
	sum, sq := m.sum[:len(w.sum)], m.sq[:len(w.sq)]
	for i := range sum {
		sum[i] += w.sum[i]
		sq[i] += w.sq[i]
	}
	m.n += w.n
}
