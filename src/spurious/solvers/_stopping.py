"""Stopping rules and the batched iteration driver shared by GD, projected SGD and perturbed GD.

Every method here advances ``T`` trials at once. At iteration ``k`` the driver evaluates
the gradient (and, when needed, the value and the distance ``‖x xᵀ − M*‖_F``) of the
*active* trials in one batched call, then:

* a trial whose value, gradient or iterate is not finite is marked
  :attr:`~spurious.solvers.result.Status.DIVERGED` and frozen;
* a trial that meets a tolerance (:class:`Stop`) is marked
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

from spurious.core._budget import check_work
from spurious.core._errors import InputError
from spurious.core._operators import DEFAULT_MAX_BYTES
from spurious.core._rng import trial_stream
from spurious.core._validation import check_bytes, check_finite, check_float, check_int
from spurious.solvers._result import LocalSearchResult, Trajectory, classify_outcomes, status_codes

#: ``step(k, idx, x, g, f) -> x_new``: one update of the active trials ``idx`` (global trial
#: indices, shape (B,)) at iteration ``k`` from iterates ``x`` (B, n, r), gradients ``g``
#: (B, n, r) and values ``f`` ((B,) or None when the method did not ask for values). A step that
#: evaluated ``f`` at its new iterates (a line search) returns ``(x_new, f_new)`` instead, NaN
#: where it did not: :func:`iterate` then takes those values rather than evaluating ``f`` again.
StepFunction = Callable[
    [int, np.ndarray, np.ndarray, np.ndarray, "np.ndarray | None"], "np.ndarray | tuple[np.ndarray, np.ndarray]"
]


def _check_tol(value: float | None, name: str) -> float | None:
    return None if value is None else check_float(value, name, 0.0)


@dataclass(frozen=True)
class Stop:
    """Stopping rule and success criterion of every local-search method.

    A trial stops early when *any* given tolerance is met (None: the test is not used):

    Attributes
    ----------
    f : float or None
        Stop when ``f(x) ≤ f`` (absolute; useful for noiseless problems where ``min f = 0``).
    grad : float or None
        Stop when ``‖∇f(x)‖_F ≤ grad``.
    dist : float or None
        Stop when ``‖x xᵀ − M*‖_F ≤ dist`` (needs the ground truth, as in the papers' plots).
    success : float, default 1e-2
        A trial succeeds when its final ``‖x xᵀ − M*‖_F ≤ success`` (and it did not diverge):
        :attr:`~spurious.LocalSearchResult.success`. It never stops a trial.
    near : float, default 0.1
        A failed trial ended *at the instance's spurious point* ``x_s`` when
        ``‖x xᵀ − x_s x_sᵀ‖_F ≤ near · ‖M*‖_F`` (:class:`~spurious.Outcome`).
    stall : float, default 1e-3
        A failed trial *stalled* (at or near another critical point) when its final
        ``‖∇f(x)‖_F ≤ stall · ‖∇f(x₀)‖_F``; otherwise it was still moving.

    :func:`~spurious.sgd` never stops early: it accepts only ``success``, ``near`` and ``stall``
    and raises :class:`~spurious.InputError` when ``f``, ``grad`` or ``dist`` is given.

    Examples
    --------
    >>> import spurious as sp
    >>> sp.Stop(grad=1e-8, success=1e-6)
    Stop(f=None, grad=1e-08, dist=None, success=1e-06, near=0.1, stall=0.001)
    """

    f: float | None = None
    grad: float | None = None
    dist: float | None = None
    success: float = 1e-2
    near: float = 0.1
    stall: float = 1e-3

    def __post_init__(self) -> None:
        object.__setattr__(self, "f", _check_tol(self.f, "stop.f"))
        object.__setattr__(self, "grad", _check_tol(self.grad, "stop.grad"))
        object.__setattr__(self, "dist", _check_tol(self.dist, "stop.dist"))
        object.__setattr__(self, "success", check_float(self.success, "stop.success", 0.0))
        object.__setattr__(self, "near", check_float(self.near, "stop.near", 0.0))
        object.__setattr__(self, "stall", check_float(self.stall, "stop.stall", 0.0))

    @property
    def early(self) -> bool:
        """Whether any early-stopping tolerance is given."""
        return self.f is not None or self.grad is not None or self.dist is not None

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
        return {
            "tol_f": self.f,
            "tol_grad": self.grad,
            "tol_dist": self.dist,
            "success": self.success,
            "near": self.near,
            "stall": self.stall,
        }


#: The default of every solver's ``stop`` (a frozen instance: safe as a default argument).
DEFAULT_STOP = Stop()


def check_stop(stop: object) -> Stop:
    if not isinstance(stop, Stop):
        raise InputError(f"stop = {stop!r}: expected a spurious.Stop")
    return stop


def as_batch(problem, x0, trials: int | None = None) -> np.ndarray:
    """A float64 copy of the initial batch ``(T, n, r)`` (an ``(n, r)`` point is repeated ``trials`` times)."""
    try:
        x = np.array(x0, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise InputError(f"x0: not a real numeric array ({type(x0).__name__})") from None
    if x.shape == (problem.n, problem.r):
        x = np.repeat(x[None], 1 if trials is None else trials, axis=0)
    if x.ndim != 3 or x.shape[1:] != (problem.n, problem.r):
        raise InputError(f"x0: shape {x.shape}, expected (T, {problem.n}, {problem.r}) or ({problem.n}, {problem.r})")
    if x.shape[0] == 0:
        raise InputError("x0: empty batch (T = 0)")
    if trials is not None and x.shape[0] != trials:
        raise InputError(f"trials = {trials}: x0 holds {x.shape[0]} trials")
    check_finite(x, "x0")
    return x


class TrialStreams:
    """The random stream of each trial of a call: ``trial_stream(seed, first_trial + t, cell)``.

    A trial's stream is created on first use; :func:`start` creates those of a Gaussian start
    and draws ``x0`` from them first, so a method that draws more (perturbations, noise) goes on
    with the same stream instead of reusing its first numbers.
    """

    def __init__(self, seed: int, cell: int, first_trial: int) -> None:
        self.seed, self.cell, self.first_trial = seed, cell, first_trial
        self._gens: dict[int, np.random.Generator] = {}

    def __getitem__(self, t: int) -> np.random.Generator:
        t = int(t)
        if t not in self._gens:
            self._gens[t] = trial_stream(self.seed, self.first_trial + t, self.cell)
        return self._gens[t]


@dataclass(frozen=True, eq=False)
class Start:
    """What a solver call starts from (:func:`start`)."""

    problem: object  #: the problem
    x: np.ndarray  #: (T, n, r) float64 initial batch (a fresh array the solver may overwrite)
    init: str  #: "gaussian" or "given"
    streams: TrialStreams  #: the trials' random streams (after the Gaussian start's draws)
    point: np.ndarray | None  #: the instance's own point (for the AT_SPURIOUS outcome), or None


def start(problem, x0, trials, seed, *, cell: int = 0, first_trial: int = 0) -> Start:
    """The problem, the initial batch and the trials' random streams of a solver call.

    ``problem`` may be an example name, Example, Instance or problem
    (:func:`spurious.core._sources.as_problem`). With ``x0 = None`` trial ``t`` starts at
    ``trial_stream(seed, first_trial + t, cell).standard_normal((n, r))`` — the points of
    :func:`spurious.init.gaussian` — and ``trials`` defaults to 1; with ``x0`` given, ``trials``
    is inferred or checked.
    """
    from spurious.core._sources import as_problem

    problem, point = as_problem(problem)
    seed = check_int(seed, "seed", 0)
    cell = check_int(cell, "cell", 0)
    first_trial = check_int(first_trial, "first_trial", 0)
    if trials is not None:
        trials = check_int(trials, "trials", 1)
    streams = TrialStreams(seed, cell, first_trial)
    if x0 is not None:
        return Start(problem, as_batch(problem, x0, trials), "given", streams, point)
    T = 1 if trials is None else trials
    check_bytes(8.0 * T * problem.n * problem.r, f"the start of {T} trials", DEFAULT_MAX_BYTES)
    x = np.empty((T, problem.n, problem.r))
    for t in range(T):
        x[t] = streams[t].standard_normal((problem.n, problem.r))
    return Start(problem, x, "gaussian", streams, point)


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


def _values(problem, x: np.ndarray, known: np.ndarray | None) -> np.ndarray:
    """``f`` at the batch ``x``: the ``known`` values (from the step that made ``x``), evaluated where NaN."""
    if known is None:
        return problem.value(x)
    f = known.copy()
    miss = np.isnan(f)
    if miss.any():
        f[miss] = problem.value(x[miss])
    return f


def iterate(
    problem,
    x: np.ndarray,
    *,
    steps: int,
    step: StepFunction,
    stop: Stop,
    record_every: int | None,
    method: str,
    options: dict,
    need_value: bool = False,
    point: np.ndarray | None = None,
) -> LocalSearchResult:
    """Run ``step`` on the batch ``x`` (modified in place) until every trial stopped.

    Parameters
    ----------
    problem : SymmetricProblem or AsymmetricProblem (anything with value/gradient/distance)
    x : (T, n, r) float64 array, the initial batch (overwritten with the iterates)
    steps : maximal number of updates per trial
    step : the method's update (see :data:`StepFunction`)
    stop : :class:`Stop`
    record_every : record ``f``, ``‖∇f‖`` and the distance every that many iterations
    method, options : stored in the result
    need_value : evaluate ``f`` at every iteration (backtracking, perturbation tests)
    point : the instance's own point, for the AT_SPURIOUS :class:`~spurious.Outcome`

    Returns
    -------
    LocalSearchResult
    """
    T = x.shape[0]
    check_work(float(T) * (steps + 1), f"{method}: trials = {T} × steps = {steps}")
    status = status_codes(np.zeros(T, dtype=bool), np.zeros(T, dtype=bool))
    nit = np.zeros(T, dtype=np.int64)
    fun = np.full(T, np.nan)
    gnorm = np.full(T, np.nan)
    dist = np.full(T, np.nan)
    rec_its = record_iterations(steps, record_every)
    rec = np.full((3, rec_its.size, T), np.nan)
    rec_pos = 0
    active = np.arange(T)
    f_next = None  # f at x[active] when the last step computed it
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for k in range(steps + 1):
            if active.size == 0:
                break
            xa = x[active]
            recording = rec_pos < rec_its.size and rec_its[rec_pos] == k
            last = k == steps
            g = problem.gradient(xa)
            gn = frobenius(g)
            if k == 0:
                gnorm0 = gn.copy()
            fa = None
            if need_value or recording or last or stop.f is not None:
                fa = _values(problem, xa, f_next)
            da = problem.distance(xa) if (recording or last or stop.dist is not None) else None
            bad = ~np.isfinite(gn) | ~np.all(np.isfinite(xa), axis=(1, 2))
            if fa is not None:
                bad |= ~np.isfinite(fa)
            conv = stop.met(fa, gn, da) & ~bad
            leave = bad | conv
            if last:
                leave[:] = True
            if leave.any():
                leaving = active[leave]
                status[leaving] = status_codes(conv[leave], bad[leave])
                gnorm[leaving] = gn[leave]
                fun[leaving] = fa[leave] if fa is not None else problem.value(xa[leave])
                dist[leaving] = da[leave] if da is not None else problem.distance(xa[leave])
            if recording:
                fun_now, gn_now, dist_now = fun.copy(), gnorm.copy(), dist.copy()
                fun_now[active], gn_now[active], dist_now[active] = fa, gn, da
                rec[:, rec_pos] = fun_now, gn_now, dist_now
                rec_pos += 1
            if last:
                break
            keep = ~leave
            if not keep.all():
                active, xa, g = active[keep], xa[keep], g[keep]
                fa = fa[keep] if fa is not None else None
            if active.size == 0:
                break
            new = step(k, active, xa, g, fa)
            new, f_next = new if isinstance(new, tuple) else (new, None)
            x[active] = new
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
    options = {**options, **stop.as_dict(), "steps": steps, "record_every": record_every}
    outcome = classify_outcomes(problem, x, status, dist, gnorm, gnorm0, stop, point)
    return LocalSearchResult(
        x=x,
        fun=fun,
        distance=dist,
        grad_norm=gnorm,
        nit=nit,
        status=status,
        method=method,
        options=options,
        trajectory=trajectory,
        outcome=outcome,
    )
