package diag

import (
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
)

// SeriesPoint is one method's metric after one epoch of training, over
// several training runs.
type SeriesPoint struct {
	Epoch  int
	Method estimators.Method
	// N runs measured the method at this epoch; Mean and SE (sample
	// standard deviation / √N, NaN when N < 2) summarise the metric.
	N        int
	Mean, SE float64
}

// Series gathers a metric (for example func(m *Metrics) float64 { return
// m.Cosine }) over reports of GradStat, one report per training run, each
// measuring that run's checkpoints: one point per (epoch, method), ordered
// by epoch, then by the methods' order in the reports. Failed measurements
// are left out of N. A model without an epoch (a fresh model) is an error.
func Series(reports []GradStatReport, metric func(*Metrics) float64) ([]SeriesPoint, error) {
	type key struct {
		epoch  int
		method estimators.Method
	}
	vals := map[key][]float64{}
	var keys []key
	for i, rep := range reports {
		for _, gm := range rep.Models {
			if gm.Epoch == nil {
				return nil, fmt.Errorf("diag.Series: report %d: model %q has no epoch: %w", i, gm.Checkpoint, errkind.Argument)
			}
			for _, r := range gm.Results {
				k := key{*gm.Epoch, r.Method}
				if _, ok := vals[k]; !ok {
					keys = append(keys, k)
					vals[k] = nil
				}
				if r.Metrics != nil {
					vals[k] = append(vals[k], metric(r.Metrics))
				}
			}
		}
	}
	slices.SortStableFunc(keys, func(a, b key) int { return a.epoch - b.epoch })
	out := make([]SeriesPoint, 0, len(keys))
	for _, k := range keys {
		p := SeriesPoint{Epoch: k.epoch, Method: k.method, N: len(vals[k]), Mean: math.NaN(), SE: math.NaN()}
		if p.N > 0 {
			sum := 0.0
			for _, v := range vals[k] {
				sum += v
			}
			p.Mean = sum / float64(p.N)
		}
		if p.N > 1 {
			ss := 0.0
			for _, v := range vals[k] {
				ss += (v - p.Mean) * (v - p.Mean)
			}
			p.SE = math.Sqrt(ss/float64(p.N-1)) / math.Sqrt(float64(p.N))
		}
		out = append(out, p)
	}
	return out, nil
}

//go:embed published_cosines.csv
var publishedCosinesCSV string

// PublishedCosines returns the published cosines to the exact gradient of
// the gradient-quality-over-training study (an 8×4 VAE trained with
// ReinMax, Adam, lr 5e-4, τ = 1; every method evaluated at τ = 1 on one
// batch of 100 training images with 512 draws; mean over 10 training
// seeds), by epoch and method: epochs 1, 5, 10, 20, 30, 50 for st, gs, gr,
// gst, reinmax and reinmax-rao.
func PublishedCosines() map[int]map[estimators.Method]float64 {
	cr := csv.NewReader(strings.NewReader(publishedCosinesCSV))
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil || len(rows) < 2 {
		panic(fmt.Sprintf("diag: the built-in published cosines: %v", err)) // a build defect, caught by the tests
	}
	out := map[int]map[estimators.Method]float64{}
	for _, row := range rows[1:] {
		e, err := strconv.Atoi(row[0])
		if err != nil {
			panic("diag: the built-in published cosines: " + err.Error())
		}
		out[e] = map[estimators.Method]float64{}
		for j, m := range rows[0][1:] {
			v, err := strconv.ParseFloat(row[j+1], 64)
			if err != nil {
				panic("diag: the built-in published cosines: " + err.Error())
			}
			out[e][estimators.Method(m)] = v
		}
	}
	return out
}

// ReadGradStatReports reads GradStat reports from JSON files (as the
// gradstat command's -json writes them), one per training run.
func ReadGradStatReports(paths []string) ([]GradStatReport, error) {
	reps := make([]GradStatReport, len(paths))
	for i, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &reps[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return reps, nil
}

// SeriesMethods returns the methods of points in their first-seen order.
func SeriesMethods(points []SeriesPoint) []estimators.Method {
	var out []estimators.Method
	for _, p := range points {
		if !slices.Contains(out, p.Method) {
			out = append(out, p.Method)
		}
	}
	return out
}

// WriteSeriesMarkdown writes points as a markdown table: a row per epoch,
// a column per method, each cell "mean ± se" (the mean alone for one run,
// – for none), followed by the published value in parentheses where
// published (nil: none) has one.
func WriteSeriesMarkdown(w io.Writer, points []SeriesPoint, published map[int]map[estimators.Method]float64) {
	methods := SeriesMethods(points)
	var epochs []int
	cell := map[int]map[estimators.Method]SeriesPoint{}
	for _, p := range points {
		if cell[p.Epoch] == nil {
			cell[p.Epoch] = map[estimators.Method]SeriesPoint{}
			epochs = append(epochs, p.Epoch)
		}
		cell[p.Epoch][p.Method] = p
	}
	fmt.Fprint(w, "| epoch |")
	for _, m := range methods {
		fmt.Fprintf(w, " %s |", m)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(methods)))
	for _, e := range epochs {
		fmt.Fprintf(w, "| %d |", e)
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
			if v, ok := published[e][m]; ok {
				s += fmt.Sprintf(" (%.3f)", v)
			}
			fmt.Fprintf(w, " %s |", s)
		}
		fmt.Fprintln(w)
	}
}
