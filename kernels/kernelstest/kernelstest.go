// Package kernelstest helps the tests of packages built on kernels run once
// per kernel implementation available on the machine.
package kernelstest

import (
	"testing"

	"github.com/discretegrad/reinmax/kernels"
)

// ForEachImpl runs f as a subtest named after each implementation in
// kernels.Available() (best first, "generic" last), with that
// implementation made active by kernels.Use for the duration of the
// subtest. The subtests run one after another, never in parallel, because
// Use is process-wide; the previously active implementation is restored
// afterwards, also when f fails. The calling test must not be parallel with
// other tests that depend on the active implementation.
func ForEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, name := range kernels.Available() {
		t.Run(name, func(t *testing.T) {
			restore, err := kernels.Use(name)
			if err != nil {
				t.Fatalf("kernels.Use(%q): %v", name, err)
			}
			defer restore()
			f(t)
		})
	}
}
