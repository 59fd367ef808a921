"""The SGD kernels' compilation: one cache directory, a notice only when compiling, same bits serial/parallel/sliced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from spurious.core import _reporting as _progress
from spurious.solvers import _sgd_kernels as K


def _batch(n, r, T=37, m=7, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n, n))
    A = A + A.transpose(0, 2, 1)
    b = rng.standard_normal(m)
    x = 0.3 * rng.standard_normal((T, n, r))
    s = rng.integers(1, 2**63, size=(4, T), dtype=np.uint64)
    return A, b, x, s


@pytest.mark.parametrize("kernel, n", [(K.sgd_momentum, 3), (K.sgd_momentum_wide, 5)])
def test_serial_parallel_and_sliced_give_the_same_bits(kernel, n, monkeypatch):
    A, b, x0, s0 = _batch(n, 2)
    got = {}
    for mode in ("serial", "parallel", "sliced"):
        x, v, s = x0.copy(), np.zeros_like(x0), s0.copy()
        alive, nit = np.ones(len(x), bool), np.zeros(len(x), np.int64)
        old = numba.get_num_threads()
        numba.set_num_threads(2 if mode == "parallel" and numba.config.NUMBA_NUM_THREADS > 1 else 1)
        messages = []
        if mode == "sliced":  # a run collecting progress: slices of a few steps, each reported
            monkeypatch.setattr(K, "SLICE_SECONDS", 1e-5)
            monkeypatch.setattr(_progress, "REPORT_EVERY", 0.0)
            _progress.install(messages.append)
            _progress.begin_chunk(0)
        try:
            kernel(A, b, x, v, s, 3000, 1e-3, 0.9, 4.0, 1e-90, alive, nit)
        finally:
            numba.set_num_threads(old)
            _progress.end_chunk()
            _progress.install(None)
        if mode == "sliced":
            work = [m for m in messages if m[0] == "work"]
            assert len(work) > 2 and work[-1] == ("work", 0, 3000.0 * 37, 3000.0 * 37)
        got[mode] = (x, v, s, alive, nit)
    for mode in ("parallel", "sliced"):
        for a, c in zip(got["serial"], got[mode], strict=True):
            assert np.array_equal(a, c)


def test_non_contiguous_arrays_are_updated_in_place():
    A, b, x0, s0 = _batch(3, 2)
    x = np.asfortranarray(x0)
    v = np.zeros_like(x)
    s, alive, nit = s0.copy(), np.ones(len(x), bool), np.zeros(len(x), np.int64)
    xc, vc, sc, ac, nc = x0.copy(), np.zeros_like(x0), s0.copy(), alive.copy(), nit.copy()
    K.sgd_momentum(A, b, x, v, s, 200, 1e-3, 0.9, 4.0, 0.0, alive, nit)
    K.sgd_momentum(A, b, xc, vc, sc, 200, 1e-3, 0.9, 4.0, 0.0, ac, nc)
    assert np.array_equal(x, xc) and np.array_equal(s, sc) and np.array_equal(nit, nc)


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert K.cache_dir() == tmp_path / "mine"  # the user's choice wins
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert K.cache_dir() == tmp_path / "xdg" / "spurious" / "numba"
    assert K.cache_dir().parts[-2:] == ("spurious", "numba")


SCRIPT = """
import numpy as np
from spurious.solvers import _sgd_kernels as K
A = np.eye(2)[None].repeat(3, 0); b = np.ones(3)
x = np.ones((2, 2, 1)); v = np.zeros_like(x); s = np.ones((4, 2), np.uint64)
K.sgd_momentum(A, b, x, v, s, 5, 1e-3, 0.9, 4.0, 0.0, np.ones(2, bool), np.zeros(2, np.int64))
import os; print(os.environ["NUMBA_CACHE_DIR"])
"""


def test_compile_is_said_once_and_cached_in_the_user_cache_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path), NUMBA_NUM_THREADS="1", HOME=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr + runs[1].stderr
    where = Path(runs[0].stdout.strip())
    if sys.platform.startswith("linux"):
        assert where == tmp_path / "spurious" / "numba"
    assert any(where.rglob("*.nbi"))  # the compiled kernel is on disk
    assert runs[0].stderr.count(K.COMPILING) == 1  # the first process compiles, and says so
    assert K.COMPILING not in runs[1].stderr  # the second loads it from the cache, silently
