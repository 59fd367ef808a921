"""``spurious survey``: JSON contract (starts, endpoints with kind/count/share/ci/f/distance/x), text,
--out run directory and --resume, --starts-file, --instance, and one-line errors naming the flag (exit 2)."""

import json

import numpy as np
import pytest
from cli_helpers import assert_user_error, run

import spurious as sp
from spurious.cli import main
from spurious.studies import _survey

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
    names = ("census.json", "census.parquet", "endpoints.npz", "basins.png", "summary.md")
    assert res["files"] == [str(out_dir / name) for name in names]
    assert res["out"] == str(out_dir) and res["manifest"] == str(out_dir / "manifest.json")
    assert (res["chunks_run"], res["chunks_reused"]) == (1, 0)
    assert (out_dir / "chunks" / "chunk-00000.parquet").is_file()
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


SMALL = [
    "--example",
    "zhang2018-example3",
    "--starts",
    "50",
    "--steps",
    "300",
    "--lr",
    "1e-2",
    "--seed",
    "2",
    "--no-rip",
]


def test_resume_after_an_interruption_gives_the_uninterrupted_files(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(_survey, "CHUNK_STARTS", 20)  # 3 chunks
    ref = tmp_path / "ref"
    assert run(capsys, "survey", *SMALL, "--out", str(ref))[0] == 0
    real = _survey._run_chunk

    def ctrl_c_in_the_third_chunk(params, chunk, seed):
        if chunk[0] == 40:
            raise KeyboardInterrupt
        return real(params, chunk, seed)

    out = tmp_path / "run"
    monkeypatch.setattr(_survey, "_run_chunk", ctrl_c_in_the_third_chunk)
    code, _, err = run(capsys, "survey", *SMALL, "--out", str(out))
    assert code == 130 and "rerun with --resume" in err
    assert sorted(p.name for p in (out / "chunks").iterdir()) == ["chunk-00000.parquet", "chunk-00001.parquet"]
    monkeypatch.setattr(_survey, "_run_chunk", real)
    code, _, err = run(capsys, "survey", *SMALL, "--out", str(out))
    assert_user_error(code, err, f"--out {out}", "interrupted", "--resume")
    code, text, _ = run(capsys, "survey", *SMALL, "--out", str(out), "--resume", "--json")
    assert code == 0
    res = json.loads(text)
    assert (res["chunks_run"], res["chunks_reused"]) == (1, 2)
    for name in ("census.json", "census.parquet", "summary.md"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    # resuming into it a survey of other parameters is refused, naming what differs
    code, _, err = run(capsys, "survey", *SMALL, "--seed", "5", "--out", str(out), "--resume")
    assert_user_error(code, err, f"--out {out}", "different seed", "never mixed")
    code, _, err = run(capsys, "survey", *SMALL, "--method", "sgd", "--out", str(out))
    assert_user_error(code, err, "different method")


def test_an_existing_directory_without_a_run_is_refused(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "survey", *SMALL, "--out", str(tmp_path))
    assert_user_error(code, err, f"--out {tmp_path}", "no manifest.json")
    code, _, err = run(capsys, "survey", *SMALL, "--resume")
    assert_user_error(code, err, "--resume", "--out")


def _cli_json(capsys, *argv):
    code, out, err = run(capsys, "survey", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_starts_file_gives_the_census_of_those_starts(capsys, tmp_path, suffix):
    x0 = np.random.default_rng(11).standard_normal((25, 2, 1))
    path = tmp_path / f"starts{suffix}"
    np.save(path, x0) if suffix == ".npy" else np.savez(path, starts=x0)
    args = ["--example", "zhang2018-example3", "--steps", "300", "--lr", "1e-2", "--no-rip", "--starts-file", str(path)]
    res = _cli_json(capsys, *args)
    lib = sp.survey("zhang2018-example3", starts=25, init=x0, steps=300, lr=1e-2, rip=False).to_dict()
    assert res["starts"] == 25 and res["init"] == "given"
    assert res["endpoints"] == json.loads(json.dumps(lib["endpoints"])) and res["counts"] == lib["counts"]
    assert _cli_json(capsys, *args, "--starts", "25")["counts"] == lib["counts"]


def test_starts_file_of_one_start(capsys, tmp_path):
    np.save(tmp_path / "one.npy", np.array([[0.2], [0.9]]))
    res = _cli_json(capsys, "--example", "zhang2018-example3", "--steps", "300", "--lr", "1e-2", "--no-rip",
                    "--starts-file", str(tmp_path / "one.npy"))  # fmt: skip
    assert res["starts"] == 1 and sum(res["counts"].values()) == 1


def _write(path, kind):
    if kind == "nan":
        a = np.zeros((3, 2, 1))
        a[1, 0, 0] = np.nan
        np.save(path, a)
    elif kind == "inf":
        np.save(path, np.full((2, 1), np.inf))
    elif kind == "wrong n":
        np.save(path, np.zeros((3, 3, 1)))
    elif kind == "wrong r":
        np.save(path, np.zeros((3, 2, 2)))
    elif kind == "1-D":
        np.save(path, np.zeros(2))
    elif kind == "no starts":
        np.save(path, np.zeros((0, 2, 1)))
    elif kind == "complex":
        np.save(path, np.zeros((3, 2, 1), dtype=complex))
    elif kind == "pickle":
        np.save(path, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    elif kind == "huge":  # a header declaring 16 GB, and no data
        with open(path, "wb") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 2, 1)})
    elif kind == "two arrays":
        with open(path, "wb") as f:
            np.savez(f, a=np.zeros((3, 2, 1)), b=np.zeros((3, 2, 1)))
    elif kind == "text":
        path.write_text("0.1, 0.2\n")


@pytest.mark.parametrize(
    "kind, needle",
    [
        ("nan", "contains NaN or inf (entry [1, 0, 0]"),
        ("inf", "contains NaN or inf"),
        ("wrong n", "shape (3, 3, 1), expected (K, 2, 1) or (2, 1)"),
        ("wrong r", "shape (3, 2, 2), expected (K, 2, 1)"),
        ("1-D", "shape (2,)"),
        ("no starts", "holds no starts"),
        ("complex", "expected real numbers"),
        ("pickle", "a pickle"),
        ("huge", "16 GB, above the limit"),
        ("two arrays", "holds 2 arrays (a, b)"),
        ("text", "not an .npz or .npy file"),
        ("missing", "no such file"),
    ],
)
def test_bad_starts_file_is_one_line(capsys, tmp_path, kind, needle):
    path = tmp_path / "starts.npy"
    if kind != "missing":
        _write(path, kind)
    code, _, err = run(capsys, "survey", "--example", "zhang2018-example3", "--starts-file", str(path), "--steps", "5")
    assert_user_error(code, err, f"--starts-file {path}", needle)


def test_starts_file_and_its_flags_must_agree(capsys, tmp_path):
    path = tmp_path / "s.npy"
    np.save(path, np.zeros((3, 2, 1)))
    base = ["survey", "--example", "zhang2018-example3", "--steps", "5"]
    code, _, err = run(capsys, *base, "--starts-file", str(path), "--starts", "4")
    assert_user_error(code, err, "--starts 4", f"--starts-file {path} holds 3 starts")
    with pytest.raises(SystemExit) as exc:  # argparse: the two are exclusive
        main([*base, "--starts-file", str(path), "--init", "spectral"])
    assert_user_error(exc.value.code, capsys.readouterr().err, "--init", "--starts-file")
    code, _, err = run(capsys, *base)
    assert_user_error(code, err, "--starts", "--starts-file")
