"""A test-only plug-in for the progress tests: chunks of unequal work that report as they go.

``chunk_work`` (an attribute of :class:`WeightedExperiment`, a subclass of the registry's
Experiment) weighs chunk ``k`` as ``k + 1``; every chunk reports ``k + 1`` units in steps of
``PROGRESS_SLEEP`` seconds (default 0.05) and may log a warning (``PROGRESS_WARN=1``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from spurious.core._rng import trial_stream
from spurious.studies import _progress
from spurious.studies._registry import Experiment, Verdict

log = logging.getLogger("progress_experiment")


@dataclass(frozen=True)
class WeightedExperiment(Experiment):
    """An Experiment with a per-chunk work function (what the progress bar weighs chunks by)."""

    chunk_work: Callable[[dict, object], float] | None = None


def params(quick: bool) -> dict:
    return {"chunks": 4}


def chunks(p: dict) -> list[int]:
    return list(range(p["chunks"]))


def run_chunk(p: dict, chunk: int, seed: int) -> pd.DataFrame:
    units = chunk + 1
    for k in range(1, units + 1):
        time.sleep(float(os.environ.get("PROGRESS_SLEEP", "0.05")))
        _progress.report(k, units)
    if os.environ.get("PROGRESS_WARN") == "1":
        log.warning("chunk %d: a warning during the run", chunk)
    rng = trial_stream(seed, chunk, 0)
    return pd.DataFrame({"chunk": [chunk], "value": [float(rng.standard_normal())]})


def summarize(p: dict, df: pd.DataFrame, figures_dir) -> list[Verdict]:
    return [Verdict("chunks", str(p["chunks"]), str(len(df)), "exact", "match" if len(df) == p["chunks"] else "miss")]


EXPERIMENTS = (
    WeightedExperiment(
        "progress-toy",
        "test-only: chunks of unequal work",
        "none (test plug-in)",
        params,
        chunks,
        run_chunk,
        summarize,
        chunk_work=lambda p, c: float(c + 1),
    ),
)
