"""RIP constants of sensing operators (scale-free δ, DESIGN conventions).

If ``α‖X‖² ≤ ‖A(X)‖² ≤ β‖X‖²`` over rank ≤ k, then ``δ = (β − α)/(β + α)``; the full-rank
constant (k = n) is exact from the extreme eigenvalues of the kernel ``H = AᵀA``.

For k < n, computing δ_k is NP-hard in general; :func:`rip_bounds` brackets it:

* ``upper``: the exact full-rank δ (a valid upper bound for every k, since the extreme
  Rayleigh quotients over rank ≤ k matrices lie inside ``[λ_min(H), λ_max(H)]``);
* ``sampled``: the estimate of bi2021 ("Numerical Illustration"): ``samples`` random
  matrices ``X Xᵀ`` with ``X ∈ R^{n×k}`` standard Gaussian, best scaling ⇒ δ from the
  smallest and largest ratio ``‖A(XXᵀ)‖²/‖XXᵀ‖²`` seen;
* ``adversarial``: a sharper lower bound by local optimization (both directions) of the
  ratio over all symmetric rank ≤ k matrices ``U diag(s) Uᵀ`` (``s ∈ {±1}^k``), from
  many starts including the sampled extremes.

Any ratio actually attained is a valid inner bound on ``[α_k, β_k]``, so
``sampled ≤ adversarial ≤ δ_k ≤ upper``.

Matrix-free operators (:mod:`spurious.operators`: rank-one, completion, Gaussian blocks, a
user's callables) run the same bounds through their maps, never forming ``m × N``: the
sampled ratios through ``A(X Xᵀ)`` (``apply_outer``), the adversarial search through
``A(U S Uᵀ)`` (``apply_sym``) and ``A*(y) U`` (``adjoint_apply``), ``O(m n k)`` per ratio for
rank-one measurements. The full-rank bound needs no eigensolver when ``m < N``: then
``rank H ≤ m < N``, ``λ_min(H) = 0`` and ``δ_n = 1`` exactly (``lam_max`` is not computed); for
``m ≥ N`` the kernel of the dense twin is formed (refused above the kernel limit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from spurious.core._budget import check_work
from spurious.core._errors import InputError, VerificationError
from spurious.core._linalg import smat, svec
from spurious.core._matrix_free import MatrixFreeOperator, is_matrix_free
from spurious.core._operators import DEFAULT_MAX_BYTES, SensingOperator
from spurious.core._rng import RNGLike, as_generator
from spurious.core._summary import format_value, short_repr, summary_lines
from spurious.core._validation import check_bytes, check_float, check_int

log = logging.getLogger(__name__)

#: Largest kernel ``H`` (bytes) whose eigenvalues :func:`rip_bounds` computes.
MAX_KERNEL_BYTES = 2e9
#: Memory used per chunk of the sampling estimate (bytes).
_CHUNK_BYTES = 64e6


def delta_from_bounds(alpha: float, beta: float) -> float:
    """``δ = (β − α)/(β + α)``; 1 when ``α ≤ 0`` (no RIP)."""
    if beta <= 0:
        return 1.0
    return float((beta - max(alpha, 0.0)) / (beta + max(alpha, 0.0)))


def full_rank_delta(H: np.ndarray, *, scale: float | None = None) -> float:
    """Exact full-rank δ of an operator from its kernel ``H = AᵀA`` (svec coordinates).

    Parameters
    ----------
    H : (N, N) array
        Kernel ``AᵀA`` (e.g. ``operator.kernel()``).
    scale : float > 0, optional
        Report the constant of a fixed normalization instead of the scale-free one: the smallest
        δ with ``(1 − δ)‖X‖² ≤ ‖A(X)‖²/scale ≤ (1 + δ)‖X‖²`` over all symmetric ``X``, i.e.
        ``max(1 − λ_min/scale, λ_max/scale − 1)`` (bhojanapalli2016 eq. (3) with ``scale = m``).
        It is never below the scale-free δ.

    Returns
    -------
    float
        ``δ = (λ_max − λ_min)/(λ_max + λ_min)`` from the extreme eigenvalues of ``H``: the
        scale-free RIP constant over all ranks (DESIGN); with ``scale``, the normalized one.
        Both bound ``δ_k`` for every ``k`` (rank ≤ k matrices are a subset).

    Examples
    --------
    >>> H = sp.get_example("zhang2018-example3").instance.operator.kernel()
    >>> round(sp.full_rank_delta(H), 12)
    0.5
    """
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=np.float64))
    if scale is not None:
        c = check_float(scale, "scale", 0.0, open_low=True)
        return float(max(1.0 - lam[0] / c, lam[-1] / c - 1.0))
    return delta_from_bounds(float(lam[0]), float(lam[-1]))


@dataclass(frozen=True)
class RIPBounds:
    """Bounds on the scale-free RIP constant ``δ_k`` of an operator over rank ≤ k.

    Attributes
    ----------
    lower : float
        A certified lower bound: the δ of ratios actually attained (``adversarial``),
        equal to ``exact`` when ``rank ≥ n``.
    upper : float
        The exact full-rank δ (a valid upper bound for every rank).
    method : str
        How ``lower`` was obtained (``"exact"`` or ``"adversarial"``).
    sampled : float or None
        The bi2021 sampling estimate (None when ``samples = 0``).
    adversarial : float
        The adversarial lower bound (≥ ``sampled``).
    exact : float
        The exact full-rank δ from the extreme eigenvalues of ``H``.
    rank, n : int
    alpha, beta : float
        The smallest and largest ratio ``‖A(X)‖²/‖X‖²`` attained (rank ≤ k), so that
        ``α_k ≤ alpha`` and ``beta ≤ β_k``; for ``rank ≥ n`` the extreme eigenvalues of ``H``.
    lam_min, lam_max : float
        Extreme eigenvalues of ``H`` (``α_n``, ``β_n``); for a matrix-free operator with
        ``m < N``, ``lam_min = 0`` (``rank H ≤ m``) and ``lam_max`` is NaN (not computed).
    samples, starts : int
    exact_from : str
        How ``exact`` was obtained: ``"eigenvalues of H"`` or ``"rank H ≤ m < N"``.
    """

    lower: float
    upper: float
    method: str
    sampled: float | None
    adversarial: float
    exact: float
    rank: int
    n: int
    alpha: float
    beta: float
    lam_min: float
    lam_max: float
    samples: int
    starts: int
    exact_from: str = "eigenvalues of H"

    def to_dict(self) -> dict[str, object]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "method": self.method,
            "sampled": self.sampled,
            "adversarial": self.adversarial,
            "exact": self.exact,
            "rank": self.rank,
            "n": self.n,
            "alpha": self.alpha,
            "beta": self.beta,
            "samples": self.samples,
            "starts": self.starts,
            "exact_from": self.exact_from,
        }

    def __str__(self) -> str:
        return summary_lines(
            f"RIPBounds (rank ≤ {self.rank}, n = {self.n})",
            [
                ("δ lower", self.lower),
                ("δ upper", self.upper),
                ("lower by", self.method),
                ("sampled (bi2021)", self.sampled),
                ("exact full rank", f"{format_value(self.exact)} ({self.exact_from})"),
                ("ratio range seen", (self.alpha, self.beta)),
                ("samples, starts", (self.samples, self.starts)),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("lower", "upper", "method", "rank", "n"))


def sampled_ratios(
    operator: SensingOperator, rank: int, samples: int = 10_000, rng: RNGLike = None, *, return_extremes: bool = False
):
    """Ratios ``‖A(XXᵀ)‖²/‖XXᵀ‖²`` for ``samples`` Gaussian ``X ∈ R^{n×rank}`` (bi2021).

    Vectorized in chunks of bounded memory. Returns a ``(samples,)`` array; with
    ``return_extremes`` also the factors ``X`` of the smallest and largest ratio.
    """
    n = operator.n
    g = as_generator(rng)
    k = min(rank, n)
    free = is_matrix_free(operator)
    per = 8.0 * (n * k + operator.m) * 2 if free else 8.0 * (n * k + 2 * n * n + operator.N + operator.m)
    chunk = max(1, int(_CHUNK_BYTES // per))
    out = np.empty(samples)
    x_lo = x_hi = None
    for start in range(0, samples, chunk):
        t = min(chunk, samples - start)
        X = g.standard_normal((t, n, k))
        if free:  # ‖X Xᵀ‖_F = ‖Xᵀ X‖_F: no n × n matrix
            AX = operator.apply_outer(X)
            K = np.swapaxes(X, -1, -2) @ X
            norm_sq = np.einsum("tij,tij->t", K, K)
        else:
            S = svec(X @ np.swapaxes(X, -1, -2))
            AX = S @ operator.matrix.T
            norm_sq = np.einsum("ij,ij->i", S, S)
        ratio = np.einsum("ij,ij->i", AX, AX) / norm_sq
        out[start : start + t] = ratio
        if return_extremes:
            i_lo, i_hi = int(np.argmin(ratio)), int(np.argmax(ratio))
            if x_lo is None or ratio[i_lo] < out[:start].min(initial=np.inf):
                x_lo = X[i_lo].copy()
            if x_hi is None or ratio[i_hi] > out[:start].max(initial=-np.inf):
                x_hi = X[i_hi].copy()
    if return_extremes:
        return out, x_lo, x_hi
    return out


def _ratio_and_grad(u: np.ndarray, signs: np.ndarray, A: np.ndarray, n: int, k: int):
    U = u.reshape(n, k)
    X = (U * signs) @ U.T
    s = svec(X)
    b = float(s @ s)
    if b <= 1e-300:
        return 0.0, np.zeros_like(u), 0.0
    As = A @ s
    a = float(As @ As)
    rho = a / b
    # d rho / dX (Frobenius, symmetric) = 2 (smat(AᵀA s) − rho X)/b; d/dU = 2 G U diag(s).
    G = 2.0 * (smat(A.T @ As) - rho * X) / b
    gU = 2.0 * (G @ U) * signs
    return rho, gU.ravel(), b


def _ratio_and_grad_free(u: np.ndarray, signs: np.ndarray, op: MatrixFreeOperator, n: int, k: int):
    """:func:`_ratio_and_grad` through a matrix-free operator's maps (no ``n × n`` matrix)."""
    U = u.reshape(n, k)
    Us = U * signs  # U S
    KS = (U.T @ U) * signs  # K S, K = UᵀU
    b = float(np.sum(KS * KS.T))  # ‖U S Uᵀ‖_F² = tr(K S K S)
    if b <= 1e-300:
        return 0.0, np.zeros_like(u), 0.0
    AX = op.apply_sym(U, 0.5 * Us)  # A(U S Uᵀ)
    a = float(AX @ AX)
    rho = a / b
    # as in _ratio_and_grad: d/dU = 4 (A*(A(X)) U S − ρ X U S)/b with X U S = U S K S
    gU = 4.0 * (op.adjoint_apply(AX, Us) - rho * (Us @ KS)) / b
    return rho, gU.ravel(), b


def adversarial_ratios(
    operator: SensingOperator | MatrixFreeOperator,
    rank: int,
    *,
    starts: int = 8,
    init: list[np.ndarray] | None = None,
    maxiter: int = 200,
    rng: RNGLike = None,
) -> tuple[float, float]:
    """Smallest and largest ratio ``‖A(X)‖²/‖X‖²`` found by local optimization over rank ≤ k.

    ``X = U diag(s) Uᵀ`` with ``U ∈ R^{n×k}`` and signs ``s ∈ {±1}^k`` covers every symmetric
    matrix of rank ≤ k. Each direction (min and max) is optimized with L-BFGS from
    ``starts`` random points plus the factors given in ``init`` (PSD starts, ``s = 1``).
    Every returned value is a ratio actually attained (re-evaluated at the optimizer's
    final point), so ``α_k ≤ min`` and ``max ≤ β_k``.
    """
    import scipy.optimize

    n = operator.n
    k = min(rank, n)
    if is_matrix_free(operator):
        ratio_and_grad, A = _ratio_and_grad_free, operator
    else:
        ratio_and_grad, A = _ratio_and_grad, operator.matrix
    g = as_generator(rng)
    cands: list[tuple[np.ndarray, np.ndarray]] = []
    for U0 in init or []:
        cands.append((np.asarray(U0, dtype=np.float64).reshape(n, k), np.ones(k)))
    for _ in range(starts):
        cands.append((g.standard_normal((n, k)), g.choice(np.array([-1.0, 1.0]), size=k)))
    lo, hi = np.inf, -np.inf
    for U0, signs in cands:
        for sign in (1.0, -1.0):

            def fun(u, signs=signs, sign=sign):
                rho, gr, _ = ratio_and_grad(u, signs, A, n, k)
                return sign * rho, sign * gr

            res = scipy.optimize.minimize(fun, U0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
            rho, _, b = ratio_and_grad(res.x, signs, A, n, k)
            rho0, _, b0 = ratio_and_grad(U0.ravel(), signs, A, n, k)
            for val, bb in ((rho, b), (rho0, b0)):
                if bb > 1e-300:
                    lo, hi = min(lo, val), max(hi, val)
    return float(lo), float(hi)


def rip_bounds(
    obj: object,
    rank: int,
    *,
    samples: int = 10_000,
    starts: int = 8,
    maxiter: int = 200,
    rng: RNGLike = None,
    max_work: float | None = None,
) -> RIPBounds:
    """Bounds on the RIP constant ``δ_rank`` of ``operator`` (scale-free, DESIGN).

    Parameters
    ----------
    obj : SensingOperator, MatrixFreeOperator, str, Example, Instance or least-squares problem
        The operator (dense or matrix-free), or what carries one: a built-in example's name, an
        :class:`~spurious.Example`, an :class:`~spurious.Instance`, a least-squares problem.
    rank : int
        The rank ``k`` of the test matrices (``2r`` or ``4r`` in the theorems), not the
        factor rank. For ``k ≥ n`` the bounds are the exact value.
    samples : int
        Number of random rank-k matrices of the bi2021 estimate (0 to skip it).
    starts : int
        Random starts of the adversarial search (each run in both directions).
    maxiter : int
        Iterations per L-BFGS run.
    rng : Generator, int or None
    max_work : float, optional
        Work limit of this call (:mod:`spurious.core._budget`; default ``$SPURIOUS_MAX_WORK`` or
        10¹²): ``(samples + 2·starts·maxiter)`` ratios, each ``~2mnk/75`` units for a
        matrix-free operator.

    Returns
    -------
    RIPBounds
        ``sampled ≤ adversarial = lower ≤ δ_k ≤ upper = exact``.

    Raises
    ------
    InputError
        ``obj`` carries no symmetric operator; ``rank < 1``, ``samples < 0``, ``starts < 0`` or
        ``maxiter < 1``.
    TooLargeError
        The kernel ``H`` (``N × N``) or the sample count is beyond the limits.

    Notes
    -----
    bi2021, "Numerical Illustration" (10⁴ random ``XXᵀ``, best scaling ``a``): with ratios
    in ``[ρ_min, ρ_max]`` the best ``a`` gives ``δ = (ρ_max − ρ_min)/(ρ_max + ρ_min)``.

    Examples
    --------
    The operator of zhang2018 Example 3 (``n = 2``, so rank 2 is exact): ``δ = 1/2``.

    >>> b = sp.rip_bounds("zhang2018-example3", rank=2)
    >>> b.method, round(b.lower, 12), round(b.upper, 12)
    ('exact', 0.5, 0.5)

    Below full rank the bounds bracket ``δ_k``:

    >>> b = sp.rip_bounds(sp.operators.gaussian(20, 4, rng=0), rank=2, samples=1000, rng=0)
    >>> bool(b.sampled <= b.lower <= b.upper), b.method
    (True, 'adversarial')
    """
    from spurious.core._sources import as_operator

    operator = as_operator(obj)
    if not isinstance(operator, SensingOperator | MatrixFreeOperator):
        raise InputError(
            f"operator: expected a symmetric sensing operator (dense or matrix-free), got {type(operator).__name__}"
        )
    rank = check_int(rank, "rank", 1)
    samples = check_int(samples, "samples", 0)
    starts = check_int(starts, "starts", 0)
    maxiter = check_int(maxiter, "maxiter", 1)
    per = _ratio_units(operator, rank)
    check_work(
        (float(samples) + 2.0 * starts * maxiter) * per,
        f"rip: (samples = {samples} + 2 × starts = {starts} × maxiter = {maxiter})"
        + (f" × {per:.3g} units per ratio (matrix-free, m·n·k = {operator.m}·{operator.n}·{rank})" if per > 1 else ""),
        limit=max_work,
    )
    check_bytes(8.0 * samples, f"the ratios of samples = {samples}", DEFAULT_MAX_BYTES)
    n = operator.n
    if rank < n and samples == 0 and starts == 0:
        raise InputError(f"rank = {rank} < n = {n}: a lower bound needs samples > 0 or starts > 0")
    g = as_generator(rng)
    lam_min, lam_max, exact, exact_from = _full_rank(operator)

    sampled = None
    init: list[np.ndarray] = []
    s_lo, s_hi = np.inf, -np.inf
    if samples:
        sub = np.random.default_rng(g.integers(2**63))
        ratios, x_lo, x_hi = sampled_ratios(operator, rank, samples, rng=sub, return_extremes=True)
        s_lo, s_hi = float(ratios.min()), float(ratios.max())
        sampled = delta_from_bounds(s_lo, s_hi)
        init = [x_lo, x_hi]  # the extreme samples start the adversarial search
    if rank >= n:
        alpha, beta = lam_min, lam_max
        adversarial = exact
        method = "exact"
    else:
        a_lo, a_hi = adversarial_ratios(operator, rank, starts=starts, init=init, maxiter=maxiter, rng=g)
        alpha, beta = min(a_lo, s_lo), max(a_hi, s_hi)
        adversarial = delta_from_bounds(alpha, beta)
        method = "adversarial"
    tol = 1e-9 * max(abs(lam_max) if np.isfinite(lam_max) else max(beta, s_hi, 0.0), 1e-300)
    if min(alpha, s_lo) < lam_min - tol or max(beta, s_hi) > lam_max + tol:  # False for NaN lam_max
        raise VerificationError(
            f"rip: attained ratio range [{alpha:.6g}, {beta:.6g}] outside the spectrum [{lam_min:.6g}, {lam_max:.6g}]"
        )
    adversarial = min(adversarial, exact)  # equal up to rounding when the extremes are attained
    if sampled is not None:
        sampled = min(sampled, adversarial)
    return RIPBounds(
        lower=adversarial,
        upper=exact,
        method=method,
        sampled=sampled,
        adversarial=adversarial,
        exact=exact,
        rank=rank,
        n=n,
        alpha=float(alpha),
        beta=float(beta),
        lam_min=lam_min,
        lam_max=lam_max,
        samples=int(samples),
        starts=int(starts),
        exact_from=exact_from,
    )


#: Floating-point operations per work unit (a unit is ~15 ns on one core, :mod:`spurious.core._budget`).
_FLOPS_PER_UNIT = 75.0


def _ratio_units(operator, rank: int) -> float:
    """Work units of one ratio: 1 for a dense operator (small n), ``~2 m n k`` flops for a matrix-free one."""
    if not is_matrix_free(operator):
        return 1.0
    return max(1.0, 2.0 * operator.m * operator.n * min(rank, operator.n) / _FLOPS_PER_UNIT)


def _full_rank(operator) -> tuple[float, float, float, str]:
    """``(λ_min(H), λ_max(H), δ_n, how)``: from the kernel's eigenvalues, or ``(0, NaN, 1)`` when ``m < N``.

    A matrix-free operator with fewer measurements than ``N = n(n+1)/2`` has a singular kernel
    (``rank AᵀA ≤ m``), so the full-rank δ is 1 without an eigensolve; with ``m ≥ N`` its dense
    twin's kernel is formed, under the same limit as a dense operator's.
    """
    N = operator.N
    if is_matrix_free(operator) and operator.m < N:
        return 0.0, float("nan"), 1.0, "rank H ≤ m < N"
    check_bytes(8.0 * N * N * 3, f"the {N}×{N} kernel H and its eigendecomposition", MAX_KERNEL_BYTES)
    dense = operator.to_dense() if is_matrix_free(operator) else operator
    lam = np.linalg.eigvalsh(dense.kernel())
    lam_min, lam_max = float(lam[0]), float(lam[-1])
    return lam_min, lam_max, delta_from_bounds(lam_min, lam_max), "eigenvalues of H"
