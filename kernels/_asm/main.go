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
	"os"
	"path/filepath"
	"strings"

	. "github.com/mmcloughlin/avo/build"
)

// topics are the generated files by topic: the kernels each one holds.
var topics = map[string]func(){
	"elementwise": func() { elementwise(avx2) },
	"xoshiro":     func() { xoshiro(avx2); xoshiro(avx512vl) },
	"gemmtile": func() {
		for _, t := range []tile{tileAVX2, tileAVX512} {
			gemmTile(t)
			gemmTileIdx(t)
		}
	},
}

func main() {
	topic := outTopic(os.Args[1:])
	describe, ok := topics[topic]
	if !ok {
		fmt.Fprintf(os.Stderr, "_asm: -out names topic %q; want TOPIC_amd64.s with TOPIC one of elementwise, xoshiro, gemmtile\n", topic)
		os.Exit(2)
	}
	Package("github.com/discretegrad/reinmax/kernels")
	ConstraintExpr("!purego,!noasm")
	describe()
	Generate()
}

// outTopic is the topic that the -out file names (TOPIC_amd64.s). The
// arguments are read by hand: avo's flags create their files when parsed,
// and the package must be loaded (build.Package) before its stubs file is
// emptied.
func outTopic(args []string) string {
	for i, a := range args {
		var out string
		switch {
		case (a == "-out" || a == "--out") && i+1 < len(args):
			out = args[i+1]
		case strings.HasPrefix(a, "-out="):
			out = strings.TrimPrefix(a, "-out=")
		default:
			continue
		}
		return strings.TrimSuffix(filepath.Base(out), "_amd64.s")
	}
	return ""
}
