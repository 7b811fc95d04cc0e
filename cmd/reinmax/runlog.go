package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// Files of a run directory.
const (
	metricsFile    = "metrics.jsonl"
	summaryFile    = "summary.json"
	checkpointFile = "checkpoint.safetensors"
	lossPlotFile   = "loss.png"
)

// epochRecord is one line of metrics.jsonl (and of train's stdout): the
// per-epoch losses of spec §4.5 with the wall time.
type epochRecord struct {
	Epoch        int     `json:"epoch"`
	Step         int     `json:"step"`
	TrainLoss    float64 `json:"train_loss"`
	TrainBCE     float64 `json:"train_bce"`
	TrainKLD     float64 `json:"train_kld"`
	TestLoss     float64 `json:"test_loss"`
	TestBCE      float64 `json:"test_bce"`
	TestKLD      float64 `json:"test_kld"`
	Seconds      float64 `json:"seconds"`
	TrainSeconds float64 `json:"train_seconds"`
}

func recordOf(s vae.EpochStats) epochRecord {
	return epochRecord{Epoch: s.Epoch, Step: s.Step, TrainLoss: s.TrainLoss, TrainBCE: s.TrainBCE, TrainKLD: s.TrainKLD,
		TestLoss: s.TestLoss, TestBCE: s.TestBCE, TestKLD: s.TestKLD, Seconds: s.Seconds, TrainSeconds: s.TrainSeconds}
}

// runSummary is summary.json, written when a run finishes.
type runSummary struct {
	Config         vae.Config    `json:"config"`
	Epochs         int           `json:"epochs"`
	Steps          int           `json:"steps"`
	Final          epochRecord   `json:"final"`
	BestTestLoss   float64       `json:"best_test_loss"`
	BestTestEpoch  int           `json:"best_test_epoch"`
	TrainSeconds   float64       `json:"train_seconds"`
	TotalSeconds   float64       `json:"total_seconds"`
	StepsPerSecond float64       `json:"steps_per_second"`
	Curve          []epochRecord `json:"curve"`
	Version        string        `json:"version"`
	Revision       string        `json:"revision"`
	GoVersion      string        `json:"go_version"`
	CPU            string        `json:"cpu"`
	Kernels        string        `json:"kernels"`
	Finished       time.Time     `json:"finished"`
}

func summarize(cfg vae.Config, recs []epochRecord) runSummary {
	v, rev := buildVersion()
	s := runSummary{Config: cfg, Epochs: len(recs), Curve: recs, Version: v, Revision: rev,
		GoVersion: runtime.Version(), CPU: cpuid.CPU.BrandName, Kernels: kernels.Active(), Finished: time.Now().UTC()}
	for _, r := range recs {
		s.TrainSeconds += r.TrainSeconds
		s.TotalSeconds += r.Seconds
		if s.BestTestEpoch == 0 || r.TestLoss < s.BestTestLoss {
			s.BestTestLoss, s.BestTestEpoch = r.TestLoss, r.Epoch
		}
	}
	if len(recs) > 0 {
		s.Final = recs[len(recs)-1]
		s.Steps = s.Final.Step
	}
	if s.TrainSeconds > 0 {
		s.StepsPerSecond = float64(s.Steps) / s.TrainSeconds
	}
	return s
}

// readMetrics reads a run's metrics.jsonl (missing file: no records) and
// keeps the records of epochs 1..upto, in order. Lines past upto belong to
// epochs whose checkpoint was never written (a crash between the two
// writes), so resuming redoes them.
func readMetrics(dir string, upto int) ([]epochRecord, error) {
	path := filepath.Join(dir, metricsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []epochRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r epochRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, line, err)
		}
		if r.Epoch == len(recs)+1 && r.Epoch <= upto {
			recs = append(recs, r)
		}
	}
	if len(recs) != upto {
		return nil, fmt.Errorf("%s holds %d consecutive epochs but the checkpoint is at epoch %d", path, len(recs), upto)
	}
	return recs, nil
}

// writeMetrics rewrites metrics.jsonl atomically with recs.
func writeMetrics(dir string, recs []epochRecord) error {
	var buf bytes.Buffer
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return writeFileAtomic(filepath.Join(dir, metricsFile), buf.Bytes())
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}
