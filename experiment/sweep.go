package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/discretegrad/reinmax/vae"
)

// SweepOptions is one invocation of a sweep: the runs of one shard of a
// grid, trained several at once in their own run directories.
type SweepOptions struct {
	// Dir is the sweep directory; run r trains in Dir/r.Name.
	Dir string
	// Grid is the grid; its expanded runs are merged into the directory's
	// manifest before any run starts.
	Grid Grid
	// Shard and Shards select the runs whose index in the grid is Shard mod
	// Shards (0 and 1: every run).
	Shard, Shards int
	// Parallel runs train at once, each on Threads threads (both >= 1).
	Parallel, Threads int
	// Data is shared by the runs (read only).
	Data *vae.MNIST
	// Log receives one line per event, prefixed with the run; nil discards.
	Log io.Writer
	// LossPlot draws each run's loss.png (Options.LossPlot); nil: none.
	LossPlot func(cfg vae.Config, recs []EpochRecord) ([]byte, error)
}

// SweepResult lists the names of this invocation's runs by outcome.
type SweepResult struct {
	Trained     []string // trained to the end (started, resumed or extended)
	Finished    []string // had already finished: nothing to do
	Held        []string // another process held the run directory: skipped
	Failed      []string // stopped with an error (logged)
	Interrupted []string // stopped by the context, checkpoint written
	NotStarted  []string // not reached before the context was cancelled
}

// Sweep expands o.Grid, merges it into the manifest (WriteManifest) and
// trains this shard's runs, o.Parallel at once, in the grid's order: each
// with Train in Continue mode, so a finished run is skipped, an interrupted
// one resumes bit for bit, and a run another process holds is skipped.
// Once ctx is cancelled no run starts, and the running ones write their
// checkpoints. The error reports a bad grid or options, or a manifest that
// could not be written; the runs' own failures are in the result.
func Sweep(ctx context.Context, o SweepOptions) (SweepResult, error) {
	runs, err := o.Grid.Expand()
	if err != nil {
		return SweepResult{}, err
	}
	switch {
	case o.Shards < 1 || o.Shard < 0 || o.Shard >= o.Shards:
		return SweepResult{}, fmt.Errorf("experiment.Sweep: shard %d/%d, need 0 <= shard < shards", o.Shard, o.Shards)
	case o.Parallel < 1 || o.Threads < 1:
		return SweepResult{}, fmt.Errorf("experiment.Sweep: parallel %d, threads %d, need >= 1", o.Parallel, o.Threads)
	case o.Data == nil:
		return SweepResult{}, errors.New("experiment.Sweep: no data")
	}
	if err := WriteManifest(o.Dir, o.Grid, runs); err != nil {
		return SweepResult{}, err
	}
	log := syncWriter(o.Log)
	mine := ShardIndices(len(runs), o.Shard, o.Shards)
	outcomes := make([]outcome, len(mine))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(o.Parallel, max(1, len(mine))) {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					continue // not started
				}
				outcomes[j] = o.trainOne(ctx, log, mine[j], len(runs), runs[mine[j]])
			}
		})
	}
feed:
	for j := range mine {
		select {
		case jobs <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	var res SweepResult
	for j, oc := range outcomes {
		name := runs[mine[j]].Name
		lists := map[outcome]*[]string{outcomeTrained: &res.Trained, outcomeFinished: &res.Finished,
			outcomeHeld: &res.Held, outcomeFailed: &res.Failed, outcomeInterrupted: &res.Interrupted,
			outcomeNotStarted: &res.NotStarted}
		*lists[oc] = append(*lists[oc], name)
	}
	return res, nil
}

type outcome int

const (
	outcomeNotStarted outcome = iota
	outcomeTrained
	outcomeFinished
	outcomeHeld
	outcomeFailed
	outcomeInterrupted
)

// trainOne trains run r (index i of n in the grid) and logs what happened.
func (o *SweepOptions) trainOne(ctx context.Context, log *lockedWriter, i, n int, r Run) outcome {
	tag := fmt.Sprintf("[%d/%d] %s", i+1, n, r.Name)
	cfg := r.Config
	cfg.Threads = o.Threads
	start := time.Now()
	_, err := Train(ctx, Options{Dir: filepath.Join(o.Dir, r.Name), Config: cfg, Epochs: r.Epochs, Mode: Continue,
		Data: o.Data, LossPlot: o.LossPlot, Log: &prefixWriter{lw: log, prefix: tag + ": "}})
	switch {
	case err == nil:
		fmt.Fprintf(log, "%s: done in %s\n", tag, time.Since(start).Round(time.Second))
		return outcomeTrained
	case errors.Is(err, ErrFinished):
		return outcomeFinished
	case errors.Is(err, ErrLocked):
		fmt.Fprintf(log, "%s: skipped: %v\n", tag, err)
		return outcomeHeld
	case errors.Is(err, ErrInterrupted):
		fmt.Fprintf(log, "%s: %v\n", tag, err)
		return outcomeInterrupted
	}
	fmt.Fprintf(log, "%s: failed after %s: %v\n", tag, time.Since(start).Round(time.Second), err)
	return outcomeFailed
}
