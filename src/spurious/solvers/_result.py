"""Result objects shared by every local-search method (batched over trials)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Status(IntEnum):
    """Why a trial stopped."""

    MAX_ITER = 0  #: ran the full number of iterations
    CONVERGED = 1  #: met a stopping tolerance (f, gradient or distance)
    DIVERGED = 2  #: produced NaN/inf; the trial is frozen, the others go on


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
    grad_norm : (T,) final gradient norms (NaN where a method does not compute it)
    nit : (T,) iterations performed
    status : (T,) :class:`Status` codes
    method : name of the method
    options : every setting that determines the result (step, momentum, gradient
        convention, backend, seed, ...), for manifests
    trajectory : optional :class:`Trajectory`
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

    @property
    def trials(self) -> int:
        return int(self.x.shape[0])

    @property
    def diverged(self) -> np.ndarray:
        return self.status == Status.DIVERGED

    def success(self, tol: float) -> np.ndarray:
        """Trials whose final ``‖x xᵀ − M*‖_F ≤ tol`` (diverged trials fail)."""
        return (self.distance <= tol) & ~self.diverged

    def failure_rate(self, tol: float) -> tuple[float, float]:
        """Failure rate and its 3-sigma half-width ``3·sqrt(p(1 − p)/T)``."""
        p = 1.0 - float(np.mean(self.success(tol)))
        return p, 3.0 * float(np.sqrt(p * (1.0 - p) / self.trials))
