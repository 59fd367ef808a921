"""Stopping rules and the batched iteration driver shared by GD, projected SGD and perturbed GD.

Every method here advances ``T`` trials at once. At iteration ``k`` the driver evaluates
the gradient (and, when needed, the value and the distance ``‖x xᵀ − M*‖_F``) of the
*active* trials in one batched call, then:

* a trial whose value, gradient or iterate is not finite is marked
  :attr:`~spurious.solvers.result.Status.DIVERGED` and frozen;
* a trial that meets a tolerance (:class:`Tolerances`) is marked
  :attr:`~spurious.solvers.result.Status.CONVERGED` and frozen;
* a trial that reached ``steps`` updates ends with
  :attr:`~spurious.solvers.result.Status.MAX_ITER`;
* the other trials take one step of the method.

Frozen trials leave the active batch (later iterations cost nothing for them), so one
diverging trial never spoils the others. ``nit`` counts the updates a trial took: a trial
that already meets a tolerance at ``x0`` has ``nit = 0``.

All state is local to one call (the method's per-trial arrays live in its closure), in
the spirit of optax's ``init``/``update`` split: nothing is stored on problems or solvers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError
from spurious.solvers._result import LocalSearchResult, Status, Trajectory

#: ``step(k, idx, x, g, f) -> x_new``: one update of the active trials ``idx`` (global trial
#: indices, shape (B,)) at iteration ``k`` from iterates ``x`` (B, n, r), gradients ``g``
#: (B, n, r) and values ``f`` ((B,) or None when the method did not ask for values).
StepFunction = Callable[[int, np.ndarray, np.ndarray, np.ndarray, "np.ndarray | None"], np.ndarray]


def _check_tol(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise InputError(f"{name} = {value}: must be finite and ≥ 0 (or None)")
    return value


@dataclass(frozen=True)
class Tolerances:
    """Per-trial convergence tests; a trial converges when *any* given test holds.

    Attributes
    ----------
    f : stop when ``f(x) ≤ f`` (absolute; useful for noiseless problems where ``min f = 0``)
    grad : stop when ``‖∇f(x)‖_F ≤ grad``
    dist : stop when ``‖x xᵀ − M*‖_F ≤ dist`` (needs the ground truth, as in the papers' plots)
    """

    f: float | None = None
    grad: float | None = None
    dist: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "f", _check_tol(self.f, "tol_f"))
        object.__setattr__(self, "grad", _check_tol(self.grad, "tol_grad"))
        object.__setattr__(self, "dist", _check_tol(self.dist, "tol_dist"))

    def met(self, fun: np.ndarray | None, grad_norm: np.ndarray, dist: np.ndarray | None) -> np.ndarray:
        """Boolean mask of the trials that meet at least one tolerance."""
        out = np.zeros(grad_norm.shape, dtype=bool)
        if self.f is not None:
            out |= fun <= self.f
        if self.grad is not None:
            out |= grad_norm <= self.grad
        if self.dist is not None:
            out |= dist <= self.dist
        return out

    def as_dict(self) -> dict:
        return {"tol_f": self.f, "tol_grad": self.grad, "tol_dist": self.dist}


def as_batch(problem, x0: np.ndarray) -> np.ndarray:
    """A float64 copy of the initial batch, checked to have shape ``(T, n, r)``."""
    x = np.array(x0, dtype=np.float64, copy=True)
    if x.ndim != 3 or x.shape[1:] != (problem.n, problem.r):
        raise InputError(f"x0: shape {x.shape}, expected (T, {problem.n}, {problem.r})")
    if x.shape[0] == 0:
        raise InputError("x0: empty batch (T = 0)")
    return x


def check_steps(steps: int) -> int:
    if int(steps) != steps or steps < 0:
        raise InputError(f"steps = {steps}: must be an integer ≥ 0")
    return int(steps)


def check_positive(value: float, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{name} = {value}: must be finite and > 0")
    return value


def record_iterations(steps: int, record_every: int | None) -> np.ndarray:
    """Iterations at which a trajectory is recorded: ``0, k, 2k, …`` and ``steps``."""
    if record_every is None:
        return np.zeros(0, dtype=np.int64)
    if int(record_every) != record_every or record_every < 1:
        raise InputError(f"record_every = {record_every}: must be an integer ≥ 1 (or None)")
    its = np.arange(0, steps + 1, int(record_every), dtype=np.int64)
    if its[-1] != steps:
        its = np.append(its, steps)
    return its


def frobenius(a: np.ndarray) -> np.ndarray:
    """``‖a‖_F`` over the last two axes."""
    return np.sqrt(np.einsum("...ij,...ij->...", a, a))


def iterate(
    problem,
    x: np.ndarray,
    *,
    steps: int,
    step: StepFunction,
    tolerances: Tolerances,
    record_every: int | None,
    method: str,
    options: dict,
    need_value: bool = False,
) -> LocalSearchResult:
    """Run ``step`` on the batch ``x`` (modified in place) until every trial stopped.

    Parameters
    ----------
    problem : SymmetricProblem or AsymmetricProblem (anything with value/gradient/distance)
    x : (T, n, r) float64 array, the initial batch (overwritten with the iterates)
    steps : maximal number of updates per trial
    step : the method's update (see :data:`StepFunction`)
    tolerances : :class:`Tolerances`
    record_every : record ``f``, ``‖∇f‖`` and the distance every that many iterations
    method, options : stored in the result
    need_value : evaluate ``f`` at every iteration (backtracking, perturbation tests)

    Returns
    -------
    LocalSearchResult
    """
    T = x.shape[0]
    status = np.full(T, int(Status.MAX_ITER), dtype=np.int8)
    nit = np.zeros(T, dtype=np.int64)
    fun = np.full(T, np.nan)
    gnorm = np.full(T, np.nan)
    dist = np.full(T, np.nan)
    rec_its = record_iterations(steps, record_every)
    rec = np.full((3, rec_its.size, T), np.nan)
    rec_pos = 0
    active = np.arange(T)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for k in range(steps + 1):
            if active.size == 0:
                break
            xa = x[active]
            recording = rec_pos < rec_its.size and rec_its[rec_pos] == k
            last = k == steps
            g = problem.gradient(xa)
            gn = frobenius(g)
            fa = problem.value(xa) if (need_value or recording or last or tolerances.f is not None) else None
            da = problem.distance(xa) if (recording or last or tolerances.dist is not None) else None
            bad = ~np.isfinite(gn) | ~np.all(np.isfinite(xa), axis=(1, 2))
            if fa is not None:
                bad |= ~np.isfinite(fa)
            conv = tolerances.met(fa, gn, da) & ~bad
            stop = bad | conv
            if last:
                stop[:] = True
            if stop.any():
                leaving = active[stop]
                status[active[bad]] = int(Status.DIVERGED)
                status[active[conv]] = int(Status.CONVERGED)
                gnorm[leaving] = gn[stop]
                fun[leaving] = fa[stop] if fa is not None else problem.value(xa[stop])
                dist[leaving] = da[stop] if da is not None else problem.distance(xa[stop])
            if recording:
                fun_now, gn_now, dist_now = fun.copy(), gnorm.copy(), dist.copy()
                fun_now[active], gn_now[active], dist_now[active] = fa, gn, da
                rec[:, rec_pos] = fun_now, gn_now, dist_now
                rec_pos += 1
            if last:
                break
            keep = ~stop
            if not keep.all():
                active, xa, g = active[keep], xa[keep], g[keep]
                fa = fa[keep] if fa is not None else None
            if active.size == 0:
                break
            x[active] = step(k, active, xa, g, fa)
            nit[active] += 1
    trajectory = None
    if rec_its.size:
        if rec_pos < rec_its.size:  # every trial stopped at k_end < steps: the trajectory ends there
            k_end = int(nit.max())
            rec, rec_its = rec[:, :rec_pos], rec_its[:rec_pos]
            if rec_its[-1] != k_end:
                rec = np.concatenate([rec, np.stack([fun, gnorm, dist])[:, None, :]], axis=1)
                rec_its = np.append(rec_its, k_end)
        trajectory = Trajectory(iterations=rec_its, fun=rec[0], grad_norm=rec[1], distance=rec[2])
    options = {**options, **tolerances.as_dict(), "steps": steps, "record_every": record_every}
    return LocalSearchResult(
        x=x, fun=fun, distance=dist, grad_norm=gnorm, nit=nit, status=status,
        method=method, options=options, trajectory=trajectory,
    )
