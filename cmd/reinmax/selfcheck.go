package main

import (
	"fmt"
	"io"
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
		if err := kernels.SelfCheck(name, *rounds, *seed); err != nil {
			return fmt.Errorf("selfcheck of %s failed: %w", name, err)
		}
		fmt.Fprintf(stdout, "selfcheck %-8s ok: %d random shapes each of Sgemm, SoftmaxRows, SampleRows match the Go twins\n", name, *rounds)
	}
	fmt.Fprintf(stdout, "selfcheck passed in %.2fs\n", time.Since(start).Seconds())
	return nil
}
