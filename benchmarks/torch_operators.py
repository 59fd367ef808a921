"""Torch twins of the matrix-free operators (issue #12): gradient time, numpy vs torch float64 vs float32.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/torch_operators.py [--n 2000] [--m 36000] [--r 3]
        [--trials 4] [--p 0.02] [--device cpu] [--threads 1] [--sgd-steps 2000]

Builds a rank-one instance (``sp.make_instance("rank-one", n, r, m=m)``) and a completion instance
(sampling rate ``--p``), and times the batched factored gradient ``problem.gradient(x)`` of
``trials`` points through the numpy operator and through its torch twins
(``sp.operators.to_torch(op, device, dtype)``) in float64 and float32; reports the best of 5
seconds per gradient (all trials together), the ratios to numpy and the relative deviation of each
gradient from numpy's. Then the batch-one SGD step on the same rank-one operator: microseconds per
trial-step for the numpy, numba and torch backends of ``sp.sgd`` (``--sgd-steps`` steps).
torch threads are set with ``--threads`` (numpy's BLAS with ``OMP_NUM_THREADS``).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import spurious as sp
from _timing import best
from spurious.core._problems import least_squares


def gradient_times(kind: str, n: int, r: int, trials: int, device: str, **size) -> list[dict]:
    inst = sp.make_instance(kind, n, r, seed=0, **size)
    op = inst.operator
    x = sp.init.gaussian(n, r, trials, seed=1) / np.sqrt(n)
    ref_prob = least_squares(op, inst.z)
    ref = ref_prob.gradient(x)
    t_ref = best(lambda: ref_prob.gradient(x), 5, warmup=True)
    rows = [{"kind": kind, "m": op.m, "backend": "numpy", "dtype": "float64", "grad_s": t_ref}]
    for dtype in ("float64", "float32"):
        prob = least_squares(sp.operators.to_torch(op, device=device, dtype=dtype), inst.z)
        g = prob.gradient(x)
        rows.append(
            {
                "kind": kind,
                "m": op.m,
                "backend": f"torch {device}",
                "dtype": dtype,
                "grad_s": best(lambda p=prob: p.gradient(x), 5, warmup=True),
                "rel_dev": float(np.max(np.abs(g - ref)) / np.max(np.abs(ref))),
            }
        )
    return rows


def sgd_times(n: int, m: int, r: int, trials: int, steps: int, device: str) -> list[dict]:
    """Microseconds per trial-step of batch-one SGD on the rank-one operator (diagnostics excluded)."""
    from spurious.solvers import _prng, _sgd_kernels
    from spurious.solvers._sgd_numpy import advance_numpy
    from spurious.solvers._torch_backend import sgd_torch

    op = sp.operators.quadratic_sensing(m, n, rng=0)
    b = np.ones(m)
    x0 = 0.1 * np.random.default_rng(0).standard_normal((trials, n, r)) / np.sqrt(n)
    lr, beta, coef = 1e-9, 0.9, 4.0

    def state():
        return x0.copy(), np.zeros_like(x0), _prng.seed_states(0, np.arange(trials)), np.ones(trials, bool)

    def numpy_run(k):
        x, v, s, alive = state()
        advance_numpy(op, b, x, v, s, k, lr, beta, coef, 0.0, alive, np.zeros(trials, np.int64))

    def numba_run(k):
        x, v, s, alive = state()
        _sgd_kernels.sgd_momentum_rank_one(op.a, b, x, v, s, k, lr, beta, coef, 0.0, alive, np.zeros(trials, np.int64))

    def torch_run(k):
        x, _, s, _ = state()
        sgd_torch(op, b, x, s, [k], lr=lr, beta=beta, coef=coef, device=device)

    rows = []
    # numba last: its parallel threads may keep spinning after a call and slow what runs next
    for name, f in ((f"torch {device}", torch_run), ("numpy", numpy_run), ("numba", numba_run)):
        f(2)  # compile / warm up
        t = time.perf_counter()
        f(steps)
        rows.append({"backend": name, "us_per_trial_step": 1e6 * (time.perf_counter() - t) / (steps * trials)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--m", type=int, default=36_000)
    ap.add_argument("--r", type=int, default=3)
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--p", type=float, default=0.02)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sgd-steps", type=int, default=2000)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, threads {args.threads}")
    print(f"# n = {args.n}, r = {args.r}, trials = {args.trials}; gradient of f = ‖A(xxᵀ) − b‖², best of 5")
    rows = gradient_times("rank-one", args.n, args.r, args.trials, args.device, m=args.m)
    rows += gradient_times("completion", args.n, args.r, args.trials, args.device, p=args.p)
    base = {row["kind"]: row["grad_s"] for row in rows if row["backend"] == "numpy"}
    print(f"{'kind':<11} {'m':>8} {'backend':<11} {'dtype':<8} {'grad (ms)':>10} {'vs numpy':>9} {'rel. dev.':>10}")
    for row in rows:
        dev = f"{row['rel_dev']:.1e}" if "rel_dev" in row else "—"
        print(
            f"{row['kind']:<11} {row['m']:>8} {row['backend']:<11} {row['dtype']:<8} {1e3 * row['grad_s']:>10.2f} "
            f"{base[row['kind']] / row['grad_s']:>8.2f}× {dev:>10}"
        )
    print(f"\n# batch-one SGD on the rank-one operator, {args.sgd_steps} steps × {args.trials} trials")
    for row in sgd_times(args.n, args.m, args.r, args.trials, args.sgd_steps, args.device):
        print(f"{row['backend']:<11} {row['us_per_trial_step']:>8.2f} µs per trial-step")


if __name__ == "__main__":
    main()
