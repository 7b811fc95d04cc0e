package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// Noise generators of NoiseCases.
const (
	NoisePCG      = "pcg"      // kernels.Exponentials over a rand.PCG stream
	NoiseXoshiro8 = "xoshiro8" // kernels.Xoshiro8.Exponentials
)

// NoiseCases returns, per configuration C×L, implementation
// (kernels.Available()) and generator, one case measured in draws/s: the
// Exp(1) draws of one backward of a K = 100 estimator (100·L rows × K × C
// values, drawn as one call per row as the estimators do), named
// "noise/CxL/<rows·K·C>/<impl>/<generator>/t1". The draws are
// single-threaded (one stream per row block), so only t1 exists, whatever
// Options.Threads holds. The Xoshiro8 case's baseline is the PCG case.
func NoiseCases(o Options) ([]Case, error) {
	o, err := o.withDefaults("NoiseCases")
	if err != nil {
		return nil, err
	}
	var cs []Case
	for _, sh := range o.shapes() {
		rows := Batch * sh.L
		n := rows * estimators.DefaultK * sh.C
		for _, impl := range kernels.Available() {
			prefix := fmt.Sprintf("%s/%s/%d/%s/", GroupNoise, sh, n, impl)
			for _, gen := range []string{NoisePCG, NoiseXoshiro8} {
				c := Case{
					Name: prefix + gen + "/t1", Group: GroupNoise, Impl: impl, Threads: 1,
					Work: float64(n), Unit: UnitDraws,
					setup: noiseSetup(gen, impl, rows, estimators.DefaultK*sh.C),
				}
				if gen != NoisePCG {
					c.Baseline = prefix + NoisePCG + "/t1"
				}
				cs = append(cs, c)
			}
		}
	}
	return cs, nil
}

// noiseSetup returns the timed draws: rows calls of perRow exponentials into
// one row buffer, the generator re-seeded per call of the operation.
func noiseSetup(gen, impl string, rows, perRow int) func() (func(int) error, func(), error) {
	return func() (func(int) error, func(), error) {
		restore, err := kernels.Use(impl)
		if err != nil {
			return nil, nil, err
		}
		buf := make([]float32, perRow)
		pcg := rand.NewPCG(0, 0)
		r := rand.New(pcg)
		var x kernels.Xoshiro8
		op := func(i int) error {
			if gen == NoisePCG {
				kernels.SeedStream(pcg, 1, uint64(i), 0)
				for range rows {
					kernels.Exponentials(r, buf)
				}
				return nil
			}
			x.Seed(1, uint64(i), 0)
			for range rows {
				x.Exponentials(buf)
			}
			return nil
		}
		return op, restore, nil
	}
}
