package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/discretegrad/reinmax/cmd/reinmax/internal/figures"
	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/internal/atomicfile"
)

// mergeGradstat reads gradstat JSON reports, one per training run, and
// prints, per epoch and method, the mean cosine to the exact gradient over
// the runs (± standard error, n) beside the published cosine where there is
// one, as a markdown table; with png set it also draws the curves there.
func mergeGradstat(paths []string, png string, stdout io.Writer) error {
	var reps []diag.GradStatReport
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var r diag.GradStatReport
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		reps = append(reps, r)
	}
	pts, err := diag.Series(reps, func(m *diag.Metrics) float64 { return m.Cosine })
	if err != nil {
		return err
	}
	var methods []estimators.Method
	var epochs []int
	cell := map[int]map[estimators.Method]diag.SeriesPoint{}
	for _, p := range pts {
		if cell[p.Epoch] == nil {
			cell[p.Epoch] = map[estimators.Method]diag.SeriesPoint{}
			epochs = append(epochs, p.Epoch)
		}
		cell[p.Epoch][p.Method] = p
		if !slices.Contains(methods, p.Method) {
			methods = append(methods, p.Method)
		}
	}
	pub := diag.PublishedCosines()
	fmt.Fprintf(stdout, "Cosine to the exact gradient, mean ± standard error over %d training runs "+
		"(published mean over 10 seeds in parentheses)\n\n| epoch |", len(reps))
	for _, m := range methods {
		fmt.Fprintf(stdout, " %s |", m)
	}
	fmt.Fprint(stdout, "\n|---|")
	for range methods {
		fmt.Fprint(stdout, "---|")
	}
	fmt.Fprintln(stdout)
	for _, e := range epochs {
		fmt.Fprintf(stdout, "| %d |", e)
		for _, m := range methods {
			p, ok := cell[e][m]
			s := "–"
			switch {
			case !ok || p.N == 0:
			case math.IsNaN(p.SE):
				s = fmt.Sprintf("%.3f", p.Mean)
			default:
				s = fmt.Sprintf("%.3f ± %.3f", p.Mean, p.SE)
			}
			if v, ok := pub[e][m]; ok {
				s += fmt.Sprintf(" (%.3f)", v)
			}
			fmt.Fprintf(stdout, " %s |", s)
		}
		fmt.Fprintln(stdout)
	}
	if png == "" {
		return nil
	}
	img, err := figures.CosineSeries(len(reps), methods, pts, pub)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(png, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", png)
	return nil
}
