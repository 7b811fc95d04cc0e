package bench

import (
	"runtime"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
)

// Environment is the machine and build a benchmark ran on (the
// "environment" of the JSON that `reinmax bench -json` writes).
type Environment struct {
	Module     string   `json:"module_version"`
	Revision   string   `json:"revision"`
	GoVersion  string   `json:"go_version"`
	GOOS       string   `json:"goos"`
	GOARCH     string   `json:"goarch"`
	CPU        string   `json:"cpu"`
	X64Level   int      `json:"x86_64_level,omitempty"`
	NumCPU     int      `json:"num_cpu"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	Features   string   `json:"simd"`
	Kernels    string   `json:"kernels"`
	Available  []string `json:"kernels_available"`
	GemmBlock  [5]int   `json:"gemm_blocking"` // mr, nr, kc, mc, nc
	Started    string   `json:"started"`
}

// ReportOptions are the options of the `reinmax bench` run that wrote a
// Report.
type ReportOptions struct {
	Quick     bool   `json:"quick"`
	Threads   []int  `json:"threads"`
	Filter    string `json:"filter,omitempty"`
	MinTimeNs int64  `json:"min_time_ns"`
	Samples   int    `json:"samples"`
	DataDir   string `json:"data_dir,omitempty"`
}

// Report is the JSON file that `reinmax bench -json` writes: the
// environment, the options, a core check before and after the cases, and
// the results.
type Report struct {
	Environment Environment   `json:"environment"`
	Options     ReportOptions `json:"options"`
	CoresBefore CoreCheck     `json:"cores_before"`
	CoresAfter  CoreCheck     `json:"cores_after"`
	Results     []Result      `json:"results"`
}

// CurrentEnvironment describes this machine and build, started now.
func CurrentEnvironment() Environment {
	v, rev := experiment.ModuleVersion()
	e := Environment{
		Module: v, Revision: rev,
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPU: cpuid.CPU.BrandName, NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Features: kernels.CPUFeatures(), Kernels: kernels.Active(), Available: kernels.Available(),
		Started: time.Now().UTC().Format(time.RFC3339),
	}
	if runtime.GOARCH == "amd64" {
		e.X64Level = cpuid.CPU.X64Level()
	}
	mr, nr, kc, mc, nc := kernels.GemmBlocking()
	e.GemmBlock = [5]int{mr, nr, kc, mc, nc}
	return e
}
