"""Benchmark of the first run after an install: `spurious reproduce zhang2018-example3 --quick`, cold vs warm.

Run alone, once:  .venv/bin/python benchmarks/first_run.py  [--workers K] [--repeat N] [--full]

A fresh install has no compiled kernels on disk. This script runs the README's quick
reproduction in subprocesses of one process tree, each into its own new ``--out``:

* ``numba cache``: a new empty ``NUMBA_CACHE_DIR`` — the first run compiles the SGD kernel
  (and says "compiling kernels (once per install)…"), the second loads it from that directory;
* ``numba + matplotlib caches``: also a new empty ``MPLCONFIGDIR`` (matplotlib builds its
  font cache on its first import), closer to a brand-new machine.

Each case runs ``--repeat`` first/second pairs (new directories per pair) and reports the
wall-clock seconds of each run, the ratio first/second (the issue's goal: ≤ 2), and whether each
run printed the compile notice. ``--full`` times the full reproduction (the README's first
command, 100,000 trials) instead of ``--quick``. Prints a Markdown table (the rows recorded in
BENCHMARKS.md).
No assertion: times depend on the machine and its load (printed with the table).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sgd import machine  # benchmarks/sgd.py (this script's folder is on sys.path)

NOTICE = "compiling kernels (once per install)"


def spurious_command() -> list[str]:
    """``spurious`` of this interpreter's environment (the console script, else ``-m spurious.cli``)."""
    script = Path(sys.executable).with_name("spurious")
    return [str(script)] if script.exists() else [sys.executable, "-m", "spurious.cli"]


#: ``["--quick"]``, or ``[]`` for the full reproduction (``--full``)
SIZE = ["--quick"]


def one_run(root: Path, env: dict, tag: str, workers: int | None) -> tuple[float, bool]:
    """Wall-clock seconds of one Example 3 reproduction, and whether it said it compiles."""
    cmd = [*spurious_command(), "reproduce", "zhang2018-example3", *SIZE, "--out", str(root / tag)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return seconds, NOTICE in proc.stderr


def case(name: str, fresh_mpl: bool, repeat: int, workers: int | None) -> dict:
    firsts, seconds, notices = [], [], []
    for k in range(repeat):
        with tempfile.TemporaryDirectory(prefix="spurious-first-run-") as tmp:
            root = Path(tmp)
            env = dict(os.environ, NUMBA_CACHE_DIR=str(root / "numba-cache"))
            if fresh_mpl:
                env["MPLCONFIGDIR"] = str(root / "mpl-config")
            first, said1 = one_run(root, env, "first", workers)
            second, said2 = one_run(root, env, "second", workers)
            firsts.append(first)
            seconds.append(second)
            notices.append((said1, said2))
            print(f"{name} #{k + 1}: first {first:.1f} s, second {second:.1f} s", file=sys.stderr)
    return {"case": name, "first": firsts, "second": seconds, "notices": notices}


def render(rows: list[dict], workers: int | None, load: float) -> str:
    import numba

    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    w = workers if workers is not None else "default (all cores)"
    lines = [
        f"`.venv/bin/python benchmarks/first_run.py{'' if SIZE else ' --full'}`, run {date} on: {machine()}; "
        f"numba {numba.__version__}; "
        f"`--workers {w}`; {'`--quick`' if SIZE else 'full run'}; load average {load:.1f} at the start.",
        "",
        "| fresh | first run (s) | second run (s) | first / second | compile notice (first, second) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        f, s = statistics.median(r["first"]), statistics.median(r["second"])
        each = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(r["first"], r["second"], strict=True))
        said = "; ".join(f"{'yes' if a else 'no'}, {'yes' if b else 'no'}" for a, b in r["notices"])
        lines.append(f"| {r['case']} | {f:.1f} | {s:.1f} | {f / s:.2f}× (runs: {each}) | {said} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=None, help="--workers of the runs (default: the CLI's)")
    ap.add_argument("--repeat", type=int, default=1, help="first/second pairs per case (median reported)")
    ap.add_argument("--numba-only", action="store_true", help="only the fresh numba cache case")
    ap.add_argument("--full", action="store_true", help="the full reproduction (100,000 trials), not --quick")
    args = ap.parse_args()
    if args.full:
        SIZE.clear()
    load = os.getloadavg()[0]
    rows = [case("numba cache", False, args.repeat, args.workers)]
    if not args.numba_only:
        rows.append(case("numba + matplotlib caches", True, args.repeat, args.workers))
    print(render(rows, args.workers, load))


if __name__ == "__main__":
    main()
