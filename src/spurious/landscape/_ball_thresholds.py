"""Local RIP thresholds over a neighbourhood of the ground truth (zhang2020 §4).

For ``ε ≥ 0`` let ``B_ε = {X ∈ R^{n×r} : ‖X Xᵀ − Z Zᵀ‖_F ≤ ε ‖Z Zᵀ‖_F}`` (zhang2020 eq. (4)).
The local thresholds are ``δ_foc(B_ε) = inf_{X ∈ B_ε} δ_foc(X)`` and
``δ_soc(B_ε) = inf_{X ∈ B_ε} δ_soc(X)``: an instance with RIP constant below them has no
spurious critical point (resp. spurious second-order point) in ``B_ε``.

* :func:`delta_foc_ball` — exact in closed form for rank 1 (derived below from zhang2020
  Theorem 4); multi-start local optimization (scipy SLSQP with the constraint) for rank r,
  seeded with an explicit point that attains the rank-1 value at ``Cε``.
* :func:`delta_soc_ball` — rank 1: a search over the ``(ρ, φ)`` region (δ_soc depends only on
  them), a grid of second-order program solves pruned by the lower bound
  ``max{δ_foc, 1/2}`` and refined by a bounded Nelder–Mead search; rank r: multi-start COBYLA over X.
* :func:`thm5_bound` (zhang2020 Thm 5), :func:`lemma7_bound` (zhang2020 Lemma 7),
  :func:`lower_bound` (eq. (7)), :func:`guaranteed_bound` (eq. (8)),
  :func:`sample_complexity` (Cor. 6).

Rank-1 closed form. With ``‖z‖ = 1``, ``s = sin²φ``, ``u = ρ²`` and
``d = ‖xxᵀ − zzᵀ‖²_F = 1 + u² − 2u(1 − s)``, Theorem 4 gives ``sin²θ = s²/d``. For fixed ``d``,
``d = (u − (1 − s))² + s(2 − s) ≥ s(2 − s)``, so ``s ≤ 1 − sqrt(1 − d)`` (``d < 1``), and
``sin²θ ≤ (1 − sqrt(1 − d))²/d = tan²(ψ/2)``, ``sin ψ = sqrt(d)``, increasing in ``d``. Hence,
for ``0 ≤ ε < 1``,

``δ_foc(B_ε) = sqrt(1 − ε² / (1 + sqrt(1 − ε²))²)``,

attained on the boundary at ``ρ² = cos²φ = sqrt(1 − ε²)``; for ``ε ≥ 1``, ``x = 0 ∈ B_ε`` and
``δ_foc(B_ε) = 0``. For rank r, perturbing only the column of ``Z`` (in its SVD basis) with the
smallest singular value in the same way gives a point of ``B_ε`` with that value at ``Cε``,
``C = ‖ZZᵀ‖_F/σ²_min(Z)``, so ``δ_foc(B_ε) ≤ g(Cε)`` with ``g`` the rank-1 formula; zhang2020
Thm 5 gives ``δ_foc(B_ε) ≥ sqrt(1 − Cε)`` (loose: at ``Cε = 1/2``, 0.7071 against
``g = 0.9634``). Observed (not proved): the rank-r multi-start never goes below ``g(Cε)``
(r = 2, 3, ``tests/test_local.py``), and for rank 2 the second-order search does not improve
on the rank-1 ``δ_soc(B_{Cε})`` minimizer placed on the weakest direction.

zhang2020 calls ``max{δ_foc(B_ε), δ*}`` a remarkably tight lower bound on ``δ_soc(B_ε)``; for
rank 1 we measure ``δ_soc(B_ε) − max{δ_foc(B_ε), 1/2}`` = 3.5e-5 (ε = 0.05), 5.8e-4 (0.2),
4.8e-3 (0.5), 0.026 (0.8), 0.218 (ε = 1, where ``x = 0`` enters and ``δ_foc(B_ε) = 0`` while
``δ_soc(B_ε) = 0.7185``), and 0 for ``ε ≥ √5/2`` (Example 3's point is in ``B_ε``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from spurious.core._errors import InputError, SolverError
from spurious.core._linalg import outer
from spurious.core._rng import RNGLike, as_generator
from spurious.core._summary import jsonable, short_repr, summary_lines
from spurious.core._validation import as_factor, check_float, check_int
from spurious.landscape import _guarantees
from spurious.landscape._closed_forms import delta_foc_closed, delta_foc_rank1

log = logging.getLogger(__name__)

__all__ = [
    "DELTA_STAR",
    "BallThreshold",
    "constant_c",
    "delta_foc_ball",
    "delta_foc_ball_rank1",
    "delta_soc_ball",
    "delta_star",
    "guaranteed_bound",
    "lemma7_bound",
    "lower_bound",
    "sample_complexity",
    "thm5_bound",
]

#: Global second-order thresholds used by zhang2020 eq. (7): 1/2 for r = 1 (Zhang, Sojoudi,
#: Lavaei 2018), 1/5 for r > 1 (bhojanapalli2016 Thm 4.1).
DELTA_STAR = {1: _guarantees.DELTA_STAR}
_DELTA_STAR_HIGH_RANK = _guarantees.DELTA_NO_SPURIOUS
#: Cap of zhang2020 Cor. 6: ``1/δ*²`` with the global threshold ``δ* = 1/5`` (25).
_SAMPLE_CAP = float(round(1.0 / _guarantees.DELTA_NO_SPURIOUS**2))


@dataclass(frozen=True)
class BallThreshold:
    """A local threshold ``inf_{X ∈ B_ε} δ(X)`` and the point attaining it.

    Attributes
    ----------
    delta : float
        The threshold (exact for ``method`` ``"rank1-closed"``; the best value found otherwise,
        i.e. an upper estimate of the infimum).
    eps : float
        Radius of ``B_ε`` (relative to ``‖ZZᵀ‖_F``).
    order : {"first", "second"}
    x : (n, r) array
        Minimizer found, in the coordinates of ``z``; ``δ(x) = delta``.
    rel_error : float
        ``‖x xᵀ − Z Zᵀ‖_F / ‖Z Zᵀ‖_F ≤ eps``.
    method : str
        ``"rank1-closed"``, ``"rank1-search"`` or ``"multistart"``.
    evaluations : int
        Number of threshold evaluations (program solves for ``order="second"``).
    rho, phi : float or None
        ``(ρ, φ)`` of ``x`` for rank 1.
    """

    delta: float
    eps: float
    order: str
    x: np.ndarray = field(repr=False)
    rel_error: float
    method: str
    evaluations: int
    rho: float | None = None
    phi: float | None = None

    # ----------------------------------------------------------------------------- helpers

    def __str__(self) -> str:
        return summary_lines(
            f"BallThreshold ({self.order} order, ε = {self.eps:g})",
            [
                ("δ over B_ε", self.delta),
                ("attained at x", self.x),
                ("‖xxᵀ − zzᵀ‖/‖zzᵀ‖", self.rel_error),
                ("(ρ, φ)", (self.rho, self.phi) if self.rho is not None else ...),
                ("method", f"{self.method} ({self.evaluations} evaluations)"),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("delta", "eps", "order", "method"))

    def to_dict(self) -> dict[str, object]:
        return jsonable(
            {
                k: getattr(self, k)
                for k in ("delta", "eps", "order", "x", "rel_error", "method", "evaluations", "rho", "phi")
            }
        )


def _ground_truth(z: object) -> np.ndarray:
    z = as_factor(z, "z")
    s = np.linalg.svd(z, compute_uv=False)
    if s[-1] <= 1e-12 * s[0]:
        raise InputError(f"z: must have full column rank (σ_min/σ_max = {s[-1] / s[0]:.3g})")
    return z


def _eps(eps: float) -> float:
    return check_float(eps, "eps", 0.0)


def constant_c(z: object) -> float:
    """``C = ‖Z Zᵀ‖_F / σ²_min(Z)`` of zhang2020 Theorem 5 (``C ≥ 1``; ``C = 1`` for rank 1)."""
    z = _ground_truth(z)
    s = np.linalg.svd(z, compute_uv=False)
    return float(np.sqrt(np.sum(s**4)) / s[-1] ** 2)


def _rel_error(x: np.ndarray, z: np.ndarray) -> float:
    ZZ = outer(z)
    return float(np.linalg.norm(outer(x) - ZZ) / np.linalg.norm(ZZ))


def delta_star(r: int) -> float:
    """``δ*`` of zhang2020 eq. (7): 1/2 for ``r = 1``, 1/5 for ``r > 1``."""
    r = check_int(r, "r", 1)
    return DELTA_STAR.get(r, _DELTA_STAR_HIGH_RANK)


def _g(t: float) -> float:
    """Rank-1 ``δ_foc(B_t)`` (module docstring): ``sqrt(1 − t²/(1 + sqrt(1 − t²))²)``, 0 for t ≥ 1."""
    if t >= 1.0:
        return 0.0
    return float(np.sqrt(1.0 - t**2 / (1.0 + np.sqrt(1.0 - t**2)) ** 2))


def _reduced_basis(z: np.ndarray) -> np.ndarray:
    """Orthonormal ``n × n'`` basis, ``n' = min(n, 2r)``: the column space of z first.

    Thresholds are invariant under ``(X, Z) → (UX, UZ)`` and depend on ``span[X Z]`` only
    (dimension ≤ 2r), so optimizing over X in these coordinates loses nothing.
    """
    n, r = z.shape
    q, _ = np.linalg.qr(z, mode="complete")
    return q[:, : min(n, 2 * r)]


def _rank1_point(z: np.ndarray, rho: float, phi: float) -> np.ndarray:
    """``x = ρ‖z‖(cos φ ẑ + sin φ w)`` with ``w ⟂ z`` a fixed unit vector (rank 1)."""
    n = z.shape[0]
    nz = float(np.linalg.norm(z))
    zh = z[:, 0] / nz
    if n == 1:
        w = np.zeros(1)
    else:
        q = _reduced_basis(z)
        w = q[:, 1]
    return (rho * nz * (np.cos(phi) * zh + np.sin(phi) * w))[:, None]


def _embed_weakest(z: np.ndarray, rho: float, phi: float) -> np.ndarray:
    """Replace the weakest singular direction of ``z`` by the rank-1 point ``(ρ, φ)``.

    With ``z = U S Vᵀ``, the last column ``σ_r u_r`` of ``U S`` becomes
    ``σ_r ρ (cos φ u_r + sin φ w)``, ``w ⟂ range(z)``; then ``‖XXᵀ − ZZᵀ‖_F`` equals
    ``σ_r²`` times the rank-1 relative error of ``(ρ, φ)``. ``n = r`` leaves no room for ``w``
    (``φ`` is then ignored unless ``ρ = 0``).
    """
    n, r = z.shape
    U, s, Vt = np.linalg.svd(z, full_matrices=False)
    cols = U * s
    if n == r:
        cols[:, -1] = 0.0 if rho == 0.0 else cols[:, -1]
    else:
        w = np.linalg.qr(np.hstack([U, np.eye(n)]))[0][:, r]
        cols[:, -1] = s[-1] * rho * (np.cos(phi) * U[:, -1] + np.sin(phi) * w)
    return cols @ Vt


def _weakest_column_point(z: np.ndarray, eps: float) -> np.ndarray:
    """A point of ``B_ε`` with ``δ_foc = g(Cε)``: the rank-1 minimizer on the weakest direction."""
    _, rho, phi = delta_foc_ball_rank1(min(eps * constant_c(z), 1.0))
    return _embed_weakest(z, rho, phi)


# ----------------------------------------------------------------------------- bounds


def thm5_bound(z: object, eps: float) -> float:
    """zhang2020 Theorem 5: ``δ_foc(B_ε) ≥ sqrt([1 − Cε]₊)``, ``C = ‖ZZᵀ‖_F/σ²_min(Z)``.

    The theorem states ``δ_foc(B_ε) > sqrt(1 − Cε)`` for ``ε ≤ 1/C``; beyond, the bound is 0.
    """
    return float(np.sqrt(max(0.0, 1.0 - constant_c(z) * _eps(eps))))


def lemma7_bound(z: object, eps: float) -> float:
    """zhang2020 Lemma 7/13: ``sin²θ ≤ ε/(2C₁ − ε)``, ``C₁ = 1/C``, so
    ``δ_foc(B_ε) ≥ sqrt([1 − ε/(2/C − ε)]₊)`` for ``ε < 2/C`` (0 beyond) — sharper than Thm 5,
    which relaxes ``ε/(2C₁ − ε) ≤ ε/C₁`` for ``ε ≤ C₁``. (The lemma's hypothesis is printed as
    ``‖XXᵀ − ZZᵀ‖_F ≤ ε‖ZZ‖²_F``; it is ``ε‖ZZᵀ‖_F`` as in eq. (4).)"""
    e = _eps(eps)
    c1 = 1.0 / constant_c(z)
    if e >= c1:
        return 0.0
    return float(np.sqrt(max(0.0, 1.0 - e / (2.0 * c1 - e))))


def guaranteed_bound(z: object, eps: float) -> float:
    """zhang2020 eq. (8): ``max{sqrt([1 − Cε]₊), δ*}`` — δ below it rules out spurious
    critical points (first term) / local minima (δ*) in ``B_ε``."""
    z = _ground_truth(z)
    return max(thm5_bound(z, eps), delta_star(z.shape[1]))


def lower_bound(z: object, eps: float, **kwargs) -> float:
    """zhang2020 eq. (7): ``δ_soc(B_ε) ≥ max{δ_foc(B_ε), δ*}``, ``δ* = 1/2`` (r = 1), 1/5 (r > 1).

    ``δ_foc(B_ε)`` comes from :func:`delta_foc_ball` (``kwargs`` are passed on): exact for
    rank 1, the multi-start value (an upper estimate of the infimum) for rank r.
    """
    z = _ground_truth(z)
    return max(delta_foc_ball(z, eps, **kwargs).delta, delta_star(z.shape[1]))


def sample_complexity(z: object, eps: float, n: int | None = None, C0: float = 1.0) -> float:
    """zhang2020 Corollary 6: ``m ≥ min{1/[1 − Cε]₊, 25} · C₀ n r`` measurements suffice.

    Parameters
    ----------
    z : (n, r) array
    eps : float
        Radius of ``B_ε``.
    n : int, optional
        Dimension (default ``z.shape[0]``).
    C0 : float
        The absolute constant of the sub-Gaussian RIP bound ``m ≥ C₀ n r / δ²``. It is
        **unknown** (the papers give no value); the default 1 makes the result a count in units
        of ``C₀ n r``. ``1/[1 − Cε]₊`` is ``+∞`` for ``ε ≥ 1/C``, where the cap 25 = 1/(1/5)²
        (the global threshold δ* = 1/5) takes over; the paper uses 25 for every rank.
    """
    z = _ground_truth(z)
    C0 = check_float(C0, "C0", 0.0, open_low=True)
    nn = z.shape[0] if n is None else check_int(n, "n", 1)
    gap = 1.0 - constant_c(z) * _eps(eps)
    factor = _SAMPLE_CAP if gap <= 1.0 / _SAMPLE_CAP else min(1.0 / gap, _SAMPLE_CAP)
    return float(factor * C0 * nn * z.shape[1])


# ----------------------------------------------------------------------------- δ_foc(B_ε)


def delta_foc_ball_rank1(eps: float) -> tuple[float, float, float]:
    """Rank-1 ``δ_foc(B_ε)`` in closed form and its minimizer ``(ρ, φ)`` (module docstring)."""
    e = _eps(eps)
    if e >= 1.0:
        return 0.0, 0.0, float(np.pi / 2)
    c2 = np.sqrt(1.0 - e**2)
    return _g(e), float(np.sqrt(c2)), float(np.arccos(np.sqrt(c2)))


def delta_foc_ball(
    z: object,
    eps: float,
    *,
    method: str = "auto",
    starts: int = 12,
    rng: RNGLike = None,
) -> BallThreshold:
    """First-order local threshold ``δ_foc(B_ε) = inf_{X ∈ B_ε} δ_foc(X)`` (zhang2020 §4).

    Parameters
    ----------
    z : (n, r) array of full column rank
    eps : float ≥ 0
    method : {"auto", "closed", "multistart"}
        ``"closed"`` (rank 1 only; ``"auto"`` picks it for rank 1): exact, see the module
        docstring. ``"multistart"``: SLSQP over X in ``n' = min(n, 2r)`` reduced coordinates with
        the constraint ``‖XXᵀ − ZZᵀ‖_F² ≤ ε²‖ZZᵀ‖_F²`` (gradient supplied), from ``starts``
        random feasible points plus the weakest-column point (module docstring); the result is
        the best value found, never above that point's ``g(Cε)``.
    starts : int
        ``"multistart"``: number of random feasible starting points.
    rng : Generator, int or None
        Random starts.

    Returns
    -------
    BallThreshold
        ``delta`` (exact for ``"closed"``, the best value found for ``"multistart"``) and the
        point attaining it.

    Notes
    -----
    ``B_ε`` is zhang2020 eq. (4) and ``δ_foc(X)`` its Theorem 4; the rank-1 closed form is
    derived in the module docstring. zhang2020 Theorem 5 bounds the result from below by
    ``sqrt(1 − Cε)``, ``C = ‖ZZᵀ‖_F/σ²_min(Z)``.
    """
    z = _ground_truth(z)
    e = _eps(eps)
    n, r = z.shape
    if method not in ("auto", "closed", "multistart"):
        raise InputError(f"method: unknown {method!r} (auto, closed, multistart)")
    if method == "closed" and r != 1:
        raise InputError(f"method: 'closed' is rank 1 only, z has rank {r}")
    if r == 1 and method in ("auto", "closed"):
        if n == 1:
            # x = t z: δ_foc = 1 unless x = 0 ∈ B_ε (ε ≥ 1).
            x = np.zeros((1, 1)) if e >= 1.0 else z.copy()
            d = 0.0 if e >= 1.0 else 1.0
            return BallThreshold(
                d,
                e,
                "first",
                x,
                _rel_error(x, z),
                "rank1-closed",
                0,
                0.0 if e >= 1 else 1.0,
                float(np.pi / 2) if e >= 1 else 0.0,
            )
        d, rho, phi = delta_foc_ball_rank1(e)
        x = _rank1_point(z, rho, phi)
        return BallThreshold(d, e, "first", x, _rel_error(x, z), "rank1-closed", 0, rho, phi)
    return _foc_multistart(z, e, starts, as_generator(rng))


def _random_feasible(zr: np.ndarray, eps: float, rng: np.random.Generator) -> np.ndarray:
    """A random point of ``B_ε`` (reduced coordinates): ``Z Q + t G`` on a random ray, with
    ``t`` bisected to a random fraction of the boundary distance (``X = 0`` when ε ≥ 1 helps
    nothing, so rays are used throughout)."""
    nr, r = zr.shape
    ZZ = outer(zr)
    nzz = float(np.linalg.norm(ZZ))
    q, _ = np.linalg.qr(rng.standard_normal((r, r)))
    base = zr @ q
    G = rng.standard_normal((nr, r))
    G *= np.linalg.norm(zr) / np.linalg.norm(G)
    lo, hi = 0.0, 1.0
    while np.linalg.norm(outer(base + hi * G) - ZZ) <= eps * nzz and hi < 1e6:
        hi *= 2.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if np.linalg.norm(outer(base + mid * G) - ZZ) <= eps * nzz:
            lo = mid
        else:
            hi = mid
    return base + lo * rng.uniform(0.3, 1.0) * G


def _foc_multistart(z: np.ndarray, eps: float, starts: int, rng: np.random.Generator) -> BallThreshold:
    import scipy.optimize

    r = z.shape[1]
    Q = _reduced_basis(z)
    zr = Q.T @ z
    nr = zr.shape[0]
    ZZ = outer(zr)
    bound2 = (eps * float(np.linalg.norm(ZZ))) ** 2

    def unpack(v: np.ndarray) -> np.ndarray:
        return v.reshape(nr, r)

    def objective(v: np.ndarray) -> float:
        return delta_foc_closed(unpack(v), zr) ** 2

    def cons(v: np.ndarray) -> float:
        E = outer(unpack(v)) - ZZ
        return (bound2 - float(np.sum(E * E))) / bound2 if bound2 > 0 else -float(np.sum(E * E))

    def cons_jac(v: np.ndarray) -> np.ndarray:
        X = unpack(v)
        E = outer(X) - ZZ
        return (-4.0 * E @ X).ravel() / (bound2 if bound2 > 0 else 1.0)

    seed = Q.T @ _weakest_column_point(z, eps)
    best_x, best = seed, delta_foc_closed(seed, zr)
    evals = 1
    if eps == 0.0:
        return BallThreshold(1.0, eps, "first", z.copy(), 0.0, "multistart", evals)
    x0s = [seed] + [_random_feasible(zr, eps, rng) for _ in range(max(0, starts))]
    for x0 in x0s:
        res = scipy.optimize.minimize(
            objective,
            x0.ravel(),
            method="SLSQP",
            constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
            options={"maxiter": 200, "ftol": 1e-12},
        )
        evals += int(res.nfev)
        X = unpack(res.x)
        if cons(res.x) < -1e-9:
            continue
        d = delta_foc_closed(X, zr)
        if d < best:
            best, best_x = d, X
    x = Q @ best_x
    return BallThreshold(float(best), eps, "first", x, _rel_error(x, z), "multistart", evals)


# ----------------------------------------------------------------------------- δ_soc(B_ε)


def _soc_point(x: np.ndarray, z: np.ndarray, solver: str) -> float:
    """``δ_soc(x)`` from the second-order program (:mod:`spurious.landscape._thresholds`).

    A solve whose independent re-check failed is not a valid value (its kernel may be
    infeasible, its δ too small): it counts as ``inf`` (never a minimizer). A re-checked but
    "optimal_inaccurate" solve is kept: its kernel is feasible, so its δ is attained.
    """
    from spurious.landscape._thresholds import threshold_program

    try:
        res = threshold_program(x, z, order="second", solver=solver)
    except SolverError as exc:
        log.debug("δ_soc probe failed: %s", exc)
        return float("inf")
    if not res.checked:
        log.debug("δ_soc probe not re-checked (%s): ignored", res.message)
        return float("inf")
    return float(res.delta)


def _region_point(u_frac: float, t: float, eps: float) -> tuple[float, float]:
    """``(ρ, φ)`` of the rank-1 region ``{1 + ρ⁴ − 2ρ² cos²φ ≤ ε²}`` (``‖z‖ = 1``), ``φ ∈ [0, π/2]``.

    Coordinates ``u = ρ² ∈ [max(0, 1 − ε), 1 + ε]`` (at fraction ``u_frac``) and
    ``c = cos²φ = c_lo(u) + t (1 − c_lo(u))`` with ``c_lo(u) = max(0, (1 + u² − ε²)/(2u))``:
    ``t = 0`` is the boundary ``‖xxᵀ − zzᵀ‖_F = ε`` (where ``c_lo > 0``), smooth in ``u``,
    unlike a parametrization by φ whose chord collapses at the tip.
    """
    u_lo, u_hi = max(0.0, 1.0 - eps), 1.0 + eps
    u = u_lo + u_frac * (u_hi - u_lo)
    c_lo = 0.0 if u == 0.0 else min(1.0, max(0.0, (1.0 + u * u - eps * eps) / (2.0 * u)))
    c = c_lo + t * (1.0 - c_lo)
    return float(np.sqrt(u)), float(np.arccos(np.sqrt(min(1.0, max(0.0, c)))))


def delta_soc_ball(
    z: object,
    eps: float,
    *,
    grid: tuple[int, int] = (10, 6),
    refine: int = 60,
    starts: int = 3,
    maxiter: int = 60,
    solver: str = "clarabel",
    rng: RNGLike = None,
) -> BallThreshold:
    """Second-order local threshold ``δ_soc(B_ε) = inf_{X ∈ B_ε} δ_soc(X)`` (zhang2020 §4).

    Parameters
    ----------
    z : (n, r) array of full column rank
    eps : float ≥ 0
    grid : (int, int)
        Rank 1: grid sizes in ``u = ρ²`` and in ``t`` (``t = 0`` on the boundary, see
        ``_region_point``) of the initial grid. Points whose
        lower bound ``max{δ_foc(x), 1/2}`` (zhang2020 eq. (7)) is not below the best value found
        are skipped without a solve.
    refine : int
        Rank 1: most evaluations of the bounded Nelder–Mead refinement from the best grid point.
    starts, maxiter : int
        Rank r > 1: COBYLA starts and iterations per start, over X in ``min(n, 2r)`` reduced
        coordinates. The starts are the rank-1 ``δ_soc(B_{Cε})`` minimizer placed on the weakest
        singular direction of Z (a point of ``B_ε``), the :func:`delta_foc_ball` minimizer, and
        ``starts − 2`` random feasible points.
    solver : str
        Passed to :func:`spurious.threshold_program`.
    rng : Generator, int or None
        Rank r > 1: the random starts.

    Returns
    -------
    BallThreshold
        ``delta`` is the best value found (an upper estimate of the infimum; the rank-1 search
        is over the exact 2-D parametrization, so its error is the search's resolution).

    Notes
    -----
    Rank 1: δ_soc depends only on ``(ρ, φ)`` (zhang2020 §6) and is invariant under
    ``x → −x`` and the reflection ``φ → −φ``, so ``φ ∈ [0, π/2]`` suffices; ``n = 1`` has
    ``δ_soc = 1`` on all of ``B_ε`` (x colinear with z, or ``x = 0``).
    """
    z = _ground_truth(z)
    e = _eps(eps)
    n, r = z.shape
    if e == 0.0 or (n == 1):
        return BallThreshold(
            1.0,
            e,
            "second",
            z.copy(),
            0.0,
            "rank1-search" if r == 1 else "multistart",
            0,
            1.0 if r == 1 else None,
            0.0 if r == 1 else None,
        )
    if r == 1:
        return _soc_rank1(z, e, grid, refine, solver)
    return _soc_multistart(z, e, starts, maxiter, solver, as_generator(rng))


def _soc_rank1(z: np.ndarray, eps: float, grid: tuple[int, int], refine: int, solver: str) -> BallThreshold:
    n_u, n_t = (max(2, int(grid[0])), max(2, int(grid[1])))
    cache: dict[tuple[float, float], float] = {}
    evals = 0
    best = (np.inf, 0.0, 0.0)  # (δ, u_frac, t)

    def evaluate(uf: float, t: float) -> float:
        nonlocal evals, best
        key = (round(uf, 13), round(t, 13))
        if key in cache:
            return cache[key]
        rho, ph = _region_point(uf, t, eps)
        lb = max(float(delta_foc_rank1(rho, ph)), DELTA_STAR[1])
        if lb >= best[0]:
            cache[key] = lb  # a lower bound at least the best value: no solve needed
            return lb
        if rho == 0.0 or np.sin(ph) <= 1e-12:
            d = 1.0  # x = 0 or x colinear with z: no second-order counterexample (δ_soc = 1)
        else:
            d = _soc_point(_rank1_point(z, rho, ph), z, solver)
            evals += 1
        cache[key] = d
        if d < best[0]:
            best = (d, uf, t)
        return d

    # t is graded towards the boundary t = 0, where the minimum usually lies.
    ts = np.linspace(0.0, 1.0, n_t) ** 2
    cand = []
    for uf in np.linspace(0.0, 1.0, n_u):
        for t in ts:
            cand.append((float(delta_foc_rank1(*_region_point(uf, t, eps))), uf, t))
    # Also the δ_foc(B_ε) minimizer and Example 3's point (ρ² = 1/2, φ = π/2; δ_soc = 1/2, the
    # global rank-1 minimum) when it lies in B_ε (ε ≥ √5/2), which a coarse grid can miss.
    _, rho_f, phi_f = delta_foc_ball_rank1(min(eps, 1.0))
    extra = [(rho_f**2, np.cos(phi_f) ** 2)]
    if eps * eps >= 1.25:
        extra.append((0.5, 0.0))
    u_lo, u_hi = max(0.0, 1.0 - eps), 1.0 + eps
    for u, c in extra:
        uf = (u - u_lo) / (u_hi - u_lo)
        c_lo = 0.0 if u == 0.0 else min(1.0, max(0.0, (1.0 + u * u - eps * eps) / (2.0 * u)))
        t = 0.0 if c_lo >= 1.0 else (c - c_lo) / (1.0 - c_lo)
        if 0.0 <= uf <= 1.0 and 0.0 <= t <= 1.0:
            cand.append((-1.0, uf, t))
    cand.sort()
    for _, uf, t in cand:
        evaluate(uf, t)
    if refine > 0 and np.isfinite(best[0]):
        import scipy.optimize

        _, u0, t0 = best
        simplex = np.array([[u0, t0], [u0, t0], [u0, t0]])
        simplex[1, 0] += 0.5 / (n_u - 1) * (1 if u0 < 1.0 else -1)
        simplex[2, 1] += 0.5 / (n_t - 1) ** 2 * (1 if t0 < 1.0 else -1)
        scipy.optimize.minimize(
            lambda v: min(2.0, evaluate(float(np.clip(v[0], 0.0, 1.0)), float(np.clip(v[1], 0.0, 1.0)))),
            simplex[0],
            method="Nelder-Mead",
            bounds=[(0.0, 1.0), (0.0, 1.0)],
            options={"initial_simplex": simplex, "maxfev": int(refine), "xatol": 1e-8, "fatol": 1e-11},
        )
    d, uf, t = best
    if not np.isfinite(d):
        raise SolverError("delta_soc_ball: no second-order program in the search could be solved and re-checked")
    rho, ph = _region_point(uf, t, eps)
    x = _rank1_point(z, rho, ph)
    return BallThreshold(float(d), eps, "second", x, _rel_error(x, z), "rank1-search", evals, rho, ph)


def _soc_multistart(
    z: np.ndarray, eps: float, starts: int, maxiter: int, solver: str, rng: np.random.Generator
) -> BallThreshold:
    import scipy.optimize

    Q = _reduced_basis(z)
    zr = Q.T @ z
    nr, r = zr.shape
    ZZ = outer(zr)
    bound = eps * float(np.linalg.norm(ZZ))
    evals = 0

    def unpack(v: np.ndarray) -> np.ndarray:
        return v.reshape(nr, r)

    def feasible(v: np.ndarray) -> float:
        return (bound - float(np.linalg.norm(outer(unpack(v)) - ZZ))) / max(bound, 1e-300)

    def objective(v: np.ndarray) -> float:
        nonlocal evals
        X = unpack(v)
        if feasible(v) < -1e-9:
            return 2.0 - feasible(v)  # COBYLA may probe outside; keep it out of the minimum
        evals += 1
        d = _soc_point(X, zr, solver)
        return d if np.isfinite(d) else 2.0  # an unsolvable probe is not a minimum

    # Starts: the rank-1 δ_soc(B_{Cε}) minimizer on the weakest direction, the δ_foc(B_ε)
    # minimizer, then random feasible points.
    t = eps * constant_c(z)
    r1 = _soc_rank1(np.array([[1.0], [0.0]]), t, (10, 6), 60, solver)
    x0s = [Q.T @ _embed_weakest(z, r1.rho, r1.phi)]
    x0s += [Q.T @ delta_foc_ball(z, eps, rng=rng).x]
    x0s += [_random_feasible(zr, eps, rng) for _ in range(max(0, starts - 2))]
    best, best_x = np.inf, x0s[0]
    for x0 in x0s:
        res = scipy.optimize.minimize(
            objective,
            x0.ravel(),
            method="COBYLA",
            constraints=[{"type": "ineq", "fun": feasible}],
            options={"maxiter": int(maxiter), "rhobeg": 0.1 * float(np.linalg.norm(zr))},
        )
        if feasible(res.x) >= -1e-9 and res.fun < best:
            best, best_x = float(res.fun), unpack(res.x)
    if not np.isfinite(best) or best > 1.0:
        raise SolverError("delta_soc_ball: no feasible start could be evaluated")
    x = Q @ best_x
    return BallThreshold(best, eps, "second", x, _rel_error(x, z), "multistart", evals)
