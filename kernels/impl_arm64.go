//go:build !purego && !noasm

package kernels

import "golang.org/x/sys/cpu"

// archTables lists the assembly table of arm64 and whether this CPU runs
// it (x/sys/cpu honours GODEBUG=cpu.asimd=off).
func archTables() []archTable {
	return []archTable{{neonImpl, cpu.ARM64.HasASIMD}}
}

// neonImpl is the NEON (ASIMD) table. Each kernel's stub and assembly are
// in the _arm64.go and _arm64.s files of its topic: gemm (the micro-kernels
// and the nonzero scan), rows (softmax, sampling, -log), xoshiro,
// condgumbel (with avgJac), cglanes and elementwise (bce, adam, radam,
// finite and the layer helpers). The packing transpose and NegLog's -log
// are the Go twins.
var neonImpl = &impl{
	name: "neon", w: 4,

	mr: gemmNEONMR, nr: gemmNEONNR, kc: gemmNEONKC,
	gemm: gemmNEON, gemmIdx: gemmIdxNEON, // no fused B packing: packB packs B before the tiles
	nonzero: nonzeroBitsNEON, transpose8: transpose8Generic,

	softmax: softmaxNEON, sample: sampleNEON, softmaxSample: softmaxSampleNEON,
	negLog: negLogRowsNEON, negLogF: negLogNormalsGeneric, xoshiro: xoshiro8NEON,

	cgAvgJ: cgAvgJNEONTable, cgLogits: cgLogitsNEONTable, cgLanes: cgLanesNEON, avgJac: avgJacNEONTable,

	bce: bceNEONTable, adam: adamNEON, radam: radamNEON, finite: finiteNEON,
	addBias: addBiasNEON, sumRows: sumRowsNEON, relu: reluNEON, reluBackward: reluBackwardNEON,
}
