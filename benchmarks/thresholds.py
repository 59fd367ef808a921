"""Benchmark: the reduced threshold program (span[x z], lifted) vs the generic full-dimensional one.

Runnable alone: ``python benchmarks/thresholds.py [--sizes 6,8,10,12] [--ranks 1,2] [--large 1000,2000]``.
Same random instances ``(x, z)`` (standard Gaussian, seeded), same run, cvxpy + Clarabel for both:

* ``delta_soc`` (LMI (10) of zhang2018) by the reduced path and by the full-dimensional
  program (``reduce=False``): times, ratio and ``|Δδ|``;
* the reduced path's time at large ``n`` (``delta_soc`` and ``delta_foc`` programs);
* a full counterexample instance (the ``N`` matrices ``A_i``, re-verified) at n = 12;
* the price of a margin: ``δ_soc`` with ``M(H) ⪰ μI`` (strict local minimum) at Example 3's
  geometry ``x = (0, 1/√2)``, ``z = (1, 0)``.

Prints a Markdown table (the rows recorded in BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from spurious.landscape._counterexample import counterexample
from spurious.landscape._thresholds import threshold_program


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _ints(text: str) -> list[int]:
    return [int(t) for t in text.split(",") if t]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="6,8,10,12", help="n of the reduced-vs-full comparison")
    p.add_argument("--ranks", default="1,2", help="ranks r of the comparison")
    p.add_argument("--large", default="1000,2000", help="n of the reduced-path timings")
    p.add_argument("--margins", default="0,0.05,0.1,0.2,0.3,0.5,0.7,0.9", help="μ of the margin table")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    threshold_program(rng.standard_normal((3, 1)), rng.standard_normal((3, 1)))  # import cvxpy once

    print(f"machine: {platform.processor() or platform.machine()}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    print()
    print("| n | r | reduced (s) | full (s) | ratio | δ_soc reduced | \\|Δδ\\| | statuses |")
    print("|---|---|---|---|---|---|---|---|")
    for r in _ints(args.ranks):
        for n in _ints(args.sizes):
            x, z = rng.standard_normal((n, r)), rng.standard_normal((n, r))
            t_red, a = _timed(lambda x=x, z=z: threshold_program(x, z), repeat=5)
            t_full, b = _timed(lambda x=x, z=z: threshold_program(x, z, reduce=False))
            print(
                f"| {n} | {r} | {t_red:.4f} | {t_full:.2f} | {t_full / t_red:.0f}× | {a.delta:.9f} | "
                f"{abs(a.delta - b.delta):.1e} | {a.status}/{b.status} |",
                flush=True,
            )
    print()
    print("| n | r | δ_soc program (s) | δ_foc program (s) | δ_soc | certified |")
    print("|---|---|---|---|---|---|")
    for r in _ints(args.ranks):
        for n in _ints(args.large):
            x, z = rng.standard_normal((n, r)), rng.standard_normal((n, r))
            t_soc, a = _timed(lambda x=x, z=z: threshold_program(x, z), repeat=5)
            t_foc, _ = _timed(lambda x=x, z=z: threshold_program(x, z, order="first"), repeat=5)
            print(f"| {n} | {r} | {t_soc:.4f} | {t_foc:.4f} | {a.delta:.6f} | {a.certified} |", flush=True)
    print()
    print("| counterexample n = 12 | r | time (s) | m | grad_norm | hess_min_eig | rip_full − δ |")
    print("|---|---|---|---|---|---|---|")
    for r in _ints(args.ranks):
        x, z = rng.standard_normal((12, r)), rng.standard_normal((12, r))
        t, c = _timed(lambda x=x, z=z: counterexample(x, z), repeat=5)
        v = c.verification
        print(
            f"| reduced-lifted, eigh | {r} | {t:.4f} | {c.m} | {v.grad_norm:.1e} | {v.hess_min_eig:.1e} | "
            f"{v.rip_full - c.delta:.1e} |",
            flush=True,
        )
    mus = [float(t) for t in args.margins.split(",") if t]
    if mus:
        from spurious.landscape._thresholds import margin_curve

        x3, z3 = np.array([0.0, 1.0 / np.sqrt(2.0)]), np.array([1.0, 0.0])
        d = margin_curve(x3, z3, mus)
        print()
        print("| μ (Example 3 geometry) | " + " | ".join(f"{m:g}" for m in mus) + " |")
        print("|---|" + "---|" * len(mus))
        print("| δ_soc(μ) | " + " | ".join(f"{v:.6f}" for v in d) + " |")


if __name__ == "__main__":
    main()
