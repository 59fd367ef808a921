"""zhang2018 Example 3 experiments: chunking invariance, trajectories, verdicts on reduced runs."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from spurious.solvers._sgd import gaussian_init
from spurious.studies import _registry as registry
from spurious.studies import _runner as runner
from spurious.studies import zhang2018_example3 as E


def _small(name: str, **overrides):
    exp = registry.get_experiment(name)
    return dataclasses.replace(exp, params=lambda quick: {**exp.params(True), **overrides})


def test_registered_with_conventions():
    exp = registry.get_experiment("zhang2018-example3")
    full = exp.params(False)
    assert (full["trials"], full["steps"], full["lr"], full["momentum"], full["grad"], full["tol"]) == (
        100_000,
        1_000,
        1e-3,
        0.9,
        "term",
        1e-2,
    )
    assert exp.chunks(full) == ["paths", *range(10)]
    assert exp.manifest(full)["grad"] == "term" and "factorization" in exp.manifest(full)
    esc = registry.get_experiment("zhang2018-example3-escape")
    assert esc.params(False)["steps"] == [1_000, 10_000, 100_000, 1_000_000]
    assert esc.params(False)["flush_below"] == 1e-90 and esc.manifest(esc.params(False))["flush_below"] == 1e-90
    assert len(esc.chunks(esc.params(False))) == 41 and esc.chunks(esc.params(False))[-1] == "check"


def test_rows_do_not_depend_on_blocks():
    p = E.example3_params(True)
    big = E.example3_chunk({**p, "block": 300}, 0, 11)
    small = E.example3_chunk({**p, "block": 100}, 2, 11)
    pd.testing.assert_frame_equal(big.iloc[200:].reset_index(drop=True), small, check_exact=True)
    assert list(small.trial) == list(range(200, 300)) and (small.kind == "final").all()


def test_paths_start_at_the_trials_gaussian_start():
    p = {**E.example3_params(True), "path_points": 24}
    df = E.example3_chunk(p, "paths", 4)
    assert set(df.kind) == {"path"} and set(df.success) == {True, False}
    for _, g in df.groupby("trial"):
        g = g.sort_values("steps")
        x0 = gaussian_init(2, 1, 1, seed=4, first_trial=int(g.trial.iloc[0]))[0, :, 0]
        assert g.steps.iloc[0] == 0 and np.allclose([g.x1.iloc[0], g.x2.iloc[0]], x0, rtol=0, atol=0)
        assert g.steps.iloc[-1] == p["steps"]
        assert np.hypot(g.x1.iloc[1] - x0[0], g.x2.iloc[1] - x0[1]) < 0.05  # one step of lr 1e-3
    end = df[df.success].sort_values("steps").iloc[-1]
    assert abs(abs(end.x1) - 1) < 0.05 and abs(end.x2) < 0.05


def test_example3_reduced_run(tmp_path):
    exp = _small("zhang2018-example3", trials=4_000, block=2_000, path_points=24)
    res = runner.reproduce(exp, out=tmp_path / "e3", workers=1)
    assert [v.verdict for v in res.verdicts] == ["match", "match", "match"]
    assert "4,000 trials" in res.verdicts[0].tolerance and "widened" in res.verdicts[0].tolerance
    df = pd.read_parquet(res.results)
    fin = df[df.kind == "final"]
    p = 1 - fin.success.mean()
    assert abs(p - 0.121) < 3 * math.sqrt(0.121 * 0.879 / 4_000) + 0.006
    assert {p.split("/")[-1] for p in res.figures} == {"example3-histogram.png", "example3-trajectories.png"}
    m = json.loads(res.manifest.read_text())
    assert m["experiment_fields"]["grad"] == "term"
    assert "grad: term" in res.summary.read_text()


def test_escape_reduced_run(tmp_path):
    exp = _small("zhang2018-example3-escape", trials=1_000, block=500, steps=[1_000, 4_000], check_trials=300)
    res = runner.reproduce(exp, out=tmp_path / "esc", workers=1)
    df = pd.read_parquet(res.results)
    plain = df[~df.flushed]
    assert len(plain) == 300 and set(plain.steps) == {4_000} and list(plain.trial) == list(range(300))
    df = df[df.flushed]
    assert len(df) == 2_000 and sorted(set(df.steps)) == [1_000, 4_000]
    a = df[df.steps == 1_000].set_index("trial").success
    b = df[df.steps == 4_000].set_index("trial").success
    assert (b[a]).mean() > 0.99  # a trial's longer run continues its shorter one: successes stay
    assert len(res.verdicts) == 3 and res.verdicts[0].verdict == "match"
    assert res.verdicts[1].verdict in ("match", "refuted") and "escaped" in res.verdicts[1].note
    assert res.verdicts[2].verdict == "match" and "same success for 300 of 300" in res.verdicts[2].ours
    assert res.figures[0].endswith("example3-escape.png")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["zhang2018-example3", "zhang2018-example3-escape"])
def test_quick_versions_match(tmp_path, name):
    res = runner.reproduce(name, out=tmp_path / name, quick=True, workers=2)
    assert all(v.verdict == "match" for v in res.verdicts), [v.to_dict() for v in res.verdicts]
