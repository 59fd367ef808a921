"""SGD with batch size one on matrix-free operators: the run equals the run on the dense twin.

Rank-one (``A_i = a_i a_iᵀ``) and completion operators give ``A_i x`` from ``sampled_apply`` in
``O(n r)``; the index streams are those of the dense run, so each backend's result equals the
dense numpy reference to rounding — with momentum, flush to zero, recorded trajectories and
diverging trials.
"""

import numpy as np
import pytest

from spurious.core._errors import InputError
from spurious.core._matrix_free import (
    EntrySamplingOperator,
    RankOneOperator,
    entry_sampling,
    from_callables,
    gaussian_blocks,
    quadratic_sensing,
)
from spurious.core._problems import least_squares
from spurious.core._torch_operators import torch_available
from spurious.solvers._result import Status
from spurious.solvers._sgd import sgd

BACKENDS = ["numpy", "numba", pytest.param("torch", marks=pytest.mark.skipif(not torch_available(), reason="no torch"))]
TOL = dict(rtol=1e-12, atol=1e-12)


def _rank_one():
    """(operator, ground truth, SGD keywords) of a small quadratic-sensing instance."""
    z = np.random.default_rng(2).standard_normal((6, 2)) / np.sqrt(6)
    return quadratic_sensing(60, 6, rng=0), z, dict(lr=1e-4, momentum=0.9, init_scale=0.3)


def _completion():
    """(operator, ground truth, SGD keywords) of a small completion instance."""
    z = np.random.default_rng(2).standard_normal((8, 2))
    return entry_sampling(8, 0.7, rng=1), z, dict(lr=3e-3, momentum=0.9, init_scale=0.5)


@pytest.fixture(scope="module", params=["rank-one", "completion"])
def twins(request):
    """(matrix-free problem, its dense twin, SGD keywords)."""
    op, z, kw = _rank_one() if request.param == "rank-one" else _completion()
    return least_squares(op, z), least_squares(op.to_dense(), z), kw


def test_sampled_apply_is_the_dense_product():
    rng = np.random.default_rng(0)
    for op in (quadratic_sensing(40, 5, rng=0), entry_sampling(7, 0.8, rng=1)):
        A = op.to_dense().matrices()
        U = rng.standard_normal((30, op.n, 3))
        i = rng.integers(0, op.m, 30)
        np.testing.assert_allclose(op.sampled_apply(i, U), A[i] @ U, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_equals_the_dense_twin(twins, backend):
    """Momentum, flush to zero and a recorded trajectory: the same numbers as the dense numpy run."""
    problem, dense, kw = twins
    run = dict(trials=25, steps=600, seed=3, record_every=200, flush_below=0.02, **kw)
    ref = sgd(dense, backend="numpy", **run)
    res = sgd(problem, backend=backend, **run)
    assert res.options["backend"] == backend
    np.testing.assert_allclose(res.x, ref.x, **TOL)
    np.testing.assert_array_equal(res.nit, ref.nit)
    np.testing.assert_array_equal(res.status, ref.status)
    assert np.array_equal(res.x == 0, ref.x == 0) and np.any(ref.x == 0)  # the flush acted, identically
    np.testing.assert_array_equal(res.trajectory.iterations, [0, 200, 400, 600])
    np.testing.assert_allclose(res.trajectory.distance, ref.trajectory.distance, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-10, atol=1e-12)


def test_the_dense_backends_agree_on_the_twin(twins):
    """The reference itself: dense numba and dense numpy agree (so every backend equals every other)."""
    _, dense, kw = twins
    run = dict(trials=25, steps=600, seed=3, **kw)
    np.testing.assert_allclose(sgd(dense, backend="numba", **run).x, sgd(dense, backend="numpy", **run).x, **TOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_divergence_freezes_only_the_diverging_trials(twins, backend):
    problem, dense, kw = twins
    n = problem.n
    x0 = 0.3 * np.random.default_rng(0).standard_normal((6, n, 2))
    x0[[1, 4]] *= 1e3
    run = dict(trials=6, x0=x0, steps=200, seed=5, lr=kw["lr"], momentum=0.5)
    ref = sgd(dense, backend="numpy", **run)
    res = sgd(problem, backend=backend, **run)
    assert list(np.flatnonzero(ref.diverged)) == [1, 4]
    np.testing.assert_array_equal(res.status, ref.status)
    np.testing.assert_array_equal(res.nit, ref.nit)
    assert np.all(res.status[[0, 2, 3, 5]] == Status.MAX_ITER)
    ok = ~ref.diverged
    np.testing.assert_allclose(res.x[ok], ref.x[ok], **TOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_trials_do_not_depend_on_the_batch(twins, backend):
    problem, _, kw = twins
    run = dict(steps=300, seed=8, backend=backend, **kw)
    whole = sgd(problem, trials=20, **run)
    part = sgd(problem, trials=5, first_trial=12, **run)
    np.testing.assert_array_equal(part.x, whole.x[12:17])


def test_numba_kernels_are_thread_invariant(twins):
    problem, _, kw = twins
    a = sgd(problem, trials=40, steps=500, seed=1, backend="numba", workers=1, **kw)
    b = sgd(problem, trials=40, steps=500, seed=1, backend="numba", workers=2, **kw)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.nit, b.nit)


def test_auto_picks_the_numba_kernels(twins):
    problem, _, kw = twins
    assert sgd(problem, trials=3, steps=10, seed=0, **kw).options["backend"] == "numba"


def test_no_dense_matrix_is_formed(twins, monkeypatch):
    """Memory O(T n r + m n): neither A_i (m, n, n) nor the m × N matrix is built."""
    problem, _, kw = twins

    def refuse(self, *args, **kwargs):
        raise AssertionError("the dense matrix was formed")

    for cls in (RankOneOperator, EntrySamplingOperator):
        monkeypatch.setattr(cls, "_dense_matrix", refuse)
        monkeypatch.setattr(cls, "matrices", refuse)
    for backend in ("numpy", "numba"):
        sgd(problem, trials=4, steps=20, seed=0, backend=backend, record_every=10, **kw)


def test_unbiased_gradient_on_completion():
    """grad = 'unbiased' uses c = 4m on a matrix-free operator too: E[g] = ∇f."""
    op, z, _ = _completion()
    p = least_squares(op, z)
    x = np.random.default_rng(4).standard_normal((8, 2))
    T, lr = 20_000, 1e-9
    res = sgd(p, trials=T, steps=1, lr=lr, x0=x, grad="unbiased", seed=1)
    g = (x - res.x) / lr
    mean, sd = g.mean(axis=0), g.std(axis=0) / np.sqrt(T)
    assert np.all(np.abs(mean - p.gradient(x)) < 5 * sd + 1e-6 * np.abs(mean) + 1e-9)


@pytest.mark.parametrize(
    "op, why",
    [
        (gaussian_blocks(30, 4, seed=0), r"gaussian operator regenerates its A_i .* every row before it"),
        (
            from_callables(4, 3, lambda X: np.diag(X[:3, :3]).copy(), lambda y: np.diag(np.r_[y, 0.0])),
            r"callable operator exposes only apply/adjoint",
        ),
    ],
)
def test_operators_without_single_measurements_are_refused(op, why):
    p = least_squares(op, np.ones((4, 1)))
    with pytest.raises(InputError, match=why) as err:
        sgd(p, trials=2, steps=3, lr=1e-3)
    assert "to_dense()" in str(err.value) and "sp.gd" in str(err.value)


@pytest.mark.skipif(not torch_available(), reason="no torch")
def test_a_torch_twin_runs_its_source(twins):
    from spurious.core._torch_operators import to_torch

    problem, _, kw = twins
    twin = least_squares(to_torch(problem.loss.operator), problem.z)
    run = dict(trials=10, steps=200, seed=2, backend="numpy", **kw)
    np.testing.assert_allclose(sgd(twin, **run).x, sgd(problem, **run).x, **TOL)  # b = A(zzᵀ) from torch: rounding


@pytest.mark.skipif(not torch_available(), reason="no torch")
def test_torch_float32_follows_float64(twins):
    problem, _, kw = twins
    run = dict(trials=20, steps=300, seed=4, **kw)
    a = sgd(problem, backend="numpy", **run)
    b = sgd(problem, backend="torch", dtype="float32", **run)
    assert b.x.dtype == np.float64 and b.options["dtype"] == "float32"
    np.testing.assert_allclose(b.x, a.x, rtol=1e-3, atol=1e-4)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cuda_matches_numpy(twins, dtype):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    problem, _, kw = twins
    run = dict(trials=64, steps=300, seed=6, **kw)
    a = sgd(problem, backend="numpy", **run)
    b = sgd(problem, backend="torch", device="cuda", dtype=dtype, **run)
    tol = 1e-12 if dtype == "float64" else 1e-3
    np.testing.assert_allclose(b.x, a.x, rtol=tol, atol=tol)
    assert b.options["device"].startswith("cuda")
