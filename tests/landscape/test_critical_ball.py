"""The Newton–Kantorovich ball: its third-derivative bound holds, and it certifies only what it proves."""

from __future__ import annotations

import numpy as np
import pytest

import spurious as sp
from spurious.core._linalg import outer
from spurious.core._operators import gaussian
from spurious.core._problems import least_squares
from spurious.landscape._critical_ball import critical_ball, operator_norm_squared


def _problem(seed, n=4, r=2, m=30, scaling="plain"):
    rng = np.random.default_rng(seed)
    op = gaussian(m, n, rng=rng)
    z = rng.standard_normal((n, r))
    return least_squares(op, z, scaling=scaling), rng


@pytest.mark.parametrize("seed", range(5))
def test_third_derivative_formula(seed):
    """D³g(x)[u,u,u] = 12 s ⟨A(xuᵀ + uxᵀ), A(uuᵀ)⟩, against a third difference of g."""
    prob, rng = _problem(seed, scaling="half")
    x, u = rng.standard_normal((2, prob.n, prob.r))
    op, s = prob.loss.operator, prob.loss.scale
    exact = 12 * s * op.apply(x @ u.T + u @ x.T) @ op.apply(u @ u.T)
    h = 1e-2
    g = [float(prob.value(x + k * h * u)) for k in (-2, -1, 1, 2)]
    fd = (g[3] - 2 * g[2] + 2 * g[1] - g[0]) / (2 * h**3)  # exact for a quartic up to the h² term of D⁵ = 0
    assert fd == pytest.approx(exact, rel=1e-6, abs=1e-8)


def _assert_lipschitz(prob, x, rho, L, rng):
    """‖∇²g(x + d) − ∇²g(x)‖₂ ≤ L‖d‖ at 20 random d in the ball of radius ρ."""
    H0 = prob.hessian(x)
    for _ in range(20):
        d = rng.standard_normal(x.shape)
        d *= rng.uniform(0, rho) / np.linalg.norm(d)
        assert np.linalg.norm(prob.hessian(x + d) - H0, 2) <= L * np.linalg.norm(d) * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_hessian_lipschitz_bound_holds(seed):
    prob, rng = _problem(seed)
    x = rng.standard_normal((prob.n, prob.r))
    rho = 0.5
    ball = critical_ball(prob, x, grad_norm=rho * 0.5, lam_min=1.0)  # ρ = 2ε/λ = 0.5
    assert ball.radius == pytest.approx(rho)
    _assert_lipschitz(prob, x, rho, ball.lipschitz, rng)


def test_beta_bound_is_an_upper_bound():
    prob, _ = _problem(0)
    A = prob.loss.operator.matrix
    beta, how = operator_norm_squared(A)
    assert how == "exact" and beta >= np.linalg.eigvalsh(A.T @ A)[-1]


def test_near_a_strict_minimum_the_ball_holds_and_contains_it():
    prob, rng = _problem(3, r=1, m=40)
    z = prob.m_star
    x_star = np.linalg.eigh(z)[1][:, -1:] * np.sqrt(np.linalg.eigvalsh(z)[-1])
    x0 = x_star + 1e-7 * rng.standard_normal(x_star.shape)
    eps = float(np.linalg.norm(prob.gradient(x0)))
    lam = float(np.linalg.eigvalsh(prob.hessian(x0))[0])
    ball = critical_ball(prob, x0, eps, lam)
    assert ball.holds and np.linalg.norm(outer(x0) - z) > 0
    assert min(np.linalg.norm(x0 - x_star), np.linalg.norm(x0 + x_star)) <= ball.radius


def test_large_gradient_for_its_curvature_is_undecided():
    """The issue's case: ‖∇f‖ ≈ 1.4e-6 with λ_min ≈ 2.4e-3 proves nothing for an operator of norm ≈ 1."""
    prob, rng = _problem(1)
    x = rng.standard_normal((prob.n, prob.r))
    ball = critical_ball(prob, x, 1.39e-6, 2.4e-3)
    assert not ball.holds and ">" in ball.reason
    assert not critical_ball(prob, x, 0.0, -1e-3).holds
    assert critical_ball(prob, x, 0.0, 1e-3).holds


def _one_bit(seed):
    from spurious.core._problems import one_bit

    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((5, 2))
    return one_bit(Z @ Z.T, 2), rng


def _lifted(seed):
    from spurious.core._operators import rectangular_gaussian
    from spurious.core._problems import asymmetric_least_squares

    rng = np.random.default_rng(seed)
    op = rectangular_gaussian(30, (3, 4), rng=rng)
    M = rng.standard_normal((3, 2)) @ rng.standard_normal((2, 4))
    return asymmetric_least_squares(op, M, 2, phi=0.5).lifted(), rng


@pytest.mark.parametrize("make", [_one_bit, _lifted], ids=["one-bit", "asymmetric-lift"])
@pytest.mark.parametrize("seed", range(4))
def test_hessian_lipschitz_bound_holds_for_other_losses(make, seed):
    """L = 8c₃R³ + 12c₂R bounds the variation of the Hessian on the ball for the 1-bit loss and the lift."""
    prob, rng = make(seed)
    x = rng.standard_normal((prob.n, prob.r))
    rho = 0.5
    ball = critical_ball(prob, x, grad_norm=rho * 0.5, lam_min=1.0)
    assert np.isfinite(ball.lipschitz)
    _assert_lipschitz(prob, x, rho, ball.lipschitz, rng)


@pytest.mark.parametrize("kind", ["rank-one", "completion"])
def test_matrix_free_restricted_norm_bounds_hold(kind):
    """The rank-k bound on ‖A(X)‖²/‖X‖_F² is above every ratio (random and adversarial X) and below Frobenius."""
    from spurious.core import _matrix_free as mf
    from spurious.landscape._rip import rip_bounds

    op = mf.quadratic_sensing(300, 12, rng=0) if kind == "rank-one" else mf.entry_sampling(12, 0.5, rng=0)
    for k in (1, 2, 4):
        beta, how = op.restricted_norm_sq_bound(k)
        seen = rip_bounds(op, k, samples=300, starts=2, maxiter=100, rng=k)
        assert seen.beta <= beta <= op.frobenius_norm_sq()
        assert ("rank-k" in how) if kind == "rank-one" else beta == 1.0
    dense_top = float(np.linalg.eigvalsh(op.to_dense().kernel())[-1])
    assert dense_top <= op.restricted_norm_sq_bound(op.n)[0] * (1 + 1e-12)  # full rank: above λ_max(AᵀA) too


def test_matrix_free_ball_proves_a_rank_one_gd_endpoint():
    """With the rank-2r bound the ball proves a local minimum the Frobenius bound could not (issue #12's n = 5,000
    endpoint, at a moderate size)."""
    from spurious.core._instances import make_instance
    from spurious.core._problems import least_squares

    inst = make_instance("rank-one", 60, 2, m=720, seed=0)
    prob = least_squares(inst.operator, inst.z)
    x = inst.z + 1e-7 * np.random.default_rng(0).standard_normal(inst.z.shape)
    cert = sp.certify(prob, x, rng=0)
    assert cert.local_min is True and cert.ball.holds and "rank-k bound" in cert.ball.reason
    frob = float(inst.operator.frobenius_norm_sq())
    assert cert.ball.lipschitz < 0.1 * 24.0 * prob.loss.scale * frob * (np.linalg.norm(x) + cert.ball.radius)
