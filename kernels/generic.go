package kernels

// genericImpl holds the pure-Go twins of every assembly routine. It is
// compiled on every platform, fills every field of the table but the
// optional fused GEMM kernels (the driver then packs B before the tiles),
// and is the reference every other table is tested against.
var genericImpl = &impl{
	name: "generic", w: 1,

	mr: gemmGenericMR, nr: gemmGenericNR, kc: gemmGenericKC,
	gemm: gemmGeneric, gemmIdx: gemmIdxGeneric,
	nonzero: nonzeroBitsGeneric, transpose8: transpose8Generic,

	softmax: softmaxRowsGeneric, sample: sampleRowsGeneric, softmaxSample: softmaxSampleGeneric,
	negLog: negLogGeneric, negLogF: negLogNormalsGeneric, xoshiro: xoshiro8Generic,

	cgAvgJ: cgAvgJGeneric, cgLogits: cgLogitsGeneric, cgLanes: cgLanesGeneric, avgJac: avgJacGeneric,

	bce: bceGeneric, adam: adamGeneric, radam: radamGeneric, finite: finiteGeneric,
	addBias: addBiasGeneric, sumRows: sumRowsGeneric, relu: reluGeneric, reluBackward: reluBackwardGeneric,
}
