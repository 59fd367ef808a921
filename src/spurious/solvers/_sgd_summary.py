"""Monte Carlo summary of many SGD trials: outcomes and failure rate of a chunked :func:`spurious.sgd` run.

The engine of ``spurious sgd``: trials ``0 … T − 1`` run in chunks of trials (each chunk is the
same trials a single call would run, thanks to the per-trial streams), their outcomes are
counted (:class:`~spurious.Outcome`) and the failure rate gets a ±3σ Wilson interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spurious.core._budget import check_work
from spurious.core._errors import InputError
from spurious.core._stats import Rate, binomial_rate
from spurious.core._validation import check_int
from spurious.solvers._result import OUTCOME_KEYS
from spurious.solvers._sgd import sgd

#: Initializations accepted by :func:`sgd_failure_rate`.
INITS = ("gaussian", "spectral")


@dataclass(frozen=True)
class SGDSummary:
    """Outcomes and failure rate of a chunked :func:`sgd` run (the ``spurious sgd`` command).

    Attributes
    ----------
    trials, failures, diverged : int
    rate : Rate
        ``failures / trials`` with its ±3σ Wilson interval (:func:`spurious.core._stats.binomial_rate`):
        never of zero width, honest at 0 and at ``trials`` failures.
    outcomes : dict
        Counts of every :class:`~spurious.Outcome` (recovered, at_spurious, diverged, stalled,
        moving); they sum to ``trials``.
    distance : (T,) final ``‖x xᵀ − M*‖_F`` of every trial (NaN where diverged)
    options : dict, the :func:`sgd` options of the run (``init`` is the initialization's name)
    """

    trials: int
    failures: int
    diverged: int
    rate: Rate
    outcomes: dict
    distance: np.ndarray
    options: dict

    @property
    def failure_rate(self) -> float:
        return self.rate.rate

    def dominant_failure(self) -> str | None:
        """The most frequent outcome among the failures, or None without failures."""
        fails = {k: v for k, v in self.outcomes.items() if k != "recovered" and v}
        return max(fails, key=fails.get) if fails else None

    def to_dict(self) -> dict:
        """JSON-able summary (the CLI's keys), without the per-trial distances."""
        skip = ("first_trial", "tol_f", "tol_grad", "tol_dist", "success")
        return {
            "trials": self.trials,
            "failures": self.failures,
            "failure_rate": self.rate.rate,
            "ci": list(self.rate.ci),
            "ci_method": self.rate.ci_method,
            "confidence": self.rate.confidence,
            "outcomes": dict(self.outcomes),
            "dominant_failure": self.dominant_failure(),
            "successes": self.trials - self.failures,
            "diverged": self.diverged,
            "tol": self.options["success"],
            **{k: v for k, v in self.options.items() if k not in skip},
        }


def sgd_failure_rate(
    problem,
    *,
    trials: int,
    init: str = "gaussian",
    chunk_trials: int = 10_000,
    progress: Callable[[int], None] | None = None,
    **kwargs,
) -> SGDSummary:
    """Run :func:`sgd` over ``trials`` trials in chunks of ``chunk_trials``; count outcomes and failures.

    The chunks are trials ``0 … c − 1``, ``c … 2c − 1``, … of one run (``first_trial``), so
    the result is the one of a single call (per-trial streams). ``init="spectral"`` starts
    every trial at :func:`spurious.init.spectral` (deterministic; the randomness is
    then only in the sampled indices). ``progress(k)`` is called with the number of trials
    finished after each chunk. Other keywords go to :func:`sgd` (``stop.success`` decides success).
    """
    from spurious.core._sources import as_problem

    T = check_int(trials, "trials", 1)
    chunk = check_int(chunk_trials, "chunk_trials", 1)
    if init not in INITS:
        raise InputError(f"init = {init!r}: expected one of {', '.join(INITS)}")
    if "x0" in kwargs or "first_trial" in kwargs:
        raise InputError("sgd_failure_rate: x0 and first_trial are set per chunk; use init=")
    source = problem
    problem, _ = as_problem(problem)
    steps = check_int(kwargs.get("steps", 0), "steps", 0)
    check_work(float(T) * steps, f"sgd: trials = {T} × steps = {steps}")
    fails = div = 0
    counts = dict.fromkeys(OUTCOME_KEYS, 0)
    dists = []
    options: dict = {}
    for start in range(0, T, chunk):
        k = min(chunk, T - start)
        x0 = None
        if init == "spectral":
            from spurious.solvers._init import spectral

            x0 = spectral(problem, k)
        res = sgd(source, trials=k, first_trial=start, x0=x0, **kwargs)
        fails += int(np.sum(~res.success))
        div += int(np.sum(res.diverged))
        for key, v in res.outcomes().items():
            counts[key] += v
        dists.append(np.where(res.diverged, np.nan, res.distance))
        options = dict(res.options)
        if progress is not None:
            progress(k)
    options["init"] = init
    return SGDSummary(
        trials=T,
        failures=fails,
        diverged=div,
        rate=binomial_rate(fails, T),
        outcomes=counts,
        distance=np.concatenate(dists),
        options=options,
    )
