#!/usr/bin/env python3
"""PyTorch twin of `go run ./fidelity/earlykl`: trains the reference VAE for
a few steps from many seeds and prints the KL term of the last step per seed
and how many seeds collapsed (KL within 0.2% of L log C).

  python3 fidelity/early_kl.py --method reinmax --tau 1.3 --seeds 80 --steps 60 --data DIR
"""
import argparse, math, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--method", default="reinmax")
ap.add_argument("--tau", type=float, default=1.3)
ap.add_argument("--lr", type=float, default=5e-4)
ap.add_argument("--seeds", type=int, default=80)
ap.add_argument("--steps", type=int, default=60)
ap.add_argument("--data", default=R.DEFAULT_DATA)
a = ap.parse_args()
torch.set_num_threads(1)
train_x, _ = R.load_mnist(a.data)
vals = []
for seed in range(a.seeds):
    torch.manual_seed(seed)
    model = R.VAE(4, 8, R.Estimator(a.method, tau=a.tau))
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    perm = torch.randperm(train_x.shape[0])
    for s in range(a.steps):
        bce, kld, _ = model(train_x[perm[s * 100:(s + 1) * 100]])
        opt.zero_grad()
        (bce + kld).backward()
        opt.step()
    vals.append(kld.item())
    print("seed %d kld %.4f" % (seed, vals[-1]), flush=True)
n = len(vals)
mean = sum(vals) / n
se = math.sqrt(max(sum(v * v for v in vals) / n - mean * mean, 0) / n)
print("mean kld after %d steps %.3f ± %.3f (standard error), collapsed %d of %d" % (
    a.steps, mean, se, sum(v > 0.998 * 4 * math.log(8) for v in vals), n))
