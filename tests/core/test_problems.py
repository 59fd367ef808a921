"""Burer–Monteiro problems: finite-difference checks of every problem kind, invariances,
batching, and zhang2018 Example 3."""

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spurious.core._diagnostics import check_gradient, check_hessian, check_hessian_matrix
from spurious.core._errors import InputError
from spurious.core._linalg import unvec, vec
from spurious.core._losses import SCALINGS, LogisticLoss, scaling_factor
from spurious.core._operators import from_matrices, gaussian, rectangular_gaussian, symmetric_gaussian
from spurious.core._problems import (
    AsymmetricProblem,
    SymmetricProblem,
    asymmetric_least_squares,
    least_squares,
    one_bit,
)


def _ls(seed, n=4, r=2, **kw):
    rng = np.random.default_rng(seed)
    op = gaussian(3 * n * r + 2, n, rng=rng)
    return least_squares(op, rng.standard_normal((n, r)), rng=rng, **kw)


def _one_bit(seed, n=4, r=2):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, r))
    p = one_bit(z @ z.T, r)
    return p


def _asym(seed, n1=3, n2=4, r=2):
    rng = np.random.default_rng(seed)
    op = rectangular_gaussian(3 * (n1 + n2) * r, (n1, n2), rng=rng)
    M = rng.standard_normal((n1, r)) @ rng.standard_normal((r, n2))
    return asymmetric_least_squares(op, M, r, phi=0.3)


def _asym_one_bit(seed, n1=3, n2=4, r=2):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n1, r)) @ rng.standard_normal((r, n2))
    return AsymmetricProblem(LogisticLoss.from_ground_truth(M), M, r, phi=0.5)


KINDS = {
    "ls-noiseless": lambda s: _ls(s),
    "ls-rank1": lambda s: _ls(s, n=5, r=1),
    "ls-noisy": lambda s: _ls(s, noise_std=0.3),
    **{f"ls-{sc}": functools.partial(_ls, noise_std=0.1, scaling=sc) for sc in SCALINGS},
    "one-bit": _one_bit,
    "asymmetric-direct": _asym,
    "asymmetric-lifted": lambda s: _asym(s).lifted(),
    "asymmetric-one-bit-direct": _asym_one_bit,
    "asymmetric-one-bit-lifted": lambda s: _asym_one_bit(s).lifted(),
    "ls-large": lambda s: _ls(s, n=10, r=3, noise_std=0.1),
}


def _overparametrized(seed):
    rng = np.random.default_rng(seed)
    op = symmetric_gaussian(30, 4, rng=rng)
    return least_squares(op, rng.standard_normal((4, 1)), r=3)


KINDS["ls-overparametrized"] = _overparametrized  # search rank 3 > rank(z) = 1


def _point(p, seed):
    return np.random.default_rng(seed + 1000).standard_normal((p.n, p.r))


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("seed", [0, 1])
def test_finite_differences(kind, seed):
    p = KINDS[kind](seed)
    x = _point(p, seed)
    g = check_gradient(p.value, p.gradient, x, rng=seed)
    assert g.rel_error < 1e-6, g
    assert g.slope == pytest.approx(2.0, abs=0.1), g
    h = check_hessian(p.gradient, p.hvp, x, rng=seed, fun=p.value)
    assert h.rel_error < 1e-6, h
    assert h.slope == pytest.approx(3.0, abs=0.1), h
    assert h.value_slope == pytest.approx(3.0, abs=0.15), h
    assert h.symmetry_error < 1e-12, h
    hm = check_hessian_matrix(p.gradient, p.hessian, x, rng=seed, fun=p.value)
    assert hm.rel_error < 1e-6, hm
    assert hm.slope == pytest.approx(3.0, abs=0.1), hm
    assert hm.value_slope == pytest.approx(3.0, abs=0.15), hm


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_finite_differences_catch_a_wrong_gradient(kind):
    p = KINDS[kind](3)
    x = _point(p, 3)
    g = check_gradient(p.value, lambda y: 1.01 * p.gradient(y), x, rng=3)
    assert g.rel_error > 1e-3 and g.slope == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_hessian_matrix_is_symmetric_and_matches_hvp(kind):
    p = KINDS[kind](4)
    rng = np.random.default_rng(4)
    x, u, v = (rng.standard_normal((p.n, p.r)) for _ in range(3))
    Hm = p.hessian(x)
    assert Hm.shape == (p.n * p.r,) * 2
    np.testing.assert_allclose(Hm, Hm.T, atol=0)
    hu = p.hvp(x, u)
    scale = np.abs(hu).max()
    np.testing.assert_allclose(Hm @ vec(u), vec(hu), atol=1e-12 * scale)
    # the hvp itself is symmetric (p.hessian symmetrizes, so test the hvp directly)
    assert np.sum(v * hu) == pytest.approx(np.sum(u * p.hvp(x, v)), rel=1e-11, abs=1e-11 * scale)


def test_scalings_are_multiples_of_plain():
    rng = np.random.default_rng(7)
    op = gaussian(12, 3, rng=rng)
    z, x = rng.standard_normal((3, 1)), rng.standard_normal((3, 1))
    plain = least_squares(op, z)
    for sc in SCALINGS:
        p = least_squares(op, z, scaling=sc)
        s = scaling_factor(sc, 12)
        assert float(p.value(x)) == pytest.approx(s * float(plain.value(x)), rel=1e-13)
        np.testing.assert_allclose(p.gradient(x), s * plain.gradient(x), rtol=1e-13)
        np.testing.assert_allclose(p.hessian(x), s * plain.hessian(x), rtol=1e-12, atol=1e-12)


def test_noisy_problem_uses_noise():
    op = gaussian(20, 3, rng=0)
    z = np.ones((3, 1))
    clean = least_squares(op, z)
    noisy = least_squares(op, z, noise_std=0.5, rng=1)
    w = noisy.loss.b - clean.loss.b
    assert np.std(w) == pytest.approx(0.5, rel=0.5)
    assert float(noisy.value(z)) == pytest.approx(w @ w, rel=1e-12)
    np.testing.assert_array_equal(noisy.loss.b, least_squares(op, z, noise_std=0.5, rng=1).loss.b)
    b = np.arange(20.0)
    np.testing.assert_array_equal(least_squares(op, z, b=b).loss.b, b)
    with pytest.raises(InputError, match="noise_std"):
        least_squares(op, z, noise_std=-1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("make", [_asym, _asym_one_bit])
def test_lifted_and_direct_asymmetric_agree(seed, make):
    direct = make(seed)
    lifted = direct.lifted()
    assert isinstance(direct, AsymmetricProblem) and isinstance(lifted, SymmetricProblem)
    assert (lifted.n, lifted.r) == (direct.n, direct.r)
    rng = np.random.default_rng(seed)
    x, u = rng.standard_normal((2, 5, direct.n, direct.r))
    np.testing.assert_allclose(lifted.value(x), direct.value(x), rtol=1e-12)
    np.testing.assert_allclose(lifted.gradient(x), direct.gradient(x), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(lifted.hvp(x, u), direct.hvp(x, u), rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(lifted.hessian(x), direct.hessian(x), rtol=1e-11, atol=1e-10)
    # the lifted ground truth is the balanced factor, a global minimizer of both
    W = direct.balanced_factor()
    U, V = W[: direct.shape[0]], W[direct.shape[0] :]
    np.testing.assert_allclose(U @ V.T, direct.m_star, atol=1e-12)
    np.testing.assert_allclose(U.T @ U, V.T @ V, atol=1e-12)
    np.testing.assert_allclose(lifted.z, W)


# ----------------------------------------------------------------------------- properties

seeds = st.integers(0, 2**32 - 1)
kinds = st.sampled_from(sorted(KINDS))


def _ground_truth_factor(p):
    if isinstance(p, AsymmetricProblem):
        return p.balanced_factor()
    lam, V = np.linalg.eigh(p.m_star)
    k = p.r
    return V[:, -k:] * np.sqrt(np.clip(lam[-k:], 0, None))


@given(kinds, seeds)
def test_rotation_invariance(kind, seed):
    p = KINDS[kind](seed % 1000)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((p.n, p.r))
    Q, _ = np.linalg.qr(rng.standard_normal((p.r, p.r)))
    f = float(p.value(x))
    assert float(p.value(x @ Q)) == pytest.approx(f, rel=1e-11, abs=1e-11)
    np.testing.assert_allclose(p.gradient(x @ Q), p.gradient(x) @ Q, rtol=1e-9, atol=1e-9 * (1 + abs(f)))
    assert float(p.distance(x @ Q)) == pytest.approx(float(p.distance(x)), rel=1e-11, abs=1e-11)


@given(kinds, seeds)
def test_zero_gradient_at_ground_truth(kind, seed):
    if kind.startswith("ls-") and kind not in ("ls-noiseless", "ls-rank1", "ls-overparametrized"):
        kind = "ls-noiseless"  # noisy measurements move the minimizer
    p = KINDS[kind](seed % 1000)
    w = _ground_truth_factor(p)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((p.r, p.r)))
    for x in (w, w @ Q):
        scale = 1.0 + np.abs(p.hessian(x)).max() * np.linalg.norm(x)
        np.testing.assert_allclose(p.gradient(x), 0.0, atol=1e-12 * scale)
        assert float(p.distance(x)) < 1e-12 * (1 + np.linalg.norm(p.m_star))
    if "one-bit" not in kind:  # least squares: f(z) = 0 at a noiseless ground truth
        # (the lifted value is a difference of squared norms: round-off eps·‖WWᵀ‖², not eps·f)
        assert abs(float(p.value(w))) < 1e-14 * (1 + np.sum(p.m_star**2))


@given(kinds, seeds, st.integers(1, 4))
def test_batch_equals_single_evaluations(kind, seed, T):
    p = KINDS[kind](seed % 1000)
    rng = np.random.default_rng(seed)
    xs, us = rng.standard_normal((2, T, p.n, p.r))
    vals, grads, hvps, hess, dist = p.value(xs), p.gradient(xs), p.hvp(xs, us), p.hessian(xs), p.distance(xs)
    assert vals.shape == dist.shape == (T,)
    assert grads.shape == hvps.shape == (T, p.n, p.r)
    assert hess.shape == (T, p.n * p.r, p.n * p.r)
    for t in range(T):
        np.testing.assert_allclose(vals[t], p.value(xs[t]), rtol=1e-13)
        np.testing.assert_allclose(grads[t], p.gradient(xs[t]), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(hvps[t], p.hvp(xs[t], us[t]), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(hess[t], p.hessian(xs[t]), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dist[t], p.distance(xs[t]), rtol=1e-13)
    # two leading axes
    x2 = xs.reshape(1, T, p.n, p.r)
    np.testing.assert_allclose(p.value(x2)[0], vals, rtol=1e-13)


# ----------------------------------------------------------------------------- zhang2018 Example 3


def _example3():
    s2, s15 = np.sqrt(2.0), np.sqrt(1.5)
    A = np.array([[[s2, 0.0], [0.0, 1 / s2]], [[0.0, s15], [s15, 0.0]], [[0.0, 0.0], [0.0, s15]]])
    op = from_matrices(A)
    return op, least_squares(op, np.array([1.0, 0.0])), np.array([[0.0], [1 / s2]])


def test_zhang2018_example3():
    op, p, x = _example3()
    assert not op.symmetrized
    assert float(p.value(x)) == pytest.approx(1.5, abs=1e-15)
    np.testing.assert_allclose(p.gradient(x), 0.0, atol=1e-15)
    np.testing.assert_allclose(p.hessian(x), np.diag([0.0, 8.0]), atol=1e-14)
    np.testing.assert_allclose(np.linalg.eigvalsh(op.kernel()), [1.0, 3.0, 3.0], atol=1e-14)
    # DESIGN: along (a, √(½ − a²)), f = 3/2 − 4a⁴ (a second-order point, not a local minimum)
    a = np.array([0.01, 0.05, 0.1, 0.3])
    xs = np.stack([a, np.sqrt(0.5 - a**2)], axis=-1)[..., None]
    np.testing.assert_allclose(p.value(xs), 1.5 - 4 * a**4, atol=1e-14)


# ----------------------------------------------------------------------------- bad input


def test_bad_points_and_problems():
    p = _ls(0)
    with pytest.raises(InputError, match=r"x: shape \(3, 2\)"):
        p.value(np.zeros((3, 2)))
    with pytest.raises(InputError, match="x: shape"):
        p.gradient(np.zeros(4))
    with pytest.raises(InputError, match="x: shape"):
        p.hessian(np.zeros((4, 3)))
    with pytest.raises(InputError, match=r"u: shape \(4, 1\), expected \(\.\.\., 4, 2\)"):
        p.hvp(np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(InputError, match="x: shape"):
        p.hvp(np.zeros(8), np.zeros((4, 2)))
    with pytest.raises(InputError, match="u: shape"):
        _asym(0).hvp(np.zeros((7, 2)), np.zeros((2, 7)))
    op = gaussian(5, 3, rng=0)
    with pytest.raises(InputError, match="r = 4"):
        least_squares(op, np.ones((3, 1)), r=4)
    with pytest.raises(InputError, match="r = 0"):
        least_squares(op, np.ones((3, 1)), r=0)
    with pytest.raises(InputError, match="z: has 2 rows, expected n = 3"):
        least_squares(op, np.ones((2, 1)))
    with pytest.raises(InputError, match="z: rank r = 4 exceeds n = 3"):
        least_squares(op, np.ones((3, 4)))
    with pytest.raises(InputError, match="z: contains NaN"):
        least_squares(op, np.array([1.0, np.nan, 0.0]))
    with pytest.raises(InputError, match="positive semidefinite"):
        one_bit(-np.eye(3), 1)
    with pytest.raises(InputError, match="not symmetric"):
        one_bit(np.triu(np.ones((3, 3))), 1)
    rop = rectangular_gaussian(6, (2, 3), rng=0)
    with pytest.raises(InputError, match="M\\*: shape"):
        asymmetric_least_squares(rop, np.ones((3, 2)), 1)
    with pytest.raises(InputError, match="r = 3"):
        asymmetric_least_squares(rop, np.ones((2, 3)), 3)
    with pytest.raises(InputError, match="phi"):
        asymmetric_least_squares(rop, np.ones((2, 3)), 1, phi=-1.0)


def test_hessian_in_vec_coordinates():
    # ∇²g(x)[u] for g(x) = ‖A(xxᵀ) − b‖² in vec coordinates: column-stacking, checked entrywise
    op, _, _ = _example3()
    x = np.array([[0.3, -0.2], [0.5, 0.1]])
    p2 = least_squares(op, np.array([[1.0, 0.0], [0.0, 0.0]]), r=2)
    Hm = p2.hessian(x)
    for k in range(4):
        e = np.zeros(4)
        e[k] = 1.0
        np.testing.assert_allclose(Hm[:, k], vec(p2.hvp(x, unvec(e, 2, 2))), atol=1e-14)
