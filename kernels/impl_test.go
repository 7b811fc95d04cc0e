package kernels

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// fusedGEMM names the only table fields that may be nil: the fused GEMM
// kernels, whose presence is what the driver chooses its B packing by
// (gemm.go).
var fusedGEMM = []string{"gemmPack", "gemmPackT", "gemmPF"}

// wantFused pins the fused GEMM kernels of each table, so that one dropped
// from a table fails here (the driver would silently pack B first, and
// every bit test would still pass).
var wantFused = map[string][]string{
	"generic": nil,
	"avx2":    {"gemmPack", "gemmPF"},
	"avx512":  {"gemmPack", "gemmPackT"},
	"neon":    nil,
}

// TestTables checks what the dispatch relies on. Every table built for
// this architecture (registered or not) sets every field, but for the
// fused GEMM kernels, which are pinned per table: the drivers call the
// fields without nil checks, and a kernel left out of a table cannot
// silently fall back to a Go twin. And every table this CPU runs is in
// impls, in archTables' order (best first), with generic last, so that
// the tests ranging over impls compare each of them with the generic one.
func TestTables(t *testing.T) {
	var all, run []*impl
	for _, at := range archTables() {
		all = append(all, at.im)
		if at.run {
			run = append(run, at.im)
		} else {
			t.Logf("%s: this CPU (or GODEBUG) does not run it, so it is not tested against generic here", at.im.name)
		}
	}
	all = append(all, genericImpl)
	run = append(run, genericImpl)
	require.Equal(t, tableNames(run), tableNames(impls))
	for i := range run {
		require.Same(t, run[i], impls[i], "impls[%d]", i)
	}
	require.Same(t, impls[0], current(), "the best table is active at start-up (tests restore what they Use)")

	seen := map[string]bool{}
	for _, im := range all {
		require.NotEmpty(t, im.name)
		require.False(t, seen[im.name], "two tables named %q", im.name)
		seen[im.name] = true
		v := reflect.ValueOf(im).Elem()
		var fused []string
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			switch f.Kind() {
			case reflect.Func:
				if slices.Contains(fusedGEMM, name) {
					if !f.IsNil() {
						fused = append(fused, name)
					}
					continue
				}
				require.False(t, f.IsNil(), "table %s: field %s is nil", im.name, name)
			case reflect.Int:
				require.Positive(t, f.Int(), "table %s: field %s", im.name, name)
			case reflect.String:
			default:
				t.Fatalf("table %s: field %s of kind %v is not checked; extend this test", im.name, name, f.Kind())
			}
		}
		want, ok := wantFused[im.name]
		require.True(t, ok, "table %s: list its fused GEMM kernels in wantFused", im.name)
		require.Equal(t, want, fused, "table %s: fused GEMM kernels", im.name)
	}
	require.Equal(t, 1, genericImpl.w)
}

func tableNames(ims []*impl) []string {
	names := make([]string, len(ims))
	for i, im := range ims {
		names[i] = im.name
	}
	return names
}
