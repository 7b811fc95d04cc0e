package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// runWith runs f with the named implementation active.
func runWith(name string, f func() error) error {
	restore, err := Use(name)
	if err != nil {
		return err
	}
	defer restore()
	return f()
}

// SelfCheck runs the named implementation and the pure-Go twins ("generic")
// on rounds random shapes each of Sgemm, SoftmaxRows and SampleRows (drawn
// from seed) and returns an error naming the first result that differs by
// more than rounding. It switches the active implementation while it runs
// (see Use): do not call it while kernels are running in other goroutines.
func SelfCheck(name string, rounds int, seed uint64) error {
	if _, err := lookup(name); err != nil {
		return err
	}
	if rounds < 1 {
		return fmt.Errorf("kernels.SelfCheck: rounds=%d, need >= 1: %w", rounds, ErrArgument)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	ws := NewWorkspace(2)
	defer ws.Close()
	randSlice := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	for i := 0; i < rounds; i++ {
		m, n, k := r.IntN(70), r.IntN(70), r.IntN(300)
		tA, tB := r.IntN(2) == 1, r.IntN(2) == 1
		a, b := randSlice(max(m*k, 1)), randSlice(max(k*n, 1))
		lda, ldb := max(k, 1), max(n, 1)
		if tA {
			lda = max(m, 1)
		}
		if tB {
			ldb = max(k, 1)
		}
		c0 := randSlice(max(m*n, 1))
		c1 := append([]float32(nil), c0...)
		if err := runWith("generic", func() error {
			return Sgemm(ws, tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, c0, max(n, 1))
		}); err != nil {
			return err
		}
		if err := runWith(name, func() error {
			return Sgemm(ws, tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, c1, max(n, 1))
		}); err != nil {
			return err
		}
		for j := range c0[:m*n] {
			tol := 1e-5 * float64(k+1) * (1 + math.Abs(float64(c0[j])))
			if d := math.Abs(float64(c0[j] - c1[j])); !(d <= tol) {
				return fmt.Errorf("Sgemm m=%d n=%d k=%d tA=%v tB=%v: c[%d]=%g, Go twin %g", m, n, k, tA, tB, j, c1[j], c0[j])
			}
		}

		rows, cols := 1+r.IntN(50), 1+r.IntN(80)
		src := randSlice(rows * cols)
		p0, p1 := make([]float32, rows*cols), make([]float32, rows*cols)
		if err := runWith("generic", func() error { return SoftmaxRows(ws, p0, src, rows, cols, 0.7, nil) }); err != nil {
			return err
		}
		if err := runWith(name, func() error { return SoftmaxRows(ws, p1, src, rows, cols, 0.7, nil) }); err != nil {
			return err
		}
		for j := range p0 {
			if d := math.Abs(float64(p0[j] - p1[j])); !(d <= 1e-6+1e-5*float64(p0[j])) {
				return fmt.Errorf("SoftmaxRows rows=%d cols=%d: p[%d]=%g, Go twin %g", rows, cols, j, p1[j], p0[j])
			}
		}

		u := make([]float32, rows)
		Uniforms(r, u)
		i0, i1 := make([]int32, rows), make([]int32, rows)
		if err := runWith("generic", func() error { return SampleRows(ws, i0, p0, rows, cols, u) }); err != nil {
			return err
		}
		if err := runWith(name, func() error { return SampleRows(ws, i1, p0, rows, cols, u) }); err != nil {
			return err
		}
		for j := range i0 {
			if i0[j] != i1[j] {
				return fmt.Errorf("SampleRows rows=%d cols=%d: idx[%d]=%d, Go twin %d", rows, cols, j, i1[j], i0[j])
			}
		}
	}
	return nil
}
