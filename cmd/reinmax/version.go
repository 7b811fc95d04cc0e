package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
)

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	v, rev := experiment.ModuleVersion()
	fmt.Fprintf(stdout, "reinmax %s (revision %s)\n", v, rev)
	fmt.Fprintf(stdout, "go      %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "cpu     %s (%d logical cores, x86-64 level %d)\n", cpuid.CPU.BrandName, runtime.NumCPU(), cpuid.CPU.X64Level())
	fmt.Fprintf(stdout, "simd    %s\n", kernels.CPUFeatures())
	fmt.Fprintf(stdout, "kernels %s (available: %s)\n", kernels.Active(), strings.Join(kernels.Available(), ", "))
	return nil
}
