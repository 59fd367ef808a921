"""When a point that is not exactly critical may be called a local minimum: a Newton–Kantorovich ball.

A computed point ``x₀`` has a small gradient ``ε = ‖∇g(x₀)‖_F`` and Hessian ``λ = λ_min > 0``
off the rotation directions ``T = {x₀W : W skew}``. That alone proves nothing: a degenerate
point with lower ``g`` can sit next to it. On the slice ``x₀ + T^⊥`` (transversal to the
rotation orbits), let ``L`` bound the Lipschitz constant of ``∇²g`` on the ball ``B(x₀, ρ)``.
If ``4 L ε ≤ λ²`` and ``ρ = 2ε/λ``, then on that ball the slice function has Hessian
``⪰ λ − Lρ ≥ λ/2``, so it is strongly convex there, and its minimizer ``x*`` lies within
``ε/(λ/2) = ρ`` of ``x₀``, inside the ball. ``x*`` is a critical point of ``g`` (its gradient is
orthogonal to the slice and, by the rotation invariance, to the orbit) with Hessian ``⪰ λ/2``
on the slice: a local minimum of ``g``, strict modulo the rotations. Without the inequality the
claim is undecided.

For ``g(y) = f(yyᵀ)`` with ``K = yuᵀ + uyᵀ`` (``‖u‖_F = 1``, so ``‖K‖_F ≤ 2‖y‖_F``),
``D³g(y)[u, u, u] = D³f[K, K, K] + 3 D²f[K, 2uuᵀ]``; with uniform bounds ``‖D²f‖ ≤ c₂`` and
``‖D³f‖ ≤ c₃`` (multilinear norms for the Frobenius norm; a symmetric form's norm is attained
on the diagonal) the Lipschitz constant of ``∇²g`` on the ball is
``L = 8 c₃ R³ + 12 c₂ R``, ``R = ‖x₀‖_F + ρ``. :func:`derivative_bounds` gives ``(c₂, c₃)``:

* least squares ``f = s‖A(M) − b‖²``: ``c₂ = 2sβ``, ``c₃ = 0`` (so ``L = 24 s β R``). ``D²f`` is
  only evaluated on ``K`` (rank ≤ ``2r``) and ``uuᵀ`` (rank ≤ ``r``), so by Cauchy–Schwarz ``β``
  may bound ``‖A(X)‖²/‖X‖_F²`` over rank ≤ ``2r`` alone: ``β = λ_max(AᵀA)`` exact (the largest
  singular value of the operator's matrix) when that matrix is small, else the Frobenius upper
  bound ``‖A‖_F²``; a matrix-free operator gives its own rank-``2r`` bound
  (``restricted_norm_sq_bound``: 1 for completion, ``√(2r) max‖a_i‖² λ_max(aᵀa)`` for rank-one);
* 1-bit logistic ``f = Σ log(1 + e^{M_ij}) − y_ij M_ij`` (bi2021): ``c₂ = max σ' = 1/4``,
  ``c₃ = max |σ''| = 1/(6√3)`` (``Σ|K_ij|³ ≤ ‖K‖_F³``);
* the asymmetric lift of bi2021 eq. (6), ``F = ½(f_a(N₁₂) + f_a(N₂₁ᵀ)) + φ/4(…)``:
  ``c₂ = (c₂(f_a) + φ)/2``, ``c₃ = c₃(f_a)/2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest ``m · N`` for which ``β`` is computed exactly (an SVD); above it ``‖A‖_F²`` bounds it.
EXACT_BETA_ENTRIES = 4_000_000


@dataclass(frozen=True)
class CriticalBall:
    """The Newton–Kantorovich test at a point with gradient ``ε`` and curvature ``λ`` off the symmetry.

    Attributes
    ----------
    radius : float
        ``ρ = 2ε/λ``: when ``holds``, a true critical point (a local minimum) lies within ``ρ``.
    lipschitz : float
        ``L``, the bound on the Lipschitz constant of ``∇²g`` over ``B(x₀, ρ)`` (NaN if none is known).
    holds : bool
        ``4 L ε ≤ λ²`` (and ``λ > 0``).
    reason : str
        One line: the inequality with its numbers, or why no bound is available.
    """

    radius: float
    lipschitz: float
    holds: bool
    reason: str

    def to_dict(self) -> dict:
        return {"radius": self.radius, "lipschitz": self.lipschitz, "holds": self.holds, "reason": self.reason}


def operator_norm_squared(matrix: np.ndarray) -> tuple[float, str]:
    """An upper bound on ``β = ‖A‖₂²`` (exact for small matrices) and how it was obtained."""
    if matrix.size <= EXACT_BETA_ENTRIES:
        from scipy.linalg import svdvals

        s = float(svdvals(matrix)[0])
        return s * s * (1.0 + 1e-12), "exact"
    return float(np.einsum("ij,ij->", matrix, matrix)), "Frobenius bound"


def derivative_bounds(loss, rank: int | None = None) -> tuple[float, float, str] | None:
    """Uniform bounds ``(c₂, c₃, how)`` on ``‖D²f‖`` and ``‖D³f‖`` of a loss, or None if unknown.

    ``rank``: the largest rank of the matrices ``D²f`` is evaluated on (``2r``); a matrix-free
    least-squares operator then bounds ``β`` over that rank only (every rank when None).
    """
    from spurious.core._losses import AsymmetricLift, LogisticLoss, QuadraticLoss
    from spurious.core._matrix_free import is_matrix_free

    if isinstance(loss, QuadraticLoss):
        if is_matrix_free(loss.operator):
            op = loss.operator
            beta, how = op.restricted_norm_sq_bound(op.n if rank is None else rank)
            how = f"{how} (matrix-free)"
        else:
            beta, how = operator_norm_squared(loss.operator.matrix)
        return 2.0 * loss.scale * beta, 0.0, f"least squares, β {how}"
    if isinstance(loss, LogisticLoss):
        return 0.25, 1.0 / (6.0 * np.sqrt(3.0)), "logistic: σ' ≤ 1/4, |σ''| ≤ 1/(6√3)"
    if isinstance(loss, AsymmetricLift):
        inner = derivative_bounds(loss.loss, rank)
        if inner is None:
            return None
        c2, c3, how = inner
        return 0.5 * (c2 + abs(loss.phi)), 0.5 * c3, f"asymmetric lift of ({how})"
    return None


def critical_ball(problem, x: np.ndarray, grad_norm: float, lam_min: float) -> CriticalBall:
    """The ball test for ``x`` of a symmetric problem with ``‖∇g(x)‖_F = grad_norm``, ``λ_min = lam_min``.

    Parameters
    ----------
    problem : SymmetricProblem
        Its loss needs :func:`derivative_bounds` (least squares, 1-bit, the asymmetric lift);
        for other losses the test holds only at an exactly zero gradient.
    x : (n, r) array
    grad_norm : float
        ``ε``.
    lam_min : float
        Smallest Hessian eigenvalue off the rotation directions, minus its rounding error.

    Returns
    -------
    CriticalBall
    """
    eps, lam = float(grad_norm), float(lam_min)
    if not lam > 0:
        return CriticalBall(np.inf, np.nan, False, f"λ_min = {lam:.3g} is not positive")
    rho = 2.0 * eps / lam
    if eps == 0.0:
        return CriticalBall(0.0, 0.0, True, "exactly critical")
    bounds = derivative_bounds(getattr(problem, "loss", None), 2 * x.shape[-1])  # K = yuᵀ + uyᵀ: rank ≤ 2r
    if bounds is None:
        return CriticalBall(rho, np.nan, False, "no bound on the third derivative for this loss")
    c2, c3, how = bounds
    R = float(np.linalg.norm(x)) + rho
    L = 8.0 * c3 * R**3 + 12.0 * c2 * R
    holds = 4.0 * L * eps <= lam * lam
    rel = "≤" if holds else ">"
    return CriticalBall(
        rho, L, bool(holds), f"4Lε = {4 * L * eps:.3g} {rel} λ² = {lam * lam:.3g} (L = 8c₃R³ + 12c₂R; {how})"
    )
