"""Result objects shared by every local-search method (batched over trials)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Status(IntEnum):
    """Why a trial stopped (stored as ``np.int8`` in :attr:`LocalSearchResult.status`).

    One status rule for every method (:func:`status_codes`), the SGD kernels and the
    phase-transition GD kernel included.

    Attributes
    ----------
    MAX_ITER : 0
        Ran the full number of iterations.
    CONVERGED : 1
        Met a stopping tolerance of :class:`~spurious.Stop` (f, gradient or distance).
    DIVERGED : 2
        Produced NaN/inf; the trial is frozen there, the others go on.
    """

    MAX_ITER = 0  #: ran the full number of iterations
    CONVERGED = 1  #: met a stopping tolerance of :class:`~spurious.Stop` (f, gradient or distance)
    DIVERGED = 2  #: produced NaN/inf; the trial is frozen, the others go on


#: dtype of every ``status`` and ``outcome`` array.
STATUS_DTYPE = np.int8


class Outcome(IntEnum):
    """Where a trial ended (stored as ``np.int8`` in :attr:`LocalSearchResult.outcome`).

    The first that applies in the order diverged, recovered, at the spurious point, stalled,
    moving (:func:`classify_outcomes`); the tolerances are those of :class:`~spurious.Stop`.

    Attributes
    ----------
    RECOVERED : 0
        ``‖x xᵀ − M*‖_F ≤ stop.success``.
    AT_SPURIOUS : 1
        ``‖x xᵀ − x_s x_sᵀ‖_F ≤ stop.near · ‖M*‖_F`` at the instance's own point ``x_s``
        (only when the problem came from an example or an instance with an ``x``).
    DIVERGED : 2
        Produced NaN/inf.
    STALLED : 3
        ``‖∇f(x)‖_F ≤ stop.stall · ‖∇f(x₀)‖_F`` elsewhere: at or near another critical point.
    MOVING : 4
        None of these: still moving when the steps ran out (more steps may change it).
    """

    RECOVERED = 0  #: ``‖x xᵀ − M*‖_F ≤ stop.success`` (and not diverged)
    AT_SPURIOUS = 1  #: ``‖x xᵀ − x_s x_sᵀ‖_F ≤ stop.near · ‖M*‖_F`` at the instance's own point ``x_s``
    DIVERGED = 2  #: produced NaN/inf (status DIVERGED)
    STALLED = 3  #: ``‖∇f(x)‖_F ≤ stop.stall · ‖∇f(x₀)‖_F`` elsewhere: at (or near) another critical point
    MOVING = 4  #: none of these: still moving when the steps ran out (more steps may change it)


#: Keys of the outcome counts in JSON (``to_dict()["outcomes"]``, the CLI's ``outcomes``).
OUTCOME_KEYS = tuple(o.name.lower() for o in Outcome)


def classify_outcomes(
    problem,
    x: np.ndarray,
    status: np.ndarray,
    distance: np.ndarray,
    grad_norm: np.ndarray,
    grad_norm0: np.ndarray,
    stop,
    x_spurious: np.ndarray | None = None,
) -> np.ndarray:
    """The :class:`Outcome` of every trial, ``(T,)`` ``np.int8``.

    Parameters
    ----------
    problem : the problem (its ``m_star`` scales the spurious-point test)
    x, status, distance, grad_norm : the final iterates, statuses, ``‖x xᵀ − M*‖_F`` and ``‖∇f‖_F``
    grad_norm0 : ``‖∇f(x₀)‖_F`` per trial (the scale of "stalled")
    stop : :class:`~spurious.Stop` (``success``, ``near``, ``stall``)
    x_spurious : the instance's point ``(n, r)``, or None (no AT_SPURIOUS outcome)
    """
    out = np.full(status.shape, int(Outcome.MOVING), dtype=STATUS_DTYPE)
    with np.errstate(invalid="ignore", over="ignore"):
        stalled = grad_norm <= stop.stall * grad_norm0
        out[stalled] = int(Outcome.STALLED)
        if x_spurious is not None and x_spurious.shape == x.shape[1:]:
            xs = np.asarray(x_spurious, dtype=np.float64)
            scale = float(np.linalg.norm(problem.m_star))
            d = np.sqrt(np.sum((x @ np.swapaxes(x, -1, -2) - xs @ xs.T) ** 2, axis=(-1, -2)))
            out[d <= stop.near * scale] = int(Outcome.AT_SPURIOUS)
        out[distance <= stop.success] = int(Outcome.RECOVERED)
    out[status == Status.DIVERGED] = int(Outcome.DIVERGED)
    return out


def status_codes(converged: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    """The one status rule: DIVERGED where not finite, else CONVERGED where a tolerance was met, else MAX_ITER."""
    out = np.where(converged, int(Status.CONVERGED), int(Status.MAX_ITER))
    return np.where(diverged, int(Status.DIVERGED), out).astype(STATUS_DTYPE)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Per-trial diagnostics recorded at chosen iterations.

    Attributes
    ----------
    iterations : (K,) int array
    fun, grad_norm, distance : (K, T) arrays (``distance = ‖x xᵀ − M*‖_F``)
    """

    iterations: np.ndarray
    fun: np.ndarray
    grad_norm: np.ndarray
    distance: np.ndarray


@dataclass(frozen=True, eq=False)
class LocalSearchResult:
    """Final state of ``T`` trials of a local-search method.

    Attributes
    ----------
    x : (T, n, r) final iterates
    fun : (T,) final objective values
    distance : (T,) final ``‖x xᵀ − M*‖_F``
    grad_norm : (T,) final gradient norms
    nit : (T,) iterations performed
    status : (T,) ``np.int8`` :class:`Status` codes
    method : name of the method
    options : every setting that determines the result (step, momentum, gradient convention,
        backend, seed, the :class:`~spurious.Stop` tolerances incl. ``success``, ...)
    trajectory : optional :class:`Trajectory`
    outcome : (T,) ``np.int8`` :class:`Outcome` codes (recovered, at the instance's spurious
        point, diverged, stalled, still moving), or None where a kernel does not classify
    message : one line summarising the batch (as scipy's ``OptimizeResult.message``)

    ``success`` (a property) is ``distance ≤ options["success"]`` for trials that did not
    diverge: the success tolerance is the one recorded at the call, never asked again.
    """

    x: np.ndarray
    fun: np.ndarray
    distance: np.ndarray
    grad_norm: np.ndarray
    nit: np.ndarray
    status: np.ndarray
    method: str
    options: dict = field(default_factory=dict)
    trajectory: Trajectory | None = None
    outcome: np.ndarray | None = None
    message: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", np.asarray(self.status, dtype=STATUS_DTYPE))
        if self.outcome is not None:
            object.__setattr__(self, "outcome", np.asarray(self.outcome, dtype=STATUS_DTYPE))
        if not self.message:
            object.__setattr__(self, "message", self._message())

    def _counts(self) -> dict[str, int]:
        return {s.name: int(np.sum(self.status == s)) for s in Status}

    def outcomes(self) -> dict[str, int] | None:
        """Counts of every :class:`Outcome` (keys :data:`OUTCOME_KEYS`; they sum to ``trials``), or None."""
        if self.outcome is None:
            return None
        return {k: int(np.sum(self.outcome == o)) for k, o in zip(OUTCOME_KEYS, Outcome, strict=True)}

    def _message(self) -> str:
        counts = self.outcomes() or {k.lower(): v for k, v in self._counts().items()}
        parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items() if v)
        return f"{self.method}: {self.trials} trials: {parts}"

    @property
    def trials(self) -> int:
        return int(self.x.shape[0])

    @property
    def diverged(self) -> np.ndarray:
        return self.status == Status.DIVERGED

    @property
    def success_tolerance(self) -> float:
        """The distance tolerance recorded at the call (``options["success"]``)."""
        return float(self.options["success"])

    @property
    def success(self) -> np.ndarray:
        """Trials whose final ``‖x xᵀ − M*‖_F ≤ options["success"]`` (diverged trials fail)."""
        return (self.distance <= self.success_tolerance) & ~self.diverged

    def failure_rate(self, method: str = "wilson"):
        """Failure rate with its ±3σ binomial interval (:func:`spurious.core._stats.binomial_rate`)."""
        from spurious.core._stats import binomial_rate

        return binomial_rate(int(np.sum(~self.success)), self.trials, method=method)

    def to_dict(self, per_trial: bool = False) -> dict:
        """JSON-able summary: method, trials, status counts, success rate and interval, medians, options.

        ``per_trial=True`` adds the per-trial ``fun``, ``grad_norm``, ``distance``, ``nit`` and ``status`` lists.
        """
        rate = self.failure_rate()
        out = {
            "method": self.method,
            "trials": self.trials,
            "status": self._counts(),
            "message": self.message,
            "success_tolerance": self.success_tolerance,
            "failures": rate.failures,
            "failure_rate": rate.rate,
            "ci": list(rate.ci),
            "ci_method": rate.ci_method,
            "confidence": rate.confidence,
            "outcomes": self.outcomes(),
            "median_fun": _median(self.fun),
            "median_grad_norm": _median(self.grad_norm),
            "options": {k: _jsonable(v) for k, v in self.options.items()},
        }
        if per_trial:
            out.update({k: getattr(self, k).tolist() for k in ("fun", "grad_norm", "distance", "nit", "status")})
        return out

    def __str__(self) -> str:
        rate = self.failure_rate()
        ok = 1.0 - rate.rate
        lo, hi = 1.0 - rate.ci[1], 1.0 - rate.ci[0]
        rows = [
            ("method", self.method),
            ("trials", str(self.trials)),
            ("status", ", ".join(f"{k} {v}" for k, v in self._counts().items())),
            *(
                [("outcomes", ", ".join(f"{k} {v}" for k, v in self.outcomes().items()))]
                if self.outcome is not None
                else []
            ),
            (
                "success",
                f"{100 * ok:.2f} % [{100 * lo:.2f}, {100 * hi:.2f}] % (‖xxᵀ − M*‖_F ≤ "
                f"{self.success_tolerance:g}, ±3σ {rate.ci_method})",
            ),
            ("median fun", f"{_median(self.fun):.3e}"),
            ("median ‖∇f‖", f"{_median(self.grad_norm):.3e}"),
        ]
        return "\n".join(f"{k:<13}{v}" for k, v in rows)

    def __repr__(self) -> str:
        return f"LocalSearchResult(\n{self}\n)"


def _median(a: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64)
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else float("nan")


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v
