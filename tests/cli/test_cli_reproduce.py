"""``spurious reproduce``: --list, a run (JSON and text), 'all', and the one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spurious.cli import main
from spurious.studies import _registry as registry
from spurious.studies import _runner as runner

TOY_DIR = Path(__file__).parents[1] / "studies"


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.syspath_prepend(str(TOY_DIR))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    return registry.get_experiment("toy")


def _json(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_list(toy, capsys):
    res = _json(capsys, ["reproduce", "--list", "--json"])
    names = [e["name"] for e in res["experiments"]]
    assert {"toy", "zhang2018-example3", "zhang2018-example3-escape"} <= set(names)
    assert all(set(e) == {"name", "description", "citation"} for e in res["experiments"])
    assert main(["reproduce", "--list"]) == 0
    assert "zhang2018-example3-escape  beyond the paper" in capsys.readouterr().out


def test_run_json_and_text(toy, tmp_path, capsys):
    out = tmp_path / "r"
    res = _json(capsys, ["reproduce", "toy", "--quick", "--out", str(out), "--workers", "1", "--seed", "2", "--json"])
    assert {"name", "out", "verdicts"} <= set(res) and res["name"] == "toy" and res["out"] == str(out)
    assert [v["verdict"] for v in res["verdicts"]] == ["match", "match"]
    assert res["summary"] == str(out / "summary.md") and res["figures"] == [str(out / "figures" / "toy-hist.png")]
    assert main(["reproduce", "toy", "--quick", "--out", str(out), "--workers", "1", "--seed", "2", "--resume"]) == 0
    text = capsys.readouterr().out
    assert f"summary: {out / 'summary.md'}" in text and "toy-hist.png" in text and "match  hit rate" in text


def test_all(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "describe", lambda: [{"name": "toy", "description": "", "citation": ""}])
    res = _json(capsys, ["reproduce", "all", "--quick", "--out", str(tmp_path), "--workers", "1", "--json"])
    assert res["name"] == "all" and res["index"] == str(tmp_path / "index.html")
    assert res["verdicts"][0]["experiment"] == "toy" and len(res["runs"]) == 1
    assert (tmp_path / "toy" / "summary.md").exists() and (tmp_path / "index.html").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["reproduce"], "give an experiment NAME"),
        (["reproduce", "nope"], "unknown experiment 'nope'"),
        (["reproduce", "toy", "--workers", "0"], "--workers = 0: expected an integer ≥ 1"),
        (["reproduce", "toy", "--seed", "-1"], "--seed = -1: expected an integer ≥ 0"),
    ],
)
def test_errors(toy, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_refuses_other_parameters(toy, tmp_path, capsys):
    out = str(tmp_path / "r")
    assert main(["reproduce", "toy", "--quick", "--out", out, "--workers", "1", "--json"]) == 0
    capsys.readouterr()
    assert main(["reproduce", "toy", "--quick", "--out", out, "--seed", "9", "--workers", "1"]) == 2
    assert "different seed" in capsys.readouterr().err
    # the same run again: the complete run is reused, nothing is recomputed
    assert main(["reproduce", "toy", "--quick", "--out", out, "--workers", "1", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["chunks_run"] == 0 and again["chunks_reused"] == 12


def test_set_and_params(toy, tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["reproduce", "toy", "--quick", "--set", "trials=32", "--out", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    assert json.loads((out / "manifest.json").read_text())["overrides"] == {"trials": 32}
    assert main(["reproduce", "toy", "--params", "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    assert p["full"]["trials"] == 400 and p["quick"]["trials"] == 96
    assert main(["reproduce", "toy", "--params"]) == 0
    assert "trials  400 | 96" in capsys.readouterr().out
    code = main(["reproduce", "toy", "--quick", "--set", "nope=1", "--out", str(tmp_path / "n")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "known: block, dim, trials" in err[0]
    assert main(["reproduce", "all", "--set", "trials=3"]) == 2


def test_example3_quick_with_500_trials_says_so(tmp_path, capsys):
    """`spurious reproduce zhang2018-example3 --quick --set trials=500 --out D`: 500 trials, stated everywhere."""
    import pandas as pd

    out = tmp_path / "D"
    argv = ["reproduce", "zhang2018-example3", "--quick", "--set", "trials=500", "--out", str(out), "--workers", "1"]
    res = _json(capsys, [*argv, "--json"])
    assert res["out"] == str(out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["overrides"] == {"trials": 500} and m["parameters"]["trials"] == 500 and m["status"] == "complete"
    df = pd.read_parquet(out / "results.parquet")
    final = df[df.kind == "final"]
    assert len(final) == 500 and sorted(final.trial) == list(range(500))
    summary = (out / "summary.md").read_text()
    head = summary.split("| quantity |")[0]
    assert "**Parameters overridden** (`--set`): `trials=500`" in head
    assert "failures of 500" in summary and "sample of 500 trials" in summary
