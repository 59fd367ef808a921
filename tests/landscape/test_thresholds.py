import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spurious as sp
from spurious.core._errors import InputError, NoInstanceError, SolverError
from spurious.core._linalg import (
    gradient_form,
    hessian_form,
    orthogonal_complement,
    rotation_directions,
    smat,
    svec_dim,
    sym_jacobian,
)
from spurious.landscape._closed_forms import delta_foc_closed
from spurious.landscape._thresholds import (
    _Data,
    _solve,
    delta_foc_program,
    delta_soc,
    lift_kernel,
    margin_curve,
    program_data,
    reduce_pair,
    threshold_program,
    thresholds,
)

X3 = np.array([0.0, 1.0 / np.sqrt(2.0)])
Z3 = np.array([1.0, 0.0])


def rand_pair(rng, n, r):
    return rng.standard_normal((n, r)), rng.standard_normal((n, r))


# ----------------------------------------------------------------------------- papers' numbers


def test_example3_geometry_second_order():
    res = threshold_program(X3, Z3)
    assert res.eta == pytest.approx(1.0 / 3.0, abs=1e-6)
    assert res.delta == pytest.approx(0.5, abs=1e-6)
    assert res.status == "optimal" and res.certified and res.reduced


def test_example3_geometry_first_order():
    assert delta_foc_program(X3, Z3) == pytest.approx(1.0 / np.sqrt(5.0), abs=1e-6)
    assert thresholds(X3, Z3).delta_foc == pytest.approx(1.0 / np.sqrt(5.0), abs=1e-12)


def test_scs_agrees_with_clarabel():
    rng = np.random.default_rng(3)
    cases = [(X3, Z3, "second"), (X3, Z3, "first"), (*rand_pair(rng, 4, 2), "second"), (*rand_pair(rng, 5, 1), "first")]
    for x, z, order in cases:
        a = threshold_program(x, z, order=order, solver="clarabel")
        b = threshold_program(x, z, order=order, solver="scs")
        assert b.solver == "scs"
        assert abs(a.delta - b.delta) < 1e-7, (order, a.delta, b.delta)


@pytest.mark.parametrize("n", range(2, 51))
def test_orthogonal_half_norm_gives_one_half(n):
    # zhang2018 §4: rank 1, xᵀz = 0 and ‖x‖ = ‖z‖/√2 gives δ = 1/2 for every n.
    rng = np.random.default_rng(n)
    z = rng.standard_normal(n)
    x = rng.standard_normal(n)
    x -= (x @ z) / (z @ z) * z
    x *= np.linalg.norm(z) / np.sqrt(2.0) / np.linalg.norm(x)
    assert delta_soc(x, z) == pytest.approx(0.5, abs=1e-6)


# ----------------------------------------------------------------------------- reduced path = full program


@pytest.mark.parametrize(("n", "r"), [(3, 1), (4, 2), (5, 1)])
@pytest.mark.parametrize("order", ["first", "second"])
def test_reduced_equals_full(n, r, order):
    rng = np.random.default_rng(10 * n + r)
    x, z = rand_pair(rng, n, r)
    a = threshold_program(x, z, order=order)
    b = threshold_program(x, z, order=order, reduce=False)
    assert a.reduced and not b.reduced
    assert a.k == min(n, 2 * r) and b.k == n
    assert a.certified and b.certified
    assert abs(a.delta - b.delta) < 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("n", [6, 7, 8, 9, 10])
@pytest.mark.parametrize("r", [1, 2])
def test_reduced_equals_full_sweep(n, r):
    rng = np.random.default_rng(100 * n + r)
    for _ in range(2):
        x, z = rand_pair(rng, n, r)
        for order in ("first", "second"):
            a = threshold_program(x, z, order=order)
            b = threshold_program(x, z, order=order, reduce=False)
            assert abs(a.delta - b.delta) < 1e-6


@pytest.mark.parametrize("r", [1, 2])
def test_lifted_kernel_is_feasible_for_the_full_program(r):
    rng = np.random.default_rng(7 + r)
    n = 7
    x, z = rand_pair(rng, n, r)
    res = threshold_program(x, z, return_kernel=True)
    H = res.H
    assert H.shape == (svec_dim(n), svec_dim(n))
    lam = np.linalg.eigvalsh(H)
    assert lam[0] == pytest.approx(res.eta, abs=1e-7) and lam[-1] == pytest.approx(1.0, abs=1e-7)
    assert np.linalg.norm(gradient_form(H, x, z)) < 1e-7
    V = orthogonal_complement(rotation_directions(x), n * r)
    M = hessian_form(H, x, z)
    assert np.linalg.eigvalsh(V.T @ M @ V)[0] > -1e-7
    if r == 2:  # the rotation direction is an exact zero of M(H)
        R = rotation_directions(x)
        assert np.linalg.norm(M @ R) < 1e-7


def test_lift_keeps_margin_up_to_two_sigma_squared():
    rng = np.random.default_rng(11)
    n, r = 6, 1
    x, z = rand_pair(rng, n, r)
    sig2 = float(np.linalg.svd(x, compute_uv=False)[-1] ** 2)
    mu = 0.5 * sig2
    res = threshold_program(x, z, margin=mu, return_kernel=True)
    V = orthogonal_complement(rotation_directions(x), n * r)
    M = hessian_form(res.H, x, z)
    assert np.linalg.eigvalsh(V.T @ M @ V)[0] >= mu - 1e-7
    with pytest.raises(InputError, match="2σ_r"):
        threshold_program(x, z, margin=3.0 * sig2)


def test_reduce_pair_reconstructs():
    rng = np.random.default_rng(5)
    x, z = rand_pair(rng, 9, 2)
    x[:, 1] = z[:, 0]  # span[x z] has dimension 3
    Q, xh, zh = reduce_pair(x, z)
    assert Q.shape == (9, 3)
    np.testing.assert_allclose(Q @ xh, x, atol=1e-12)
    np.testing.assert_allclose(Q @ zh, z, atol=1e-12)
    Hh = np.diag(np.linspace(0.5, 1.0, svec_dim(3)))
    H = lift_kernel(Hh, Q)
    lam = np.linalg.eigvalsh(H)
    assert lam[0] == pytest.approx(0.5) and lam[-1] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- facial reduction and rank deficiency


def test_rank_two_full_rank_point_is_certified():
    # r ≥ 2: Xmat has the kernel {xW}; without facial reduction there is no strictly feasible point.
    rng = np.random.default_rng(21)
    x, z = rand_pair(rng, 4, 2)
    for reduce in (True, False):
        res = threshold_program(x, z, reduce=reduce)
        assert res.status == "optimal" and res.certified
        assert 0.0 < res.delta < 1.0


def test_rank_deficient_point():
    x = np.array([[1.0, 0.0], [0.0, 0.0]])
    z = np.array([[1.0, 0.0], [0.0, 0.5]])
    t = thresholds(x, z)
    assert t.delta_foc == pytest.approx(0.0, abs=1e-12)
    assert t.delta_soc == 1.0 and "rank 1 < r = 2" in t.note
    assert delta_foc_program(x, z) == pytest.approx(0.0, abs=1e-6)
    # The program itself, keeping the non-flat directions [0, v], also gives η = 0 ...
    data = program_data(x, z, "second")
    eta, _, _ = _solve(data, "second", 0.0, "clarabel")
    assert abs(eta) < 1e-6


def test_rank_deficient_wrong_facial_reduction_overestimates():
    # x = [e1, 0], Z = [e1, e2/2]: ker Xmat = span{[0, e1], [0, e2]}; only [0, e1] = xW is a rotation.
    x = np.array([[1.0, 0.0], [0.0, 0.0]])
    z = np.array([[1.0, 0.0], [0.0, 0.5]])
    data = program_data(x, z, "second")
    assert data.V.shape[1] == 3  # one rotation direction removed
    J = sym_jacobian(x)
    _, s, Vt = np.linalg.svd(J)
    row = Vt[: int(np.sum(s > 1e-10))].T  # orthonormal basis of range(Xmatᵀ) = (ker Xmat)^⟂
    p = row.shape[1]
    K = data.e.shape[0]
    Vb = row.reshape(2, 2, p)
    B = np.einsum("jap,cab,jbq->cpq", Vb, smat(np.eye(K)), Vb).reshape(K, p * p).T
    W = J @ row
    G = 2.0 * B @ np.kron(data.e[None, :], np.eye(K)) + np.kron(W.T, W.T)
    wrong = _Data(data.x, data.z, data.e, data.UJ, row, G)
    eta_wrong, _, _ = _solve(wrong, "second", 0.0, "clarabel")
    assert eta_wrong > 0.1  # a spurious "δ_soc < 1": the reason the flat-direction test matters


# ----------------------------------------------------------------------------- degenerate input


def test_global_point_gives_one_with_note():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((5, 2))
    Rot = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    t = thresholds(z @ Rot, z)
    assert t.delta_foc == 1.0 and t.delta_soc == 1.0
    assert "by definition" in t.note


def test_colinear_gives_one():
    z = np.array([1.0, 2.0, -1.0])
    x = 0.3 * z
    t = thresholds(x, z)
    assert t.delta_foc == pytest.approx(1.0, abs=1e-12) and t.delta_soc == 1.0
    assert delta_foc_program(x, z) == pytest.approx(1.0, abs=1e-6)  # naturally, from the program


def test_zero_point():
    z = np.array([1.0, 2.0, -1.0])
    t = thresholds(np.zeros(3), z)
    assert t.delta_foc == 0.0 and t.delta_soc == 1.0 and "x = 0" in t.note
    assert threshold_program(np.zeros(3), z, order="first").delta == 0.0


def test_margin_grows_delta_and_is_certified():
    mus = [0.0, 0.1, 0.3, 0.5]
    d = margin_curve(X3, Z3, mus)
    assert d[0] == pytest.approx(0.5, abs=1e-6)
    assert np.all(np.diff(d) > 1e-4)
    res = threshold_program(X3, Z3, margin=0.3)
    assert res.certified and res.hess_min >= 0.3 - 1e-7


def test_margin_unattainable_raises():
    x = np.array([[1.0, 0.0], [0.0, 0.0]])
    z = np.array([[1.0, 0.0], [0.0, 0.5]])
    with pytest.raises(NoInstanceError):
        threshold_program(x, z, margin=0.1)
    with pytest.raises(NoInstanceError):
        threshold_program([1.0, 0.0], [2.0, 0.0], margin=0.1)
    assert np.isnan(margin_curve(x, z, [0.1])[0])


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"order": "third"}, "order"),
        ({"solver": "cplex"}, "solver"),
        ({"margin": -1.0}, "margin"),
        ({"margin": float("nan")}, "margin"),
        ({"order": "first", "margin": 0.1}, "margin"),
    ],
)
def test_bad_arguments(kw, match):
    with pytest.raises(InputError, match=match):
        threshold_program(X3, Z3, **kw)


def test_bad_points():
    with pytest.raises(InputError, match="NaN"):
        thresholds([np.nan, 1.0], Z3)
    with pytest.raises(InputError, match="rows"):
        thresholds([1.0, 0.0, 0.0], Z3)
    with pytest.raises(InputError, match="inf"):
        delta_soc(X3, [np.inf, 0.0])


def test_mosek_only_when_installed():
    import cvxpy as cp

    if "MOSEK" in cp.installed_solvers():  # installed (and licensed): it must give Example 3's answer
        assert threshold_program(X3, Z3, solver="mosek").delta == pytest.approx(0.5, abs=1e-6)
    else:
        with pytest.raises(SolverError, match="MOSEK"):
            threshold_program(X3, Z3, solver="mosek")


# ----------------------------------------------------------------------------- invariances and the closed form


def test_invariance_under_rotations_and_scale():
    rng = np.random.default_rng(31)
    x, z = rand_pair(rng, 5, 2)
    U = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    R = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    base = delta_soc(x, z)
    assert delta_soc(U @ x, U @ z) == pytest.approx(base, abs=1e-6)
    assert delta_soc(x @ R, z) == pytest.approx(base, abs=1e-6)
    assert delta_soc(3.0 * x, 3.0 * z) == pytest.approx(base, abs=1e-6)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_closed_form_equals_program(r):
    rng = np.random.default_rng(40 + r)
    for _ in range(6):
        n = int(rng.integers(r + 1, 8))
        x, z = rand_pair(rng, n, r)
        assert delta_foc_program(x, z) == pytest.approx(delta_foc_closed(x, z), abs=1e-6)
        assert delta_soc(x, z) >= delta_foc_closed(x, z) - 1e-6


def test_large_n_is_fast():
    rng = np.random.default_rng(0)
    delta_soc(*rand_pair(rng, 4, 1))  # import cvxpy
    x, z = rand_pair(rng, 2000, 2)
    t = time.perf_counter()
    res = threshold_program(x, z)
    assert time.perf_counter() - t < 1.0  # typically ~0.03 s; generous on a shared machine
    assert res.certified and res.k == 4


def test_inaccurate_status_is_never_certified(monkeypatch):
    import spurious.landscape._thresholds as thr

    real = thr._solve

    def inaccurate(*args, **kw):
        eta, H, _ = real(*args, **kw)
        return eta, H, "optimal_inaccurate"

    monkeypatch.setattr(thr, "_solve", inaccurate)
    res = threshold_program(X3, Z3)
    assert res.status == "optimal_inaccurate" and res.checked and not res.certified
    assert res.delta == pytest.approx(0.5, abs=1e-6)


def test_infeasible_or_failed_solve_raises(monkeypatch):
    import cvxpy as cp

    def failing(self, *args, **kw):
        raise cp.error.SolverError("Solver 'CLARABEL' failed. Try another solver.")

    monkeypatch.setattr(cp.Problem, "solve", failing)
    with pytest.raises(SolverError, match="CLARABEL' failed"):
        threshold_program(X3, Z3)


@settings(max_examples=12)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 6),
    r=st.integers(1, 2),
)
def test_rotation_invariance_property(seed, n, r):
    rng = np.random.default_rng(seed)
    r = min(r, n)
    x, z = rand_pair(rng, n, r)
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    R = np.linalg.qr(rng.standard_normal((r, r)))[0]
    a = thresholds(x, z)
    b = thresholds(U @ x @ R, U @ z)
    assert b.delta_soc == pytest.approx(a.delta_soc, abs=1e-6)
    assert b.delta_foc == pytest.approx(a.delta_foc, abs=1e-9)


def test_rank_deficient_point_spanning_fewer_than_r_dimensions():
    x = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])  # rank 1, span[x z] of dimension 1 < r = 2
    z = np.array([[2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    t = thresholds(x, z)
    assert t.delta_foc == pytest.approx(delta_foc_closed(x, z), abs=1e-12)
    assert t.delta_soc == 1.0
    assert delta_foc_program(x, z) == pytest.approx(delta_foc_closed(x, z), abs=1e-6)


def test_naive_lmi_without_facial_reduction_is_not_certifiable():
    # r = 2: imposing all rows of Xmatᵀ H e = 0 and M(H) ⪰ 0 on all of R^{nr} leaves no strictly
    # feasible point; Clarabel then stops short of "optimal" (observed: optimal_inaccurate, η off
    # by ~1e-7), whereas the facially reduced program is solved to optimality.
    rng = np.random.default_rng(21)
    x, z = rand_pair(rng, 4, 2)
    _, xh, zh = reduce_pair(x, z)
    good = program_data(xh, zh, "second")
    J = sym_jacobian(xh)
    K, p = good.e.shape[0], 2 * xh.shape[0]
    Vb = np.eye(p).reshape(2, xh.shape[0], p)
    B = np.einsum("jap,cab,jbq->cpq", Vb, smat(np.eye(K)), Vb).reshape(K, p * p).T
    G = 2.0 * B @ np.kron(good.e[None, :], np.eye(K)) + np.kron(J.T, J.T)
    naive = _Data(good.x, good.z, good.e, J, np.eye(p), G)
    eta_naive, _, status_naive = _solve(naive, "second", 0.0, "clarabel")
    eta_good, _, status_good = _solve(good, "second", 0.0, "clarabel")
    assert status_good == "optimal"
    assert status_naive != "optimal" or abs(eta_naive - eta_good) > 1e-9


def test_fixed_eta_curvature_confirms_thm7_failure():
    # zhang2018 Thm 7 claims δ_soc ≤ δ₅ at (ρ, φ) = (0.5, 0.394) (|sin φ| ≤ ρ): no kernel with δ₅ is second order
    import warnings

    from spurious.landscape._closed_forms import thm5_delta
    from spurious.landscape._thresholds import eta_from_delta, fixed_eta_curvature

    rho, phi = 0.5, 0.394
    x, z = np.array([[rho * np.cos(phi)], [rho * np.sin(phi)]]), np.array([[1.0], [0.0]])
    d5 = float(thm5_delta(rho, phi))
    bad = fixed_eta_curvature(x, z, eta_from_delta(d5))
    assert bad.status == "optimal"  # the refutation rests on a certified solve
    assert bad.t < -1e-4 and bad.t_check == pytest.approx(bad.t, abs=1e-7)
    assert bad.delta == pytest.approx(d5, abs=1e-15)
    # δ_soc of the same point is above δ₅ (the fixed-η program and LMI (10) agree)
    assert threshold_program(x, z).delta > d5 + 1e-4
    # where Thm 7 holds (ρ = 1, φ = π/2), the same program is feasible with t ≥ 0; the optimum t = 0 sits on
    # the boundary of the cone, where Clarabel reports "optimal_inaccurate" (cvxpy warns): only a sanity check
    x, z = np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        good = fixed_eta_curvature(x, z, eta_from_delta(float(thm5_delta(1.0, np.pi / 2))))
    assert good.status in ("optimal", "optimal_inaccurate") and good.t >= -1e-8
    with pytest.raises(InputError, match="eta"):
        fixed_eta_curvature(x, z, 1.5)


def test_delta_from_eta_is_the_scale_free_map_and_an_involution():
    from spurious.landscape._thresholds import delta_from_eta, eta_from_delta

    assert delta_from_eta(1 / 3) == pytest.approx(0.5)  # α = 1, β = 3 (Example 3)
    assert delta_from_eta(0.0) == 1.0 and delta_from_eta(1.0) == 0.0
    assert delta_from_eta(-0.1) == 1.0 and delta_from_eta(1.2) == 0.0  # clipped
    assert eta_from_delta(delta_from_eta(0.3)) == pytest.approx(0.3, abs=1e-15)


def test_huge_and_tiny_scales_give_the_same_thresholds_bit_for_bit():
    """δ is scale-free; inputs beyond 2^±240 are rescaled by an exact power of two (issue #10)."""
    x, z = np.array([[0.5], [0.3], [0.1]]), np.array([[1.0], [0.0], [0.0]])
    ref = sp.thresholds(x, z)
    for c in (2.0**300, 2.0**-300):
        th = sp.thresholds(x * c, z * c)
        assert th.delta_foc == ref.delta_foc and th.delta_soc == ref.delta_soc
    strict = sp.threshold_program(x, z, order="second", margin=0.01)
    big = sp.threshold_program(x * 2.0**300, z * 2.0**300, order="second", margin=0.01 * 2.0**600)
    assert big.delta == strict.delta and big.margin == 0.01 * 2.0**600
    assert big.hess_min == pytest.approx(strict.hess_min * 2.0**600, rel=1e-9)
    with pytest.raises(sp.InputError, match="x, z: entries from 1e\\+308 down to 1"):
        sp.thresholds([1e308, 1e308], [1.0, 0.0])  # 10^308 apart: not representable together
