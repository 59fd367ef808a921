"""zhang2018 §5 Experiment 2 (Fig. 2 and 3): the quick runs through the real runner, chunking, helpers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from spurious.core._linalg import outer
from spurious.studies import _runner as runner
from spurious.studies import zhang2018_sgd as Z


def _by_prefix(verdicts):
    return {v.quantity.split(":")[0].split(" (")[0]: v for v in verdicts}


def _check_manifest(out, params):
    man = json.loads((out / "manifest.json").read_text())
    fields = man["experiment_fields"]
    assert fields["factorization_of_H"] == params["factorization"] == "eigh"
    assert fields["kernel_source"] == "reduced-lifted"
    assert fields["gradient_convention"].startswith("unbiased")
    assert 0.0 < fields["delta_of_our_draw"] < 1.0
    summary = (out / "summary.md").read_text()
    assert "never states its stochastic-gradient convention" in summary
    assert "no single convention" in summary
    return fields


def test_bad_quick_through_runner(tmp_path):
    res = runner.reproduce("zhang2018-sgd-bad", out=tmp_path / "bad", quick=True, seed=0, workers=1)
    params = Z.bad_params(True)
    df = pd.read_parquet(res.results)
    assert len(df) == len(params["gammas"]) * params["trials"]
    fields = _check_manifest(res.out, params)
    v = {q.quantity.split(" (")[0].split(":")[0]: q for q in res.verdicts}
    by = [x.verdict for x in res.verdicts]
    assert by == ["match", "match", "match", "miss", "miss"], [x.to_dict() for x in res.verdicts]
    assert abs(fields["delta_of_our_draw"] - 0.973) <= 0.03
    assert "γ = 0" in v and "γ = 1" in v
    e0 = df.loc[df.gamma == 0.0, "error"]
    assert (e0 > 1.0).all()  # stuck at x_loc (‖xxᵀ‖_F/‖zzᵀ‖_F = 4)
    e1 = df.loc[df.gamma == 1.0, "error"]
    assert (e1 < 0.5).mean() >= 0.9
    assert (e1 < 0.01).mean() < 1.0  # the paper's "all below 1 %" is not reproduced (reported as miss)
    assert (res.out / "figures" / "zhang2018-sgd-bad.png").stat().st_size > 0


def test_good_quick_through_runner(tmp_path):
    res = runner.reproduce("zhang2018-sgd-good", out=tmp_path / "good", quick=True, seed=0, workers=1)
    params = Z.good_params(True)
    fields = _check_manifest(res.out, params)
    assert fields["delta_of_our_draw"] == pytest.approx(0.5, abs=1e-6)
    verdicts = [x.verdict for x in res.verdicts]
    assert verdicts[:2] == ["match", "match"] and verdicts[3] == "match", [x.to_dict() for x in res.verdicts]
    df = pd.read_parquet(res.results)
    last = df[df.gamma == 1.0]
    failed = last[~(last.error < 0.5)]
    assert 0 < len(failed) < 0.1 * len(last)
    # failures hover near x_loc; the row is honest: 'match' only if every positioned failure is within 0.3
    # (one slow escaper decides it: 12 of 13 within 0.3 on an AVX2 CPU where AVX-512 gave 13 of 13 — the
    # instance is built with LAPACK and an interior-point solve, whose last bits depend on the CPU)
    near = failed.xloc_distance.dropna()
    assert near.median() <= 0.3 and (near <= 0.3).mean() >= 0.75
    assert verdicts[2] == ("match" if (near <= 0.3).all() else "miss")
    assert df.loc[df.gamma == 0.0, "error"].median() == pytest.approx(math.sqrt(5) / 2, abs=0.05)


def test_chunks_do_not_change_results():
    """A trial's row depends only on (seed, γ index, trial): blocks of 20 equal one block of 40."""
    p = {**Z.good_params(True), "gammas": [0.5, 1.0], "trials": 40, "steps": 300}
    whole = pd.concat([Z.run_chunk({**p, "block": 40}, c, 3) for c in Z.chunks({**p, "block": 40})], ignore_index=True)
    split_chunks = Z.chunks({**p, "block": 20})
    assert split_chunks == [[0, 0], [0, 20], [1, 0], [1, 20]]
    split = pd.concat([Z.run_chunk({**p, "block": 20}, c, 3) for c in split_chunks], ignore_index=True)
    pd.testing.assert_frame_equal(whole, split)
    other = Z.run_chunk({**p, "block": 40}, [1, 0], 4)
    assert not np.array_equal(other.error.to_numpy(), whole[whole.gamma_index == 1].error.to_numpy())


def test_instance_draws_follow_the_paper():
    x, z = Z.draw_pair(Z.good_params(False))
    assert np.linalg.norm(outer(z)) == pytest.approx(1.0)
    assert abs(float(x[:, 0] @ z[:, 0])) < 1e-12
    assert np.linalg.norm(x) == pytest.approx(np.linalg.norm(z) / math.sqrt(2))
    x, z = Z.draw_pair(Z.bad_params(False))
    assert x.shape == z.shape == (12, 2)
    assert np.linalg.norm(outer(x)) / np.linalg.norm(outer(z)) == pytest.approx(4.0)


def test_procrustes_distance(rng):
    y = rng.standard_normal((5, 1))
    x = rng.standard_normal((7, 5, 1))
    want = np.minimum(np.linalg.norm(x - y, axis=(1, 2)), np.linalg.norm(x + y, axis=(1, 2)))
    np.testing.assert_allclose(Z.procrustes_distance(x, y), want, rtol=1e-12)
    y2 = rng.standard_normal((5, 2))
    Q, _ = np.linalg.qr(rng.standard_normal((2, 2)))
    x2 = y2 @ Q + 1e-3 * rng.standard_normal((5, 2))
    d = Z.procrustes_distance(x2[None], y2)[0]
    assert d <= np.linalg.norm(x2 - y2 @ Q) + 1e-12
    assert Z.procrustes_distance((y2 @ Q)[None], y2)[0] == pytest.approx(0.0, abs=1e-7)
