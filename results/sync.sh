#!/bin/sh
# Copies the small files (config, metrics, summary; never checkpoints) of the
# finished runs of a sweep directory into results/<grid>/, so that a long
# sweep's outcome is kept in the repository as each run ends.
# Usage: results/sync.sh SWEEP_DIR results/8x4
set -eu
src=$1 dst=$2
mkdir -p "$dst"
cp "$src/sweep.json" "$dst/"
for run in "$src"/*/; do
	name=$(basename "$run")
	[ -f "$run/summary.json" ] || continue
	mkdir -p "$dst/$name"
	cp "$run/config.json" "$run/metrics.jsonl" "$run/summary.json" "$dst/$name/"
done
