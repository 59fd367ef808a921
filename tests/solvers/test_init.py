import numpy as np
import pytest

from spurious.core import _operators as operators
from spurious.core import _problems as problems
from spurious.core._errors import InputError
from spurious.core._linalg import outer, svec_dim
from spurious.core._operators import RectangularOperator
from spurious.core._rng import trial_stream
from spurious.solvers import _init as init


def test_gaussian_batch_equals_single_draws_bit_for_bit():
    big = init.gaussian(5, 2, 1000, seed=42, cell=3)
    assert big.shape == (1000, 5, 2)
    for t in (0, 1, 517, 999):
        np.testing.assert_array_equal(big[t], init.gaussian(5, 2, 1, seed=42, cell=3, first_trial=t)[0])
        np.testing.assert_array_equal(big[t], trial_stream(42, t, 3).standard_normal((5, 2)))
    np.testing.assert_array_equal(init.gaussian(5, 2, 7, seed=42, cell=3), big[:7])
    assert not np.array_equal(init.gaussian(5, 2, 1, seed=42, cell=4)[0], big[0])
    np.testing.assert_array_equal(init.gaussian(5, 2, 3, seed=1, scale=0.5), 0.5 * init.gaussian(5, 2, 3, seed=1))


def test_uniform_sphere():
    x = init.uniform_sphere(6, 3, 500, radius=2.5, seed=1)
    np.testing.assert_allclose(np.sqrt(np.sum(x * x, axis=(1, 2))), 2.5, rtol=1e-14)
    # uniform on the sphere: the mean is near 0 and the second moment is isotropic (radius²/(nr))
    assert np.abs(x.mean(axis=0)).max() < 0.15
    np.testing.assert_allclose((x * x).mean(axis=0), 2.5**2 / 18, rtol=0.3)
    np.testing.assert_array_equal(x[3], init.uniform_sphere(6, 3, 1, radius=2.5, seed=1, first_trial=3)[0])


def test_mix_endpoints_and_broadcast():
    w = init.gaussian(3, 1, 4, seed=0)
    x_loc = np.array([[0.0], [1.0], [0.5]])
    np.testing.assert_array_equal(init.mix(0.0, w, x_loc), np.broadcast_to(x_loc, w.shape))
    np.testing.assert_array_equal(init.mix(1.0, w, x_loc), w)
    np.testing.assert_allclose(init.mix(0.25, w, x_loc), 0.25 * w + 0.75 * x_loc)
    g = np.array([0.0, 0.5, 1.0, 2.0])[:, None, None]
    np.testing.assert_allclose(init.mix(g, w, x_loc)[1], 0.5 * (w[1] + x_loc))
    with pytest.raises(InputError, match="x_loc"):
        init.mix(0.5, w, np.zeros((2, 1)))


def test_spectral_is_exact_for_an_isometric_operator():
    rng = np.random.default_rng(0)
    n, r = 5, 2
    z = rng.standard_normal((n, r))
    op = operators.from_kernel(np.eye(svec_dim(n)))  # A*(A(M)) = M
    p = problems.least_squares(op, z, scaling="half")
    x = init.spectral(p, trials=3)
    assert x.shape == (3, n, r)
    np.testing.assert_allclose(outer(x[0]), outer(z), atol=1e-12)
    np.testing.assert_array_equal(x[1], x[0])


@pytest.mark.parametrize("ensemble", ["gaussian", "symmetric_gaussian"])
@pytest.mark.parametrize("scaling", ["plain", "mean"])
def test_spectral_estimates_m_star_for_gaussian_ensembles(ensemble, scaling):
    # A*(b)/c with c = ‖A‖_F²/N: c ≈ m for i.i.d. N(0,1) entries, ≈ 2m for GOE; scaling-free
    rng = np.random.default_rng(1)
    n = 8
    z = rng.standard_normal((n, 1))
    op = getattr(operators, ensemble)(3000, n, rng=rng)
    p = problems.least_squares(op, z, scaling=scaling)
    x = init.spectral(p)[0]
    rel = np.linalg.norm(outer(x) - outer(z)) / np.linalg.norm(outer(z))
    assert rel < 0.15
    c = np.sum(op.matrix**2) / op.N
    assert abs(c / op.m - (1.0 if ensemble == "gaussian" else 2.0)) < 0.05


def test_spectral_asymmetric_is_exact_for_an_isometric_operator():
    rng = np.random.default_rng(2)
    U, V = rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    op = RectangularOperator(np.eye(12), (4, 3))
    p = problems.asymmetric_least_squares(op, U @ V.T, 2)
    x = init.spectral(p)[0]
    assert x.shape == (7, 2)
    np.testing.assert_allclose(x[:4] @ x[4:].T, U @ V.T, atol=1e-12)
    np.testing.assert_allclose(x[:4].T @ x[:4], x[4:].T @ x[4:], atol=1e-12)  # balanced
    assert p.distance(x) < 1e-12


def test_spectral_needs_least_squares():
    with pytest.raises(InputError, match="least-squares"):
        init.spectral(problems.one_bit(np.eye(3), 1))


def test_bad_input():
    with pytest.raises(InputError, match="trials"):
        init.gaussian(3, 1, 0, seed=0)
    with pytest.raises(InputError, match="r ="):
        init.gaussian(3, 4, 1, seed=0)
    with pytest.raises(InputError, match="radius"):
        init.uniform_sphere(3, 1, 1, radius=-1.0, seed=0)
