"""Binomial confidence intervals for failure rates: the one home of the interval that every
Monte Carlo summary reports (the CLI's ``ci``, the solvers' ``failure_rate``, the experiments'
bands and verdicts).
"""

from __future__ import annotations

from dataclasses import dataclass

from spurious.core._validation import check_float, check_int

#: Confidence level of the reported intervals: the two-sided mass of ±3σ of a normal law,
#: the level at which the papers report their rates ("12.1 ± 0.3 %").
THREE_SIGMA = 0.9973002039367398

#: Interval methods of :func:`scipy.stats.binomtest`'s ``proportion_ci``.
CI_METHODS = ("wilson", "exact")


@dataclass(frozen=True)
class Rate:
    """A failure rate with its binomial confidence interval.

    Attributes
    ----------
    failures, trials : int
    rate : float
        ``failures / trials``.
    ci : tuple of float
        ``(low, high)`` at ``confidence``, never of zero width for ``trials ≥ 1`` (Wilson's
        interval is honest at 0 and at ``trials`` failures).
    confidence : float
    ci_method : str
        ``"wilson"`` or ``"exact"`` (Clopper–Pearson).
    """

    failures: int
    trials: int
    rate: float
    ci: tuple[float, float]
    confidence: float
    ci_method: str

    def __str__(self) -> str:
        lo, hi = self.ci
        return (
            f"{100 * self.rate:.2f} % ({self.failures} of {self.trials}); "
            f"{100 * self.confidence:.2f} % {self.ci_method} interval [{100 * lo:.2f}, {100 * hi:.2f}] %"
        )

    def to_dict(self) -> dict:
        return {
            "failures": self.failures,
            "trials": self.trials,
            "rate": self.rate,
            "ci": list(self.ci),
            "confidence": self.confidence,
            "ci_method": self.ci_method,
        }


def binomial_rate(failures: int, trials: int, *, confidence: float = THREE_SIGMA, method: str = "wilson") -> Rate:
    """The rate ``failures / trials`` with its confidence interval.

    Parameters
    ----------
    failures, trials : int
        ``0 ≤ failures ≤ trials``, ``trials ≥ 1``.
    confidence : float, default ±3σ (0.9973)
    method : {"wilson", "exact"}
        Wilson score interval (default) or Clopper–Pearson.

    Returns
    -------
    Rate

    Notes
    -----
    Computed by :func:`scipy.stats.binomtest` ``(...).proportion_ci``. Unlike the normal
    interval ``p ± 3√(p(1 − p)/T)``, both methods give an interval of positive width at 0 and
    at ``T`` failures.
    """
    from scipy.stats import binomtest

    trials = check_int(trials, "trials", 1)
    failures = check_int(failures, "failures", 0, trials)
    confidence = check_float(confidence, "confidence", 0.0, 1.0, open_low=True, open_high=True)
    if method not in CI_METHODS:
        from spurious.core._errors import InputError

        raise InputError(f"method = {method!r}: expected one of {', '.join(CI_METHODS)}")
    ci = binomtest(failures, trials).proportion_ci(confidence_level=confidence, method=method)
    return Rate(failures, trials, failures / trials, (float(ci.low), float(ci.high)), confidence, method)
