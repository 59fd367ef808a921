"""``spurious survey``: JSON contract (starts, endpoints with kind/count/share/ci/f/distance/x), text,
--out files, --instance, and one-line errors naming the flag (exit 2)."""

import json

import numpy as np
import pytest
from cli_helpers import assert_user_error, run

import spurious as sp
from spurious.cli import main

BASE = ["--starts", "60", "--steps", "1000", "--lr", "1e-2", "--seed", "0"]


@pytest.fixture(scope="module")
def ex3_json():
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["survey", "--example", "zhang2018-example3", *BASE, "--json"]) == 0
    return json.loads(buf.getvalue())


def test_json_contract_and_library_agree(ex3_json):
    res = ex3_json
    assert res["starts"] == 60 and res["source"] == "zhang2018-example3"
    assert sum(e["count"] for e in res["endpoints"]) == 60 == sum(res["counts"].values())
    kinds = {e["kind"] for e in res["endpoints"]}
    assert {"global", "spurious-second-order"} <= kinds
    for e in res["endpoints"]:
        assert {"kind", "count", "share", "ci", "f", "distance", "x", "local_min"} <= set(e)
        assert e["kind"] in ("global", "spurious-local-min", "spurious-second-order", "saddle", "not-converged")
    lib = sp.survey("zhang2018-example3", starts=60, steps=1000, lr=1e-2, seed=0)
    assert [(e["kind"], e["count"]) for e in res["endpoints"]] == [(b.kind, b.count) for b in lib.basins]
    deg = next(e for e in res["endpoints"] if e["kind"] == "spurious-second-order")
    assert deg["local_min"] is False and np.allclose(np.abs(np.ravel(deg["x"])), [0, 2**-0.5], atol=1e-6)
    assert res["rip"]["method"] == "exact"


def test_text_output(capsys):
    code, out, err = run(capsys, "survey", "--example", "zhang2018-example3", *BASE, "--no-rip")
    assert code == 0 and err == ""
    assert out.startswith("Survey of zhang2018-example3")
    assert "spurious-second-order" in out and "fourth-order" in out and "RIP" not in out


def test_out_writes_census_and_endpoints(capsys, tmp_path):
    out_dir = tmp_path / "census"
    code, out, _ = run(
        capsys, "survey", "--example", "zhang2018-example3", "--starts", "10", "--steps", "200", "--lr", "1e-2",
        "--no-rip", "--out", str(out_dir), "--json",
    )  # fmt: skip
    assert code == 0
    res = json.loads(out)
    assert res["files"] == [str(out_dir / name) for name in ("census.json", "endpoints.npz", "basins.png")]
    census = json.loads((out_dir / "census.json").read_text())
    assert census["starts"] == 10 and census["counts"] == res["counts"]
    with np.load(out_dir / "endpoints.npz") as z:
        assert z["label"].shape == (10,)


def test_instance_file_with_a_strict_spurious_local_minimum(capsys, tmp_path):
    inst = sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=0.01).instance
    path = sp.save_instance(tmp_path / "ce.npz", inst)
    code, out, _ = run(capsys, "survey", "--instance", str(path), "--starts", "30", "--steps", "3000", "--json")
    assert code == 0
    res = json.loads(out)
    (slm,) = [e for e in res["endpoints"] if e["kind"] == "spurious-local-min"]
    assert slm["local_min"] is True and slm["count"] > 0
    x = np.asarray(slm["x"])
    assert np.linalg.norm(x @ x.T - inst.x @ inst.x.T) < 1e-8


@pytest.mark.parametrize(
    "argv, needles",
    [
        (["--starts", "0"], ["--starts", "0"]),
        (["--starts", "5", "--steps", "0"], ["--steps"]),
        (["--starts", "5", "--lr", "-1e-3"], ["--lr -1e-3"]),
        (["--starts", "5", "--method", "sgd"], ["--lr"]),
        (["--starts", "5", "--momentum", "1.5"], ["--momentum 1.5"]),
        (["--starts", "5", "--tol", "0"], ["--tol 0"]),
        (["--starts", "5", "--workers", "0"], ["--workers"]),
        (["--starts", "5", "--scheduler", "nowhere"], ["--scheduler"]),
    ],
)
def test_bad_input_names_the_flag(capsys, argv, needles):
    code, _, err = run(capsys, "survey", "--example", "zhang2018-example3", *argv)
    assert_user_error(code, err, *needles)


def test_missing_instance_file_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "survey", "--instance", str(tmp_path / "nope.npz"), "--starts", "5")
    assert_user_error(code, err, "nope.npz")
