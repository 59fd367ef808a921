import numpy as np
import pytest

from spurious.core._errors import InputError
from spurious.core._examples import (
    Example,
    bhojanapalli2016_example1,
    bhojanapalli2016_example2,
    examples,
    get_example,
)
from spurious.core._linalg import outer
from spurious.landscape._certify import certify
from spurious.landscape._rip import full_rank_delta

S = np.sqrt


def sym(rng, n):
    X = rng.standard_normal((n, n))
    return X + X.T


def f_of(example, X):
    inst = example.instance
    res = inst.operator.apply(X) - inst.b
    return float(res @ res)


@pytest.mark.parametrize("name", examples())
def test_every_listed_example_loads(name):
    ex = get_example(name)
    assert isinstance(ex, Example) and ex.name == name
    inst = ex.instance
    assert inst.x is not None and inst.x.shape[0] == inst.operator.n
    assert ex.source and ex.claim and ex.description and ex.truth
    p = inst.problem()
    assert float(p.value(inst.z @ np.eye(inst.z.shape[1], p.r))) == pytest.approx(0.0, abs=1e-14)


def test_unknown_example_lists_valid_names():
    with pytest.raises(InputError, match="zhang2018-example3") as e:
        get_example("nope")
    assert "bhojanapalli2016-example1" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(InputError, match="odd"):
        get_example("bhojanapalli2016-example2-rank4")
    with pytest.raises(InputError, match="limit"):
        get_example("bhojanapalli2016-example1-rank999")


# ---------------------------------------------------------------- zhang2018 Example 3


def test_zhang2018_example3_numbers():
    ex = get_example("zhang2018-example3")
    inst = ex.instance
    p = inst.problem()
    x = inst.x
    np.testing.assert_allclose(x, [[0.0], [1 / S(2)]])
    np.testing.assert_allclose(inst.z, [[1.0], [0.0]])
    assert float(p.value(x)) == pytest.approx(1.5, abs=1e-14)
    np.testing.assert_allclose(p.gradient(x), 0.0, atol=1e-14)
    np.testing.assert_allclose(p.hessian(x), np.diag([0.0, 8.0]), atol=1e-12)
    np.testing.assert_allclose(np.linalg.eigvalsh(inst.operator.kernel()), [1.0, 3.0, 3.0], atol=1e-12)
    assert full_rank_delta(inst.operator.kernel()) == pytest.approx(0.5, abs=1e-12)
    a = np.linspace(-0.7, 0.7, 29)
    curve = np.stack([a, S(0.5 - a**2)], axis=-1)[..., None]
    np.testing.assert_allclose(p.value(curve), 1.5 - 4 * a**4, atol=1e-12)
    c = certify(p, x, rng=0)
    assert c.second_order and c.spurious and c.local_min is False and c.witness_f < 1.5


# ---------------------------------------------------------------- bhojanapalli2016 Example 1


def test_example1_is_the_printed_objective():
    ex = get_example("bhojanapalli2016-example1")
    assert ex.instance.operator.symmetrized  # e1e2ᵀ and e2e1ᵀ are not symmetric
    rng = np.random.default_rng(0)
    for _ in range(5):
        X = sym(rng, 2)
        printed = (X[0, 0] + X[1, 1] - 1) ** 2 + (X[0, 0] - 1) ** 2 + X[0, 1] ** 2 + X[1, 0] ** 2
        assert f_of(ex, X) == pytest.approx(printed)
        assert f_of(ex, X) == pytest.approx((X[0, 0] + X[1, 1] - 1) ** 2 + (X[0, 0] - 1) ** 2 + 2 * X[0, 1] ** 2)


def test_example1_claim_fails_second_order_but_not_local_min():
    ex = get_example("bhojanapalli2016-example1")
    p, x = ex.instance.problem(), ex.instance.x
    np.testing.assert_allclose(x, [[0.0], [1.0]])
    assert float(p.value(x)) == pytest.approx(1.0)
    np.testing.assert_allclose(p.hessian(x), np.diag([0.0, 8.0]), atol=1e-12)
    # f − 1 = 2((t² + 2e)² − 2e²) + higher order at x = (t, 1 + e); along e = −t²/2, f < 1
    t = np.array([1e-2, 3e-2, 1e-1, -1e-1])
    for tt in t:
        e = 1e-3
        pt = np.array([[tt], [1 + e]])
        assert float(p.value(pt)) - 1 == pytest.approx(2 * ((tt**2 + 2 * e) ** 2 - 2 * e**2), rel=0.05, abs=1e-9)
    curve = np.stack([t, 1 - t**2 / 2], axis=-1)[..., None]
    vals = p.value(curve)
    assert np.all(vals < 1)
    np.testing.assert_allclose(vals, 1 - t**4 + t**6 / 2 + t**8 / 16, rtol=1e-10)
    c = certify(p, x, rng=0)
    assert c.second_order and c.spurious and not c.strict
    assert c.local_min is False and c.witness_f < 1.0


# ---------------------------------------------------------------- bhojanapalli2016 Example 2


def test_example2_is_the_printed_objective():
    ex = get_example("bhojanapalli2016-example2")
    rng = np.random.default_rng(1)
    for _ in range(5):
        X = sym(rng, 3)
        off = sum(X[i, j] ** 2 for i in range(3) for j in range(3) if i != j)
        printed = (np.trace(X) - 1) ** 2 + (X[0, 0] - 1) ** 2 + (X[1, 1] - X[2, 2]) ** 2 + off
        assert f_of(ex, X) == pytest.approx(printed)


def test_example2_claim_fails_strict_saddle():
    ex = get_example("bhojanapalli2016-example2")
    p, x = ex.instance.problem(), ex.instance.x
    assert p.r == 2
    np.testing.assert_allclose(outer(x), np.diag([0.0, 0.5, 0.5]))
    assert float(p.value(x)) == pytest.approx(1.0)
    c = certify(p, x, rng=0)
    assert c.first_order and not c.second_order and not c.spurious
    np.testing.assert_allclose(c.hess_eigs, [-2, -2, 4, 8, 8], atol=1e-10)
    assert c.symmetry_dim == 1
    assert c.local_min is False and c.witness_f < 1.0


# ---------------------------------------------------------------- rank-r extensions as printed


@pytest.mark.parametrize("r", [1, 2, 3])
def test_example1_extension_rank_is_r_plus_1(r):
    ex = bhojanapalli2016_example1(r)
    assert ex.name == f"bhojanapalli2016-example1-rank{r}" == get_example(ex.name).name
    inst = ex.instance
    assert inst.operator.n == r + 2
    Mstar = outer(inst.z)
    np.testing.assert_allclose(Mstar, np.diag([1.0, 0.0] + [1.0] * r))
    assert np.linalg.matrix_rank(Mstar) == r + 1  # as printed: r + 1, not r
    assert np.linalg.matrix_rank(outer(inst.x)) == r + 1
    assert inst.metadata["rank_x_star"] == r + 1
    p = inst.problem()
    assert float(p.value(inst.x)) == pytest.approx(1.0)
    c = certify(p, inst.x, rng=0)
    assert c.first_order and not c.second_order and c.local_min is False


@pytest.mark.parametrize("r", [3, 5])
def test_example2_extension_is_a_saddle(r):
    ex = bhojanapalli2016_example2(r)
    inst = ex.instance
    assert inst.operator.n == r and inst.x.shape == (r, r)
    np.testing.assert_allclose(outer(inst.x), (np.eye(r) - outer(inst.z)) / 2)
    p = inst.problem()
    assert float(p.value(inst.x)) == pytest.approx(1.0)
    rng = np.random.default_rng(2)
    X = sym(rng, r)
    printed = (X[0, 0] - 1) ** 2 + sum(
        (X[0, 0] + X[2 * i - 1, 2 * i - 1] + X[2 * i, 2 * i] - 1) ** 2
        + (X[2 * i - 1, 2 * i - 1] - X[2 * i, 2 * i]) ** 2
        for i in range(1, (r - 1) // 2 + 1)
    )
    assert f_of(ex, X) == pytest.approx(printed)
    c = certify(p, inst.x, rng=0)
    assert c.first_order and not c.second_order and c.local_min is False


# ---------------------------------------------------------------- corrected variants


def test_example1_corrected():
    ex = get_example("bhojanapalli2016-example1-corrected")
    rng = np.random.default_rng(3)
    X = sym(rng, 2)
    # the only change: X12² + X21² → (X12 + X21)² + (X21 + X12)²
    changed = (X[0, 0] + X[1, 1] - 1) ** 2 + (X[0, 0] - 1) ** 2 + 2 * (X[0, 1] + X[1, 0]) ** 2
    assert f_of(ex, X) == pytest.approx(changed)
    p, x = ex.instance.problem(), ex.instance.x
    np.testing.assert_allclose(x, get_example("bhojanapalli2016-example1").instance.x)
    c = certify(p, x, rng=0)
    assert c.f == pytest.approx(1.0)
    np.testing.assert_allclose(p.hessian(x), np.diag([12.0, 8.0]), atol=1e-12)
    assert c.strict and c.spurious and c.local_min is True and c.method == "strict"


def test_example2_corrected():
    ex = get_example("bhojanapalli2016-example2-corrected")
    rng = np.random.default_rng(4)
    X = sym(rng, 3)
    off = sum((X[i, j] + X[j, i]) ** 2 for i in range(3) for j in range(3) if i != j)
    changed = (np.trace(X) - 1) ** 2 + (X[0, 0] - 1) ** 2 + (X[1, 1] - X[2, 2]) ** 2 + off
    assert f_of(ex, X) == pytest.approx(changed)
    c = certify(ex.instance.problem(), ex.instance.x, rng=0)
    assert c.f == pytest.approx(1.0)
    np.testing.assert_allclose(c.hess_eigs, [4, 4, 8, 8, 16], atol=1e-10)
    assert c.strict and c.spurious and c.local_min is True


@pytest.mark.parametrize("r", [1, 2, 4])
def test_example1_corrected_extension(r):
    ex = get_example(f"bhojanapalli2016-example1-corrected-rank{r}")
    inst = ex.instance
    assert inst.operator.n == r + 1
    assert np.linalg.matrix_rank(outer(inst.z)) == r == inst.x.shape[1]
    c = certify(inst.problem(), inst.x, rng=0)
    assert c.f == pytest.approx(1.0)
    assert c.strict and c.spurious and c.local_min is True
    assert c.symmetry_dim == r * (r - 1) // 2


@pytest.mark.parametrize("r", [3, 5])
def test_example2_corrected_extension(r):
    ex = get_example(f"bhojanapalli2016-example2-corrected-rank{r}")
    inst = ex.instance
    assert inst.operator.n == r and inst.x.shape == (r, r - 1)
    c = certify(inst.problem(), inst.x, rng=0)
    assert c.f == pytest.approx(1.0)
    assert c.strict and c.spurious and c.local_min is True
    if r == 3:  # coincides with the corrected Example 2
        base = get_example("bhojanapalli2016-example2-corrected").instance
        np.testing.assert_allclose(inst.operator.kernel(), base.operator.kernel())


def test_rank1_corrected_extension_is_corrected_example1():
    a = get_example("bhojanapalli2016-example1-corrected-rank1").instance
    b = get_example("bhojanapalli2016-example1-corrected").instance
    np.testing.assert_allclose(a.operator.kernel(), b.operator.kernel())
    np.testing.assert_allclose(a.x, b.x)
