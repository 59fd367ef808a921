"""``spurious instance``: what it writes, --json keys, and bad input (exit 2, one line naming the flag)."""

import json

import numpy as np
import pytest
from cli_helpers import assert_user_error, run

from spurious.core._instances import load_instance


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        ("rank-one", ["--m", "80"]),
        ("completion", ["--p", "0.3"]),
        ("gaussian", ["--m", "20"]),
        ("symmetric-gaussian", ["--m", "20"]),
    ],
)
def test_writes_a_loadable_instance(capsys, tmp_path, kind, size):
    path = tmp_path / "i.npz"
    code, out, err = run(
        capsys,
        "instance",
        "--operator",
        kind,
        "--n",
        "12",
        "--rank",
        "2",
        *size,
        "--seed",
        "4",
        "--save",
        str(path),
        "--json",
    )
    assert code == 0, err
    res = json.loads(out)
    assert {"operator", "n", "m", "r", "path"} <= set(res)
    assert (res["operator"], res["n"], res["r"], res["path"]) == (kind, 12, 2, str(path))
    inst = load_instance(path)
    assert inst.operator.kind == kind and inst.operator.m == res["m"] and inst.z.shape == (12, 2)
    if kind != "completion":
        assert res["m"] == int(size[1])


def test_text_output_and_seed(capsys, tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    for path in (a, b):
        code, out, _ = run(
            capsys, "instance", "--operator", "rank-one", "--n", "9", "--rank", "1", "--m", "30", "--save", str(path)
        )
        assert code == 0 and "rank-one" in out and str(path) in out
    np.testing.assert_array_equal(load_instance(a).operator.a, load_instance(b).operator.a)


def test_z_file(capsys, tmp_path):
    z = np.arange(10.0).reshape(5, 2)
    zf = tmp_path / "z.npy"
    np.save(zf, z)
    path = tmp_path / "i.npz"
    code, out, err = run(
        capsys,
        "instance",
        "--operator",
        "completion",
        "--n",
        "5",
        "--rank",
        "2",
        "--p",
        "0.5",
        "--z-file",
        str(zf),
        "--save",
        str(path),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["z"] == "file"
    np.testing.assert_array_equal(load_instance(path).z, z)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--operator", "completion", "--n", "5", "--rank", "1", "--m", "10"], ["--m 10", "takes p"]),
        (["--operator", "rank-one", "--n", "5", "--rank", "1", "--p", "0.5"], ["--p 0.5"]),
        (["--operator", "rank-one", "--n", "-5", "--rank", "1", "--m", "10"], ["--n -5"]),
        (["--operator", "rank-one", "--n", "5", "--rank", "7", "--m", "10"], ["--rank 7"]),
        (["--operator", "rank-one", "--n", "5", "--rank", "1", "--m", "0"], ["--m 0"]),
        (["--operator", "completion", "--n", "5", "--rank", "1", "--p", "1.5"], ["--p 1.5"]),
        (["--operator", "completion", "--n", "5", "--rank", "1", "--p", "nan"], ["--p nan"]),
        (["--operator", "rank-one", "--n", "5", "--rank", "1", "--m", "3", "--seed", "-1"], ["--seed -1"]),
        (["--operator", "sparse", "--n", "5", "--rank", "1", "--m", "3"], ["--operator"]),
        (["--operator", "rank-one", "--n", "5", "--rank", "1"], ["--m", "--p"]),
        (["--operator", "rank-one", "--n", "five", "--rank", "1", "--m", "3"], ["--n"]),
        (
            ["--operator", "rank-one", "--n", "5", "--rank", "1", "--m", "3", "--z-file", "missing.npy"],
            ["--z-file", "missing.npy"],
        ),
    ],
)
def test_bad_input(capsys, tmp_path, args, needles):
    try:
        code, _, err = run(capsys, "instance", *args, "--save", str(tmp_path / "x.npz"))
    except SystemExit as exc:  # argparse: usage errors exit by themselves
        code, err = exc.code, capsys.readouterr().err
        err = err.strip().splitlines()[-1]  # argparse prints the usage line first, then the one error line
    assert_user_error(code, err, *needles)
    assert not (tmp_path / "x.npz").exists()


def test_z_file_of_the_wrong_shape(capsys, tmp_path):
    zf = tmp_path / "z.npy"
    np.save(zf, np.ones((4, 1)))
    code, _, err = run(
        capsys,
        "instance",
        "--operator",
        "rank-one",
        "--n",
        "5",
        "--rank",
        "1",
        "--m",
        "3",
        "--z-file",
        str(zf),
        "--save",
        str(tmp_path / "x.npz"),
    )
    assert_user_error(code, err, f"--z-file {zf}", "4 rows", "--n")
    np.save(zf, np.ones((5, 2)))
    code, _, err = run(
        capsys,
        "instance",
        "--operator",
        "rank-one",
        "--n",
        "5",
        "--rank",
        "1",
        "--m",
        "3",
        "--z-file",
        str(zf),
        "--save",
        str(tmp_path / "x.npz"),
    )
    assert_user_error(code, err, "--z-file", "2 columns", "--rank 1")


def test_unwritable_save_path(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "instance",
        "--operator",
        "rank-one",
        "--n",
        "5",
        "--rank",
        "1",
        "--m",
        "3",
        "--save",
        str(tmp_path / "no" / "x.npz"),
    )
    assert_user_error(code, err, "no")
