package bench_test

import (
	"fmt"
	"regexp"
	"time"

	"github.com/discretegrad/reinmax/bench"
)

// ExampleKernels times one small product with the pure-Go kernels.
func ExampleKernels() {
	rs, err := bench.Kernels(bench.Options{
		Threads: []int{1},
		Quick:   true,
		MinTime: time.Millisecond,
		Samples: 1,
		Filter:  regexp.MustCompile(`^sgemm/dec1\.fwd/.*/generic/`),
	}, nil)
	if err != nil {
		panic(err)
	}
	for _, r := range rs {
		fmt.Println(r.Name, r.Unit, r.Metric > 0)
	}
	// Output: sgemm/dec1.fwd/100x256x32/generic/t1 GFLOP/s true
}
