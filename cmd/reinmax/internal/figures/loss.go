package figures

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/discretegrad/reinmax/experiment"
)

// LossCurve draws the train and test negative ELBO per epoch.
func LossCurve(title string, recs []experiment.EpochRecord) ([]byte, error) {
	p := newPlot(title)
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "negative ELBO (nats)"
	var train, test plotter.XYs
	for _, r := range recs {
		// A diverged epoch's NaN would make gonum refuse the whole plot;
		// the finite epochs still show how the run went.
		if finite(r.TrainLoss) {
			train = append(train, plotter.XY{X: float64(r.Epoch), Y: r.TrainLoss})
		}
		if finite(r.TestLoss) {
			test = append(test, plotter.XY{X: float64(r.Epoch), Y: r.TestLoss})
		}
	}
	for _, s := range []struct {
		name  string
		xy    plotter.XYs
		col   color.Color
		glyph draw.GlyphDrawer
	}{
		{"train", train, color.RGBA{R: 31, G: 119, B: 180, A: 255}, trainGlyph},
		{"test", test, color.RGBA{R: 214, G: 39, B: 40, A: 255}, testGlyph},
	} {
		if len(s.xy) == 0 {
			continue
		}
		l, pts, err := lineWithMarkers(s.xy, s.col, s.glyph, false)
		if err != nil {
			return nil, fmt.Errorf("loss curve: %w", err)
		}
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	integerAxis(&p.X)
	b, err := plotPNG(p, 6.5*vg.Inch, 4*vg.Inch)
	if err != nil {
		return nil, fmt.Errorf("loss curve: %w", err)
	}
	return b, nil
}
