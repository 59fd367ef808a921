"""The "which guarantee applies" table (bhojanapalli2016, zhang2018, Zhang–Sojoudi–Lavaei, bi2021)."""

from __future__ import annotations

import dataclasses

import pytest

from spurious.core._errors import InputError
from spurious.landscape._guarantees import CONCLUSIONS, Guarantee, guarantees

SYMMETRIC = {
    "bhojanapalli2016 Thm 4.1",
    "bhojanapalli2016 Thm 3.1",
    "bhojanapalli2016 Thm 3.2",
    "zhang2018 Thm 2 (Ge et al. 2017)",
    "Zhang, Sojoudi, Lavaei 2019 (rank 1)",
    "bi2021 Lemma 4",
    "bi2021 Thm 5",
    "zhang2018 Thm 4 / Example 3",
    "zhang2018 Example 3, embedded in rank r",
}
COUNTER = {"zhang2018 Thm 4 / Example 3", "zhang2018 Example 3, embedded in rank r"}

# (δ, r, symmetric) -> theorems that apply
EXPECTED = {
    (0.05, 1, True): SYMMETRIC - COUNTER,
    (0.05, 2, True): SYMMETRIC - COUNTER - {"Zhang, Sojoudi, Lavaei 2019 (rank 1)"},
    (0.15, 1, True): {
        "bhojanapalli2016 Thm 4.1",
        "zhang2018 Thm 2 (Ge et al. 2017)",
        "Zhang, Sojoudi, Lavaei 2019 (rank 1)",
        "bi2021 Lemma 4",
        "bi2021 Thm 5",
    },
    (0.15, 2, True): {"bhojanapalli2016 Thm 4.1", "zhang2018 Thm 2 (Ge et al. 2017)", "bi2021 Lemma 4", "bi2021 Thm 5"},
    (0.3, 1, True): {"Zhang, Sojoudi, Lavaei 2019 (rank 1)", "bi2021 Lemma 4", "bi2021 Thm 5"},
    (0.3, 2, True): {"bi2021 Lemma 4", "bi2021 Thm 5"},
    (0.49, 1, True): {"Zhang, Sojoudi, Lavaei 2019 (rank 1)", "bi2021 Lemma 4", "bi2021 Thm 5"},
    (0.49, 2, True): {"bi2021 Lemma 4", "bi2021 Thm 5"},
    (0.5, 1, True): COUNTER,
    (0.5, 2, True): {"zhang2018 Example 3, embedded in rank r"},
    (0.7, 1, True): COUNTER,
    (0.7, 2, True): {"zhang2018 Example 3, embedded in rank r"},
}
for _d in (0.05, 0.15, 0.3):
    for _r in (1, 2):
        EXPECTED[(_d, _r, False)] = {"bi2021 Thm 6"}
for _d in (0.49, 0.5, 0.7):
    for _r in (1, 2):
        EXPECTED[(_d, _r, False)] = set()


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_table(key):
    delta, r, symmetric = key
    gs = guarantees(delta, r, symmetric=symmetric)
    assert {g.theorem for g in gs if g.applies} == EXPECTED[key]
    assert {g.theorem for g in gs} == (SYMMETRIC if symmetric else {"bi2021 Thm 6"})
    for g in gs:
        assert isinstance(g, Guarantee)
        assert g.conclusion in CONCLUSIONS
        assert g.citation and g.condition
        assert g.symmetric == symmetric
        assert g.rip_rank_needed == {"2r": 2 * r, "4r": 4 * r, "2": 2 * r}[g.rip_rank]


def test_conclusions_and_ranks():
    by_name = {g.theorem: g for g in guarantees(0.05, 1)}
    assert by_name["bhojanapalli2016 Thm 4.1"].conclusion == "no spurious local minima"
    assert by_name["bhojanapalli2016 Thm 4.1"].rip_rank == "4r"
    assert by_name["bhojanapalli2016 Thm 3.2"].conclusion == "strict saddle"
    assert by_name["bi2021 Thm 5"].conclusion == "global linear convergence of perturbed GD"
    assert by_name["bi2021 Thm 5"].rip_rank == "2r"
    assert by_name["Zhang, Sojoudi, Lavaei 2019 (rank 1)"].threshold == 0.5
    assert by_name["zhang2018 Thm 4 / Example 3"].kind == "counterexample"
    asym = guarantees(0.05, 1, symmetric=False)[0]
    assert asym.threshold == pytest.approx(1 / 3) and asym.conclusion == "global linear convergence of perturbed GD"


def test_boundaries_strict():
    def applies(d, r=1, sym=True):
        return {g.theorem for g in guarantees(d, r, symmetric=sym) if g.applies}

    assert "bhojanapalli2016 Thm 4.1" not in applies(0.2)
    assert "bhojanapalli2016 Thm 4.1" in applies(0.2 - 1e-12)
    assert "bhojanapalli2016 Thm 3.2" not in applies(0.1)
    assert "bi2021 Thm 6" not in applies(1 / 3, sym=False)
    assert "bi2021 Thm 6" in applies(1 / 3 - 1e-12, sym=False)
    assert "zhang2018 Thm 4 / Example 3" in applies(0.5)
    assert "zhang2018 Thm 4 / Example 3" not in applies(0.5 - 1e-12)
    assert applies(1.0) == COUNTER


def test_rip_rank():
    """δ measured over rank k certifies only theorems that need rank ≤ k."""

    def applies(k, r=1):
        return {g.theorem for g in guarantees(0.05, r, rip_rank=k) if g.applies}

    assert applies(2) == {
        "zhang2018 Thm 2 (Ge et al. 2017)",
        "Zhang, Sojoudi, Lavaei 2019 (rank 1)",
        "bi2021 Lemma 4",
        "bi2021 Thm 5",
    }
    assert applies(4) == applies(None)
    assert "bhojanapalli2016 Thm 4.1" in applies(4)
    assert applies(3, r=2) == set()  # 2r = 4 > 3
    assert "bhojanapalli2016 Thm 4.1" not in applies(7, r=2) and "bi2021 Thm 5" in applies(7, r=2)
    assert "bhojanapalli2016 Thm 4.1" in applies(8, r=2)


def test_frozen_and_errors():
    g = guarantees(0.1, 1)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.applies = False  # type: ignore[misc]
    for bad in (-0.1, 1.5, float("nan"), "x"):
        with pytest.raises(InputError):
            guarantees(bad, 1)
    for bad in (0, 1.5, True):
        with pytest.raises(InputError):
            guarantees(0.1, bad)
    with pytest.raises(InputError):
        guarantees(0.1, 1, rip_rank=0)


def test_docstring_example():
    assert [g.theorem for g in guarantees(0.3, 1) if g.applies] == [
        "Zhang, Sojoudi, Lavaei 2019 (rank 1)",
        "bi2021 Lemma 4",
        "bi2021 Thm 5",
    ]


@pytest.mark.parametrize("r", [2, 3])
def test_embedded_example3_is_a_rank_r_counterexample_at_one_half(r):
    """The rank-r counterexample entry: Example 3 on the weakest direction of Z has δ_soc = 1/2."""
    import numpy as np

    import spurious.landscape._thresholds as thresholds

    rng = np.random.default_rng(r)
    z = rng.standard_normal((r + 2, r))
    U, s, Vt = np.linalg.svd(z, full_matrices=False)
    w = np.linalg.qr(np.hstack([U, np.eye(r + 2)]))[0][:, r]
    cols = U * s
    cols[:, -1] = s[-1] * w / np.sqrt(2)  # ρ = 1/√2, φ = π/2 against σ_r u_r
    x = cols @ Vt
    res = thresholds.threshold_program(x, z, order="second")
    assert res.certified
    assert res.delta == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"delta": 1.5}, "delta"),
        ({"delta": "x"}, "delta"),
        ({"r": 0}, "r"),
        ({"r": True}, "r"),
        ({"r": 1.5}, "r"),
        ({"rip_rank": 0}, "rip_rank"),
    ],
)
def test_guarantees_refuse_bad_scalars(kw, name):
    args = {"delta": 0.3, "r": 1, **kw}
    with pytest.raises(InputError, match=name):
        guarantees(**args)


def test_theorem_constants_are_the_table_thresholds():
    from spurious.landscape import _guarantees as G

    thr = {g.theorem: g.threshold for g in guarantees(0.0, 1)} | {
        g.theorem: g.threshold for g in guarantees(0.0, 1, symmetric=False)
    }
    assert thr["bhojanapalli2016 Thm 4.1"] == G.DELTA_NO_SPURIOUS == 0.2
    assert thr["bhojanapalli2016 Thm 3.2"] == G.DELTA_NOISY == 0.1
    assert thr["Zhang, Sojoudi, Lavaei 2019 (rank 1)"] == G.DELTA_STAR == 0.5
    assert thr["bi2021 Thm 6"] == G.DELTA_ASYMMETRIC == 1 / 3
