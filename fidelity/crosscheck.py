#!/usr/bin/env python3
"""Replays training steps of the Go VAE in the PyTorch reference with the
same initial weights, batches and sampled codes D (written by
`go run ./fidelity/dump -out DIR`), and compares (1) the losses and every
parameter gradient of the first step and (2) the losses of every step.

  python3 fidelity/crosscheck.py DIR

Needs python3-torch and python3-numpy (Debian); reads fidelity/reference.py
beside this file. Exits 1 if a tolerance is exceeded.
"""
import json, os, struct, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402


def load_safetensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header, data = json.loads(b[8:8 + n]), b[8 + n:]
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        lo, hi = v["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[lo:hi], dtype=np.float32).reshape(v["shape"]).copy())
    return out


def main(d):
    dump = json.load(open(os.path.join(d, "steps.json")))
    cfg = dump["config"]
    # Keys are lower case since v0.1.0; older dumps used the Go field names.
    est_cfg = {k.lower(): v for k, v in cfg["estimator"].items()}
    torch.set_num_threads(1)
    est = R.Estimator(est_cfg["method"], tau=est_cfg["tau"], alpha=est_cfg["alpha"] or 1.0, eta=est_cfg["eta"],
                      tau2=est_cfg["tau2"] or None, repeats=est_cfg["k"] or 100, gap=est_cfg["gap"] or 1.0,
                      cv_noise=est_cfg["noise"] or "softmax")
    if est_cfg["method"] not in ("st", "reinmax", "gst", "reinforce", "exact"):
        print("note: only the sampled code D is replayed; methods that draw extra noise in the backward "
              "(gr, reinmax-rao, reinmax-cv, gs) will not match step for step")
    model = R.VAE(cfg["l"], cfg["c"], est)
    model.load_state_dict(load_safetensors(os.path.join(d, "weights0.safetensors")))
    train_x, _ = R.load_mnist(dump["data"])
    opt_cls = torch.optim.Adam if cfg["optimizer"] == "adam" else torch.optim.RAdam
    opt = opt_cls(model.parameters(), lr=cfg["lr"])
    code = {}
    R.torch.multinomial = lambda pi, n, replacement=True: code["idx"].view(-1, 1)
    worst_loss, ok = 0.0, True
    for s, rec in enumerate(dump["steps"]):
        x = train_x[torch.tensor(rec["indices"], dtype=torch.long)]
        code["idx"] = torch.tensor(rec["code"], dtype=torch.long)
        bce, kld, _ = model(x)
        loss = bce + kld
        opt.zero_grad()
        loss.backward()
        if s == 0:
            print("step 1: loss torch %.6f go %.6f | bce %.6f %.6f | kld %.6f %.6f" % (
                loss.item(), rec["loss"], bce.item(), rec["bce"], kld.item(), rec["kld"]))
            g = np.fromfile(os.path.join(d, "grad0.bin"), dtype=np.float32)
            params, off = dict(model.named_parameters()), 0
            for name in dump["names"]:
                p = params[name]
                n = p.numel()
                go = g[off:off + n].reshape(tuple(p.shape))
                off += n
                t = p.grad.numpy()
                rel = float(np.abs(go - t).max() / (np.abs(t).max() + 1e-30))
                print("  grad %-20s max|go-torch|/max|torch| %.2e" % (name, rel))
                ok &= rel < 1e-4
        opt.step()
        rel = abs(loss.item() - rec["loss"]) / abs(rec["loss"])
        worst_loss = max(worst_loss, rel)
        if s % 10 == 0 or s == len(dump["steps"]) - 1:
            print("step %3d: loss torch %.4f go %.4f (kld %.4f / %.4f)" % (s + 1, loss.item(), rec["loss"], kld.item(), rec["kld"]))
    print("worst relative loss difference over %d steps: %.2e" % (len(dump["steps"]), worst_loss))
    ok &= worst_loss < 1e-3
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
