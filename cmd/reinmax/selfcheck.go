package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/discretegrad/reinmax/kernels"
)

// runSelfcheck compares every available kernel implementation with the
// pure-Go twins on random shapes, so a user can tell at once whether the
// assembly path is healthy on their CPU.
func runSelfcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("selfcheck", "[--rounds N] [--seed S]", stderr)
	rounds := fs.Int("rounds", 200, "random shapes per kernel")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rounds < 1 {
		return usageErr(fs, "--rounds=%d must be >= 1", *rounds)
	}
	if err := runVersion(nil, stdout, stderr); err != nil {
		return err
	}
	start := time.Now()
	for _, name := range kernels.Available() {
		if err := selfcheckImpl(name, *rounds, *seed); err != nil {
			return fmt.Errorf("selfcheck of %s failed: %w", name, err)
		}
		fmt.Fprintf(stdout, "selfcheck %-8s ok: %d random shapes each of Sgemm, SoftmaxRows, SampleRows match the Go twins\n", name, *rounds)
	}
	fmt.Fprintf(stdout, "selfcheck passed in %.2fs\n", time.Since(start).Seconds())
	return nil
}

// runWith runs f with the named implementation active.
func runWith(name string, f func() error) error {
	restore, err := kernels.Use(name)
	if err != nil {
		return err
	}
	defer restore()
	return f()
}

func selfcheckImpl(name string, rounds int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 7))
	ws := kernels.NewWorkspace(2)
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
			return kernels.Sgemm(ws, tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, c0, max(n, 1))
		}); err != nil {
			return err
		}
		if err := runWith(name, func() error {
			return kernels.Sgemm(ws, tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, c1, max(n, 1))
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
		if err := runWith("generic", func() error { return kernels.SoftmaxRows(ws, p0, src, rows, cols, 0.7, nil) }); err != nil {
			return err
		}
		if err := runWith(name, func() error { return kernels.SoftmaxRows(ws, p1, src, rows, cols, 0.7, nil) }); err != nil {
			return err
		}
		for j := range p0 {
			if d := math.Abs(float64(p0[j] - p1[j])); !(d <= 1e-6+1e-5*float64(p0[j])) {
				return fmt.Errorf("SoftmaxRows rows=%d cols=%d: p[%d]=%g, Go twin %g", rows, cols, j, p1[j], p0[j])
			}
		}

		u := make([]float32, rows)
		kernels.Uniforms(r, u)
		i0, i1 := make([]int32, rows), make([]int32, rows)
		if err := runWith("generic", func() error { return kernels.SampleRows(ws, i0, p0, rows, cols, u) }); err != nil {
			return err
		}
		if err := runWith(name, func() error { return kernels.SampleRows(ws, i1, p0, rows, cols, u) }); err != nil {
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
