import numpy as np
import pytest

from spurious.core import _operators as operators
from spurious.core import _problems as problems
from spurious.core._errors import InputError
from spurious.core._rng import trial_stream
from spurious.solvers import _init as init
from spurious.solvers import _projected as projected
from spurious.solvers._projected import paper_grad_scale, projected_sgd


@pytest.fixture(scope="module")
def setting():
    rng = np.random.default_rng(5)
    op = operators.gaussian(30, 5, rng=rng)
    z = rng.standard_normal((5, 2))
    return op, z


def _paper_loop(A, y, U, steps, lr, b, stream):
    """bhojanapalli2016 eq. (4) written out with the measurement matrices A_i."""
    U = U.copy()
    for _ in range(steps):
        res = np.einsum("kij,ij->k", A, U @ U.T) - y
        g = np.einsum("k,kij,jl->il", res, A, U)
        psi = stream.standard_normal(U.shape)
        U = U - lr * (g + psi / np.linalg.norm(psi))
        nrm = np.linalg.norm(U)
        if nrm > b:
            U *= b / nrm
    return U


@pytest.mark.parametrize("scaling", ["plain", "half", "mean"])
def test_is_the_papers_update_whatever_the_objective_scaling(setting, scaling):
    op, z = setting
    p = problems.least_squares(op, z, scaling=scaling)
    assert paper_grad_scale(p) == pytest.approx(0.25 / {"plain": 1, "half": 0.5, "mean": 1 / 30}[scaling])
    x0 = init.uniform_sphere(5, 2, 2, radius=3.0, seed=1)
    res = projected_sgd(p, x0=x0, steps=60, lr=2e-3, radius_b=3.0, seed=9)
    for t in range(2):
        ref = _paper_loop(op.matrices(), p.loss.b, x0[t], 60, 2e-3, 3.0, trial_stream(9, t, 0))
        np.testing.assert_allclose(res.x[t], ref, rtol=1e-11, atol=1e-13)
    assert res.options["grad_scale"] == paper_grad_scale(p)


def test_projection_and_noise_off(setting):
    op, z = setting
    p = problems.least_squares(op, z)
    x0 = init.gaussian(5, 2, 4, seed=2, scale=3.0)
    res = projected_sgd(p, x0=x0, steps=50, lr=1e-3, radius_b=1.0, seed=0, record_every=1)
    assert np.all(np.sqrt(np.sum(res.x**2, axis=(1, 2))) <= 1.0 + 1e-12)
    # noise = 0 and a large ball: plain GD on the paper's objective ¼‖A(UUᵀ) − y‖²
    gd_like = projected_sgd(p, x0=x0, steps=50, lr=1e-4, radius_b=1e6, seed=0, noise=0.0)
    assert not gd_like.diverged.any()
    x = x0.copy()
    for _ in range(50):
        x = x - 1e-4 * p.gradient(x) / 4
    np.testing.assert_allclose(gd_like.x, x, rtol=1e-12)


def test_converges_from_the_sphere_of_thm_3_3(setting):
    op, z = setting
    p = problems.least_squares(op, z, scaling="mean")
    b = 1.5 * np.linalg.norm(z)
    x0 = init.uniform_sphere(5, 2, 5, radius=b, seed=3)
    res = projected_sgd(p, x0=x0, steps=3000, lr=0.02 / paper_grad_scale(p), radius_b=b, seed=4, noise=1e-3)
    assert np.all(res.distance < 1e-2 * np.linalg.norm(z) ** 2)
    assert not res.diverged.any()


def test_noise_streams_do_not_depend_on_batch_or_buffer(setting, monkeypatch):
    op, z = setting
    p = problems.least_squares(op, z, scaling="mean")
    x0 = init.gaussian(5, 2, 7, seed=6)
    kw = dict(steps=100, lr=0.05, radius_b=10.0, seed=12, cell=2)
    full = projected_sgd(p, x0=x0, **kw)
    monkeypatch.setattr(projected, "_NOISE_BUFFER_ENTRIES", 7 * 5 * 2 * 3)  # blocks of 3 steps
    small = projected_sgd(p, x0=x0, **kw)
    np.testing.assert_allclose(small.x, full.x, rtol=1e-12, atol=1e-14)
    one = projected_sgd(p, x0=x0[4:5], first_trial=4, **kw)
    np.testing.assert_allclose(one.x[0], full.x[4], rtol=1e-12, atol=1e-14)
    assert not np.allclose(projected_sgd(p, x0=x0, **{**kw, "seed": 13}).x, full.x)


def test_bad_input(setting):
    op, z = setting
    p = problems.least_squares(op, z)
    x0 = init.gaussian(5, 2, 1, seed=0)
    with pytest.raises(InputError, match="radius_b"):
        projected_sgd(p, x0=x0, steps=1, lr=0.1, radius_b=0.0, seed=0)
    with pytest.raises(InputError, match="noise"):
        projected_sgd(p, x0=x0, steps=1, lr=0.1, radius_b=1.0, seed=0, noise=-1.0)
