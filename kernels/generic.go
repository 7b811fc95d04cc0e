package kernels

// genericImpl holds the pure-Go twins of every assembly routine. It is
// compiled on every platform and is the reference the assembly is tested
// against.
var genericImpl = &impl{
	name: "generic", w: 1,
	mr: gemmGenericMR, nr: gemmGenericNR, kc: gemmGenericKC, gemm: gemmGeneric, gemmIdx: gemmIdxGeneric,
	softmax: softmaxRowsGeneric, sample: sampleRowsGeneric, negLog: negLogGeneric,
	softmaxSample: softmaxSampleGeneric,
}
