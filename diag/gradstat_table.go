package diag

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable writes the report as text: per model a header line (Label) and
// a table with a row per method (the metrics, or the error of a failed
// measurement).
func (r *GradStatReport) WriteTable(w io.Writer) error {
	for i := range r.Models {
		gm := &r.Models[i]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "# %s: %d examples, S=%d draws, exact gradient in %.1fs\n", gm.Label(), r.Examples, r.Samples, gm.ExactSeconds)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "method\ttau\trel_bias\trel_bias_est\trel_std\tcos\tnorm\texact_norm\tmean_var\tseconds\t")
		for _, res := range gm.Results {
			if res.Metrics == nil {
				fmt.Fprintf(tw, "%s\t%g\terror: %s\t\t\t\t\t\t\t%.1f\t\n", res.Method, res.Estimator.Tau, res.Error, res.Seconds)
				continue
			}
			m := res.Metrics
			fmt.Fprintf(tw, "%s\t%g\t%.4f\t%.4f\t%.4f\t%.4f\t%.4g\t%.4g\t%.4g\t%.1f\t\n", res.Method, res.Estimator.Tau,
				m.RelBiasExact, m.RelBiasEstimate, m.RelStd, m.Cosine, m.MeanNorm, m.ExactNorm, m.MeanVar, res.Seconds)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// Label names the model: "fresh 8×4 model, init seed 1", or the checkpoint
// with its configuration, the method it was trained with, its epoch and step.
func (m *GradStatModel) Label() string {
	if m.Checkpoint == "" {
		seed := "?"
		if m.InitSeed != nil {
			seed = fmt.Sprint(*m.InitSeed)
		}
		return fmt.Sprintf("fresh %d×%d model, init seed %s", m.C, m.L, seed)
	}
	s := fmt.Sprintf("%s (%d×%d, trained with %s", m.Checkpoint, m.C, m.L, m.TrainedWith)
	if m.Epoch != nil && m.Step != nil {
		s += fmt.Sprintf(", epoch %d, step %d", *m.Epoch, *m.Step)
	}
	return s + ")"
}
