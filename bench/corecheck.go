package bench

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/discretegrad/reinmax/kernels"
)

// CoreCheck says how fast the machine's cores run a cache-resident matrix
// product, alone and all at once. On a machine shared with other tenants
// (a cloud VM) a core can lose half its speed for seconds at a time; a core
// well under the solo figure while the others run means that the timings
// taken around the check are unreliable, and that old and new code should
// be compared only within one run, alternately.
type CoreCheck struct {
	Solo     float64   `json:"solo_gflops"`     // one goroutine alone
	Together []float64 `json:"together_gflops"` // one goroutine per GOMAXPROCS, all at once
}

// Slowest returns the smallest of Together divided by Solo (0 without
// figures): about 1 on a quiet machine.
func (c CoreCheck) Slowest() float64 {
	if c.Solo <= 0 || len(c.Together) == 0 {
		return 0
	}
	return slices.Min(c.Together) / c.Solo
}

// coreCheckM, N, K shape the product: 120×256 and 256×64 operands (184
// KiB) stay in any core's L2, and 120 rows are whole panels for every
// micro-kernel (4, 6, 8 and 20 rows).
const coreCheckM, coreCheckN, coreCheckK = 120, 64, 256

// CheckCores measures a CoreCheck, each figure over about d, with the
// active kernels on one thread per goroutine.
func CheckCores(d time.Duration) CoreCheck {
	var c CoreCheck
	c.Solo = coreGFLOPS(d)
	n := runtime.GOMAXPROCS(0)
	c.Together = make([]float64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Together[i] = coreGFLOPS(d)
		}()
	}
	wg.Wait()
	return c
}

// coreGFLOPS runs the check's product on one thread for about d and
// returns its GFLOP/s.
func coreGFLOPS(d time.Duration) float64 {
	a := make([]float32, coreCheckM*coreCheckK)
	b := make([]float32, coreCheckK*coreCheckN)
	c := make([]float32, coreCheckM*coreCheckN)
	for i := range a {
		a[i] = float32(i%7) * 0.125
	}
	for i := range b {
		b[i] = float32(i%5) * 0.25
	}
	ws := kernels.NewWorkspace(1)
	defer ws.Close()
	calls := 0
	start := time.Now()
	for time.Since(start) < d || calls == 0 {
		for range 8 {
			if err := kernels.Sgemm(ws, false, false, coreCheckM, coreCheckN, coreCheckK, 1, a, coreCheckK,
				b, coreCheckN, 0, c, coreCheckN); err != nil {
				panic(err) // the shapes are fixed and valid
			}
		}
		calls += 8
	}
	flops := 2 * float64(coreCheckM*coreCheckN*coreCheckK) * float64(calls)
	return flops / time.Since(start).Seconds() / 1e9
}
