package experiment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// EpochRecord is one line of metrics.jsonl: the losses of one epoch and its
// wall time.
type EpochRecord struct {
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
	// Collapsed reports posterior collapse after the epoch (see
	// IsCollapsed); nil in records written before it was measured.
	Collapsed *bool `json:"collapsed,omitempty"`
}

// collapseSlack is how far below its maximum, log C nats per latent, the
// test KL of a collapsed run may be: a latent whose posterior puts 99.9%
// of its mass on one category has an entropy of about 0.008 nats.
// legacySlack is the stricter bound used for records written before the
// one-code test existed, where the KL alone decides: a collapsed run sits
// within 1e-4 nats of the maximum, while well-trained 8×4 runs come within
// 0.05 nats per latent of it.
const (
	collapseSlack = 0.01
	legacySlack   = 0.001
)

// RecordOf converts the trainer's epoch statistics of a run of cfg into a
// record, with the collapse test.
func RecordOf(s vae.EpochStats, cfg vae.Config) EpochRecord {
	r := EpochRecord{Epoch: s.Epoch, Step: s.Step, TrainLoss: s.TrainLoss, TrainBCE: s.TrainBCE, TrainKLD: s.TrainKLD,
		TestLoss: s.TestLoss, TestBCE: s.TestBCE, TestKLD: s.TestKLD, Seconds: s.Seconds, TrainSeconds: s.TrainSeconds}
	if s.HasTest {
		c := s.TestOneCode && oneHotKL(s.TestKLD, cfg.C, cfg.L, collapseSlack)
		r.Collapsed = &c
	}
	return r
}

// oneHotKL reports whether a mean KL to the uniform prior is within slack
// nats per latent of its maximum L·log C.
func oneHotKL(kld float64, c, l int, slack float64) bool {
	return kld >= float64(l)*(math.Log(float64(c))-slack)
}

// IsCollapsed reports whether the run of C categories and L latents had
// collapsed after this epoch: its encoder gave every test image the same
// most probable code, with every latent's posterior one-hot (test KL
// within 0.01 nats per latent of L·log C). The decoder then sees one code
// and learns only the mean image (test loss about 214 on MNIST), and the
// encoder's gradient is tiny; some runs stay there, others leave it after
// a few epochs (CollapsedEpoch counts only a collapse that lasts to the
// end). For a record written before the test was measured, the KL alone
// decides, within 0.001 nats per latent.
func (r EpochRecord) IsCollapsed(c, l int) bool {
	if r.Collapsed != nil {
		return *r.Collapsed
	}
	return oneHotKL(r.TestKLD, c, l, legacySlack)
}

// Summary is summary.json, written when a run reaches its epochs.
type Summary struct {
	Config         vae.Config    `json:"config"`
	Epochs         int           `json:"epochs"`
	Steps          int           `json:"steps"`
	Final          EpochRecord   `json:"final"`
	BestTestLoss   float64       `json:"best_test_loss"`
	BestTestEpoch  int           `json:"best_test_epoch"`
	TrainSeconds   float64       `json:"train_seconds"`
	TotalSeconds   float64       `json:"total_seconds"`
	StepsPerSecond float64       `json:"steps_per_second"`
	Curve          []EpochRecord `json:"curve"`
	// CollapsedEpoch is the first epoch after which the run had collapsed
	// (EpochRecord.IsCollapsed) and stayed so; 0 when it had not.
	CollapsedEpoch int       `json:"collapsed_epoch"`
	Version        string    `json:"version"`
	Revision       string    `json:"revision"`
	GoVersion      string    `json:"go_version"`
	CPU            string    `json:"cpu"`
	Kernels        string    `json:"kernels"`
	Finished       time.Time `json:"finished"`
}

// Summarize builds the summary of a run of cfg whose records are recs.
func Summarize(cfg vae.Config, recs []EpochRecord) Summary {
	v, rev := ModuleVersion()
	s := Summary{Config: cfg, Epochs: len(recs), Curve: recs, Version: v, Revision: rev,
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
	s.CollapsedEpoch = CollapsedEpoch(recs, cfg.C, cfg.L)
	if s.TrainSeconds > 0 {
		s.StepsPerSecond = float64(s.Steps) / s.TrainSeconds
	}
	return s
}

// CollapsedEpoch returns the first epoch from which every record of recs
// shows collapse (IsCollapsed), or 0 when the last one does not.
func CollapsedEpoch(recs []EpochRecord, c, l int) int {
	first := 0
	for _, r := range recs {
		switch {
		case !r.IsCollapsed(c, l):
			first = 0
		case first == 0:
			first = r.Epoch
		}
	}
	return first
}

// CollapsedEpochs counts the epochs of recs after which the run was
// collapsed (EpochRecord.IsCollapsed), whether or not it left the collapse
// later.
func CollapsedEpochs(recs []EpochRecord, c, l int) int {
	n := 0
	for _, r := range recs {
		if r.IsCollapsed(c, l) {
			n++
		}
	}
	return n
}

// Version is this module's release. A binary built from a tagged module
// version reports the tag instead (ModuleVersion).
const Version = "v0.1.0"

// modulePath is this module's path, looked up in the build information.
const modulePath = "github.com/discretegrad/reinmax"

// ModuleVersion returns this module's version and VCS revision as the
// running binary's build information records them, whether the binary is
// this module's command or a program that imports it. A build from a
// source tree (version "(devel)") reports Version+"-devel"; the revision is
// "unknown" when the build recorded none.
func ModuleVersion() (version, revision string) {
	version, revision = Version+"-devel", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.Main.Path != modulePath {
		for _, d := range bi.Deps {
			if d.Path == modulePath && d.Version != "" && d.Version != "(devel)" {
				version = d.Version
			}
		}
		return
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		version = v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	return
}

// ReadMetrics reads a run directory's metrics.jsonl (none when the file is
// missing). The records must be epochs 1, 2, … in order, one per line;
// anything else is an error naming the file and line.
func ReadMetrics(dir string) ([]EpochRecord, error) {
	path := filepath.Join(dir, MetricsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []EpochRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r EpochRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, line, err)
		}
		if r.Epoch != len(recs)+1 {
			return nil, fmt.Errorf("%s line %d: epoch %d, want %d", path, line, r.Epoch, len(recs)+1)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return recs, nil
}

// writeMetrics replaces metrics.jsonl with recs.
func writeMetrics(dir string, recs []EpochRecord) error {
	var buf bytes.Buffer
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return atomicfile.Write(filepath.Join(dir, MetricsFile), buf.Bytes())
}

// ReadSummary reads a run directory's summary.json.
func ReadSummary(dir string) (Summary, error) {
	var s Summary
	path := filepath.Join(dir, SummaryFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("%s: %v", path, err)
	}
	return s, nil
}

// WriteJSON writes v as indented JSON to path, atomically.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'))
}
