"""The numpy backend of :func:`spurious.sgd`: one vectorized step over a batch of trials.

Each step computes ``A_{i_t} x_t`` for every trial ``t`` — from the gathered dense matrices
``A_{i_t}`` (batched ``matmul``) or, for a matrix-free operator, from its
``sampled_apply(i, x)`` (rank-one: ``a_i (a_iᵀ x)``; completion: two rows), ``O(T n r)`` — and
applies the update of :mod:`spurious.solvers._sgd` (``v ← βv + g``, ``x ← x − lr·v``, optional
flush to zero). The indices come from the same per-trial xoshiro256++ streams as the numba
kernels (:mod:`spurious.solvers._prng`), so the results equal theirs to rounding (summation
order) and do not depend on how the trials are chunked.
"""

from __future__ import annotations

import numpy as np

from spurious.solvers import _prng

#: The numpy backend and the diagnostics work on chunks of trials of at most this many entries
#: (``n × n`` per trial with dense matrices, ``n × r`` per trial matrix-free).
CHUNK_ENTRIES = 2**22


def trial_chunks(T: int, entries: int) -> list[slice]:
    """Consecutive slices of ``T`` trials, each holding at most :data:`CHUNK_ENTRIES` ``entries`` per trial."""
    size = max(1, CHUNK_ENTRIES // max(entries, 1))
    return [slice(a, min(a + size, T)) for a in range(0, T, size)]


def advance_numpy(source, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    """``steps`` steps of every trial (in place), vectorized over chunks of trials.

    ``source`` is the dense ``(m, n, n)`` array of measurement matrices or a matrix-free operator
    with ``sampled_apply`` (rank-one, completion). Trials are independent, so chunking does not
    change any trial's numbers.
    """
    T, n, r = x.shape
    if isinstance(source, np.ndarray):
        apply_i, per_trial = (lambda i, u: np.matmul(source[i], u)), n * n
    else:
        apply_i, per_trial = source.sampled_apply, n * r
    for c in trial_chunks(T, per_trial):
        _advance_numpy_batch(apply_i, b, x[c], v[c], s[:, c], steps, lr, beta, coef, flush, alive[c], nit[c])


def _advance_numpy_batch(apply_i, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    m = b.shape[0]
    for _ in range(steps):
        i = _prng.index_np(s, m)
        with np.errstate(over="ignore", invalid="ignore"):
            Ax = apply_i(i, x)
            y = np.einsum("tjc,tjc->t", x, Ax)  # ⟨A_i, x xᵀ⟩ (non-finite whenever x is)
            R = coef * (y - b[i])
            ok = alive & np.isfinite(R)
            vn = beta * v + R[:, None, None] * Ax
            if flush:
                vn[np.abs(vn) < flush] = 0.0
            xn = x - lr * vn
            if flush:
                xn[np.abs(xn) < flush] = 0.0
        alive[:] = ok
        nit += ok
        w = ok[:, None, None]
        np.copyto(v, vn, where=w)
        np.copyto(x, xn, where=w)
