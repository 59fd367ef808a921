"""Coordinates for symmetric matrices and the Jacobian of the symmetric product.

Conventions (DESIGN):

* ``svec`` is isometric: the upper triangle of a symmetric ``n × n`` matrix, row by row,
  with off-diagonal entries scaled by √2, so ``⟨X, Y⟩ = svec(X)ᵀ svec(Y)``;
  ``N = n(n+1)/2``.
* ``vec`` stacks columns: ``vec(u)[k·n + p] = u[p, k]`` for ``u`` of shape ``n × r``.
* ``Xmat`` (zhang2018 eq. (7)–(8), zhang2020 eq. (10b)) is the ``N × nr`` matrix with
  ``Xmat · vec(u) = svec(x uᵀ + u xᵀ)``; for ``x`` of full column rank its kernel is
  ``{x W : W skew}``, of dimension ``r(r−1)/2`` (the rotation symmetry).

All functions accept a leading batch axis where noted.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.linalg

from spurious.core._errors import InputError


@lru_cache(maxsize=64)
def triu_weights(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper-triangle indices ``(i, j)`` in svec order and the svec weights ``w``."""
    i, j = np.triu_indices(n)
    w = np.where(i == j, 1.0, np.sqrt(2.0))
    for a in (i, j, w):
        a.setflags(write=False)
    return i, j, w


@lru_cache(maxsize=64)
def svec_tables(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat gather tables of svec/smat for size ``n`` (the fast path: ``np.take`` along the last
    axis, several times faster than fancy indexing; smat scales the ``N`` entries before the gather)."""
    i, j, w = triu_weights(n)
    flat = i * n + j  # svec(X) = X.flat[flat] * w
    pos = np.empty((n, n), dtype=np.intp)
    pos[i, j] = np.arange(i.size)
    pos[j, i] = np.arange(i.size)
    pos = pos.ravel()  # smat(v).flat = (v / w)[pos]
    winv = 1.0 / w
    for a in (flat, pos, winv):
        a.setflags(write=False)
    return w, flat, pos, winv


def svec_dim(n: int) -> int:
    """``N = n(n+1)/2``, the dimension of the symmetric ``n × n`` matrices.

    Parameters
    ----------
    n : int
        Matrix order.

    Returns
    -------
    int
        ``n(n+1)/2``, the length of :func:`svec` of an ``n × n`` matrix.
    """
    return n * (n + 1) // 2


def svec_order(N: int) -> int:
    """The matrix order ``n`` with ``n(n+1)/2 = N`` (the inverse of :func:`svec_dim`).

    Parameters
    ----------
    N : int
        Length of an svec vector.

    Returns
    -------
    int
        ``n``.

    Raises
    ------
    InputError
        ``N`` is not ``n(n+1)/2`` for any integer ``n``.
    """
    n = round((np.sqrt(8 * N + 1) - 1) / 2)
    if svec_dim(n) != N:
        raise InputError(f"length {N} is not n(n+1)/2 for any n")
    return n


def svec(X: np.ndarray) -> np.ndarray:
    """Isometric vectorization of symmetric matrices, ``(..., n, n) -> (..., N)``.

    Only the upper triangle is read; pass symmetric matrices (or symmetrize first).

    Parameters
    ----------
    X : (..., n, n) array_like
        Symmetric matrices (a leading batch axis is allowed).

    Returns
    -------
    (..., N) array
        The upper triangle row by row, off-diagonal entries times √2, ``N = n(n+1)/2``; so
        ``svec(X) @ svec(Y) == ⟨X, Y⟩`` (trace inner product).

    Notes
    -----
    The isometric ``vec`` of symmetric matrices used by zhang2018 §2 for the kernel
    ``H = AᵀA`` of eq. (7)–(10) (DESIGN, "Conventions").

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 3.0]])
    >>> sp.linalg.svec(X)
    array([1.      , 2.828427, 3.      ])
    >>> bool(np.isclose(sp.linalg.svec(X) @ sp.linalg.svec(X), np.sum(X * X)))
    True
    """
    X = np.asarray(X)
    n = X.shape[-1]
    w, flat, _, _ = svec_tables(n)
    return np.take(X.reshape((*X.shape[:-2], n * n)), flat, axis=-1) * w


def smat(v: np.ndarray) -> np.ndarray:
    """Inverse of :func:`svec`, ``(..., N) -> (..., n, n)``.

    Parameters
    ----------
    v : (..., N) array_like
        svec coordinates, ``N = n(n+1)/2`` (a leading batch axis is allowed).

    Returns
    -------
    (..., n, n) array
        The symmetric matrices with ``svec(smat(v)) == v``.

    Raises
    ------
    InputError
        The last axis is not of length ``n(n+1)/2`` for any ``n``.

    Examples
    --------
    >>> sp.linalg.smat([1.0, np.sqrt(2.0), 3.0])
    array([[1., 1.],
           [1., 3.]])
    """
    v = np.asarray(v)
    n = svec_order(v.shape[-1])
    _, _, pos, winv = svec_tables(n)
    return np.take(v * winv, pos, axis=-1).reshape((*v.shape[:-1], n, n))


def sym(X: np.ndarray) -> np.ndarray:
    """Symmetric part ``(X + Xᵀ)/2`` over the last two axes.

    Parameters
    ----------
    X : (..., n, n) array

    Returns
    -------
    (..., n, n) array
    """
    return 0.5 * (X + np.swapaxes(X, -1, -2))


def vec(u: np.ndarray) -> np.ndarray:
    """Column-stacking vectorization, ``(..., n, r) -> (..., n·r)``.

    Parameters
    ----------
    u : (..., n, r) array_like

    Returns
    -------
    (..., n·r) array
        ``vec(u)[k·n + p] = u[p, k]`` (the coordinates of ``Xmat``, gradients and Hessians).
    """
    u = np.asarray(u)
    return np.swapaxes(u, -1, -2).reshape((*u.shape[:-2], u.shape[-1] * u.shape[-2]))


def unvec(v: np.ndarray, n: int, r: int) -> np.ndarray:
    """Inverse of :func:`vec`, ``(..., n·r) -> (..., n, r)``.

    Parameters
    ----------
    v : (..., n·r) array_like
    n, r : int
        Shape of the factor.

    Returns
    -------
    (..., n, r) array
    """
    v = np.asarray(v)
    return np.swapaxes(v.reshape((*v.shape[:-1], r, n)), -1, -2)


def outer(x: np.ndarray) -> np.ndarray:
    """``x xᵀ`` for ``x`` of shape ``(..., n, r)``.

    Parameters
    ----------
    x : (..., n, r) array

    Returns
    -------
    (..., n, n) array
    """
    if x.shape[-1] == 1:  # broadcasting beats a batched matmul with inner dimension 1
        return x * np.swapaxes(x, -1, -2)
    return x @ np.swapaxes(x, -1, -2)


def sym_jacobian(x: np.ndarray) -> np.ndarray:
    """``Xmat``, the ``N × nr`` Jacobian of ``u ↦ svec(x uᵀ + u xᵀ)`` (zhang2018 eq. (8)).

    Parameters
    ----------
    x : (n, r) array

    Returns
    -------
    (N, n·r) array with ``Xmat @ vec(u) == svec(x uᵀ + u xᵀ)``.

    Notes
    -----
    The matrix ``X`` of zhang2018 §2 (below eq. (8)) and zhang2020 eq. (10b); its kernel
    contains :func:`rotation_directions`.
    """
    x = np.asarray(x, dtype=np.float64)
    n, r = x.shape
    E = np.eye(n)
    S = np.einsum("ik,jp->kpij", x, E)
    S = S + np.swapaxes(S, -1, -2)
    return svec(S).reshape(r * n, -1).T


def rotation_directions(x: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis (in ``vec`` coordinates) of ``{x W : W skew}``.

    These are the directions of the rotation symmetry ``f(xQ) = f(x)``: at any critical
    point they have exactly zero curvature, and they span the kernel of ``Xmat`` when
    ``x`` has full column rank (dimension ``r(r−1)/2``). For rank-deficient ``x`` the span
    is smaller; directions of numerically zero norm are dropped.

    Parameters
    ----------
    x : (n, r) array
    rtol : float
        Singular values of the spanning set below ``rtol · max(‖x‖_F, 1)`` are dropped.

    Returns
    -------
    (n·r, k) array with orthonormal columns, ``k ≤ r(r−1)/2``.
    """
    x = np.asarray(x, dtype=np.float64)
    n, r = x.shape
    cols = []
    for a in range(r):
        for b in range(a + 1, r):
            d = np.zeros((n, r))
            d[:, b] = x[:, a]
            d[:, a] = -x[:, b]
            cols.append(vec(d))
    if not cols:
        return np.zeros((n * r, 0))
    D = np.stack(cols, axis=1)
    U, s, _ = np.linalg.svd(D, full_matrices=False)
    scale = max(float(np.linalg.norm(x)), 1.0)
    keep = s > rtol * scale
    return U[:, keep]


def orthogonal_complement(Q: np.ndarray, dim: int) -> np.ndarray:
    """Orthonormal basis of the complement of the orthonormal columns ``Q`` in ``R^dim``.

    Parameters
    ----------
    Q : (dim, k) array
        Orthonormal columns (``k = 0`` allowed).
    dim : int
        Ambient dimension.

    Returns
    -------
    (dim, dim − k) array
        Orthonormal columns spanning the orthogonal complement of ``range(Q)``.
    """
    if Q.shape[1] == 0:
        return np.eye(dim)
    return scipy.linalg.null_space(Q.T)


def error_vector(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The error vector ``e = svec(x xᵀ − z zᵀ)`` (zhang2018 eq. (7)).

    Parameters
    ----------
    x : (..., n, r) array
        Candidate point.
    z : (..., n, r') array
        Ground truth factor.

    Returns
    -------
    (..., N) array
    """
    return svec(outer(x) - outer(z))


def gradient_form(H: np.ndarray, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``Xmatᵀ H e``: ``∇f(x) = 2 Xmatᵀ H e`` for the kernel ``H = AᵀA`` (DESIGN).

    Parameters
    ----------
    H : (N, N) array
        Kernel ``AᵀA`` in svec coordinates.
    x : (n, r) array
        Point.
    z : (n, r') array
        Ground truth factor.

    Returns
    -------
    (n·r,) array
        ``Xmatᵀ H e`` in ``vec`` coordinates; ``L(H) = 2 Xmatᵀ H e`` of zhang2018 eq. (7), so
        ``x`` is a critical point iff this vanishes (eq. (5)).
    """
    return sym_jacobian(x).T @ (H @ error_vector(x, z))


def hessian_form(H: np.ndarray, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``M(H) = 2 (I_r ⊗ smat(He)) + Xmatᵀ H Xmat``, so that ``∇²f(x) = 2 M(H)``.

    zhang2018 eq. (8) (whose eq. (6) is half of the Hessian quadratic form); ``nr × nr``
    in ``vec`` coordinates.

    Parameters
    ----------
    H : (N, N) array
        Kernel ``AᵀA`` in svec coordinates.
    x : (n, r) array
        Point.
    z : (n, r') array
        Ground truth factor.

    Returns
    -------
    (n·r, n·r) array
        ``M(H)``; ``x`` satisfies the second-order condition (6) iff ``M(H) ⪰ 0``.
    """
    x = np.asarray(x, dtype=np.float64)
    r = x.shape[1]
    J = sym_jacobian(x)
    S = smat(H @ error_vector(x, z))
    return 2.0 * np.kron(np.eye(r), S) + J.T @ H @ J
