package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/discretegrad/reinmax/vae"
)

// Files of a run directory.
const (
	ConfigFile     = "config.json"            // the configuration, written when the run starts or resumes
	CheckpointFile = "checkpoint.safetensors" // the rolling checkpoint (vae.Trainer.Save)
	MetricsFile    = "metrics.jsonl"          // one EpochRecord per line, epochs 1, 2, …
	LossPlotFile   = "loss.png"               // the loss curves, when the caller draws them
	SummaryFile    = "summary.json"           // written last, when the run reaches its epochs
)

// EpochCheckpointFile is the name of the checkpoint kept after epoch e
// (Options.Keep, Options.KeepEvery).
func EpochCheckpointFile(e int) string { return fmt.Sprintf("checkpoint-epoch%04d.safetensors", e) }

// epochCheckpointGlob matches every EpochCheckpointFile.
const epochCheckpointGlob = "checkpoint-epoch[0-9]*.safetensors"

// runFiles are the files that make a directory hold a run, in the order
// clearRun removes them: the summary first, so a run being cleared never
// looks finished.
var runFiles = []string{SummaryFile, LossPlotFile, MetricsFile, ConfigFile, CheckpointFile}

// State is what a run directory holds.
type State struct {
	// Files lists the run files present (none: the directory holds no run).
	Files []string
	// Checkpoint is the checkpoint's metadata, nil without a checkpoint.
	Checkpoint *vae.CheckpointInfo
	// Records are metrics.jsonl's records.
	Records []EpochRecord
	// Summary is summary.json, nil when the run has not finished.
	Summary *Summary
}

// Empty reports whether the directory holds no run.
func (s State) Empty() bool { return len(s.Files) == 0 }

// Inspect reads the run directory dir without changing it; a missing
// directory holds no run. Unreadable or corrupt files are errors naming
// them.
func Inspect(dir string) (State, error) {
	var s State
	for _, name := range runFiles {
		switch _, err := os.Stat(filepath.Join(dir, name)); {
		case err == nil:
			s.Files = append(s.Files, name)
		case !errors.Is(err, os.ErrNotExist):
			return s, err
		}
	}
	kept, err := filepath.Glob(filepath.Join(dir, epochCheckpointGlob))
	if err != nil {
		return s, err
	}
	for _, k := range kept {
		s.Files = append(s.Files, filepath.Base(k))
	}
	if s.has(CheckpointFile) {
		info, err := vae.ReadCheckpointInfo(filepath.Join(dir, CheckpointFile))
		if err != nil {
			return s, err
		}
		s.Checkpoint = &info
	}
	recs, err := ReadMetrics(dir)
	if err != nil {
		return s, err
	}
	s.Records = recs
	if s.has(SummaryFile) {
		sum, err := ReadSummary(dir)
		if err != nil {
			return s, err
		}
		s.Summary = &sum
	}
	return s, nil
}

func (s State) has(name string) bool {
	for _, f := range s.Files {
		if f == name {
			return true
		}
	}
	return false
}

// Check reports whether the files of a run agree, as Train keeps them
// whenever the process stops, however it stops:
//   - a run without a checkpoint has no other file (the checkpoint is
//     written first);
//   - metrics.jsonl holds a record for every epoch the checkpoint has
//     completed, and at most one more (an epoch recorded just before the
//     process died, before its checkpoint was written; resuming trains it
//     again to the same numbers and rewrites the record);
//   - a summary covers exactly the recorded epochs, and the checkpoint sits
//     at the end of the last one.
func (s State) Check() error {
	if s.Empty() {
		return nil
	}
	ck := s.Checkpoint
	if ck == nil {
		return fmt.Errorf("%v without %s", s.Files, CheckpointFile)
	}
	if n := len(s.Records); n < ck.Epoch || n > ck.Epoch+1 {
		return fmt.Errorf("%s holds %d epochs but the checkpoint has completed %d", MetricsFile, n, ck.Epoch)
	}
	if sum := s.Summary; sum != nil {
		if sum.Epochs != len(s.Records) || sum.Epochs != ck.Epoch || ck.Step != ck.Epoch*ck.StepsPerEpoch {
			return fmt.Errorf("%s covers %d epochs, %s holds %d, the checkpoint is at step %d (epoch %d)",
				SummaryFile, sum.Epochs, MetricsFile, len(s.Records), ck.Step, ck.Epoch)
		}
	}
	return nil
}

// clearRun removes the run files of dir, the summary first, then the kept
// epoch checkpoints.
func clearRun(dir string) error {
	paths := make([]string, 0, len(runFiles))
	for _, name := range runFiles {
		paths = append(paths, filepath.Join(dir, name))
	}
	kept, err := filepath.Glob(filepath.Join(dir, epochCheckpointGlob))
	if err != nil {
		return err
	}
	for _, path := range append(paths, kept...) {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
