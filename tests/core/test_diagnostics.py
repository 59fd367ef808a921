"""Tests of the finite-difference diagnostics themselves (they must detect wrong derivatives)."""

import numpy as np
import pytest

from spurious.core._diagnostics import (
    GradientCheck,
    HessianCheck,
    check_gradient,
    check_hessian,
    check_hessian_matrix,
    taylor_slope,
)
from spurious.core._errors import InputError


def quartic(x):
    return float(np.sum(x**4) + np.sum(x[:-1] * x[1:]))


def quartic_grad(x):
    g = 4 * x**3
    g[:-1] += x[1:]
    g[1:] += x[:-1]
    return g


def quartic_hess(x):
    H = np.diag(12 * x**2)
    i = np.arange(len(x) - 1)
    H[i, i + 1] = H[i + 1, i] = 1.0
    return H


X0 = np.array([0.3, -1.2, 0.7, 2.0])


def test_correct_gradient_slope_two():
    c = check_gradient(quartic, quartic_grad, X0, rng=0)
    assert isinstance(c, GradientCheck)
    assert c.slope == pytest.approx(2.0, abs=0.05)
    assert c.rel_error < 1e-8
    assert c.directional == pytest.approx(c.fd_directional, rel=1e-8)
    assert len(c.t) == len(c.remainder) > 0


def test_wrong_gradient_slope_one():
    c = check_gradient(quartic, lambda x: quartic_grad(x) + 1e-3, X0, rng=0)
    assert c.slope == pytest.approx(1.0, abs=0.1)
    assert c.rel_error > 1e-5


def test_correct_hessian_slope_three():
    u = np.array([1.0, 0.5, -0.25, 2.0])
    h = check_hessian(quartic_grad, lambda x, v: quartic_hess(x) @ v, X0, u=u, fun=quartic, rng=1)
    assert isinstance(h, HessianCheck)
    assert h.slope == pytest.approx(3.0, abs=0.05)
    assert h.value_slope == pytest.approx(3.0, abs=0.05)
    assert h.rel_error < 1e-8
    assert h.symmetry_error < 1e-14
    m = check_hessian_matrix(quartic_grad, quartic_hess, X0, u=u, fun=quartic)
    assert m.slope == pytest.approx(3.0, abs=0.05)
    assert m.rel_error == pytest.approx(h.rel_error, rel=1e-6, abs=1e-14)
    assert m.symmetry_error == 0.0


def test_wrong_hessian_detected():
    E = np.zeros((4, 4))
    E[0, 1] = 1e-2  # a non-symmetric error: invisible to ⟨u, Hu⟩ only if u is special
    bad = lambda x: quartic_hess(x) + E  # noqa: E731
    h = check_hessian_matrix(quartic_grad, bad, X0, rng=3, fun=quartic)
    assert h.slope == pytest.approx(1.0, abs=0.1)
    assert h.rel_error > 1e-5
    assert h.symmetry_error > 1e-4
    h2 = check_hessian(quartic_grad, lambda x, v: bad(x) @ v, X0, rng=3)
    assert h2.symmetry_error > 1e-5
    assert np.isnan(h2.value_slope)


def test_matrix_point_uses_vec_coordinates():
    # f(x) = ½ vec(x)ᵀ P vec(x) for x of shape (3, 2): gradient unvec(P vec x), Hessian P.
    rng = np.random.default_rng(4)
    P = rng.standard_normal((6, 6))
    P = P + P.T
    from spurious.core._linalg import unvec, vec

    fun = lambda x: 0.5 * vec(x) @ P @ vec(x) + np.sum(x**4)  # noqa: E731
    grad = lambda x: unvec(P @ vec(x), 3, 2) + 4 * x**3  # noqa: E731
    hess = lambda x: P + np.diag(vec(12 * x**2))  # noqa: E731
    x = rng.standard_normal((3, 2))
    h = check_hessian_matrix(grad, hess, x, rng=5, fun=fun)
    assert h.rel_error < 1e-8 and h.slope == pytest.approx(3.0, abs=0.05)
    # the transposed (row-stacking) convention is wrong and must be caught
    perm = np.arange(6).reshape(3, 2).T.ravel()
    wrong = lambda x: hess(x)[np.ix_(perm, perm)]  # noqa: E731
    assert check_hessian_matrix(grad, wrong, x, rng=5).rel_error > 1e-3


def test_linear_function_has_no_slope():
    c = check_gradient(lambda x: float(np.sum(x)), lambda x: np.ones_like(x), np.ones(3), rng=0)
    assert np.isnan(c.slope)
    assert c.rel_error < 1e-10


def test_taylor_slope_fits_power_law_and_ignores_noise():
    t = np.logspace(-8, 0, 65)
    noise = 1e-12 * np.random.default_rng(0).random(65)  # round-off-like floor at small t
    r = 3.0 * t**2.5 + noise
    s, k = taylor_slope(t, r)
    assert s == pytest.approx(2.5, abs=0.01)
    s, k = taylor_slope(t, r, noise=np.full(65, 1e-12))
    assert s == pytest.approx(2.5, abs=0.01)
    assert k >= 0
    s, k = taylor_slope(t, np.zeros_like(t))
    assert np.isnan(s) and k == -1


def test_bad_direction():
    with pytest.raises(InputError, match="u"):
        check_gradient(quartic, quartic_grad, X0, u=np.ones(3))
    with pytest.raises(InputError, match="u"):
        check_gradient(quartic, quartic_grad, X0, u=np.zeros(4))
    with pytest.raises(InputError, match="hessian"):
        check_hessian_matrix(quartic_grad, np.eye(3), X0)


def test_results_are_frozen():
    c = check_gradient(quartic, quartic_grad, X0, rng=0)
    with pytest.raises(AttributeError):
        c.slope = 0.0  # type: ignore[misc]
