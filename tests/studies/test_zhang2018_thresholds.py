"""zhang2018 threshold experiments through the real runner (small parameters), and their helpers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spurious.studies import _registry as registry
from spurious.studies import _runner as runner
from spurious.studies import zhang2018_thresholds as Z


def _small(name: str, **over):
    """The registered experiment with its quick parameters overridden (runs in this process)."""
    registry.load_module("spurious.studies.zhang2018_thresholds")  # this module only
    exp = registry.get_experiment(name)
    base = exp.params(True)

    def params(quick: bool) -> dict:
        return {**base, **over}

    return dataclasses.replace(exp, params=params)


def _verdicts(res) -> dict[str, str]:
    return {v.quantity: v.verdict for v in res.verdicts}


def test_registered():
    names = [e.name for e in registry.load_module("spurious.studies.zhang2018_thresholds")]
    for n in ("zhang2018-min-delta", "zhang2018-closed-forms", "zhang2018-margin"):
        assert n in names


def test_min_delta_small_run(tmp_path):
    exp = _small(
        "zhang2018-min-delta",
        ns=[1, 2, 3],
        trials=3,
        construction_trials=6,
        construction_chunks=2,
        construction_ns=[2, 3],
    )
    res = runner.reproduce(exp, out=tmp_path / "run", quick=True, seed=1, workers=1)
    v = list(res.verdicts)
    assert [q.verdict for q in v] == ["match", "match"]
    df = pd.read_parquet(res.results)
    # cells (1,1), (2,1), (3,1), (2,2), (3,2): n = 1, r = 2 is skipped
    assert len(df[df.kind == "random"]) == 5 * 3 and len(df[df.kind == "construction"]) == 6
    assert np.all(df[(df.kind == "random") & (df.n == 1)].delta == 1.0)
    assert np.all(df[(df.kind == "random") & (df.n == 2) & (df.r == 2)].delta == 1.0)  # x full row rank
    assert np.max(np.abs(df[df.kind == "construction"].delta - 0.5)) < 1e-6
    assert (res.out / "figures" / "min-delta.png").exists()
    assert "| verdict |" in res.summary.read_text()
    # same seed, chunk by chunk: identical results (per-trial streams)
    again = Z.min_delta_chunk(exp.params(True), {"kind": "random", "n": 3, "r": 2}, 1)
    mine = df[(df.kind == "random") & (df.n == 3) & (df.r == 2)].reset_index(drop=True)
    np.testing.assert_array_equal(again.delta.to_numpy(), mine.delta.to_numpy())


def test_closed_forms_small_run(tmp_path):
    exp = _small("zhang2018-closed-forms", rhos=[0.5, 2.0], phis=9)
    res = runner.reproduce(exp, out=tmp_path / "run", quick=True, workers=1)
    verdicts = [q.verdict for q in res.verdicts]
    assert verdicts == ["match", "match", "refuted"]  # Thm 5, Thm 6, Thm 7
    thm7 = res.verdicts[2]
    assert "(0.5, 0.394)" in thm7.note and "SCS" in thm7.note
    df = pd.read_parquet(res.results)
    row = df[(df.rho == 0.5) & (df.phi == 0.394)].iloc[0]
    assert row.soc == pytest.approx(0.99278, abs=2e-5) and row.thm5 == pytest.approx(0.98973, abs=2e-5)
    assert row.recheck and row.t_fixed < 0 and row.soc_check > row.thm5
    assert (res.out / "figures" / "closed-forms.png").exists()


def test_margin_small_run(tmp_path):
    exp = _small("zhang2018-margin", mus=[0.0, 1e-4, 0.1, 0.5, 1.0], example3_extra_mus=[1.5], certify_starts=4)
    res = runner.reproduce(exp, out=tmp_path / "run", quick=True, workers=1)
    v = _verdicts(res)
    assert set(v.values()) == {"match"}, v
    df = pd.read_parquet(res.results)
    cur = df[(df.kind == "curve") & df.certified]
    np.testing.assert_allclose(cur.delta, Z.margin_fit(cur.mu), atol=1e-6)
    assert df[(df.kind == "curve") & (df.mu == 1.5)].delta.isna().all()  # beyond μ = 2‖x‖²: no instance
    cer = df[df.kind == "certify"].set_index(["geometry", "mu"])
    assert cer.loc[("example3", 0.01), "local_min"] == "true"
    assert cer.loc[("good-n12", 0.01), "local_min"] == "true"
    assert cer.loc[("example3", 0.0), "local_min"] != "true"  # the μ = 0 optimum is degenerate


EXPECTED_QUICK = {
    "zhang2018-min-delta": ["match", "match"],
    "zhang2018-closed-forms": ["match", "match", "refuted"],
    "zhang2018-margin": ["match"] * 8,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_QUICK))
def test_quick_run_verdicts(tmp_path, name):
    """The registered --quick form through the runner (≈ 5–10 s each on 2 cores): the expected verdicts."""
    registry.load_module("spurious.studies.zhang2018_thresholds")
    res = runner.reproduce(name, out=tmp_path / name, quick=True, workers=2)
    assert [v.verdict for v in res.verdicts] == EXPECTED_QUICK[name]
    assert res.summary.exists() and res.figures
