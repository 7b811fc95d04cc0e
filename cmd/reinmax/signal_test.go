package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discretegrad/reinmax/vae"
	"github.com/stretchr/testify/require"
)

// TestMain lets a test re-run this binary as the reinmax command, so that
// signals can be sent to a real process.
func TestMain(m *testing.M) {
	if args := os.Getenv("REINMAX_TEST_MAIN"); args != "" {
		os.Exit(realMain(strings.Fields(args), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestInterruptWritesCheckpoint sends SIGINT to a training process, then
// requires exit status 130, a loadable checkpoint, and a resume that ends
// with the same losses as a run that was never interrupted.
func TestInterruptWritesCheckpoint(t *testing.T) {
	data := synthMNIST(t, 2000, 20)
	out := t.TempDir()
	args := "train -data " + data + " -method reinmax-rao -K 20 -batch 10 -epochs 3 -seed 9 -threads 1 -out " + out
	c := startChild(t, args, filepath.Join(out, "config.json"))
	time.Sleep(50 * time.Millisecond)
	stderr := c.interrupt(t, 1)
	require.Contains(t, stderr, "checkpoint")
	_, err := os.Stat(filepath.Join(out, checkpointFile))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(out, summaryFile))
	require.True(t, os.IsNotExist(err), "an interrupted run has no summary")

	code, _, errOut := run("train", "-data", data, "-out", out, "-resume", "-epochs", "3", "-quiet", "-threads", "2")
	require.Equal(t, 0, code, errOut)
	full := t.TempDir()
	code, _, errOut = run(append(strings.Fields(args), "-out", full, "-quiet")...)
	require.Equal(t, 0, code, errOut)
	want, got := readRecords(t, full), readRecords(t, out)
	require.Len(t, got, 3)
	for i := range want {
		sameLosses(t, want[i], got[i])
	}
}

// TestSecondSignalExitsAtOnce sends two SIGINTs in quick succession during
// a slow step: the second makes the process exit at once with status 130,
// and whatever it leaves behind is whole (a checkpoint, if any, loads; every
// metrics line is complete JSON).
func TestSecondSignalExitsAtOnce(t *testing.T) {
	data := synthMNIST(t, 1000, 20)
	out := t.TempDir()
	// 64×8 reinmax-rao on batches of 500: a step takes far longer than the
	// gap between the two signals.
	args := "train -data " + data + " -method reinmax-rao -C 64 -L 8 -batch 500 -epochs 50 -seed 3 -threads 1 -out " + out
	c := startChild(t, args, filepath.Join(out, "config.json"))
	time.Sleep(300 * time.Millisecond)
	require.Contains(t, c.interrupt(t, 2), "second signal: exiting now")

	if _, err := os.Stat(filepath.Join(out, checkpointFile)); err == nil {
		_, err := vae.CheckpointConfig(filepath.Join(out, checkpointFile))
		require.NoError(t, err, "a checkpoint left behind must load")
	}
	if raw, err := os.ReadFile(filepath.Join(out, metricsFile)); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			if line != "" {
				require.True(t, json.Valid([]byte(line)), "torn metrics line %q", line)
			}
		}
	}
}

// childRun is a reinmax command running in a child process (this test
// binary, see TestMain), so that it can receive real signals.
type childRun struct {
	cmd    *exec.Cmd
	stderr syncBuffer
}

// startChild starts "reinmax args" and waits until the file ready exists
// (a run's config.json is written just before its first step).
func startChild(t *testing.T, args, ready string) *childRun {
	t.Helper()
	c := &childRun{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	c.cmd.Env = append(os.Environ(), "REINMAX_TEST_MAIN="+args)
	c.cmd.Stderr = &c.stderr
	require.NoError(t, c.cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			return c
		}
		require.True(t, time.Now().Before(deadline), "the run never started: %s", c.stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
}

// interrupt sends the child n SIGINTs, 5 ms apart, requires exit status
// 130 and returns what the child wrote to stderr.
func (c *childRun) interrupt(t *testing.T, n int) string {
	t.Helper()
	for i := range n {
		if i > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		require.NoError(t, c.cmd.Process.Signal(syscall.SIGINT))
	}
	err := c.cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "want a non-zero exit, got %v; stderr: %s", err, c.stderr.String())
	require.Equal(t, 130, exit.ExitCode(), c.stderr.String())
	return c.stderr.String()
}
