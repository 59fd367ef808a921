import json

import numpy as np
import pytest
from cli_helpers import assert_user_error, run

from spurious.cli import main
from spurious.core._examples import get_example
from spurious.core._instances import save_instance


@pytest.fixture
def ex3_file(tmp_path):
    return save_instance(tmp_path / "ex3.npz", get_example("zhang2018-example3").instance)


def test_certify_example_json(capsys):
    code, out, _ = run(capsys, "certify", "--example", "zhang2018-example3", "--json")
    assert code == 0
    d = json.loads(out)
    for key in ("f", "grad_norm", "hess_min_eig", "second_order", "spurious", "local_min", "witness"):
        assert key in d
    assert d["f"] == pytest.approx(1.5)
    assert d["second_order"] is True and d["spurious"] is True and d["local_min"] is False
    assert np.asarray(d["witness"]).shape == (2, 1)


def test_certify_human_text(capsys):
    code, out, _ = run(capsys, "certify", "--example", "bhojanapalli2016-example1-corrected")
    assert code == 0
    assert "local minimum     True" in out and "strict" in out


def test_certify_instance_with_x_override(capsys, ex3_file, tmp_path):
    code, out, _ = run(capsys, "certify", "--instance", str(ex3_file), "--x", "1,0", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["f"] == pytest.approx(0.0, abs=1e-14) and d["local_min"] is True and d["spurious"] is False
    np.save(tmp_path / "x.npy", np.array([[0.0], [0.7071067811865476]]))
    code, out, _ = run(capsys, "certify", "--instance", str(ex3_file), "--x-file", str(tmp_path / "x.npy"), "--json")
    assert code == 0 and json.loads(out)["spurious"] is True


def test_certify_rank2_point_from_file(capsys, tmp_path):
    inst = get_example("bhojanapalli2016-example2").instance
    path = save_instance(tmp_path / "ex2.npz", inst)
    np.save(tmp_path / "x.npy", inst.x)
    code, out, _ = run(capsys, "certify", "--instance", str(path), "--x-file", str(tmp_path / "x.npy"), "--json")
    assert code == 0
    d = json.loads(out)
    assert d["second_order"] is False and d["local_min"] is False


def test_rip_json(capsys, ex3_file):
    code, out, _ = run(capsys, "rip", "--instance", str(ex3_file), "--rank", "2", "--samples", "200", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["lower"] == pytest.approx(0.5) and d["upper"] == pytest.approx(0.5) and d["method"] == "exact"
    code, out, _ = run(
        capsys, "rip", "--example", "zhang2018-example3", "--rank", "1", "--samples", "200", "--seed", "3", "--json"
    )
    d = json.loads(out)
    assert code == 0 and d["lower"] <= d["upper"] and d["method"] == "adversarial"
    code, out, _ = run(capsys, "rip", "--example", "zhang2018-example3", "--rank", "1", "--samples", "100")
    assert code == 0 and "δ_K" in out


# ---------------------------------------------------------------- bad input: exit 2, one line naming the input


def test_missing_file(capsys, tmp_path):
    missing = str(tmp_path / "nope.npz")
    code, _, err = run(capsys, "certify", "--instance", missing)
    assert_user_error(code, err, "nope.npz", "no such file")
    code, _, err = run(capsys, "rip", "--instance", missing, "--rank", "2")
    assert_user_error(code, err, "nope.npz")
    code, _, err = run(capsys, "certify", "--example", "zhang2018-example3", "--x-file", str(tmp_path / "x.npy"))
    assert_user_error(code, err, "--x-file", "x.npy")


def test_npz_without_A(capsys, tmp_path):
    path = tmp_path / "noA.npz"
    np.savez(path, z=np.ones((2, 1)))
    for argv in (["certify", "--instance", str(path)], ["rip", "--instance", str(path), "--rank", "1"]):
        code, _, err = run(capsys, *argv)
        assert_user_error(code, err, "noA.npz", "'A'")


def test_nan_in_instance_and_point(capsys, tmp_path):
    A = get_example("zhang2018-example3").instance.operator.matrices().copy()
    A[0, 0, 0] = np.nan
    path = tmp_path / "nan.npz"
    np.savez(path, A=A, z=np.array([[1.0], [0.0]]), x=np.array([[0.0], [0.7]]))
    code, _, err = run(capsys, "certify", "--instance", str(path))
    assert_user_error(code, err, "nan.npz", "NaN")
    code, _, err = run(capsys, "certify", "--example", "zhang2018-example3", "--x", "nan,1")
    assert_user_error(code, err, "--x", "NaN")


def test_wrong_x_shape(capsys):
    code, _, err = run(capsys, "certify", "--example", "zhang2018-example3", "--x", "1,2,3")
    assert_user_error(code, err, "--x", "expected n = 2")


def test_r_greater_than_n(capsys, tmp_path):
    np.save(tmp_path / "wide.npy", np.ones((2, 3)))
    code, _, err = run(capsys, "certify", "--example", "zhang2018-example3", "--x-file", str(tmp_path / "wide.npy"))
    assert_user_error(code, err, "--x-file", "exceeds n")


def test_unknown_example(capsys):
    code, _, err = run(capsys, "certify", "--example", "no-such-example")
    assert_user_error(code, err, "no-such-example", "zhang2018-example3")
    code, _, err = run(capsys, "rip", "--example", "no-such-example", "--rank", "1")
    assert_user_error(code, err, "no-such-example")


def test_instance_without_x_and_no_x_given(capsys, tmp_path):
    inst = get_example("zhang2018-example3").instance
    path = tmp_path / "nox.npz"
    np.savez(path, A=inst.operator.matrices(), z=inst.z)
    code, _, err = run(capsys, "certify", "--instance", str(path))
    assert_user_error(code, err, "nox.npz", "--x")


def test_bad_rank_and_samples(capsys):
    code, _, err = run(capsys, "rip", "--example", "zhang2018-example3", "--rank", "0")
    assert_user_error(code, err, "--rank")
    code, _, err = run(capsys, "rip", "--example", "zhang2018-example3", "--rank", "1", "--samples", "-5")
    assert_user_error(code, err, "--samples")


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["rip", "--example", "zhang2018-example3", "--rank", "two"])  # not an integer
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["certify"])  # no source
    assert e.value.code == 2
    capsys.readouterr()


# ---------------------------------------------------------------- text output: what was certified, what words mean


def test_certify_text_names_the_point_and_explains_its_words(capsys):
    code, out, _ = run(capsys, "certify", "--example", "zhang2018-example3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["point", "the", "instance's", "x", "of", "zhang2018-example3"]
    assert lines[1].startswith("x ") and "(0, 0.707107)" in lines[1] and "(2×1)" in lines[1]
    assert "strict            False" in out
    assert "local minimum     False   (fourth-order: a point with g lower by" in out
    words = out.split("what the words mean:\n")[1].splitlines()
    assert [w.strip().split("  ")[0] for w in words] == [
        "second-order",
        "strict",
        "spurious",
        "rotation directions",
        "third/fourth-order test",  # it decided by the fourth-order test, so the word is explained
    ]
    assert all(len(w.strip().split("  ", 1)[1].strip()) > 20 for w in words)  # one explanation line each
    code, out, _ = run(capsys, "certify", "--example", "zhang2018-example3", "--x", "1,0")
    assert code == 0 and out.startswith("point             --x 1,0 on zhang2018-example3")
    assert "third/fourth-order test" not in out  # strict: the higher-order test was not used


def test_certify_text_undecided(capsys):
    from spurious.cli.certify import render

    code, out, _ = run(capsys, "certify", "--example", "zhang2018-example3", "--no-decide", "--json")
    d = json.loads(out)
    assert code == 0 and d["local_min"] is None and d["reason"]
    text = render(d)
    assert f"local minimum     undecided: {d['reason']}" in text and "null" not in text
    d.pop("reason")  # an older result without the reason field still renders
    assert "local minimum     undecided: skipped" in render(d)


def test_rip_default_rank_is_2r_of_z(capsys, tmp_path):
    code, out, _ = run(capsys, "rip", "--example", "zhang2018-example3", "--samples", "100", "--json")
    d = json.loads(out)
    assert code == 0 and d["rank"] == 2 and d["rank_from"].startswith("default 2r, r = 1")
    inst = get_example("bhojanapalli2016-example2").instance
    path = save_instance(tmp_path / "ex2.npz", inst)
    code, out, _ = run(capsys, "rip", "--instance", str(path), "--samples", "100", "--starts", "2", "--json")
    d = json.loads(out)
    assert code == 0 and d["rank"] == 2 * inst.z.shape[1]
    code, out, _ = run(capsys, "rip", "--example", "zhang2018-example3", "--rank", "1", "--samples", "100")
    assert code == 0 and "(n = 2; --rank)" in out


def test_rip_text_says_what_each_number_bounds(capsys):
    code, out, _ = run(capsys, "rip", "--example", "zhang2018-example3", "--rank", "1", "--samples", "100")
    assert code == 0
    line = {ln.split("  ")[0]: ln for ln in out.splitlines()}
    assert "bounds δ_K from above" in line["exact full rank"]
    assert "bounds δ_K from below" in line["adversarial"]
    assert "random rank-K matrices" in line["sampled (bi2021)"] and "lower bound" in line["sampled (bi2021)"]
    code, out, _ = run(capsys, "rip", "--example", "zhang2018-example3", "--samples", "100")
    assert code == 0 and "δ_K is exact" in out  # default K = 2 = n


def test_certify_text_without_an_explicit_hessian_and_at_large_n(capsys):
    from spurious.cli.certify import render

    code, out, _ = run(capsys, "certify", "--example", "zhang2018-example3", "--json")
    assert code == 0
    d = json.loads(out)
    d.update(hessian="lanczos", hess_residual=1e-9, hess_eigs=[d["hess_min_eig"]])
    text = render(d)
    assert "λ_min(∇²f)" in text and "Lanczos" in text and "Hessian eigs" not in text
    d["x"] = d["witness"] = [[0.5, 0.25]] * 2000
    text = render(d)
    assert len(text) < 3000 and "(2000×2)" in text and "; …]" in text  # a large point is abbreviated


def test_rip_and_certify_on_a_matrix_free_instance(capsys, tmp_path):
    from spurious.core._instances import make_instance

    path = save_instance(tmp_path / "r1.npz", make_instance("rank-one", 30, 2, m=300, seed=0))
    code, out, _ = run(capsys, "rip", "--instance", str(path), "--samples", "200", "--starts", "1", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["exact"] == 1.0 and d["exact_from"] == "rank H ≤ m < N" and d["rank"] == 4
    assert 0 < d["sampled"] <= d["lower"] <= d["upper"] == 1.0
    code, out, _ = run(capsys, "rip", "--instance", str(path), "--samples", "50", "--starts", "1")
    assert code == 0 and "rank of H ≤ m < N" in out
    z = tmp_path / "z.npy"
    np.save(z, make_instance("rank-one", 30, 2, m=300, seed=0).z)
    code, out, _ = run(capsys, "certify", "--instance", str(path), "--x-file", str(z), "--json")
    d = json.loads(out)
    assert code == 0 and d["hessian"] == "lanczos" and d["local_min"] is True
    assert 0 <= d["hess_residual"] <= d["eig_tol_abs"]
