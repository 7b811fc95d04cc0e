package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/internal/faultpoint"
	"github.com/discretegrad/reinmax/vae"
)

// Mode says what Train does with the run a directory already holds.
type Mode int

const (
	// Start trains a new run; a directory that holds a run is refused with
	// ErrRunExists.
	Start Mode = iota
	// Overwrite trains a new run in place of the directory's run, whose
	// files are all removed first (the summary first).
	Overwrite
	// Resume continues the directory's run from its checkpoint with the
	// checkpoint's configuration; a directory without one is refused with
	// ErrNoCheckpoint.
	Resume
	// Continue is what a sweep does with each run: ErrFinished when the run
	// has already reached Options.Epochs, Resume when there is a checkpoint,
	// Start otherwise.
	Continue
)

// Errors of Train; each is wrapped with the directory.
var (
	ErrRunExists    = errors.New("holds a run")
	ErrNoCheckpoint = errors.New("holds no checkpoint to resume from")
	ErrInconsistent = errors.New("holds files that disagree")
	ErrOtherRun     = errors.New("holds a run of another configuration")
	ErrFinished     = errors.New("has finished its epochs")
	// ErrInterrupted: the context was cancelled; the checkpoint was written
	// and Resume continues the run.
	ErrInterrupted = errors.New("interrupted")
)

// Options is one training run for Train.
type Options struct {
	// Dir is the run directory, created if missing.
	Dir string
	// Config is the run's configuration. With Resume and Continue the
	// checkpoint's configuration is used, and Config must train like it
	// (SameRun) unless Config.Estimator.Method is empty. Threads is always
	// taken from here.
	Config vae.Config
	// Epochs is the number of epochs to reach.
	Epochs int
	Mode   Mode
	// Data is read only, so concurrent runs may share it.
	Data *vae.MNIST
	// Progress, if set, is called after every step with the global step
	// count and the step's loss.
	Progress func(step int, loss float64)
	// OnEpoch, if set, is called with each epoch's record once it is
	// written.
	OnEpoch func(EpochRecord)
	// LossPlot, if set, draws loss.png from the records; it is written just
	// before the summary.
	LossPlot func(cfg vae.Config, recs []EpochRecord) ([]byte, error)
	// Log receives one line when a run starts or resumes; nil discards it.
	Log io.Writer
	// Keep lists epochs whose checkpoint is kept beside the rolling one,
	// as EpochCheckpointFile(e); KeepEvery > 0 keeps every KeepEvery-th
	// epoch's too: a series of models for gradient measurements over
	// training.
	Keep      []int
	KeepEvery int
}

// keeps reports whether epoch e's checkpoint is to be kept.
func (o *Options) keeps(e int) bool {
	return (o.KeepEvery > 0 && e%o.KeepEvery == 0) || slices.Contains(o.Keep, e)
}

// Train trains the run of o in o.Dir and returns its summary. It holds the
// directory's lock throughout (ErrLocked when another process has it) and
// first removes the temporary files a killed process left there.
//
// The files are written in an order that keeps them consistent (State.Check)
// whenever the process stops, even by SIGKILL: a new run writes its step-0
// checkpoint, then config.json; each epoch writes metrics.jsonl, then the
// checkpoint; a run that reaches o.Epochs writes loss.png, then
// summary.json. Every file is replaced atomically.
//
// Cancelling ctx stops the run at the next step boundary: the checkpoint is
// written and the error wraps ErrInterrupted. An epoch whose last step has
// started is finished first (its test pass and its record included), so
// no completed step is ever lost and the records always match the
// checkpoint. Resume then continues bit for bit as if nothing had stopped.
func Train(ctx context.Context, o Options) (Summary, error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return Summary{}, err
	}
	lock, err := LockDir(o.Dir)
	if err != nil {
		return Summary{}, err
	}
	defer lock.Unlock()
	if _, err := atomicfile.RemoveStale(o.Dir); err != nil {
		return Summary{}, fmt.Errorf("removing stale temporary files: %w", err)
	}
	cfg, resume, clear, err := prepare(o)
	if err != nil {
		return Summary{}, err
	}
	if cfg.WithDefaults().Batch > o.Data.Train.N {
		return Summary{}, fmt.Errorf("batch %d is larger than the %d training images", cfg.WithDefaults().Batch, o.Data.Train.N)
	}
	t, err := vae.NewTrainer(cfg, o.Data.Train, o.Data.Test)
	if err != nil {
		return Summary{}, err
	}
	defer t.Close()
	if clear {
		// Only now that the new run is known to start is the old one removed.
		if err := clearRun(o.Dir); err != nil {
			return Summary{}, err
		}
	}
	r := &runner{o: o, t: t, ckpt: filepath.Join(o.Dir, CheckpointFile)}
	if resume {
		err = r.resume()
	} else {
		err = r.start()
	}
	if err != nil {
		return Summary{}, err
	}
	return r.train(ctx)
}

// prepare checks the directory's run against o.Mode (under the lock) and
// returns the configuration to train, whether to resume, and whether the
// directory's run files must be removed first.
func prepare(o Options) (cfg vae.Config, resume, clear bool, err error) {
	st, err := Inspect(o.Dir)
	if err != nil {
		return cfg, false, false, fmt.Errorf("%s: %w", o.Dir, err)
	}
	refuse := func(why error, format string, a ...any) error {
		return fmt.Errorf("%s %w"+format, append([]any{o.Dir, why}, a...)...)
	}
	mode := o.Mode
	if mode == Continue {
		switch {
		case st.Summary != nil && st.Summary.Epochs >= o.Epochs && st.Check() == nil:
			if o.Config.Estimator.Method != "" && !SameRun(st.Summary.Config, o.Config) {
				return cfg, false, false, refuse(ErrOtherRun, " (%s)", describe(st.Summary.Config))
			}
			return cfg, false, false, refuse(ErrFinished, " (%d epochs)", st.Summary.Epochs)
		case st.Checkpoint != nil:
			mode = Resume
		default:
			// Without a checkpoint nothing was trained: start afresh.
			mode = Overwrite
		}
	}
	switch mode {
	case Start:
		if !st.Empty() {
			return cfg, false, false, refuse(ErrRunExists, " (%v)", st.Files)
		}
		return o.Config, false, false, nil
	case Overwrite:
		return o.Config, false, !st.Empty(), nil
	case Resume:
	default:
		return cfg, false, false, fmt.Errorf("experiment.Train: unknown mode %d", o.Mode)
	}
	if st.Checkpoint == nil {
		return cfg, false, false, refuse(ErrNoCheckpoint, "")
	}
	if err := st.Check(); err != nil {
		return cfg, false, false, refuse(ErrInconsistent, ": %v", err)
	}
	cfg = st.Checkpoint.Config
	if o.Config.Estimator.Method != "" && !SameRun(cfg, o.Config) {
		return cfg, false, false, refuse(ErrOtherRun, " (%s)", describe(cfg))
	}
	cfg.Threads = o.Config.Threads
	return cfg, true, false, nil
}

// runner is one run being trained.
type runner struct {
	o      Options
	t      *vae.Trainer
	ckpt   string
	recs   []EpochRecord
	warned bool // the collapse warning was given
}

// warnCollapse logs, once per process, the first epoch record that shows
// posterior collapse.
func (r *runner) warnCollapse(rec EpochRecord) {
	cfg := r.t.Config()
	if r.warned || r.o.Log == nil || !rec.IsCollapsed(cfg.C, cfg.L) {
		return
	}
	r.warned = true
	fmt.Fprintf(r.o.Log, "warning: posterior collapse after epoch %d: every test image gets the same one-hot code "+
		"(test KL %.3f of at most %.3f, test loss %.2f); some runs leave it after a few epochs, others never do\n",
		rec.Epoch, rec.TestKLD, float64(cfg.L)*math.Log(float64(cfg.C)), rec.TestLoss)
}

// start writes a new run's first files: the step-0 checkpoint, then
// config.json, so that a directory with any run file can be resumed.
func (r *runner) start() error {
	if err := r.t.Save(r.ckpt); err != nil {
		return err
	}
	if r.o.Log != nil {
		fmt.Fprintf(r.o.Log, "starting %s\n", r.o.Dir)
	}
	return WriteJSON(filepath.Join(r.o.Dir, ConfigFile), r.t.Config())
}

// resume loads the checkpoint and the records of the epochs it completed.
func (r *runner) resume() error {
	if err := r.t.Load(r.ckpt); err != nil {
		return err
	}
	recs, err := ReadMetrics(r.o.Dir)
	if err != nil {
		return err
	}
	r.recs = recs[:r.t.Epoch()]
	if r.t.Epoch() < r.o.Epochs {
		// More epochs: the old summary no longer describes the run.
		if err := os.Remove(filepath.Join(r.o.Dir, SummaryFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if e := r.t.Epoch(); r.o.keeps(e) && r.t.GlobalStep() == e*r.t.StepsPerEpoch() {
		// A process stopped between the epoch's two checkpoints.
		kept := filepath.Join(r.o.Dir, EpochCheckpointFile(e))
		if _, err := os.Stat(kept); errors.Is(err, os.ErrNotExist) {
			if err := r.t.Save(kept); err != nil {
				return err
			}
		}
	}
	if r.o.Log != nil {
		fmt.Fprintf(r.o.Log, "resuming %s at epoch %d, step %d\n", r.o.Dir, r.t.Epoch(), r.t.GlobalStep())
	}
	return WriteJSON(filepath.Join(r.o.Dir, ConfigFile), r.t.Config())
}

func (r *runner) train(ctx context.Context) (Summary, error) {
	t, o := r.t, r.o
	progress := func(step int, loss float64) {
		faultpoint.At("step")
		if o.Progress != nil {
			o.Progress(step, loss)
		}
	}
	for t.Epoch() < o.Epochs {
		st, err := t.TrainEpoch(ctx, progress)
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			if err := t.Save(r.ckpt); err != nil {
				return Summary{}, fmt.Errorf("%w, and the checkpoint could not be written: %w", ErrInterrupted, err)
			}
			spe := t.StepsPerEpoch()
			return Summary{}, fmt.Errorf("%w in epoch %d after step %d of %d; checkpoint written",
				ErrInterrupted, t.Epoch()+1, t.GlobalStep()-t.Epoch()*spe, spe)
		}
		if err != nil {
			// The last good checkpoint is left as it is.
			return Summary{}, err
		}
		rec := RecordOf(st, t.Config())
		r.recs = append(r.recs, rec)
		if err := writeMetrics(o.Dir, r.recs); err != nil {
			return Summary{}, err
		}
		if err := t.Save(r.ckpt); err != nil {
			return Summary{}, err
		}
		if o.keeps(t.Epoch()) {
			if err := t.Save(filepath.Join(o.Dir, EpochCheckpointFile(t.Epoch()))); err != nil {
				return Summary{}, err
			}
		}
		if o.OnEpoch != nil {
			o.OnEpoch(rec)
		}
		r.warnCollapse(rec)
		if ctx.Err() != nil && t.Epoch() < o.Epochs {
			return Summary{}, fmt.Errorf("%w after epoch %d; checkpoint written", ErrInterrupted, t.Epoch())
		}
	}
	sum := Summarize(t.Config(), r.recs)
	if o.LossPlot != nil && len(r.recs) > 0 {
		img, err := o.LossPlot(t.Config(), r.recs)
		if err != nil {
			return Summary{}, err
		}
		if err := atomicfile.Write(filepath.Join(o.Dir, LossPlotFile), img); err != nil {
			return Summary{}, err
		}
	}
	if err := WriteJSON(filepath.Join(o.Dir, SummaryFile), sum); err != nil {
		return Summary{}, err
	}
	return sum, nil
}
