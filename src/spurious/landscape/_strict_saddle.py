"""The strict-saddle bound of bhojanapalli2016 Thm 3.2 at a first-order point."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError
from spurious.core._summary import short_repr, summary_lines
from spurious.landscape._certify import GRAD_TOL, check_point, problem_and_point
from spurious.landscape._guarantees import DELTA_NOISY, STRICT_SADDLE_CURVATURE


@dataclass(frozen=True)
class StrictSaddleCheck:
    """bhojanapalli2016 Thm 3.2 at a first-order point ``U`` with ``UUᵀ ≠ X*``.

    The theorem (noiseless, ``δ₄ᵣ < 1/10`` in the paper's ``1/m`` normalization, rank(X*) ≤ r)
    says ``λ_min((1/m)∇²f(U)) ≤ −(2/5) σ_r(X*)``. Here ``1/m`` becomes ``1/p`` with
    ``p = (α + β)/2`` of the operator (in the problem's scaling), so that
    ``(1 − δ)‖X‖² ≤ ‖A(X)‖²/p ≤ (1 + δ)‖X‖²`` with our scale-free δ.

    Attributes
    ----------
    lambda_min : float
        Smallest eigenvalue of ``∇²f(U)`` (the whole Hessian, as in the theorem).
    lambda_min_normalized : float
        ``lambda_min / p``.
    bound : float
        ``−(2/5) σ_r(X*)``.
    p : float
    delta4r : float
    sigma_r : float
    first_order : bool
    distinct : bool
        ``UUᵀ ≠ X*`` (beyond the distance tolerance).
    noiseless : bool
        ``b = A(X*)`` (the theorem is stated for the noiseless case).
    applies : bool
        The theorem's hypotheses hold: ``δ₄ᵣ < 1/10``, first order, distinct, noiseless,
        rank(X*) ≤ r.
    holds : bool
        ``lambda_min_normalized ≤ bound``.
    """

    lambda_min: float
    lambda_min_normalized: float
    bound: float
    p: float
    delta4r: float
    sigma_r: float
    first_order: bool
    distinct: bool
    noiseless: bool
    applies: bool
    holds: bool

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return summary_lines(
            "StrictSaddleCheck (bhojanapalli2016 Thm 3.2)",
            [
                ("λ_min(∇²f)/p", self.lambda_min_normalized),
                ("bound −(2/5)σ_r(X*)", self.bound),
                ("holds", self.holds),
                ("theorem applies", self.applies),
                ("δ₄ᵣ", self.delta4r),
                ("first order, distinct, noiseless", (self.first_order, self.distinct, self.noiseless)),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("lambda_min_normalized", "bound", "holds", "applies"))


def strict_saddle_check(
    obj: object,
    x: np.ndarray | None = None,
    delta4r: float | None = None,
    *,
    p: float | None = None,
    grad_tol: float = GRAD_TOL,
) -> StrictSaddleCheck:
    """Check the strict-saddle bound of bhojanapalli2016 Thm 3.2 at ``x``.

    Parameters
    ----------
    obj : SymmetricProblem, str, Example or Instance
        A least-squares problem (:func:`~spurious.least_squares`), or an example (name) or
        instance (its least-squares problem).
    x : (n, r) array, optional
        The point ``U``; default the instance's own ``x``.
    delta4r : float, optional
        Our scale-free δ over rank ≤ 4r matrices. Default: the exact full-rank δ of the
        operator (``rip_bounds(op, 4r).upper``, a valid upper bound on δ₄ᵣ).
    p : float, optional
        The normalization ``(α + β)/2`` of the operator over rank ≤ 4r, as it enters the
        objective (``α, β`` of ``s·AᵀA`` for the scaling ``s``). Default: the kernel's
        extreme eigenvalues when ``4r ≥ n`` (exact); otherwise the extreme ratios found by
        :func:`~spurious.rip_bounds` (an estimate).
    grad_tol : float
        Relative gradient tolerance, as in :func:`certify`.

    Returns
    -------
    StrictSaddleCheck

    Notes
    -----
    bhojanapalli2016 Thm 3.2 and Def. 2.1 (eq. (3)).
    """
    from spurious.core._losses import QuadraticLoss
    from spurious.core._operators import SensingOperator

    problem, x = problem_and_point(obj, x)
    loss = getattr(problem, "loss", None)
    if not isinstance(loss, QuadraticLoss) or not isinstance(loss.operator, SensingOperator):
        raise InputError("problem: the strict-saddle check needs a symmetric least-squares problem")
    op = loss.operator
    if delta4r is None:
        from spurious.landscape._rip import full_rank_delta

        delta4r = full_rank_delta(op.kernel())
    if not np.isfinite(delta4r) or not 0 <= delta4r <= 1:
        raise InputError(f"delta4r = {delta4r}: must lie in [0, 1]")
    x = check_point(problem, x)
    r = problem.r
    if p is None:
        if 4 * r >= op.n:
            lam = np.linalg.eigvalsh(op.kernel())
            alpha, beta = float(lam[0]), float(lam[-1])
        else:
            from spurious.landscape._rip import rip_bounds

            b = rip_bounds(op, 4 * r, samples=2000, rng=0)
            alpha, beta = b.alpha, b.beta
        p = loss.scale * 0.5 * (alpha + beta)
    if not np.isfinite(p) or p <= 0:
        raise InputError(f"p = {p}: must be positive")
    H = problem.hessian(x)
    full = np.linalg.eigvalsh(H)
    scale = max(abs(full[0]), abs(full[-1]), 1e-300)
    lam_min = float(full[0])
    sig = np.linalg.svd(problem.m_star, compute_uv=False)
    sigma_r = float(sig[r - 1]) if r <= sig.size else 0.0
    rank_star = int(np.count_nonzero(sig > 1e-10 * max(sig[0], 1e-300)))
    grad_norm = float(np.linalg.norm(problem.gradient(x)))
    first = grad_norm <= grad_tol * scale * max(float(np.linalg.norm(x)), 1.0)
    distinct = float(problem.distance(x)) > 1e-6 * max(float(np.linalg.norm(problem.m_star)), 1.0)
    noiseless = bool(np.allclose(loss.b, op.apply(problem.m_star), rtol=1e-10, atol=1e-12))
    bound = -STRICT_SADDLE_CURVATURE * sigma_r
    norm = lam_min / p
    applies = bool(delta4r < DELTA_NOISY and first and distinct and noiseless and rank_star <= r)
    return StrictSaddleCheck(
        lambda_min=lam_min,
        lambda_min_normalized=float(norm),
        bound=float(bound),
        p=float(p),
        delta4r=float(delta4r),
        sigma_r=sigma_r,
        first_order=bool(first),
        distinct=bool(distinct),
        noiseless=noiseless,
        applies=applies,
        holds=bool(norm <= bound),
    )
