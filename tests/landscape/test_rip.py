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
