package vae

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/kernels"
)

// Format tags stored in the "format" metadata entry.
const (
	checkpointFormat = "reinmax-vae-checkpoint/1"
	weightsFormat    = "reinmax-vae-weights/1"
)

// Prefixes of the optimiser moment tensors in a checkpoint (PyTorch's
// state names), followed by the parameter tensor's name.
const (
	expAvgPrefix   = "optimizer.exp_avg."
	expAvgSqPrefix = "optimizer.exp_avg_sq."
)

// epochSums is the running state of the current epoch, stored as JSON
// (encoding/json writes float64 in the shortest form that reads back
// exactly).
type epochSums struct {
	Loss, BCE, KLD, Seconds float64
	Seen                    int
}

// Save writes a checkpoint to path atomically (temporary file in the same
// directory, fsync, rename): the parameters (PyTorch state_dict names), the
// optimiser moments (optimizer.exp_avg.NAME, optimizer.exp_avg_sq.NAME), and
// metadata: format, config (JSON), step, epoch, optimizer_step, seed,
// estimator, train_examples, the current epoch's running sums, and a
// SHA-256 checksum. Random streams are pure functions of (seed, step), so
// nothing else is needed to resume bit for bit.
func (t *Trainer) Save(path string) error {
	cfg, err := json.Marshal(t.cfg)
	if err != nil {
		return fmt.Errorf("vae.Trainer.Save: %w", err)
	}
	sums, err := json.Marshal(epochSums{t.sumLoss, t.sumBCE, t.sumKLD, t.seconds, t.seen})
	if err != nil {
		return fmt.Errorf("vae.Trainer.Save: %w", err)
	}
	meta := map[string]string{
		"format":         checkpointFormat,
		"config":         string(cfg),
		"step":           strconv.Itoa(t.step),
		"epoch":          strconv.Itoa(t.Epoch()),
		"optimizer_step": strconv.Itoa(t.opt.T),
		"seed":           strconv.FormatUint(t.cfg.Seed, 10),
		"estimator":      string(t.cfg.Estimator.Method),
		"train_examples": strconv.Itoa(t.train.N),
		"epoch_sums":     string(sums),
		"go_version":     runtime.Version(),
		"kernels":        kernels.Active(),
	}
	ts := t.model.tensors()
	for _, p := range t.model.Params.Tensors() {
		m := t.opt.M[p.Off : p.Off+p.Len()]
		v := t.opt.V[p.Off : p.Off+p.Len()]
		ts = append(ts, stTensor{expAvgPrefix + p.Name, p.Shape, m}, stTensor{expAvgSqPrefix + p.Name, p.Shape, v})
	}
	buf, err := encodeSafetensors(ts, meta, true)
	if err != nil {
		return fmt.Errorf("vae.Trainer.Save: %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf); err != nil {
		return fmt.Errorf("vae.Trainer.Save: %w", err)
	}
	return nil
}

// checkpoint is a decoded, verified checkpoint file.
type checkpoint struct {
	cfg                 Config
	step, optStep, nTrn int
	sums                epochSums
	tensors             map[string]stTensor
}

func readCheckpoint(fn, path string) (*checkpoint, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	tensors, meta, err := decodeSafetensors(buf, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", fn, path, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s: "+format+": %w", append(append([]any{fn, path}, a...), ErrCheckpoint)...)
	}
	if meta["format"] != checkpointFormat {
		return nil, bad("format %q, want %q", meta["format"], checkpointFormat)
	}
	ck := &checkpoint{tensors: tensors}
	if err := json.Unmarshal([]byte(meta["config"]), &ck.cfg); err != nil {
		return nil, bad("config: %v", err)
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"step", &ck.step}, {"optimizer_step", &ck.optStep}, {"train_examples", &ck.nTrn}} {
		v, err := strconv.Atoi(meta[f.key])
		if err != nil || v < 0 {
			return nil, bad("%s=%q is not a count", f.key, meta[f.key])
		}
		*f.dst = v
	}
	if err := json.Unmarshal([]byte(meta["epoch_sums"]), &ck.sums); err != nil {
		return nil, bad("epoch_sums: %v", err)
	}
	if err := ck.cfg.Validate(); err != nil {
		return nil, bad("stored config: %v", err)
	}
	return ck, nil
}

// CheckpointInfo is what a checkpoint written by Save says about its run.
type CheckpointInfo struct {
	// Config is the run's configuration (Threads as it was when saved).
	Config Config
	// Step is the number of optimiser steps taken; Epoch the number of
	// completed epochs; StepsPerEpoch the steps of one epoch over
	// TrainExamples images.
	Step, Epoch, StepsPerEpoch, TrainExamples int
}

// ReadCheckpointInfo reads and verifies a checkpoint written by Save (as
// Load does) and returns its metadata.
func ReadCheckpointInfo(path string) (CheckpointInfo, error) {
	ck, err := readCheckpoint("vae.ReadCheckpointInfo", path)
	if err != nil {
		return CheckpointInfo{}, err
	}
	return ck.info(), nil
}

// info is the checkpoint's metadata as ReadCheckpointInfo reports it.
func (ck *checkpoint) info() CheckpointInfo {
	batch := ck.cfg.WithDefaults().Batch
	spe := max(1, (ck.nTrn+batch-1)/batch)
	return CheckpointInfo{Config: ck.cfg, Step: ck.step, Epoch: ck.step / spe, StepsPerEpoch: spe, TrainExamples: ck.nTrn}
}

// LoadModel builds the model a checkpoint written by Save holds, for
// evaluating a run without resuming it: the shape and activation of its
// stored configuration, with its parameters (the optimiser state is
// ignored), and its metadata. The file is read once, so the weights and the
// metadata belong together even while a training run replaces the file.
// Errors as for ReadCheckpointInfo and LoadWeights.
func LoadModel(path string) (*Model, CheckpointInfo, error) {
	const fn = "vae.LoadModel"
	ck, err := readCheckpoint(fn, path)
	if err != nil {
		return nil, CheckpointInfo{}, err
	}
	m, err := NewModel(ck.cfg.C, ck.cfg.L, ck.cfg.Activation())
	if err != nil {
		return nil, CheckpointInfo{}, fmt.Errorf("%s: %s: %w", fn, path, err)
	}
	if err := m.setParams(fn, path, ck.tensors); err != nil {
		return nil, CheckpointInfo{}, err
	}
	return m, ck.info(), nil
}

// CheckpointConfig returns the configuration stored in a checkpoint written
// by Save (verified like Load does), so a run can be resumed with
// NewTrainer(cfg, …) followed by Load.
func CheckpointConfig(path string) (Config, error) {
	ck, err := readCheckpoint("vae.CheckpointConfig", path)
	if err != nil {
		return Config{}, err
	}
	return ck.cfg, nil
}

// Load restores a checkpoint written by Save: parameters, optimiser moments
// and step, global step and the current epoch's running sums. The stored
// configuration must equal the trainer's in every field but Threads, and
// the training set must have the same size. Corrupt, truncated or
// incompatible files are refused with an error wrapping ErrCheckpoint, and
// then the trainer is left unchanged. Training after Load continues bit for
// bit as if it had never stopped.
func (t *Trainer) Load(path string) error {
	t.lastN = 0
	const fn = "vae.Trainer.Load"
	ck, err := readCheckpoint(fn, path)
	if err != nil {
		return err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s: "+format+": %w", append(append([]any{fn, path}, a...), ErrCheckpoint)...)
	}
	if !ck.cfg.sameExceptThreads(t.cfg) {
		a, _ := json.Marshal(ck.cfg)
		b, _ := json.Marshal(t.cfg)
		return bad("checkpoint config %s differs from the trainer's %s", a, b)
	}
	if ck.nTrn != t.train.N {
		return bad("checkpoint trained on %d examples, this training set has %d", ck.nTrn, t.train.N)
	}
	ps := t.model.Params.Tensors()
	for _, p := range ps {
		for _, name := range []string{p.Name, expAvgPrefix + p.Name, expAvgSqPrefix + p.Name} {
			if err := checkTensor(ck.tensors, name, p.Shape); err != nil {
				return bad("%v", err)
			}
		}
	}
	if want := 3 * len(ps); len(ck.tensors) != want {
		return bad("%d tensors, want %d", len(ck.tensors), want)
	}
	for _, p := range ps {
		copy(p.Data, ck.tensors[p.Name].Data)
		copy(t.opt.M[p.Off:p.Off+p.Len()], ck.tensors[expAvgPrefix+p.Name].Data)
		copy(t.opt.V[p.Off:p.Off+p.Len()], ck.tensors[expAvgSqPrefix+p.Name].Data)
	}
	t.opt.T = ck.optStep
	t.step = ck.step
	t.sumLoss, t.sumBCE, t.sumKLD, t.seconds, t.seen = ck.sums.Loss, ck.sums.BCE, ck.sums.KLD, ck.sums.Seconds, ck.sums.Seen
	t.permEpoch = -1
	return nil
}

func checkTensor(ts map[string]stTensor, name string, shape []int) error {
	x, ok := ts[name]
	if !ok {
		return fmt.Errorf("tensor %q missing", name)
	}
	if !slices.Equal(x.Shape, shape) {
		return fmt.Errorf("tensor %q has shape %v, want %v", name, x.Shape, shape)
	}
	return nil
}

// tensors lists the model's parameter tensors for writing (views, no copy).
func (m *Model) tensors() []stTensor {
	var ts []stTensor
	for _, p := range m.Params.Tensors() {
		ts = append(ts, stTensor{p.Name, p.Shape, p.Data})
	}
	return ts
}

// SaveWeights writes the parameters alone as a safetensors file with
// PyTorch's state_dict names and shapes (atomically, with a checksum), for
// exchange with the reference implementation.
func (m *Model) SaveWeights(path string) error {
	meta := map[string]string{"format": weightsFormat, "C": strconv.Itoa(m.C), "L": strconv.Itoa(m.L),
		"activation": m.Act.String()}
	buf, err := encodeSafetensors(m.tensors(), meta, true)
	if err != nil {
		return fmt.Errorf("vae.Model.SaveWeights: %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf); err != nil {
		return fmt.Errorf("vae.Model.SaveWeights: %w", err)
	}
	return nil
}

// LoadWeights sets the parameters from a safetensors file holding float32
// tensors named as in a PyTorch state_dict of the reference VAE
// (encoder.fc1.weight [512, 784], …, decoder.fc3.bias [784]), for example
// one written from Python with safetensors.torch.save_file(model.state_dict()),
// by SaveWeights, or a checkpoint from Save (its optimiser tensors are
// ignored). A checksum, when present, is verified. Every tensor must be
// present with the right shape and finite values; on error the parameters
// are unchanged.
func (m *Model) LoadWeights(path string) error {
	const fn = "vae.Model.LoadWeights"
	buf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	ts, _, err := decodeSafetensors(buf, false)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", fn, path, err)
	}
	return m.setParams(fn, path, ts)
}

// setParams sets the parameters from the tensors ts read from path, each of
// which must be present with the right shape and finite values: the checks
// of LoadWeights, which LoadModel shares. On error the parameters are
// unchanged; errors name fn and path.
func (m *Model) setParams(fn, path string, ts map[string]stTensor) error {
	for _, p := range m.Params.Tensors() {
		if err := checkTensor(ts, p.Name, p.Shape); err != nil {
			return fmt.Errorf("%s: %s: %v: %w", fn, path, err, ErrCheckpoint)
		}
		for i, v := range ts[p.Name].Data {
			if !isFinite(float64(v)) {
				return fmt.Errorf("%s: %s: tensor %q element %d is %v: %w", fn, path, p.Name, i, v, errkind.NonFinite)
			}
		}
	}
	for _, p := range m.Params.Tensors() {
		copy(p.Data, ts[p.Name].Data)
	}
	return nil
}
