"""bi2021 Fig. 1: the quick run through the real runner, the two-stage fit, the asymmetric δ estimate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spurious.core._operators import RectangularOperator
from spurious.studies import _runner as runner
from spurious.studies import bi2021 as B


def test_quick_through_runner(tmp_path):
    res = runner.reproduce("bi2021-convergence", out=tmp_path / "bi", quick=True, seed=0, workers=1)
    v = {x.quantity.split(" ")[0] + " " + x.quantity.split(" ")[1]: x for x in res.verdicts}
    got = {q: x.verdict for q, x in v.items()}
    assert got["(a) δ"] == got["(b) δ"] == "match"
    for panel in "abcd":
        final = next(x for x in res.verdicts if x.quantity.startswith(f"({panel}) final error"))
        assert final.verdict == "match"
        assert float(final.ours) <= 1e-8
    assert [x.verdict for x in res.verdicts if "marker" in x.quantity] == ["miss", "match", "match", "match"]
    assert [x.verdict for x in res.verdicts if "two-stage" in x.quantity] == ["miss", "miss", "miss", "match"]
    df = pd.read_parquet(res.results)
    for panel, d in df.groupby("panel"):
        mk = int(d.marker.iloc[0])
        assert mk > 0  # the run starts outside the region and enters it
        inside = d[d.iteration >= mk]
        assert inside.error.iloc[0] < d.region_radius.iloc[0] or panel == "b"  # (b): the region is in X = [U; V]
        assert int(d.perturbations.iloc[0]) == 0
    man = json.loads((res.out / "manifest.json").read_text())
    assert "delta_estimate" in man["experiment_fields"]
    assert (res.out / "figures" / "bi2021-fig1.png").stat().st_size > 0


def test_two_stage_finds_the_break():
    it = np.arange(0, 600)
    le = np.where(it < 100, 1.0 - 0.002 * it, 0.8 - 0.03 * (it - 100))
    err = 10.0 ** np.maximum(le, -13.0)
    s = B.two_stage(it, err)
    assert s["change_iteration"] == pytest.approx(100, abs=2)
    assert s["linear_slope"] == pytest.approx(-0.03, rel=1e-3)
    assert s["early_slope"] == pytest.approx(-0.002, rel=0.05)
    assert s["floor_iteration"] <= 600


def test_asymmetric_ratios_of_an_isometry_are_one(rng):
    op = RectangularOperator(np.eye(12), (4, 3))
    rho = B.asymmetric_sampled_ratios(op, 2, 50, rng)
    np.testing.assert_allclose(rho, 1.0, rtol=1e-12)
    op2 = RectangularOperator(np.diag(np.linspace(1.0, 2.0, 12)), (4, 3))
    rho2 = B.asymmetric_sampled_ratios(op2, 2, 200, rng)
    assert 1.0 <= rho2.min() and rho2.max() <= 4.0
