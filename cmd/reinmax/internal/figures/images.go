package figures

import (
	"bytes"
	"image"
	"image/color"
	imgdraw "image/draw"
	"image/png"
	"math"

	"gonum.org/v1/plot"
	plotfont "gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/discretegrad/reinmax/vae"
)

// sampleGridLabels name the blocks of the sample command's grid, in order.
var sampleGridLabels = []string{"test images", "reconstructions", "prior samples"}

// SampleGrid lays out the sample command's blocks of 28×28 grey images
// (values in [0, 1]): each block as rows of perRow images, labelled by
// sampleGridLabels.
func SampleGrid(blocks [][]float32, perRow int) ([]byte, error) {
	return labelledGrid(blocks, sampleGridLabels, perRow)
}

// labelledGrid draws each block as rows of perRow images, scaled up
// (a 28-pixel digit is too small to judge a reconstruction by) on a white
// ground, with its label (labels[i], if any) left of its first row.
func labelledGrid(blocks [][]float32, labels []string, perRow int) ([]byte, error) {
	const (
		s        = vae.ImageRows
		scale    = 3
		cell     = s * scale
		gap      = 4  // between images
		blockGap = 12 // between blocks
		margin   = 10
		fontSize = 16
	)
	// The labels are set with gonum's text, in the plots' font: at 72 dpi a
	// point is a pixel.
	sty := text.Style{Color: color.Black, Font: plotfont.From(plot.DefaultFont, vg.Points(fontSize)),
		Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
	labelW := 0
	for _, l := range labels[:min(len(labels), len(blocks))] {
		labelW = max(labelW, int(math.Ceil(sty.Width(l).Points())))
	}
	if labelW > 0 {
		labelW += margin
	}
	blockRows := make([]int, len(blocks))
	height := 2*margin - gap
	for i, b := range blocks {
		blockRows[i] = max((len(b)/vae.ImagePixels+perRow-1)/perRow, 1)
		height += blockRows[i]*(cell+gap) + blockGap
	}
	height -= blockGap
	width := 2*margin + labelW + perRow*(cell+gap) - gap
	height = max(height, 2*margin)
	cv := vgimg.NewWith(vgimg.UseWH(vg.Length(width), vg.Length(height)), vgimg.UseDPI(72))
	dc := draw.New(cv)
	y0 := margin
	for bi := range blocks {
		if bi < len(labels) {
			// Centred on the block's first row; vg's y axis points up.
			dc.FillText(sty, vg.Point{X: margin, Y: vg.Length(height - y0 - cell/2)}, labels[bi])
		}
		y0 += blockRows[bi]*(cell+gap) + blockGap
	}
	img := image.NewGray(cv.Image().Bounds())
	imgdraw.Draw(img, img.Bounds(), cv.Image(), image.Point{}, imgdraw.Src)
	y0 = margin
	for bi, b := range blocks {
		x0 := margin + labelW
		for k := range len(b) / vae.ImagePixels {
			cx, cy := x0+(k%perRow)*(cell+gap), y0+(k/perRow)*(cell+gap)
			for y := range s {
				for x := range s {
					v := b[k*vae.ImagePixels+y*s+x]
					g := color.Gray{Y: uint8(min(max(v, 0), 1)*255 + 0.5)}
					for dy := range scale {
						for dx := range scale {
							img.SetGray(cx+x*scale+dx, cy+y*scale+dy, g)
						}
					}
				}
			}
		}
		y0 += blockRows[bi]*(cell+gap) + blockGap
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
