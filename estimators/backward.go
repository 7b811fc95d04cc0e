package estimators

import (
	"fmt"
	"math"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
)

// Backward turns g = ∂Loss/∂D and gp = ∂Loss/∂π (each len rows·cols; nil
// means 0) into grad = ∂Loss/∂logits (len rows·cols) for the sample of the
// last Forward, by the method's formula (docs/estimators.md). Fresh
// backward noise (the E of the conditional Gumbel sampler: gr, reinmax-rao,
// reinmax-rao-d, reinmax-cv) for row block b comes from a kernels.Xoshiro8
// seeded with (seed, stream, b|1<<63), drawn row by row, one Exponentials
// call of K·cols values in [K][cols] order per row, so it is independent of
// the forward's streams and of ws.Threads().
// g is ignored by reinforce and exact. grad may be the same slice as g or gp;
// other overlaps are not allowed.
//
// Errors: no prior Forward, wrong lengths (errkind.Shape), NaN/Inf in g
// or gp, or a gradient that overflows float32 (errkind.NonFinite, naming
// the row; grad is then partly written), reinforce without
// SetRowLoss or exact without SetCodeLoss since the last Forward
// (errkind.Argument), or logits/τ overflowing float32
// (errkind.Temperature).
func (e *Estimator) Backward(ws *kernels.Workspace, seed, stream uint64, g, gp, grad []float32) error {
	if !e.valid {
		return fmt.Errorf("estimators.Backward: no sample: call Forward first: %w", errkind.Argument)
	}
	e.seed, e.stream, e.noiseGiven = seed, stream, false
	return e.backward("Backward", ws, g, gp, grad)
}

// BackwardWithNoise is Backward with every random quantity given: it loads
// the sample (logits, sampled indices, forward Gumbel noise G) as Forward
// would have produced it and runs the same backward code with the explicit
// conditional-Gumbel noise E instead of drawing it. It is the pure form of
// the reference's bwd_* functions, used by the golden tests; afterwards the
// estimator holds this sample (Index returns index) as after a Forward,
// except that row and code losses already set stay valid.
//
// Shapes: logits [rows, cols] (rows <= maxRows), index [rows] in [0, cols)
// (used as given, even if it is not argmax(θ + G)); G [rows, cols], finite,
// for gs and reinmax-cv (nil otherwise); E [rows, K, cols] (row-major: note
// the golden file's [N, C, K] order must be transposed), each entry finite
// and > 0, for gr, reinmax-rao, reinmax-rao-d and reinmax-cv (nil
// otherwise); g, gp, grad as for Backward. Errors as for Forward and
// Backward, plus out-of-range indices and bad noise.
func (e *Estimator) BackwardWithNoise(ws *kernels.Workspace, logits []float32, index []int32, G, E, g, gp, grad []float32) error {
	const fn = "BackwardWithNoise"
	e.valid = false
	rows, err := e.rowsOf(fn, logits)
	if err != nil {
		return err
	}
	if len(index) != rows {
		return fmt.Errorf("estimators.%s: len(index)=%d, need rows=%d: %w", fn, len(index), rows, errkind.Shape)
	}
	for r, i := range index {
		if i < 0 || int(i) >= e.cols {
			return fmt.Errorf("estimators.%s: index[%d]=%d outside [0, %d): %w", fn, r, i, e.cols, errkind.Argument)
		}
	}
	n := rows * e.cols
	if e.m.gumbelForward() {
		if len(G) != n {
			return fmt.Errorf("estimators.%s: len(G)=%d, need rows*cols=%d for %s: %w", fn, len(G), n, e.cfg.Method, errkind.Shape)
		}
		if j := firstNonFinite(G); j >= 0 {
			return fmt.Errorf("estimators.%s: G row %d holds %v: %w", fn, j/e.cols, G[j], errkind.NonFinite)
		}
	} else if G != nil {
		return fmt.Errorf("estimators.%s: G given (len %d) but %s uses no forward Gumbel noise: %w", fn, len(G), e.cfg.Method, errkind.Argument)
	}
	if e.m.repeats() {
		if len(E) != n*e.k {
			return fmt.Errorf("estimators.%s: len(E)=%d, need rows*K*cols=%d*%d*%d=%d: %w",
				fn, len(E), rows, e.k, e.cols, n*e.k, errkind.Shape)
		}
		for j, v := range E {
			if !(v > 0) || !finite(v) {
				return fmt.Errorf("estimators.%s: E row %d holds %v, Exp(1) draws must be finite and > 0: %w",
					fn, j/(e.k*e.cols), v, errkind.Argument)
			}
		}
	} else if E != nil {
		return fmt.Errorf("estimators.%s: E given (len %d) but %s uses no conditional-Gumbel noise: %w", fn, len(E), e.cfg.Method, errkind.Argument)
	}
	if err := e.loadLogits(fn, ws, logits, rows); err != nil {
		return err
	}
	copy(e.idx, index)
	if e.m.gumbelForward() {
		copy(e.gum, G)
	}
	if e.m.repeats() {
		copy(e.pk, E)
	}
	e.valid = true
	e.noiseGiven = true
	return e.backward(fn, ws, g, gp, grad)
}

// backward checks the gradients and runs the method's phases.
func (e *Estimator) backward(fn string, ws *kernels.Workspace, g, gp, grad []float32) error {
	rows, c := e.rows, e.cols
	n := rows * c
	if g != nil && len(g) != n || gp != nil && len(gp) != n || len(grad) != n {
		return fmt.Errorf("estimators.%s: len(g)=%d len(gp)=%d len(grad)=%d, need rows*cols=%d*%d=%d (g, gp may be nil): %w",
			fn, len(g), len(gp), len(grad), rows, c, n, errkind.Shape)
	}
	e.g, e.gp, e.grad = g, gp, grad
	defer func() { e.g, e.gp, e.grad = nil, nil, nil }()
	switch e.m {
	case mReinforce:
		if !e.rowLossOK || e.rowLossN != rows {
			return fmt.Errorf("estimators.%s: reinforce needs SetRowLoss with %d values after the last Forward (have %d, set=%v): %w",
				fn, rows, e.rowLossN, e.rowLossOK, errkind.Argument)
		}
	case mExact:
		return e.exactBackward(fn, ws)
	}
	if err := e.checkScale(fn); err != nil {
		return err
	}
	nb := numBlocks(rows)
	if nb == 0 {
		return nil
	}
	if err := e.prepare(fn, ws, nb); err != nil {
		return err
	}
	clear(e.errs[:nb])
	e.task.phase = phaseGrad
	ws.Parallel(nb, &e.task)
	for _, err := range e.errs[:nb] {
		if err != nil {
			return fmt.Errorf("estimators.%s: %w", fn, err)
		}
	}
	return nil
}

// checkScale rejects temperatures so small that θ/τ (or a perturbed logit
// over τ) overflows float32.
func (e *Estimator) checkScale(fn string) error {
	bound := float64(e.maxAbs) + 100 // Gumbel and conditional-Gumbel logits stay within ~100 of θ or 0
	tau2 := e.tau
	if e.m == mReinMaxCV {
		tau2 = e.tau2
	}
	for _, t := range [...]float32{e.tau, tau2} {
		if bound/float64(t) > math.MaxFloat32/4 {
			return fmt.Errorf("estimators.%s: max |logit| %v over tau=%v overflows float32: %w", fn, e.maxAbs, t, errkind.Temperature)
		}
	}
	return nil
}

// prepare computes the per-method intermediate matrices before the grad
// phase: temperature softmaxes (one kernels.SoftmaxRows call over all
// rows). The repeat methods' K conditional-Gumbel rows are built in the
// grad phase, one row of the batch at a time (perturbRow), so that the
// K·cols values are still in cache when the gradient reads them.
func (e *Estimator) prepare(fn string, ws *kernels.Workspace, nb int) error {
	rows, c := e.rows, e.cols
	n := rows * c
	var err error
	switch e.m {
	case mST, mReinMax, mReinMaxAlpha:
		if e.tau != 1 { // at τ = 1, p_τ is π itself (same kernel call, same bits)
			err = kernels.SoftmaxRows(ws, e.soft, e.theta[:n], rows, c, e.tau, nil)
		}
	case mGS:
		e.task.phase = phaseSumNoise
		ws.Parallel(nb, &e.task)
		err = kernels.SoftmaxRows(ws, e.soft, e.soft[:n], rows, c, e.tau, nil)
	case mGST:
		e.task.phase = phaseGapped
		ws.Parallel(nb, &e.task)
		err = kernels.SoftmaxRows(ws, e.soft, e.soft[:n], rows, c, e.tau, nil)
	case mReinMaxCV:
		// The control variate's y = softmax((θ + G)/τ); the repeat matrix
		// is built row by row in the grad phase (perturbRow).
		if e.eta != 0 && !e.gumbelA {
			e.task.phase = phaseSumNoise
			ws.Parallel(nb, &e.task)
			err = kernels.SoftmaxRows(ws, e.soft, e.soft[:n], rows, c, e.tau, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("estimators.%s: %s: %w", fn, e.cfg.Method, err)
	}
	return nil
}

// ptau returns the rows' p_τ = softmax(θ/τ) (π itself at τ = 1).
func (e *Estimator) ptau() []float32 {
	if e.tau == 1 {
		return e.pi
	}
	return e.soft
}

// gappedBlock writes the GST gapped logits of block b into soft:
// θ̂_i = max θ, θ̂_j = min(θ_j, max θ − gap) for j ≠ i.
func (e *Estimator) gappedBlock(b int) {
	lo, hi := blockRange(b, e.rows)
	c := e.cols
	for r := lo; r < hi; r++ {
		th := e.theta[r*c : (r+1)*c]
		out := e.soft[r*c : (r+1)*c]
		m := negInf
		for _, v := range th {
			m = max(m, v)
		}
		capv := m - e.gap
		for j, v := range th {
			out[j] = min(v, capv)
		}
		out[e.idx[r]] = m
	}
}

// perturbRow builds row r's K conditional-Gumbel samples in pk (condGumbelRow)
// and writes into avg their average Jacobian-vector product with g, avgJ
// (for reinmax-rao-d, of ½(π + p_k)): Exp(1) noise (drawn from noise unless
// given), the conditional-Gumbel logits of φ = θ (gr, reinmax-rao-d) or
// φ = log s, s = (π + D)/2 (reinmax-rao, reinmax-cv; log 0 = -Inf where π
// underflows acts as a masked category), their softmax at τ (τ2 for
// reinmax-cv; one kernels.SoftmaxRows call over the K rows), then
// kernels.AvgJacobian. gr, reinmax-rao and reinmax-cv take one fused
// kernel instead, which stores no probabilities: for cols <=
// kernels.CondGumbelLanesMaxC, kernels.CondGumbelAvgJTau at any
// temperature (a sample per vector lane), else at temperature 1
// kernels.CondGumbelAvgJ, which needs neither log nor exp. reinmax-cv also
// writes soft2 = softmax(log s + A), A = y (softmax mode) or G. ls and w
// are cols of scratch each, lanesScr kernels.CondGumbelAvgJTauScratch·cols,
// ws the row block's one-thread workspace.
func (e *Estimator) perturbRow(r int, noise *kernels.Xoshiro8, ws *kernels.Workspace, ls, w, lanesScr, g, avg []float32) error {
	c, K := e.cols, e.k
	buf := e.pk[r*K*c : (r+1)*K*c]
	if !e.noiseGiven {
		noise.Exponentials(buf)
	}
	tau := e.tau
	if e.m == mReinMaxCV {
		tau = e.tau2
	}
	i := int(e.idx[r])
	// φ: θ for gr and reinmax-rao-d, log s, s = (π + D)/2, otherwise.
	phi := e.theta[r*c : (r+1)*c]
	if e.m == mReinMaxRao || e.m == mReinMaxCV {
		pi := e.pi[r*c : (r+1)*c]
		for j, p := range pi {
			ls[j] = 0.5 * p
		}
		ls[i] = 0.5 * (pi[i] + 1)
		// log s in float32 as the reference takes it, vectorised:
		// NegLog is -log within 1 ulp (+Inf at 0, so log 0 = -Inf).
		kernels.NegLog(ls)
		for j, v := range ls {
			ls[j] = -v
		}
		phi = ls
	}
	// One fused kernel writes avg directly (acc), except for
	// reinmax-rao-d, which needs the probabilities: for few categories,
	// which fill vectors badly in the row kernels (C = 10 fills 10 of 16
	// lanes), a sample per lane at any temperature; otherwise at τ = 1.
	var acc []float32
	var err error
	switch {
	case e.m == mReinMaxRaoD:
		err = condGumbelRow(buf, phi, i, K, w, tau == 1, g, nil)
	case c <= kernels.CondGumbelLanesMaxC:
		acc = avg
		err = kernels.CondGumbelAvgJTau(avg, buf, w, g, lanesScr, i, K, cgWeights(w[:c], phi), tau)
	default:
		if tau == 1 {
			acc = avg
		}
		err = condGumbelRow(buf, phi, i, K, w, tau == 1, g, acc)
	}
	if err == nil && e.m == mReinMaxCV {
		a := e.soft[r*c : (r+1)*c]
		if e.gumbelA {
			a = e.gum[r*c : (r+1)*c]
		}
		out := e.soft2[r*c : (r+1)*c]
		for j, v := range ls {
			out[j] = v + a[j]
		}
		err = kernels.SoftmaxRows(ws, out, out, 1, c, 1, nil)
	}
	if err != nil || acc != nil {
		return err
	}
	if tau != 1 {
		if err := kernels.SoftmaxRows(ws, buf, buf, K, c, tau, nil); err != nil {
			return err
		}
	}
	if e.m == mReinMaxRaoD { // q_k = ½(π + p_k)
		pi := e.pi[r*c : (r+1)*c]
		for k := range K {
			q := buf[k*c : (k+1)*c]
			for j, p := range q {
				q[j] = 0.5 * (pi[j] + p)
			}
		}
	}
	return kernels.AvgJacobian(avg, buf, g, K)
}

// gradBlock computes the grad rows of block b; a NaN or Inf in g or gp is
// recorded in e.errs[b] and stops the block.
func (e *Estimator) gradBlock(b int) {
	lo, hi := blockRange(b, e.rows)
	c := e.cols
	scr := e.scr[b]
	o, t, q, avg, lanesScr := scr[:c], scr[c:2*c], scr[2*c:3*c], scr[3*c:4*c], scr[4*c:]
	perturb := e.m.repeats() && !(e.m == mReinMaxCV && e.eta == 0) // R − 0·GS + 0·GR = R
	if perturb && !e.noiseGiven {
		e.noise[b].Seed(e.seed, e.stream, uint64(b)|backwardStreamTag)
	}
	for r := lo; r < hi; r++ {
		g := e.zero
		if e.g != nil && e.m != mReinforce { // reinforce ignores g
			g = e.g[r*c : (r+1)*c]
			if j := firstNonFinite(g); j >= 0 {
				e.errs[b] = fmt.Errorf("g row %d holds %v: %w", r, g[j], errkind.NonFinite)
				return
			}
		}
		var gp []float32
		if e.gp != nil {
			gp = e.gp[r*c : (r+1)*c]
			if j := firstNonFinite(gp); j >= 0 {
				e.errs[b] = fmt.Errorf("gp row %d holds %v: %w", r, gp[j], errkind.NonFinite)
				return
			}
		}
		if perturb {
			if err := e.perturbRow(r, &e.noise[b], e.blockWS[b], o, t, lanesScr, g, avg); err != nil {
				e.errs[b] = fmt.Errorf("%s: %w", e.cfg.Method, err)
				return
			}
		}
		e.gradRow(r, g, gp, o, t, q, avg)
		if j := firstNonFinite(o); j >= 0 {
			// Only reachable through float32 overflow (huge g, g_p, row
			// losses or 1/(2α), or a tiny τ): report it instead of
			// returning Inf or NaN.
			e.errs[b] = fmt.Errorf("grad row %d overflows float32 (%v at category %d; check the scale of g, gp, tau and alpha): %w",
				r, o[j], j, errkind.NonFinite)
			return
		}
		copy(e.grad[r*c:(r+1)*c], o)
	}
}

// gradRow sets o to ∂Loss/∂θ of row r by its method's formula; t and q are
// scratch.
// For the repeat methods avgK holds avgJ of the row's K conditional samples
// with g, from perturbRow.
func (e *Estimator) gradRow(r int, g, gp, o, t, q, avgK []float32) {
	c := e.cols
	row := func(x []float32) []float32 { return x[r*c : (r+1)*c : (r+1)*c] }
	th, pi, i := row(e.theta), row(e.pi), int(e.idx[r])
	switch e.m {
	case mST: // J(p_τ) g / τ + J(π) g_p
		setJScaled(o, row(e.ptau()), g, e.tau)
		if gp != nil {
			addJ(o, pi, gp)
		}
	case mGS: // J(y) g / τ + J(π) g_p, y = softmax((θ + G)/τ)
		setJScaled(o, row(e.soft), g, e.tau)
		if gp != nil {
			addJ(o, pi, gp)
		}
	case mGST: // center(J(p̂) g / τ) + J(π) g_p
		setJScaled(o, row(e.soft), g, e.tau)
		centerActive(o, th)
		if gp != nil {
			addJ(o, pi, gp)
		}
	case mReinMax: // center(2 J(s) g + J(π)(g_p − g/2)), s = (p_τ + D)/2
		reinmaxSum(o, row(e.ptau()), i, g, gp, pi, t)
		centerActive(o, th)
	case mReinMaxAlpha:
		reinmaxAlphaRow(o, row(e.ptau()), i, g, gp, pi, e.w)
		centerActive(o, th)
	case mGR: // avgJ(CG(θ, D, E), g, τ)/τ + J(π) g_p
		copy(o, avgK)
		for j := range o {
			o[j] /= e.tau
		}
		if gp != nil {
			addJ(o, pi, gp)
		}
	case mReinMaxRao: // center(2 avgJ(CG(log s₁, D, E), g, τ)/τ + J(π)(g_p − g/2))
		copy(o, avgK)
		for j := range o {
			o[j] = 2 * (o[j] / e.tau)
		}
		addJHalf(o, pi, g, gp, 0.5)
		centerActive(o, th)
	case mReinMaxRaoD: // center(2 avg_k J(½(π + softmax(θ̃_k/τ))) g + J(π)(g_p − g/2))
		copy(o, avgK)
		for j := range o {
			o[j] *= 2
		}
		addJHalf(o, pi, g, gp, 0.5)
		centerActive(o, th)
	case mReinMaxCV:
		reinmaxCVRow(e, r, g, gp, o, t, q, avgK)
		centerActive(o, th)
	case mReinforce: // f(D)(D − π) + J(π) g_p
		f := e.rowLoss[r]
		for j, p := range pi {
			o[j] = f * (0 - p)
		}
		o[i] = f * (1 - pi[i])
		if gp != nil {
			addJ(o, pi, gp)
		}
	}
}

// reinmaxSum sets o = 2 J(s) g + J(π)(g_p − g/2) with s = (p + e_i)/2, the
// uncentred ReinMax sum (also ReinMax-CV's R with p = π). s is
// cols of scratch.
func reinmaxSum(o, p []float32, i int, g, gp, pi, s []float32) {
	for j, v := range p {
		s[j] = 0.5 * v
	}
	s[i] = 0.5 * (p[i] + 1)
	d := dot(s, g)
	for j, sj := range s {
		o[j] = 2 * (sj*g[j] - sj*d)
	}
	addJHalf(o, pi, g, gp, 0.5)
}

// reinmaxAlphaRow sets o = t0 + t1 of ReinMax(α), uncentred:
// t1 = 2 g⊙s − 2 s (p_αᵀ g), t0 = J(π)(g_p − w g), with w = 1/(2α),
// s = (p_τ + D)/2 and p_α = (1 − w) p_τ + w D.
func reinmaxAlphaRow(o, p []float32, i int, g, gp, pi []float32, w float32) {
	var da float32
	for j, v := range p {
		pa := (1-w)*v + w*dOne(j, i)
		da += pa * g[j]
	}
	for j, v := range p {
		s2 := 2 * (0.5 * (v + dOne(j, i)))
		o[j] = s2*g[j] - s2*da
	}
	addJHalf(o, pi, g, gp, w)
}

// dOne is D_j for D = e_i.
func dOne(j, i int) float32 {
	if j == i {
		return 1
	}
	return 0
}

// reinmaxCVRow sets o = R − η·GS + η·GR of ReinMax-CV, uncentred:
// R = 2 J(s) g + J(π)(g_p − g/2) with s = (π + D)/2 (τ fixed to 1),
// GR = avgJ(CG(log s, D, E), g, τ2)/τ2 and GS = J(softmax(log s + A)) g/τ2.
// With η = 0 it is R alone (the other terms are finite, so 0·GS = 0·GR = 0).
func reinmaxCVRow(e *Estimator, r int, g, gp, o, t, q, avgK []float32) {
	c := e.cols
	pi := e.pi[r*c : (r+1)*c]
	reinmaxSum(o, pi, int(e.idx[r]), g, gp, pi, t)
	if e.eta == 0 {
		return
	}
	setJScaled(t, e.soft2[r*c:(r+1)*c], g, e.tau2) // GS
	copy(q, avgK)                                  // GR·τ2
	for j := range o {
		o[j] = (o[j] - e.eta*t[j]) + e.eta*(q[j]/e.tau2)
	}
}
