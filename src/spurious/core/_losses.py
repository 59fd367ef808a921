"""Smooth losses ``f(M)`` on matrices: value, gradient and Hessian action, batched.

A loss is any object with

* ``value(M)``: ``(..., p, q) -> (...)``,
* ``gradient(M)``: ``(..., p, q) -> (..., p, q)``,
* ``hessian_action(M, K)``: ``[∇²f(M)](K, ·)`` as a matrix, ``(..., p, q)``,

(bi2021 notation: ``[∇²f(M)](K, L) = ⟨hessian_action(M, K), L⟩``). For losses on
symmetric matrices the gradient and Hessian action are symmetric whenever their
arguments are.

Built in: the least-squares loss ``s‖A(M) − b‖²`` of the 2016/2018/2020 papers (with the
½ and 1/m scalings of bi2021 as explicit options), the 1-bit logistic loss (bi2021,
Numerical Illustration) and the lifting of an asymmetric loss to a symmetric one
(bi2021 eq. (6)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from spurious.core._errors import InputError
from spurious.core._matrix_free import MatrixFreeOperator, is_matrix_free
from spurious.core._operators import RectangularOperator, SensingOperator
from spurious.core._validation import as_real_array

#: Objective scalings: ``f = s‖A(M) − b‖²`` with ``s`` given by name (``m`` measurements).
SCALINGS = ("plain", "half", "mean", "half-mean")


def scaling_factor(scaling: str, m: int) -> float:
    """The factor ``s`` of ``s‖A(M) − b‖²``: plain 1, half ½, mean 1/m, half-mean 1/(2m)."""
    factors = {"plain": 1.0, "half": 0.5, "mean": 1.0 / m, "half-mean": 0.5 / m}
    if scaling not in factors:
        raise InputError(f"scaling = {scaling!r}: expected one of {', '.join(SCALINGS)}")
    return factors[scaling]


class Loss(Protocol):
    def value(self, M: np.ndarray) -> np.ndarray: ...
    def gradient(self, M: np.ndarray) -> np.ndarray: ...
    def hessian_action(self, M: np.ndarray, K: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class QuadraticLoss:
    """``f(M) = s‖A(M) − b‖²`` for a linear operator ``A`` (symmetric or rectangular).

    Attributes
    ----------
    operator : SensingOperator, RectangularOperator or a matrix-free operator
        Any :class:`~spurious.operators.MatrixFreeOperator` (rank-one, completion, Gaussian
        blocks, a user's callables) works too: then :attr:`factored` is True and the problem
        evaluates ``f(x xᵀ)``, its gradient and Hessian-vector products from the factor
        (:meth:`value_factor`, :meth:`gradient_factor`, :meth:`hvp_factor`) without forming
        ``x xᵀ`` or the ``m × N`` matrix.
    b : (m,) array of measurements
    scaling : {"plain", "half", "mean", "half-mean"}
        ``s = 1`` (zhang2018 eq. (1), bhojanapalli2016 eq. (2)), ``½`` (bi2021 eq. (3)),
        ``1/m`` or ``1/(2m)``.
    """

    operator: SensingOperator | RectangularOperator | MatrixFreeOperator
    b: np.ndarray
    scaling: str = "plain"

    def __post_init__(self) -> None:
        b = as_real_array(self.b, "b", ndim=1)
        if b.shape[0] != self.operator.m:
            raise InputError(f"b: length {b.shape[0]}, expected m = {self.operator.m}")
        object.__setattr__(self, "b", b)
        scaling_factor(self.scaling, self.operator.m)

    @property
    def scale(self) -> float:
        return scaling_factor(self.scaling, self.operator.m)

    def residual(self, M: np.ndarray) -> np.ndarray:
        return self.operator.apply(M) - self.b

    def value(self, M: np.ndarray) -> np.ndarray:
        res = self.residual(M)
        return self.scale * np.einsum("...i,...i->...", res, res)

    def gradient(self, M: np.ndarray) -> np.ndarray:
        return 2.0 * self.scale * self.operator.adjoint(self.residual(M))

    def hessian_action(self, M: np.ndarray, K: np.ndarray) -> np.ndarray:
        return 2.0 * self.scale * self.operator.adjoint(self.operator.apply(K))

    # -------------------------------------------------------------- factored (matrix-free) path
    @property
    def factored(self) -> bool:
        """True for a matrix-free operator: problems then call the ``*_factor`` methods."""
        return is_matrix_free(self.operator)

    def value_factor(self, x: np.ndarray) -> np.ndarray:
        """``f(x xᵀ) = s‖A(x xᵀ) − b‖²`` from the factor, ``(..., n, r) -> (...)``."""
        res = self.operator.apply_outer(x) - self.b
        return self.scale * np.einsum("...i,...i->...", res, res)

    def gradient_factor(self, x: np.ndarray) -> np.ndarray:
        """``2 ∇f(x xᵀ) x = 4s A*(A(x xᵀ) − b) x``, ``(..., n, r) -> (..., n, r)``."""
        return 4.0 * self.scale * self.operator.residual_adjoint_apply(x, self.b)

    def hvp_factor(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``2 ∇f(M) u + 2 [∇²f(M)](x uᵀ + u xᵀ) x`` at ``M = x xᵀ``, from the factors (broadcasts)."""
        return self.hvp_factor_at(x)(u)

    def hvp_factor_at(self, x: np.ndarray):
        """``u ↦`` :meth:`hvp_factor` ``(x, u)`` at a fixed ``x``, its residual computed once (Lanczos)."""
        op = self.operator
        res = op.apply_outer(x) - self.b  # at x's own batch shape; broadcast against u
        return lambda u: 4.0 * self.scale * op.hessian_core(x, u, res)


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))


@dataclass(frozen=True, eq=False)
class LogisticLoss:
    """1-bit matrix recovery (bi2021): ``f(M) = −Σ_ij (y_ij M_ij − log(1 + e^{M_ij}))``.

    ``y_ij ∈ [0, 1]`` is the fraction of one-bit measurements of entry ``(i, j)`` equal to 1;
    with ``y = σ(M̂)`` the minimizer is ``M̂`` itself. ``∇f = σ(M) − y`` and
    ``[∇²f(M)](K, L) = Σ σ'(M_ij) K_ij L_ij``.
    """

    y: np.ndarray

    def __post_init__(self) -> None:
        y = as_real_array(self.y, "y", ndim=2)
        if np.any((y < 0) | (y > 1)):
            raise InputError("y: one-bit frequencies must lie in [0, 1]")
        object.__setattr__(self, "y", y)

    @classmethod
    def from_ground_truth(cls, M: np.ndarray) -> LogisticLoss:
        """The infinite-sample loss whose minimizer is ``M`` (``y = σ(M)``)."""
        return cls(_sigmoid(as_real_array(M, "M", ndim=2)))

    def value(self, M: np.ndarray) -> np.ndarray:
        return -np.sum(self.y * M - np.logaddexp(0.0, M), axis=(-1, -2))

    def gradient(self, M: np.ndarray) -> np.ndarray:
        return _sigmoid(M) - self.y

    def hessian_action(self, M: np.ndarray, K: np.ndarray) -> np.ndarray:
        s = _sigmoid(M)
        return s * (1.0 - s) * K


@dataclass(frozen=True, eq=False)
class AsymmetricLift:
    """Symmetric lifting ``F`` of an asymmetric loss ``f_a`` on ``n1 × n2`` matrices (bi2021 eq. (6)).

    ``F([[N11, N12], [N21, N22]]) = ½(f_a(N12) + f_a(N21ᵀ)) + φ/4 (‖N11‖² + ‖N22‖² − ‖N12‖² − ‖N21‖²)``,
    so that ``F(XXᵀ) = f_a(UVᵀ) + φ/4 ‖UᵀU − VᵀV‖²`` for ``X = [U; V]`` (bi2021 eq. (5), (7)).
    """

    loss: Loss
    shape: tuple[int, int]
    phi: float

    def _split(self, N: np.ndarray):
        n1 = self.shape[0]
        return N[..., :n1, :n1], N[..., :n1, n1:], N[..., n1:, :n1], N[..., n1:, n1:]

    def value(self, N: np.ndarray) -> np.ndarray:
        N11, N12, N21, N22 = self._split(N)
        fro = lambda a: np.sum(a * a, axis=(-1, -2))  # noqa: E731
        fa = 0.5 * (self.loss.value(N12) + self.loss.value(np.swapaxes(N21, -1, -2)))
        return fa + 0.25 * self.phi * (fro(N11) + fro(N22) - fro(N12) - fro(N21))

    def _blocks(self, G12: np.ndarray, G21t: np.ndarray, N: np.ndarray) -> np.ndarray:
        N11, N12, N21, N22 = self._split(N)
        h = 0.5 * self.phi
        top = np.concatenate([h * N11, 0.5 * G12 - h * N12], axis=-1)
        bottom = np.concatenate([0.5 * np.swapaxes(G21t, -1, -2) - h * N21, h * N22], axis=-1)
        return np.concatenate([top, bottom], axis=-2)

    def gradient(self, N: np.ndarray) -> np.ndarray:
        _, N12, N21, _ = self._split(N)
        return self._blocks(self.loss.gradient(N12), self.loss.gradient(np.swapaxes(N21, -1, -2)), N)

    def hessian_action(self, N: np.ndarray, K: np.ndarray) -> np.ndarray:
        _, N12, N21, _ = self._split(N)
        _, K12, K21, _ = self._split(K)
        t = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
        return self._blocks(self.loss.hessian_action(N12, K12), self.loss.hessian_action(t(N21), t(K21)), K)
