"""The overparameterized threshold: bounds of Zhang (2021), δ_soc with its dual derivative, the minimization."""

import numpy as np
import pytest

from spurious.core._errors import InputError
from spurious.landscape._overparam import (
    minimize_delta,
    overparam_bounds,
    overparam_orthogonal_pair,
    soc_value_and_gradient,
)
from spurious.landscape._thresholds import threshold_program


def test_bounds_of_the_abstract():
    for r in range(1, 6):
        suff, cex = overparam_bounds(1, r)
        assert suff == pytest.approx(1 / (1 + 1 / np.sqrt(r))) and cex == pytest.approx(suff)  # r* = 1: they meet
    for rs in (1, 2, 3):
        assert overparam_bounds(rs, rs) == pytest.approx((0.5, 0.5))  # r = r*: zhang2018's 1/2
    suff, cex = overparam_bounds(2, 3)
    assert suff == pytest.approx(1 / (1 + np.sqrt(2 / 3))) and cex == pytest.approx(1 / (1 + 1 / np.sqrt(2)))
    assert suff < cex
    with pytest.raises(InputError):
        overparam_bounds(3, 2)


def _pair(rng, n, r, rs):
    """x mostly orthogonal to z (near the spurious points, where a margin is attainable), plus noise."""
    x = np.zeros((n, r))
    x[rs : rs + r, :] = 0.6 * np.eye(r)
    z = np.zeros((n, rs))
    z[:rs, :] = np.eye(rs)
    x, z = x + 0.1 * rng.standard_normal((n, r)), z + 0.1 * rng.standard_normal((n, rs))
    return x, z / np.linalg.norm(z)


@pytest.mark.parametrize(("rs", "r", "mu"), [(1, 1, 0.0), (1, 2, 0.0), (2, 3, 0.0), (1, 2, 0.02), (2, 2, 0.01)])
def test_value_matches_the_library_program_and_gradient_matches_finite_differences(rs, r, mu):
    rng = np.random.default_rng(10 * rs + r)
    n = r + rs
    x, z = _pair(rng, n, r, rs)
    g = soc_value_and_gradient(x, z, margin=mu)
    assert g.eta == pytest.approx(threshold_program(x, z, margin=mu).eta, abs=1e-7)
    h = 1e-5
    for _ in range(3):
        dx, dz = rng.standard_normal(x.shape), rng.standard_normal(z.shape)
        fd = (
            soc_value_and_gradient(x + h * dx, z + h * dz, margin=mu).eta
            - soc_value_and_gradient(x - h * dx, z - h * dz, margin=mu).eta
        ) / (2 * h)
        an = float(np.sum(g.grad_x * dx) + np.sum(g.grad_z * dz))
        scale = np.sqrt(np.sum(g.grad_x**2) + np.sum(g.grad_z**2)) * np.sqrt(np.sum(dx**2) + np.sum(dz**2))
        assert abs(an - fd) <= 1e-3 * scale + 1e-7


def test_degenerate_pairs_have_delta_one():
    z = np.array([[1.0], [0.0], [0.0]])
    x = np.hstack([z, np.zeros((3, 1))])  # rank-deficient x (and a global minimum)
    g = soc_value_and_gradient(x, z)
    assert g.delta == 1.0 and g.status == "exact" and not np.any(g.grad_x)


def test_minimize_reaches_one_half_at_r_equal_one_and_is_reproducible():
    a = minimize_delta(1, 1, starts=2, maxiter=30, rng=[np.random.default_rng(s) for s in (1, 2)])
    b = minimize_delta(1, 1, starts=2, maxiter=30, rng=[np.random.default_rng(s) for s in (1, 2)])
    assert a.certified and a.delta == pytest.approx(0.5, abs=1e-6)
    assert np.array_equal(a.x, b.x) and a.start_deltas == b.start_deltas
    assert np.linalg.norm(a.z) == pytest.approx(1.0)
    with pytest.raises(InputError):
        minimize_delta(1, 1, starts=2, rng=[np.random.default_rng(0)])


def test_minimize_rank_two_search_rank_one_truth_reaches_sharp_value():
    res = minimize_delta(1, 2, starts=2, maxiter=40, rng=[np.random.default_rng(s) for s in (3, 4)])
    _, sharp = overparam_bounds(1, 2)
    assert res.certified and sharp - 1e-6 <= res.delta <= sharp + 2e-3


@pytest.mark.parametrize(("rs", "r"), [(1, 1), (1, 3), (2, 3), (2, 4), (3, 4)])
def test_orthogonal_construction_attains_the_sufficient_bound(rs, r):
    x, z = overparam_orthogonal_pair(rs, r)
    assert np.allclose(x.T @ z, 0.0) and np.trace(z @ z.T) == pytest.approx(1.0)
    res = threshold_program(x, z)
    assert res.certified and res.delta == pytest.approx(overparam_bounds(rs, r)[0], abs=1e-8)
