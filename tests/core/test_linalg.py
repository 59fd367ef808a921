"""svec/smat, vec/unvec, the Jacobian Xmat, its kernel and the gradient/Hessian forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spurious.core._errors import InputError
from spurious.core._linalg import (
    error_vector,
    gradient_form,
    hessian_form,
    orthogonal_complement,
    outer,
    rotation_directions,
    smat,
    svec,
    svec_dim,
    svec_order,
    sym,
    sym_jacobian,
    unvec,
    vec,
)
from spurious.core._operators import gaussian
from spurious.core._problems import least_squares

seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 6)


def rand_sym(rng, n, batch=()):
    return sym(rng.standard_normal((*batch, n, n)))


@given(seeds, dims)
def test_svec_is_an_isometry(seed, n):
    rng = np.random.default_rng(seed)
    X, Y = rand_sym(rng, n), rand_sym(rng, n)
    assert svec(X).shape == (svec_dim(n),)
    assert svec(X) @ svec(Y) == pytest.approx(np.sum(X * Y), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(smat(svec(X)), X, rtol=0, atol=1e-14)
    v = rng.standard_normal(svec_dim(n))
    np.testing.assert_allclose(svec(smat(v)), v, rtol=0, atol=1e-14)


def test_svec_layout_upper_triangle_row_by_row():
    X = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])
    r2 = np.sqrt(2.0)
    np.testing.assert_allclose(svec(X), [1.0, 2 * r2, 3 * r2, 4.0, 5 * r2, 6.0])


@pytest.mark.parametrize("n", [1, 3, 40])
def test_svec_smat_equal_their_definitions_bit_for_bit(n):
    """svec: X_ii and √2·X_ij (i < j), row by row; smat: v_k on the diagonal, v_k·(1/√2) off it — the
    same float operations as an explicit loop, batched or not, contiguous or not."""
    rng = np.random.default_rng(n)
    X = rand_sym(rng, n, (2, 3))
    v = rng.standard_normal((2, 3, svec_dim(n)))
    r2, ir2 = np.sqrt(2.0), 1.0 / np.sqrt(2.0)
    sv = np.empty_like(v)
    sm = np.empty_like(X)
    k = 0
    for i in range(n):
        for j in range(i, n):
            sv[..., k] = X[..., i, i] if i == j else X[..., i, j] * r2
            sm[..., i, j] = sm[..., j, i] = v[..., k] if i == j else v[..., k] * ir2
            k += 1
    assert np.array_equal(svec(X), sv) and np.array_equal(svec(np.swapaxes(X, -1, -2)), sv)
    assert np.array_equal(svec(X[1, 2]), sv[1, 2])
    assert np.array_equal(smat(v), sm) and np.array_equal(smat(v[0, 1]), sm[0, 1])


def test_svec_smat_batched():
    rng = np.random.default_rng(0)
    X = rand_sym(rng, 4, (3, 2))
    v = svec(X)
    assert v.shape == (3, 2, 10)
    np.testing.assert_allclose(v[1, 0], svec(X[1, 0]))
    np.testing.assert_allclose(smat(v), X, atol=1e-14)


def test_svec_order():
    assert [svec_order(svec_dim(n)) for n in range(1, 8)] == list(range(1, 8))
    with pytest.raises(InputError, match="7"):
        svec_order(7)
    with pytest.raises(InputError):
        smat(np.ones(5))


@given(seeds, dims, dims)
def test_vec_stacks_columns_and_unvec_inverts(seed, n, r):
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((n, r))
    v = vec(u)
    np.testing.assert_array_equal(v, u.T.ravel())  # column stacking: vec(u)[k n + p] = u[p, k]
    np.testing.assert_array_equal(v, u.ravel(order="F"))
    np.testing.assert_array_equal(unvec(v, n, r), u)
    w = rng.standard_normal((2, 3, n, r))
    np.testing.assert_array_equal(unvec(vec(w), n, r), w)
    np.testing.assert_array_equal(vec(w)[1, 2], vec(w[1, 2]))


@given(seeds, st.integers(1, 5), st.integers(1, 3))
def test_xmat_is_the_symmetric_product_jacobian(seed, n, r):
    rng = np.random.default_rng(seed)
    x, u = rng.standard_normal((n, r)), rng.standard_normal((n, r))
    J = sym_jacobian(x)
    assert J.shape == (svec_dim(n), n * r)
    np.testing.assert_allclose(J @ vec(u), svec(x @ u.T + u @ x.T), atol=1e-12)
    # Xmat is the derivative of svec(x xᵀ)
    t = 1e-6
    fd = (svec(outer(x + t * u)) - svec(outer(x - t * u))) / (2 * t)
    np.testing.assert_allclose(J @ vec(u), fd, atol=1e-7)


@given(seeds, st.integers(2, 6), st.integers(2, 4))
def test_rotation_directions_full_rank(seed, n, r):
    r = min(r, n)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, r))
    Q = rotation_directions(x)
    k = r * (r - 1) // 2
    assert Q.shape == (n * r, k)
    np.testing.assert_allclose(Q.T @ Q, np.eye(k), atol=1e-12)  # orthonormal
    np.testing.assert_allclose(sym_jacobian(x) @ Q, 0.0, atol=1e-10)  # in ker Xmat
    # ... and it is the whole kernel for x of full column rank
    assert np.linalg.matrix_rank(sym_jacobian(x)) == n * r - k
    # spans {x W : W skew}
    W = rng.standard_normal((r, r))
    W = W - W.T
    d = vec(x @ W)
    np.testing.assert_allclose(Q @ (Q.T @ d), d, atol=1e-10 * max(1.0, np.linalg.norm(d)))
    # each column is x W for some skew W: solve and check
    for col in Q.T:
        c = unvec(col, n, r)
        Wc = np.linalg.lstsq(x, c, rcond=None)[0]
        np.testing.assert_allclose(Wc, -Wc.T, atol=1e-8)
    # complement
    C = orthogonal_complement(Q, n * r)
    assert C.shape == (n * r, n * r - k)
    np.testing.assert_allclose(Q.T @ C, 0.0, atol=1e-12)
    np.testing.assert_allclose(C.T @ C, np.eye(n * r - k), atol=1e-12)


def test_rotation_directions_rank_one_and_rank_deficient():
    assert rotation_directions(np.ones((3, 1))).shape == (3, 0)
    np.testing.assert_array_equal(orthogonal_complement(np.zeros((3, 0)), 3), np.eye(3))
    # x = [e1, 0, 0]: only W with W[0, 1], W[0, 2] ≠ 0 move x, so 2 < r(r−1)/2 = 3 directions
    x = np.zeros((3, 3))
    x[0, 0] = 1.0
    Q = rotation_directions(x)
    assert Q.shape == (9, 2)
    np.testing.assert_allclose(Q.T @ Q, np.eye(2), atol=1e-14)
    np.testing.assert_allclose(sym_jacobian(x) @ Q, 0.0, atol=1e-14)
    # x = [e1, 0] with r = 2: the one direction survives (x W = [0, e1] up to sign)
    x2 = np.zeros((3, 2))
    x2[0, 0] = 1.0
    Q2 = rotation_directions(x2)
    assert Q2.shape == (6, 1)
    np.testing.assert_allclose(np.abs(Q2[:, 0]), vec(np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])), atol=1e-14)
    assert rotation_directions(np.zeros((3, 2))).shape == (6, 0)


@given(seeds, st.integers(1, 4), st.integers(1, 3))
def test_gradient_and_hessian_forms_match_the_problem(seed, n, r):
    r = min(r, n)
    rng = np.random.default_rng(seed)
    op = gaussian(2 * svec_dim(n), n, rng=rng)
    z = rng.standard_normal((n, r))
    x = rng.standard_normal((n, r))
    p = least_squares(op, z)
    H = op.kernel()
    e = error_vector(x, z)
    np.testing.assert_allclose(e, svec(x @ x.T - z @ z.T), atol=1e-14)
    assert float(p.value(x)) == pytest.approx(e @ H @ e, rel=1e-10, abs=1e-10)
    scale = 1.0 + np.abs(H).max() * (1 + np.abs(x).max() + np.abs(z).max()) ** 4
    np.testing.assert_allclose(vec(p.gradient(x)), 2 * gradient_form(H, x, z), atol=1e-10 * scale)
    np.testing.assert_allclose(p.hessian(x), 2 * hessian_form(H, x, z), atol=1e-10 * scale)
