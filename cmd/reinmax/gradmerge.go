package main

import (
	"fmt"
	"io"

	"github.com/discretegrad/reinmax/cmd/reinmax/internal/figures"
	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/internal/atomicfile"
)

// mergeGradstat reads gradstat JSON reports, one per training run, and
// prints, per epoch and method, the mean cosine to the exact gradient over
// the runs (± standard error) beside the published cosine where there is
// one, as a markdown table; with png set it also draws the curves there.
func mergeGradstat(paths []string, png string, stdout io.Writer) error {
	reps, err := diag.ReadGradStatReports(paths)
	if err != nil {
		return err
	}
	pts, err := diag.Series(reps, func(m *diag.Metrics) float64 { return m.Cosine })
	if err != nil {
		return err
	}
	pub := diag.PublishedCosines()
	fmt.Fprintf(stdout, "Cosine to the exact gradient, mean ± standard error over %d training runs "+
		"(published mean over 10 seeds in parentheses)\n\n", len(reps))
	diag.WriteSeriesMarkdown(stdout, pts, pub)
	if png == "" {
		return nil
	}
	img, err := figures.CosineSeries(len(reps), pts, pub)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(png, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", png)
	return nil
}
