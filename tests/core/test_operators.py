"""Sensing operators: constructors, adjoint identity, kernels, size refusals, bad input."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spurious.core._errors import InputError, TooLargeError
from spurious.core._linalg import smat, svec, svec_dim, sym
from spurious.core._operators import (
    RectangularOperator,
    SensingOperator,
    from_kernel,
    from_matrices,
    gaussian,
    rank_one,
    rectangular_gaussian,
    sparse_binary,
    symmetric_gaussian,
)

seeds = st.integers(0, 2**32 - 1)
RANDOM = {
    "gaussian": gaussian,
    "symmetric_gaussian": symmetric_gaussian,
    "rank_one": rank_one,
    "sparse_binary": lambda m, n, rng=None, **kw: sparse_binary(m, n, density=0.5, rng=rng, **kw),
}


def inner_products(A, X):
    """⟨A_i, X⟩ computed from dense matrices, independently of svec."""
    return np.einsum("ijk,...jk->...i", A, X)


def test_from_matrices_symmetric_input():
    rng = np.random.default_rng(0)
    A = sym(rng.standard_normal((5, 3, 3)))
    op = from_matrices(A)
    assert (op.m, op.n, op.N) == (5, 3, 6)
    assert not op.symmetrized
    np.testing.assert_allclose(op.matrices(), A, atol=1e-15)
    X = sym(rng.standard_normal((3, 3)))
    np.testing.assert_allclose(op.apply(X), inner_products(A, X), atol=1e-12)


def test_from_matrices_symmetrizes_and_says_so():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 3, 3))
    op = from_matrices(A)
    assert op.symmetrized
    np.testing.assert_allclose(op.matrices(), sym(A), atol=1e-15)
    X = sym(rng.standard_normal((2, 3, 3)))
    np.testing.assert_allclose(op.apply(X), inner_products(A, X), atol=1e-12)  # unchanged on symmetric X


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_constructors(name):
    op = RANDOM[name](7, 4, rng=3)
    assert isinstance(op, SensingOperator)
    assert op.matrix.shape == (7, svec_dim(4))
    assert op.label
    Ai = op.matrices()
    np.testing.assert_array_equal(Ai, np.swapaxes(Ai, 1, 2))
    np.testing.assert_array_equal(op.matrix, RANDOM[name](7, 4, rng=3).matrix)  # seeded
    assert not np.array_equal(op.matrix, RANDOM[name](7, 4, rng=4).matrix)
    with pytest.raises(ValueError):
        op.matrix[0, 0] = 1.0  # read-only


def test_gaussian_is_symmetrized_iid():
    op = gaussian(4000, 3, rng=0)
    assert op.symmetrized
    A = op.matrices()
    # (G + Gᵀ)/2: diagonal N(0, 1), off-diagonal N(0, 1/2)
    assert np.var(A[:, 0, 0]) == pytest.approx(1.0, rel=0.1)
    assert np.var(A[:, 0, 1]) == pytest.approx(0.5, rel=0.1)


def test_symmetric_gaussian_is_goe():
    op = symmetric_gaussian(4000, 3, rng=0)
    A = op.matrices()
    assert np.var(A[:, 1, 1]) == pytest.approx(2.0, rel=0.1)
    assert np.var(A[:, 0, 2]) == pytest.approx(1.0, rel=0.1)
    assert np.mean(A[:, 0, 2]) == pytest.approx(0.0, abs=0.1)


def test_rank_one_matrices_are_rank_one_psd():
    A = rank_one(10, 4, rng=2).matrices()
    for Ai in A:
        lam = np.linalg.eigvalsh(Ai)
        assert lam[-1] > 0
        np.testing.assert_allclose(lam[:-1], 0.0, atol=1e-12 * lam[-1])


def test_sparse_binary_entries_and_density():
    d = 0.2
    A = sparse_binary(500, 5, density=d, rng=1).matrices()
    vals = np.unique(np.round(A, 12))
    np.testing.assert_allclose(vals, [-1 / np.sqrt(d), 0.0, 1 / np.sqrt(d)])
    iu = np.triu_indices(5)
    assert np.mean(A[:, iu[0], iu[1]] != 0) == pytest.approx(d, abs=0.03)
    for bad in (0.0, -0.1, 1.5, np.nan):
        with pytest.raises(InputError, match="density"):
            sparse_binary(3, 2, density=bad, rng=0)


@pytest.mark.parametrize("method", ["eigh", "cholesky", "sqrt"])
def test_from_kernel_reproduces_kernel(method):
    rng = np.random.default_rng(5)
    B = rng.standard_normal((6, 6))
    H = B @ B.T + 0.1 * np.eye(6)
    op = from_kernel(H, method=method)
    assert op.n == 3 and op.m == 6
    np.testing.assert_allclose(op.kernel(), H, atol=1e-12)
    np.testing.assert_allclose(op.matrix.T @ op.matrix, H, atol=1e-12)


def test_from_kernel_rank_deficient():
    rng = np.random.default_rng(6)
    B = rng.standard_normal((6, 4))
    H = B @ B.T
    op = from_kernel(H)  # eigh drops the zero eigenvalues: m = rank H
    assert op.m == 4
    np.testing.assert_allclose(op.kernel(), H, atol=1e-12)
    np.testing.assert_allclose(from_kernel(H, method="sqrt").kernel(), H, atol=1e-10)
    with pytest.raises(InputError, match="Cholesky"):
        from_kernel(np.diag([1.0, 2.0, 0.0, 1.0, 1.0, 1.0]), method="cholesky")


def test_from_kernel_bad_input():
    with pytest.raises(InputError, match="method"):
        from_kernel(np.eye(3), method="qr")
    with pytest.raises(InputError, match="n\\(n\\+1\\)/2"):
        from_kernel(np.eye(4))
    with pytest.raises(InputError, match="positive semidefinite"):
        from_kernel(-np.eye(3))
    with pytest.raises(InputError, match="not symmetric"):
        from_kernel(np.triu(np.ones((3, 3))))
    with pytest.raises(InputError, match="square"):
        from_kernel(np.ones((3, 6)))


@given(seeds, st.integers(1, 5), st.integers(1, 8), st.sampled_from(sorted(RANDOM)))
def test_adjoint_identity(seed, n, m, name):
    rng = np.random.default_rng(seed)
    op = RANDOM[name](m, n, rng=rng)
    M = sym(rng.standard_normal((n, n)))
    y = rng.standard_normal(m)
    lhs = op.apply(M) @ y
    rhs = np.sum(M * op.adjoint(y))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10 * (1 + np.abs(op.matrix).max() * np.abs(M).max() * m))
    np.testing.assert_allclose(op.adjoint(y), np.swapaxes(op.adjoint(y), -1, -2))
    np.testing.assert_allclose(op.adjoint(y), np.einsum("i,ijk->jk", y, op.matrices()), atol=1e-10)
    # batched
    Ms = sym(rng.standard_normal((3, n, n)))
    ys = rng.standard_normal((3, m))
    np.testing.assert_allclose(op.apply(Ms)[1], op.apply(Ms[1]))
    np.testing.assert_allclose(op.adjoint(ys)[2], op.adjoint(ys[2]))


@given(seeds, st.integers(1, 4), st.integers(1, 4), st.integers(1, 8))
def test_rectangular_adjoint_identity(seed, n1, n2, m):
    rng = np.random.default_rng(seed)
    op = rectangular_gaussian(m, (n1, n2), rng=rng)
    M = rng.standard_normal((n1, n2))
    y = rng.standard_normal(m)
    assert op.apply(M) @ y == pytest.approx(np.sum(M * op.adjoint(y)), rel=1e-10, abs=1e-10 * m)
    np.testing.assert_allclose(op.apply(M), np.einsum("ijk,jk->i", op.matrices(), M), atol=1e-12)


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_absurd_sizes_refused_before_allocating(name):
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError) as info:
            RANDOM[name](10**6, 10**4, rng=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10**7  # nothing of the operator's size was allocated
    msg = str(info.value)
    assert "m = 1000000" in msg and "n = 10000" in msg
    assert "PB" in msg or "TB" in msg  # the size it would need
    assert "\n" not in msg


def test_gaussian_size_message_and_limit():
    with pytest.raises(TooLargeError, match=r"1\.2 PB"):
        gaussian(10**6, 10**4)
    with pytest.raises(TooLargeError):
        gaussian(100, 10, max_bytes=1000)
    with pytest.raises(TooLargeError, match="shape"):
        rectangular_gaussian(10**6, (10**4, 10**4))
    op = gaussian(10, 3, rng=0)
    with pytest.raises(TooLargeError, match="10 dense 3×3"):
        op.matrices(max_bytes=100)


def test_empty_and_malformed_operators():
    with pytest.raises(InputError, match="m = 0"):
        SensingOperator(np.zeros((0, 3)), 2)
    with pytest.raises(InputError, match="empty"):
        from_matrices(np.zeros((0, 2, 2)))
    with pytest.raises(InputError, match="empty"):
        from_matrices(np.zeros((3, 0, 0)))
    with pytest.raises(InputError, match="columns"):
        SensingOperator(np.zeros((2, 4)), 2)
    with pytest.raises(InputError, match="columns"):
        RectangularOperator(np.zeros((2, 5)), (2, 3))
    with pytest.raises(InputError, match="m = 0"):
        RectangularOperator(np.zeros((0, 6)), (2, 3))
    with pytest.raises(InputError, match="square"):
        from_matrices(np.zeros((2, 2, 3)))
    with pytest.raises(InputError, match="dimensions"):
        from_matrices(np.zeros((2, 2)))
    A = np.ones((2, 2, 2))
    A[1, 0, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        from_matrices(A)
    with pytest.raises(InputError, match="NaN"):
        SensingOperator(np.array([[1.0, np.inf, 0.0]]), 2)
    with pytest.raises(InputError, match="numeric"):
        from_matrices(np.array([[["a", "b"], ["c", "d"]]]))
    for bad in ((0, 3), (3, 0), (-1, 2)):
        with pytest.raises(InputError):
            gaussian(*bad, rng=0)


def test_kernel_is_gram_of_svec_rows():
    op = gaussian(6, 3, rng=9)
    H = op.kernel()
    X = sym(np.random.default_rng(1).standard_normal((3, 3)))
    assert svec(X) @ H @ svec(X) == pytest.approx(np.sum(op.apply(X) ** 2), rel=1e-12)
    np.testing.assert_allclose(smat(op.matrix), op.matrices())


def test_prefix_adjoint_norms_match_each_prefix_operator():
    from spurious.core._operators import prefix_adjoint_norms

    op = gaussian(30, 4, np.random.default_rng(0))
    b = np.random.default_rng(1).standard_normal(30)
    ms = [5, 12, 30]
    got = prefix_adjoint_norms(op.matrix, b, ms)
    for m, s in zip(ms, got, strict=True):
        sub = SensingOperator(op.matrix[:m], op.n)
        assert s == pytest.approx(np.linalg.norm(sub.adjoint(b[:m]) / m, 2), rel=1e-12)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: gaussian(2.5, 3), "m"),
        (lambda: gaussian(4, True), "n"),
        (lambda: sparse_binary(4, 3, density=0.0), "density"),
        (lambda: rectangular_gaussian(0, (2, 3)), "m"),
        (lambda: rectangular_gaussian(4, (2, -1)), "shape"),
    ],
)
def test_constructors_refuse_bad_scalars(make, name):
    with pytest.raises(InputError, match=name):
        make()
