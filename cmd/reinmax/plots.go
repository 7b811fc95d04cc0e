package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/vae"
)

// lossCurvePNG draws the train and test negative ELBO per epoch.
func lossCurvePNG(title string, recs []experiment.EpochRecord) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "negative ELBO (nats)"
	train := make(plotter.XYs, len(recs))
	test := make(plotter.XYs, len(recs))
	for i, r := range recs {
		train[i] = plotter.XY{X: float64(r.Epoch), Y: r.TrainLoss}
		test[i] = plotter.XY{X: float64(r.Epoch), Y: r.TestLoss}
	}
	for i, series := range []struct {
		name string
		xy   plotter.XYs
	}{{"train", train}, {"test", test}} {
		l, err := plotter.NewLine(series.xy)
		if err != nil {
			return nil, fmt.Errorf("loss curve: %w", err)
		}
		l.Color = []color.Color{color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 214, G: 39, B: 40, A: 255}}[i]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(series.name, l)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	w, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, fmt.Errorf("loss curve: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("loss curve: %w", err)
	}
	return buf.Bytes(), nil
}

// imageGridPNG lays out blocks of 28×28 grey images (values in [0, 1]),
// each block as one row of perRow images, with a 2-pixel gap.
func imageGridPNG(blocks [][]float32, perRow int) ([]byte, error) {
	const s, gap = vae.ImageRows, 2
	rows := 0
	for _, b := range blocks {
		rows += (len(b)/vae.ImagePixels + perRow - 1) / perRow
	}
	img := image.NewGray(image.Rect(0, 0, perRow*(s+gap)+gap, rows*(s+gap)+gap))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	row := 0
	for _, b := range blocks {
		n := len(b) / vae.ImagePixels
		for k := range n {
			x0, y0 := gap+(k%perRow)*(s+gap), gap+(row+k/perRow)*(s+gap)
			for y := range s {
				for x := range s {
					v := b[k*vae.ImagePixels+y*s+x]
					img.SetGray(x0+x, y0+y, color.Gray{Y: uint8(min(max(v, 0), 1)*255 + 0.5)})
				}
			}
		}
		row += (n + perRow - 1) / perRow
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
