"""Matrix-free sensing operators: ``A(X)_i = ⟨A_i, X⟩`` without the ``m × N`` matrix.

The dense :class:`~spurious.operators.SensingOperator` stores ``m × N`` numbers
(``N = n(n+1)/2``): 576 GB for ``m = 36,000`` rank-one measurements at ``n = 2,000``. The
operators here store what defines them and evaluate the maps local search needs directly:

========================  ==============================================  ==================
kind                      measurement ``A_i``                             memory
========================  ==============================================  ==================
``rank-one``              ``a_i a_iᵀ`` (quadratic sensing, phase           ``m·n``
                          retrieval at ``r = 1``)
``completion``            ``(e_i e_jᵀ + e_j e_iᵀ)/√2`` (``i < j``),        ``O(|Ω|)``
                          ``e_i e_iᵀ`` (``i = j``), ``(i, j) ∈ Ω``
``gaussian``              ``(G_i + G_iᵀ)/2``, ``G_i`` i.i.d. N(0, 1),      one block of rows
                          regenerated from the seed in row blocks
``symmetric-gaussian``    ``(G_i + G_iᵀ)/√2`` (GOE), likewise              one block of rows
``callable``              the user's ``apply`` / ``adjoint``              the user's
========================  ==============================================  ==================

The interface (:class:`MatrixFreeOperator`), all batched over leading axes:

* ``apply(X)``: ``(..., n, n) → (..., m)``, ``A(X)`` for symmetric ``X``;
* ``adjoint(y)``: ``(..., m) → (..., n, n)``, ``A*(y) = Σ y_i A_i``;
* ``apply_outer(U)``: ``(..., n, r) → (..., m)``, ``A(U Uᵀ)`` without forming ``U Uᵀ`` where the
  kind allows it (rank-one: ``‖Uᵀ a_i‖²``; completion: ``⟨U_i, U_j⟩``);
* ``apply_sym(U, V)``: ``A(U Vᵀ + V Uᵀ)`` (Hessian-vector products);
* ``adjoint_apply(y, U)``: ``(..., m), (..., n, r) → (..., n, r)``, ``A*(y) U`` (gradients);
* ``frobenius_norm_sq()``: ``Σ_i ‖A_i‖_F²`` (the scale of the spectral initialization).

The least-squares loss (:class:`~spurious.losses.QuadraticLoss`) and the symmetric problem use
``apply_outer`` / ``adjoint_apply`` / ``apply_sym`` for a matrix-free operator, so the value, the
gradient and Hessian-vector products of ``f(x) = s‖A(x xᵀ) − b‖²`` cost ``O(m n r)`` for rank-one
and ``O(|Ω| r)`` for completion per point. What needs the dense matrix (``matrix``, ``kernel()``,
``matrices()``: the exact full-rank RIP constant, compiled SGD kernels) raises
:class:`~spurious.InputError` naming the operator kind; :meth:`MatrixFreeOperator.to_dense` builds
the dense twin at small ``n``.

References
----------
Ge, Lee, Ma, "Matrix completion has no spurious local minimum", NIPS 2016 (the completion
objective ``‖P_Ω(x xᵀ − M)‖_F²``). Candès, Li, Soltanolkotabi, "Phase retrieval via Wirtinger
flow", IEEE Trans. Inf. Theory 2015, and Chen, Chi, Goldsmith, "Exact and stable covariance
estimation from quadratic sampling via convex programming", IEEE Trans. Inf. Theory 2015
(rank-one measurements ``⟨a_i a_iᵀ, X⟩``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from functools import cached_property

import numpy as np

from spurious.core._errors import InputError
from spurious.core._linalg import outer, svec_dim
from spurious.core._rng import RNGLike, as_generator, check_seed
from spurious.core._validation import as_real_array, check_bytes, check_float, check_int, format_bytes

#: Working memory of one batched evaluation chunk (rank-one and completion intermediates,
#: Gaussian row blocks), in bytes.
CHUNK_BYTES = 2**26

#: The random generator a Gaussian block operator is defined by (recorded in instance files).
GAUSSIAN_GENERATOR = "numpy.random.default_rng(seed).standard_normal((m, n, n)), drawn in row blocks"

#: Largest ``n`` whose ``n × n`` Gram matrix ``aᵀa`` a rank-one operator forms for its restricted norm bound.
GRAM_MAX_N = 12_000

#: Kinds of operator :func:`spurious.make_instance` and instance files know.
KINDS = ("gaussian", "symmetric-gaussian", "rank-one", "completion")


def _flat(a: np.ndarray, tail: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """``a`` reshaped to ``(B, *a.shape[-tail:])`` and the leading shape."""
    lead = a.shape[: a.ndim - tail]
    return a.reshape((-1, *a.shape[a.ndim - tail :])), lead


def _chunks(total: int, per_item_bytes: float) -> Iterator[slice]:
    size = max(1, int(CHUNK_BYTES // max(per_item_bytes, 1.0)))
    for lo in range(0, total, size):
        yield slice(lo, min(total, lo + size))


def _factor(U: object, n: int, name: str = "U") -> np.ndarray:
    U = np.asarray(U, dtype=np.float64)
    if U.ndim < 2 or U.shape[-2] != n:
        raise InputError(f"{name}: shape {U.shape}, expected (..., {n}, r)")
    return U


def _measurements(y: object, m: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim < 1 or y.shape[-1] != m:
        raise InputError(f"y: shape {y.shape}, expected (..., {m})")
    return y


def _batch_pair(y: object, U: object, n: int, m: int) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """``y`` ``(..., m)`` and ``U`` ``(..., n, r)`` broadcast to one batch: ``(B, m)``, ``(B, n, r)``, leading shape."""
    y, U = _measurements(y, m), _factor(U, n)
    lead = np.broadcast_shapes(y.shape[:-1], U.shape[:-2])
    y = np.broadcast_to(y, (*lead, m)).reshape(-1, m)
    U = np.broadcast_to(U, (*lead, *U.shape[-2:])).reshape((-1, *U.shape[-2:]))
    return y, U, lead


def _symmetric_arg(X: object, n: int) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2 or X.shape[-2:] != (n, n):
        raise InputError(f"X: shape {X.shape}, expected (..., {n}, {n})")
    return X


def is_matrix_free(operator: object) -> bool:
    """Whether ``operator`` is matrix-free (no stored ``m × N`` matrix).

    Parameters
    ----------
    operator : object
        Any operator.

    Returns
    -------
    bool
        True for a :class:`MatrixFreeOperator` (rank-one, completion, Gaussian blocks, callables).
    """
    return isinstance(operator, MatrixFreeOperator)


class MatrixFreeOperator(ABC):
    """Base class and interface of the matrix-free operators ``S^n → R^m``.

    Subclasses set ``kind``, ``n``, ``m`` and ``label`` and implement :meth:`apply` and
    :meth:`adjoint`; the batched factor maps default to the dense route through them and are
    overridden where the kind has a cheaper one.

    Attributes
    ----------
    kind : str
        ``"rank-one"``, ``"completion"``, ``"gaussian"``, ``"symmetric-gaussian"`` or ``"callable"``.
    n, m : int
        Matrix order and number of measurements.
    label : str
        Where the operator came from, for messages.
    """

    kind: str = "matrix-free"
    n: int
    m: int
    label: str = ""

    # ------------------------------------------------------------------ the interface
    @abstractmethod
    def apply(self, X: np.ndarray) -> np.ndarray:
        """``A(X)`` for symmetric ``X`` of shape ``(..., n, n)`` → ``(..., m)``."""

    @abstractmethod
    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """``A*(y) = Σ y_i A_i`` for ``y`` of shape ``(..., m)`` → ``(..., n, n)``."""

    def apply_outer(self, U: np.ndarray) -> np.ndarray:
        """``A(U Uᵀ)`` for ``U`` of shape ``(..., n, r)`` → ``(..., m)``."""
        return self.apply(outer(_factor(U, self.n)))

    def apply_sym(self, U: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``A(U Vᵀ + V Uᵀ)`` for ``U``, ``V`` of shape ``(..., n, r)`` → ``(..., m)``."""
        U, V = np.broadcast_arrays(_factor(U, self.n), _factor(V, self.n, "V"))
        P = U @ np.swapaxes(V, -1, -2)
        return self.apply(P + np.swapaxes(P, -1, -2))

    def adjoint_apply(self, y: np.ndarray, U: np.ndarray) -> np.ndarray:
        """``A*(y) U`` for ``y`` ``(..., m)`` and ``U`` ``(..., n, r)`` → ``(..., n, r)``."""
        return self.adjoint(_measurements(y, self.m)) @ _factor(U, self.n)

    def residual_adjoint_apply(self, U: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``A*(A(U Uᵀ) − b) U`` for ``U`` of shape ``(..., n, r)`` (the gradient's core; fused where cheaper)."""
        return self.adjoint_apply(self.apply_outer(U) - b, U)

    def hessian_core(self, x: np.ndarray, u: np.ndarray, res: np.ndarray) -> np.ndarray:
        """``A*(res) u + A*(A(x uᵀ + u xᵀ)) x`` (the Hessian-vector product's core; fused where cheaper).

        ``x`` and ``res = A(x xᵀ) − b`` are those of the point, ``u`` ``(..., n, r)`` the direction.
        """
        return self.adjoint_apply(res, u) + self.adjoint_apply(self.apply_sym(x, u), x)

    @abstractmethod
    def frobenius_norm_sq(self) -> float:
        """``Σ_i ‖A_i‖_F²`` (the squared Frobenius norm of the ``m × N`` matrix)."""

    def restricted_norm_sq_bound(self, rank: int) -> tuple[float, str]:
        """An upper bound on ``sup ‖A(X)‖² / ‖X‖_F²`` over symmetric ``X`` of rank ≤ ``rank``, and how.

        The Newton–Kantorovich ball of :func:`spurious.certify` needs it at rank ``2r``. Default:
        ``Σ_i ‖A_i‖_F² ≥ λ_max(AᵀA)`` (valid for every rank); kinds override it with a sharper one.
        """
        return float(self.frobenius_norm_sq()), "Frobenius bound"

    @property
    def N(self) -> int:
        return svec_dim(self.n)

    @property
    def nbytes(self) -> int:
        """Bytes the operator holds (its defining data; Gaussian kinds: none but the seed)."""
        return 0

    # ------------------------------------------------------------------ dense-only features
    def _dense_only(self, what: str) -> InputError:
        need = format_bytes(8.0 * self.m * self.N)
        return InputError(
            f"{what}: operator {self.label or self.kind!r} is a matrix-free {self.kind} operator "
            f"(m = {self.m}, n = {self.n}); its dense m × N matrix ({need}) is not formed "
            "(use operator.to_dense() at small n)"
        )

    @property
    def matrix(self) -> np.ndarray:
        """Not available: raises :class:`~spurious.InputError` naming the kind (see :meth:`to_dense`)."""
        raise self._dense_only("operator.matrix")

    def kernel(self) -> np.ndarray:
        """Not available: raises :class:`~spurious.InputError` naming the kind (see :meth:`to_dense`)."""
        raise self._dense_only("kernel H = AᵀA")

    def matrices(self, max_bytes: float = 4e9) -> np.ndarray:
        """Not available: raises :class:`~spurious.InputError` naming the kind (see :meth:`to_dense`)."""
        raise self._dense_only("dense measurement matrices")

    def to_dense(self, max_bytes: float = 4e9):
        """The dense twin: a :class:`~spurious.operators.SensingOperator` with the same ``A_i``.

        Built column by column from :meth:`apply` on the svec basis (subclasses build it
        directly); refused with :class:`~spurious.TooLargeError` above ``max_bytes``.
        """
        from spurious.core._operators import SensingOperator

        check_bytes(8.0 * self.m * self.N, f"the dense twin of a {self.kind} operator", max_bytes)
        return SensingOperator(self._dense_matrix(), self.n, label=f"{self.label or self.kind} (dense)")

    def _dense_matrix(self) -> np.ndarray:
        from spurious.core._linalg import smat

        cols = np.empty((self.m, self.N))
        eye = np.eye(self.N)
        for sl in _chunks(self.N, 8.0 * self.n * self.n):
            cols[:, sl] = self.apply(smat(eye[sl])).T
        return cols

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, m={self.m}, n={self.n}, label={self.label!r})"


# ----------------------------------------------------------------------------- rank one


class RankOneOperator(MatrixFreeOperator):
    """Rank-one (quadratic) measurements ``A_i = a_i a_iᵀ``: ``A(X)_i = a_iᵀ X a_i``.

    ``A(U Uᵀ)_i = ‖Uᵀ a_i‖²`` and ``A*(y) U = aᵀ diag(y) (a U)`` cost ``O(m n r)``; the operator
    stores the vectors only (``m·n`` numbers). At ``r = 1`` and ``b_i = (a_iᵀ z)²`` this is
    (real) phase retrieval (Candès, Li, Soltanolkotabi 2015); for general ``r``, quadratic
    sensing / covariance sketching (Chen, Chi, Goldsmith 2015).

    Parameters
    ----------
    a : (m, n) array_like
        The measurement vectors, one per row.
    label : str
        Name recorded on the operator.
    """

    kind = "rank-one"

    def __init__(self, a: np.ndarray, label: str = "rank-one") -> None:
        a = as_real_array(a, "a", ndim=2)
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise InputError(f"a: empty set of measurement vectors, shape {a.shape}")
        a = np.ascontiguousarray(a)
        a.setflags(write=False)
        self.a = a
        self.m, self.n = a.shape
        self.label = label

    @property
    def nbytes(self) -> int:
        return int(self.a.nbytes)

    def _project(self, U: np.ndarray) -> np.ndarray:
        """``a U`` for ``U`` of shape ``(B, n, r)`` → ``(B, m, r)`` in one matrix product."""
        B, n, r = U.shape
        P = self.a @ np.ascontiguousarray(np.moveaxis(U, 0, 1)).reshape(n, B * r)  # (m, B·r)
        return np.moveaxis(P.reshape(self.m, B, r), 1, 0)

    def apply(self, X: np.ndarray) -> np.ndarray:
        X, lead = _flat(_symmetric_arg(X, self.n), 2)
        out = np.empty((X.shape[0], self.m))
        for b in range(X.shape[0]):
            for sl in _chunks(self.m, 8.0 * self.n):
                a = self.a[sl]
                out[b, sl] = np.einsum("ij,ij->i", a @ X[b], a)
        return out.reshape((*lead, self.m))

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        y, lead = _flat(_measurements(y, self.m), 1)
        out = np.empty((y.shape[0], self.n, self.n))
        for b in range(y.shape[0]):
            out[b] = (self.a.T * y[b]) @ self.a
        return out.reshape((*lead, self.n, self.n))

    def apply_outer(self, U: np.ndarray) -> np.ndarray:
        U, lead = _flat(_factor(U, self.n), 2)
        out = np.empty((U.shape[0], self.m))
        for sl in _chunks(U.shape[0], 8.0 * self.m * U.shape[2]):
            P = self._project(U[sl])
            out[sl] = np.einsum("bir,bir->bi", P, P)
        return out.reshape((*lead, self.m))

    def apply_sym(self, U: np.ndarray, V: np.ndarray) -> np.ndarray:
        U, V = np.broadcast_arrays(_factor(U, self.n), _factor(V, self.n, "V"))
        lead = U.shape[:-2]
        U, V = U.reshape((-1, *U.shape[-2:])), V.reshape((-1, *V.shape[-2:]))
        out = np.empty((U.shape[0], self.m))
        for sl in _chunks(U.shape[0], 16.0 * self.m * U.shape[2]):
            out[sl] = 2.0 * np.einsum("bir,bir->bi", self._project(U[sl]), self._project(V[sl]))
        return out.reshape((*lead, self.m))

    def adjoint_apply(self, y: np.ndarray, U: np.ndarray) -> np.ndarray:
        y, U, lead = _batch_pair(y, U, self.n, self.m)
        B, n, r = U.shape
        out = np.empty((B, n, r))
        for sl in _chunks(B, 8.0 * self.m * r):
            W = self._project(U[sl]) * y[sl, :, None]  # (b, m, r)
            k = W.shape[0]
            G = self.a.T @ np.ascontiguousarray(np.moveaxis(W, 0, 1)).reshape(self.m, k * r)  # (n, k·r)
            out[sl] = np.moveaxis(G.reshape(n, k, r), 1, 0)
        return out.reshape((*lead, n, r))

    def residual_adjoint_apply(self, U: np.ndarray, b: np.ndarray) -> np.ndarray:
        U, lead = _flat(_factor(U, self.n), 2)
        b = np.asarray(b, dtype=np.float64)
        B, n, r = U.shape
        out = np.empty((B, n, r))
        for sl in _chunks(B, 16.0 * self.m * r):
            P = self._project(U[sl])  # (k, m, r): one product a U serves both A(UUᵀ) and A*(res) U
            res = np.einsum("bir,bir->bi", P, P) - b
            W = P * res[:, :, None]
            k = W.shape[0]
            G = self.a.T @ np.ascontiguousarray(np.moveaxis(W, 0, 1)).reshape(self.m, k * r)
            out[sl] = np.moveaxis(G.reshape(n, k, r), 1, 0)
        return out.reshape((*lead, n, r))

    def hessian_core(self, x: np.ndarray, u: np.ndarray, res: np.ndarray) -> np.ndarray:
        # one product a [x u] and one aᵀ W serve both terms: W = res·(a u) + 2⟨a x, a u⟩·(a x)
        x, u = np.broadcast_arrays(_factor(x, self.n, "x"), _factor(u, self.n))
        lead = x.shape[:-2]
        r = x.shape[-1]
        xu = np.concatenate([x, u], axis=-1).reshape((-1, self.n, 2 * r))
        res = np.broadcast_to(_measurements(res, self.m), (*lead, self.m)).reshape(-1, self.m)
        B = xu.shape[0]
        out = np.empty((B, self.n, r))
        for sl in _chunks(B, 24.0 * self.m * r):
            PQ = self._project(xu[sl])  # (k, m, 2r)
            P, Q = PQ[..., :r], PQ[..., r:]
            W = Q * res[sl, :, None] + 2.0 * np.einsum("bir,bir->bi", P, Q)[:, :, None] * P
            k = W.shape[0]
            G = self.a.T @ np.ascontiguousarray(np.moveaxis(W, 0, 1)).reshape(self.m, k * r)
            out[sl] = np.moveaxis(G.reshape(self.n, k, r), 1, 0)
        return out.reshape((*lead, self.n, r))

    def sampled_apply(self, i: np.ndarray, U: np.ndarray) -> np.ndarray:
        """``A_{i_t} U_t = a_{i_t} (a_{i_t}ᵀ U_t)`` for each ``t``: one sampled measurement per batch element.

        ``i`` ``(T,)`` indices, ``U`` ``(T, n, r)`` → ``(T, n, r)``, in ``O(T n r)`` (the step of
        batch-one SGD, :func:`spurious.sgd`).
        """
        a = self.a[i]  # (T, n)
        p = np.matmul(a[:, None, :], U)  # (T, 1, r): a_iᵀ U
        return a[:, :, None] * p

    def frobenius_norm_sq(self) -> float:
        sq = np.einsum("ij,ij->i", self.a, self.a)
        return float(sq @ sq)

    def restricted_norm_sq_bound(self, rank: int) -> tuple[float, str]:
        """``√k · max_i ‖a_i‖² · λ_max(aᵀa)`` over rank ≤ ``k`` (the Frobenius bound if smaller).

        ``Σ (a_iᵀXa_i)² ≤ max_i |a_iᵀXa_i| · Σ_i a_iᵀ|X|a_i ≤ ‖X‖₂ max_i‖a_i‖² · ‖X‖_* λ_max(aᵀa)``
        and ``‖X‖₂‖X‖_* ≤ √k ‖X‖_F²``. ``λ_max(aᵀa)`` is bounded from the explicit ``n × n`` Gram
        matrix with its rounding (``γ_m ‖a‖_F²`` for the product, ``10⁻¹⁰`` relative for the
        eigenvalue); for ``n`` above :data:`GRAM_MAX_N` the Frobenius bound is used.
        """
        frob = float(self.frobenius_norm_sq())
        if self.n > GRAM_MAX_N:
            return frob, "Frobenius bound"
        bound = math.sqrt(min(rank, self.n)) * self._row_norm_sq_max * self._gram_top_bound
        return (bound, "rank-k bound √k·max‖a_i‖²·λ_max(aᵀa)") if bound < frob else (frob, "Frobenius bound")

    @cached_property
    def _row_norm_sq_max(self) -> float:
        return float(np.max(np.einsum("ij,ij->i", self.a, self.a))) * (1.0 + 1e-12)

    @cached_property
    def _gram_top_bound(self) -> float:
        from scipy.linalg import eigh

        G = self.a.T @ self.a
        top = float(eigh(G, eigvals_only=True, subset_by_index=[self.n - 1, self.n - 1])[0])
        gamma = self.m * np.finfo(np.float64).eps / (1.0 - self.m * np.finfo(np.float64).eps)
        return top * (1.0 + 1e-10) + gamma * float(np.einsum("ij,ij->", self.a, self.a))

    def _dense_matrix(self) -> np.ndarray:
        from spurious.core._linalg import svec

        return svec(self.a[:, :, None] * self.a[:, None, :])


def from_vectors(a: np.ndarray, label: str = "rank-one") -> RankOneOperator:
    """Rank-one operator ``A_i = a_i a_iᵀ`` from the measurement vectors (rows of ``a``).

    Parameters
    ----------
    a : (m, n) array_like
        Finite real measurement vectors.
    label : str
        Name recorded on the operator.

    Returns
    -------
    RankOneOperator

    Raises
    ------
    InputError
        Not a finite real 2-D array, or empty.
    """
    return RankOneOperator(a, label=label)


def quadratic_sensing(m: int, n: int, rng: RNGLike = None, max_bytes: float = 4e9) -> RankOneOperator:
    """Rank-one measurements ``A_i = a_i a_iᵀ``, ``a_i`` i.i.d. standard Gaussian, stored as the vectors.

    The matrix-free twin of :func:`spurious.operators.rank_one`: the same ``rng`` gives the
    same vectors (``rng.standard_normal((m, n))``), so both define the same ``A_i``. Memory
    ``8·m·n`` bytes instead of ``8·m·n(n+1)/2``.

    Parameters
    ----------
    m : int
        Number of measurements (≥ 1).
    n : int
        Vector length (≥ 1).
    rng : Generator, int or None
        Random source, passed through :func:`numpy.random.default_rng`.
    max_bytes : float
        Largest array of vectors to build.

    Returns
    -------
    RankOneOperator

    Raises
    ------
    InputError
        ``m`` or ``n`` not positive.
    TooLargeError
        The vectors would exceed ``max_bytes``.

    Notes
    -----
    Phase retrieval is the case ``r = 1`` (Candès, Li, Soltanolkotabi 2015: Wirtinger flow,
    spectral initialization from ``Σ b_i a_i a_iᵀ``).
    """
    check_int(m, "m", 1)
    check_int(n, "n", 1)
    check_bytes(8.0 * m * n, f"{m} rank-one measurement vectors of length {n}", max_bytes)
    return RankOneOperator(as_generator(rng).standard_normal((m, n)), label="rank-one")


# ----------------------------------------------------------------------------- completion


def _pair_of_svec_index(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-by-row upper-triangle index ``k`` → ``(i, j)`` with ``i ≤ j`` (svec order)."""
    i = np.arange(n, dtype=np.int64)
    start = i * n - i * (i - 1) // 2
    row = np.searchsorted(start, k, side="right") - 1
    return row, row + (k - start[row])


def _svec_index(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    i = np.asarray(i, dtype=np.int64)
    return i * n - i * (i - 1) // 2 + (np.asarray(j, dtype=np.int64) - i)


class EntrySamplingOperator(MatrixFreeOperator):
    """Symmetric entry sampling (PSD matrix completion): observe ``M_ij`` for ``(i, j) ∈ Ω``.

    One measurement per observed pair ``i ≤ j``: ``A(X)_k = w_k X_{i_k j_k}`` with ``w = √2``
    off the diagonal and 1 on it, i.e. the ``svec`` coordinates of ``X`` on ``Ω``. Then
    ``‖A(X)‖² = ‖P_Ω(X)‖_F²`` over the symmetric set ``Ω`` (both ``(i, j)`` and ``(j, i)``), so
    ``‖A(x xᵀ) − A(M)‖² = ‖P_Ω(x xᵀ − M)‖_F²``, the objective of Ge, Lee, Ma (2016) (their
    regularizer aside; choose the ``1/p`` or ``½`` scaling as an option of the problem). The
    measurements ``b = A(M)`` are thus ``w ⊙ M_Ω``. ``A Aᵀ = I``: in svec coordinates the
    operator is a coordinate projection (its kernel ``H`` is diagonal 0/1).

    Memory ``O(|Ω|)``; ``A(U Uᵀ)`` and ``A*(y) U`` cost ``O(|Ω| r)``.

    Parameters
    ----------
    n : int
        Matrix order.
    rows, cols : (k,) int arrays
        The observed pairs ``i ≤ j`` (each pair once; any order, stored sorted).
    label : str
    """

    kind = "completion"

    def __init__(self, n: int, rows: np.ndarray, cols: np.ndarray, label: str = "completion") -> None:
        n = check_int(n, "n", 1)
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        if rows.ndim != 1 or rows.shape != cols.shape or rows.dtype.kind not in "iu" or cols.dtype.kind not in "iu":
            raise InputError(f"omega: expected integer index pairs, got {rows.shape}, {cols.shape}")
        if rows.size == 0:
            raise InputError("omega: no observed entries (m = 0)")
        rows, cols = rows.astype(np.int64), cols.astype(np.int64)
        if rows.min() < 0 or cols.min() < 0 or rows.max() >= n or cols.max() >= n:
            raise InputError(f"omega: indices must lie in [0, {n - 1}]")
        lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
        k = _svec_index(lo, hi, n)
        order = np.argsort(k, kind="stable")
        k = k[order]
        if np.any(k[1:] == k[:-1]):
            raise InputError("omega: a pair (i, j) is listed twice (give each unordered pair once)")
        self.n, self.m, self.label = n, int(k.size), label
        self.index = k  # svec positions of the observed entries
        self.rows, self.cols = lo[order], hi[order]
        self.weights = np.where(self.rows == self.cols, 1.0, math.sqrt(2.0))
        for arr in (self.index, self.rows, self.cols, self.weights):
            arr.setflags(write=False)
        # CSR pattern of A*(y) (both triangles; a diagonal entry appears twice with weight ½ each)
        r2 = np.concatenate([self.rows, self.cols])
        c2 = np.concatenate([self.cols, self.rows])
        src = np.concatenate([np.arange(self.m), np.arange(self.m)])
        perm = np.argsort(r2, kind="stable")
        self._csr_cols = c2[perm].astype(np.int32 if n < 2**31 else np.int64)
        self._csr_src = src[perm]
        self._csr_indptr = np.concatenate([[0], np.cumsum(np.bincount(r2, minlength=n))]).astype(self._csr_cols.dtype)
        self._half_w = 0.5 * self.weights

    @property
    def omega(self) -> np.ndarray:
        """``(m, 2)`` array of the observed pairs ``(i, j)``, ``i ≤ j``, in svec order."""
        return np.stack([self.rows, self.cols], axis=1)

    @property
    def nbytes(self) -> int:
        return int(
            sum(a.nbytes for a in (self.index, self.rows, self.cols, self.weights, self._half_w))
            + self._csr_cols.nbytes
            + self._csr_src.nbytes
            + self._csr_indptr.nbytes
        )

    def apply(self, X: np.ndarray) -> np.ndarray:
        X = _symmetric_arg(X, self.n)
        return X[..., self.rows, self.cols] * self.weights

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        y = _measurements(y, self.m)
        Y = np.zeros((*y.shape[:-1], self.n, self.n))
        v = y * self._half_w
        Y[..., self.rows, self.cols] += v
        Y[..., self.cols, self.rows] += v
        return Y

    def apply_outer(self, U: np.ndarray) -> np.ndarray:
        U, lead = _flat(_factor(U, self.n), 2)
        out = np.empty((U.shape[0], self.m))
        for sl in _chunks(U.shape[0], 16.0 * self.m * U.shape[2]):
            Ub = U[sl]
            out[sl] = np.einsum("bkr,bkr->bk", Ub[:, self.rows], Ub[:, self.cols]) * self.weights
        return out.reshape((*lead, self.m))

    def apply_sym(self, U: np.ndarray, V: np.ndarray) -> np.ndarray:
        U, V = np.broadcast_arrays(_factor(U, self.n), _factor(V, self.n, "V"))
        lead = U.shape[:-2]
        U, V = U.reshape((-1, *U.shape[-2:])), V.reshape((-1, *V.shape[-2:]))
        out = np.empty((U.shape[0], self.m))
        for sl in _chunks(U.shape[0], 32.0 * self.m * U.shape[2]):
            Ub, Vb = U[sl], V[sl]
            s = np.einsum("bkr,bkr->bk", Ub[:, self.rows], Vb[:, self.cols])
            s += np.einsum("bkr,bkr->bk", Vb[:, self.rows], Ub[:, self.cols])
            out[sl] = s * self.weights
        return out.reshape((*lead, self.m))

    def _sparse(self, y: np.ndarray):
        import scipy.sparse

        data = (y * self._half_w)[self._csr_src]
        return scipy.sparse.csr_matrix((data, self._csr_cols, self._csr_indptr), shape=(self.n, self.n))

    def adjoint_apply(self, y: np.ndarray, U: np.ndarray) -> np.ndarray:
        y, U, lead = _batch_pair(y, U, self.n, self.m)
        out = np.empty(U.shape)
        for b in range(U.shape[0]):
            out[b] = self._sparse(y[b]) @ U[b]
        return out.reshape((*lead, *U.shape[-2:]))

    def sampled_apply(self, i: np.ndarray, U: np.ndarray) -> np.ndarray:
        """``A_{k_t} U_t`` for each ``t``: rows ``i_k`` and ``j_k`` only (``w/2 · (e_i U_j + e_j U_i)``).

        ``i`` ``(T,)`` measurement indices, ``U`` ``(T, n, r)`` → ``(T, n, r)``, zero off the two
        rows (the step of batch-one SGD, :func:`spurious.sgd`).
        """
        t = np.arange(U.shape[0])
        ri, ci = self.rows[i], self.cols[i]
        h = self._half_w[i][:, None]
        out = np.zeros_like(U)
        out[t, ri] += h * U[t, ci]
        out[t, ci] += h * U[t, ri]  # a diagonal pair adds its two halves to one row
        return out

    def frobenius_norm_sq(self) -> float:
        return float(self.m)  # each A_k has unit Frobenius norm

    def restricted_norm_sq_bound(self, rank: int) -> tuple[float, str]:
        """1 at every rank: the ``A_k`` are orthonormal (distinct pairs, unit norm), so ``‖A(X)‖ ≤ ‖X‖_F`` (Bessel)."""
        return 1.0, "orthonormal measurements (‖A(X)‖ ≤ ‖X‖_F)"

    def _dense_matrix(self) -> np.ndarray:
        A = np.zeros((self.m, self.N))
        A[np.arange(self.m), self.index] = 1.0
        return A


def from_entries(n: int, omega: np.ndarray, label: str = "completion") -> EntrySamplingOperator:
    """Entry-sampling operator from the observed pairs ``Ω`` (an ``(k, 2)`` integer array).

    Each unordered pair ``{i, j}`` is one measurement (``(i, j)`` and ``(j, i)`` together);
    see :class:`EntrySamplingOperator` for the scaling.

    Parameters
    ----------
    n : int
        Matrix order.
    omega : (k, 2) array_like of int
        Observed pairs, each unordered pair once, indices in ``[0, n)``.
    label : str

    Returns
    -------
    EntrySamplingOperator

    Raises
    ------
    InputError
        Indices out of range, a pair listed twice, or no pairs.
    """
    omega = np.asarray(omega)
    if omega.ndim != 2 or omega.shape[1] != 2:
        raise InputError(f"omega: shape {omega.shape}, expected (k, 2)")
    return EntrySamplingOperator(n, omega[:, 0], omega[:, 1], label=label)


def entry_sampling(n: int, p: float, rng: RNGLike = None, max_bytes: float = 4e9) -> EntrySamplingOperator:
    """PSD matrix completion: each pair ``i ≤ j`` observed independently with probability ``p``.

    The Bernoulli model of Ge, Lee, Ma (2016, "Matrix completion has no spurious local
    minimum"), symmetric: ``(i, j)`` is observed exactly when ``(j, i)`` is. Drawn in chunks of
    the ``N = n(n+1)/2`` pairs (memory one chunk, ``O(|Ω|)`` kept).

    Parameters
    ----------
    n : int
        Matrix order (≥ 1).
    p : float
        Sampling probability in ``(0, 1]``.
    rng : Generator, int or None
        Random source, passed through :func:`numpy.random.default_rng`.
    max_bytes : float
        Largest expected index set to build (about 40 bytes per observed pair).

    Returns
    -------
    EntrySamplingOperator

    Raises
    ------
    InputError
        ``n`` not positive, ``p`` outside ``(0, 1]``, or no pair drawn.
    TooLargeError
        The expected index set would exceed ``max_bytes``.
    """
    n = check_int(n, "n", 1)
    p = check_float(p, "p", 0.0, 1.0, open_low=True)
    N = svec_dim(n)
    check_bytes(64.0 * p * N, f"a sampled set of about {p * N:.3g} pairs", max_bytes)
    g = as_generator(rng)
    keep = []
    step = 1 << 22
    for lo in range(0, N, step):
        hi = min(N, lo + step)
        keep.append(lo + np.flatnonzero(g.random(hi - lo) < p))
    k = np.concatenate(keep)
    if k.size == 0:
        raise InputError(f"p = {p}: no entry of the {N} pairs was drawn (raise p)")
    i, j = _pair_of_svec_index(k, n)
    return EntrySamplingOperator(n, i, j, label="completion")


# ----------------------------------------------------------------------------- Gaussian blocks


class GaussianBlockOperator(MatrixFreeOperator):
    """Gaussian measurements regenerated from their seed in row blocks; never stored.

    ``G_1, …, G_m`` are ``numpy.random.default_rng(seed).standard_normal((m, n, n))`` (drawn a
    block of rows at a time, which gives the same numbers), and ``A_i = c (G_i + G_iᵀ)`` with
    ``c = ½`` (``kind = "gaussian"``, the twin of :func:`spurious.operators.gaussian` with
    ``rng = seed``) or ``c = 1/√2`` (``"symmetric-gaussian"``, GOE, the twin of
    :func:`spurious.operators.symmetric_gaussian`). Every evaluation regenerates all blocks:
    ``O(m n²)`` work (inherent to dense Gaussian measurements), memory one block.

    Parameters
    ----------
    m, n : int
    seed : int
        Non-negative seed of :func:`numpy.random.default_rng`.
    kind : {"gaussian", "symmetric-gaussian"}
    block_bytes : float
        Memory of one block of rows (at least one matrix).
    """

    def __init__(
        self, m: int, n: int, seed: int, kind: str = "gaussian", block_bytes: float = CHUNK_BYTES, label: str = ""
    ) -> None:
        self.m = check_int(m, "m", 1)
        self.n = check_int(n, "n", 1)
        self.seed = check_seed(seed)
        if kind not in ("gaussian", "symmetric-gaussian"):
            raise InputError(f"kind = {kind!r}: expected 'gaussian' or 'symmetric-gaussian'")
        self.kind = kind
        self.scale = 0.5 if kind == "gaussian" else 1.0 / math.sqrt(2.0)
        self.block = max(1, int(block_bytes // (8.0 * n * n)))
        self.label = label or kind
        self.generator = GAUSSIAN_GENERATOR

    @property
    def nbytes(self) -> int:
        return int(8 * self.block * self.n * self.n)  # working memory of one block

    def blocks(self) -> Iterator[tuple[slice, np.ndarray]]:
        """``(rows, S)`` for consecutive row blocks, ``S = c (G + Gᵀ)`` of shape ``(k, n, n)``."""
        g = np.random.default_rng(self.seed)
        for lo in range(0, self.m, self.block):
            hi = min(self.m, lo + self.block)
            G = g.standard_normal((hi - lo, self.n, self.n))
            yield slice(lo, hi), self.scale * (G + np.swapaxes(G, 1, 2))

    def apply(self, X: np.ndarray) -> np.ndarray:
        X, lead = _flat(_symmetric_arg(X, self.n), 2)
        Xf = X.reshape(X.shape[0], -1)
        out = np.empty((X.shape[0], self.m))
        for sl, S in self.blocks():
            out[:, sl] = Xf @ S.reshape(S.shape[0], -1).T
        return out.reshape((*lead, self.m))

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        y, lead = _flat(_measurements(y, self.m), 1)
        Y = np.zeros((y.shape[0], self.n * self.n))
        for sl, S in self.blocks():
            Y += y[:, sl] @ S.reshape(S.shape[0], -1)
        return Y.reshape((*lead, self.n, self.n))

    def frobenius_norm_sq(self) -> float:
        return self._frobenius_norm_sq

    @cached_property
    def _frobenius_norm_sq(self) -> float:
        return float(sum(np.einsum("kij,kij->", S, S) for _, S in self.blocks()))

    def _dense_matrix(self) -> np.ndarray:
        from spurious.core._linalg import svec

        return np.concatenate([svec(S) for _, S in self.blocks()])


def gaussian_blocks(m: int, n: int, seed: int = 0, block_bytes: float = CHUNK_BYTES) -> GaussianBlockOperator:
    """i.i.d. Gaussian ``A_i`` acting through ``(A_i + A_iᵀ)/2``, regenerated from ``seed`` (never stored).

    Same ``A_i`` as :func:`spurious.operators.gaussian` ``(m, n, rng=seed)``.

    Parameters
    ----------
    m, n : int
        Number of measurements and matrix order (≥ 1).
    seed : int
        Non-negative seed.
    block_bytes : float
        Memory of one block of regenerated rows.

    Returns
    -------
    GaussianBlockOperator
    """
    return GaussianBlockOperator(m, n, seed, "gaussian", block_bytes)


def symmetric_gaussian_blocks(m: int, n: int, seed: int = 0, block_bytes: float = CHUNK_BYTES) -> GaussianBlockOperator:
    """GOE ``A_i = (G + Gᵀ)/√2`` regenerated from ``seed`` (never stored).

    Same ``A_i`` as :func:`spurious.operators.symmetric_gaussian` ``(m, n, rng=seed)``.

    Parameters
    ----------
    m, n : int
        Number of measurements and matrix order (≥ 1).
    seed : int
        Non-negative seed.
    block_bytes : float
        Memory of one block of regenerated rows.

    Returns
    -------
    GaussianBlockOperator
    """
    return GaussianBlockOperator(m, n, seed, "symmetric-gaussian", block_bytes)


# ----------------------------------------------------------------------------- user's own


class CallableOperator(MatrixFreeOperator):
    """A user's operator from ``apply`` / ``adjoint`` callables (the plug-in point).

    Parameters
    ----------
    n, m : int
        Matrix order and number of measurements.
    apply : callable ``(n, n) array → (m,) array``
        ``A(X)`` for one symmetric matrix.
    adjoint : callable ``(m,) array → (n, n) array``
        ``A*(y) = Σ y_i A_i`` (symmetric).
    apply_outer : callable ``(B, n, r) → (B, m)``, optional
        Batched ``A(U Uᵀ)``; default: ``apply`` on each ``U Uᵀ``.
    adjoint_apply : callable ``((B, m), (B, n, r)) → (B, n, r)``, optional
        Batched ``A*(y) U``; default: ``adjoint(y_b) @ U_b``.
    frobenius_norm_sq : float, optional
        ``Σ ‖A_i‖_F²`` (spectral initialization); default: computed from ``N`` applications
        when ``N = n(n+1)/2 ≤ 20,000``.
    label : str

    Notes
    -----
    Only ``apply`` and ``adjoint`` are required; a wrong adjoint makes every gradient wrong,
    so check ``⟨A(X), y⟩ = ⟨X, A*(y)⟩`` on random ``X``, ``y`` once (the user guide shows how).
    Each output's shape is checked.
    """

    kind = "callable"

    def __init__(
        self,
        n: int,
        m: int,
        apply: Callable[[np.ndarray], np.ndarray],
        adjoint: Callable[[np.ndarray], np.ndarray],
        *,
        apply_outer: Callable | None = None,
        adjoint_apply: Callable | None = None,
        frobenius_norm_sq: float | None = None,
        label: str = "callable",
    ) -> None:
        self.n = check_int(n, "n", 1)
        self.m = check_int(m, "m", 1)
        for name, f in (("apply", apply), ("adjoint", adjoint)):
            if not callable(f):
                raise InputError(f"{name}: expected a callable, got {type(f).__name__}")
        self._apply, self._adjoint = apply, adjoint
        self._apply_outer, self._adjoint_apply = apply_outer, adjoint_apply
        self._fro = None if frobenius_norm_sq is None else check_float(frobenius_norm_sq, "frobenius_norm_sq", 0.0)
        self.label = label

    def _out(self, value: object, shape: tuple[int, ...], what: str) -> np.ndarray:
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != shape:
            raise InputError(f"{self.label}: {what} returned shape {arr.shape}, expected {shape}")
        return arr

    def apply(self, X: np.ndarray) -> np.ndarray:
        X, lead = _flat(_symmetric_arg(X, self.n), 2)
        out = np.stack([self._out(self._apply(Xb), (self.m,), "apply") for Xb in X])
        return out.reshape((*lead, self.m))

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        y, lead = _flat(_measurements(y, self.m), 1)
        out = np.stack([self._out(self._adjoint(yb), (self.n, self.n), "adjoint") for yb in y])
        return out.reshape((*lead, self.n, self.n))

    def apply_outer(self, U: np.ndarray) -> np.ndarray:
        if self._apply_outer is None:
            return super().apply_outer(U)
        U, lead = _flat(_factor(U, self.n), 2)
        out = self._out(self._apply_outer(U), (U.shape[0], self.m), "apply_outer")
        return out.reshape((*lead, self.m))

    def adjoint_apply(self, y: np.ndarray, U: np.ndarray) -> np.ndarray:
        if self._adjoint_apply is None:
            return super().adjoint_apply(y, U)
        y, U, lead = _batch_pair(y, U, self.n, self.m)
        out = self._out(self._adjoint_apply(y, U), U.shape, "adjoint_apply")
        return out.reshape((*lead, *U.shape[-2:]))

    def frobenius_norm_sq(self) -> float:
        if self._fro is None:
            if self.N > 20_000:
                raise InputError(
                    f"{self.label}: Σ‖A_i‖_F² is not known for a callable operator with N = {self.N}; "
                    "pass frobenius_norm_sq= to from_callables"
                )
            D = self._dense_matrix()
            self._fro = float(np.sum(D * D))
        return self._fro


def from_callables(
    n: int,
    m: int,
    apply: Callable[[np.ndarray], np.ndarray],
    adjoint: Callable[[np.ndarray], np.ndarray],
    **kwargs,
) -> CallableOperator:
    """A user's own operator from ``apply`` / ``adjoint`` callables (see :class:`CallableOperator`).

    Parameters
    ----------
    n, m : int
        Matrix order and number of measurements.
    apply : callable ``(n, n) → (m,)``
    adjoint : callable ``(m,) → (n, n)``
    **kwargs
        ``apply_outer``, ``adjoint_apply``, ``frobenius_norm_sq``, ``label`` (see
        :class:`CallableOperator`).

    Returns
    -------
    CallableOperator

    Examples
    --------
    Diagonal sensing ``A(X)_i = X_ii`` as a plug-in:

    >>> op = sp.operators.from_callables(3, 3, lambda X: np.diag(X).copy(), lambda y: np.diag(y))
    >>> prob = sp.least_squares(op, np.ones((3, 1)))
    >>> float(prob.value(np.ones((3, 1))))
    0.0
    """
    return CallableOperator(n, m, apply, adjoint, **kwargs)
