"""Noisy projected SGD of bhojanapalli2016 eq. (4), batched over trials.

``U⁺ = Proj_b(U − η(Σ_i(⟨A_i, UUᵀ⟩ − y_i) A_i U + ψ))``, ``ψ`` uniform on the unit sphere
of ``R^{n×r}`` (Frobenius norm), ``Proj_b`` the projection onto the ball ``‖U‖_F ≤ b``.

The paper's sum is the gradient of ``¼‖A(UUᵀ) − y‖²``: for symmetric ``A_i``,
``∇_U ‖A(UUᵀ) − y‖² = 4 Σ_i (⟨A_i, UUᵀ⟩ − y_i) A_i U``. Our least-squares objective is
``f = s‖A(UUᵀ) − y‖²`` (``s`` = 1, ½, 1/m or 1/(2m), :mod:`spurious.core._losses`), so the paper's
sum is ``problem.gradient(U) / (4s)`` — that is what is used (``grad_scale = 1/(4s)``),
whatever the objective's scaling; for other losses the full gradient is used
(``grad_scale = 1``) unless told otherwise.
"""

from __future__ import annotations

import numpy as np

from spurious.core._losses import QuadraticLoss
from spurious.core._problems import SymmetricProblem
from spurious.core._validation import check_float, check_int
from spurious.solvers._result import LocalSearchResult
from spurious.solvers._stopping import DEFAULT_STOP, Stop, check_stop, frobenius, iterate, start

#: Upper bound on the number of buffered noise entries (``T · B · n · r``).
_NOISE_BUFFER_ENTRIES = 1 << 21


def paper_grad_scale(problem) -> float:
    """The factor ``c`` with ``c·∇f = Σ_i(⟨A_i, UUᵀ⟩ − y_i)A_iU`` (bhojanapalli2016 eq. (4)).

    ``1/(4s)`` for a symmetric least-squares problem ``f = s‖A(UUᵀ) − y‖²``; 1 otherwise.
    """
    loss = getattr(problem, "loss", None)
    if isinstance(problem, SymmetricProblem) and isinstance(loss, QuadraticLoss):
        return 0.25 / loss.scale
    return 1.0


def projected_sgd(
    problem,
    *,
    x0: np.ndarray | None = None,
    trials: int | None = None,
    seed: int = 0,
    steps: int,
    lr: float,
    radius_b: float,
    cell: int = 0,
    first_trial: int = 0,
    noise: float = 1.0,
    grad_scale: float | None = None,
    stop: Stop = DEFAULT_STOP,
    record_every: int | None = None,
) -> LocalSearchResult:
    """Noisy projected (stochastic) gradient descent, bhojanapalli2016 eq. (4), on ``T`` trials.

    Parameters
    ----------
    problem : example name, Example, Instance, SymmetricProblem or AsymmetricProblem
    x0 : (T, n, r) or (n, r) array, optional
        Initial points (bhojanapalli2016 Thm 3.3 starts uniformly on ``‖U‖_F = b``:
        :func:`spurious.init.uniform_sphere`). Default: :func:`spurious.init.gaussian`
        ``(n, r, trials, seed=seed, cell=cell, first_trial=first_trial)``.
    trials : int, optional
        Number of trials (default 1 without ``x0``; inferred from, or checked against, ``x0``).
    steps : int
        Maximal number of updates per trial.
    lr : float
        Step size ``η``.
    radius_b : float
        ``b`` of ``Proj_b`` (Thm 3.3 asks ``b ≥ ‖U*‖_F``).
    seed, cell, first_trial : int
        Trial ``t`` draws its noise ``ψ`` from ``trial_stream(seed, first_trial + t, cell)``
        (``n·r`` standard normals per step, normalized), so a trial's run does not depend on
        the batch it is in.
    noise : float, default 1
        Radius of the sphere ``ψ`` is drawn from (1 in the paper; 0 gives projected GD).
    grad_scale : float or None
        ``c`` in ``U − η(c∇f(U) + ψ)``. Default: :func:`paper_grad_scale` — ``1/(4s)`` for
        least squares ``f = s‖A(UUᵀ) − y‖²``, which is the paper's sum exactly; 1 otherwise.
    stop : Stop
        Stopping tolerances (on ``f``, the problem's ``‖∇f‖_F`` — not scaled by ``c`` —
        and ``‖UUᵀ − M*‖_F``) and the success tolerance (:class:`~spurious.Stop`).
    record_every : int or None
        Trajectory recording interval.

    Returns
    -------
    LocalSearchResult
        ``method = "projected_sgd"``.
    """
    s0 = start(problem, x0, trials, seed, cell=cell, first_trial=first_trial)
    problem, x, init, streams = s0.problem, s0.x, s0.init, s0.streams
    steps = check_int(steps, "steps", 0)
    lr = check_float(lr, "lr", 0.0, open_low=True)
    b = check_float(radius_b, "radius_b", 0.0, open_low=True)
    noise = check_float(noise, "noise", 0.0)
    stop = check_stop(stop)
    c = paper_grad_scale(problem) if grad_scale is None else check_float(grad_scale, "grad_scale", 0.0, open_low=True)
    T, n, r = x.shape
    block = max(1, min(64, _NOISE_BUFFER_ENTRIES // (T * n * r)))
    buffer = np.empty((T, block, n, r)) if noise else None

    def step(k: int, idx: np.ndarray, xa: np.ndarray, g: np.ndarray, fa: np.ndarray | None) -> np.ndarray:
        # every active trial has taken exactly k steps, so its k-th normal block is due now
        d = c * g
        if noise:
            if k % block == 0:
                for t in idx:
                    streams[t].standard_normal(out=buffer[t])
            psi = buffer[idx, k % block]
            d = d + noise * psi / frobenius(psi)[:, None, None]
        u = xa - lr * d
        norm = frobenius(u)
        over = norm > b
        u[over] *= (b / norm[over])[:, None, None]
        return u

    options = {
        "lr": lr,
        "radius_b": b,
        "seed": int(seed),
        "cell": int(cell),
        "first_trial": int(first_trial),
        "noise": noise,
        "grad_scale": c,
        "init": init,
    }
    return iterate(
        problem,
        x,
        steps=steps,
        step=step,
        stop=stop,
        record_every=record_every,
        method="projected_sgd",
        options=options,
        point=s0.point,
    )
