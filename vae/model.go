package vae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
)

// Hidden layer widths of the encoder (784→Hidden1→Hidden2→L·C) and the
// decoder (L·C→Hidden2→Hidden1→784).
const (
	Hidden1 = 512
	Hidden2 = 256
)

// Model is the categorical VAE of the comparison: encoder 784→512→256→L·C
// (activation after the two hidden layers, none on the logits) and decoder
// L·C→256→512→784 (activation after the hidden layers, sigmoid on the
// output). All parameters live in Params; the tensor names are PyTorch's
// state_dict names (encoder.fc1.weight, …, decoder.fc3.bias).
type Model struct {
	C, L   int
	Act    nn.Activation
	Params *nn.Params
	// Encoder and decoder layers, in order.
	Enc1, Enc2, Enc3, Dec1, Dec2, Dec3 *nn.Linear
}

// NewModel allocates a model with C categories (>= 2) and L latents (>= 1)
// and zero parameters; call Init (or load weights) before use.
func NewModel(c, l int, act nn.Activation) (*Model, error) {
	if c < 2 || l < 1 {
		return nil, fmt.Errorf("vae.NewModel: C=%d L=%d, need C >= 2 and L >= 1: %w", c, l, errkind.Argument)
	}
	m := &Model{C: c, L: l, Act: act, Params: &nn.Params{}}
	lc := l * c
	for _, s := range []struct {
		dst     **nn.Linear
		name    string
		in, out int
	}{
		{&m.Enc1, "encoder.fc1", ImagePixels, Hidden1},
		{&m.Enc2, "encoder.fc2", Hidden1, Hidden2},
		{&m.Enc3, "encoder.fc3", Hidden2, lc},
		{&m.Dec1, "decoder.fc1", lc, Hidden2},
		{&m.Dec2, "decoder.fc2", Hidden2, Hidden1},
		{&m.Dec3, "decoder.fc3", Hidden1, ImagePixels},
	} {
		lin, err := nn.NewLinear(m.Params, s.name, s.in, s.out)
		if err != nil {
			return nil, fmt.Errorf("vae.NewModel: %w", err)
		}
		*s.dst = lin
	}
	// The images are 81% zeros; the first layer skips their products.
	m.Enc1.SparseInput = true
	if err := m.Params.Alloc(); err != nil {
		return nil, fmt.Errorf("vae.NewModel: %w", err)
	}
	return m, nil
}

// Layers returns the six layers, encoder first.
func (m *Model) Layers() []*nn.Linear {
	return []*nn.Linear{m.Enc1, m.Enc2, m.Enc3, m.Dec1, m.Dec2, m.Dec3}
}

// Clone returns a model with a copy of m's parameters (gradients zero), for
// work that must not share m's gradient buffers, such as GradProbes on
// several goroutines.
func (m *Model) Clone() (*Model, error) {
	c, err := NewModel(m.C, m.L, m.Act)
	if err != nil {
		return nil, err
	}
	copy(c.Params.Data, m.Params.Data)
	return c, nil
}

// Init draws every parameter with PyTorch's default initialisation
// (nn.Linear.Init) from one generator seeded on the stream (seed, init):
// layers in the order of Layers, each weight then bias.
func (m *Model) Init(seed uint64) error {
	pcg := &rand.PCG{}
	kernels.SeedStream(pcg, seed, streamInit, 0)
	r := rand.New(pcg)
	for _, l := range m.Layers() {
		if err := l.Init(r); err != nil {
			return fmt.Errorf("vae.Model.Init: %w", err)
		}
	}
	return nil
}

// encode runs the encoder on n images x (n×784) into h1 (n×512), h2
// (n×256) and logits (n×L·C); h1 and h2 hold the activated values.
func (m *Model) encode(ws *kernels.Workspace, x, h1, h2, logits []float32, n int) error {
	if err := m.Enc1.Forward(ws, h1, x, n); err != nil {
		return err
	}
	if err := m.Act.Forward(h1[:n*Hidden1], h1[:n*Hidden1]); err != nil {
		return err
	}
	if err := m.Enc2.Forward(ws, h2, h1, n); err != nil {
		return err
	}
	if err := m.Act.Forward(h2[:n*Hidden2], h2[:n*Hidden2]); err != nil {
		return err
	}
	return m.Enc3.Forward(ws, logits, h2, n)
}

// decode runs the decoder on n codes z (n×L·C) into g1 (n×256), g2 (n×512)
// and the output logits out (n×784, before the sigmoid).
func (m *Model) decode(ws *kernels.Workspace, z, g1, g2, out []float32, n int) error {
	if err := m.Dec1.Forward(ws, g1, z, n); err != nil {
		return err
	}
	if err := m.Act.Forward(g1[:n*Hidden2], g1[:n*Hidden2]); err != nil {
		return err
	}
	if err := m.Dec2.Forward(ws, g2, g1, n); err != nil {
		return err
	}
	if err := m.Act.Forward(g2[:n*Hidden1], g2[:n*Hidden1]); err != nil {
		return err
	}
	return m.Dec3.Forward(ws, out, g2, n)
}

// Encode writes the encoder logits of n images x (n×784) into logits
// (n×L·C; row b, latent l, category c at b·L·C + l·C + c). It allocates its
// scratch, so it is meant for sampling and inspection, not the training loop.
func (m *Model) Encode(ws *kernels.Workspace, logits, x []float32, n int) error {
	if err := m.checkIO("Encode", "x", len(x), ImagePixels, "logits", len(logits), m.L*m.C, n); err != nil {
		return err
	}
	if err := m.encode(ws, x, make([]float32, n*Hidden1), make([]float32, n*Hidden2), logits, n); err != nil {
		return fmt.Errorf("vae.Model.Encode: %w", err)
	}
	return nil
}

// Decode writes the decoder's pixel probabilities sigmoid(decoder(z)) for n
// codes z (n×L·C, normally L one-hot blocks) into probs (n×784). It
// allocates its scratch.
func (m *Model) Decode(ws *kernels.Workspace, probs, z []float32, n int) error {
	if err := m.checkIO("Decode", "z", len(z), m.L*m.C, "probs", len(probs), ImagePixels, n); err != nil {
		return err
	}
	if err := m.decode(ws, z, make([]float32, n*Hidden2), make([]float32, n*Hidden1), probs, n); err != nil {
		return fmt.Errorf("vae.Model.Decode: %w", err)
	}
	for i, v := range probs[:n*ImagePixels] {
		probs[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
	return nil
}

// Reconstruct encodes n images x (n×784), draws one code per image,
// z_l ~ Cat(softmax(logits_l)) by inverse CDF with uniforms from the
// streams (seed, stream, row block), and writes the decoded probabilities
// into probs (n×784). It allocates its scratch.
func (m *Model) Reconstruct(ws *kernels.Workspace, probs, x []float32, n int, seed, stream uint64) error {
	if err := m.checkIO("Reconstruct", "x", len(x), ImagePixels, "probs", len(probs), ImagePixels, n); err != nil {
		return err
	}
	lc := m.L * m.C
	logits := make([]float32, n*lc)
	if err := m.Encode(ws, logits, x, n); err != nil {
		return err
	}
	if err := kernels.SoftmaxRows(ws, logits, logits, n*m.L, m.C, 1, nil); err != nil {
		return fmt.Errorf("vae.Model.Reconstruct: %w", err)
	}
	z, err := m.sampleCodes(ws, logits, n, seed, stream)
	if err != nil {
		return fmt.Errorf("vae.Model.Reconstruct: %w", err)
	}
	return m.Decode(ws, probs, z, n)
}

// SamplePrior draws n codes from the uniform prior (each latent's category
// uniform, from the streams (seed, stream, row block)) and writes their
// decoded probabilities into probs (n×784). It allocates its scratch.
func (m *Model) SamplePrior(ws *kernels.Workspace, probs []float32, n int, seed, stream uint64) error {
	if err := m.checkIO("SamplePrior", "probs", len(probs), ImagePixels, "probs", len(probs), ImagePixels, n); err != nil {
		return err
	}
	p := make([]float32, n*m.L*m.C)
	for i := range p {
		p[i] = 1
	}
	z, err := m.sampleCodes(ws, p, n, seed, stream)
	if err != nil {
		return fmt.Errorf("vae.Model.SamplePrior: %w", err)
	}
	return m.Decode(ws, probs, z, n)
}

// sampleCodes draws one category per row of the (n·L)×C probabilities p and
// returns the one-hot codes (n×L·C).
func (m *Model) sampleCodes(ws *kernels.Workspace, p []float32, n int, seed, stream uint64) ([]float32, error) {
	rows := n * m.L
	u := make([]float32, rows)
	pcg := &rand.PCG{}
	r := rand.New(pcg)
	for b := 0; b*kernels.RowBlock < rows; b++ {
		kernels.SeedStream(pcg, seed, stream, uint64(b))
		kernels.Uniforms(r, u[b*kernels.RowBlock:min((b+1)*kernels.RowBlock, rows)])
	}
	idx := make([]int32, rows)
	if err := kernels.SampleRows(ws, idx, p, rows, m.C, u); err != nil {
		return nil, err
	}
	z := make([]float32, rows*m.C)
	for r, k := range idx {
		z[r*m.C+int(k)] = 1
	}
	return z, nil
}

func (m *Model) checkIO(fn, in string, inLen, inCols int, out string, outLen, outCols, n int) error {
	if n < 1 {
		return fmt.Errorf("vae.Model.%s: n=%d, need >= 1: %w", fn, n, errkind.Shape)
	}
	if inLen < n*inCols || outLen < n*outCols {
		return fmt.Errorf("vae.Model.%s: len(%s)=%d len(%s)=%d, need %d and %d for n=%d: %w",
			fn, in, inLen, out, outLen, n*inCols, n*outCols, n, errkind.Shape)
	}
	return nil
}
