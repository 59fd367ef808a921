"""The numpy backend of :func:`spurious.sgd`: one vectorized step over a batch of trials.

Each step gathers ``A_{i_t}`` for every trial ``t`` and applies the update of
:mod:`spurious.solvers._sgd` (``v ← βv + g``, ``x ← x − lr·v``, optional flush to zero) with
batched ``matmul``; the indices come from the same per-trial xoshiro256++ streams as the numba
kernels (:mod:`spurious.solvers._prng`), so the results equal theirs to rounding (summation
order) and do not depend on how the trials are chunked.
"""

from __future__ import annotations

import numpy as np

from spurious.solvers import _prng

#: The numpy backend and the diagnostics work on chunks of trials of at most this many ``n × n`` entries.
CHUNK_ENTRIES = 2**22


def trial_chunks(T: int, n: int) -> list[slice]:
    size = max(1, CHUNK_ENTRIES // (n * n))
    return [slice(a, min(a + size, T)) for a in range(0, T, size)]


def advance_numpy(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    """``steps`` steps of every trial (in place), vectorized over chunks of trials.

    Trials are independent, so chunking does not change any trial's numbers.
    """
    for c in trial_chunks(x.shape[0], x.shape[1]):
        _advance_numpy_batch(A, b, x[c], v[c], s[:, c], steps, lr, beta, coef, flush, alive[c], nit[c])


def _advance_numpy_batch(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    m = A.shape[0]
    for _ in range(steps):
        i = _prng.index_np(s, m)
        with np.errstate(over="ignore", invalid="ignore"):
            Ax = np.matmul(A[i], x)
            y = np.einsum("tjc,tjc->t", x, Ax)
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
