"""zhang2020 experiments through the real runner (small parameters)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spurious.studies import _registry as registry
from spurious.studies import _runner as runner
from spurious.studies import zhang2020 as Z


def _small(name: str, **over):
    registry.load_module("spurious.studies.zhang2020")  # this module only
    exp = registry.get_experiment(name)
    base = exp.params(True)

    def params(quick: bool) -> dict:
        return {**base, **over}

    return dataclasses.replace(exp, params=params)


def test_registered():
    names = [e.name for e in registry.load_module("spurious.studies.zhang2020")]
    assert names == ["zhang2020-threshold-eps", "zhang2020-level-sets"]


def test_ground_truth_constant():
    from spurious.landscape._ball_thresholds import constant_c

    assert constant_c(Z.ground_truth(1)) == pytest.approx(1.0)
    assert constant_c(Z.ground_truth(2)) == pytest.approx(np.sqrt(2.0))


def test_threshold_eps_small_run(tmp_path):
    exp = _small("zhang2020-threshold-eps", eps={"1": [0.05, 0.5, 1.0]}, rank1_grid=[8, 5], rank1_refine=40)
    res = runner.reproduce(exp, out=tmp_path / "run", quick=True, workers=1)
    v = {q.quantity: q.verdict for q in res.verdicts}
    assert v["max{δ_foc(B_ε), δ*} ≤ δ_soc(B_ε) (eq. (7)), ranks 1 and 2"] == "match"
    assert v["rank 1: tightness of max{δ_foc(B_ε), δ*} near the solution (ε ≤ 0.2)"] == "match"
    assert v["rank 1: tightness over the whole ε range (ε up to 1)"] == "miss"  # gap 0.218 at ε = 1
    assert v["Thm 5: δ_foc(B_ε) > √(1 − Cε) for ε < 1/C"] == "match"
    df = pd.read_parquet(res.results).set_index("eps")
    assert df.loc[0.05, "soc"] - df.loc[0.05, "bound"] < 1e-4
    assert df.loc[1.0, "soc"] - df.loc[1.0, "bound"] == pytest.approx(0.218, abs=5e-3)
    assert (res.out / "figures" / "threshold-eps.png").exists()


def test_level_sets_small_run(tmp_path):
    exp = _small("zhang2020-level-sets", a=[0.0, 1.2, 13], b=[0.0, 0.8, 9])
    res = runner.reproduce(exp, out=tmp_path / "run", quick=True, workers=1)
    assert [q.verdict for q in res.verdicts] == ["match"] * 4
    df = pd.read_parquet(res.results)
    assert len(df) == 13 * 9
    ok = df[df.certified & (df.rho > 0)]
    assert np.all(ok.soc >= np.maximum(ok.foc, 0.5) - 1e-6)
    assert (res.out / "figures" / "level-sets.png").exists()


EXPECTED_QUICK = {
    "zhang2020-threshold-eps": ["match", "match", "miss", "match", "match", "match"],
    "zhang2020-level-sets": ["match"] * 4,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_QUICK))
def test_quick_run_verdicts(tmp_path, name):
    """The registered --quick form through the runner (≈ 6–16 s each on 2 cores): the expected verdicts."""
    registry.load_module("spurious.studies.zhang2020")
    res = runner.reproduce(name, out=tmp_path / name, quick=True, workers=2)
    assert [v.verdict for v in res.verdicts] == EXPECTED_QUICK[name]
    assert res.summary.exists() and res.figures
