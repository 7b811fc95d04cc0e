package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/internal/faultpoint"
)

// The fault-injection tests run the reinmax command in a child process (this
// test binary, see TestMain) and stop it at a named point of the
// run-directory protocol (internal/faultpoint): after a training step, at
// the start of a test pass, after a file's temporary copy is written
// ("write NAME") or after it is renamed into place ("wrote NAME"). The child
// sends itself the signal there, so every phase is hit exactly, whatever the
// machine's load.
const (
	envMain  = "REINMAX_TEST_MAIN"  // the command line of the child
	envFault = "REINMAX_TEST_FAULT" // "POINT#N:ACTION"
)

// Actions at a fault point.
const (
	actINT  = "SIGINT"
	actTERM = "SIGTERM"
	actKILL = "SIGKILL"
	actINT2 = "SIGINT2" // SIGINT, then a second SIGINT once the first is handled
)

// TestMain lets a test re-run this binary as the reinmax command.
func TestMain(m *testing.M) {
	if args := os.Getenv(envMain); args != "" {
		if f := os.Getenv(envFault); f != "" {
			installFault(f)
		}
		os.Exit(realMain(strings.Fields(args), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// installFault makes the child stop itself at the N-th time it reaches
// POINT. A SIGINT or SIGTERM returns only once the signal handler has
// cancelled the run, so what follows is the program's reaction to it.
func installFault(spec string) {
	at, action, _ := strings.Cut(spec, ":")
	point, nth, _ := strings.Cut(at, "#")
	n, err := strconv.Atoi(nth)
	if err != nil {
		panic("bad " + envFault + ": " + spec)
	}
	handled := make(chan struct{})
	onFirstSignal = func() { close(handled) }
	var mu sync.Mutex
	seen := 0
	faultpoint.Hook = func(name string) {
		mu.Lock()
		defer mu.Unlock()
		if name != point {
			return
		}
		if seen++; seen != n {
			return
		}
		fmt.Fprintf(os.Stderr, "fault: %s at %s#%d\n", action, point, n)
		self := os.Getpid()
		switch action {
		case actKILL:
			syscall.Kill(self, syscall.SIGKILL)
			select {}
		case actINT, actTERM, actINT2:
			sig := syscall.SIGINT
			if action == actTERM {
				sig = syscall.SIGTERM
			}
			syscall.Kill(self, sig)
			<-handled
			if action == actINT2 {
				syscall.Kill(self, syscall.SIGINT)
				select {} // the handler exits at once
			}
		}
	}
}

// child runs "reinmax args" in a child process with the fault spec and
// returns its exit status (-1 when killed by a signal) and stderr.
func child(t *testing.T, args []string, fault string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envMain+"="+strings.Join(args, " "), envFault+"="+fault)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String()
	}
	t.Fatalf("running the child: %v", err)
	return 0, ""
}

// faultPoints lists the points a run of the given epochs and steps per
// epoch reaches, each with its occurrence: every step, every test pass and
// every write of every file.
func faultPoints(epochs, steps int) []string {
	var ps []string
	add := func(name string, n int) { ps = append(ps, fmt.Sprintf("%s#%d", name, n)) }
	file := func(name string, n int) { add("write "+name, n); add("wrote "+name, n) }
	file(experiment.CheckpointFile, 1) // the step-0 checkpoint
	file(experiment.ConfigFile, 1)
	for e := 1; e <= epochs; e++ {
		for s := 1; s <= steps; s++ {
			add("step", (e-1)*steps+s) // s == steps: in the epoch's last step
		}
		add("test pass", e)
		file(experiment.MetricsFile, e)
		file(experiment.CheckpointFile, e+1)
	}
	file(experiment.LossPlotFile, 1)
	file(experiment.SummaryFile, 1)
	return ps
}

// faultCampaign interrupts a small training run at every fault point with
// every action, and checks after each trial that the run directory is
// consistent, that resuming (or, when nothing was written, starting) the
// run completes, and that the final checkpoint's bytes and the records equal
// those of a run that never stopped. It returns the number of trials.
func faultCampaign(t *testing.T, method string, epochs, steps int, actions []string) int {
	const batch = 10
	data := synthMNIST(t, steps*batch, 20)
	args := []string{"train", "-data", data, "-method", method, "-C", "4", "-L", "3", "-K", "5", "-batch",
		strconv.Itoa(batch), "-epochs", strconv.Itoa(epochs), "-seed", "7", "-threads", "1", "-quiet"}
	ref := t.TempDir()
	code, _, stderr := run(append(args, "-out", ref)...)
	require.Equal(t, 0, code, stderr)
	wantCkpt, err := os.ReadFile(filepath.Join(ref, experiment.CheckpointFile))
	require.NoError(t, err)
	wantRecs := readRecords(t, ref)

	trials := 0
	for i, point := range faultPoints(epochs, steps) {
		for j, action := range actions {
			if testing.Short() && (i+j)%len(actions) != 0 {
				continue // one action per point, rotating
			}
			trials++
			name := point + ":" + action
			out := filepath.Join(t.TempDir(), "run")
			code, stderr := child(t, append(args, "-out", out), name)
			require.Contains(t, stderr, "fault: "+action, "%s: the fault point was not reached", name)
			switch action {
			case actKILL:
				require.Equal(t, -1, code, "%s: %s", name, stderr)
			case actINT2:
				require.Equal(t, 130, code, "%s: %s", name, stderr)
				require.Contains(t, stderr, "second signal: exiting now", name)
			default:
				// 0 when the signal came once the last epoch was recorded.
				require.Contains(t, []int{0, 130}, code, "%s: %s", name, stderr)
			}
			st, err := experiment.Inspect(out)
			require.NoError(t, err, name)
			require.NoError(t, st.Check(), "%s: records and checkpoint disagree", name)
			if code == 0 {
				require.NotNil(t, st.Summary, "%s: exit 0 without a summary", name)
			}
			if code == 130 && action != actINT2 {
				require.Nil(t, st.Summary, "%s: an interrupted run has no summary", name)
			}

			again := append(args, "-out", out)
			if st.Checkpoint != nil {
				again = append(again, "-resume")
			} else {
				require.True(t, st.Empty(), "%s: files without a checkpoint: %v", name, st.Files)
			}
			code, _, stderr = run(again...)
			require.Equal(t, 0, code, "%s: %s", name, stderr)
			got, err := os.ReadFile(filepath.Join(out, experiment.CheckpointFile))
			require.NoError(t, err, name)
			require.True(t, bytes.Equal(wantCkpt, got), "%s: the final checkpoint differs from an uninterrupted run's", name)
			recs := readRecords(t, out)
			require.Len(t, recs, len(wantRecs), name)
			for k := range recs {
				sameLosses(t, wantRecs[k], recs[k])
			}
			ents, err := os.ReadDir(out)
			require.NoError(t, err)
			for _, e := range ents {
				require.False(t, atomicfile.IsTemp(e.Name()), "%s: temporary file %s left behind", name, e.Name())
			}
		}
	}
	return trials
}

// TestFaultInjection is the short campaign run by the test suite: 2 epochs
// of 3 steps, every point with all four actions (one per point with -short).
func TestFaultInjection(t *testing.T) {
	n := faultCampaign(t, "reinmax-rao", 2, 3, []string{actINT, actTERM, actKILL, actINT2})
	t.Logf("%d trials, 0 failures", n)
}

// TestFaultInjectionLong is the release check (REINMAX_FAULT_LONG=1): 3
// epochs of 4 steps, two estimators, every point with all four actions.
func TestFaultInjectionLong(t *testing.T) {
	if os.Getenv("REINMAX_FAULT_LONG") == "" {
		t.Skip("the release check; set REINMAX_FAULT_LONG=1")
	}
	n := 0
	for _, method := range []string{"reinmax-rao", "gs"} {
		n += faultCampaign(t, method, 3, 4, []string{actINT, actTERM, actKILL, actINT2})
	}
	t.Logf("%d trials, 0 failures", n)
}
