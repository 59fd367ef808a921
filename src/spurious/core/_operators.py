"""Linear sensing operators ``A(X)_i = ⟨A_i, X⟩``.

:class:`SensingOperator` acts on symmetric ``n × n`` matrices and is stored as its
``m × N`` matrix in ``svec`` coordinates (row ``i`` is ``svec(A_i)``); its kernel is
``H = AᵀA`` (``N × N``). Only the symmetric part of a measurement matrix is seen by a
symmetric argument (``⟨A_i, X⟩ = ⟨(A_i + A_iᵀ)/2, X⟩``), so non-symmetric input is
symmetrized and the operator records that it was.

:class:`RectangularOperator` acts on general ``n1 × n2`` matrices in ``vec``
coordinates (the asymmetric problem, bi2021 eq. (5)).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

import numpy as np

from spurious.core._errors import InputError
from spurious.core._linalg import smat, svec, svec_dim, sym, unvec, vec
from spurious.core._rng import RNGLike, as_generator
from spurious.core._validation import as_psd, as_real_array, check_bytes, check_float, check_int

log = logging.getLogger(__name__)

#: Largest operator matrix (in bytes) built unless a caller raises ``max_bytes``.
DEFAULT_MAX_BYTES = 4e9


@dataclass(frozen=True, eq=False)
class SensingOperator:
    """A linear map ``S^n → R^m`` stored as its ``m × N`` matrix in svec coordinates.

    Attributes
    ----------
    matrix : (m, N) array
        Row ``i`` is ``svec(A_i)``.
    n : int
        Matrix order; ``N = n(n+1)/2``.
    symmetrized : bool
        True when the measurement matrices given were not symmetric and were replaced
        by their symmetric parts (which leaves ``A(X)`` unchanged for symmetric ``X``).
    label : str
        Where the operator came from (constructor name, file name), for messages and reports.
    m, N : int
        Properties: number of measurements and ``n(n+1)/2``.
    """

    matrix: np.ndarray
    n: int
    symmetrized: bool = False
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        A = as_real_array(self.matrix, "operator matrix", ndim=2)
        if A.shape[0] == 0:
            raise InputError("operator: no measurements (m = 0)")
        if A.shape[1] != svec_dim(self.n):
            raise InputError(f"operator matrix: {A.shape[1]} columns, expected N = {svec_dim(self.n)} for n = {self.n}")
        A.setflags(write=False)
        object.__setattr__(self, "matrix", A)

    @property
    def m(self) -> int:
        return self.matrix.shape[0]

    @property
    def N(self) -> int:
        return self.matrix.shape[1]

    def apply(self, X: np.ndarray) -> np.ndarray:
        """``A(X)`` for symmetric ``X`` of shape ``(..., n, n)`` → ``(..., m)``."""
        return svec(X) @ self.matrix.T

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """``A*(y) = Σ y_i A_i`` for ``y`` of shape ``(..., m)`` → ``(..., n, n)``."""
        return smat(np.asarray(y) @ self.matrix)

    def kernel(self) -> np.ndarray:
        """``H = AᵀA`` in svec coordinates (``N × N``)."""
        return self.matrix.T @ self.matrix

    def matrices(self, max_bytes: float = DEFAULT_MAX_BYTES) -> np.ndarray:
        """The measurement matrices ``A_i`` as a dense ``(m, n, n)`` array."""
        check_bytes(8.0 * self.m * self.n * self.n, f"{self.m} dense {self.n}×{self.n} matrices", max_bytes)
        return smat(self.matrix)


@dataclass(frozen=True, eq=False)
class RectangularOperator:
    """A linear map ``R^{n1×n2} → R^m`` stored as its ``m × (n1·n2)`` matrix in vec coordinates.

    Attributes
    ----------
    matrix : (m, n1·n2) array
        Row ``i`` is ``vec(A_i)`` (column stacking).
    shape : (int, int)
        ``(n1, n2)``.
    m : int
        Property: number of measurements.
    """

    matrix: np.ndarray
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        A = as_real_array(self.matrix, "operator matrix", ndim=2)
        n1, n2 = self.shape
        if A.shape[0] == 0:
            raise InputError("operator: no measurements (m = 0)")
        if A.shape[1] != n1 * n2:
            raise InputError(f"operator matrix: {A.shape[1]} columns, expected {n1}·{n2}")
        A.setflags(write=False)
        object.__setattr__(self, "matrix", A)
        object.__setattr__(self, "shape", (int(n1), int(n2)))

    @property
    def m(self) -> int:
        return self.matrix.shape[0]

    def apply(self, X: np.ndarray) -> np.ndarray:
        return vec(X) @ self.matrix.T

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return unvec(np.asarray(y) @ self.matrix, *self.shape)

    def matrices(self) -> np.ndarray:
        return unvec(self.matrix, *self.shape)


# ----------------------------------------------------------------------------- constructors


def prefix_adjoint_norms(A: np.ndarray, b: np.ndarray, ms: object) -> np.ndarray:
    """``‖A_m*(b_m)/m‖₂`` for each ``m`` of the increasing list ``ms``, where ``A_m`` is the
    operator of the first ``m`` rows of ``A`` (prefix sums of ``Σ bᵢ Aᵢ``).

    Parameters
    ----------
    A : (M, N) array
        Operator matrix in svec coordinates (``N = n(n+1)/2``).
    b : (M,) array
        Measurements.
    ms : increasing sequence of int in ``[1, M]``

    Returns
    -------
    (len(ms),) array
        The spectral norm (largest ``|λ|``) of ``smat(Σ_{i<m} bᵢ aᵢ)/m``: ``σ₁`` of the matrix
        the spectral initialization factors (bhojanapalli2016 Fig. 1's step ``c/σ₁(A*(y)/m)``).
    """
    sig = []
    acc = np.zeros(A.shape[1])
    for lo, hi in itertools.pairwise([0, *ms]):
        acc = acc + b[lo:hi] @ A[lo:hi]
        sig.append(float(np.max(np.abs(np.linalg.eigvalsh(smat(acc / hi))))))
    return np.array(sig)


def _check_size(m: int, n: int, max_bytes: float) -> None:
    check_int(m, "m", 1)
    check_int(n, "n", 1)
    check_bytes(8.0 * m * (n * n + svec_dim(n)), f"an operator with m = {m}, n = {n}", max_bytes)


def from_matrices(A: np.ndarray, label: str = "matrices") -> SensingOperator:
    """Operator from explicit measurement matrices ``(m, n, n)``; non-symmetric input is symmetrized.

    Parameters
    ----------
    A : (m, n, n) array_like
        Measurement matrices ``A_i``; a non-symmetric ``A_i`` is replaced by ``(A_i + A_iᵀ)/2``
        (same ``A(X)`` for symmetric ``X``) and the operator is marked ``symmetrized``.
    label : str
        Name recorded on the operator.

    Returns
    -------
    SensingOperator

    Raises
    ------
    InputError
        Not a finite real ``(m, n, n)`` array, non-square or empty matrices.
    """
    A = as_real_array(A, "A", ndim=3)
    m, n1, n2 = A.shape
    if n1 != n2:
        raise InputError(f"A: measurement matrices must be square, got shape {A.shape}")
    if m == 0 or n1 == 0:
        raise InputError(f"A: empty operator, shape {A.shape}")
    S = sym(A)
    scale = max(1.0, float(np.max(np.abs(A))))
    symmetrized = not np.allclose(S, A, rtol=0.0, atol=1e-12 * scale)
    if symmetrized:
        log.info("measurement matrices were not symmetric: using their symmetric parts")
    return SensingOperator(svec(S), n1, symmetrized=symmetrized, label=label)


def gaussian(m: int, n: int, rng: RNGLike = None, max_bytes: float = DEFAULT_MAX_BYTES) -> SensingOperator:
    """i.i.d. standard Gaussian ``A_i`` (``n × n``, not symmetric), acting through ``(A_i + A_iᵀ)/2``.

    Parameters
    ----------
    m : int
        Number of measurements (≥ 1).
    n : int
        Matrix order (≥ 1).
    rng : Generator, int or None
        Random source, passed through :func:`numpy.random.default_rng`.
    max_bytes : float
        Largest operator (dense matrices and svec matrix) to build.

    Returns
    -------
    SensingOperator

    Raises
    ------
    InputError
        ``m`` or ``n`` not positive.
    TooLargeError
        The operator would exceed ``max_bytes``.
    """
    _check_size(m, n, max_bytes)
    g = as_generator(rng)
    A = g.standard_normal((m, n, n))
    return SensingOperator(svec(sym(A)), n, symmetrized=True, label="gaussian")


def symmetric_gaussian(m: int, n: int, rng: RNGLike = None, max_bytes: float = DEFAULT_MAX_BYTES) -> SensingOperator:
    """GOE measurements: ``A_i = (G + Gᵀ)/√2``, ``G`` i.i.d. N(0, 1); N(0, 2) diagonal, N(0, 1) off-diagonal.

    Parameters
    ----------
    m : int
        Number of measurements (≥ 1).
    n : int
        Matrix order (≥ 1).
    rng : Generator, int or None
        Random source, passed through :func:`numpy.random.default_rng`.
    max_bytes : float
        Largest operator (dense matrices and svec matrix) to build.

    Returns
    -------
    SensingOperator

    Raises
    ------
    InputError
        ``m`` or ``n`` not positive.
    TooLargeError
        The operator would exceed ``max_bytes``.
    """
    _check_size(m, n, max_bytes)
    g = as_generator(rng)
    G = g.standard_normal((m, n, n))
    return SensingOperator(svec((G + np.swapaxes(G, 1, 2)) / np.sqrt(2.0)), n, label="symmetric-gaussian")


def rank_one(m: int, n: int, rng: RNGLike = None, max_bytes: float = DEFAULT_MAX_BYTES) -> SensingOperator:
    """Rank-one measurements ``A_i = a_i a_iᵀ`` with ``a_i`` i.i.d. standard Gaussian.

    Parameters
    ----------
    m : int
        Number of measurements (≥ 1).
    n : int
        Matrix order (≥ 1).
    rng : Generator, int or None
        Random source, passed through :func:`numpy.random.default_rng`.
    max_bytes : float
        Largest operator (dense matrices and svec matrix) to build.

    Returns
    -------
    SensingOperator

    Raises
    ------
    InputError
        ``m`` or ``n`` not positive.
    TooLargeError
        The operator would exceed ``max_bytes``.
    """
    _check_size(m, n, max_bytes)
    g = as_generator(rng)
    a = g.standard_normal((m, n))
    return SensingOperator(svec(a[:, :, None] * a[:, None, :]), n, label="rank-one")


def sparse_binary(
    m: int, n: int, density: float = 0.1, rng: RNGLike = None, max_bytes: float = DEFAULT_MAX_BYTES
) -> SensingOperator:
    """Sparse symmetric ``±1/√density`` measurements; each upper-triangular entry is nonzero w.p. ``density``.

    Parameters
    ----------
    m : int
        Number of measurements (≥ 1).
    n : int
        Matrix order (≥ 1).
    density : float
        Probability in ``(0, 1]`` that an upper-triangular entry is nonzero (signs ±1 with
        equal probability, scaled by ``1/√density``).
    rng : Generator, int or None
        Random source, passed through :func:`numpy.random.default_rng`.
    max_bytes : float
        Largest operator (dense matrices and svec matrix) to build.

    Returns
    -------
    SensingOperator

    Raises
    ------
    InputError
        ``m`` or ``n`` not positive, ``density`` outside ``(0, 1]``.
    TooLargeError
        The operator would exceed ``max_bytes``.
    """
    _check_size(m, n, max_bytes)
    density = check_float(density, "density", 0.0, 1.0, open_low=True)
    g = as_generator(rng)
    N = svec_dim(n)
    mask = g.random((m, N)) < density
    signs = g.choice(np.array([-1.0, 1.0]), size=(m, N))
    vals = np.where(mask, signs, 0.0) / np.sqrt(density)
    i, j = np.triu_indices(n)
    U = np.zeros((m, n, n))
    U[:, i, j] = vals
    U[:, j, i] = vals
    return SensingOperator(svec(U), n, label="sparse-binary")


def from_kernel(H: np.ndarray, method: str = "eigh", rtol: float = 1e-12) -> SensingOperator:
    """An operator ``A`` with ``AᵀA = H`` for a PSD kernel ``H`` (``N × N``, svec coordinates).

    Parameters
    ----------
    H : (N, N) array, symmetric positive semidefinite
    method : {"eigh", "cholesky", "sqrt"}
        ``"eigh"``: rows ``√λ_k v_kᵀ`` for the eigenpairs with ``λ_k > rtol·λ_max``
        (``m = rank H``); ``"cholesky"``: ``A = Lᵀ`` with ``H = L Lᵀ`` (``m = N``; needs
        ``H ≻ 0``); ``"sqrt"``: the symmetric square root ``A = H^{1/2}`` (``m = N``).
        Different factorizations give the same landscape but different stochastic
        gradients (zhang2018 §2 factors "e.g. using Cholesky or an eigendecomposition").
    rtol : float
        ``"eigh"`` only: eigenvalues at or below ``rtol · λ_max`` are dropped.

    Returns
    -------
    SensingOperator
        ``m × N`` operator with ``kernel() ≈ H``, labelled ``"kernel-<method>"``.

    Raises
    ------
    InputError
        ``H`` not symmetric PSD, not of size ``n(n+1)/2``, not positive definite for
        ``"cholesky"``, or an unknown ``method``.

    Notes
    -----
    The factorization step after LMI (9)/(10) of zhang2018 §2.
    """
    H = as_psd(H, "H")
    N = H.shape[0]
    n = round((np.sqrt(8 * N + 1) - 1) / 2)
    if svec_dim(n) != N:
        raise InputError(f"H: size {N} is not n(n+1)/2 for any n")
    if method == "cholesky":
        try:
            L = np.linalg.cholesky(H)
        except np.linalg.LinAlgError:
            raise InputError("H: not positive definite, Cholesky factorization impossible") from None
        A = L.T
    elif method in ("eigh", "sqrt"):
        lam, V = np.linalg.eigh(H)
        lam = np.clip(lam, 0.0, None)
        if method == "eigh":
            keep = lam > rtol * max(lam[-1], np.finfo(float).tiny)
            A = (V[:, keep] * np.sqrt(lam[keep])).T[::-1]
        else:
            A = (V * np.sqrt(lam)) @ V.T
    else:
        raise InputError(f"method = {method!r}: expected 'eigh', 'cholesky' or 'sqrt'")
    return SensingOperator(np.ascontiguousarray(A), n, label=f"kernel-{method}")


def rectangular_gaussian(
    m: int, shape: tuple[int, int], rng: RNGLike = None, max_bytes: float = DEFAULT_MAX_BYTES
) -> RectangularOperator:
    """i.i.d. standard Gaussian ``A_i`` of shape ``n1 × n2`` (asymmetric problem).

    Parameters
    ----------
    m : int
        Number of measurements (≥ 1).
    shape : (int, int)
        ``(n1, n2)``, both ≥ 1.
    rng : Generator, int or None
        Random source, passed through :func:`numpy.random.default_rng`.
    max_bytes : float
        Largest operator (dense matrices and svec matrix) to build.

    Returns
    -------
    RectangularOperator

    Raises
    ------
    InputError
        A size not positive.
    TooLargeError
        The operator would exceed ``max_bytes``.
    """
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise InputError(f"shape = {shape!r}: expected (n1, n2)")
    n1, n2 = shape
    check_int(m, "m", 1)
    check_int(n1, "shape[0]", 1)
    check_int(n2, "shape[1]", 1)
    check_bytes(8.0 * m * n1 * n2, f"an operator with m = {m}, shape {shape}", max_bytes)
    g = as_generator(rng)
    return RectangularOperator(g.standard_normal((m, n1 * n2)), (n1, n2))
