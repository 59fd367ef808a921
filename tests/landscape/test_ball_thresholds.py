"""Local thresholds over B_ε (zhang2020 §4, Thm 5, Lemma 7, eq. (7), Cor. 6)."""

from __future__ import annotations

import numpy as np
import pytest

from spurious.core._errors import InputError
from spurious.landscape._ball_thresholds import (
    constant_c,
    delta_foc_ball,
    delta_foc_ball_rank1,
    delta_soc_ball,
    delta_star,
    guaranteed_bound,
    lemma7_bound,
    lower_bound,
    sample_complexity,
    thm5_bound,
)
from spurious.landscape._closed_forms import delta_foc_closed, delta_foc_rank1

Z1 = np.array([[1.0], [0.0], [0.0]])
EPS_GRID = (0.0, 0.01, 0.1, 0.3, 0.6, 0.9, 0.99, 1.0, 1.5)


def _g(t):
    return 0.0 if t >= 1 else np.sqrt(1 - t**2 / (1 + np.sqrt(1 - t**2)) ** 2)


def _rank_r_truth(r: int, seed: int = 7, n: int = 6) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, r))


# ----------------------------------------------------------------------------- bounds


def test_constant_c():
    assert constant_c(Z1) == pytest.approx(1.0)
    z = np.diag([2.0, 1.0])
    assert constant_c(z) == pytest.approx(np.sqrt(16 + 1) / 1.0)
    assert constant_c(3.0 * z) == pytest.approx(constant_c(z))  # scale-free


def test_bounds_order_and_limits():
    z = _rank_r_truth(2)
    C = constant_c(z)
    for e in np.linspace(0, 1.5 / C, 16):
        assert lemma7_bound(z, e) >= thm5_bound(z, e) - 1e-15
        assert thm5_bound(z, e) == pytest.approx(np.sqrt(max(0.0, 1 - C * e)))
    assert thm5_bound(z, 0.0) == 1.0 and lemma7_bound(z, 0.0) == 1.0
    assert thm5_bound(z, 1e-9) == pytest.approx(1.0, abs=1e-8)
    assert thm5_bound(z, 1.0 / C) == pytest.approx(0.0, abs=1e-7) and thm5_bound(z, 2.0 / C) == 0.0
    assert guaranteed_bound(z, 2.0 / C) == 0.2 and guaranteed_bound(Z1, 2.0) == 0.5
    assert guaranteed_bound(z, 0.0) == 1.0
    assert delta_star(1) == 0.5 and delta_star(3) == 0.2


def test_sample_complexity():
    z = _rank_r_truth(2, n=10)
    C = constant_c(z)
    assert sample_complexity(z, 0.0) == pytest.approx(10 * 2)  # min{1, 25} C₀ n r
    assert sample_complexity(z, 0.5 / C) == pytest.approx(2 * 20)
    assert sample_complexity(z, 1.0 / C) == pytest.approx(25 * 20)  # [1 − Cε]₊ = 0: the cap
    assert sample_complexity(z, 3.0 / C, n=100, C0=2.0) == pytest.approx(25 * 2 * 100 * 2)
    ms = [sample_complexity(z, e) for e in np.linspace(0, 1.2 / C, 25)]
    assert np.all(np.diff(ms) >= 0) and ms[-1] == 25 * 20
    with pytest.raises(InputError):
        sample_complexity(z, 0.1, C0=0.0)


def test_input_errors():
    with pytest.raises(InputError):
        delta_foc_ball(Z1, -0.1)
    with pytest.raises(InputError):
        thm5_bound(Z1, float("nan"))
    with pytest.raises(InputError):
        delta_foc_ball(np.array([[1.0, 2.0], [2.0, 4.0]]), 0.1)  # z rank-deficient
    with pytest.raises(InputError):
        delta_foc_ball(_rank_r_truth(2), 0.1, method="closed")
    with pytest.raises(InputError):
        delta_star(0)


# ----------------------------------------------------------------------------- δ_foc(B_ε)


def test_rank1_closed_form_against_brute_force_grid():
    a, b = np.meshgrid(np.linspace(0, 1.6, 641), np.linspace(0, 1.6, 641))
    rho, phi = np.hypot(a, b), np.arctan2(b, a)
    rel = np.sqrt(np.maximum(rho**4 - 2 * a**2 + 1, 0))
    dfoc = np.asarray(delta_foc_rank1(rho, phi))
    for e in EPS_GRID:
        res = delta_foc_ball(Z1, e)
        mask = rel <= e
        grid_min = dfoc[mask].min() if mask.any() else 1.0
        assert res.method == "rank1-closed"
        assert grid_min >= res.delta - 1e-12  # nothing in the region beats the closed form
        assert grid_min - res.delta < 5e-3  # and the grid gets close to it
        assert res.rel_error <= e + 1e-12
        assert delta_foc_closed(res.x, Z1) == pytest.approx(res.delta, abs=1e-12)


def test_rank1_closed_form_matches_multistart():
    for e in (0.05, 0.5, 0.95):
        closed = delta_foc_ball(Z1, e)
        ms = delta_foc_ball(Z1, e, method="multistart", starts=4, rng=0)
        assert ms.method == "multistart"
        assert ms.delta == pytest.approx(closed.delta, abs=1e-8)
        assert ms.rel_error <= e + 1e-8


def test_rank1_minimizer_and_limits():
    d, rho, phi = delta_foc_ball_rank1(0.6)
    assert rho**2 == pytest.approx(np.cos(phi) ** 2) and rho**2 == pytest.approx(0.8)
    assert d == pytest.approx(_g(0.6))
    assert delta_foc_ball(Z1, 0.0).delta == 1.0
    assert delta_foc_ball(Z1, 1.0).delta == 0.0  # x = 0 ∈ B_1
    assert delta_foc_ball(np.array([[2.0]]), 0.5).delta == 1.0  # n = 1: only colinear x
    assert delta_foc_ball(np.array([[2.0]]), 1.0).delta == 0.0
    ds = [delta_foc_ball(Z1, e).delta for e in np.linspace(0, 1, 41)]
    assert np.all(np.diff(ds) <= 1e-15)  # nested balls


@pytest.mark.parametrize("eps", [0.0, 1e-6, 1e-4, 0.01, 0.2, 0.5, 0.9, 0.999])
def test_foc_ball_at_least_thm5_bound_rank1(eps):
    res = delta_foc_ball(Z1, eps)
    assert res.delta >= lemma7_bound(Z1, eps) - 1e-12 >= thm5_bound(Z1, eps) - 2e-12
    if eps <= 1e-4:
        assert res.delta >= 1 - eps and thm5_bound(Z1, eps) >= 1 - eps  # both → 1 as ε → 0


@pytest.mark.parametrize("r", [2, 3])
def test_foc_ball_rank_r(r):
    """Multi-start over X: never below zhang2020 Thm 5's bound, never above the weakest-column point.

    The search never beats the explicit point: numerically δ_foc(B_ε) = g(Cε) for these Z.
    """
    z = _rank_r_truth(r)
    C = constant_c(z)
    for t in (0.1, 0.5, 0.9, 1.2):
        e = t / C
        res = delta_foc_ball(z, e, starts=3, rng=1)
        assert res.rel_error <= e * (1 + 1e-8)
        assert delta_foc_closed(res.x, z) == pytest.approx(res.delta, abs=1e-9)
        assert res.delta >= thm5_bound(z, e) - 1e-9
        assert res.delta >= lemma7_bound(z, e) - 1e-9
        assert res.delta <= _g(t) + 1e-9
        assert res.delta == pytest.approx(_g(t), abs=1e-6)


# ----------------------------------------------------------------------------- δ_soc(B_ε)

SOC_EPS = (0.05, 0.3, 0.6, 0.9, 1.0, 1.2)


@pytest.fixture(scope="module")
def soc_rank1():
    z = np.array([[1.0], [0.0]])
    return z, {e: delta_soc_ball(z, e) for e in SOC_EPS}


def test_soc_ball_rank1_above_paper_lower_bound(soc_rank1):
    """zhang2020 eq. (7): δ_soc(B_ε) ≥ max{δ_foc(B_ε), 1/2}; the search's value must respect it."""
    z, res = soc_rank1
    for e, r in res.items():
        lb = lower_bound(z, e)
        assert lb == max(delta_foc_ball(z, e).delta, 0.5)
        assert r.delta >= lb - 1e-6, (e, r.delta, lb)
        assert r.rel_error <= e + 1e-9
        assert r.delta >= thm5_bound(z, e) - 1e-9


def test_soc_ball_rank1_values(soc_rank1):
    z, res = soc_rank1
    ds = [res[e].delta for e in SOC_EPS]
    assert np.all(np.diff(ds) <= 1e-6)  # nested balls
    # B_1.2 contains Example 3's point (ε = √5/2 ≈ 1.118): the global rank-1 threshold 1/2
    assert res[1.2].delta == pytest.approx(0.5, abs=1e-5)
    assert res[1.2].rho == pytest.approx(1 / np.sqrt(2), abs=1e-3)
    # near the truth the paper's bound is tight to a few 1e-4, not beyond ε ≈ 0.6
    assert res[0.05].delta - lower_bound(z, 0.05) < 1e-4
    assert res[1.0].delta - lower_bound(z, 1.0) > 0.1


def test_soc_ball_minimizer_is_reproduced(soc_rank1):
    from spurious.landscape._thresholds import threshold_program

    z, res = soc_rank1
    r = res[0.6]
    assert threshold_program(r.x, z, order="second").delta == pytest.approx(r.delta, abs=1e-7)


def test_soc_ball_trivial_cases():
    assert delta_soc_ball(Z1, 0.0).delta == 1.0
    assert delta_soc_ball(np.array([[1.5]]), 2.0).delta == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("t", [0.3, 0.8])
def test_soc_ball_rank2(t):
    z = _rank_r_truth(2, n=4)
    e = t / constant_c(z)
    res = delta_soc_ball(z, e, starts=2, maxiter=40, rng=0)
    assert res.rel_error <= e * (1 + 1e-6)
    assert res.delta >= lower_bound(z, e, starts=3, rng=0) - 1e-6
    assert res.delta >= max(thm5_bound(z, e), 0.2) - 1e-9


def test_soc_ball_rank1_no_sampled_point_beats_the_search(soc_rank1):
    """Every sampled point of B_0.6 has δ_soc at least the search's minimum."""
    from spurious.landscape._thresholds import delta_soc

    z, res = soc_rank1
    rng = np.random.default_rng(5)
    seen = 0
    while seen < 12:
        rho, phi = rng.uniform(0.3, 1.3), rng.uniform(0.0, np.pi / 2)
        if 1 + rho**4 - 2 * rho**2 * np.cos(phi) ** 2 > 0.36:
            continue
        seen += 1
        assert delta_soc(rho * np.array([np.cos(phi), np.sin(phi)]), z[:, 0]) >= res[0.6].delta - 1e-7
