"""Losses on matrices: least squares (every scaling), 1-bit logistic, the asymmetric lift."""

import numpy as np
import pytest

from spurious.core._diagnostics import check_gradient, check_hessian
from spurious.core._errors import InputError
from spurious.core._linalg import sym
from spurious.core._losses import SCALINGS, AsymmetricLift, LogisticLoss, QuadraticLoss, scaling_factor
from spurious.core._operators import gaussian, rectangular_gaussian


def test_scaling_factors():
    assert [scaling_factor(s, 8) for s in SCALINGS] == [1.0, 0.5, 1 / 8, 1 / 16]
    with pytest.raises(InputError, match="scaling = 'sum'"):
        scaling_factor("sum", 3)


@pytest.mark.parametrize("scaling", SCALINGS)
def test_quadratic_loss_value_and_derivatives(scaling):
    rng = np.random.default_rng(0)
    op = gaussian(9, 3, rng=rng)
    b = rng.standard_normal(9)
    loss = QuadraticLoss(op, b, scaling)
    M = sym(rng.standard_normal((3, 3)))
    res = op.apply(M) - b
    assert float(loss.value(M)) == pytest.approx(scaling_factor(scaling, 9) * res @ res, rel=1e-13)
    K = sym(rng.standard_normal((3, 3)))  # symmetric directions: the loss lives on S^n
    g = check_gradient(loss.value, loss.gradient, M, u=K)
    assert g.rel_error < 1e-8
    assert g.slope == pytest.approx(2.0, abs=0.05)
    h = check_hessian(loss.gradient, loss.hessian_action, M, u=K, rng=1)
    assert h.rel_error < 1e-8
    np.testing.assert_allclose(loss.hessian_action(M, K), 2 * loss.scale * op.adjoint(op.apply(K)))


def test_quadratic_loss_bad_input():
    op = gaussian(4, 2, rng=0)
    with pytest.raises(InputError, match="b: length 3, expected m = 4"):
        QuadraticLoss(op, np.zeros(3))
    with pytest.raises(InputError, match="b: contains NaN"):
        QuadraticLoss(op, np.array([0.0, np.nan, 0.0, 0.0]))
    with pytest.raises(InputError, match="scaling"):
        QuadraticLoss(op, np.zeros(4), "double")


def test_logistic_loss():
    rng = np.random.default_rng(2)
    Mhat = sym(rng.standard_normal((4, 4)))
    loss = LogisticLoss.from_ground_truth(Mhat)
    np.testing.assert_allclose(loss.y, 1 / (1 + np.exp(-Mhat)), rtol=1e-14)
    np.testing.assert_allclose(loss.gradient(Mhat), 0.0, atol=1e-15)  # y = σ(M̂): minimizer M̂
    M = sym(rng.standard_normal((4, 4)))
    expected = -np.sum(loss.y * M - np.log1p(np.exp(M)))
    assert float(loss.value(M)) == pytest.approx(expected, rel=1e-13)
    assert float(loss.value(M)) > float(loss.value(Mhat))
    g = check_gradient(loss.value, loss.gradient, M, rng=3)
    assert g.rel_error < 1e-8 and g.slope == pytest.approx(2.0, abs=0.05)
    # (a direction along which the third-order term does not vanish by accident, else the slope is 4)
    h = check_hessian(loss.gradient, loss.hessian_action, M, rng=7, fun=loss.value)
    assert h.rel_error < 1e-8 and h.slope == pytest.approx(3.0, abs=0.1)
    assert h.value_slope == pytest.approx(3.0, abs=0.1)
    # no overflow for large entries
    big = np.full((4, 4), 800.0)
    assert np.isfinite(loss.value(big)) and np.all(np.isfinite(loss.gradient(big)))
    with pytest.raises(InputError, match="y"):
        LogisticLoss(np.full((2, 2), 1.5))
    with pytest.raises(InputError, match="y"):
        LogisticLoss(np.array([[0.5, np.nan], [0.5, 0.5]]))


def test_asymmetric_lift_equals_balanced_objective():
    rng = np.random.default_rng(5)
    n1, n2, r, phi = 3, 2, 2, 0.7
    op = rectangular_gaussian(11, (n1, n2), rng=rng)
    fa = QuadraticLoss(op, rng.standard_normal(11), "half")
    F = AsymmetricLift(fa, (n1, n2), phi)
    U, V = rng.standard_normal((n1, r)), rng.standard_normal((n2, r))
    X = np.vstack([U, V])
    B = U.T @ U - V.T @ V
    expected = float(fa.value(U @ V.T)) + phi / 4 * np.sum(B * B)  # bi2021 eq. (5), (7)
    assert float(F.value(X @ X.T)) == pytest.approx(expected, rel=1e-12)
    N = sym(rng.standard_normal((n1 + n2, n1 + n2)))
    K = sym(rng.standard_normal((n1 + n2, n1 + n2)))
    g = check_gradient(F.value, F.gradient, N, u=K)
    assert g.rel_error < 1e-8 and g.slope == pytest.approx(2.0, abs=0.05)
    h = check_hessian(F.gradient, F.hessian_action, N, u=K, rng=6)
    assert h.rel_error < 1e-8
    np.testing.assert_allclose(F.gradient(N), np.swapaxes(F.gradient(N), -1, -2), atol=1e-12)
