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

For least squares ``g(x) = s‖A(xxᵀ) − b‖²`` the third derivative is
``D³g(y)[u, u, u] = 12 s ⟨A(yuᵀ + uyᵀ), A(uuᵀ)⟩``, so ``‖D³g(y)‖ ≤ 24 s β ‖y‖_F`` with
``β = λ_max(AᵀA)`` (a symmetric trilinear form's norm is attained on the diagonal), and on the
ball ``L = 24 s β (‖x₀‖_F + ρ)``. Here ``β`` is exact (the largest singular value of the
operator's matrix) when that matrix is small, else the Frobenius upper bound ``‖A‖_F²``.
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


def critical_ball(problem, x: np.ndarray, grad_norm: float, lam_min: float) -> CriticalBall:
    """The ball test for ``x`` of a symmetric problem with ``‖∇g(x)‖_F = grad_norm``, ``λ_min = lam_min``.

    Parameters
    ----------
    problem : SymmetricProblem
        A least-squares problem (other losses have no third-derivative bound here: the test
        then holds only for an exactly zero gradient).
    x : (n, r) array
    grad_norm : float
        ``ε``.
    lam_min : float
        Smallest Hessian eigenvalue off the rotation directions, minus its rounding error.

    Returns
    -------
    CriticalBall
    """
    from spurious.core._losses import QuadraticLoss
    from spurious.core._operators import SensingOperator

    eps, lam = float(grad_norm), float(lam_min)
    if not lam > 0:
        return CriticalBall(np.inf, np.nan, False, f"λ_min = {lam:.3g} is not positive")
    rho = 2.0 * eps / lam
    if eps == 0.0:
        return CriticalBall(0.0, 0.0, True, "exactly critical")
    loss = getattr(problem, "loss", None)
    if not isinstance(loss, QuadraticLoss) or not isinstance(loss.operator, SensingOperator):
        return CriticalBall(rho, np.nan, False, "no bound on the third derivative for this loss")
    beta, how = operator_norm_squared(loss.operator.matrix)
    L = 24.0 * loss.scale * beta * (float(np.linalg.norm(x)) + rho)
    holds = 4.0 * L * eps <= lam * lam
    rel = "≤" if holds else ">"
    return CriticalBall(
        rho, L, bool(holds), f"4Lε = {4 * L * eps:.3g} {rel} λ² = {lam * lam:.3g} (L = 24sβ(‖x‖ + ρ), β {how})"
    )
