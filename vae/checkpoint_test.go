package vae

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/nn"
	"github.com/stretchr/testify/require"
)

// TestCheckpointResume: N steps in one go equal k steps, Save, Load into a
// fresh trainer, N−k steps — bit for bit, including the epoch statistics
// of the epoch interrupted mid-way. gr draws backward noise, so both the
// forward and backward streams are covered.
func TestCheckpointResume(t *testing.T) {
	// Plans over 20 images in batches of 8 (epochs of 3 steps): E trains to
	// the end of the epoch (recording its statistics), S takes one step, |
	// saves, loads into a fresh trainer (on 2 threads) and continues there.
	const ref = "EESSE"
	for _, plan := range []string{"ES|ESSE", "EES|SE", "E|ESSE"} {
		t.Run(plan, func(t *testing.T) {
			cfg := smallConfig("gr")
			var runs [2]*Trainer
			var stats [2][]EpochStats
			for k, p := range []string{ref, plan} {
				tr := newTestTrainer(t, cfg, 20, 6)
				for _, a := range p {
					switch a {
					case 'E':
						s, err := tr.TrainEpoch(context.Background(), nil)
						require.NoError(t, err)
						s.Seconds, s.TrainSeconds = 0, 0
						stats[k] = append(stats[k], s)
					case 'S':
						_, err := tr.Step()
						require.NoError(t, err)
					case '|':
						path := filepath.Join(t.TempDir(), "ckpt.safetensors")
						require.NoError(t, tr.Save(path))
						entries, err := os.ReadDir(filepath.Dir(path))
						require.NoError(t, err)
						require.Len(t, entries, 1, "no temporary file may be left behind")
						cfg2 := cfg
						cfg2.Threads = 2
						next := newTestTrainer(t, cfg2, 20, 6)
						require.NoError(t, next.Load(path))
						require.Equal(t, tr.GlobalStep(), next.GlobalStep())
						tr = next
					}
				}
				runs[k] = tr
			}
			a, b := runs[0], runs[1]
			require.Equal(t, 9, b.GlobalStep())
			requireSameBits(t, a.model.Params.Data, b.model.Params.Data)
			requireSameBits(t, a.opt.M, b.opt.M)
			requireSameBits(t, a.opt.V, b.opt.V)
			require.Equal(t, a.opt.T, b.opt.T)
			require.Equal(t, stats[0], stats[1])
		})
	}
}

func TestCheckpointRefused(t *testing.T) {
	cfg := smallConfig("reinmax")
	tr := newTestTrainer(t, cfg, 20, 0)
	for range 2 {
		_, err := tr.Step()
		require.NoError(t, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	require.NoError(t, tr.Save(path))
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	got, err := CheckpointConfig(path)
	require.NoError(t, err)
	require.True(t, got.sameExceptThreads(tr.Config()))

	fresh := newTestTrainer(t, cfg, 20, 0)
	params := append([]float32(nil), fresh.model.Params.Data...)
	check := func(name string, data []byte, want string) {
		t.Helper()
		p := filepath.Join(dir, name)
		writeFile(t, p, data)
		err := fresh.Load(p)
		require.ErrorIs(t, err, ErrCheckpoint, name)
		require.ErrorContains(t, err, want, name)
		require.ErrorContains(t, err, p, name)
		require.Zero(t, fresh.GlobalStep(), name)
		requireSameBits(t, params, fresh.model.Params.Data)
	}
	flip := func(at int) []byte { b := append([]byte(nil), good...); b[at] ^= 1; return b }
	check("data", flip(len(good)-100), "checksum mismatch")
	hdr := strings.Index(string(good), `"step":"2"`)
	require.Positive(t, hdr)
	bumped := append([]byte(nil), good...)
	bumped[hdr+len(`"step":"`)] = '3'
	check("meta", bumped, "checksum mismatch")
	check("truncated", good[:len(good)/2], "truncated")
	check("tiny", good[:5], "truncated")
	check("garbage", []byte("this is not a checkpoint at all, no"), "header length")

	// A valid file of another configuration or data set is refused too.
	other := cfg
	other.LR = 2e-3
	tr2 := newTestTrainer(t, other, 20, 0)
	p2 := filepath.Join(dir, "other.safetensors")
	require.NoError(t, tr2.Save(p2))
	err = fresh.Load(p2)
	require.ErrorIs(t, err, ErrCheckpoint)
	require.ErrorContains(t, err, "differs")
	small := newTestTrainer(t, cfg, 16, 0)
	err = small.Load(path)
	require.ErrorContains(t, err, "trained on 20 examples")
	// A weights file is not a checkpoint.
	pw := filepath.Join(dir, "weights.safetensors")
	require.NoError(t, tr.model.SaveWeights(pw))
	err = fresh.Load(pw)
	require.ErrorIs(t, err, ErrCheckpoint)
	require.ErrorContains(t, err, "format")
	require.Zero(t, fresh.GlobalStep())
	_, err = CheckpointConfig(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
	// Save into a missing directory fails and leaves nothing.
	require.Error(t, tr.Save(filepath.Join(dir, "no", "such", "dir", "c.safetensors")))
}

func TestWeightsRoundTrip(t *testing.T) {
	tr := newTestTrainer(t, smallConfig("st"), 8, 0)
	_, err := tr.Step()
	require.NoError(t, err)
	dir := t.TempDir()
	pw := filepath.Join(dir, "w.safetensors")
	require.NoError(t, tr.model.SaveWeights(pw))
	m, err := NewModel(4, 2, nn.ReLU)
	require.NoError(t, err)
	require.NoError(t, m.LoadWeights(pw))
	requireSameBits(t, tr.model.Params.Data, m.Params.Data)
	// From a checkpoint (its optimiser tensors are ignored).
	pc := filepath.Join(dir, "c.safetensors")
	require.NoError(t, tr.Save(pc))
	m2, err := NewModel(4, 2, nn.ReLU)
	require.NoError(t, err)
	require.NoError(t, m2.LoadWeights(pc))
	requireSameBits(t, tr.model.Params.Data, m2.Params.Data)

	// A file as Python's safetensors writes it: no checksum, own metadata,
	// tensors in another order.
	ts := tr.model.tensors()
	ts[0], ts[len(ts)-1] = ts[len(ts)-1], ts[0]
	buf, err := encodeSafetensors(ts, map[string]string{"format": "pt"}, false)
	require.NoError(t, err)
	pp := filepath.Join(dir, "py.safetensors")
	writeFile(t, pp, buf)
	m3, err := NewModel(4, 2, nn.ReLU)
	require.NoError(t, err)
	require.NoError(t, m3.LoadWeights(pp))
	requireSameBits(t, tr.model.Params.Data, m3.Params.Data)

	// Wrong shapes (another C×L), a missing tensor, a non-finite value.
	m4, err := NewModel(3, 2, nn.ReLU)
	require.NoError(t, err)
	err = m4.LoadWeights(pw)
	require.ErrorContains(t, err, `"encoder.fc3.weight" has shape [8 256], want [6 256]`)
	buf, err = encodeSafetensors(tr.model.tensors()[1:], nil, false)
	require.NoError(t, err)
	writeFile(t, pp, buf)
	require.ErrorContains(t, m3.LoadWeights(pp), `"encoder.fc1.weight" missing`)
	ts = tr.model.tensors()
	ts[2].Data = append([]float32(nil), ts[2].Data...)
	ts[2].Data[7] = float32(math.Inf(1))
	buf, err = encodeSafetensors(ts, nil, false)
	require.NoError(t, err)
	writeFile(t, pp, buf)
	err = m3.LoadWeights(pp)
	require.ErrorIs(t, err, errkind.NonFinite)
	requireSameBits(t, tr.model.Params.Data, m3.Params.Data)
}

// TestLoadModel: the model of a checkpoint comes back with its activation
// and parameters bit for bit, and the metadata ReadCheckpointInfo reports;
// a weights file is not a checkpoint.
func TestLoadModel(t *testing.T) {
	cfg := smallConfig("st")
	cfg.LeakyReLU = true
	require.Equal(t, nn.LeakyReLU, cfg.Activation())
	require.Equal(t, nn.ReLU, smallConfig("st").Activation())
	tr := newTestTrainer(t, cfg, 20, 0)
	for range 4 {
		_, err := tr.Step()
		require.NoError(t, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.safetensors")
	require.NoError(t, tr.Save(path))
	m, info, err := LoadModel(path)
	require.NoError(t, err)
	require.Equal(t, nn.LeakyReLU, m.Act)
	require.Equal(t, [2]int{4, 2}, [2]int{m.C, m.L})
	requireSameBits(t, tr.model.Params.Data, m.Params.Data)
	want, err := ReadCheckpointInfo(path)
	require.NoError(t, err)
	require.Equal(t, want, info)
	require.Equal(t, 4, info.Step)
	require.Equal(t, 1, info.Epoch) // 3 steps per epoch over 20 images

	pw := filepath.Join(dir, "w.safetensors")
	require.NoError(t, tr.model.SaveWeights(pw))
	_, _, err = LoadModel(pw)
	require.ErrorIs(t, err, ErrCheckpoint)
	require.ErrorContains(t, err, "vae.LoadModel")
	_, _, err = LoadModel(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestSafetensorsLayout(t *testing.T) {
	ts := []stTensor{{"a", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}}, {"b", []int{1}, []float32{-7}}}
	buf, err := encodeSafetensors(ts, map[string]string{"k": "v"}, true)
	require.NoError(t, err)
	// 8-byte little-endian header length, header padded to 8 bytes, data after.
	hl := int(buf[0]) | int(buf[1])<<8 | int(buf[2])<<16
	require.Zero(t, hl%8)
	require.Equal(t, 8+hl+4*7, len(buf))
	require.Contains(t, string(buf[8:8+hl]), `"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}`)
	out, meta, err := decodeSafetensors(buf, true)
	require.NoError(t, err)
	require.Equal(t, "v", meta["k"])
	require.Equal(t, ts[0].Data, out["a"].Data)
	require.Equal(t, []int{1}, out["b"].Shape)
	_, err = encodeSafetensors([]stTensor{{"a", []int{2}, []float32{1}}}, nil, false)
	require.Error(t, err)
	_, err = encodeSafetensors([]stTensor{ts[1], ts[1]}, nil, false)
	require.Error(t, err)
	// Without a checksum, a reader that needs one refuses the file.
	buf, err = encodeSafetensors(ts, nil, false)
	require.NoError(t, err)
	_, _, err = decodeSafetensors(buf, true)
	require.ErrorContains(t, err, "no checksum_sha256")
}
