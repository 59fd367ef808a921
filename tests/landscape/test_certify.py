import json

import numpy as np
import pytest

import spurious as sp
import spurious.landscape._certify as certify_mod
from spurious.core._errors import InputError, TooLargeError
from spurious.core._examples import get_example
from spurious.core._operators import SensingOperator, from_kernel, rectangular_gaussian, symmetric_gaussian
from spurious.core._problems import asymmetric_least_squares, least_squares, one_bit
from spurious.landscape._certify import Certificate, certify
from spurious.landscape._strict_saddle import strict_saddle_check


def example3():
    inst = get_example("zhang2018-example3").instance
    return inst.problem(), inst.x


def test_example3_second_order_not_local_min():
    p, x = example3()
    c = certify(p, x, rng=0)
    assert isinstance(c, Certificate)
    assert c.f == pytest.approx(1.5, abs=1e-14)
    assert c.grad_norm < 1e-12
    np.testing.assert_allclose(c.hess_eigs, [0.0, 8.0], atol=1e-10)
    assert c.symmetry_dim == 0
    assert c.second_order and c.first_order and not c.strict
    assert c.spurious
    assert c.distance == pytest.approx(np.sqrt(1 + 0.25))
    assert c.local_min is False
    assert c.method in ("third-order", "fourth-order", "sphere-search")
    assert c.witness.shape == (2, 1)
    assert c.witness_f < c.f
    assert float(p.value(c.witness)) == pytest.approx(c.witness_f, rel=0, abs=1e-15)
    assert c.witness_distance == pytest.approx(np.linalg.norm(c.witness - x))
    assert c.witness_distance <= 0.2


def test_example3_hessian_is_diag_0_8():
    p, x = example3()
    np.testing.assert_allclose(p.hessian(x), np.diag([0.0, 8.0]), atol=1e-12)
    np.testing.assert_allclose(p.gradient(x), 0.0, atol=1e-14)


def test_sphere_search_alone_finds_example3_witness(monkeypatch):
    monkeypatch.setattr(certify_mod, "_higher_order", lambda *a, **k: (None, None))
    p, x = example3()
    c = certify(p, x, rng=0)
    assert c.method == "sphere-search"
    assert c.local_min is False
    assert float(p.value(c.witness)) < 1.5


def test_decide_false_leaves_degenerate_undecided():
    p, x = example3()
    c = certify(p, x, decide=False)
    assert c.local_min is None and c.witness is None and c.method == "skipped"
    assert c.second_order and c.spurious


def test_global_minimum_is_strict():
    rng = np.random.default_rng(0)
    op = symmetric_gaussian(30, 4, rng=1)
    z = rng.standard_normal((4, 2))
    c = certify(least_squares(op, z), z, rng=0)
    assert c.local_min is True and c.method == "strict" and c.strict
    assert not c.spurious
    assert c.distance < 1e-12
    assert c.symmetry_dim == 1
    assert c.hess_eigs.shape == (4 * 2 - 1,)
    assert c.witness is None


def test_rotation_invariance_of_spectrum():
    rng = np.random.default_rng(1)
    op = symmetric_gaussian(20, 4, rng=2)
    z = rng.standard_normal((4, 2))
    p = least_squares(op, z)
    x = rng.standard_normal((4, 2))
    Q, _ = np.linalg.qr(rng.standard_normal((2, 2)))
    a = certify(p, x, rng=0)
    b = certify(p, x @ Q, rng=0)
    np.testing.assert_allclose(a.hess_eigs, b.hess_eigs, rtol=1e-9, atol=1e-9 * a.scale)
    assert a.f == pytest.approx(b.f)


def test_non_critical_point_has_descent_witness():
    rng = np.random.default_rng(2)
    op = symmetric_gaussian(20, 4, rng=3)
    p = least_squares(op, rng.standard_normal((4, 1)))
    x = rng.standard_normal((4, 1))
    c = certify(p, x, rng=0)
    assert not c.first_order and not c.second_order and not c.spurious
    assert c.local_min is False and c.method == "gradient"
    assert c.witness_f < c.f * (1 - 1e-6)  # a clear (Armijo) decrease, not rounding
    assert float(p.value(c.witness)) == pytest.approx(c.witness_f)


def test_saddle_has_negative_curvature_witness():
    # x = 0 is a critical point of any noiseless problem with M* ≠ 0, with negative curvature.
    op = symmetric_gaussian(20, 3, rng=4)
    z = np.array([[1.0], [2.0], [0.5]])
    p = least_squares(op, z)
    c = certify(p, np.zeros((3, 1)), rng=0)
    assert c.first_order and not c.second_order
    assert c.hess_min_eig < 0
    assert c.local_min is False and c.method == "negative-curvature"
    assert c.witness_f < c.f


def test_degenerate_global_minimum_is_never_claimed():
    # Over-parametrized global minimum x = [z, 0]: zero curvature beyond the symmetry, no descent.
    rng = np.random.default_rng(0)
    op = symmetric_gaussian(30, 4, rng=1)
    z = rng.standard_normal((4, 1))
    p = least_squares(op, z, r=2)
    c = certify(p, np.hstack([z, np.zeros((4, 1))]), rng=0)
    assert c.second_order and not c.strict and not c.spurious
    assert c.null_dim >= 1
    assert c.local_min is None and c.method == "undecided" and c.witness is None


def test_one_bit_and_lifted_asymmetric():
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((5, 2))
    c = certify(one_bit(Z @ Z.T, 2), Z, rng=0)
    assert c.local_min is True and c.symmetry_dim == 1
    op = rectangular_gaussian(40, (3, 4), rng=2)
    M = rng.standard_normal((3, 1)) @ rng.standard_normal((1, 4))
    ap = asymmetric_least_squares(op, M, 1)
    c = certify(ap.lifted(), ap.balanced_factor(), rng=0)
    assert c.local_min is True and c.distance < 1e-10
    with pytest.raises(InputError, match="SymmetricProblem"):
        certify(ap, ap.balanced_factor())


def test_to_dict_is_json():
    p, x = example3()
    d = certify(p, x, rng=0).to_dict()
    s = json.loads(json.dumps(d))
    for key in ("f", "grad_norm", "hess_min_eig", "second_order", "spurious", "local_min", "witness", "distance"):
        assert key in s
    assert s["local_min"] is False and isinstance(s["witness"], list)


def test_tolerances_are_relative_to_scale():
    p, x = example3()
    c = certify(p, x, rng=0)
    assert c.scale == pytest.approx(8.0)
    assert c.eig_tol_abs == pytest.approx(c.eig_tol * 8.0)
    # a point off by 1e-3 is not first order at the default tolerance, but is at a loose one
    y = x + 1e-3
    assert not certify(p, y, decide=False).first_order
    assert certify(p, y, grad_tol=1e-1, decide=False).first_order


def test_bad_input():
    p, x = example3()
    with pytest.raises(InputError, match="x: shape"):
        certify(p, np.zeros((3, 1)))
    with pytest.raises(InputError, match="NaN"):
        certify(p, np.array([[np.nan], [1.0]]))
    with pytest.raises(InputError, match="grad_tol"):
        certify(p, x, grad_tol=-1.0)


def test_strict_saddle_check_isometry():
    # ‖A(X)‖² = 2‖X‖² (δ = 0, p = 2); M* = diag(2, 1, 0), r = 2; U = [√2 e1, 0] is a first-order
    # point with curvature −4σ_2(M*)·p along [0, e2]: λ_min/p = −4 ≤ −(2/5)·1.
    op = from_kernel(2.0 * np.eye(6))
    z = np.diag([np.sqrt(2.0), 1.0, 0.0])[:, :2]
    p = least_squares(op, z)
    U = np.zeros((3, 2))
    U[0, 0] = np.sqrt(2.0)
    s = strict_saddle_check(p, U)
    assert s.delta4r == pytest.approx(0.0, abs=1e-12)
    assert s.p == pytest.approx(2.0)
    assert s.sigma_r == pytest.approx(1.0)
    assert s.bound == pytest.approx(-0.4)
    assert s.first_order and s.distinct and s.noiseless and s.applies
    assert s.lambda_min_normalized == pytest.approx(-4.0)
    assert s.holds
    # at the ground truth the theorem does not apply (UUᵀ = X*)
    assert not strict_saddle_check(p, z).applies
    # a non-critical point: not first order
    assert not strict_saddle_check(p, np.ones((3, 2))).first_order
    # a large δ: hypotheses fail
    assert not strict_saddle_check(p, U, 0.3).applies
    with pytest.raises(InputError, match="delta4r"):
        strict_saddle_check(p, U, 1.5)


def test_strict_saddle_check_needs_least_squares():
    Z = np.eye(3)[:, :1]
    with pytest.raises(InputError, match="least-squares"):
        strict_saddle_check(one_bit(Z @ Z.T, 1), Z, 0.05)


def test_too_large_hessian_is_refused_and_large_nr_goes_matrix_free():
    n, r = 1400, 1  # nr ≤ EXPLICIT_MAX_NR, but building the Hessian would need ~22 GB
    op = SensingOperator(np.ones((1, n * (n + 1) // 2)), n)
    p = least_squares(op, np.eye(n)[:, :r])
    with pytest.raises(TooLargeError, match="Hessian"):
        certify(p, np.eye(n)[:, :r])
    n, r = 120, 15  # nr = 1,800 > EXPLICIT_MAX_NR: Lanczos on Hessian-vector products
    op = SensingOperator(np.ones((1, n * (n + 1) // 2)), n)
    p = least_squares(op, np.eye(n)[:, :r])
    cert = certify(p, np.eye(n)[:, :r], rng=0)
    assert cert.hessian == "lanczos" and cert.hess_eigs.shape == (1,)


@pytest.mark.parametrize("seed", range(6))
def test_false_exactly_with_a_verified_witness(seed):
    rng = np.random.default_rng(seed)
    n, r = 3, 1 + seed % 2
    op = symmetric_gaussian(4 + seed, n, rng=seed)
    p = least_squares(op, rng.standard_normal((n, r)))
    for x in (rng.standard_normal((n, r)), np.zeros((n, r)), 1e-3 * rng.standard_normal((n, r))):
        c = certify(p, x, rng=seed)
        assert (c.local_min is False) == (c.witness is not None)
        if c.witness is not None:
            assert float(p.value(c.witness)) < c.f
        if c.local_min is True:
            assert c.strict


def test_certify_accepts_an_example_an_instance_or_a_problem_and_defaults_x():
    ex = get_example("zhang2018-example3")
    ref = certify(ex.instance.problem(), ex.instance.x, rng=0)
    for obj in ("zhang2018-example3", ex, ex.instance):
        c = certify(obj, rng=0)
        assert (c.f, c.grad_norm, c.local_min, c.method) == (ref.f, ref.grad_norm, ref.local_min, ref.method)
    other = certify(ex, np.array([0.3, 0.2]), rng=0)  # an explicit x overrides the instance's
    assert other.f == pytest.approx(float(ex.instance.problem().value(np.array([[0.3], [0.2]]))))
    with pytest.raises(InputError, match="carries no point"):
        certify(ex.instance.problem())


def test_certify_refuses_bad_tolerances():
    p, x = example3()
    for kw in ({"grad_tol": -1.0}, {"eig_tol": float("nan")}, {"starts": -1}):
        with pytest.raises(InputError, match=next(iter(kw))):
            certify(p, x, **kw)


def test_strict_saddle_check_accepts_an_example():
    ex = get_example("zhang2018-example3")
    a = strict_saddle_check(ex)
    b = strict_saddle_check(ex.instance.problem(), ex.instance.x)
    assert a.to_dict() == b.to_dict()


# ----------------------------------------------------------------------------- local_min needs a proof (issue #10)


@pytest.fixture(scope="module")
def strict_instance():
    """zhang2018-type counterexample whose x is a strict spurious local minimum (margin μ = 0.01)."""
    return sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=0.01).instance


def test_strict_point_is_a_local_minimum_with_its_ball(strict_instance):
    cert = sp.certify(strict_instance)
    assert cert.local_min is True and cert.method == "strict"
    assert cert.ball is not None and cert.ball.holds and cert.ball.radius < 1e-6
    assert "critical point within" in cert.reason or "exactly critical" in cert.reason
    assert cert.to_dict()["critical_ball_radius"] == cert.ball.radius


def test_small_gradient_and_positive_curvature_alone_are_undecided():
    """A first-order point (by the tolerance) with small positive curvature: once 4Lε > λ² the
    ball cannot close, so no claim is made — whatever is true nearby."""
    inst = sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=1e-3).instance
    d = np.array([[1.0], [-2.0], [0.5]])
    close = sp.certify(inst, inst.x + 1e-8 * d)  # ‖∇g‖ ≈ 2.4e-8: the ball closes (4Lε ≈ 1.4e-6 ≤ λ² = 4e-6)
    assert close.local_min is True and close.ball.radius < 1e-4
    cert = sp.certify(inst, inst.x + 1e-7 * d)  # ‖∇g‖ ≈ 2.4e-7, still under the first-order tolerance
    assert cert.first_order and cert.strict and 0 < cert.hess_min_eig < 3e-3
    assert cert.local_min is None and cert.method == "undecided"
    assert "Newton–Kantorovich" in cert.reason and not cert.ball.holds
    assert "undecided" in str(cert)


def test_exactly_critical_strict_point_needs_no_radius():
    """At an exact critical point (‖∇g‖ = 0 in floating point) the ball has radius 0."""
    s = 1 / np.sqrt(2.0)
    op = sp.operators.from_matrices(
        np.array([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]], [[0.0, s], [s, 0.0]]])
    )
    p = sp.least_squares(op, np.array([[1.0], [0.0]]))
    cert = sp.certify(p, np.array([[1.0], [0.0]]))  # the global minimum: residual exactly 0
    assert cert.grad_norm == 0.0 and cert.strict
    assert cert.local_min is True and cert.ball.radius == 0.0 and "exactly critical" in cert.reason


def test_counterexample_verification_proves_strictness(strict_instance):
    ce = sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=0.01)
    v = ce.verification
    assert v.passed and v.ball is not None and v.ball.holds
    degenerate = sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]])
    assert degenerate.verification.ball is None  # margin 0 claims no local minimum
    with pytest.raises(sp.VerificationError, match="Newton–Kantorovich"):  # λ = 2e-6: not provable in float64
        sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=1e-6)


# ----------------------------------------------------------------------------- Hessian-free certificates (issue #12)


def _both_paths(src, x, monkeypatch):
    explicit = sp.certify(src, x, rng=0)
    monkeypatch.setattr(certify_mod, "EXPLICIT_MAX_NR", 0)
    lanczos = sp.certify(src, x, rng=0)
    monkeypatch.undo()
    return explicit, lanczos


@pytest.mark.parametrize("where", ["global", "strict-spurious", "saddle"])
def test_lanczos_path_agrees_with_the_explicit_hessian(where, monkeypatch):
    rng = np.random.default_rng(0)
    if where == "strict-spurious":
        src, x = sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=0.01).instance, None
    else:
        z = rng.standard_normal((12, 2))
        src = sp.least_squares(sp.operators.gaussian(200, 12, rng=1), z, scaling="mean")
        x = z if where == "global" else 0.1 * rng.standard_normal((12, 2))
    a, b = _both_paths(src, x, monkeypatch)
    assert a.hessian == "explicit" and b.hessian == "lanczos" and b.hess_residual < 1e-8 * b.scale
    assert b.hess_min_eig == pytest.approx(a.hess_min_eig, rel=1e-8, abs=1e-10 * a.scale)
    assert (a.first_order, a.second_order, a.strict, a.local_min) == (
        b.first_order,
        b.second_order,
        b.strict,
        b.local_min,
    )


def test_matrix_free_operator_is_certified_without_the_hessian():
    """Rank-one (quadratic) sensing: never a dense matrix; same answer as its dense twin."""
    rng = np.random.default_rng(2)
    op = sp.operators.quadratic_sensing(600, 30, rng=3)
    z = rng.standard_normal((30, 2))
    cert = sp.certify(sp.least_squares(op, z), z)
    assert cert.hessian == "lanczos" and cert.local_min is True and not cert.spurious
    dense = sp.certify(sp.least_squares(op.to_dense(), z), z)
    assert dense.hessian == "explicit"
    assert cert.hess_min_eig == pytest.approx(dense.hess_min_eig, rel=1e-8)
    far = sp.certify(sp.least_squares(op, z), 0.01 * rng.standard_normal((30, 2)))
    assert far.local_min is False and far.method == "gradient"
