"""Matrix-free operators: each kind against its dense twin, adjointness, the factored problem
(value, gradient, HVP, Hessian, distance), solvers, spectral initialization, instance files."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spurious as sp
from spurious.core import _matrix_free as mf
from spurious.core._errors import InputError, InstanceFileError, TooLargeError
from spurious.core._instances import FORMAT_VERSION, load_instance, make_instance, save_instance
from spurious.core._linalg import outer, sym
from spurious.core._operators import gaussian, rank_one, symmetric_gaussian
from spurious.core._problems import least_squares
from spurious.solvers._init import spectral

N_SMALL, M_SMALL = 6, 40


def _callable_twin(dense):
    """A user's plug-in wrapping a dense operator's apply/adjoint (only the required callables)."""
    return mf.from_callables(dense.n, dense.m, dense.apply, dense.adjoint, label="plug-in")


def _kinds():
    n, m = N_SMALL, M_SMALL
    yield "rank-one", mf.quadratic_sensing(m, n, rng=1), rank_one(m, n, rng=1)
    yield "gaussian", mf.gaussian_blocks(m, n, seed=2, block_bytes=8 * n * n * 7), gaussian(m, n, rng=2)
    yield "symmetric-gaussian", mf.symmetric_gaussian_blocks(m, n, seed=3), symmetric_gaussian(m, n, rng=3)
    comp = mf.entry_sampling(n, 0.6, rng=4)
    yield "completion", comp, comp.to_dense()
    dense = gaussian(m, n, rng=5)
    yield "callable", _callable_twin(dense), dense


KINDS = {name: (op, dense) for name, op, dense in _kinds()}
PARAMS = sorted(KINDS)


def _close(a, b, rtol=1e-12):
    scale = max(1.0, float(np.max(np.abs(b))))
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("kind", ["rank-one", "gaussian", "symmetric-gaussian"])
def test_same_measurements_as_the_dense_constructor(kind):
    op, dense = KINDS[kind]
    assert op.kind == kind
    np.testing.assert_allclose(op.to_dense().matrix, dense.matrix, rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", PARAMS)
def test_maps_equal_the_dense_twin(kind):
    op, dense = KINDS[kind]
    rng = np.random.default_rng(10)
    X = sym(rng.standard_normal((3, op.n, op.n)))
    y = rng.standard_normal((3, op.m))
    U = rng.standard_normal((3, op.n, 2))
    V = rng.standard_normal((3, op.n, 2))
    t = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
    _close(op.apply(X), dense.apply(X))
    _close(op.apply(X[0]), dense.apply(X[0]))
    _close(op.adjoint(y), dense.adjoint(y))
    _close(op.apply_outer(U), dense.apply(outer(U)))
    _close(op.apply_sym(U, V), dense.apply(U @ t(V) + V @ t(U)))
    _close(op.adjoint_apply(y, U), dense.adjoint(y) @ U)
    _close(op.adjoint_apply(y[0], U), dense.adjoint(y[0]) @ U)  # broadcasting y against a batch
    core = dense.adjoint(y) @ V + dense.adjoint(dense.apply(U @ t(V) + V @ t(U))) @ U
    _close(op.hessian_core(U, V, y), core)
    _close(
        op.hessian_core(U[0], V, y[0]),
        dense.adjoint(y[0]) @ V + dense.adjoint(dense.apply(U[0] @ t(V) + V @ t(U[0]))) @ U[0],
    )
    assert op.frobenius_norm_sq() == pytest.approx(float(np.sum(dense.matrix**2)), rel=1e-12)
    assert (op.m, op.n, op.N) == (dense.m, dense.n, dense.N)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(PARAMS))
def test_adjoint_identity(seed, kind):
    op, _ = KINDS[kind]
    rng = np.random.default_rng(seed)
    X = sym(rng.standard_normal((op.n, op.n)))
    y = rng.standard_normal(op.m)
    lhs = float(op.apply(X) @ y)
    rhs = float(np.sum(X * op.adjoint(y)))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)
    U = rng.standard_normal((op.n, 2))  # ⟨A(UUᵀ), y⟩ = ⟨U, A*(y) U⟩
    assert float(op.apply_outer(U) @ y) == pytest.approx(float(np.sum(U * op.adjoint_apply(y, U))), rel=1e-10)


@pytest.mark.parametrize("kind", PARAMS)
@pytest.mark.parametrize("scaling", ["plain", "half-mean"])
def test_factored_problem_equals_dense(kind, scaling):
    op, dense = KINDS[kind]
    rng = np.random.default_rng(20)
    z = rng.standard_normal((op.n, 2))
    p1 = least_squares(op, z, scaling=scaling)
    p2 = least_squares(dense, z, scaling=scaling)
    assert p1.factored and not p2.factored
    _close(p1.loss.b, p2.loss.b)
    x = rng.standard_normal((4, op.n, 2))
    u = rng.standard_normal((4, op.n, 2))
    _close(p1.value(x), p2.value(x), 1e-11)
    _close(p1.gradient(x), p2.gradient(x), 1e-11)
    _close(p1.hvp(x, u), p2.hvp(x, u), 1e-11)
    _close(p1.hvp(x[0], u), p2.hvp(x[0], u), 1e-11)  # one point, a batch of directions
    _close(p1.hvp_at(x[1])(u), p2.hvp(x[1], u), 1e-11)
    _close(p1.hessian(x[0]), p2.hessian(x[0]), 1e-11)
    _close(p1.distance(x), p2.distance(x), 1e-12)
    assert float(p1.distance(z)) < 1e-12 and float(p1.value(z)) < 1e-18


@pytest.mark.parametrize("kind", PARAMS)
def test_gradient_and_hvp_finite_differences(kind):
    op, _ = KINDS[kind]
    rng = np.random.default_rng(30)
    prob = least_squares(op, rng.standard_normal((op.n, 2)))
    x = rng.standard_normal((op.n, 2))
    u = rng.standard_normal((op.n, 2))
    h = 1e-6
    fd = (prob.value(x + h * u) - prob.value(x - h * u)) / (2 * h)
    assert float(fd) == pytest.approx(float(np.sum(prob.gradient(x) * u)), rel=1e-6)
    fd_g = (prob.gradient(x + h * u) - prob.gradient(x - h * u)) / (2 * h)
    np.testing.assert_allclose(fd_g, prob.hvp(x, u), rtol=1e-5, atol=1e-5 * np.abs(fd_g).max())


def test_completion_is_ge_lee_ma_objective():
    """‖A(xxᵀ) − A(M)‖² = ‖P_Ω(xxᵀ − M)‖_F² over the symmetric Ω (Ge, Lee, Ma 2016)."""
    n = 8
    op = mf.entry_sampling(n, 0.4, rng=0)
    rng = np.random.default_rng(1)
    z, x = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    mask = np.zeros((n, n), dtype=bool)
    mask[op.rows, op.cols] = True
    mask[op.cols, op.rows] = True
    D = outer(x) - outer(z)
    assert float(least_squares(op, z).value(x)) == pytest.approx(float(np.sum(D[mask] ** 2)), rel=1e-12)
    H = op.to_dense().kernel()  # a coordinate projection in svec coordinates
    np.testing.assert_array_equal(np.diag(H)[op.index], 1.0)
    assert float(np.sum(H)) == op.m


def test_dense_only_features_name_the_kind():
    for kind, (op, _) in KINDS.items():
        with pytest.raises(InputError, match=f"matrix-free {kind} operator"):
            op.matrix  # noqa: B018
        for call in (op.kernel, op.matrices):
            with pytest.raises(InputError, match=f"matrix-free {kind} operator"):
                call()
    prob = least_squares(KINDS["gaussian"][0], np.ones((N_SMALL, 1)))  # SGD runs on rank-one and completion only
    with pytest.raises(InputError, match="gaussian operator"):
        sp.sgd(prob, trials=2, steps=3, lr=1e-3, momentum=0.0, seed=0)


def test_bad_input():
    with pytest.raises(InputError, match="omega: a pair"):
        mf.from_entries(4, [[0, 1], [1, 0]])
    with pytest.raises(InputError, match="omega: indices"):
        mf.from_entries(4, [[0, 4]])
    with pytest.raises(InputError, match="no entry"):
        mf.entry_sampling(3, 1e-9, rng=0)
    with pytest.raises(InputError, match="p = 0"):
        mf.entry_sampling(3, 0.0)
    with pytest.raises(InputError, match="a: contains NaN"):
        mf.from_vectors(np.array([[1.0, np.nan]]))
    with pytest.raises(TooLargeError):
        mf.quadratic_sensing(10**6, 10**4, rng=0)
    bad = mf.from_callables(3, 2, lambda X: np.zeros(3), lambda y: np.zeros((3, 3)))
    with pytest.raises(InputError, match="apply returned shape"):
        bad.apply(np.eye(3))
    with pytest.raises(InputError, match="X: shape"):
        KINDS["rank-one"][0].apply(np.eye(3))


def test_callable_fast_paths_are_used():
    dense = gaussian(12, 4, rng=0)
    calls = []

    def apply_outer(U):
        calls.append("outer")
        return dense.apply(outer(U))

    def adjoint_apply(y, U):
        calls.append("adjoint_apply")
        return dense.adjoint(y) @ U

    op = mf.from_callables(
        4, 12, dense.apply, dense.adjoint, apply_outer=apply_outer, adjoint_apply=adjoint_apply, frobenius_norm_sq=1.0
    )
    prob = least_squares(op, np.ones((4, 1)))
    prob.gradient(np.zeros((3, 4, 1)))
    assert calls.count("outer") == 2 and calls.count("adjoint_apply") == 1  # b, then the residual
    assert op.frobenius_norm_sq() == 1.0


@pytest.mark.parametrize("kind", ["rank-one", "completion", "gaussian"])
def test_spectral_matches_dense(kind):
    n = 30
    if kind == "completion":
        op = mf.entry_sampling(n, 0.5, rng=1)
        dense = op.to_dense()
    elif kind == "rank-one":
        op, dense = mf.quadratic_sensing(400, n, rng=1), rank_one(400, n, rng=1)
    else:
        op, dense = mf.gaussian_blocks(300, n, seed=1), gaussian(300, n, rng=1)
    z = np.random.default_rng(2).standard_normal((n, 2))
    x1 = spectral(least_squares(op, z), trials=2)
    x2 = spectral(least_squares(dense, z), trials=2)
    assert x1.shape == (2, n, 2)
    np.testing.assert_allclose(outer(x1), outer(x2), rtol=0, atol=1e-9 * np.abs(outer(x2)).max())
    np.testing.assert_allclose(np.abs(x1), np.abs(x2), rtol=0, atol=1e-8)  # equal up to eigenvector signs


def test_spectral_small_n_uses_the_dense_route():
    op = mf.quadratic_sensing(50, 3, rng=0)
    z = np.ones((3, 2))
    x1 = spectral(least_squares(op, z))
    x2 = spectral(least_squares(op.to_dense(), z))
    np.testing.assert_allclose(outer(x1), outer(x2), atol=1e-10)


@pytest.mark.parametrize("kind", PARAMS)
def test_solvers_run_on_every_kind(kind):
    op, dense = KINDS[kind]
    z = np.random.default_rng(3).standard_normal((op.n, 1))
    p1, p2 = least_squares(op, z, scaling="mean"), least_squares(dense, z, scaling="mean")
    kw = dict(trials=3, seed=1, steps=20, lr=1e-3)
    r1, r2 = sp.gd(p1, **kw), sp.gd(p2, **kw)
    np.testing.assert_allclose(r1.x, r2.x, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(r1.fun, r2.fun, rtol=1e-9)
    np.testing.assert_allclose(r1.distance, r2.distance, rtol=1e-9, atol=1e-12)
    r1 = sp.perturbed_gd(p1, **kw)
    r2 = sp.perturbed_gd(p2, **kw)
    np.testing.assert_allclose(r1.x, r2.x, rtol=1e-9, atol=1e-11)
    r1 = sp.projected_sgd(p1, radius_b=10.0, **kw)
    r2 = sp.projected_sgd(p2, radius_b=10.0, **kw)
    np.testing.assert_allclose(r1.x, r2.x, rtol=1e-9, atol=1e-11)


def test_gd_recovers_rank_one_at_moderate_n_in_little_memory():
    """n = 300, r = 2, m = 3,000 rank-one: the dense operator would be 1.1 GB; here a few MB."""
    n, r, m = 300, 2, 3000
    tracemalloc.start()
    try:
        inst = make_instance("rank-one", n, r, m=m, seed=0)
        prob = least_squares(inst.operator, inst.z, scaling="mean")
        M = prob.m_star
        L = 8.0 * (np.trace(M) + 2.0 * np.linalg.eigvalsh(M)[-1])  # curvature scale at z (Gaussian a_i)
        x0 = inst.z + 0.1 * np.random.default_rng(1).standard_normal((2, n, r))
        d0 = prob.distance(x0)
        res = sp.gd(prob, x0=x0, steps=100, lr=0.5 / L, stop=sp.Stop(dist=1e-8))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dense_bytes = 8.0 * m * n * (n + 1) / 2
    assert peak < 40e6 < dense_bytes / 25, peak
    assert np.all(res.distance < 0.05 * d0)  # linear convergence from near z


def test_distance_is_accurate_near_zero():
    op = mf.quadratic_sensing(50, 10, rng=0)
    z = np.random.default_rng(0).standard_normal((10, 2))
    prob = least_squares(op, z)
    x = z + 1e-12
    d_dense = float(np.linalg.norm(outer(x) - outer(z)))
    assert float(prob.distance(x)) == pytest.approx(d_dense, rel=1e-3)


# ----------------------------------------------------------------------------- instance files


@pytest.mark.parametrize(
    ("kind", "size"),
    [("rank-one", {"m": 60}), ("completion", {"p": 0.4}), ("gaussian", {"m": 30}), ("symmetric-gaussian", {"m": 30})],
)
def test_instance_round_trip(tmp_path, kind, size):
    inst = make_instance(kind, 7, 2, seed=5, **size)
    assert inst.operator.kind == kind
    path = save_instance(tmp_path / "i.npz", inst)
    with np.load(path, allow_pickle=False) as data:
        assert int(data["format"]) == FORMAT_VERSION == 2
        assert str(data["operator"]) == kind and "A" not in data.files
    back = load_instance(path)
    assert back.operator.kind == kind and back.operator.label == "i.npz"
    np.testing.assert_array_equal(back.z, inst.z)
    np.testing.assert_array_equal(back.operator.to_dense().matrix, inst.operator.to_dense().matrix)
    assert back.metadata == {"instance_seed": 5}
    x = np.random.default_rng(0).standard_normal((7, 2))
    assert float(back.problem().value(x)) == float(inst.problem().value(x))


def test_make_instance_is_seeded_and_takes_z():
    a = make_instance("rank-one", 9, 2, m=20, seed=3)
    b = make_instance("rank-one", 9, 2, m=20, seed=3)
    np.testing.assert_array_equal(a.operator.a, b.operator.a)
    np.testing.assert_array_equal(a.z, b.z)
    np.testing.assert_array_equal(a.operator.to_dense().matrix, rank_one(20, 9, rng=3).matrix)
    z = np.ones((9, 2))
    np.testing.assert_array_equal(make_instance("completion", 9, 2, p=0.5, z=z).z, z)
    assert sp.make_instance is make_instance


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operator": "sparse"}, "operator = 'sparse'"),
        ({"operator": "completion", "m": 5}, "m = 5: a completion operator takes p"),
        ({"operator": "completion"}, "p: a completion operator needs"),
        ({"operator": "rank-one", "p": 0.5}, "p = 0.5: only a completion operator"),
        ({"operator": "rank-one"}, "m: a rank-one operator needs"),
        ({"operator": "rank-one", "m": 5, "rank": 20}, "rank = 20"),
        ({"operator": "rank-one", "m": 5, "z": np.ones((4, 2))}, "z: has 4 rows"),
        ({"operator": "rank-one", "m": 5, "z": np.ones((9, 1))}, "z: has 1 columns, expected rank = 2"),
        ({"operator": "rank-one", "m": 5, "seed": -1}, "seed = -1"),
    ],
)
def test_make_instance_bad_input(kwargs, message):
    kw = {"n": 9, "rank": 2, **kwargs}
    with pytest.raises(InputError) as info:
        make_instance(**kw)
    assert message in str(info.value)


def test_callable_operators_have_no_file_form(tmp_path):
    inst = sp.Instance(KINDS["callable"][0], np.ones((N_SMALL, 1)))
    with pytest.raises(InputError, match="no file form"):
        save_instance(tmp_path / "c.npz", inst)
    assert not list(tmp_path.iterdir())


def _write(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"operator": np.str_("fancy")}, "'operator' = 'fancy'"),
        ({"operator": np.str_("rank-one")}, "no array 'a'"),
        ({"operator": np.str_("rank-one"), "a": np.ones((4, 3)), "format": np.int64(1)}, "needs format 2"),
        ({"operator": np.str_("rank-one"), "a": np.ones((4, 5))}, "z: has 3 rows, expected n = 5"),
        ({"operator": np.str_("completion"), "n": np.int64(3), "omega": np.array([[0, 3]])}, "indices must lie"),
        ({"operator": np.str_("completion"), "n": np.int64(3), "omega": np.ones((2, 2))}, "integer array"),
        ({"operator": np.str_("completion"), "omega": np.array([[0, 1]])}, "no entry 'n'"),
        ({"operator": np.str_("gaussian"), "m": np.int64(4), "n": np.int64(3)}, "no entry 'seed'"),
        (
            {
                "operator": np.str_("gaussian"),
                "m": np.int64(4),
                "n": np.int64(3),
                "seed": np.int64(0),
                "generator": np.str_("mt"),
            },
            "generator 'mt' is not known",
        ),
        ({"operator": np.str_("gaussian"), "m": np.int64(0), "n": np.int64(3), "seed": np.int64(0)}, "'m' = 0"),
    ],
)
def test_malformed_matrix_free_files(tmp_path, arrays, message):
    base = {"z": np.ones((3, 1)), "format": np.int64(2)}
    path = _write(tmp_path, **{**base, **arrays})
    with pytest.raises(InstanceFileError) as info:
        load_instance(path)
    assert message in str(info.value) and "bad.npz" in str(info.value)
    assert "\n" not in str(info.value)


def test_declared_sizes_checked_before_loading(tmp_path):
    inst = make_instance("rank-one", 50, 1, m=400, seed=0)
    path = save_instance(tmp_path / "r.npz", inst)
    with pytest.raises(TooLargeError, match="above the limit"):
        load_instance(path, max_bytes=1e4)
    big = _write(
        tmp_path, operator=np.str_("gaussian"), m=np.int64(5), n=np.int64(100_000), seed=np.int64(0), z=np.ones((3, 1))
    )
    with pytest.raises(TooLargeError, match="n = 100,000"):
        load_instance(big)


def test_old_dense_files_still_load(tmp_path):
    op = gaussian(5, 3, rng=0)
    path = tmp_path / "old.npz"
    np.savez(
        path, A=op.matrices(), z=np.ones((3, 1)), format=np.int64(1), scaling=np.str_("plain"), generator=np.str_("x")
    )
    back = load_instance(path)
    np.testing.assert_allclose(back.operator.matrix, op.matrix, atol=1e-15)
    assert back.metadata == {"generator": "x"}


@pytest.mark.slow
def test_gd_at_issue_size_rank_one():
    """Issue #12's size: n = 2,000, r = 3, m = 36,000 rank-one; dense would be 576 GB, here < 1 GB."""
    n, r, m = 2000, 3, 36_000
    tracemalloc.start()
    try:
        inst = make_instance("rank-one", n, r, m=m, seed=0)
        prob = least_squares(inst.operator, inst.z, scaling="mean")
        M = prob.m_star
        L = 8.0 * (np.trace(M) + 2.0 * np.linalg.eigvalsh(M)[-1])
        x0 = inst.z + 0.1 * np.random.default_rng(1).standard_normal((2, n, r))
        res = sp.gd(prob, x0=x0, steps=3, lr=0.5 / L)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1e9 < 8.0 * m * n * (n + 1) / 2 / 500
    assert np.all(res.fun < prob.value(x0)) and np.all(res.distance < prob.distance(x0))
