"""rank-one-phase and completion-phase: the plug-in contract, a success and a failure, determinism, the summaries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spurious.core._matrix_free import RankOneOperator
from spurious.core._problems import least_squares
from spurious.solvers._init import spectral
from spurious.studies import recovery_phase as R
from spurious.studies._registry import VERDICTS, get_experiment
from spurious.studies._runner import reproduce

#: Small grids: a cell below the degrees of freedom (ratio 0.5) and a generous one.
TINY_R1 = {"n": 30, "ranks": [1, 2], "ratios": [0.5, 8], "trials": 2, "steps": 1500, "certify_trials": 1}
TINY_MC = {"n": 40, "ranks": [2], "ratios": [0.5, 8], "trials": 2, "steps": 1500, "certify_trials": 1}


def _params(kind: str, **over) -> dict:
    base = R.rank_one_params(True) if kind == "rank-one" else R.completion_params(True)
    return {**base, **(TINY_R1 if kind == "rank-one" else TINY_MC), **over}


@pytest.mark.parametrize("name", ["rank-one-phase", "completion-phase"])
@pytest.mark.parametrize("quick", [True, False])
def test_params_chunks_and_work_follow_the_contract(name, quick):
    exp = get_experiment(name)
    p = exp.params(quick)
    json.dumps(p)
    ch = exp.chunks(p)
    assert ch == exp.chunks(json.loads(json.dumps(p)))  # fixed by the parameters alone
    per_ratio = len(p["ratios"]) if name == "rank-one-phase" else 1  # rank-one: one chunk per grid cell
    assert len(ch) == len(set(ch)) == len(p["ranks"]) * p["trials"] * per_ratio
    json.dumps(ch)
    units, text = exp.work(p)
    assert units == p["trials"] * 2 * len(p["ranks"]) * len(p["ratios"]) * p["steps"] and "steps" in text
    assert all(exp.chunk_work(p, c) > 0 for c in ch)
    assert p["n"] == (1000 if not quick else (200 if name == "rank-one-phase" else 100))
    assert (p["ranks"] == [1, 2, 3, 4, 5]) is (not quick)


def test_rank_one_success_at_large_m_and_failure_below_the_dof_count():
    p = _params("rank-one")
    df = pd.concat([R.rank_one_chunk(p, c, 0) for c in R.chunks(p)], ignore_index=True)
    assert len(df) == len(p["ranks"]) * p["trials"] * len(p["ratios"]) * 2
    assert set(df.init) == {"random", "spectral"}
    big, small = df[df.ratio == 8], df[df.ratio == 0.5]
    assert big.success.all() and (big.rel_distance <= p["success_tol"]).all()
    assert (big.kind == "recovered").all() and (big.status == "converged").all()
    assert (small.m < small.r.map(lambda r: R.dof(p["n"], r))).all()
    assert not small.success.any()
    assert (small.rel_distance > 0.1).all()
    # failures of trial 0 are certified (a kind of the census), later trials are not
    assert set(small[small.trial == 0].kind) <= set(R.FAILURE_KINDS) - {"uncertified"}
    assert (small[small.trial == 1].kind == "uncertified").all()
    assert (df.m == [R.measurements(p, r, q) for r, q in zip(df.r, df.ratio, strict=True)]).all()


def test_completion_success_when_oversampled_failure_when_undersampled():
    p = _params("completion")
    df = pd.concat([R.completion_chunk(p, c, 0) for c in R.chunks(p)], ignore_index=True)
    big, small = df[df.ratio == 8], df[df.ratio == 0.5]
    assert big.success.all() and (big.rows_short == 0).all()
    assert not small.success.any()
    assert (small.m < R.dof(p["n"], 2)).all()
    # p is the expected fraction of observed pairs; m the drawn count
    N = p["n"] * (p["n"] + 1) / 2
    assert np.allclose(df.p, df.ratio * p["n"] * df.r / N)
    assert ((df.m - df.p * N).abs() <= 6 * np.sqrt(df.p * N)).all()


def test_nested_measurements_and_streams_are_fixed_by_the_seed():
    p = _params("rank-one", ranks=[1], ratios=[2, 8], trials=1, certify_trials=0)
    a = R.rank_one_chunk(p, "r1-trial0", 3)
    b = R.rank_one_chunk(p, "r1-trial0", 3)
    pd.testing.assert_frame_equal(a, b)
    c = R.rank_one_chunk(p, "r1-trial0", 4)
    assert not np.allclose(a.f, c.f)
    # dropping a grid point leaves the other cell unchanged (nested operators, one stream per trial)
    d = R.rank_one_chunk({**p, "ratios": [8]}, "r1-trial0", 3)
    pd.testing.assert_frame_equal(a[a.ratio == 8].reset_index(drop=True), d)


def test_rank_one_chunks_per_ratio_give_the_rows_of_the_whole_trial():
    p = _params("rank-one", ranks=[1], ratios=[2, 8], trials=1, certify_trials=1, steps=300)
    whole = R.rank_one_chunk(p, "r1-trial0", 5)
    assert R.rank_one_chunks(p) == ["r1-trial0-ratio0", "r1-trial0-ratio1"]
    parts = pd.concat([R.rank_one_chunk(p, c, 5) for c in R.rank_one_chunks(p)], ignore_index=True)
    pd.testing.assert_frame_equal(parts, whole, check_exact=True)
    assert (~whole.success).any() and (whole.kind != "uncertified").all()  # a certified failure is compared too
    assert sum(R.chunk_work(p, c) for c in R.rank_one_chunks(p)) == R.chunk_work(p, "r1-trial0")


def test_results_do_not_depend_on_workers(tmp_path):
    over = {k: v for k, v in TINY_MC.items()}
    over.update(ratios=[1, 8], trials=2, steps=400)
    one = reproduce("completion-phase", quick=True, out=tmp_path / "w1", workers=1, overrides=over)
    two = reproduce("completion-phase", quick=True, out=tmp_path / "w2", workers=2, overrides=over)
    a = pd.read_parquet(tmp_path / "w1" / "results.parquet")
    b = pd.read_parquet(tmp_path / "w2" / "results.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert {v.verdict for v in one.verdicts} <= set(VERDICTS)
    assert [v.to_dict() for v in one.verdicts] == [v.to_dict() for v in two.verdicts]
    assert (tmp_path / "w1" / "figures" / "completion-phase.png").is_file()


def test_rank_one_start_removes_the_trace_bias():
    rng = np.random.default_rng(0)
    n, r, m = 40, 2, 20_000
    z = rng.standard_normal((n, r))
    problem = least_squares(RankOneOperator(rng.standard_normal((m, n))), z, scaling="mean")
    x0, lhat = R.rank_one_start(problem)
    M = z @ z.T
    lam1, tr = np.linalg.eigvalsh(M)[-1], np.trace(M)
    assert lhat == pytest.approx(16 * lam1 + 8 * tr, rel=0.15)
    ours = np.linalg.norm(x0 @ x0.T - M) / np.linalg.norm(M)
    x_lib = spectral(problem)[0]
    plain = np.linalg.norm(x_lib @ x_lib.T - M) / np.linalg.norm(M)
    assert ours < 0.25 < 0.9 < plain  # the library's A*(b)/c estimates M* + tr(M*)/2 · I in its top eigenvalues
    # same eigenvectors: the columns are parallel
    cos = np.abs(np.sum(x0 * x_lib, axis=0)) / (np.linalg.norm(x0, axis=0) * np.linalg.norm(x_lib, axis=0))
    np.testing.assert_allclose(cos, 1.0, atol=1e-12)


def _fake(kind: str) -> tuple[dict, pd.DataFrame]:
    """A results table of the right shape with a transition at ratio 4 (no solver run)."""
    p = {**(R.rank_one_params(True) if kind == "rank-one" else R.completion_params(True)), "trials": 4}
    rows = []
    for r in p["ranks"]:
        for q in p["ratios"]:
            for init in p["inits"]:
                for t in range(p["trials"]):
                    ok = q >= 4 or (init == "spectral" and q >= 3 and t < 2)
                    m = R.measurements(p, r, q)
                    rows.append(
                        {
                            "n": p["n"],
                            "r": r,
                            "ratio": float(q),
                            "m": m,
                            "p": np.nan if kind == "rank-one" else R.sampling_rate(p, r, q),
                            "trial": t,
                            "init": init,
                            "success": ok,
                            "kind": "recovered" if ok else ("spurious-local-min" if q == 3 else "not-converged"),
                            "rows_short": 1 if q == 0.5 else 0,
                        }
                    )
    return p, pd.DataFrame(rows)


@pytest.mark.parametrize("kind", ["rank-one", "completion"])
def test_summaries_state_the_transition_and_the_census(kind, tmp_path):
    p, df = _fake(kind)
    summarize = R.rank_one_summary if kind == "rank-one" else R.completion_summary
    verdicts = summarize(p, df, tmp_path)
    assert {v.verdict for v in verdicts} <= set(VERDICTS)
    assert list(tmp_path.glob("*.png"))
    first = verdicts[0]
    assert "½ reached at 4" in first.ours and "Wilson" in first.ours
    spectral_row = verdicts[1]
    assert "½ reached at 3" in spectral_row.ours
    dof_row = next(v for v in verdicts if "degrees of freedom" in v.quantity)
    assert dof_row.verdict == "match"
    census = next(v for v in verdicts if "census" in v.quantity)
    assert "spurious-local-min" in census.ours and "not-converged" in census.ours
    init = next(v for v in verdicts if "random vs spectral" in v.quantity)
    assert init.verdict == "match"  # one grid step apart
