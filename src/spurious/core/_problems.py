"""Burer–Monteiro problems ``g(x) = f(x xᵀ)``: value, gradient, Hessian and Hessian-vector
products at one point ``(n, r)`` or a batch of points ``(T, n, r)``.

With ``G = ∇f(M)`` and ``M = x xᵀ`` (``f`` a :mod:`~spurious.losses` loss):

* ``∇g(x) = 2 G x`` (``G`` symmetric),
* ``∇²g(x)[u] = 2 G u + 2 [∇²f(M)](x uᵀ + u xᵀ) x``,

which for least squares ``f = ‖A(M) − b‖²`` is ``∇g = 2 Xmatᵀ H e`` and ``∇²g = 2 M(H)``
(zhang2018 eq. (5)–(8), DESIGN conventions). Explicit Hessians are ``nr × nr`` in ``vec``
(column-stacking) coordinates.

The asymmetric problem ``f_a(UVᵀ) + φ/4‖UᵀU − VᵀV‖²`` (bi2021 eq. (5)) is written in the
stacked variable ``X = [U; V]`` and is available both directly
(:class:`AsymmetricProblem`) and lifted to a symmetric problem (bi2021 eq. (7),
:meth:`AsymmetricProblem.lifted`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError
from spurious.core._linalg import outer, unvec, vec
from spurious.core._losses import AsymmetricLift, LogisticLoss, Loss, QuadraticLoss
from spurious.core._matrix_free import MatrixFreeOperator, is_matrix_free
from spurious.core._operators import DEFAULT_MAX_BYTES, RectangularOperator, SensingOperator
from spurious.core._rng import RNGLike, as_generator
from spurious.core._validation import as_factor, as_psd, as_real_array, check_bytes, check_float


def _hessian_from_hvp(hvp, x: np.ndarray) -> np.ndarray:
    n, r = x.shape[-2:]
    E = unvec(np.eye(n * r), n, r)  # (nr, n, r): the basis directions
    cols = hvp(x[..., None, :, :], E)  # (..., nr, n, r)
    Hm = vec(cols)  # (..., nr, nr); row k = vec(∇²g e_k)
    return 0.5 * (Hm + np.swapaxes(Hm, -1, -2))


class _ProblemBase:
    n: int
    r: int

    def _check(self, x: np.ndarray, name: str = "x") -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 2 or x.shape[-2:] != (self.n, self.r):
            raise InputError(f"{name}: shape {x.shape}, expected (..., {self.n}, {self.r})")
        return x

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Explicit Hessian, ``(..., n, r) -> (..., nr, nr)`` in vec coordinates.

        For a matrix-free operator the ``nr`` Hessian-vector products are taken in chunks
        (memory bounded); the ``nr × nr`` result itself is refused above 4 GB.
        """
        x = self._check(x)
        if not getattr(getattr(self, "loss", None), "factored", False):
            return _hessian_from_hvp(self.hvp, x)
        n, r = x.shape[-2:]
        nr = n * r
        batch = int(np.prod(x.shape[:-2], dtype=np.int64))
        kind = self.loss.operator.kind
        what = f"the explicit {nr}×{nr} Hessian ({kind} operator; use hvp)"
        check_bytes(8.0 * nr * nr * batch, what, DEFAULT_MAX_BYTES)
        E = unvec(np.eye(nr), n, r)
        out = np.empty((*x.shape[:-2], nr, nr))
        step = max(1, int(2**26 // (8.0 * max(self.loss.operator.m, n) * r * 4)))
        hvp = self.hvp_at(x[..., None, :, :])  # the residual at x once, not once per chunk
        for lo in range(0, nr, step):
            hi = min(nr, lo + step)
            out[..., lo:hi, :] = vec(hvp(E[lo:hi]))
        return 0.5 * (out + np.swapaxes(out, -1, -2))


@dataclass(frozen=True, eq=False)
class SymmetricProblem(_ProblemBase):
    """``min_x f(x xᵀ)`` over ``x ∈ R^{n×r}`` with ground truth ``M* = z zᵀ``.

    Attributes
    ----------
    loss : Loss on symmetric ``n × n`` matrices
    m_star : (n, n) array, the ground truth ``M*`` (PSD)
    r : int, the search rank
    z : (n, r*) array or None, a factor of ``M*`` when one is known
    """

    loss: Loss
    m_star: np.ndarray
    r: int
    z: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.z is not None and isinstance(self.m_star, np.ndarray) and np.array_equal(self.m_star, outer(self.z)):
            # z zᵀ is PSD and symmetric by construction: skip the O(n³) eigenvalue check (n in the
            # thousands); the same symmetrization as as_psd's, bit for bit
            object.__setattr__(self, "m_star", 0.5 * (self.m_star + self.m_star.T))
        else:
            object.__setattr__(self, "m_star", as_psd(self.m_star, "ground truth M*"))
        if not 1 <= self.r <= self.n:
            raise InputError(f"r = {self.r}: must satisfy 1 ≤ r ≤ n = {self.n}")

    @property
    def n(self) -> int:
        return self.m_star.shape[0]

    @property
    def factored(self) -> bool:
        """True when the loss evaluates from the factor (a matrix-free operator): no ``n × n`` matrices."""
        return bool(getattr(self.loss, "factored", False))

    def value(self, x: np.ndarray) -> np.ndarray:
        """``g(x) = f(x xᵀ)``, ``(..., n, r) -> (...)``."""
        if self.factored:
            return self.loss.value_factor(self._check(x))
        return self.loss.value(outer(self._check(x)))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """``∇g(x) = 2 ∇f(xxᵀ) x``, ``(..., n, r) -> (..., n, r)``."""
        x = self._check(x)
        if self.factored:
            return self.loss.gradient_factor(x)
        return 2.0 * self.loss.gradient(outer(x)) @ x

    def hvp(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``∇²g(x)[u] = 2 ∇f(M) u + 2 [∇²f(M)](xuᵀ + uxᵀ) x`` (broadcasts over leading axes)."""
        x, u = self._check(x), self._check(u, "u")
        if self.factored:
            return self.loss.hvp_factor(x, u)
        M = outer(x)
        xu = x @ np.swapaxes(u, -1, -2)
        K = self.loss.hessian_action(M, xu + np.swapaxes(xu, -1, -2))
        return 2.0 * self.loss.gradient(M) @ u + 2.0 * K @ x

    def hvp_at(self, x: np.ndarray):
        """``u ↦ ∇²g(x)[u]`` at a fixed ``x`` (what depends on ``x`` alone computed once): iterative eigensolvers."""
        x = self._check(x)
        if self.factored:
            return self.loss.hvp_factor_at(x)
        return lambda u: self.hvp(x, u)

    def distance(self, x: np.ndarray) -> np.ndarray:
        """``‖x xᵀ − M*‖_F``, ``(..., n, r) -> (...)``.

        For a matrix-free problem with a known ``z``: ``x xᵀ − z zᵀ = W D Wᵀ`` with
        ``W = [x, z] = Q R`` and ``D = diag(I, −I)``, so the distance is ``‖R D Rᵀ‖_F``
        (``O(n r²)``, backward stable; no ``n × n`` matrix).
        """
        x = self._check(x)
        if self.factored and self.z is not None:
            z = np.broadcast_to(self.z, (*x.shape[:-2], *self.z.shape))
            R = np.linalg.qr(np.concatenate([x, z], axis=-1), mode="r")
            d = np.concatenate([np.ones(x.shape[-1]), -np.ones(self.z.shape[1])])
            K = (R * d) @ np.swapaxes(R, -1, -2)
            return np.sqrt(np.sum(K * K, axis=(-1, -2)))
        D = outer(x) - self.m_star
        return np.sqrt(np.sum(D * D, axis=(-1, -2)))


@dataclass(frozen=True, eq=False)
class AsymmetricProblem(_ProblemBase):
    """``min f_a(UVᵀ) + φ/4‖UᵀU − VᵀV‖²`` in the stacked variable ``X = [U; V]`` (bi2021 eq. (5)).

    Attributes
    ----------
    loss : Loss on ``n1 × n2`` matrices
    m_star : (n1, n2) array, the ground truth
    r : int
    phi : float, the balancing weight (bi2021 Assumption 4 suggests ``φ = (1 − δ)/2``)
    """

    loss: Loss
    m_star: np.ndarray
    r: int
    phi: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "m_star", as_real_array(self.m_star, "ground truth M*", ndim=2))
        if not 1 <= self.r <= min(self.m_star.shape):
            raise InputError(f"r = {self.r}: must satisfy 1 ≤ r ≤ min{self.m_star.shape}")
        check_float(self.phi, "phi", 0.0)

    @property
    def shape(self) -> tuple[int, int]:
        return self.m_star.shape

    @property
    def n(self) -> int:
        return sum(self.m_star.shape)

    def _uv(self, x: np.ndarray):
        n1 = self.shape[0]
        return x[..., :n1, :], x[..., n1:, :]

    def value(self, x: np.ndarray) -> np.ndarray:
        U, V = self._uv(self._check(x))
        B = np.swapaxes(U, -1, -2) @ U - np.swapaxes(V, -1, -2) @ V
        return self.loss.value(U @ np.swapaxes(V, -1, -2)) + 0.25 * self.phi * np.sum(B * B, axis=(-1, -2))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        U, V = self._uv(self._check(x))
        t = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
        G = self.loss.gradient(U @ t(V))
        B = t(U) @ U - t(V) @ V
        return np.concatenate([G @ V + self.phi * U @ B, t(G) @ U - self.phi * V @ B], axis=-2)

    def hvp(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        x, u = self._check(x), self._check(u, "u")
        U, V = self._uv(x)
        dU, dV = self._uv(u)
        t = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
        M = U @ t(V)
        G = self.loss.gradient(M)
        dG = self.loss.hessian_action(M, dU @ t(V) + U @ t(dV))
        B = t(U) @ U - t(V) @ V
        dB = t(dU) @ U + t(U) @ dU - t(dV) @ V - t(V) @ dV
        top = dG @ V + G @ dV + self.phi * (dU @ B + U @ dB)
        bottom = t(dG) @ U + t(G) @ dU - self.phi * (dV @ B + V @ dB)
        return np.concatenate([top, bottom], axis=-2)

    def distance(self, x: np.ndarray) -> np.ndarray:
        """``‖U Vᵀ − M*‖_F``."""
        U, V = self._uv(self._check(x))
        D = U @ np.swapaxes(V, -1, -2) - self.m_star
        return np.sqrt(np.sum(D * D, axis=(-1, -2)))

    def balanced_factor(self) -> np.ndarray:
        """``[U*; V*]`` with ``U* V*ᵀ = M*`` and ``U*ᵀU* = V*ᵀV*`` (from the SVD)."""
        P, s, Qt = np.linalg.svd(self.m_star, full_matrices=False)
        root = np.sqrt(s[: self.r])
        return np.concatenate([P[:, : self.r] * root, Qt[: self.r].T * root], axis=0)

    def lifted(self) -> SymmetricProblem:
        """The equivalent symmetric problem ``F(XXᵀ)`` (bi2021 eq. (6)–(8)) with the augmented ground truth."""
        W = self.balanced_factor()
        return SymmetricProblem(AsymmetricLift(self.loss, self.shape, self.phi), outer(W), self.r, z=W)


# ----------------------------------------------------------------------------- constructors


def least_squares(
    operator: SensingOperator | MatrixFreeOperator,
    z: np.ndarray,
    *,
    r: int | None = None,
    noise_std: float = 0.0,
    b: np.ndarray | None = None,
    scaling: str = "plain",
    rng: RNGLike = None,
) -> SymmetricProblem:
    """Matrix sensing ``f(x) = s‖A(x xᵀ) − b‖²`` with ``b = A(z zᵀ) + w``, ``w ~ N(0, σ²)``.

    Parameters
    ----------
    operator : SensingOperator or a matrix-free operator (:mod:`spurious.operators`)
        With a matrix-free operator (rank-one, completion, Gaussian blocks, callables) the
        problem's value, gradient and Hessian-vector products are evaluated from the factor
        (:attr:`SymmetricProblem.factored`).
    z : (n, r*) ground-truth factor, ``M* = z zᵀ``
    r : search rank (default: the rank of ``z``)
    noise_std : σ of i.i.d. Gaussian measurement noise (bhojanapalli2016 §2)
    b : measurements to use instead of ``A(z zᵀ) + w``
    scaling : {"plain", "half", "mean", "half-mean"}
        The factor ``s``: 1, ½, 1/m or 1/(2m).
    rng : Generator, int or None
        Source of the noise ``w`` (only used when ``noise_std > 0``).

    Returns
    -------
    SymmetricProblem
        The problem ``g(x) = f(x xᵀ)`` at search rank ``r`` with ``M* = z zᵀ``.
    """
    z = as_factor(z, "z", n=operator.n)
    M = outer(z)
    if b is None:
        b = operator.apply_outer(z) if is_matrix_free(operator) else operator.apply(M)
        if noise_std:
            noise_std = check_float(noise_std, "noise_std", 0.0)
            b = b + noise_std * as_generator(rng).standard_normal(operator.m)
    return SymmetricProblem(QuadraticLoss(operator, b, scaling), M, z.shape[1] if r is None else r, z=z)


def one_bit(m_hat: np.ndarray, r: int) -> SymmetricProblem:
    """1-bit recovery with infinitely many samples (bi2021): ``y = σ(M̂)``, minimizer ``M̂``."""
    M = as_psd(m_hat, "M̂")
    return SymmetricProblem(LogisticLoss.from_ground_truth(M), M, r)


def asymmetric_least_squares(
    operator: RectangularOperator,
    m_star: np.ndarray,
    r: int,
    *,
    phi: float = 0.5,
    scaling: str = "half",
) -> AsymmetricProblem:
    """``½‖A(UVᵀ) − A(M*)‖² + φ/4‖UᵀU − VᵀV‖²`` (bi2021 eq. (3), (5))."""
    M = as_real_array(m_star, "M*", ndim=2)
    if M.shape != operator.shape:
        raise InputError(f"M*: shape {M.shape}, operator expects {operator.shape}")
    return AsymmetricProblem(QuadraticLoss(operator, operator.apply(M), scaling), M, r, phi)
