import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spurious.core._errors import InputError, TooLargeError
from spurious.core._linalg import svec
from spurious.core._operators import SensingOperator, from_kernel, from_matrices, gaussian, symmetric_gaussian
from spurious.landscape._rip import RIPBounds, delta_from_bounds, full_rank_delta, rip_bounds, sampled_ratios

S = np.sqrt


def example3_operator():
    A = np.array([[[S(2), 0], [0, 1 / S(2)]], [[0, S(1.5)], [S(1.5), 0]], [[0, 0], [0, S(1.5)]]])
    return from_matrices(A)


def test_delta_from_bounds():
    assert delta_from_bounds(1.0, 3.0) == pytest.approx(0.5)
    assert delta_from_bounds(0.0, 3.0) == 1.0
    assert delta_from_bounds(-1.0, 3.0) == 1.0
    assert delta_from_bounds(2.0, 2.0) == 0.0


def test_example3_full_rank_exact():
    op = example3_operator()
    lam = np.linalg.eigvalsh(op.kernel())
    np.testing.assert_allclose(lam, [1.0, 3.0, 3.0], atol=1e-12)
    assert full_rank_delta(op.kernel()) == pytest.approx(0.5, abs=1e-12)
    b = rip_bounds(op, 2, samples=500, rng=0)
    assert b.method == "exact"
    assert b.lower == b.upper == b.exact == pytest.approx(0.5, abs=1e-12)
    assert b.sampled <= b.lower
    assert (b.alpha, b.beta) == pytest.approx((1.0, 3.0))


def _rank1_delta_n2(op: SensingOperator, grid: int = 200_001) -> float:
    """δ_1 of an n = 2 operator by brute force over u = (cos θ, sin θ) (rank-1 symmetric = ±uuᵀ)."""
    th = np.linspace(0.0, np.pi, grid)
    u = np.stack([np.cos(th), np.sin(th)], axis=1)
    X = svec(u[:, :, None] * u[:, None, :])
    AX = X @ op.matrix.T
    ratio = np.sum(AX * AX, axis=1)  # ‖uuᵀ‖ = 1
    return delta_from_bounds(ratio.min(), ratio.max())


def test_adversarial_matches_brute_force_rank1():
    op = example3_operator()
    truth = _rank1_delta_n2(op)
    b = rip_bounds(op, 1, samples=2000, starts=4, rng=1)
    assert b.method == "adversarial"
    assert b.sampled <= b.adversarial == b.lower <= b.upper
    assert b.lower <= truth + 1e-9
    assert b.lower == pytest.approx(truth, abs=1e-6)
    assert truth == pytest.approx(0.2, abs=1e-6)  # Example 3: ratios of rank-1 matrices span [2, 3]
    assert b.upper == pytest.approx(0.5)


def test_adversarial_is_sharper_than_sampling():
    op = gaussian(60, 8, rng=3)
    b = rip_bounds(op, 2, samples=2000, starts=4, rng=0)
    assert b.sampled < b.adversarial <= b.upper
    assert b.lam_min <= b.alpha <= b.beta <= b.lam_max


def test_sampled_ratios_shape_and_determinism():
    op = symmetric_gaussian(10, 4, rng=0)
    a = sampled_ratios(op, 2, 300, rng=5)
    b = sampled_ratios(op, 2, 300, rng=5)
    assert a.shape == (300,)
    np.testing.assert_array_equal(a, b)
    r, lo, hi = sampled_ratios(op, 2, 300, rng=5, return_extremes=True)
    np.testing.assert_array_equal(r, a)
    assert lo.shape == hi.shape == (4, 2)


def test_seed_determines_result():
    op = symmetric_gaussian(12, 4, rng=0)
    assert rip_bounds(op, 2, samples=300, starts=2, rng=7) == rip_bounds(op, 2, samples=300, starts=2, rng=7)


def test_isometry_has_delta_zero():
    op = from_kernel(2.0 * np.eye(6))
    for k in (1, 2, 3):
        b = rip_bounds(op, k, samples=100, starts=1, rng=0)
        assert b.upper == pytest.approx(0.0, abs=1e-12)
        assert b.lower == pytest.approx(0.0, abs=1e-12)


def test_no_samples():
    op = symmetric_gaussian(12, 4, rng=0)
    b = rip_bounds(op, 2, samples=0, starts=2, rng=0)
    assert b.sampled is None
    assert 0.0 <= b.lower <= b.upper


def test_to_dict_keys():
    d = rip_bounds(example3_operator(), 1, samples=100, starts=1, rng=0).to_dict()
    assert {"lower", "upper", "method"} <= set(d)


def test_bad_input():
    op = example3_operator()
    with pytest.raises(InputError, match="rank"):
        rip_bounds(op, 0)
    with pytest.raises(InputError, match="samples"):
        rip_bounds(op, 1, samples=-1)
    with pytest.raises(InputError, match="operator"):
        rip_bounds(np.eye(3), 1)
    with pytest.raises(InputError, match="samples > 0 or starts > 0"):
        rip_bounds(op, 1, samples=0, starts=0)
    assert rip_bounds(op, 2, samples=0, starts=0).lower == pytest.approx(0.5)  # rank ≥ n: exact anyway


def test_too_large_is_refused():
    n = 300  # N = 45150: H would need ~49 GB
    op = SensingOperator(np.zeros((1, n * (n + 1) // 2)), n)
    with pytest.raises(TooLargeError, match="would need"):
        rip_bounds(op, 2)


@given(
    n=st.integers(2, 4),
    m=st.integers(1, 14),
    k=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_sampled_le_lower_le_upper(n, m, k, seed):
    op = gaussian(m, n, rng=seed)
    b = rip_bounds(op, k, samples=200, starts=1, maxiter=50, rng=seed)
    assert isinstance(b, RIPBounds)
    assert 0.0 <= b.sampled <= b.adversarial == b.lower <= b.upper <= 1.0
    assert b.upper == pytest.approx(full_rank_delta(op.kernel()))
    if k >= n:
        assert b.lower == b.upper == b.exact


def test_full_rank_delta_in_a_fixed_normalization():
    # bhojanapalli2016 eq. (3): (1 − δ)‖X‖² ≤ ‖A(X)‖²/m ≤ (1 + δ)‖X‖² over all symmetric X
    op = gaussian(400, 4, np.random.default_rng(1))
    d = full_rank_delta(op.kernel(), scale=400)
    X = np.random.default_rng(2).standard_normal((50, 4, 4))
    X = X + np.swapaxes(X, 1, 2)
    ratio = np.sum(op.apply(X) ** 2, axis=1) / 400 / np.sum(X * X, axis=(1, 2))
    assert np.all(np.abs(ratio - 1.0) <= d + 1e-12)
    assert full_rank_delta(op.kernel()) <= d < 1.0  # never below the scale-free δ
    lam = np.linalg.eigvalsh(op.kernel())
    assert d == max(1 - lam[0] / 400, lam[-1] / 400 - 1)
    with pytest.raises(InputError, match="scale"):
        full_rank_delta(op.kernel(), scale=0.0)


def test_rip_bounds_accepts_an_example_an_instance_and_a_problem():
    from spurious.core._examples import get_example

    ex = get_example("zhang2018-example3")
    ref = rip_bounds(ex.instance.operator, 2)
    for obj in ("zhang2018-example3", ex, ex.instance, ex.instance.problem()):
        b = rip_bounds(obj, 2)
        assert (b.lower, b.upper, b.method) == (ref.lower, ref.upper, ref.method)
    with pytest.raises(InputError, match="expected a sensing operator"):
        rip_bounds(3.0, 2)


@pytest.mark.parametrize("kw", [{"rank": 0}, {"rank": 1.5}, {"samples": -1}, {"starts": -2}, {"maxiter": 0}])
def test_rip_bounds_refuses_bad_scalars(kw):
    args = {"rank": 2, **kw}
    with pytest.raises(InputError, match=next(iter(kw))):
        rip_bounds(example3_operator(), **args)


# ----------------------------------------------------------------------------- matrix-free operators


def _matrix_free_kinds():
    from spurious.core import _matrix_free as mf

    dense = gaussian(30, 4, rng=5)
    return {
        "rank-one": mf.quadratic_sensing(40, 6, rng=1),
        "completion": mf.entry_sampling(6, 0.6, rng=4),
        "gaussian": mf.gaussian_blocks(60, 5, seed=2),
        "callable": mf.from_callables(dense.n, dense.m, dense.apply, dense.adjoint),
    }


@pytest.mark.parametrize("kind", ["rank-one", "completion", "gaussian", "callable"])
def test_matrix_free_bounds_equal_the_dense_twin(kind):
    op = _matrix_free_kinds()[kind]
    free = rip_bounds(op, 2, samples=400, starts=2, maxiter=60, rng=3)
    dense = rip_bounds(op.to_dense(), 2, samples=400, starts=2, maxiter=60, rng=3)
    assert free.sampled == pytest.approx(dense.sampled, rel=1e-12)  # the same draws, the same ratios
    assert free.adversarial == pytest.approx(dense.adversarial, rel=1e-6, abs=1e-9)
    assert free.sampled <= free.lower <= free.upper
    if op.m < op.N:  # a singular kernel: δ_n = 1 without an eigensolve
        assert (free.exact, free.lam_min, free.exact_from) == (1.0, 0.0, "rank H ≤ m < N")
        assert np.isnan(free.lam_max) and dense.exact == pytest.approx(1.0, abs=1e-9)
    else:
        assert free.exact == pytest.approx(dense.exact, rel=1e-12) and free.exact_from == "eigenvalues of H"


def test_matrix_free_sampled_ratios_equal_the_dense_ones():
    op = _matrix_free_kinds()["rank-one"]
    np.testing.assert_allclose(
        sampled_ratios(op, 3, 50, rng=0), sampled_ratios(op.to_dense(), 3, 50, rng=0), rtol=1e-12
    )


@pytest.mark.parametrize("kind", ["rank-one", "completion"])
def test_matrix_free_ratio_gradient_finite_differences(kind):
    from spurious.landscape._rip import _ratio_and_grad, _ratio_and_grad_free

    op = _matrix_free_kinds()[kind]
    n, k = op.n, 2
    rng = np.random.default_rng(0)
    u, d = rng.standard_normal(n * k), rng.standard_normal(n * k)
    signs = np.array([1.0, -1.0])
    rho, g, _ = _ratio_and_grad_free(u, signs, op, n, k)
    rho_d, g_d, _ = _ratio_and_grad(u, signs, op.to_dense().matrix, n, k)
    assert rho == pytest.approx(rho_d, rel=1e-12)
    np.testing.assert_allclose(g, g_d, rtol=1e-10, atol=1e-12)
    h = 1e-6
    fd = (_ratio_and_grad_free(u + h * d, signs, op, n, k)[0] - _ratio_and_grad_free(u - h * d, signs, op, n, k)[0]) / (
        2 * h
    )
    assert fd == pytest.approx(float(g @ d), rel=1e-6, abs=1e-9)


def test_matrix_free_work_is_counted_per_ratio():
    from spurious.core._instances import make_instance

    inst = make_instance("rank-one", 200, 2, m=4000, seed=0)  # a ratio costs ~2·m·n·k flops here
    with pytest.raises(TooLargeError, match="units per ratio"):
        rip_bounds(inst, 4, samples=10**8)
    b = rip_bounds(inst, 4, samples=50, starts=1, maxiter=5, rng=0)  # the instance itself is accepted
    assert b.exact == 1.0 and b.lower > 0.5  # rank-one measurements: far from isometric (‖a‖⁴ ≈ n²)
