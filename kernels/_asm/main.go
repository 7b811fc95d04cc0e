// Command _asm writes the generated amd64 assembly of package kernels and
// its Go declarations from the descriptions in this directory (avo, a
// separate module so that the kernels do not depend on it):
//
//	go generate ./kernels/...
//
// runs it once per topic, the file that -out names (kernels/gen.go). Each kernel is described once,
// in Go, for the vector ISAs it runs on (isa); the output is checked in,
// and CI checks that running the generator again changes nothing.
package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/mmcloughlin/avo/build"
)

// topics are the generated files by topic: the kernels each one holds.
var topics = map[string]func(){
	"elementwise": func() { elementwise(avx2); adam(avx512); radam(avx512) },
	"xoshiro":     func() { xoshiro(avx2); xoshiro(avx512vl) },
	"gemm": func() {
		gemmTile(tileAVX2, false)
		gemmTileIdx(tileAVX2)
		gemmTile(tileAVX2, true)
		gemmTilePack(tileAVX2)
		nonzeroBits(avx2)
		gemmTile(tileAVX512, false)
		gemmTileIdx(tileAVX512)
		gemmTilePack(tileAVX512)
		gemmTilePackT(tileAVX512)
	},
	"pack":       func() { transpose8(avx2) },
	"sigmoidbce": func() { bce(avx2); bce(avx512) },
	"condgumbel": func() { cgAvgJ(); avgJac(); cgLogits(avx2); cgLogits(avx512) },
	"cglanes":    func() { cgLanes(avx2); cgLanes(avx512) },
	"rows": func() {
		softmaxRows()
		softmaxSample8()
		softmaxCols()
		sampleRows()
		negLogRows(avx2)
		negLogFloatsAVX2()
		softmaxRowsAVX512()
		softmax8AVX512()
		negLogRows(avx512)
		negLogFloatsAVX512()
	},
}

func main() {
	// A run that failed after avo emptied its stubs file would make the
	// package fail to load the next time: an empty .go file is never valid
	// Go, so remove any that the kernels directory holds first.
	if files, _ := filepath.Glob("../*.go"); files != nil {
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil && fi.Size() == 0 {
				os.Remove(f)
			}
		}
	}
	topic := strings.TrimSuffix(filepath.Base(flagValue(os.Args[1:], "out")), "_amd64.s")
	describe, ok := topics[topic]
	if !ok {
		fmt.Fprintf(os.Stderr, "_asm: -out names topic %q; want TOPIC_amd64.s with TOPIC one of %s\n", topic, strings.Join(slices.Sorted(maps.Keys(topics)), ", "))
		os.Exit(2)
	}
	Package("github.com/discretegrad/reinmax/kernels")
	ConstraintExpr("!purego,!noasm")
	describe()
	Generate()
}

// flagValue is the value of flag -name in args. The arguments are read by
// hand: avo's flags create their files when parsed, and the package must
// be loaded (build.Package) before its stubs file is emptied.
func flagValue(args []string, name string) string {
	for i, a := range args {
		switch {
		case (a == "-"+name || a == "--"+name) && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "-"+name+"="):
			return strings.TrimPrefix(a, "-"+name+"=")
		}
	}
	return ""
}
