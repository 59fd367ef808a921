"""Numba kernel of SGD with momentum and batch size one (imported lazily by :mod:`.sgd`).

One call advances every trial of a batch by ``steps`` steps (zhang2018 §5):

    i ~ U{0, …, m − 1},  res = coef·(⟨A_i, x xᵀ⟩ − b_i),  v ← βv + res·A_i x,  x ← x − lr·v

with the per-trial xoshiro256++ streams of :mod:`._prng`, followed, when ``flush > 0``, by the
flush-to-zero rule of :mod:`.sgd`: an entry of the new ``v`` with ``|v| < flush`` becomes 0
before ``x`` is updated, then an entry of the new ``x`` with ``|x| < flush`` becomes 0
(``flush = 0`` changes no bit).

Trials are processed in blocks of ``LANES`` lanes stored structure-of-arrays (entry
``(j, c)`` of lane ``l`` at ``(j·r + c)·LANES + l``), steps outer and lanes inner, so the
compiler can run the lanes in SIMD registers; blocks run in parallel (``prange``). Every
lane does exactly the arithmetic of one trial in a fixed order (``fastmath=False``: no
reassociation, no contraction), so a trial's result is the same bit for bit whatever the
batch size, block boundaries or number of threads.

A trial whose residual is not finite at step k stops there (``alive`` becomes False,
``nit`` counts the k updates it made, ``x`` and ``v`` keep their values); the others go on.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from spurious.solvers import _prng

#: Trials per block (measured: 16 beats 8 and 32 on this machine, benchmarks/sgd.py).
LANES = 16

_next_u64 = njit(inline="always", cache=True)(_prng.next_u64)
_index = njit(inline="always", cache=True)(_prng.lemire_index)


@njit(parallel=True, fastmath=False, cache=True, nogil=True)
def sgd_momentum(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit):  # pragma: no cover - compiled
    """Advance all trials by ``steps`` steps, in place.

    Parameters
    ----------
    A : (m, n, n) float64, symmetric measurement matrices
    b : (m,) float64
    x, v : (T, n, r) float64, iterates and momenta (updated)
    s : (4, T) uint64, xoshiro256++ states (updated)
    steps : int
    lr, beta, coef : float, step size, momentum, gradient coefficient (4, 4m or 2)
    flush : float, flush-to-zero threshold (0: off)
    alive : (T,) bool (updated), nit : (T,) int64 (updated)
    """
    T, n, r = x.shape
    nn = n * n
    nr = n * r
    m = np.uint64(A.shape[0])
    Af = A.ravel()
    nblocks = (T + LANES - 1) // LANES
    for blk in prange(nblocks):
        t0 = blk * LANES
        nl = min(LANES, T - t0)
        # structure of arrays: entry (j, c) of lane l at [(j * r + c) * LANES + l]
        X = np.zeros(nr * LANES)
        V = np.zeros(nr * LANES)
        AX = np.zeros(nr * LANES)
        Y = np.zeros(LANES)
        R = np.zeros(LANES)
        S0 = np.zeros(LANES, np.uint64)
        S1 = np.zeros(LANES, np.uint64)
        S2 = np.zeros(LANES, np.uint64)
        S3 = np.zeros(LANES, np.uint64)
        base = np.zeros(LANES, np.uint64)
        bi = np.zeros(LANES)
        live = np.zeros(LANES, np.bool_)
        cnt = np.zeros(LANES, np.int64)
        for l in range(nl):
            t = t0 + l
            for j in range(n):
                for c in range(r):
                    X[(j * r + c) * LANES + l] = x[t, j, c]
                    V[(j * r + c) * LANES + l] = v[t, j, c]
            S0[l] = s[0, t]
            S1[l] = s[1, t]
            S2[l] = s[2, t]
            S3[l] = s[3, t]
            live[l] = alive[t]
        for _k in range(steps):
            for l in range(LANES):
                u, a0, a1, a2, a3 = _next_u64(S0[l], S1[l], S2[l], S3[l])
                S0[l] = a0
                S1[l] = a1
                S2[l] = a2
                S3[l] = a3
                i = np.int64(_index(u, m))
                base[l] = np.uint64(i * nn)
                bi[l] = b[i]
            for j in range(n):
                for c in range(r):
                    o = (j * r + c) * LANES
                    for l in range(LANES):
                        AX[o + l] = 0.0
                    for q in range(n):
                        oq = (q * r + c) * LANES
                        jq = np.uint64(j * n + q)  # unsigned: no negative-index wrap-around
                        for l in range(LANES):
                            AX[o + l] += Af[base[l] + jq] * X[oq + l]
            for l in range(LANES):
                Y[l] = 0.0
            for k in range(nr):
                o = k * LANES
                for l in range(LANES):
                    Y[l] += X[o + l] * AX[o + l]
            for l in range(LANES):
                R[l] = coef * (Y[l] - bi[l])
                ok = live[l] and np.isfinite(R[l])
                live[l] = ok
                cnt[l] += ok
            for k in range(nr):
                o = k * LANES
                for l in range(LANES):
                    vn = beta * V[o + l] + R[l] * AX[o + l]
                    vn = 0.0 if abs(vn) < flush else vn
                    xn = X[o + l] - lr * vn
                    xn = 0.0 if abs(xn) < flush else xn
                    V[o + l] = vn if live[l] else V[o + l]
                    X[o + l] = xn if live[l] else X[o + l]
        for l in range(nl):
            t = t0 + l
            for j in range(n):
                for c in range(r):
                    x[t, j, c] = X[(j * r + c) * LANES + l]
                    v[t, j, c] = V[(j * r + c) * LANES + l]
            s[0, t] = S0[l]
            s[1, t] = S1[l]
            s[2, t] = S2[l]
            s[3, t] = S3[l]
            alive[t] = live[l]
            nit[t] += cnt[l]


@njit(parallel=True, fastmath=False, cache=True, nogil=True)
def sgd_momentum_wide(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit):  # pragma: no cover - compiled
    """Same arguments and results as :func:`sgd_momentum`, one trial per task (for larger ``n``).

    ``A_i x`` is accumulated as ``Σ_q A_i[q, :] x[q, c]`` — contiguous rows of ``A_i``
    (symmetric), vectorizable without reassociation — in the same order ``q = 0, 1, …`` as
    :func:`sgd_momentum`, and ``⟨A_i, xxᵀ⟩`` in the same ``(j, c)`` order, so both kernels give
    the same bits (``A`` must be exactly symmetric, as ``SensingOperator.matrices`` is).
    """
    T, n, r = x.shape
    m = np.uint64(A.shape[0])
    un = np.uint64(n)
    Af = A.ravel()
    for t in prange(T):
        X = np.empty((r, n))
        V = np.empty((r, n))
        AX = np.empty((r, n))
        for j in range(n):
            for c in range(r):
                X[c, j] = x[t, j, c]
                V[c, j] = v[t, j, c]
        s0, s1, s2, s3 = s[0, t], s[1, t], s[2, t], s[3, t]
        live = alive[t]
        cnt = 0
        for _k in range(steps):
            u, s0, s1, s2, s3 = _next_u64(s0, s1, s2, s3)
            i = _index(u, m)
            if not live:
                continue
            for c in range(r):
                for j in range(n):
                    AX[c, j] = 0.0
                for q in range(n):
                    a = X[c, q]
                    row = (i * un + np.uint64(q)) * un  # unsigned offsets: no wrap-around checks
                    for j in range(n):
                        AX[c, j] += Af[row + np.uint64(j)] * a
            y = 0.0
            for j in range(n):
                for c in range(r):
                    y += X[c, j] * AX[c, j]
            R = coef * (y - b[i])
            if not np.isfinite(R):
                live = False
                continue
            cnt += 1
            for c in range(r):
                for j in range(n):
                    vn = beta * V[c, j] + R * AX[c, j]
                    vn = 0.0 if abs(vn) < flush else vn
                    xn = X[c, j] - lr * vn
                    V[c, j] = vn
                    X[c, j] = 0.0 if abs(xn) < flush else xn
        for j in range(n):
            for c in range(r):
                x[t, j, c] = X[c, j]
                v[t, j, c] = V[c, j]
        s[0, t] = s0
        s[1, t] = s1
        s[2, t] = s2
        s[3, t] = s3
        alive[t] = live
        nit[t] += cnt
