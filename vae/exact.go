package vae

import (
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
)

// exactChunk is the number of codes decoded at once by the exact path.
const exactChunk = 1024

// exactLogRows is the fixed number of codes per parallel piece of the log
// computation (each code's values are independent of the split).
const exactLogRows = 8

// exactPath computes, for the exact estimator, the loss of every code of
// every example, f[b·C^L + code] = BCE_b(code)/n (the exact path of
// docs/estimators.md), with the decoder run without gradient on all C^L
// codes in chunks.
type exactPath struct {
	codes, chunk int
	onehot       []float32 // chunk × L·C one-hot codes
	g1, g2, zl   []float32 // decoder activations of a chunk
	dm           []float32 // chunk × 784: max(log p,−100) − max(log(1−p),−100)
	s            []float32 // chunk: Σ_pixels max(log(1−p), −100)
	f            []float32 // Batch × C^L
	logs         exactLogTask
}

func newExactPath(cfg Config) *exactPath {
	codes, _ := CodeCount(cfg.C, cfg.L)
	ch := min(codes, exactChunk)
	return &exactPath{
		codes: codes, chunk: ch,
		onehot: make([]float32, ch*cfg.L*cfg.C),
		g1:     make([]float32, ch*Hidden2), g2: make([]float32, ch*Hidden1), zl: make([]float32, ch*ImagePixels),
		dm: make([]float32, ch*ImagePixels), s: make([]float32, ch),
		f: make([]float32, cfg.Batch*codes),
	}
}

type exactLogTask struct {
	zl, dm, s []float32
	rows      int
}

// RunTask computes the clamped logs of the codes of piece i.
func (t *exactLogTask) RunTask(i int) {
	for r := i * exactLogRows; r < min((i+1)*exactLogRows, t.rows); r++ {
		z := t.zl[r*ImagePixels : (r+1)*ImagePixels]
		d := t.dm[r*ImagePixels : (r+1)*ImagePixels]
		var s float64
		for j, v := range z {
			lp, l1p := nn.SigmoidLogs(v)
			d[j] = float32(lp - l1p)
			s += l1p
		}
		t.s[r] = float32(s)
	}
}

// codeLoss fills and returns f[:n·C^L] for the batch x (n images). With
// lp, l1p the clamped logs of the decoded probabilities of a code,
// BCE_b(code) = −Σ_pixels [x·lp + (1−x)·l1p] = −(x·(lp − l1p) + Σ l1p), so a
// chunk of codes costs one GEMM against the batch.
func (e *exactPath) codeLoss(m *Model, ws *kernels.Workspace, x []float32, n int) ([]float32, error) {
	l, c := m.L, m.C
	lc := l * c
	inv := float32(1 / float64(n))
	for c0 := 0; c0 < e.codes; c0 += e.chunk {
		k := min(e.chunk, e.codes-c0)
		oh := e.onehot[:k*lc]
		clear(oh)
		for j := range k {
			// Digits of the code, first latent most significant.
			code := c0 + j
			for li := l - 1; li >= 0; li-- {
				oh[j*lc+li*c+code%c] = 1
				code /= c
			}
		}
		if err := m.decode(ws, oh, e.g1, e.g2, e.zl, k); err != nil {
			return nil, err
		}
		e.logs = exactLogTask{zl: e.zl, dm: e.dm, s: e.s, rows: k}
		ws.Parallel((k+exactLogRows-1)/exactLogRows, &e.logs)
		e.logs = exactLogTask{}
		// f[b, c0+j] = −(x_b · dm_j)/n − s_j/n, a B×k block of the B×C^L matrix.
		fc := e.f[c0:]
		if err := kernels.Sgemm(ws, false, true, n, k, ImagePixels, -inv, x, ImagePixels, e.dm, ImagePixels, 0, fc, e.codes); err != nil {
			return nil, err
		}
		for b := range n {
			row := fc[b*e.codes : b*e.codes+k]
			for j := range row {
				row[j] -= e.s[j] * inv
			}
		}
	}
	return e.f[:n*e.codes], nil
}
