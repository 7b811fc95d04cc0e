#!/usr/bin/env python3
"""Times numpy's float32 matmul (the BLAS numpy loaded, OpenBLAS on Debian
with libopenblas0-pthread) at the VAE's SGEMM shapes, as a peer for
`reinmax bench -filter '^sgemm/'`. bench/summary.sh runs it once per thread
count:

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/blas_sgemm.py --threads 1
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/blas_sgemm.py --threads 2

Each product is stored as `nn.Linear` stores it, W as [out, in], and numpy
passes the transposed views to SGEMM as transposition flags:
  LAYER.fwd  m x n x k = batch x out x in:   Y  = X @ W.T
  LAYER.dW   m x n x k = out x in x batch:   dW = dY.T @ X
  LAYER.dx   m x n x k = batch x in x out:   dX = dY @ W
into a preallocated output (np.matmul(..., out=C)). Operands are uniform in
[-1, 1). --shapes takes the names of `reinmax bench -list -filter
'^sgemm/.*/gonum/t1$'` (sgemm/enc1.fwd/100x512x784/gonum/t1) or "enc1.fwd:100x512x784".

Per shape: a calibration that doubles the calls until one sample takes
--mintime seconds, then the median of --samples samples. One JSON object per
line: product, m, n, k, threads, ns_per_op, gflops, numpy, blas_core,
blas_config. The result is checked against float64 first (relative error
under 1e-5), since some OpenBLAS kernel sets are wrong on some processors.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import numpy as np

# The 17 products of the 8x4 VAE at batch 100 (bench.gemmShapes).
DEFAULT_SHAPES = [
    "enc1.fwd:100x512x784", "enc1.dW:512x784x100",
    "enc2.fwd:100x256x512", "enc2.dW:256x512x100", "enc2.dx:100x512x256",
    "enc3.fwd:100x32x256", "enc3.dW:32x256x100", "enc3.dx:100x256x32",
    "dec1.fwd:100x256x32", "dec1.dW:256x32x100", "dec1.dx:100x32x256",
    "dec2.fwd:100x512x256", "dec2.dW:512x256x100", "dec2.dx:100x256x512",
    "dec3.fwd:100x784x512", "dec3.dW:784x512x100", "dec3.dx:100x512x784",
]


def parse_shape(s):
    """enc1.fwd:100x512x784 or sgemm/enc1.fwd/100x512x784/IMPL/tT -> (product, m, n, k)."""
    s = s.strip()
    if s.startswith("sgemm/"):
        parts = s.split("/")
        name, dims = parts[1], parts[2]
    else:
        name, _, dims = s.partition(":")
    m, n, k = (int(v) for v in dims.split("x"))
    return name, m, n, k


def openblas():
    """(library, core name, config) of the OpenBLAS this process mapped."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({l.split()[-1] for l in f if "openblas" in l.lower() and "/" in l})
    except OSError:
        paths = []
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib, lib.openblas_get_corename().decode(), lib.openblas_get_config().decode()
        except (OSError, AttributeError):
            continue
    return None, "", ""


def operands(form, m, n, k, rng):
    """(A, B) views with A @ B = the product, stored as nn.Linear stores them."""
    u = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)
    if form == "fwd":   # X [batch, in] @ W[out, in].T
        return u(m, k), u(n, k).T
    if form == "dW":    # dY[batch, out].T @ X[batch, in]
        return u(k, m).T, u(k, n)
    return u(m, k), u(k, n)  # dx: dY[batch, out] @ W[out, in]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OPENBLAS_NUM_THREADS", "1")),
                    help="OpenBLAS threads (set OPENBLAS_NUM_THREADS to the same; default: it, else 1)")
    ap.add_argument("--shapes", default=",".join(DEFAULT_SHAPES), help="comma-separated NAME:MxNxK or sgemm case names")
    ap.add_argument("--mintime", type=float, default=0.04, help="least seconds per sample")
    ap.add_argument("--samples", type=int, default=5)
    args = ap.parse_args()

    lib, core, config = openblas()
    if lib is not None:
        lib.openblas_set_num_threads(args.threads)
    else:
        print("warning: numpy did not load OpenBLAS; --threads is not applied", file=sys.stderr)
    rng = np.random.default_rng(1)
    for s in [x for x in args.shapes.split(",") if x.strip()]:
        name, m, n, k = parse_shape(s)
        a, b = operands(name.rsplit(".", 1)[-1], m, n, k, rng)
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=c)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        err = float(np.abs(c - ref).max() / np.abs(ref).max())
        if not err < 1e-5:
            sys.exit(f"{name}: relative error {err:.3g} against float64: this BLAS kernel set ({core}) is wrong here")
        calls = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(calls):
                np.matmul(a, b, out=c)
            d = time.perf_counter() - t0
            if d >= args.mintime or calls >= 1 << 24:
                break
            calls = max(calls + 1, min(100 * calls, int(calls * 1.2 * args.mintime / max(d, 1e-9))))
            if d >= args.mintime / 2:
                break
        ts = []
        for _ in range(args.samples):
            t0 = time.perf_counter()
            for _ in range(calls):
                np.matmul(a, b, out=c)
            ts.append((time.perf_counter() - t0) / calls)
        med = statistics.median(ts)
        print(json.dumps({"product": name, "m": m, "n": n, "k": k, "threads": args.threads,
                          "ns_per_op": med * 1e9, "gflops": 2.0 * m * n * k / med / 1e9,
                          "samples": args.samples, "min_time_s": args.mintime, "iterations": calls,
                          "numpy": np.__version__, "blas_core": core, "blas_config": config}), flush=True)


if __name__ == "__main__":
    main()
