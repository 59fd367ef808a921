"""Matrix-free GD at large n (issue #12): time per GD step and peak memory, rank-one and completion.

    OMP_NUM_THREADS=1 python benchmarks/matrix_free_gd.py [--n 2000] [--r 3] [--m 36000] [--trials 4] [--steps 5]

Builds an n × n rank-one instance with m measurements (``sp.make_instance``), runs ``steps`` plain GD
steps from ``trials`` Gaussian starts through the problem's batched factored gradient, and reports
build time, seconds per GD step (all trials together), the gradient alone, peak RSS and the bytes of
the operator against those of the dense m × N matrix it replaces; then the same for PSD completion at
sampling rate ``--p`` and, at a size where both run (``--small-n 100 --small-m 2000``), the matrix-free
gradient against the dense one on the same instance.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import spurious as sp
from _timing import best, peak_rss_bytes
from spurious.core._problems import least_squares


def run_kind(kind: str, n: int, r: int, trials: int, steps: int, **size) -> dict:
    t0 = time.perf_counter()
    inst = sp.make_instance(kind, n, r, seed=0, **size)
    prob = least_squares(inst.operator, inst.z, scaling="mean")
    build = time.perf_counter() - t0
    op = inst.operator
    M = prob.m_star
    L = 8.0 * (np.trace(M) + 2.0 * np.linalg.eigvalsh(M)[-1]) if kind == "rank-one" else 4.0 * np.trace(M)
    x0 = sp.init.gaussian(n, r, trials, seed=1)
    t_grad = best(lambda: prob.gradient(x0))
    t0 = time.perf_counter()
    res = sp.gd(prob, x0=x0, steps=steps, lr=0.1 / L)
    t_gd = time.perf_counter() - t0
    return {
        "kind": kind,
        "n": n,
        "r": r,
        "m": op.m,
        "trials": trials,
        "build_s": build,
        "grad_s": t_grad,
        "gd_step_s": t_gd / steps,
        "operator_bytes": op.nbytes,
        "dense_bytes": 8.0 * op.m * n * (n + 1) / 2,
        "peak_rss": peak_rss_bytes(),
        "f_final": float(np.median(res.fun)),
    }


def compare_small(n: int, r: int, m: int, trials: int) -> dict:
    inst = sp.make_instance("rank-one", n, r, m=m, seed=0)
    free = least_squares(inst.operator, inst.z)
    dense = least_squares(inst.operator.to_dense(), inst.z)
    x = sp.init.gaussian(n, r, trials, seed=1)
    g1, g2 = free.gradient(x), dense.gradient(x)
    return {
        "n": n,
        "r": r,
        "m": m,
        "trials": trials,
        "free_s": best(lambda: free.gradient(x), 5),
        "dense_s": best(lambda: dense.gradient(x), 5),
        "rel_diff": float(np.max(np.abs(g1 - g2)) / np.max(np.abs(g2))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--r", type=int, default=3)
    ap.add_argument("--m", type=int, default=36_000)
    ap.add_argument("--p", type=float, default=0.02)
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--small-n", type=int, default=100)
    ap.add_argument("--small-m", type=int, default=2000)
    args = ap.parse_args()
    print(f"# {platform.node()} {platform.processor() or platform.machine()} numpy {np.__version__}")
    s = compare_small(args.small_n, args.r, args.small_m, args.trials)
    print(
        f"small n = {s['n']}, r = {s['r']}, m = {s['m']}, T = {s['trials']}: "
        f"gradient matrix-free {s['free_s'] * 1e3:.2f} ms, "
        f"dense {s['dense_s'] * 1e3:.2f} ms, ratio {s['dense_s'] / s['free_s']:.1f}x, max rel diff {s['rel_diff']:.1e}"
    )
    for kind, size in (("rank-one", {"m": args.m}), ("completion", {"p": args.p})):
        res = run_kind(kind, args.n, args.r, args.trials, args.steps, **size)
        print(
            f"{kind}: n = {res['n']}, r = {res['r']}, m = {res['m']}, T = {res['trials']}: "
            f"build {res['build_s']:.2f} s, gradient {res['grad_s']:.3f} s, GD step {res['gd_step_s']:.3f} s, "
            f"operator {res['operator_bytes'] / 1e6:.1f} MB "
            f"(dense would be {res['dense_bytes'] / 1e9:.1f} GB), peak RSS so far {res['peak_rss'] / 1e9:.2f} GB, "
            f"median f after {args.steps} steps {res['f_final']:.4g}"
        )


if __name__ == "__main__":
    main()
