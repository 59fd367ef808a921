"""Benchmark: the full bhojanapalli2016 Fig. 1 phase grid (4,000 GD runs), runnable alone.

    OMP_NUM_THREADS=1 python benchmarks/phase.py [--workers 2] [--scaling-trials 4] [--skip-scaling]

Measures, in one run:

1. the wall time of the full grid (n = 100, m = 100 … 2,000 step 100, r = 1 … 10,
   10 trials, random and SVD init, ≤ 1,000 GD iterations) with ``--workers`` processes,
   one chunk per trial, through :func:`spurious.studies.bhojanapalli2016.phase_chunk`
   (prefix-shared operator, runs of all m, r and inits batched, converged runs dropped,
   float32);
   Wall time depends on what else runs on the machine; CPU seconds summed over the chunks
   do not (much), and CPU/workers is the wall time of an idle machine;
2. the naive per-m sketch on a subset: for one trial and a few m, the 20 (r, init) runs
   of that m alone, float64, all 1,000 iterations, with the m-row operator (the same
   kernel restricted to one m: no prefix sharing, no dropping); its CPU time per iteration
   is fitted as ``a + b·m`` and extrapolated to the grid (10 trials × 20 m × 1,000
   iterations);
3. worker scaling: the first ``--scaling-trials`` trials with 1 and with 2 workers, and
   whether both give identical results.

Prints a JSON object (and the markdown lines for BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd

from spurious.core._linalg import svec
from spurious.solvers._phase_gd import prefix_gd
from spurious.studies import bhojanapalli2016 as B


def _chunk(args):
    params, chunk, seed = args
    t0 = time.process_time()
    df = B.phase_chunk(params, chunk, seed)
    return df, time.process_time() - t0


def run_grid(params: dict, trials: list[int], workers: int, seed: int) -> tuple[pd.DataFrame, float, float]:
    """Results, wall seconds, and CPU seconds summed over the chunks (load-independent)."""
    jobs = [(params, f"trial-{t}", seed) for t in trials]
    t0 = time.perf_counter()
    if workers == 1:
        outs = [_chunk(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            outs = list(ex.map(_chunk, jobs))
    wall = time.perf_counter() - t0
    return pd.concat([o[0] for o in outs], ignore_index=True), wall, sum(o[1] for o in outs)


def _emit(key: str, value) -> None:
    print(json.dumps({key: value}, default=float), flush=True)


def naive_rate(params: dict, seed: int, ms=(500, 1000, 2000), iters: int = 30) -> dict:
    """CPU seconds per GD iteration of one m's 20 (r, init) runs, float64, no sharing: fitted ``a + b·m``."""
    n, ranks = params["n"], params["ranks"]
    k = max(ranks)
    A, truths, starts = B.phase_instance(params, 0, seed)
    stars = np.array([z @ z.T for z in truths])
    b = np.array([A @ svec(X) for X in stars])
    times = []
    for m in ms:
        x0, lr, tr = [], [], []
        for g, (r, z, u0) in enumerate(zip(ranks, truths, starts, strict=True)):
            sig = B.phase_sigma1(A, b[g], [m])
            for init in params["inits"]:
                x = np.zeros((n, k))
                x[:, :r] = u0 if init == "random" else B.svd_start(A, b[g], z, m)
                x0.append(x)
                lr.append(params["lr_factor"] / sig[0])
                tr.append(g)
        Am = np.ascontiguousarray(A[:m])
        t0 = time.process_time()
        prefix_gd(Am, b[:, :m], stars, np.array(x0), np.full(len(x0), m), np.array(tr), np.array(lr), steps=iters)
        times.append((time.process_time() - t0) / (iters + 1))
    slope, intercept = np.polyfit(np.array(ms, dtype=float), np.array(times), 1)
    total = params["trials"] * params["steps"] * sum(intercept + slope * m for m in params["ms"])
    return {"ms": list(ms), "sec_per_iter": times, "fit_a": intercept, "fit_b": slope, "extrapolated_s": total}


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "")
    except OSError:
        model = platform.processor()
    return f"{model}, {os.cpu_count()} CPUs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scaling-trials", type=int, default=4)
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    params = B.phase_params(quick=False)
    out: dict = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": os.getloadavg()[0],
        "workers": args.workers,
    }

    _emit("setup", out)
    df, wall, cpu = run_grid(params, list(range(params["trials"])), args.workers, args.seed)
    prob = df.groupby(["init", "r", "m"], as_index=False).success.mean()
    grid = {
        "wall_s": wall,
        "cpu_s": cpu,
        "runs": len(df),
        "gd_iterations": int(df.nit.sum()),
        "m50": {init: B._m50(prob[prob.init == init]) for init in params["inits"]},
        "success_rate": df.groupby("init").success.mean().to_dict(),
        "load_after": os.getloadavg()[0],
    }
    out["full_grid"] = grid
    _emit("full_grid", grid)

    naive = naive_rate(params, args.seed)
    naive["speedup_cpu"] = naive["extrapolated_s"] / cpu
    out["naive"] = naive
    _emit("naive", naive)

    if not args.skip_scaling:
        trials = list(range(args.scaling_trials))
        d1, t1, c1 = run_grid(params, trials, 1, args.seed)
        d2, t2, c2 = run_grid(params, trials, 2, args.seed)
        key = ["trial", "m", "r", "init"]
        same = d1.sort_values(key).reset_index(drop=True).equals(d2.sort_values(key).reset_index(drop=True))
        out["scaling"] = {
            "trials": len(trials),
            "one_worker_s": t1,
            "two_workers_s": t2,
            "speedup": t1 / t2,
            "cpu_one_s": c1,
            "cpu_two_s": c2,
            "identical_results": bool(same),
            "load_after": os.getloadavg()[0],
        }
        _emit("scaling", out["scaling"])
    print(json.dumps(out, indent=2, default=float))


if __name__ == "__main__":
    main()
