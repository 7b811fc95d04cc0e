#!/usr/bin/env python3
"""Compares the first epochs of Go runs with reference.py runs.

  python3 fidelity/table.py EPOCHS REF_GLOB GO_GLOB

REF_GLOB matches reference.py's stdout files (JSON lines), GO_GLOB the Go
runs' metrics.jsonl files. For every epoch up to EPOCHS it prints the
reference's min..max over its seeds for train and test loss, each Go seed's
value, and whether it lies inside that spread. Plain Python, no torch.
"""
import glob, json, sys


def curves(pattern):
    out = {}
    for path in sorted(glob.glob(pattern)):
        recs = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
        out[path] = {r["epoch"]: r for r in recs if "epoch" in r}
    return out


def main(epochs, ref_glob, go_glob):
    ref, go = curves(ref_glob), curves(go_glob)
    if not ref or not go:
        sys.exit("no files matched")
    print("| epoch | metric | reference min..max (%d seeds) | Go (%d seeds) | inside |" % (len(ref), len(go)))
    print("|---|---|---|---|---|")
    inside_all = True
    for e in range(1, epochs + 1):
        for key in ("train_loss", "test_loss"):
            vals = [c[e][key] for c in ref.values()]
            lo, hi = min(vals), max(vals)
            gv = [c[e][key] for c in go.values()]
            inside = [lo <= v <= hi for v in gv]
            inside_all &= all(inside)
            print("| %d | %s | %.2f..%.2f | %s | %d/%d |" % (e, key, lo, hi, ", ".join("%.2f" % v for v in gv),
                                                         sum(inside), len(inside)))
    return 0 if inside_all else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
