"""Closed forms (zhang2020 Thm 4, zhang2018 Thm 5/6/7) against the convex programs."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spurious.landscape._thresholds as thresholds
from spurious.core._errors import InputError
from spurious.core._linalg import outer
from spurious.landscape._closed_forms import (
    delta_foc_closed,
    delta_foc_rank1,
    delta_from_condition,
    rho_phi,
    thm5_delta,
    thm6_condition,
    thm6_delta,
    thm7_applies,
)

Z2 = np.array([1.0, 0.0])
EX3_X = np.array([0.0, 1.0 / np.sqrt(2.0)])


def _point(rho: float, phi: float) -> np.ndarray:
    return rho * np.array([np.cos(phi), np.sin(phi)])


@cache
def _program(xb: bytes, zb: bytes, shape_x: tuple, shape_z: tuple, order: str) -> float:
    x = np.frombuffer(xb).reshape(shape_x)
    z = np.frombuffer(zb).reshape(shape_z)
    return float(thresholds.threshold_program(x, z, order=order).delta)


def program(x, z, order: str) -> float:
    x = np.ascontiguousarray(x, dtype=float)
    z = np.ascontiguousarray(z, dtype=float)
    return _program(x.tobytes(), z.tobytes(), x.shape, z.shape, order)


def _rank1(rho, phi, order):
    return program(_point(rho, phi), Z2, order)


# ----------------------------------------------------------------------------- zhang2020 Thm 4


def test_example3_first_order_threshold():
    assert delta_foc_closed(EX3_X, Z2) == pytest.approx(1 / np.sqrt(5), abs=1e-14)
    rho, phi = rho_phi(EX3_X, Z2)
    assert (rho, phi) == pytest.approx((1 / np.sqrt(2), np.pi / 2), abs=1e-15)
    assert thm5_delta(rho, phi) == pytest.approx(1 / np.sqrt(5), abs=1e-14)
    assert delta_foc_rank1(rho, phi) == pytest.approx(1 / np.sqrt(5), abs=1e-14)
    assert program(EX3_X, Z2, "first") == pytest.approx(1 / np.sqrt(5), abs=1e-6)


def test_theorem4_identities(rng):
    """The cancellation-free form equals sqrt(1 − sin²θ) of eq. (6), with sin θ from its definition."""
    for _ in range(30):
        n, r = int(rng.integers(2, 6)), int(rng.integers(1, 4))
        r = min(r, n)
        x, z = rng.standard_normal((n, r)), rng.standard_normal((n, r))
        if rng.random() < 0.3:
            x[:, -1] = x[:, 0]  # rank-deficient x
        P = x @ np.linalg.pinv(x)
        E = outer(x) - outer(z)
        sin = np.linalg.norm(z.T @ (np.eye(n) - P) @ z) / np.linalg.norm(E)
        assert 0.0 <= sin <= 1.0 + 1e-12
        assert delta_foc_closed(x, z) == pytest.approx(np.sqrt(max(0.0, 1 - sin**2)), abs=1e-9)
        # ‖E‖² = ‖PEP‖² + 2‖PZZᵀQ‖² + ‖QZZᵀQ‖² and ‖ZᵀQZ‖ = ‖QZZᵀQ‖ (the proof's block split)
        Q = np.eye(n) - P
        ZZ = outer(z)
        split = np.linalg.norm(P @ E @ P) ** 2 + 2 * np.linalg.norm(P @ ZZ @ Q) ** 2 + np.linalg.norm(Q @ ZZ @ Q) ** 2
        assert split == pytest.approx(np.linalg.norm(E) ** 2, rel=1e-12)
        assert np.linalg.norm(z.T @ Q @ z) == pytest.approx(np.linalg.norm(Q @ ZZ @ Q), rel=1e-12)


def test_degenerate_points():
    z = np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]])
    q = np.array([[0.6, -0.8], [0.8, 0.6]])
    assert delta_foc_closed(z @ q, z) == 1.0  # x xᵀ = z zᵀ: 1 by definition
    assert delta_foc_closed(np.zeros((3, 2)), z) == 0.0  # x = 0: a critical point of every instance
    assert delta_foc_closed(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), z) == 0.0  # issue #3's [e₁, 0]
    assert delta_foc_closed(0.3 * Z2, Z2) == 1.0  # colinear, rank 1
    assert delta_foc_closed(-2.0 * Z2, Z2) == 1.0
    assert delta_foc_rank1(0.0, 1.0) == 0.0
    assert delta_foc_rank1(1.0, 0.0) == 1.0


def test_discontinuous_at_zero():
    """δ_foc(t u) → a direction-dependent limit as t → 0 (not 0, as zhang2020 §4 says), δ_foc(0) = 0."""
    for phi in (0.0, 0.4, 1.0, np.pi / 2):
        lim = np.cos(phi) * np.sqrt(1 + np.sin(phi) ** 2)
        assert delta_foc_closed(_point(1e-7, phi), Z2) == pytest.approx(lim, abs=1e-6)
    assert delta_foc_closed(np.zeros(2), Z2) == 0.0


def test_input_errors():
    with pytest.raises(InputError):
        delta_foc_closed(np.ones(3), np.ones(2))
    with pytest.raises(InputError):
        delta_foc_closed(np.array([np.nan, 1.0]), Z2)
    with pytest.raises(InputError):
        rho_phi(np.ones((3, 2)), np.ones((3, 2)))
    with pytest.raises(InputError):
        rho_phi(np.ones(2), np.zeros(2))
    with pytest.raises(InputError):
        thm5_delta(-1.0, 0.3)
    with pytest.raises(InputError):
        delta_from_condition(0.5)


def _random_instances():
    rng = np.random.default_rng(2020)
    out = []
    for k in range(54):
        r = 1 + k % 3
        n = int(rng.integers(max(2, r), 6))
        x, z = rng.standard_normal((n, r)), rng.standard_normal((n, r))
        if k % 6 == 5 and r > 1:
            x[:, -1] = 0.0  # rank-deficient
        elif k % 6 == 4 and r > 1:
            x[:, 1] = 2.0 * x[:, 0]  # rank-deficient, no zero column
        out.append((x, z))
    return out


def test_closed_form_equals_first_order_program():
    """zhang2020 Thm 4 = the first-order program (zhang2020 eq. (11)) on 54 instances, ranks 1–3."""
    errs = []
    for x, z in _random_instances():
        errs.append(abs(delta_foc_closed(x, z) - program(x, z, "first")))
    assert max(errs) < 1e-6, max(errs)


# ----------------------------------------------------------------------------- zhang2018 Thm 5, 6, 7

RHOS = (0.2, 0.5, 1 / np.sqrt(2), 1.0, 1.5, 2.5)
PHIS = tuple(np.linspace(0.15, np.pi / 2, 6))


def test_thm5_is_an_upper_bound_tight_only_at_right_angle():
    for rho in RHOS:
        for phi in PHIS:
            foc = _rank1(rho, phi, "first")
            t5 = thm5_delta(rho, phi)
            assert foc == pytest.approx(delta_foc_rank1(rho, phi), abs=1e-6)
            assert foc <= t5 + 1e-6
            if np.isclose(phi, np.pi / 2):
                assert t5 == pytest.approx(foc, abs=1e-6)  # equality at φ = ±π/2 (the paper)
            else:
                assert t5 - delta_foc_rank1(rho, phi) > 1e-6  # strict elsewhere in (0, π/2)
    # exactly: thm5² − δ_foc² = sin⁴φ (1/d − 1/(1 + ρ⁴)) ≥ 0, zero iff cos φ = 0 or sin φ = 0
    rho, phi = np.meshgrid(np.linspace(0.05, 3, 60), np.linspace(-np.pi, np.pi, 73))
    gap = np.asarray(thm5_delta(rho, phi)) - np.asarray(delta_foc_rank1(rho, phi))
    assert gap.min() >= -1e-12
    tight = np.isclose(np.cos(phi), 0, atol=1e-9) | np.isclose(np.sin(phi), 0, atol=1e-9)
    assert np.all(gap[tight] < 1e-12) and np.all(gap[~tight] > 1e-8)


def test_thm6_is_an_upper_bound_on_second_order_threshold():
    for rho in RHOS:
        for phi in PHIS:
            soc = _rank1(rho, phi, "second")
            assert soc <= thm6_delta(rho, phi) + 1e-6
            assert soc >= _rank1(rho, phi, "first") - 1e-6
    assert thm6_delta(1.0, 0.0) == 1.0 and np.isinf(thm6_condition(0.0, 1.0))
    kappa = thm6_condition(1.0, np.pi / 2)
    assert kappa == pytest.approx((1 + 1 / np.sqrt(2)) / (1 - 1 / np.sqrt(2)) * (1 + 2**1.5))
    assert thm6_delta(1.0, np.pi / 2) == pytest.approx((kappa - 1) / (kappa + 1))


def test_example3_second_order():
    assert program(EX3_X, Z2, "second") == pytest.approx(0.5, abs=1e-6)
    assert not thm7_applies(*rho_phi(EX3_X, Z2))  # |sin φ| = 1 > ρ = 1/√2


def test_thm7_holds_for_rho_at_least_0p6_in_its_region():
    """|sin φ| ≤ ρ ⇒ δ_soc ≤ thm5_delta, checked where ρ ≥ 0.6 (a 5 × 6 grid)."""
    checked = 0
    for rho in (0.6, 0.75, 1.0, 1.5, 2.5):
        for phi in np.linspace(0.1, np.pi / 2, 6):
            if thm7_applies(rho, phi):
                assert _rank1(rho, phi, "second") <= thm5_delta(rho, phi) + 1e-6
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize("rho,phi", [(0.2, 0.1), (0.5, 0.394), (0.55, 0.54)])
def test_thm7_fails_for_small_rho_inside_its_region(rho, phi):
    """zhang2018 Thm 7 is false here: |sin φ| ≤ ρ, yet δ_soc > thm5_delta (App. A.3 only checks
    the sign of a derivative at β = 0, which does not make β = 0 the global minimizer)."""
    assert thm7_applies(rho, phi)
    assert _rank1(rho, phi, "second") > thm5_delta(rho, phi) + 1e-5


def test_thm7_proof_claim_second_order_inactive_fails():
    """App. A.3 argues U₃ = 0, i.e. δ_soc = δ_foc throughout the region; not so at ρ = 1, φ = 0.39."""
    assert thm7_applies(1.0, 0.394)
    assert _rank1(1.0, 0.394, "second") - _rank1(1.0, 0.394, "first") > 1e-3
    assert _rank1(2.5, 0.7, "second") == pytest.approx(_rank1(2.5, 0.7, "first"), abs=1e-6)


def test_thm5_bound_holds_outside_thm7_region_sometimes():
    """Outside |sin φ| ≤ ρ the Thm 5 δ can still bound δ_soc (ρ = 0.9, φ = π/2), or not (Example 3)."""
    assert not thm7_applies(0.9, np.pi / 2)
    assert _rank1(0.9, np.pi / 2, "second") <= thm5_delta(0.9, np.pi / 2) + 1e-6
    assert _rank1(1 / np.sqrt(2), np.pi / 2, "second") > thm5_delta(1 / np.sqrt(2), np.pi / 2) + 1e-2


def test_vectorized_forms():
    rho = np.array([0.5, 1.0, 2.0])
    phi = np.array([0.3, np.pi / 2, 1.0])
    assert np.asarray(thm5_delta(rho, phi)).shape == (3,)
    assert np.asarray(thm7_applies(rho, phi)).tolist() == [True, True, True]
    assert np.allclose(thm5_delta(rho, phi), [thm5_delta(a, b) for a, b in zip(rho, phi, strict=True)])
    pointwise = [delta_foc_closed(_point(a, b), Z2) for a, b in zip(rho, phi, strict=True)]
    assert np.allclose(delta_foc_rank1(rho, phi), pointwise)


# ----------------------------------------------------------------------------- invariances


def _orth(rng: np.random.Generator, k: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    return q * np.sign(np.diag(r))


@st.composite
def pairs(draw, max_n=5, max_r=3):
    n = draw(st.integers(2, max_n))
    r = draw(st.integers(1, min(max_r, n)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x, z = rng.standard_normal((n, r)), rng.standard_normal((n, r))
    if draw(st.booleans()) and r > 1:
        x[:, -1] = 0.0
    return x, z, rng


@given(pairs(), st.floats(0.1, 10.0))
def test_foc_invariances(p, c):
    x, z, rng = p
    n, r = x.shape
    d = delta_foc_closed(x, z)
    U = _orth(rng, n)
    assert delta_foc_closed(U @ x, U @ z) == pytest.approx(d, abs=1e-9)
    assert delta_foc_closed(x @ _orth(rng, r), z @ _orth(rng, r)) == pytest.approx(d, abs=1e-9)
    assert delta_foc_closed(c * x, c * z) == pytest.approx(d, abs=1e-9)


@settings(max_examples=4)
@given(pairs(max_n=4, max_r=2), st.floats(0.2, 5.0))
def test_soc_invariances(p, c):
    x, z, rng = p
    n, r = x.shape
    d = program(x, z, "second")
    U = _orth(rng, n)
    assert program(U @ x, U @ z, "second") == pytest.approx(d, abs=1e-6)
    assert program(x @ _orth(rng, r), z @ _orth(rng, r), "second") == pytest.approx(d, abs=1e-6)
    assert program(c * x, c * z, "second") == pytest.approx(d, abs=1e-6)


def test_orthogonal_construction_geometry():
    from spurious.landscape._closed_forms import orthogonal_construction

    g = np.random.default_rng(3)
    x, z = g.standard_normal((5, 1)), g.standard_normal((5, 1))
    y = orthogonal_construction(x, z)
    assert abs(float(y[:, 0] @ z[:, 0])) < 1e-12
    assert np.linalg.norm(y) == pytest.approx(np.linalg.norm(z) / np.sqrt(2))
    rho, phi = rho_phi(y, z)
    assert rho == pytest.approx(1 / np.sqrt(2)) and phi == pytest.approx(np.pi / 2)
    assert thresholds.threshold_program(y, z).delta == pytest.approx(0.5, abs=1e-6)  # zhang2018 §4: δ = 1/2
    with pytest.raises(InputError, match="colinear"):
        orthogonal_construction(2 * z, z)
    with pytest.raises(InputError, match="rank 1"):
        orthogonal_construction(g.standard_normal((5, 2)), g.standard_normal((5, 2)))
