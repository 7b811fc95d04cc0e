package kernels

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// CPUFeatures lists the SIMD features of this CPU that matter to the
// kernels' choice of implementation, e.g. "SSE4 AVX AVX2 FMA3 AVX512F".
func CPUFeatures() string {
	var fs []string
	for _, f := range []cpuid.FeatureID{cpuid.SSE4, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.ASIMD} {
		if cpuid.CPU.Supports(f) {
			fs = append(fs, f.String())
		}
	}
	return strings.Join(fs, " ")
}
