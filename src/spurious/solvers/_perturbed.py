"""Perturbed gradient descent with local improvement (bi2021 §Global Convergence, after Jin et al. 2017).

bi2021 Alg. 1 (their Appendix C, not in ``papers/``) is the "perturbed gradient descent
method with local improvement" of Jin, Ge, Netrapalli, Kakade & Jordan (2017), "How to
escape saddle points efficiently", Alg. 2 (PGD) and Alg. 3 (PGD-li). Per trial, with
Jin's names:

Phase 1 (PGD, Jin Alg. 2). At iteration ``t``, with ``g_t = ∇f(x_t)``:

1. if ``‖g_t‖ ≤ g_thres`` and ``t − t_noise > t_thres``: ``x̃ ← x_t``, ``t_noise ← t``,
   ``x_t ← x̃ + ξ_t`` with ``ξ_t`` uniform in the ball of radius ``r`` (of ``R^{n×r}``);
2. (optional, only when ``f_thres`` is given) if ``t − t_noise = t_thres`` and
   ``f(x_t) − f(x̃) > −f_thres``: the last perturbation did not decrease ``f``, so ``x̃`` is
   an approximate second-order point: ``x_t ← x̃`` and switch to phase 2 (this is Jin's
   return of PGD followed by Alg. 3's local improvement);
3. ``x_{t+1} ← x_t − η ∇f(x_t)``.

Phase 2 (local improvement). Plain GD ``x_{t+1} ← x_t − η ∇f(x_t)``, no more perturbations.
bi2021 switches as soon as the iterate is in the local region of linear convergence
(Thm 2, symmetric: ``‖XXᵀ − M*‖_F < 2(√2 − 1)(1 − δ)σ_r(M*)``; Thm 3, asymmetric in
``X = [U; V]``: ``‖XXᵀ − M̃*‖_F < 4(√2 − 1)(1 − δ)/(1 + δ)·σ_r(M*)``) — see
:func:`local_region`. The iteration where a trial first enters the region is recorded
(``result.options["region_iteration"]``; −1 if never), which is the marker of bi2021 Fig. 1.

Jin's theoretical constants (:func:`jin_parameters`) are derived from the gradient and
Hessian Lipschitz constants ``ℓ, ρ`` and the target accuracy ``ε``; they are very
conservative, so :func:`perturbed_gd` takes the four numbers directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError
from spurious.core._linalg import outer
from spurious.core._problems import AsymmetricProblem, SymmetricProblem
from spurious.core._validation import check_float, check_int
from spurious.solvers._result import LocalSearchResult
from spurious.solvers._stopping import DEFAULT_STOP, Stop, check_stop, frobenius, iterate, start


@dataclass(frozen=True, eq=False)
class LocalRegion:
    """Criterion ``‖XXᵀ − M̃*‖_F < radius`` (bi2021 Thm 2 / Thm 3); call it on a batch ``(..., n, r)``.

    Attributes
    ----------
    target : (n, n) array, ``M*`` (symmetric) or ``M̃* = W Wᵀ``, ``W = [U*; V*]`` balanced (asymmetric)
    radius : float
    delta : the RIP constant ``δ`` the radius was computed for
    theorem : "bi2021 Thm 2" or "bi2021 Thm 3"
    """

    target: np.ndarray
    radius: float
    delta: float
    theorem: str

    def distance(self, x: np.ndarray) -> np.ndarray:
        """``‖XXᵀ − M̃*‖_F``, ``(..., n, r) -> (...)``."""
        return frobenius(outer(np.asarray(x, dtype=np.float64)) - self.target)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.distance(x) < self.radius


def local_region(problem, delta: float) -> LocalRegion:
    """bi2021's region of local linear convergence of GD for a problem satisfying δ-RIP₂ᵣ.

    Parameters
    ----------
    problem : SymmetricProblem or AsymmetricProblem
    delta : float in [0, 1)
        The RIP constant of the loss (bi2021 estimates it by sampling; Fig. 1(a) uses 0.49,
        Fig. 1(b) 0.32; the 1-bit loss on ``|M_ij| ≤ 2.29`` has ``δ < 1/2``).

    Returns
    -------
    LocalRegion
        Symmetric (Thm 2): radius ``2(√2 − 1)(1 − δ)σ_r(M*)`` around ``M*``.
        Asymmetric (Thm 3): radius ``4(√2 − 1)(1 − δ)/(1 + δ)·σ_r(M*)`` around
        ``M̃* = [U*; V*][U*; V*]ᵀ`` with the balanced factorization ``U*ᵀU* = V*ᵀV*``.
    """
    delta = float(delta)
    if not 0.0 <= delta < 1.0:
        raise InputError(f"delta = {delta}: must lie in [0, 1)")
    c = np.sqrt(2.0) - 1.0
    if isinstance(problem, AsymmetricProblem):
        sigma_r = float(np.linalg.svd(problem.m_star, compute_uv=False)[problem.r - 1])
        radius = 4.0 * c * (1.0 - delta) / (1.0 + delta) * sigma_r
        return LocalRegion(outer(problem.balanced_factor()), radius, delta, "bi2021 Thm 3")
    if isinstance(problem, SymmetricProblem):
        sigma_r = float(np.linalg.eigvalsh(problem.m_star)[::-1][problem.r - 1])
        radius = 2.0 * c * (1.0 - delta) * sigma_r
        return LocalRegion(problem.m_star, radius, delta, "bi2021 Thm 2")
    raise InputError(f"local_region: unsupported problem type {type(problem).__name__}")


def jin_parameters(
    ell: float, rho: float, eps: float, *, dim: int, delta_f: float, c: float = 1.0, failure: float = 0.1
) -> dict:
    """Jin et al. (2017) Alg. 2 constants from ``ℓ``-smoothness, ``ρ``-Hessian-Lipschitz and ``ε``.

    ``χ = 3 max{log(d ℓ Δf / (c ε² δ)), 4}``, ``η = c/ℓ``, ``r = √c/χ² · ε/ℓ``,
    ``g_thres = √c/χ² · ε``, ``f_thres = c/χ³ · √(ε³/ρ)``, ``t_thres = χ/c² · ℓ/√(ρε)``.

    Parameters
    ----------
    ell, rho, eps : ``ℓ``, ``ρ``, ``ε``
    dim : ``d``, the number of variables (``n·r``)
    delta_f : ``Δf ≥ f(x₀) − f*``
    c : Jin's absolute constant
    failure : ``δ``, the failure probability

    Returns
    -------
    dict with keys ``lr``, ``perturb_radius``, ``grad_threshold``, ``perturb_interval`` (an int),
    ``f_threshold`` — the keyword arguments of :func:`perturbed_gd`.
    """
    for name, v in (("ell", ell), ("rho", rho), ("eps", eps), ("delta_f", delta_f), ("c", c), ("failure", failure)):
        check_float(v, name, 0.0, open_low=True)
    chi = 3.0 * max(np.log(dim * ell * delta_f / (c * eps**2 * failure)), 4.0)
    return {
        "lr": c / ell,
        "perturb_radius": np.sqrt(c) / chi**2 * eps / ell,
        "grad_threshold": np.sqrt(c) / chi**2 * eps,
        "perturb_interval": int(np.ceil(chi / c**2 * ell / np.sqrt(rho * eps))),
        "f_threshold": c / chi**3 * np.sqrt(eps**3 / rho),
    }


def _uniform_ball(gen: np.random.Generator, shape: tuple[int, int], radius: float) -> np.ndarray:
    """A point uniform in the Frobenius ball of the given radius in ``R^shape``."""
    g = gen.standard_normal(shape)
    u = gen.random()
    return radius * u ** (1.0 / g.size) * g / np.sqrt(np.sum(g * g))


def perturbed_gd(
    problem,
    *,
    x0: np.ndarray | None = None,
    trials: int | None = None,
    seed: int = 0,
    lr: float,
    steps: int,
    perturb_radius: float = 1e-3,
    grad_threshold: float = 1e-3,
    perturb_interval: int = 50,
    f_threshold: float | None = None,
    local_region: Callable[[np.ndarray], np.ndarray] | None = None,
    cell: int = 0,
    first_trial: int = 0,
    stop: Stop = DEFAULT_STOP,
    record_every: int | None = None,
) -> LocalSearchResult:
    """Perturbed GD with local improvement (bi2021 Alg. 1 = Jin et al. 2017 Alg. 2 + 3) on ``T`` trials.

    Parameters
    ----------
    problem : example name, Example, Instance, SymmetricProblem or AsymmetricProblem
    x0 : (T, n, r) or (n, r) array, optional
        Default: :func:`spurious.init.gaussian` ``(n, r, trials, seed=seed, cell=cell, first_trial=first_trial)``.
    trials : int, optional
        Number of trials (default 1 without ``x0``; inferred from, or checked against, ``x0``).
    lr : float
        Jin's ``η``, the fixed step of both phases.
    steps : int
        Maximal number of updates per trial (both phases together).
    seed, cell, first_trial : int
        Trial ``t`` draws its perturbations from ``trial_stream(seed, first_trial + t, cell)``
        (and, without ``x0``, first its Gaussian start from the same stream).
    perturb_radius : float, default 1e-3
        Jin's ``r``: ``ξ`` is uniform in the Frobenius ball of this radius in ``R^{n×r}``.
    grad_threshold : float, default 1e-3
        Jin's ``g_thres``: perturb only when ``‖∇f‖_F ≤ g_thres`` (absolute; scale with
        the problem, or use :func:`jin_parameters`).
    perturb_interval : int, default 50
        Jin's ``t_thres``: at least this many iterations between two perturbations.
    f_threshold : float or None, default None
        Jin's ``f_thres``. When given, a perturbation that has not decreased ``f`` by
        ``f_thres`` after ``t_thres`` iterations sends the trial back to the point before it
        and into phase 2 (Jin Alg. 2's termination, then Alg. 3's local improvement).
        None disables the test (bi2021's switch is the local region).
    local_region : callable or None, default None
        ``criterion(x) -> bool array`` on a batch ``(B, n, r)``; a trial switches to phase 2
        (plain GD) at the first iteration it is inside. Use :func:`local_region` for
        bi2021 Thm 2/3. None: no switch by region.
    stop : Stop
        Stopping tolerances (:class:`~spurious.Stop`), checked before the perturbation test (so
        with ``stop.grad`` a trial stops at a first-order point instead of being perturbed);
        ``stop.success`` decides ``result.success``.
    record_every : int or None
        Trajectory recording interval (``f``, ``‖∇f‖_F``, ``‖xxᵀ − M*‖_F``: bi2021 Fig. 1's curves).

    Returns
    -------
    LocalSearchResult
        ``method = "perturbed_gd"``. ``options`` holds the settings and, per trial,
        ``region_iteration`` (first iteration inside ``local_region``, −1 if never: the
        marker of bi2021 Fig. 1), ``switch_iteration`` (start of phase 2, −1 if never) and
        ``perturbations`` (number of perturbations added).
    """
    s0 = start(problem, x0, trials, seed, cell=cell, first_trial=first_trial)
    problem, x, init, streams = s0.problem, s0.x, s0.init, s0.streams
    steps = check_int(steps, "steps", 0)
    lr = check_float(lr, "lr", 0.0, open_low=True)
    stop = check_stop(stop)
    r_pert = check_float(perturb_radius, "perturb_radius", 0.0)
    g_thres = check_float(grad_threshold, "grad_threshold", 0.0)
    t_thres = check_int(perturb_interval, "perturb_interval", 1)
    f_thres = None if f_threshold is None else check_float(f_threshold, "f_threshold", 0.0, open_low=True)
    if local_region is not None and not callable(local_region):
        raise InputError("local_region: must be a callable criterion (see perturbed.local_region) or None")
    T = x.shape[0]

    phase2 = np.zeros(T, dtype=bool)
    t_noise = np.full(T, -t_thres - 1, dtype=np.int64)
    region_it = np.full(T, -1, dtype=np.int64)
    switch_it = np.full(T, -1, dtype=np.int64)
    count = np.zeros(T, dtype=np.int64)
    x_tilde = np.zeros_like(x) if f_thres is not None else None
    f_tilde = np.full(T, np.nan)

    def step(k: int, idx: np.ndarray, xa: np.ndarray, g: np.ndarray, fa: np.ndarray | None) -> np.ndarray:
        if local_region is not None:
            inside = np.asarray(local_region(xa), dtype=bool) & (region_it[idx] < 0)
            region_it[idx[inside]] = k
            enter = inside & ~phase2[idx]
            phase2[idx[enter]] = True
            switch_it[idx[enter]] = k
        p1 = ~phase2[idx]
        new = xa - lr * g
        if f_thres is not None:  # Jin Alg. 2: a perturbation that did not pay off ends phase 1
            due = p1 & (k - t_noise[idx] == t_thres) & (fa - f_tilde[idx] > -f_thres)
            if due.any():
                new[due] = x_tilde[idx[due]]
                phase2[idx[due]] = True
                switch_it[idx[due]] = k
                p1 &= ~due
        kick = p1 & (frobenius(g) <= g_thres) & (k - t_noise[idx] > t_thres)
        if kick.any() and r_pert > 0:
            rows = np.flatnonzero(kick)
            xk = xa[rows].copy()
            for j, t in enumerate(idx[rows]):
                xk[j] += _uniform_ball(streams[t], xa.shape[1:], r_pert)
            if f_thres is not None:
                x_tilde[idx[rows]] = xa[rows]
                f_tilde[idx[rows]] = fa[rows]
            t_noise[idx[rows]] = k
            count[idx[rows]] += 1
            new[rows] = xk - lr * problem.gradient(xk)
        return new

    options = {
        "lr": lr,
        "perturb_radius": r_pert,
        "grad_threshold": g_thres,
        "perturb_interval": t_thres,
        "f_threshold": f_thres,
        "seed": int(seed),
        "cell": int(cell),
        "first_trial": int(first_trial),
        "init": init,
        "local_region": getattr(local_region, "theorem", None if local_region is None else "callable"),
        "local_region_radius": getattr(local_region, "radius", None),
        "local_region_delta": getattr(local_region, "delta", None),
    }
    res = iterate(
        problem,
        x,
        steps=steps,
        step=step,
        stop=stop,
        record_every=record_every,
        method="perturbed_gd",
        options=options,
        need_value=f_thres is not None,
        point=s0.point,
    )
    res.options.update(region_iteration=region_it, switch_iteration=switch_it, perturbations=count)
    return res
