"""``spurious sgd``: JSON keys, text output, errors (exit 2), no progress bar off a terminal."""

import json

import pytest

from spurious.cli import main
from spurious.core._examples import get_example
from spurious.core._instances import save_instance
from spurious.solvers._sgd import sgd

BASE = ["--trials", "300", "--steps", "1000", "--lr", "1e-3", "--momentum", "0.9", "--seed", "4"]


def _json(capsys, argv):
    assert main(["sgd", *argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # no progress bar with --json
    return json.loads(out)


def test_json_keys_and_values_match_the_library(capsys):
    res = _json(capsys, ["--example", "zhang2018-example3", *BASE])
    for key in (
        "trials",
        "failures",
        "failure_rate",
        "ci",
        "ci_method",
        "outcomes",
        "grad",
        "seed",
        "lr",
        "momentum",
        "steps",
        "init",
        "tol",
    ):
        assert key in res
    direct = sgd("zhang2018-example3", trials=300, steps=1000, lr=1e-3, momentum=0.9, seed=4)
    rate = direct.failure_rate()
    assert res["trials"] == 300 and res["failures"] == rate.failures
    assert res["failure_rate"] == pytest.approx(rate.rate) and res["ci"] == pytest.approx(list(rate.ci))
    assert res["ci_method"] == "wilson" and res["ci"][0] < res["failure_rate"] < res["ci"][1]
    assert res["outcomes"] == direct.outcomes() and sum(res["outcomes"].values()) == 300
    assert set(res["outcomes"]) == {"recovered", "at_spurious", "diverged", "stalled", "moving"}
    assert res["outcomes"]["recovered"] == 300 - res["failures"] and res["outcomes"]["at_spurious"] > 0
    assert res["grad"] == "term" and res["seed"] == 4 and res["init"] == "gaussian" and res["backend"] == "numba"


#: 50 trials of 10 steps: every trial is still moving (or, with a huge --tol, every one succeeds)
SHORT = "--example zhang2018-example3 --trials 50 --steps 10 --lr 1e-3 --momentum 0 --seed 0".split()


def test_interval_is_honest_at_zero_and_all_failures(capsys):
    none = _json(capsys, [*SHORT, "--tol", "1e9"])
    assert none["failures"] == 0 and none["ci"][0] == 0.0 and none["ci"][1] > 0.05
    every = _json(capsys, SHORT)
    assert every["failures"] == 50 and every["ci"][1] == 1.0 and every["ci"][0] < 0.95
    assert every["dominant_failure"] == "moving"


def test_text_names_the_dominant_outcome_and_suggests_more_steps(capsys):
    assert main(["sgd", *SHORT]) == 0
    out = capsys.readouterr().out
    assert "most failures still moving (" in out and "more --steps" in out


def test_instance_file_grad_and_backend(tmp_path, capsys):
    path = save_instance(tmp_path / "ex3.npz", get_example("zhang2018-example3").instance)
    a = _json(capsys, ["--instance", str(path), *BASE, "--grad", "half", "--backend", "numpy", "--tol", "0.05"])
    b = _json(capsys, ["--example", "zhang2018-example3", *BASE, "--grad", "half", "--tol", "0.05"])
    assert a["grad"] == "half" and a["backend"] == "numpy" and a["tol"] == 0.05
    assert a["failures"] == b["failures"]


def test_flush_below(capsys):
    res = _json(capsys, ["--example", "zhang2018-example3", *BASE, "--flush-below", "1e-90"])
    plain = _json(capsys, ["--example", "zhang2018-example3", *BASE])
    assert res["flush_below"] == 1e-90 and plain["flush_below"] == 0.0
    assert res["failures"] == plain["failures"]


def test_spectral_init(capsys):
    res = _json(capsys, ["--example", "zhang2018-example3", *BASE, "--init", "spectral"])
    assert res["init"] == "spectral" and 0 <= res["failures"] <= 300


def test_text_output_and_no_bar_off_a_terminal(capsys):
    assert main(["sgd", "--example", "zhang2018-example3", *BASE]) == 0
    out, err = capsys.readouterr()
    assert "failure rate" in out and "%" in out
    assert err == ""  # stdout is not a TTY under pytest: no progress bar


@pytest.mark.parametrize(
    "argv",
    [
        ["--example", "no-such-example", *BASE],
        ["--example", "zhang2018-example3", *BASE[:1], "0", *BASE[2:]],
        ["--example", "zhang2018-example3", *BASE, "--momentum", "1.5"],
        ["--example", "zhang2018-example3", *BASE, "--lr", "-1"],
        ["--example", "zhang2018-example3", *BASE, "--dtype", "float32"],
        ["--example", "zhang2018-example3", *BASE, "--flush-below", "-1"],
    ],
)
def test_user_errors_exit_2(capsys, argv):
    assert main(["sgd", *argv]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("spurious sgd: error:") and len(err.strip().splitlines()) == 1


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sgd", "--example", "zhang2018-example3", *BASE, "--grad", "full"])
    assert exc.value.code == 2


def test_unknown_instance_file(capsys, tmp_path):
    assert main(["sgd", "--instance", str(tmp_path / "missing.npz"), *BASE]) == 2
    assert capsys.readouterr().err.startswith("spurious sgd: error:")


def test_progress_bar_on_a_terminal(capsys, monkeypatch):
    import sys

    from spurious.cli import sgd as cli_sgd

    monkeypatch.setattr(cli_sgd, "CHUNK_TRIALS", 100)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["sgd", "--example", "zhang2018-example3", *BASE]) == 0
    out, err = capsys.readouterr()
    assert "300/300" in err and "failure rate" in out
    assert main(["sgd", "--example", "zhang2018-example3", *BASE, "--json"]) == 0
    assert capsys.readouterr().err == ""
