#!/bin/sh
# Copies the small files (config, metrics, summary; never checkpoints) of the
# finished runs of a sweep directory into results/<grid>/, so that a long
# sweep's outcome is kept in the repository as each run ends.
# Usage: results/sync.sh SWEEP_DIR results/8x4
#
# The sweep's manifest (sweep.json) is copied too, but only while no run is
# in progress: it lists every run of the sweep, and `reinmax report` on the
# copy would list a run in progress, whose files are not copied, as not
# started.
set -eu
src=$1 dst=$2
mkdir -p "$dst"
running=
for run in "$src"/*/; do
	name=$(basename "$run")
	if [ ! -f "$run/summary.json" ]; then
		running="$running $name"
		continue
	fi
	mkdir -p "$dst/$name"
	cp "$run/config.json" "$run/metrics.jsonl" "$run/summary.json" "$dst/$name/"
done
if [ -z "$running" ]; then
	cp "$src/sweep.json" "$dst/"
else
	echo "sync.sh: runs in progress:$running; kept the previous sweep.json" >&2
fi
