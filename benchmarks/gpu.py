"""GPU check (issue #12): torch on CUDA vs the CPU backends — one prepared script for a lent device.

    python benchmarks/gpu.py [--device cuda] [--out DIR] [--quick]

(1) zhang2018 Example 3 SGD (lr 1e-3, momentum 0.9, grad "term", seed 0; as benchmarks/sgd.py),
    10⁶ trials × 1,000 steps: trial-steps per second of ``sp.sgd(..., backend="torch",
    device=DEVICE)`` in float64 and float32 against ``backend="numba"`` on every CPU thread, and
    the failure rates (every backend draws the same random numbers, so float64 must agree with
    numba trial by trial up to rounding: the share of trials with the same verdict is reported).
(2) Batched GD on the n = 5,000 rank-one instance (r = 3, m = 45,000, ``sp.make_instance`` seed 0),
    4 random starts, 50 fixed-step iterations (lr = 1/L̂ of benchmarks/large_n.py): seconds per
    iteration of the numpy operator (BLAS on every CPU thread) against its torch twin on the device
    (``sp.operators.to_torch``) in float64 and float32, and the largest relative deviation of the
    final iterates from numpy's.

Timings are wall-clock, best of 2 after a warm-up call (CUDA kernels, numba's cache). Writes
``DIR/gpu.json`` and ``DIR/gpu.md`` (a BENCHMARKS.md section) and prints the JSON. ``--quick``
(10⁴ SGD trials, n = 500) checks the script itself in a few seconds, e.g. with ``--device cpu``.
The full run takes about 2–4 minutes on an H200 host (16 cores); budget 8.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

import spurious as sp
from _timing import best
from large_n import lipschitz

EX3 = dict(lr=1e-3, momentum=0.9, grad="term", seed=0)


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return f"{torch.cuda.get_device_name(device)} (torch {torch.__version__}, CUDA {torch.version.cuda})"
    return f"{platform.processor() or platform.machine()} (torch {torch.__version__})"


def sgd_rates(device: str, trials: int, steps: int) -> dict:
    p = sp.get_example("zhang2018-example3").instance.problem()
    runs = {
        "numba (CPU, all threads)": dict(backend="numba"),
        f"torch {device} float64": dict(backend="torch", device=device),
        f"torch {device} float32": dict(backend="torch", device=device, dtype="float32"),
    }
    out, verdicts = {}, {}
    for name, kw in runs.items():
        holder = {}

        def run(kw=kw, holder=holder):
            holder["res"] = sp.sgd(p, trials=trials, steps=steps, **kw, **EX3)

        sp.sgd(p, trials=64, steps=10, **kw, **EX3)  # warm-up: numba cache, CUDA context and kernels
        seconds = best(run, 2)
        res = holder["res"]
        verdicts[name] = res.success
        rate = res.failure_rate()
        out[name] = {
            "seconds": round(seconds, 3),
            "trial_steps_per_s": trials * steps / seconds,
            "failure_rate": rate.rate,
            "ci": [round(c, 5) for c in rate.ci],
        }
    ref = "numba (CPU, all threads)"
    for name in runs:
        out[name]["same_verdict_as_numba"] = float(np.mean(verdicts[name] == verdicts[ref]))
        out[name]["speed_vs_numba"] = out[name]["trial_steps_per_s"] / out[ref]["trial_steps_per_s"]
    return {"trials": trials, "steps": steps, "runs": out}


def gd_rates(device: str, n: int, r: int, m: int, trials: int, steps: int) -> dict:
    t0 = time.perf_counter()
    inst = sp.make_instance("rank-one", n, r, m=m, seed=0)
    build = time.perf_counter() - t0
    x0 = sp.init.gaussian(n, r, trials, seed=1)
    numpy_prob = sp.least_squares(inst.operator, inst.z, scaling="mean")
    lr = 1.0 / lipschitz("rank-one", numpy_prob.m_star, None, inst.operator.m)
    probs = {"numpy (CPU, all threads)": numpy_prob}
    for dtype in ("float64", "float32"):
        twin = sp.operators.to_torch(inst.operator, device=device, dtype=dtype)
        probs[f"torch {device} {dtype}"] = sp.least_squares(twin, inst.z, scaling="mean")
    out, ends = {}, {}
    for name, prob in probs.items():
        holder = {}

        def run(prob=prob, holder=holder):
            holder["res"] = sp.gd(prob, x0=x0, steps=steps, lr=lr)

        sp.gd(prob, x0=x0, steps=2, lr=lr)  # warm-up
        seconds = best(run, 2)
        ends[name] = holder["res"].x
        out[name] = {"seconds": round(seconds, 3), "s_per_iteration": seconds / steps}
    ref = ends["numpy (CPU, all threads)"]
    for name in probs:
        out[name]["rel_dev_from_numpy"] = float(np.max(np.abs(ends[name] - ref)) / np.max(np.abs(ref)))
        out[name]["speed_vs_numpy"] = out["numpy (CPU, all threads)"]["s_per_iteration"] / out[name]["s_per_iteration"]
    return {"n": n, "r": r, "m": m, "trials": trials, "steps": steps, "lr": lr, "build_s": round(build, 1), "runs": out}


def markdown(report: dict) -> str:
    s, g = report["sgd"], report["gd"]
    lines = [
        "## GPU (benchmarks/gpu.py)",
        "",
        f"{report['date']}, device {report['device']}; host {report['host']}, {report['cpu_threads']} CPU threads.",
        "",
        f"zhang2018 Example 3 SGD, {s['trials']:,} trials × {s['steps']:,} steps:",
        "",
        "| engine | seconds | trial-steps/s | vs numba | failure rate | same verdict as numba |",
        "|---|---|---|---|---|---|",
    ]
    for name, v in s["runs"].items():
        lines.append(
            f"| {name} | {v['seconds']:.2f} | {v['trial_steps_per_s']:.3g} | {v['speed_vs_numba']:.2f}× | "
            f"{v['failure_rate']:.4f} | {v['same_verdict_as_numba']:.4f} |"
        )
    lines += [
        "",
        f"Batched GD, rank-one n = {g['n']:,}, r = {g['r']}, m = {g['m']:,}, {g['trials']} starts × {g['steps']} "
        f"iterations (build {g['build_s']} s):",
        "",
        "| operator | s / iteration | vs numpy | max rel. deviation of the iterates from numpy |",
        "|---|---|---|---|",
    ]
    for name, v in g["runs"].items():
        lines.append(
            f"| {name} | {v['s_per_iteration']:.4f} | {v['speed_vs_numpy']:.2f}× | {v['rel_dev_from_numpy']:.1e} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    ap.add_argument("--quick", action="store_true", help="10⁴ SGD trials, n = 500: checks the script")
    args = ap.parse_args()
    sgd_size = (10_000, 1000) if args.quick else (1_000_000, 1000)
    gd_size = (500, 3, 4500, 4, 10) if args.quick else (5000, 3, 45_000, 4, 50)
    report = {
        "date": datetime.date.today().isoformat(),
        "device": device_name(args.device),
        "host": f"{platform.node()} {platform.machine()}, numpy {np.__version__}",
        "cpu_threads": os.cpu_count(),
        "sgd": sgd_rates(args.device, *sgd_size),
        "gd": gd_rates(args.device, *gd_size),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "gpu.md").write_text(markdown(report))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
