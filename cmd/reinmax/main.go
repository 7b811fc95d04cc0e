// Command reinmax trains categorical VAEs on MNIST with the gradient
// estimators of this module and runs the kernel checks and benchmarks.
//
// Usage:
//
//	reinmax <command> [flags]
//
// Commands: train, sample, sweep, report, gradstat, poly, bench, version,
// selfcheck, help. `reinmax help <command>` or `reinmax <command> -h` prints
// that command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"

	"github.com/discretegrad/reinmax/kernels"
)

// command is one subcommand: its name, a one-line summary and its runner.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train the categorical VAE on MNIST with one estimator", runTrain},
		{"sweep", "run a grid of training runs (methods x configs x seeds x hyper-parameters), resumable and shardable", runSweep},
		{"report", "aggregate a sweep directory into the paper-style table and plots", runReport},
		{"sample", "write a PNG of test images, reconstructions and prior samples from a checkpoint", runSample},
		{"version", "print module, Go, CPU and kernel versions", runVersion},
		{"selfcheck", "check the active kernels against their pure-Go twins", runSelfcheck},
		{"gradstat", "gradient bias, variance and cosine of estimators against the exact gradient", runGradstat},
		{"poly", "the polynomial-programming toy task with every estimator", runPoly},
		{"bench", "measure kernels, estimators and training steps on this machine", runBench},
	}
}

// errUsage marks a usage error (exit status 2); the flag set has already
// printed its usage line.
var errUsage = errors.New("usage error")

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "-version" || name == "--version" {
		name, args = "version", []string{"version"}
	}
	if name == "help" || name == "-h" || name == "--help" {
		if len(args) > 1 {
			return realMain([]string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var help *helpRequest
		switch {
		case errors.As(err, &help):
			help.fs.SetOutput(stdout)
			help.fs.Usage()
			return 0
		case err == nil || errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.Is(err, errInterrupted):
			return 130
		default:
			fmt.Fprintf(stderr, "reinmax %s: %s\n", name, userMessage(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "reinmax: unknown command %q\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: reinmax <command> [flags]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "run 'reinmax help <command>' for a command's flags")
}

// newFlagSet returns a flag set that reports errors instead of exiting;
// its output is stderr, where errors go (help goes to stdout, see
// helpRequest).
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: reinmax %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// helpRequest is returned by parseFlags for -h: realMain prints the flag
// set's usage on stdout and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return flag.ErrHelp.Error() }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

// parseFlags parses args; a bad flag prints one error line and where to
// find the usage, and returns errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the flag package would print the whole usage
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return &helpRequest{fs}
	case err != nil:
		return usageErr(fs, "%v", err)
	case fs.NArg() > 0:
		return usageErr(fs, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// usageErr prints msg (as userMessage) and where to find the usage, and
// returns errUsage.
func usageErr(fs *flag.FlagSet, format string, a ...any) error {
	fmt.Fprintf(fs.Output(), "reinmax %s: %s\nrun 'reinmax %s -h' for usage\n", fs.Name(),
		userMessage(fmt.Sprintf(format, a...)), fs.Name())
	return errUsage
}

// libraryPrefix matches the package-qualified names that library errors
// start with ("vae.Config: ", "estimators.New: "), and sentinelSuffix the
// error category they end with; neither helps a person at a terminal.
var (
	libraryPrefix  = regexp.MustCompile(`\b[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*: `)
	sentinelSuffix = regexp.MustCompile(`: (bad argument|bad shape|bad temperature)$`)
)

// userMessage is an error message as a command prints it.
func userMessage(msg string) string {
	return sentinelSuffix.ReplaceAllString(libraryPrefix.ReplaceAllString(msg, ""), "")
}

// newWorkspace returns a workspace of the given --threads value, 0 meaning
// GOMAXPROCS (the flags' documented default).
func newWorkspace(threads int) *kernels.Workspace {
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return kernels.NewWorkspace(threads)
}
