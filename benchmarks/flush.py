"""Benchmark of SGD's flush-to-zero rule (``sgd(..., flush_below=θ)``) on long zhang2018 Example 3 runs.

Run alone, once:  .venv/bin/python benchmarks/flush.py  [--quick]

Stranded trials decay towards the invariant axis x₁ = 0 and recovered trials' second coordinate
towards 0, so long runs push entries of x and v into the float64 subnormal range. For 2,000
trials (lr 1e-3, momentum 0.9, grad "term", seed 0, numba kernel on 1 thread) and 10³ … 10⁶
steps, this measures trial-steps per CPU second in plain IEEE arithmetic (θ = 0) and with
θ = 1e-90, the ratio, how many final entries of the plain run are subnormal, and whether the
two runs give every trial the same success flag and error. Prints a Markdown table (the rows
recorded in BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from sgd import machine  # benchmarks/sgd.py (this script's folder is on sys.path)
from spurious.core._examples import get_example
from spurious.solvers._sgd import sgd

EX3 = dict(lr=1e-3, momentum=0.9, grad="term", seed=0, workers=1)
THETA = 1e-90
TINY = np.finfo(np.float64).tiny  # smallest normal float64


def timed(problem, trials: int, steps: int, theta: float):
    t0 = time.process_time()
    res = sgd(problem, trials=trials, steps=steps, flush_below=theta, **EX3)
    return res, time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10³ … 10⁵ steps only (a smoke run)")
    ap.add_argument("--trials", type=int, default=2_000)
    args = ap.parse_args()
    p = get_example("zhang2018-example3").instance.problem()
    sgd(p, trials=16, steps=10, flush_below=THETA, **EX3)  # compile / load the cached kernel
    T = args.trials
    print(f"{machine()}; load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print()
    print(
        "| steps | plain: trial-steps/s | flush θ = 1e-90: trial-steps/s | speed-up | subnormal entries "
        "of the plain x | same success | max \\|Δ error\\| | failure rate |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for steps in (1_000, 10_000, 100_000) + (() if args.quick else (1_000_000,)):
        plain, tp = timed(p, T, steps, 0.0)
        flush, tf = timed(p, T, steps, THETA)
        sub = int(np.sum((plain.x != 0) & (np.abs(plain.x) < TINY)))
        same = bool(np.array_equal(plain.success, flush.success))
        gap = float(np.max(np.abs(plain.distance - flush.distance)))
        fail = 1.0 - float(np.mean(flush.success))
        print(
            f"| {steps:,} | {T * steps / tp:.3g} | {T * steps / tf:.3g} | {tp / tf:.2f}× | {sub:,} of "
            f"{plain.x.size:,} | {same} | {gap:.1e} | {100 * fail:.2f} % |",
            flush=True,
        )


if __name__ == "__main__":
    main()
