package bench_test

import (
	"strings"
	"testing"

	"github.com/discretegrad/reinmax/bench"
)

// The benchmarks run the package's cases under testing.B, named like the
// cases without their group prefix, e.g.
// BenchmarkSgemm/enc1.fwd/100x512x784/avx2/t1. There are many: select with
// -bench and keep -benchtime small on a shared machine, for example
//
//	go test ./bench -run '^$' -bench 'Sgemm/.*fwd/.*/t1' -benchtime 200ms
//	go test ./bench -run '^$' -bench 'TrainStep/8x4/' -benchtime 100x
//
// The training steps read MNIST (vae.FindMNIST) and are skipped, with the
// reason, when it is not there.

func runCases(b *testing.B, cs []bench.Case, err error) {
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		b.Run(strings.TrimPrefix(c.Name, c.Group+"/"), c.Benchmark)
	}
}

func BenchmarkSgemm(b *testing.B) {
	cs, err := bench.SgemmCases(bench.Options{})
	runCases(b, cs, err)
}

func BenchmarkSgemmMNIST(b *testing.B) {
	cs, err := bench.SgemmMNISTCases(bench.Options{})
	runCases(b, cs, err)
}

func BenchmarkSoftmax(b *testing.B) {
	cs, err := bench.SoftmaxCases(bench.Options{})
	runCases(b, cs, err)
}

func BenchmarkNoise(b *testing.B) {
	cs, err := bench.NoiseCases(bench.Options{})
	runCases(b, cs, err)
}

func BenchmarkEstimators(b *testing.B) {
	cs, err := bench.EstimatorCases(bench.Options{})
	runCases(b, cs, err)
}

func BenchmarkTrainStep(b *testing.B) {
	cs, err := bench.TrainCases(bench.Options{})
	runCases(b, cs, err)
}
