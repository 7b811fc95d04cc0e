package experiment

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/discretegrad/reinmax/estimators"
)

// Published is one published result: the final negative ELBO of a method
// at C×L, mean and standard error over Seeds seeds.
type Published struct {
	Method      estimators.Method
	C, L        int
	Seeds       int
	Train, Test MeanSE
}

//go:embed published.csv
var publishedCSV string

// PublishedResults returns the 160-epoch results published with the paper
// (the authors' research repository: baseline hyper-parameters, and
// ReinMax-Rao's best setting), for st, gs, gr, gst, reinmax and
// reinmax-rao at 8×4, 4×24, 8×16, 16×12, 64×8 and 10×30.
func PublishedResults() []Published {
	ps, err := ReadPublished(strings.NewReader(publishedCSV))
	if err != nil {
		panic("experiment: the built-in published results: " + err.Error()) // a build defect, caught by the tests
	}
	return ps
}

// ReadPublished reads published results as CSV with the header
// method,C,L,seeds,train_mean,train_se,test_mean,test_se; lines starting
// with # are comments. Errors name the line and the field.
func ReadPublished(r io.Reader) ([]Published, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 8
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("published results: %w", err)
	}
	want := []string{"method", "C", "L", "seeds", "train_mean", "train_se", "test_mean", "test_se"}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("published results: the header must be %s", strings.Join(want, ","))
	}
	var out []Published
	for i, row := range rows[1:] {
		bad := func(field string) error {
			return fmt.Errorf("published results: row %d: %s=%q is not valid", i+1, field, row[slicesIndex(want, field)])
		}
		p := Published{Method: estimators.Method(row[0])}
		var ok bool
		if p.C, ok = positiveInt(row[1]); !ok {
			return nil, bad("C")
		}
		if p.L, ok = positiveInt(row[2]); !ok {
			return nil, bad("L")
		}
		if p.Seeds, ok = positiveInt(row[3]); !ok {
			return nil, bad("seeds")
		}
		vals := make([]float64, 4)
		for k, field := range want[4:] {
			v, err := strconv.ParseFloat(row[4+k], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || (strings.HasSuffix(field, "_se") && v < 0) {
				return nil, bad(field)
			}
			vals[k] = v
		}
		p.Train = MeanSE{N: p.Seeds, Mean: vals[0], SE: vals[1]}
		p.Test = MeanSE{N: p.Seeds, Mean: vals[2], SE: vals[3]}
		out = append(out, p)
	}
	return out, nil
}

func positiveInt(s string) (int, bool) {
	v, err := strconv.Atoi(s)
	return v, err == nil && v > 0
}

func slicesIndex(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return 0
}

// findPublished returns the result of method at C×L, nil when there is none.
func findPublished(ps []Published, method estimators.Method, c, l int) *Published {
	for i := range ps {
		if ps[i].Method == method && ps[i].C == c && ps[i].L == l {
			return &ps[i]
		}
	}
	return nil
}

// zScore is (a − b) in units of the combined standard error
// √(se_a² + se_b²); NaN when either standard error is unknown or both are 0.
func zScore(a, b MeanSE) float64 {
	se := math.Hypot(a.SE, b.SE)
	if math.IsNaN(se) || se == 0 {
		return math.NaN()
	}
	return (a.Mean - b.Mean) / se
}

// spreadScore is (a − b) in units of b's sample standard deviation
// se_b·√n_b: how far a mean of ours lies from a published mean in units of
// the published seed-to-seed spread, defined with a single seed of ours,
// where zScore is not. NaN when b has no spread.
func spreadScore(a, b MeanSE) float64 {
	sd := b.SE * math.Sqrt(float64(b.N))
	if math.IsNaN(sd) || sd == 0 {
		return math.NaN()
	}
	return (a.Mean - b.Mean) / sd
}

// lessNaNLast is a < b with NaN above every number.
func lessNaNLast(a, b float64) bool {
	switch {
	case math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	}
	return a < b
}
