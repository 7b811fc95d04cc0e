package estimators_test

import (
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// The golden test vectors (testdata/estimators.json, made with the bwd_*
// functions of fidelity/reference.py; see testdata/README.md for the
// format).

type goldenParams struct {
	Tau   float64 `json:"tau"`
	Gap   float64 `json:"gap"`
	Alpha float64 `json:"alpha"`
	Eta   float64 `json:"eta"`
	Tau2  float64 `json:"tau2"`
	Noise string  `json:"noise"`
}

type goldenCase struct {
	ID        string        `json:"id"`
	Estimator string        `json:"estimator"`
	Params    goldenParams  `json:"params"`
	N         int           `json:"N"`
	C         int           `json:"C"`
	K         int           `json:"K"`
	Theta     [][]float64   `json:"theta"`
	Index     []int32       `json:"index"`
	G         [][]float64   `json:"G"`
	E         [][][]float64 `json:"E"`
	FD        []float64     `json:"f_D"`
	Gv        [][]float64   `json:"g"`
	GP        [][]float64   `json:"g_p"`
	Grad64    [][]float64   `json:"grad64"`
	Grad32    [][]float64   `json:"grad32"`
}

// goldenExpect is one "expectations" entry; the E_* arrays stay in Extra.
type goldenExpect struct {
	ID     string        `json:"id"`
	Kind   string        `json:"kind"`
	Theta  [][]float64   `json:"theta"`
	Q      [][][]float64 `json:"Q"`
	B      [][]float64   `json:"b"`
	F      [][]float64   `json:"F"`
	Exact  [][]float64   `json:"exact"`
	P      float64       `json:"p"`
	Target float64       `json:"target"`
	Scale  float64       `json:"scale"`
	L      int           `json:"L"`
	C      int           `json:"C"`
	Fcode  []float64     `json:"f"`
	Value  float64       `json:"value"`
	Extra  map[string][][]float64
}

type goldenFile struct {
	Meta struct {
		Tolerance struct {
			Abs float64 `json:"abs"`
			Rel float64 `json:"rel"`
		} `json:"tolerance"`
		K int `json:"K"`
		N int `json:"N"`
	} `json:"meta"`
	Cases        []goldenCase      `json:"cases"`
	Expectations []json.RawMessage `json:"expectations"`
	expects      []goldenExpect
}

var (
	goldenOnce sync.Once
	golden     goldenFile
	goldenErr  error
)

func loadGolden(t testing.TB) *goldenFile {
	t.Helper()
	goldenOnce.Do(func() {
		var raw []byte
		raw, goldenErr = os.ReadFile("testdata/estimators.json")
		if goldenErr != nil {
			return
		}
		if goldenErr = json.Unmarshal(raw, &golden); goldenErr != nil {
			return
		}
		for _, r := range golden.Expectations {
			var ex goldenExpect
			if goldenErr = json.Unmarshal(r, &ex); goldenErr != nil {
				return
			}
			var all map[string]json.RawMessage
			if goldenErr = json.Unmarshal(r, &all); goldenErr != nil {
				return
			}
			ex.Extra = map[string][][]float64{}
			for k, v := range all {
				if len(k) > 2 && k[:2] == "E_" {
					var m [][]float64
					if goldenErr = json.Unmarshal(v, &m); goldenErr != nil {
						return
					}
					ex.Extra[k] = m
				}
			}
			golden.expects = append(golden.expects, ex)
		}
	})
	require.NoError(t, goldenErr)
	require.NotEmpty(t, golden.Cases)
	return &golden
}

func (g *goldenFile) expect(t testing.TB, id string) *goldenExpect {
	t.Helper()
	for i := range g.expects {
		if g.expects[i].ID == id {
			return &g.expects[i]
		}
	}
	t.Fatalf("golden expectation %q not found", id)
	return nil
}

// flat32 flattens a [N][C] array into float32 (lossless: inputs are float32 values).
func flat32(x [][]float64) []float32 {
	if x == nil {
		return nil
	}
	var out []float32
	for _, row := range x {
		for _, v := range row {
			out = append(out, float32(v))
		}
	}
	return out
}

func flat64(x [][]float64) []float64 {
	var out []float64
	for _, row := range x {
		out = append(out, row...)
	}
	return out
}

// transposeE turns the golden [N][C][K] noise into the [N][K][C] layout of BackwardWithNoise.
func transposeE(e [][][]float64) []float32 {
	if e == nil {
		return nil
	}
	var out []float32
	for _, row := range e {
		C, K := len(row), len(row[0])
		for k := range K {
			for c := range C {
				out = append(out, float32(row[c][k]))
			}
		}
	}
	return out
}

// configOf builds the estimator configuration of a golden case.
func configOf(c *goldenCase) estimators.Config {
	cfg := estimators.Config{Method: estimators.Method(c.Estimator), Tau: c.Params.Tau, K: c.K, Alpha: c.Params.Alpha,
		Eta: c.Params.Eta, Tau2: c.Params.Tau2, Noise: c.Params.Noise, Gap: c.Params.Gap}
	if cfg.Tau == 0 { // reinforce has no tau
		cfg.Tau = 1
	}
	return cfg
}

// runGolden evaluates a golden case with BackwardWithNoise (the real backward
// path with the case's explicit noise) on ws.
func runGolden(t testing.TB, c *goldenCase, ws *kernels.Workspace) []float32 {
	t.Helper()
	est, err := estimators.New(configOf(c), c.N, c.C)
	require.NoError(t, err, c.ID)
	if c.Estimator == "reinforce" {
		f := make([]float32, len(c.FD))
		for i, v := range c.FD {
			f[i] = float32(v)
		}
		require.NoError(t, est.SetRowLoss(f), c.ID)
	}
	grad := make([]float32, c.N*c.C)
	err = est.BackwardWithNoise(ws, flat32(c.Theta), c.Index, flat32(c.G), transposeE(c.E), flat32(c.Gv), flat32(c.GP), grad)
	require.NoError(t, err, c.ID)
	return grad
}
