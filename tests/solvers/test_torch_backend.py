"""Torch backend of SGD (spurious.solvers.torch_backend): same random numbers, same results as numpy."""

import numpy as np
import pytest

pytest.importorskip("torch")

from spurious.core._errors import InputError
from spurious.core._examples import get_example
from spurious.core._operators import gaussian as gaussian_operator
from spurious.core._problems import least_squares
from spurious.solvers._sgd import sgd

KW = dict(steps=300, lr=1e-3, momentum=0.9, seed=3)


@pytest.fixture(scope="module")
def problems():
    ex3 = get_example("zhang2018-example3").instance.problem()
    op = gaussian_operator(15, 5, rng=1)
    small = least_squares(op, np.random.default_rng(2).standard_normal((5, 2)))
    return ex3, small


@pytest.mark.parametrize("grad", ["term", "unbiased", "half"])
def test_float64_cpu_equals_numpy(problems, grad):
    for p, base in zip(problems, (1e-3, 3e-4), strict=True):  # stable step sizes for each problem
        lr = base / 15 if grad == "unbiased" else base
        a = sgd(p, trials=40, backend="numpy", grad=grad, **(KW | dict(lr=lr)))
        b = sgd(p, trials=40, backend="torch", grad=grad, device="cpu", workers=1, **(KW | dict(lr=lr)))
        np.testing.assert_allclose(b.x, a.x, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(b.nit, a.nit)
        assert b.options["backend"] == "torch" and b.options["device"] == "cpu"


def test_flush_to_zero_like_numpy(problems):
    ex3, _ = problems
    kw = KW | dict(x0=np.array([[1e-88], [0.7]]), steps=3000, flush_below=1e-90)
    a = sgd(ex3, trials=8, backend="numpy", **kw)
    b = sgd(ex3, trials=8, backend="torch", **kw)
    assert np.any(a.x[:, 0, 0] == 0) and np.array_equal(a.x == 0, b.x == 0)
    np.testing.assert_allclose(b.x, a.x, rtol=1e-12, atol=1e-12)


def test_chunks_of_steps_and_trajectories(problems, monkeypatch):
    """Indices move to the device in chunks of steps; the chunk size does not change the result."""
    from spurious.solvers import _torch_backend as torch_backend

    ex3, _ = problems
    ref = sgd(ex3, trials=30, backend="numba", record_every=100, **KW)
    monkeypatch.setattr(torch_backend, "MAX_CHUNK_INDICES", 30 * 7)  # 7 steps per chunk
    res = sgd(ex3, trials=30, backend="torch", record_every=100, **KW)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(res.trajectory.iterations, ref.trajectory.iterations)
    np.testing.assert_allclose(res.trajectory.distance, ref.trajectory.distance, rtol=1e-10, atol=1e-12)


def test_float32_follows_float64(problems):
    ex3, _ = problems
    a = sgd(ex3, trials=200, backend="numpy", **KW)
    b = sgd(ex3, trials=200, backend="torch", dtype="float32", **KW)
    assert b.x.dtype == np.float64 and b.options["dtype"] == "float32"
    np.testing.assert_allclose(b.x, a.x, rtol=1e-3, atol=1e-4)


def test_divergence_is_frozen_like_numpy(problems):
    _, small = problems
    x0 = 0.3 * np.random.default_rng(0).standard_normal((5, 5, 2))
    x0[2] *= 1e3
    kw = dict(steps=100, lr=1e-3, momentum=0.5, seed=1, x0=x0)
    a = sgd(small, trials=5, backend="numpy", **kw)
    b = sgd(small, trials=5, backend="torch", **kw)
    np.testing.assert_array_equal(b.status, a.status)
    np.testing.assert_array_equal(b.nit, a.nit)
    assert list(np.flatnonzero(b.diverged)) == [2]
    ok = ~a.diverged
    np.testing.assert_allclose(b.x[ok], a.x[ok], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", ["tpu", "not-a-device"])
def test_bad_device(problems, device):
    with pytest.raises(InputError, match="device"):
        sgd(problems[0], trials=2, backend="torch", device=device, **KW)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cuda_matches_numpy(problems, dtype):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    ex3, small = problems
    for p, lr in ((ex3, 1e-3), (small, 3e-4)):
        a = sgd(p, trials=64, backend="numpy", **(KW | dict(lr=lr)))
        b = sgd(p, trials=64, backend="torch", device="cuda", dtype=dtype, **(KW | dict(lr=lr)))
        tol = 1e-12 if dtype == "float64" else 1e-3
        np.testing.assert_allclose(b.x, a.x, rtol=tol, atol=tol)
        assert b.options["device"].startswith("cuda")
