"""Numba kernels of SGD with momentum and batch size one (imported lazily by :mod:`.sgd`).

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

Matrix-free operators have kernels of their own, one trial per task like :func:`_wide`:
:func:`_rank_one` (``A_i = a_i a_iᵀ`` from the ``(m, n)`` vectors) and :func:`_completion` (two
rows of ``x`` per step); they receive the operator's read-only arrays as views, never copies.

A trial whose residual is not finite at step k stops there (``alive`` becomes False,
``nit`` counts the k updates it made, ``x`` and ``v`` keep their values); the others go on.

Compilation, once per install
-----------------------------
:func:`sgd_momentum` and :func:`sgd_momentum_wide` are plain functions in front of the compiled
kernels. They pass one set of argument types (C-contiguous float64/uint64/bool/int64 arrays,
int64 ``steps``, float64 scalars), so each kernel has exactly one specialization, and they pick a
serial compilation when numba runs one thread (pool workers, the experiments' chunks) and the
``parallel=True`` one otherwise: the serial one compiles in about a third of the time, and both
do the same arithmetic per trial (tested bit for bit). Compiled code is cached on disk
(``cache=True``) in :func:`cache_dir` — ``$NUMBA_CACHE_DIR`` when set, else a user cache directory
that survives reinstalls of the checkout (``~/.cache/spurious/numba`` on Linux), set in
``os.environ`` before numba is imported, here and nowhere else. A compile that actually happens
(not a load from the cache) says "compiling kernels (once per install)…" on stderr, above the
progress bar of a run (:func:`spurious.core._reporting.note`).

While a run collects progress (:func:`spurious.core._reporting.active`), a call is split into
slices of steps of about :data:`SLICE_SECONDS` each, and every slice reports its trial-steps;
slicing changes no bit (the state of every trial is carried exactly from one slice to the next).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def cache_dir() -> Path:
    """Where compiled kernels are cached: ``$NUMBA_CACHE_DIR``, else the user cache directory.

    Returns
    -------
    Path
        ``$NUMBA_CACHE_DIR`` if set; else ``$XDG_CACHE_HOME/spurious/numba`` (default
        ``~/.cache/spurious/numba``) on Linux, ``~/Library/Caches/spurious/numba`` on macOS,
        ``%LOCALAPPDATA%\\spurious\\numba`` on Windows.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / "spurious" / "numba"


def _configure_cache() -> None:
    """Set ``NUMBA_CACHE_DIR`` to :func:`cache_dir` unless the user set it (or it cannot be written)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK):
            return  # numba's own default (next to the sources, or its user-wide fallback) applies
    except OSError:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    if "numba" in sys.modules:  # imported before us: make it read the variable again
        from numba.core import config

        config.reload_config()


_configure_cache()

import types  # noqa: E402

import numpy as np  # noqa: E402
from numba import get_num_threads, njit, prange  # noqa: E402
from numba.core import event  # noqa: E402

from spurious.core import _reporting as _progress  # noqa: E402
from spurious.solvers import _prng  # noqa: E402

#: Trials per block (measured: 16 beats 8 and 32 on this machine, benchmarks/sgd.py).
LANES = 16

#: target seconds of one slice of steps while a run collects progress
SLICE_SECONDS = 0.25

#: what a compile that actually happens says on stderr
COMPILING = "compiling kernels (once per install)…"

_next_u64 = njit(inline="always", cache=True)(_prng.next_u64)
_index = njit(inline="always", cache=True)(_prng.lemire_index)


def _lanes(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit):  # pragma: no cover - compiled
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


def _wide(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit):  # pragma: no cover - compiled
    """Same arguments and results as :func:`_lanes`, one trial per task (for larger ``n``).

    ``A_i x`` is accumulated as ``Σ_q A_i[q, :] x[q, c]`` — contiguous rows of ``A_i``
    (symmetric), vectorizable without reassociation — in the same order ``q = 0, 1, …`` as
    :func:`_lanes`, and ``⟨A_i, xxᵀ⟩`` in the same ``(j, c)`` order, so both kernels give
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


def _rank_one(a, b, x, v, s, steps, lr, beta, coef, flush, alive, nit):  # pragma: no cover - compiled
    """Same arguments and results as :func:`_wide`, for rank-one measurements ``A_i = a_i a_iᵀ``.

    ``a`` is ``(m, n)`` (the vectors; never ``A_i`` itself): ``p = a_iᵀ x`` (``r`` numbers), then
    ``A_i x = a_i pᵀ`` and ``⟨A_i, x xᵀ⟩ = ⟨x, a_i pᵀ⟩``, ``O(n r)`` per step — the arithmetic
    of the numpy step (``RankOneOperator.sampled_apply``), equal to it to rounding.
    """
    T, n, r = x.shape
    m = np.uint64(a.shape[0])
    un = np.uint64(n)
    af = a.ravel()
    for t in prange(T):
        X = np.empty((r, n))
        V = np.empty((r, n))
        P = np.empty(r)
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
            row = i * un  # unsigned offsets: no wrap-around checks
            for c in range(r):
                p = 0.0
                for j in range(n):
                    p += af[row + np.uint64(j)] * X[c, j]
                P[c] = p
            y = 0.0
            for j in range(n):
                aj = af[row + np.uint64(j)]
                for c in range(r):
                    y += X[c, j] * (aj * P[c])
            R = coef * (y - b[i])
            if not np.isfinite(R):
                live = False
                continue
            cnt += 1
            for c in range(r):
                for j in range(n):
                    vn = beta * V[c, j] + R * (af[row + np.uint64(j)] * P[c])
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


def _completion(rows, cols, hw, b, x, v, s, steps, lr, beta, coef, flush, alive, nit):  # pragma: no cover - compiled
    """Same results as :func:`_wide` for completion, ``A_k = (w_k/2)(e_i e_jᵀ + e_j e_iᵀ)`` at ``(rows_k, cols_k)``.

    ``A_k x`` is zero off rows ``i`` and ``j`` (``hw = w/2``): ``(A_k x)_i = hw·x_j``,
    ``(A_k x)_j = hw·x_i`` (both halves on one row when ``i = j``), and ``⟨A_k, x xᵀ⟩`` is their
    inner product with ``x`` — the numpy step (``EntrySamplingOperator.sampled_apply``) to
    rounding. Off the two rows the step is ``v ← βv``; a trial whose ``x`` is not finite stops at
    its next step, as in the dense step (where ``⟨A_k, x xᵀ⟩`` is then not finite).
    """
    T, n, r = x.shape
    m = np.uint64(rows.shape[0])
    for t in prange(T):
        X = np.empty((r, n))
        V = np.empty((r, n))
        axi = np.empty(r)
        axj = np.empty(r)
        bad = False
        for j in range(n):
            for c in range(r):
                X[c, j] = x[t, j, c]
                V[c, j] = v[t, j, c]
                bad = bad or not np.isfinite(X[c, j])
        s0, s1, s2, s3 = s[0, t], s[1, t], s[2, t], s[3, t]
        live = alive[t]
        cnt = 0
        for _k in range(steps):
            u, s0, s1, s2, s3 = _next_u64(s0, s1, s2, s3)
            k = _index(u, m)
            if not live:
                continue
            if bad:
                live = False
                continue
            ri, ci, h = rows[k], cols[k], hw[k]
            y = 0.0
            for c in range(r):
                if ri == ci:
                    axi[c] = h * X[c, ri] + h * X[c, ri]
                    axj[c] = 0.0
                    y += X[c, ri] * axi[c]
                else:
                    axi[c] = h * X[c, ci]
                    axj[c] = h * X[c, ri]
                    y += X[c, ri] * axi[c] + X[c, ci] * axj[c]
            R = coef * (y - b[k])
            if not np.isfinite(R):
                live = False
                continue
            cnt += 1
            for c in range(r):
                for j in range(n):
                    g = R * axi[c] if j == ri else (R * axj[c] if j == ci else 0.0)
                    vn = beta * V[c, j] + g
                    vn = 0.0 if abs(vn) < flush else vn
                    xn = X[c, j] - lr * vn
                    V[c, j] = vn
                    X[c, j] = 0.0 if abs(xn) < flush else xn
                bad = bad or not (np.isfinite(X[c, ri]) and np.isfinite(X[c, ci]))
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


# ----------------------------------------------------------------------------- compiled kernels

_JIT = {"fastmath": False, "cache": True, "nogil": True}


def _twin(func, name: str):
    """A copy of ``func`` under another name: numba keys its cache files by the function's name, so
    the serial and the parallel compilations of one source need two names (else they share one index)."""
    twin = types.FunctionType(func.__code__, func.__globals__, name, func.__defaults__, func.__closure__)
    twin.__qualname__ = name
    twin.__doc__ = func.__doc__
    return twin


#: ``(kind, parallel) -> dispatcher``; compiled lazily, on the first call of each
KERNELS = {
    ("lanes", True): njit(parallel=True, **_JIT)(_lanes),
    ("lanes", False): njit(parallel=False, **_JIT)(_twin(_lanes, "_lanes_serial")),
    ("wide", True): njit(parallel=True, **_JIT)(_wide),
    ("wide", False): njit(parallel=False, **_JIT)(_twin(_wide, "_wide_serial")),
    ("rank-one", True): njit(parallel=True, **_JIT)(_rank_one),
    ("rank-one", False): njit(parallel=False, **_JIT)(_twin(_rank_one, "_rank_one_serial")),
    ("completion", True): njit(parallel=True, **_JIT)(_completion),
    ("completion", False): njit(parallel=False, **_JIT)(_twin(_completion, "_completion_serial")),
}

_announced = False


class _CompileNotice(event.Listener):
    """Says :data:`COMPILING` once per process when numba starts an actual compile (not a cache load)."""

    def on_start(self, event) -> None:
        global _announced
        if not _announced:
            _announced = True
            _progress.note(COMPILING)

    def on_end(self, event) -> None:
        pass


def _c(a: np.ndarray, dtype) -> np.ndarray:
    """``a`` itself when it has the kernels' layout (C-contiguous, writeable, ``dtype``), else a copy."""
    if a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable:
        return a
    return np.array(a, dtype=dtype, order="C")


def _readonly(a: np.ndarray, dtype=np.float64) -> np.ndarray:
    """A read-only C-contiguous view of ``a`` as ``dtype`` (a copy only if the layout or dtype differ)."""
    a = np.ascontiguousarray(a, dtype=dtype).view()
    a.setflags(write=False)
    return a


def _advance(kind, data, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    """Run kernel ``kind`` on the operator arrays ``data`` (a tuple: ``(A,)``, ``(a,)`` or ``(rows, cols, hw)``)."""
    kernel = KERNELS[kind, get_num_threads() > 1]
    if kind in ("lanes", "wide"):
        data = (_c(data[0], np.float64),)
    else:  # an operator's own read-only arrays (hundreds of MB at large n): viewed, never copied
        data = tuple(_readonly(d, np.int64 if d.dtype.kind in "iu" else np.float64) for d in data)
    b = _c(b, np.float64)
    outs = (x, v, s, alive, nit)
    work = [_c(a, d) for a, d in zip(outs, (np.float64, np.float64, np.uint64, np.bool_, np.int64), strict=True)]
    steps, lr, beta, coef, flush = int(steps), float(lr), float(beta), float(coef), float(flush)
    T = work[0].shape[0]

    def call(k: int) -> None:
        if kernel.signatures:
            kernel(*data, b, work[0], work[1], work[2], k, lr, beta, coef, flush, work[3], work[4])
            return
        with event.install_listener("numba:compile", _CompileNotice()):
            kernel(*data, b, work[0], work[1], work[2], k, lr, beta, coef, flush, work[3], work[4])

    if not _progress.active() or steps == 0:
        call(steps)
    else:
        done, k = 0, max(1, min(steps, (1 << 16) // max(T, 1)))
        while done < steps:
            k = min(k, steps - done)
            t0 = time.perf_counter()
            call(k)
            dt = time.perf_counter() - t0
            done += k
            _progress.report(float(done) * T, float(steps) * T)
            k = max(1, min(int(k * SLICE_SECONDS / max(dt, 1e-6)), 4 * k))  # aim at SLICE_SECONDS
    for a, w in zip(outs, work, strict=True):
        if a is not w:
            a[...] = w


def sgd_momentum(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    """Advance all trials by ``steps`` steps, in place (the lane-blocked kernel).

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

    Notes
    -----
    Runs the serial compilation when numba runs one thread, the parallel one otherwise (same
    bits); arrays of another layout or dtype are copied in and out.
    """
    _advance("lanes", (A,), b, x, v, s, steps, lr, beta, coef, flush, alive, nit)


def sgd_momentum_wide(A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    """Same arguments and results as :func:`sgd_momentum`, one trial per task (for larger ``n``).

    Parameters
    ----------
    A, b, x, v, s, steps, lr, beta, coef, flush, alive, nit
        As for :func:`sgd_momentum`.
    """
    _advance("wide", (A,), b, x, v, s, steps, lr, beta, coef, flush, alive, nit)


def sgd_momentum_rank_one(a, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    """Same as :func:`sgd_momentum_wide` for rank-one measurements ``A_i = a_i a_iᵀ`` given by ``a``.

    Parameters
    ----------
    a : (m, n) float64
        The measurement vectors (:class:`~spurious.operators.RankOneOperator`'s ``a``).
    b, x, v, s, steps, lr, beta, coef, flush, alive, nit
        As for :func:`sgd_momentum`.
    """
    _advance("rank-one", (a,), b, x, v, s, steps, lr, beta, coef, flush, alive, nit)


def sgd_momentum_completion(rows, cols, hw, b, x, v, s, steps, lr, beta, coef, flush, alive, nit) -> None:
    """Same as :func:`sgd_momentum_wide` for completion measurements given by their index pairs.

    Parameters
    ----------
    rows, cols : (m,) int64
        The observed pairs ``i ≤ j`` (:class:`~spurious.operators.EntrySamplingOperator`'s ``rows``, ``cols``).
    hw : (m,) float64
        Half the weights, ``w_k / 2`` (``√2/2`` off the diagonal, ``½`` on it).
    b, x, v, s, steps, lr, beta, coef, flush, alive, nit
        As for :func:`sgd_momentum`.
    """
    _advance("completion", (rows, cols, hw), b, x, v, s, steps, lr, beta, coef, flush, alive, nit)
