"""Benchmark of batched SGD with momentum (spurious.solvers.sgd); writes its section of BENCHMARKS.md.

Run alone, once:  .venv/bin/python benchmarks/sgd.py  [--quick] [--no-write]

(1) zhang2018 Example 3 (n = 2, r = 1, m = 3), 100,000 trials × 1,000 steps (lr 1e-3,
    momentum 0.9, grad "term"): trial-steps per second of
      - our numba kernel (backend "numba"), on 1 thread and on all threads;
      - a plain per-trial Python/numpy loop (timed on 1,000 trials)       — target ≥ 1,000× slower;
      - the straightforward numpy vectorization across trials (backend "numpy", the same
        random numbers; timed on 100,000 trials × 100 steps)               — target ≥ 10× slower;
      - a hand-written C loop (benchmarks/sgd_reference.c, gcc -O2, its own xoshiro256++
        numbers): the plain per-trial loop and an 8-lane interleaved loop  — target: within 3×.
(2) Gaussian sensing n = 100, r = 5, m = 1,000, 100 trials sharing one operator: full-gradient
    steps with the problem's batched gradient (SymmetricProblem.gradient: two matrix–matrix
    products per step) vs the same gradient one trial at a time — target ≥ 8×. Also: batch-one
    SGD at that size, numba kernel vs numpy vectorization (why backend "auto" is numba).

BLAS runs single-threaded (OMP_NUM_THREADS=1) so that both sides of (2) use one core. Single-thread
rates are measured in CPU time of the process (the C program reports its own CPU time), so that
other jobs on a shared machine slow them less; the all-threads rate is wall-clock.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import datetime
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from spurious.core._examples import get_example
from spurious.core._operators import gaussian as gaussian_operator
from spurious.core._problems import least_squares
from spurious.core._rng import trial_stream
from spurious.solvers._sgd import gaussian_init, sensing_data, sgd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECTION = "## SGD (benchmarks/sgd.py)"
EX3 = dict(lr=1e-3, momentum=0.9, grad="term", seed=0)


def _best(fn, repeat: int = 2, clock=time.process_time) -> float:
    """Best of ``repeat`` runs. Default clock: this process's CPU time (all its threads), which
    on a shared machine measures the work of single-threaded code without the time spent
    waiting for a core; multi-threaded rates use wall-clock time (``time.perf_counter``)."""
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def plain_loop(A: np.ndarray, b: np.ndarray, x0: np.ndarray, steps: int, lr: float, beta: float) -> np.ndarray:
    """One trial at a time, one step at a time, numpy on (n, r) arrays (indices from numpy Generators)."""
    out = np.empty_like(x0)
    m = A.shape[0]
    for t in range(x0.shape[0]):
        idx = trial_stream(0, t).integers(m, size=steps)
        x = x0[t].copy()
        v = np.zeros_like(x)
        for k in range(steps):
            Ai = A[idx[k]]
            Ax = Ai @ x
            g = 4.0 * (np.sum(x * Ax) - b[idx[k]]) * Ax
            v = beta * v + g
            x = x - lr * v
        out[t] = x
    return out


def run_c(trials: int, steps: int) -> dict | None:
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "sgd_reference"
        native = Path(tmp) / "sgd_reference_native"
        src = str(HERE / "sgd_reference.c")
        subprocess.run([gcc, "-O2", "-o", str(exe), src, "-lm"], check=True)
        subprocess.run([gcc, "-O2", "-march=native", "-o", str(native), src, "-lm"], check=True)
        for key, binary, variant in ((("plain", exe, "plain")), ("lanes", exe, "lanes"), ("native", native, "lanes")):
            secs = []
            for _ in range(2):
                res = subprocess.run([str(binary), str(trials), str(steps), variant], capture_output=True, text=True)
                _, _, sec, fails = res.stdout.split()
                secs.append(float(sec))
            out[key] = (trials * steps / min(secs), int(fails) / trials)
    out["gcc"] = subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return out


def bench_example3(quick: bool) -> dict:
    import numba

    p = get_example("zhang2018-example3").instance.problem()
    T, S = (20_000, 1000) if quick else (100_000, 1000)
    sgd(p, trials=16, steps=10, backend="numba", **EX3)  # compile / load the cache
    threads = numba.config.NUMBA_NUM_THREADS
    res = {}
    holder = {}

    def ours(w):
        holder["r"] = sgd(p, trials=T, steps=S, backend="numba", workers=w, **EX3)

    t1 = _best(lambda: ours(1))
    tall = _best(lambda: ours(threads), clock=time.perf_counter)
    res["ours_1"] = T * S / t1
    res["ours_all"] = T * S / tall
    res["threads"] = threads
    rate = holder["r"].failure_rate()
    res["failure_rate"], res["ci"] = rate.rate, list(rate.ci)
    res["T"], res["S"] = T, S

    A, b = sensing_data(p)
    Tp = 200 if quick else 1000
    x0 = gaussian_init(2, 1, Tp, seed=0)
    tp = _best(lambda: plain_loop(A, b, x0, S, 1e-3, 0.9), repeat=1)
    res["plain"] = Tp * S / tp
    res["plain_trials"] = Tp

    Sv = 100
    tv = _best(lambda: sgd(p, trials=T, steps=Sv, backend="numpy", **EX3), repeat=1)
    res["numpy_vec"] = T * Sv / tv
    res["numpy_steps"] = Sv

    res["c"] = run_c(T, S)
    return res


def bench_gaussian(quick: bool) -> dict:
    n, r, m, T = 100, 5, 1000, 100
    op = gaussian_operator(m, n, rng=1)
    z = np.random.default_rng(2).standard_normal((n, r))
    p = least_squares(op, z)
    x0 = gaussian_init(n, r, T, seed=3)
    steps = 5 if quick else 20
    lr = 1e-7

    def batched():
        x = x0.copy()
        for _ in range(steps):
            x -= lr * p.gradient(x)
        return x

    def one_at_a_time():
        x = x0.copy()
        for t in range(T):
            for _ in range(steps):
                x[t] -= lr * p.gradient(x[t])
        return x

    xb = batched()
    xs = one_at_a_time()
    rel = float(np.max(np.abs(xb - xs)) / np.max(np.abs(xs)))
    ratios, tbs, tss = [], [], []
    for _ in range(1 if quick else 3):  # interleaved pairs: the ratio of each pair, then the median
        tbs.append(_best(batched))
        tss.append(_best(one_at_a_time, repeat=1))
        ratios.append(tss[-1] / tbs[-1])
    res = dict(n=n, r=r, m=m, T=T, steps=steps, batched=T * steps / min(tbs), single=T * steps / min(tss), rel=rel)
    res["ratios"] = ratios

    S = 50 if quick else 200
    kw = dict(steps=S, lr=1e-6, momentum=0.9, seed=0)
    sgd(p, trials=16, steps=2, lr=1e-6, backend="numba")
    res["sgd_numba"] = T * S / _best(lambda: sgd(p, trials=T, backend="numba", workers=1, **kw))
    res["sgd_numpy"] = T * S / _best(lambda: sgd(p, trials=T, backend="numpy", **kw), repeat=1)
    res["sgd_steps"] = S
    return res


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "lscpu unavailable"
    keep = ("Model name", "CPU(s)", "Thread(s) per core", "L2 cache", "L3 cache", "Flags")
    lines = []
    for line in out.splitlines():
        key = line.split(":")[0].strip()
        if key in keep:
            if key == "Flags":
                flags = [f for f in line.split(":", 1)[1].split() if f.startswith(("avx", "fma"))]
                line = "SIMD flags: " + " ".join(flags)
            lines.append(" ".join(line.split()))
    return "; ".join(lines)


def render(e3: dict, g: dict, quick: bool) -> str:
    import numba
    import numpy

    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    ours1, oursa = e3["ours_1"], e3["ours_all"]
    lines = [
        SECTION,
        "",
        f"Run {date}{' (--quick)' if quick else ''} on: {machine()}.",
        f"numpy {numpy.__version__}, numba {numba.__version__}. The machine has 2 cores shared with other "
        "engineers' jobs at the time of the run (load average "
        f"{os.getloadavg()[0]:.1f}), so rates are noisy: single-thread rates are CPU time of the process "
        "(best of 2 runs where repeated), the all-threads rate is wall-clock. "
        "No GPU was lent to this task: the torch backend was tested on CPU only and has no GPU timing here.",
        "",
        f"### (1) zhang2018 Example 3: {e3['T']:,} trials × {e3['S']:,} steps (lr 1e-3, momentum 0.9, grad term)",
        "",
        f"Failure rate of this run (seed 0): {100 * e3['failure_rate']:.2f} % [{100 * e3['ci'][0]:.2f}, "
        f"{100 * e3['ci'][1]:.2f}] % (±3σ Wilson); "
        "paper: 12.1 % (87,947 of 100,000 succeeded).",
        "",
        "| engine | trial-steps/s | our kernel (1 thread) is | target |",
        "| --- | ---: | ---: | --- |",
        f"| ours: numba kernel, 1 thread | {ours1:.3g} | 1× | |",
        f"| ours: numba kernel, {e3['threads']} threads (wall-clock, shared cores) | {oursa:.3g} | "
        f"{oursa / ours1:.2f}× its rate | |",
        f"| plain per-trial Python/numpy loop ({e3['plain_trials']:,} trials) | {e3['plain']:.3g} | "
        f"{ours1 / e3['plain']:,.0f}× faster | ≥ 1,000× |",
        f"| numpy vectorized across trials (backend numpy, {e3['numpy_steps']} steps) | {e3['numpy_vec']:.3g} | "
        f"{ours1 / e3['numpy_vec']:.1f}× faster | ≥ 10× |",
    ]
    c = e3["c"]
    if c is None:
        lines.append("| C reference | — (gcc not found) | | |")
    else:
        for variant, label, target in (
            ("plain", "-O2, plain per-trial loop", "within 3×"),
            ("lanes", "-O2, 8 trials interleaved per loop", "within 3×"),
            ("native", "-O2 -march=native, 8 trials interleaved (for information)", ""),
        ):
            rate, fr = c[variant]
            lines.append(
                f"| C reference, gcc {label}, 1 thread (failures {100 * fr:.2f} %) | {rate:.3g} | "
                f"{ours1 / rate:.2f}× the C rate | {target} |"
            )
    lines += [
        "",
        "Notes: the C loops (benchmarks/sgd_reference.c"
        + (f", {c['gcc']}" if c else "")
        + ") draw their own xoshiro256++ numbers (splitmix64-seeded), so their failure counts differ from ours "
        "by sampling only. The brief's figure of about 1.5·10⁹ trial-steps/s per core for C was not reached by "
        "either C loop on this machine at -O2; the C rates above are what this run measured. Our small-n kernel "
        "runs 16 trials per block in structure-of-arrays form (steps outer, lanes inner); every trial's "
        "arithmetic is the same bit for bit whatever the block, chunk or thread count (tests/solvers/test_sgd.py). "
        "Rates exclude numba compilation (cached on disk) but include seeding (a vectorized SeedSequence), "
        "the Gaussian initialization and the final diagnostics.",
        "",
        f"### (2) Gaussian sensing n = {g['n']}, r = {g['r']}, m = {g['m']:,}, {g['T']} trials sharing one operator",
        "",
        "| engine | trial-steps/s | ratio | target |",
        "| --- | ---: | ---: | --- |",
        f"| full gradient, batched (SymmetricProblem.gradient on (T, n, r): matrix–matrix) | {g['batched']:.3g} | "
        f"{np.median(g['ratios']):.1f}× (median of {len(g['ratios'])} paired runs: "
        f"{', '.join(f'{q:.1f}' for q in g['ratios'])}) | ≥ 8× |",
        f"| full gradient, one trial at a time (matrix–vector) | {g['single']:.3g} | 1× | |",
        f"| batch-one SGD, numba kernel (one trial per task, 1 thread, {g['sgd_steps']} steps) | "
        f"{g['sgd_numba']:.3g} | "
        f"{g['sgd_numba'] / g['sgd_numpy']:.1f}× | |",
        f"| batch-one SGD, numpy vectorized | {g['sgd_numpy']:.3g} | 1× | |",
        "",
        f"Batched and one-at-a-time iterates agree to {g['rel']:.1e} relative after {g['steps']} steps "
        "(BLAS sums in a different order). BLAS single-threaded (OMP_NUM_THREADS=1) on both sides. "
        "One trial at a time is two matrix–vector passes over the 40 MB operator per gradient (memory-bandwidth "
        "bound, so it varies with the other jobs' memory traffic); the batched gradient is two GEMMs plus the "
        "svec/smat/outer reshuffles of spurious.core._linalg (see the profile below).",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> Path:
    """Replace (or append) this benchmark's section of BENCHMARKS.md, leaving the others untouched."""
    path = ROOT / "BENCHMARKS.md"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## SGD \(benchmarks/sgd\.py\)\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text, old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new.rstrip("\n") + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    e3 = bench_example3(args.quick)
    g = bench_gaussian(args.quick)
    text = render(e3, g, args.quick)
    print(text)
    if not args.no_write:
        print(f"written to {write_section(text)}")


if __name__ == "__main__":
    main()
