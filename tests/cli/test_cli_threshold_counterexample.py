import json

import numpy as np
import pytest
from cli_helpers import assert_user_error, run

X3 = "0,0.7071067811865476"
Z3 = "1,0"


def test_threshold_json(capsys):
    code, out, _ = run(capsys, "threshold", "--x", X3, "--z", Z3, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["delta_foc"] == pytest.approx(1 / np.sqrt(5), abs=1e-9)
    assert d["delta_soc"] == pytest.approx(0.5, abs=1e-6)
    assert d["certified"] is True


def test_threshold_text_and_files(capsys, tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.standard_normal((5, 2)))
    np.save(tmp_path / "z.npy", rng.standard_normal((5, 2)))
    code, out, _ = run(capsys, "threshold", "--x-file", str(tmp_path / "x.npy"), "--z-file", str(tmp_path / "z.npy"))
    assert code == 0
    assert "δ_foc" in out and "δ_soc" in out


def test_threshold_degenerate_note(capsys):
    code, out, _ = run(capsys, "threshold", "--x", "0,0", "--z", Z3, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["delta_foc"] == 0.0 and d["delta_soc"] == 1.0 and "x = 0" in d["note"]
    code, out, _ = run(capsys, "threshold", "--x=-1,0", "--z", Z3, "--json")
    d = json.loads(out)
    assert d["delta_foc"] == 1.0 and d["delta_soc"] == 1.0 and "definition" in d["note"]


def test_counterexample_json_save_and_certify(capsys, tmp_path):
    f = tmp_path / "ce.npz"
    code, out, _ = run(capsys, "counterexample", "--x", X3, "--z", Z3, "--save", str(f), "--json")
    assert code == 0
    d = json.loads(out)
    for key in ("eta", "delta", "m", "grad_norm", "hess_min_eig", "rip_full", "saved"):
        assert key in d
    assert d["delta"] == pytest.approx(0.5, abs=1e-6) and d["rip_full"] == pytest.approx(0.5, abs=1e-6)
    assert d["saved"] == str(f) and f.is_file()
    code, out, _ = run(capsys, "certify", "--instance", str(f), "--json")
    assert code == 0
    c = json.loads(out)
    assert c["second_order"] is True and c["spurious"] is True


def test_counterexample_margin_options_certify(capsys, tmp_path):
    f = tmp_path / "strict.npz"
    code, out, _ = run(
        capsys,
        "counterexample",
        "--x",
        X3,
        "--z",
        Z3,
        "--margin",
        "0.2",
        "--factorization",
        "cholesky",
        "--solver",
        "scs",
        "--save",
        str(f),
    )
    assert code == 0 and "certified" in out and str(f) in out
    code, out, _ = run(capsys, "certify", "--instance", str(f), "--json")
    c = json.loads(out)
    assert c["local_min"] is True and c["spurious"] is True
    assert c["hess_min_eig"] >= 0.4 - 1e-6


def test_counterexample_first_order_file_input(capsys, tmp_path):
    rng = np.random.default_rng(1)
    np.save(tmp_path / "x.npy", rng.standard_normal((4, 2)))
    np.save(tmp_path / "z.npy", rng.standard_normal((4, 2)))
    code, out, _ = run(
        capsys,
        "counterexample",
        "--x-file",
        str(tmp_path / "x.npy"),
        "--z-file",
        str(tmp_path / "z.npy"),
        "--order",
        "first",
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["order"] == "first" and d["m"] == 10 and d["grad_norm"] < 1e-8


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["counterexample", "--x", "1,2", "--z", "2,4"], ["no RIP instance", "colinear"]),
        (["counterexample", "--x", "0,0", "--z", "1,0"], ["no RIP instance", "rank 0"]),
        (["counterexample", "--x", "1,0", "--z=-1,0"], ["no RIP instance", "definition"]),
        (["counterexample", "--x", "nan,0", "--z", "1,0"], ["--x", "NaN"]),
        (["counterexample", "--x", "inf,0", "--z", "1,0"], ["--x", "inf"]),
        (["counterexample", "--x", "1,0,0", "--z", "1,0"], ["--x", "rows"]),
        (["counterexample", "--x", X3, "--z", Z3, "--margin", "-1"], ["margin"]),
        (["threshold", "--x", "1,0", "--z", "1,nan"], ["--z", "NaN"]),
        (["threshold", "--x", "1,0,0", "--z", "1,0"], ["--x", "rows"]),
        (["threshold", "--x", "a,b", "--z", "1,0"], ["--x"]),
    ],
)
def test_user_errors_exit_2(capsys, argv, needles):
    code, _, err = run(capsys, *argv)
    assert_user_error(code, err, *needles)


def test_too_large_refused(capsys, tmp_path):
    rng = np.random.default_rng(2)
    np.save(tmp_path / "x.npy", rng.standard_normal((200, 1)))
    np.save(tmp_path / "z.npy", rng.standard_normal((200, 1)))
    code, _, err = run(
        capsys, "counterexample", "--x-file", str(tmp_path / "x.npy"), "--z-file", str(tmp_path / "z.npy")
    )
    assert_user_error(code, err, "GB")


@pytest.mark.parametrize("text", ["1,,2", ",1", "1,", "1,2,"])
def test_empty_vector_entry_is_an_error(capsys, text):
    code, _, err = run(capsys, "threshold", "--x", text, "--z", "1,0,0")
    assert_user_error(code, err, "--x", "empty entry")


def test_negative_vector_after_option(capsys):
    code, out, _ = run(capsys, "threshold", "--x", "-0.5,0.3", "--z", "1,0", "--json")
    assert code == 0
    code2, out2, _ = run(capsys, "threshold", "--x=-0.5,0.3", "--z", "1,0", "--json")
    assert code2 == 0 and out == out2 and json.loads(out)["delta_foc"] > 0


def test_counterexample_text_says_degenerate_at_margin_0_and_suggests_margin(capsys):
    code, out, _ = run(capsys, "counterexample", "--x", X3, "--z", Z3)
    assert code == 0
    kind = next(line for line in out.splitlines() if line.startswith("x is "))
    assert "only a second-order point" in kind and "degenerate" in kind and "not necessarily a local minimum" in kind
    assert "--margin" in kind
    code, out, _ = run(capsys, "counterexample", "--x", X3, "--z", Z3, "--margin", "0.01")
    assert code == 0 and "x is              a strict spurious local minimum" in out and "degenerate" not in out
    code, out, _ = run(capsys, "counterexample", "--x", X3, "--z", Z3, "--order", "first")
    assert code == 0 and "a spurious critical point only" in out and "--margin" in out
