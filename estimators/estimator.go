package estimators

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
)

// Estimator is one configured gradient estimator with every buffer it needs
// for up to maxRows rows of cols categories: a copy of the last sample
// (logits, π, sampled indices, forward Gumbel noise), the temperature
// softmaxes and the [rows·K, cols] matrix of conditional-Gumbel repeats, one
// PCG per row block, and the per-row losses of reinforce and exact.
//
// An Estimator serves one goroutine at a time. After one warm-up
// Forward+Backward, further calls allocate nothing.
type Estimator struct {
	cfg     Config
	m       method
	maxRows int
	cols    int
	k       int     // repeats (1 for methods without them, so buffers stay small)
	tau     float32 // Config.Tau
	tau2    float32 // Config.Tau2 (reinmax-cv)
	eta     float32 // Config.Eta (reinmax-cv)
	w       float32 // 1/(2·Alpha) (reinmax-alpha)
	gap     float32 // Config.Gap (gst)
	gumbelA bool    // reinmax-cv noise mode "gumbel"

	// The last sample (set by Forward or BackwardWithNoise).
	rows   int
	valid  bool
	maxAbs float32   // largest |θ| over finite logits, for the overflow check of θ/τ
	theta  []float32 // [maxRows·cols] copy of the logits
	pi     []float32 // [maxRows·cols] softmax(θ)
	idx    []int32   // [maxRows] sampled category
	gum    []float32 // [maxRows·cols] forward Gumbel noise G (gs, reinmax-cv)
	u      []float32 // [maxRows] forward uniforms (inverse-CDF draw)

	// Backward scratch.
	soft  []float32   // [maxRows·cols] p_τ, y = softmax((θ+G)/τ) or p̂, by method
	soft2 []float32   // [maxRows·cols] reinmax-cv: softmax(log s + A)
	pk    []float32   // [maxRows·K·cols] Exp(1) noise, then perturbed logits, then their softmaxes
	scr   [][]float32 // per row block: 4·cols floats of row scratch
	// Per row block: a one-thread workspace for the per-row SoftmaxRows
	// calls of the repeat methods (its own scratch, so no pool and no
	// allocation in steady state).
	blockWS []*kernels.Workspace
	zero    []float32 // cols zeros, standing in for a nil g

	// Per-row losses (reinforce) and per-code losses (exact); both are
	// invalidated by Forward.
	rowLoss   []float32
	rowLossN  int
	rowLossOK bool
	code      exactState

	pcgs  []*rand.PCG
	rngs  []*rand.Rand
	noise []kernels.Xoshiro8 // per row block: the repeat methods' backward noise
	errs  []error            // per parallel piece
	bmax  []float32          // per row block: largest |θ| over its finite logits

	task blockTask

	// Arguments of the running call, read by the tasks.
	src          []float32 // the logits being loaded
	seed, stream uint64
	noiseGiven   bool
	g, gp, grad  []float32
}

// backwardStreamTag marks the backward's noise streams: backward block b
// draws from a kernels.Xoshiro8 seeded with (seed, stream,
// b|backwardStreamTag), the forward from kernels.SeedStream(seed, stream,
// b), so the two hashes never coincide.
const backwardStreamTag = 1 << 63

// maxLogit bounds |θ|: larger finite logits are rejected, so θ + G, θ/τ and
// log-space sums stay finite in float32.
const maxLogit = 1e30

// maxElements bounds maxRows·K·cols, the size of the repeat matrix.
const maxElements = 1 << 30

// CheckSize reports whether an estimator of cfg (valid) for maxRows rows of
// cols categories stays within the size New accepts: the repeat matrix of
// gr, reinmax-rao, reinmax-rao-d and reinmax-cv holds maxRows·K·cols
// float32, at most 2^30. It lets a caller refuse a configuration before
// any work starts.
func CheckSize(cfg Config, maxRows, cols int) error {
	cfg = cfg.WithDefaults()
	k := 1
	if m, ok := parseMethod(cfg.Method); ok && m.repeats() {
		k = cfg.K
	}
	if n := float64(maxRows) * float64(k) * float64(cols); n > maxElements {
		return fmt.Errorf("%d rows × K=%d × %d categories need %g floats, more than %d: %w",
			maxRows, k, cols, n, maxElements, errkind.Shape)
	}
	return nil
}

// New validates cfg.WithDefaults() and allocates an estimator for up to
// maxRows rows (>= 1) of cols categories (>= 2). The repeat matrix of gr,
// reinmax-rao, reinmax-rao-d and reinmax-cv takes maxRows·K·cols float32.
// Errors wrap errkind.Shape for bad sizes and Validate's errors for cfg.
func New(cfg Config, maxRows, cols int) (*Estimator, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("estimators.New: %w", err)
	}
	if maxRows < 1 {
		return nil, fmt.Errorf("estimators.New: maxRows=%d, need >= 1: %w", maxRows, errkind.Shape)
	}
	if cols < 2 {
		return nil, fmt.Errorf("estimators.New: cols=%d, need >= 2 categories: %w", cols, errkind.Shape)
	}
	if err := CheckSize(cfg, maxRows, cols); err != nil {
		return nil, fmt.Errorf("estimators.New: %w", err)
	}
	m, _ := parseMethod(cfg.Method)
	k := 1
	if m.repeats() {
		k = cfg.K
	}
	e := &Estimator{
		cfg: cfg, m: m, maxRows: maxRows, cols: cols, k: k,
		tau: float32(cfg.Tau), tau2: float32(cfg.Tau2), eta: float32(cfg.Eta),
		w: float32(1 / (2 * cfg.Alpha)), gap: float32(cfg.Gap), gumbelA: cfg.Noise == NoiseGumbel,
	}
	n := maxRows * cols
	e.theta = make([]float32, n)
	e.pi = make([]float32, n)
	e.idx = make([]int32, maxRows)
	e.u = make([]float32, maxRows)
	e.zero = make([]float32, cols)
	if m.gumbelForward() {
		e.gum = make([]float32, n)
	}
	switch m {
	case mST, mGS, mGST, mReinMax, mReinMaxAlpha, mReinMaxCV:
		e.soft = make([]float32, n)
	}
	if m == mReinMaxCV {
		e.soft2 = make([]float32, n)
	}
	if m.repeats() {
		e.pk = make([]float32, n*k)
	}
	if m == mReinforce {
		e.rowLoss = make([]float32, maxRows)
	}
	nb := numBlocks(maxRows)
	// Per block: 4 rows of cols, then, for the repeat methods,
	// CondGumbelAvgJTau's scratch.
	scratchRows := 4
	if m.repeats() {
		scratchRows += kernels.CondGumbelAvgJTauScratch
	}
	e.scr = make([][]float32, nb)
	e.pcgs = make([]*rand.PCG, nb)
	e.rngs = make([]*rand.Rand, nb)
	for b := range nb {
		e.scr[b] = make([]float32, scratchRows*cols)
		e.pcgs[b] = rand.NewPCG(0, 0)
		e.rngs[b] = rand.New(e.pcgs[b])
	}
	if m.repeats() {
		e.noise = make([]kernels.Xoshiro8, nb)
		e.blockWS = make([]*kernels.Workspace, nb)
		for b := range nb {
			e.blockWS[b] = kernels.NewWorkspace(1)
		}
	}
	e.errs = make([]error, nb)
	e.bmax = make([]float32, nb)
	e.task.e = e
	return e, nil
}

// Config returns the estimator's configuration with defaults filled.
func (e *Estimator) Config() Config { return e.cfg }

// Index returns the sampled category of each row of the last Forward (or
// BackwardWithNoise), len rows. The slice aliases internal storage: it is
// valid until the next Forward and must not be modified.
func (e *Estimator) Index() []int32 {
	if !e.valid {
		return nil
	}
	return e.idx[:e.rows]
}

// Forward draws the one-hot sample D for rows = len(logits)/cols rows
// (at most maxRows) and writes d (one-hot, len rows·cols) and
// pi = softmax(logits) (len rows·cols). gs and reinmax-cv draw
// D = onehot(argmax(θ + G)) with G Gumbel(0,1) (kept for Backward); every
// other method draws D ~ Cat(π) by inverse CDF (kernels.SampleRows) from one
// uniform per row. Row block b (kernels.RowBlock rows) draws from the stream
// kernels.SeedStream(seed, stream, b), so results depend only on (seed,
// stream), never on ws.Threads().
//
// Logits may be -Inf (a masked category: probability 0, never sampled, zero
// gradient); NaN, +Inf, |θ| > 1e30 or a row without a finite entry is an
// error naming the row (errkind.NonFinite). logits is copied first, so d
// or pi may alias it; d and pi must not overlap. Forward invalidates the
// losses given by SetRowLoss and SetCodeLoss.
func (e *Estimator) Forward(ws *kernels.Workspace, seed, stream uint64, logits, d, pi []float32) error {
	e.valid, e.rowLossOK, e.code.ok = false, false, false
	rows, err := e.rowsOf("Forward", logits)
	if err != nil {
		return err
	}
	n := rows * e.cols
	if len(d) != n || len(pi) != n {
		return fmt.Errorf("estimators.Forward: len(d)=%d len(pi)=%d, need rows*cols=%d*%d=%d: %w",
			len(d), len(pi), rows, e.cols, n, errkind.Shape)
	}
	if err := e.loadLogits("Forward", ws, logits, rows); err != nil {
		return err
	}
	e.seed, e.stream = seed, stream
	if nb := numBlocks(rows); nb > 0 {
		e.task.phase = phaseForwardNoise
		ws.Parallel(nb, &e.task)
	}
	if e.m.gumbelForward() {
		err = kernels.GumbelMaxRows(e.idx, e.theta[:n], e.gum[:n], rows, e.cols)
	} else {
		err = kernels.SampleRows(ws, e.idx, e.pi[:n], rows, e.cols, e.u[:rows])
	}
	if err != nil {
		return fmt.Errorf("estimators.Forward: %w", err)
	}
	copy(pi, e.pi[:n])
	clear(d)
	for r := range rows {
		d[r*e.cols+int(e.idx[r])] = 1
	}
	e.valid = true
	return nil
}

// rowsOf checks len(logits) against cols and maxRows and returns the rows.
func (e *Estimator) rowsOf(fn string, logits []float32) (int, error) {
	if len(logits)%e.cols != 0 {
		return 0, fmt.Errorf("estimators.%s: len(logits)=%d is not a multiple of cols=%d: %w",
			fn, len(logits), e.cols, errkind.Shape)
	}
	rows := len(logits) / e.cols
	if rows > e.maxRows {
		return 0, fmt.Errorf("estimators.%s: rows=%d (len(logits)=%d, cols=%d) exceeds maxRows=%d: %w",
			fn, rows, len(logits), e.cols, e.maxRows, errkind.Shape)
	}
	return rows, nil
}

// loadLogits copies the logits, computes π = softmax(θ) and checks them.
// The copy and the largest |θ| run per row block on ws's threads: one
// scalar pass took 70-90 µs for the 800×64 logits of a batch at 64×8.
func (e *Estimator) loadLogits(fn string, ws *kernels.Workspace, logits []float32, rows int) error {
	n := rows * e.cols
	nb := numBlocks(rows)
	e.src, e.rows = logits[:n], rows
	e.task.phase = phaseLoad
	ws.Parallel(nb, &e.task)
	e.src = nil
	if err := kernels.SoftmaxRows(ws, e.pi, e.theta, rows, e.cols, 1, nil); err != nil {
		return fmt.Errorf("estimators.%s: logits: %w", fn, err)
	}
	var m float32
	if nb > 0 {
		m = slices.Max(e.bmax[:nb])
	}
	if m > maxLogit {
		for i, v := range e.theta[:n] {
			if math.Abs(float64(v)) > maxLogit && !math.IsInf(float64(v), -1) {
				return fmt.Errorf("estimators.%s: logits row %d holds %v, |logit| must be <= %g: %w",
					fn, i/e.cols, v, maxLogit, errkind.NonFinite)
			}
		}
	}
	e.maxAbs = m
	return nil
}

// loadBlock copies row block b of the logits into θ and records its
// largest |θ| over finite logits.
func (e *Estimator) loadBlock(b int) {
	lo, hi := blockRange(b, e.rows)
	th := e.theta[lo*e.cols : hi*e.cols]
	copy(th, e.src[lo*e.cols:hi*e.cols])
	e.bmax[b] = maxFiniteAbs(th)
}

// maxFiniteAbs returns the largest |v| over the finite v of x, 0 if there
// is none; x may hold -Inf, and NaN or +Inf only where the caller rejects
// x anyway (loadLogits: SoftmaxRows). For floats the order of |v| is that
// of their sign-cleared bit patterns, in which -Inf is +Inf's pattern and
// is left out: four running maxima and no branches.
func maxFiniteAbs(x []float32) float32 {
	const absMask, infBits = 0x7fffffff, 0x7f800000
	bits := func(v float32) uint32 {
		b := math.Float32bits(v) & absMask
		if b == infBits {
			b = 0
		}
		return b
	}
	var m0, m1, m2, m3 uint32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		q := (*[4]float32)(x[i:])
		m0, m1 = max(m0, bits(q[0])), max(m1, bits(q[1]))
		m2, m3 = max(m2, bits(q[2])), max(m3, bits(q[3]))
	}
	for ; i < len(x); i++ {
		m0 = max(m0, bits(x[i]))
	}
	return math.Float32frombits(max(m0, m1, m2, m3))
}

// numBlocks is the number of kernels.RowBlock row blocks covering rows.
func numBlocks(rows int) int { return (rows + kernels.RowBlock - 1) / kernels.RowBlock }

// blockRange is the half-open row range of block b.
func blockRange(b, rows int) (lo, hi int) {
	lo = b * kernels.RowBlock
	return lo, min(rows, lo+kernels.RowBlock)
}
