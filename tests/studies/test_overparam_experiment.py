"""``spurious reproduce overparam`` at small sizes: one row per cell, instance files that re-verify."""

import numpy as np
import pandas as pd
import pytest

from spurious.core._instances import load_instance
from spurious.landscape._counterexample import verify_instance
from spurious.landscape._rip import full_rank_delta
from spurious.studies import overparam
from spurious.studies._runner import reproduce

COLUMNS = ("r_star", "r", "n", "delta_min", "bound_sufficient", "bound_counterexample", "instance")


def _check_run(res, cells, mu):
    df = pd.read_parquet(res.results)
    assert set(COLUMNS) <= set(df.columns)
    assert sorted(map(tuple, df[["r_star", "r"]].to_numpy().tolist())) == sorted(map(tuple, cells))
    assert not any(v.verdict == "refuted" for v in res.verdicts)
    for _, q in df.iterrows():
        assert q.delta_min >= q.bound_sufficient - 1e-6
        inst = load_instance(res.out / q.instance)  # every saved instance re-verifies from its matrices
        assert inst.x.shape == (q.n, q.r) and inst.z.shape == (q.n, q.r_star)
        ver = verify_instance(inst, inst.x, delta=float(q.delta_min), order="second", margin=mu)
        assert ver.passed, ver.message
        assert full_rank_delta(inst.operator.kernel()) == pytest.approx(q.delta_min, abs=1e-6)
        assert ver.hess_min_eig >= 2 * mu - 1e-6
        assert np.linalg.norm(inst.x @ inst.x.T - inst.z @ inst.z.T) > 1e-3  # spurious, not global
    files = sorted((res.out / "instances").glob("*.npz"))
    assert len(files) == 2 * len(df)  # each cell's minimizer and its orthogonal construction
    for path in files:  # every saved instance re-verifies from its matrices, against its own stored claim
        inst = load_instance(path)
        ver = verify_instance(
            inst, inst.x, delta=float(inst.metadata["delta"]), order="second", margin=float(inst.metadata["margin"])
        )
        assert ver.passed, (path, ver.message)
    return df


def test_overparam_small_run(tmp_path):
    cells = [[1, 1], [1, 2], [2, 3]]
    res = reproduce("overparam", out=tmp_path / "overparam", quick=True, workers=1, overrides={"cells": cells})
    df = _check_run(res, cells, 0.0)
    q = df[(df.r_star == 1) & (df.r == 2)].iloc[0]
    assert q.delta_min == pytest.approx(q.bound_counterexample, abs=2e-3)  # r* = 1: the sharp value
    assert np.all(np.abs(df.delta_embedded - df.delta_min) <= 1e-6)  # n = r + r* loses nothing
    assert (res.out / "figures" / "structure.png").exists()
    # margin: strict local minima, compared with the μ = 0 run next to it
    mres = reproduce(
        "overparam-margin",
        out=tmp_path / "overparam-margin",
        quick=True,
        workers=1,
        overrides={"cells": [[1, 1], [1, 2]], "margin": 0.02},
    )
    mdf = _check_run(mres, [[1, 1], [1, 2]], 0.02)
    base = df.set_index(["r_star", "r"]).delta_min
    for _, q in mdf.iterrows():
        assert q.delta_min > base[(q.r_star, q.r)]
    assert any("price" in v.quantity and v.verdict == "match" for v in mres.verdicts)


def test_embedded_start_fits_the_extra_truth_directions():
    x1 = np.array([[0.0, 0.0], [0.6, 0.1], [0.2, 0.5]])  # an (r' + 1) × r' point against e₁, r' = 2
    x, z = overparam.embedded_start(x1, 2, 3)
    assert x.shape == (5, 3) and z.shape == (5, 2)
    E = x @ x.T - z @ z.T
    z1 = np.zeros((3, 1))
    z1[0] = 1.0
    rows = [0, 2, 3]
    assert np.allclose(E[np.ix_(rows, rows)], x1 @ x1.T - z1 @ z1.T)
    assert np.allclose(np.delete(np.delete(E, rows, 0), rows, 1), 0.0)


def test_chunks_are_fixed_by_params():
    p = overparam.params(False)
    assert overparam.chunks(p) == [{"r_star": rs, "r": r} for rs in (1, 2, 3) for r in range(rs, rs + 4)]
    assert overparam.instance_path(p, 2, 3) == "instances/overparam-rstar2-r3.npz"


def test_margin_price_without_a_baseline_is_not_a_match(tmp_path):
    df = pd.DataFrame({"r_star": [1], "r": [1], "delta_min": [0.5124]})
    v = overparam._margin_price(df, tmp_path / "overparam" / "results.parquet")
    assert v.verdict == "miss" and "no μ = 0 run" in v.ours and "(1, 1): 0.512400" in v.ours


def test_an_uncertified_program_status_is_named_but_the_file_is_judged_by_its_matrices(tmp_path, monkeypatch):
    import dataclasses

    p = overparam.params(True)
    q = next(overparam.run_chunk(p, {"r_star": 1, "r": 1}, 0).itertuples())
    assert overparam.save_and_verify(p, q, tmp_path)["passed"]
    real = overparam.counterexample
    monkeypatch.setattr(
        overparam, "counterexample", lambda *a, **k: dataclasses.replace(real(*a, **k), status="optimal_inaccurate")
    )
    chk = overparam.save_and_verify(p, q, tmp_path)
    assert chk["passed"] and "ended 'optimal_inaccurate'" in chk["note"]
    real_verify = overparam.verify_instance
    monkeypatch.setattr(
        overparam,
        "verify_instance",
        lambda *a, **k: dataclasses.replace(real_verify(*a, **k), passed=False, message="full-rank δ differs"),
    )
    chk = overparam.save_and_verify(p, q, tmp_path)
    assert not chk["passed"] and chk["message"] == "full-rank δ differs"
