"""Gradient descent for many matrix-sensing runs that share one operator's row prefixes.

The phase-transition grid of bhojanapalli2016 Fig. 1 runs GD on ``f(U)/m =
(1/m)‖A_m(UUᵀ) − y‖²`` for many numbers of measurements ``m``, ranks ``r`` and
initializations. Inside one trial every operator ``A_m`` is the first ``m`` rows of one
``M_max``-row operator (the rows are i.i.d., so a prefix of a Gaussian operator is a
Gaussian operator), so all runs of a trial can be advanced together:

* every run is stored as ``svec(UUᵀ)`` (``N = n(n+1)/2`` numbers, whatever its rank), so
  runs of different ranks share one matrix–matrix product; factors are padded with zero
  columns to the largest rank (a zero column of ``U`` stays exactly zero under GD, since
  the gradient ``(4/m) smat(A*(res)) U`` is zero there);
* the rows are split in blocks at the distinct values of ``m``; runs are kept sorted by
  decreasing ``m``, so the runs that need block ``[lo, hi)`` are a leading slice of the
  active batch, and each run costs ``∝ m`` per iteration (a run with ``m = 100`` never
  touches rows 100 … 1999);
* runs that meet a stopping tolerance leave the active batch;
* the working precision is the operator's dtype (float32 halves the memory traffic and
  doubles the BLAS rate; the experiment checks it against float64).

With ``float64`` data and no tolerances this is plain GD (``x ← x − η ∇(f/m)``), equal
to :func:`spurious.SymmetricProblem.gradient` steps on
``least_squares(operator(A[:m]), z, scaling="mean")`` up to rounding
(tests/experiments/test_bhojanapalli2016.py checks 1e-10).
"""

from __future__ import annotations

import itertools
import logging

import numpy as np

from spurious.core._budget import check_work
from spurious.core._errors import InputError
from spurious.core._linalg import svec_dim, svec_tables, triu_weights
from spurious.core._validation import check_int
from spurious.solvers._result import STATUS_DTYPE, LocalSearchResult, Status, status_codes
from spurious.solvers._stopping import Stop

log = logging.getLogger(__name__)


def _svec_outer(U: np.ndarray, i: np.ndarray, j: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``svec(U Uᵀ)`` for ``U`` of shape ``(B, n, k)`` in ``U``'s dtype (:func:`spurious.linalg.svec` upcasts)."""
    return (U @ np.swapaxes(U, -1, -2))[:, i, j] * w


def _smat_times(g: np.ndarray, U: np.ndarray, pos: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    """``smat(g) @ U`` for ``g`` of shape ``(B, N)`` in ``g``'s dtype (the inverse of svec, as
    :func:`spurious.linalg.smat`; ``pos`` is its gather table)."""
    return np.take(g / w, pos, axis=-1).reshape(g.shape[0], n, n) @ U


def prefix_gd(
    A: np.ndarray,
    b: np.ndarray,
    m_star: np.ndarray,
    x0: np.ndarray,
    m: np.ndarray,
    truth: np.ndarray,
    lr: np.ndarray,
    *,
    steps: int,
    tol_rel_dist: float | None = None,
    tol_rel_f: float | None = None,
    tol_grad: float | None = None,
) -> LocalSearchResult:
    """GD on ``f_k(U) = (1/m_k)‖A[:m_k](UUᵀ) − b[g_k, :m_k]‖²`` for a batch of runs ``k``.

    Parameters
    ----------
    A : (M, N) array
        Operator matrix in svec coordinates (row ``i`` is ``svec(A_i)``, as
        :attr:`spurious.operators.SensingOperator.matrix`); its dtype is the working precision.
    b : (G, M) array
        Measurements of the ``G`` ground truths, ``b[g] = A svec(X*_g)`` (+ noise).
    m_star : (G, n, n) array
        The ground truths (for the distances ``‖UUᵀ − X*‖_F``).
    x0 : (B, n, k) array
        Initial factors; a run of rank ``r < k`` has zero columns ``r … k−1``.
    m : (B,) int array
        Number of measurements of each run (``1 ≤ m ≤ M``).
    truth : (B,) int array
        Index of each run's ground truth in ``b`` / ``m_star``.
    lr : (B,) array
        Step of each run.
    steps : int
        Maximum number of GD updates.
    tol_rel_dist : float, optional
        A run stops when ``‖UUᵀ − X*‖_F ≤ tol · ‖X*‖_F``.
    tol_rel_f : float, optional
        A run stops when ``‖A_m(UUᵀ) − b_m‖² ≤ tol · ‖b_m‖²`` (converged, wherever it is).
    tol_grad : float, optional
        A run stops when ``‖∇(f/m)‖_F ≤ tol_grad``.

    Returns
    -------
    LocalSearchResult
        In the input order: ``x`` (B, n, k), ``fun`` = ``f/m``, ``distance`` = ``‖UUᵀ − X*‖_F``,
        ``grad_norm`` = ``‖∇(f/m)‖_F``, ``nit``, ``status`` (CONVERGED or MAX_ITER;
        DIVERGED for a non-finite iterate, :func:`~spurious.solvers._result.status_codes`), all in
        float64; ``success`` uses the default :class:`~spurious.Stop` tolerance.

    Notes
    -----
    ``∇(f/m)(U) = (4/m) smat(A_mᵀ res) U`` with ``res = A_m svec(UUᵀ) − b_m``
    (DESIGN conventions: ``∇g = 2 ∇f(M) x``, ``∇f(M) = (2/m) A*(res)``); bhojanapalli2016
    eq. (2) divided by ``m``, as in its Fig. 1 protocol.
    """
    A = np.asarray(A)
    if A.ndim != 2:
        raise InputError(f"A: expected an (M, N) matrix, got shape {A.shape}")
    dtype = A.dtype
    if dtype not in (np.float32, np.float64):
        raise InputError(f"A: dtype {dtype}, expected float32 or float64")
    M, N = A.shape
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.ndim != 3:
        raise InputError(f"x0: expected (B, n, k), got shape {x0.shape}")
    B, n, k = x0.shape
    if svec_dim(n) != N:
        raise InputError(f"A: {N} columns, expected N = {svec_dim(n)} for n = {n}")
    m = np.asarray(m, dtype=np.int64).reshape(-1)
    truth = np.asarray(truth, dtype=np.int64).reshape(-1)
    lr = np.asarray(lr, dtype=np.float64).reshape(-1)
    if not (m.shape == truth.shape == lr.shape == (B,)):
        raise InputError(f"m, truth, lr: expected {B} values each, got {m.shape}, {truth.shape}, {lr.shape}")
    if B and (m.min() < 1 or m.max() > M):
        raise InputError(f"m: values must lie in [1, {M}], got [{m.min()}, {m.max()}]")
    b = np.asarray(b, dtype=dtype)
    m_star = np.asarray(m_star, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != M or m_star.shape != (b.shape[0], n, n):
        raise InputError(f"b, m_star: shapes {b.shape}, {m_star.shape}, expected (G, {M}), (G, {n}, {n})")
    if B and (truth.min() < 0 or truth.max() >= b.shape[0]):
        raise InputError(f"truth: indices must lie in [0, {b.shape[0]})")
    steps = check_int(steps, "steps", 0)
    check_work(float(B) * (steps + 1) * M, f"prefix GD: {B} runs × steps = {steps} × {M} measurements")

    i, j, w = triu_weights(n)
    pos = svec_tables(n)[2]
    wd = w.astype(dtype)
    star = (m_star[:, i, j] * w).astype(dtype)  # svec(X*), (G, N)
    star_norm = np.linalg.norm(m_star.reshape(m_star.shape[0], -1), axis=1)
    b64 = b.astype(np.float64)
    bnorm2 = np.array([b64[g, :mm] @ b64[g, :mm] for g, mm in zip(truth, m, strict=True)]) if B else np.zeros(0)

    order = np.argsort(-m, kind="stable")  # decreasing m: every row block is needed by a leading slice
    edges = np.unique(np.concatenate([[0], m]))  # block boundaries at the distinct m values
    act = order.copy()
    U = x0[act].astype(dtype)
    m_act = m[act]
    scale_act = (4.0 * lr[act] / m_act).astype(dtype)[:, None, None]

    x_out = np.zeros((B, n, k))
    fun = np.full(B, np.nan)
    dist = np.full(B, np.nan)
    gnorm = np.full(B, np.nan)
    nit = np.zeros(B, dtype=np.int64)
    status = np.full(B, int(Status.MAX_ITER), dtype=STATUS_DTYPE)

    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is detected and frozen
        for it in range(steps + 1):
            if act.size == 0:
                break
            S = _svec_outer(U, i, j, wd)  # (Ba, N)
            g = np.zeros_like(S)
            f = np.zeros(act.size, dtype=np.float64)
            for lo, hi in itertools.pairwise(edges):
                c = int(np.searchsorted(-m_act, -hi, side="right"))  # runs with m ≥ hi
                if c == 0:
                    break
                R = S[:c] @ A[lo:hi].T - b[truth[act[:c]], lo:hi]
                f[:c] += np.einsum("ij,ij->i", R, R, dtype=np.float64)
                g[:c] += R @ A[lo:hi]
            step = _smat_times(g, U, pos, wd, n)  # (Ba, n, k) = A*(res) U in matrix form
            D = S - star[truth[act]]
            d = np.sqrt(np.einsum("ij,ij->i", D, D, dtype=np.float64))
            finite = np.isfinite(f) & np.all(np.isfinite(U.reshape(act.size, -1)), axis=1)
            done = ~finite | (it == steps)
            conv = np.zeros(act.size, dtype=bool)
            if tol_rel_dist is not None:
                conv |= d <= tol_rel_dist * star_norm[truth[act]]
            if tol_rel_f is not None:
                conv |= f <= tol_rel_f * bnorm2[act]
            gn = np.linalg.norm(step.reshape(act.size, -1), axis=1) * (4.0 / m_act)
            if tol_grad is not None:
                conv |= gn <= tol_grad
            conv &= finite
            done |= conv
            if done.any():
                idx = act[done]
                x_out[idx] = U[done]
                fun[idx] = f[done] / m_act[done]
                dist[idx] = d[done]
                gnorm[idx] = gn[done]
                nit[idx] = it
                status[idx] = status_codes(conv[done], ~finite[done])
                keep = ~done
                act, U, m_act, scale_act, step = act[keep], U[keep], m_act[keep], scale_act[keep], step[keep]
            U = U - scale_act * step

    return LocalSearchResult(
        x=x_out,
        fun=fun,
        distance=dist,
        grad_norm=gnorm,
        nit=nit,
        status=status,
        method="prefix-gd",
        options={
            "steps": steps,
            "dtype": str(np.dtype(dtype)),
            "tol_rel_dist": tol_rel_dist,
            "tol_rel_f": tol_rel_f,
            "tol_grad": tol_grad,
            "success": Stop().success,
        },
    )
