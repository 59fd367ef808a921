"""A test-only plug-in experiment: tiny Monte Carlo with per-trial streams.

Loaded by the tests through ``SPURIOUS_EXPERIMENTS=toy_experiment`` (tests/experiments on
``PYTHONPATH``). ``TOY_SLEEP`` (seconds per chunk, read by the worker) slows chunks down so
that a test can interrupt a run part way.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from spurious.core._rng import trial_stream
from spurious.studies import _plotting as plotting
from spurious.studies._registry import Experiment, Verdict


def params(quick: bool) -> dict:
    return {"trials": 96 if quick else 400, "block": 8, "dim": 3}


def chunks(params: dict) -> list:
    return [{"cell": c, "block": b} for c in range(2) for b in range(params["trials"] // params["block"] // 2)]


def run_chunk(params: dict, chunk: dict, seed: int) -> pd.DataFrame:
    time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
    rows = []
    start = chunk["block"] * params["block"]
    for t in range(start, start + params["block"]):
        rng = trial_stream(seed, t, chunk["cell"])
        a = rng.standard_normal((params["dim"], params["dim"]))
        rows.append(
            {
                "cell": chunk["cell"],
                "trial": t,
                "value": float(np.linalg.norm(a @ a.T)),
                "hit": bool(rng.random() < 0.25),
            }
        )
    return pd.DataFrame(rows)


def summarize(params: dict, df: pd.DataFrame, figures_dir) -> list[Verdict]:
    plt = plotting.pyplot()
    fig, ax = plt.subplots()
    ax.hist(df.value, bins=20)
    plotting.save(fig, figures_dir, "toy-hist")
    p = float(df.hit.mean())
    ci3 = 3 * np.sqrt(0.25 * 0.75 / len(df))
    return [
        Verdict(
            "hit rate",
            "25 %",
            f"{100 * p:.2f} %",
            f"± {100 * ci3:.2f} % (3σ)",
            "match" if abs(p - 0.25) <= ci3 else "miss",
            "a toy | with a pipe",
        ),
        Verdict(
            "trials", str(params["trials"]), str(len(df)), "exact", "match" if len(df) == params["trials"] else "miss"
        ),
    ]


EXPERIMENTS = (
    Experiment(
        "toy",
        "test-only toy Monte Carlo",
        "none (test plug-in)",
        params,
        chunks,
        run_chunk,
        summarize,
        manifest=lambda p: {"grad": "none"},
    ),
)


def thread_env_chunk(params: dict, chunk, seed: int) -> pd.DataFrame:
    """Not an experiment: reports the worker's thread settings (tests of the process pool)."""
    import numba

    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
    return pd.DataFrame(
        [{**{k: os.environ.get(k) for k in keys}, "numba_threads": numba.get_num_threads(), "pid": os.getpid()}]
    )
