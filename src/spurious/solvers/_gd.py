"""Batched gradient descent (fixed step or Armijo backtracking, optional momentum).

One iteration evaluates the gradient of every active trial in one batched call of
``problem.gradient`` — for least squares ``A(x xᵀ)`` of the whole batch is one
matrix–matrix product ``svec(x xᵀ) Aᵀ`` of shape ``(T, N) × (N, m)`` — so ``T`` trials cost
far less than ``T`` separate runs. Results do not depend on the batch: a trial's iterates
equal those of the same trial run alone up to the rounding of that product (BLAS sums in
a different order for a matrix than for a vector; ≈1e-15 relative per step).
"""

from __future__ import annotations

import numpy as np

from spurious.core._errors import InputError
from spurious.core._validation import check_float, check_int
from spurious.solvers._momentum import direction, velocity
from spurious.solvers._result import LocalSearchResult
from spurious.solvers._stopping import DEFAULT_STOP, Stop, check_stop, frobenius, iterate, start

#: Relative slack of the Armijo test: ``f(x − t∇f) ≤ f(x) − c·t‖∇f‖² + slack·|f(x)|``. Near a
#: minimum the decrease falls below the rounding of ``f`` and the plain test would decide on
#: rounding noise (which differs with the batch size); with the slack the first step is taken.
_ROUNDING_SLACK = 1e-13


def gd(
    problem,
    *,
    x0: np.ndarray | None = None,
    trials: int | None = None,
    seed: int = 0,
    steps: int,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
    backtracking: bool = False,
    armijo: float = 1e-4,
    shrink: float = 0.5,
    max_backtracks: int = 60,
    stop: Stop = DEFAULT_STOP,
    record_every: int | None = None,
    cell: int = 0,
    first_trial: int = 0,
) -> LocalSearchResult:
    """Gradient descent on ``T`` trials at once.

    Parameters
    ----------
    problem : example name, Example, Instance, SymmetricProblem or AsymmetricProblem
        Any problem with batched ``value``, ``gradient`` and ``distance`` (least squares of
        any scaling, noisy, 1-bit logistic; the asymmetric problem in ``X = [U; V]``).
    x0 : (T, n, r) or (n, r) array, optional
        Initial points, one per trial. Default: :func:`spurious.init.gaussian` ``(n, r, trials, seed=seed)``.
    trials : int, optional
        Number of trials (default 1 without ``x0``; inferred from, or checked against, ``x0``).
    seed, cell, first_trial : int
        Without ``x0``, trial ``t`` starts at ``trial_stream(seed, first_trial + t, cell)``'s
        standard normal ``n × r`` point (:func:`spurious.init.gaussian`); unused with ``x0``.
    steps : int
        Maximal number of updates per trial.
    lr : float
        Step size ``η`` (the initial trial step when ``backtracking``).
    momentum : float, default 0
        ``β ∈ [0, 1)``; heavy ball ``v ← βv + ∇f(x)``, ``x ← x − η v`` (the SGD-with-momentum
        convention of zhang2018 §5, with the full gradient).
    nesterov : bool, default False
        Nesterov momentum in the form used by PyTorch/optax (Sutskever et al. 2013):
        ``v ← βv + ∇f(x)``, ``x ← x − η(∇f(x) + βv)``; needs only the gradient at ``x``.
    backtracking : bool, default False
        Armijo backtracking per trial (plain GD only): from ``t = lr``, shrink ``t ← shrink·t``
        until ``f(x − t∇f) ≤ f(x) − armijo·t‖∇f‖² + 10⁻¹³|f(x)|`` or ``max_backtracks`` shrinks
        were made (then the last ``t`` is taken). The ``10⁻¹³|f|`` slack keeps the decision off
        rounding noise near a minimum (which would otherwise make it depend on the batch size).
    armijo, shrink, max_backtracks :
        Constants of the Armijo rule (``0 < armijo < 1``, ``0 < shrink < 1``).
    stop : Stop
        Stop a trial when ``f ≤ stop.f``, ``‖∇f‖_F ≤ stop.grad`` or ``‖xxᵀ − M*‖_F ≤ stop.dist``;
        ``stop.success`` decides ``result.success`` (:class:`~spurious.Stop`).
    record_every : int or None
        Record ``f``, ``‖∇f‖_F`` and ``‖xxᵀ − M*‖_F`` every that many iterations (and at
        ``steps``) into ``result.trajectory``.

    Returns
    -------
    LocalSearchResult
        ``method = "gd"``; ``options`` holds every setting; ``nit`` the updates per trial.
        Trials producing NaN/inf are ``DIVERGED`` and frozen; the others go on.

    Examples
    --------
    >>> import numpy as np
    >>> import spurious as sp
    >>> prob = sp.least_squares(sp.operators.gaussian(60, 10, rng=0), np.ones((10, 1)), scaling="mean")
    >>> res = sp.gd(prob, trials=4, seed=1, steps=2000, lr=0.02, stop=sp.Stop(dist=1e-8, success=1e-6))
    >>> bool(res.success.all()), res.outcomes()["recovered"]
    (True, 4)
    """
    s0 = start(problem, x0, trials, seed, cell=cell, first_trial=first_trial)
    problem, x, init = s0.problem, s0.x, s0.init
    steps = check_int(steps, "steps", 0)
    lr = check_float(lr, "lr", 0.0, open_low=True)
    beta = check_float(momentum, "momentum", 0.0, 1.0, open_high=True)
    stop = check_stop(stop)
    if nesterov and beta == 0.0:
        raise InputError("nesterov = True needs momentum > 0")
    if backtracking:
        if beta != 0.0:
            raise InputError("backtracking: only for plain GD (momentum = 0)")
        if not (0.0 < armijo < 1.0 and 0.0 < shrink < 1.0 and max_backtracks >= 0):
            raise InputError(
                f"armijo = {armijo}, shrink = {shrink}, max_backtracks = {max_backtracks}: "
                "need 0 < armijo < 1, 0 < shrink < 1, max_backtracks ≥ 0"
            )
    vel = np.zeros_like(x) if beta else None

    def step(k: int, idx: np.ndarray, xa: np.ndarray, g: np.ndarray, fa: np.ndarray | None):
        if backtracking:
            return _armijo(problem, xa, g, fa, lr, armijo, shrink, max_backtracks)
        if vel is None:
            return xa - lr * g
        v = velocity(vel[idx], g, beta)
        vel[idx] = v
        return xa - lr * direction(v, g, beta, nesterov)

    options = {
        "lr": lr,
        "momentum": beta,
        "nesterov": bool(nesterov),
        "backtracking": bool(backtracking),
        "armijo": armijo,
        "shrink": shrink,
        "max_backtracks": max_backtracks,
        "init": init,
        "seed": int(seed),
        "cell": int(cell),
        "first_trial": int(first_trial),
    }
    return iterate(
        problem,
        x,
        steps=steps,
        step=step,
        stop=stop,
        record_every=record_every,
        method="gd",
        options=options,
        need_value=backtracking,
        point=s0.point,
    )


def _armijo(problem, xa, g, fa, lr, c, shrink, max_backtracks) -> tuple[np.ndarray, np.ndarray]:
    """One Armijo-backtracking step for every trial of the batch; shrinks only the failing trials.

    Returns the new iterates and ``f`` at them (NaN where the shrinks ran out: not evaluated).
    """
    t = np.full(xa.shape[0], lr)
    g2 = frobenius(g) ** 2
    slack = _ROUNDING_SLACK * np.abs(fa)  # decreases below rounding of f are not decisions
    todo = np.arange(xa.shape[0])
    new = np.empty_like(xa)
    f_new = np.full(xa.shape[0], np.nan)
    for _ in range(max_backtracks + 1):
        cand = xa[todo] - t[todo, None, None] * g[todo]
        f_cand = problem.value(cand)
        ok = f_cand <= fa[todo] - c * t[todo] * g2[todo] + slack[todo]
        new[todo[ok]] = cand[ok]
        f_new[todo[ok]] = f_cand[ok]
        todo_next = todo[~ok]
        if todo_next.size == 0:
            break
        t[todo_next] *= shrink
        todo = todo_next
    else:  # shrinks exhausted: the trials still failing take the smallest step tried
        new[todo] = xa[todo] - t[todo, None, None] * g[todo]
    return new, f_new
