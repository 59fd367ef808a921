"""``sp.survey(..., out=DIR)``: the run directory (issue #13, part 2) — chunk files, census.parquet,
summary.md, manifest; resume after an interruption gives exactly the uninterrupted census; chunks that
are corrupt, swapped or foreign are recomputed; a directory of another survey is refused."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import spurious as sp
from spurious.studies import _survey
from spurious.studies._survey import TABLE_COLUMNS, read_starts

KW = dict(starts=50, lr=1e-2, steps=300, seed=3)  # 3 chunks of 20, 20, 10 starts


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(_survey, "CHUNK_STARTS", 20)


@pytest.fixture
def reference(tmp_path):
    """An uninterrupted survey into ``tmp_path/ref``."""
    return sp.survey("zhang2018-example3", out=tmp_path / "ref", **KW)


def _same_census(a, b):
    assert (a / "census.json").read_bytes() == (b / "census.json").read_bytes()
    assert (a / "census.parquet").read_bytes() == (b / "census.parquet").read_bytes()
    assert (a / "summary.md").read_bytes() == (b / "summary.md").read_bytes()
    with np.load(a / "endpoints.npz") as x, np.load(b / "endpoints.npz") as y:
        assert x.files == y.files
        assert all(np.array_equal(x[k], y[k], equal_nan=x[k].dtype.kind == "f") for k in x.files)


def test_run_directory_layout_and_files(reference, tmp_path):
    s, out = reference, tmp_path / "ref"
    assert s.run.out == out and (s.run.chunks_run, s.run.chunks_reused) == (3, 0)
    names = ["census.json", "census.parquet", "endpoints.npz", "basins.png", "summary.md"]
    assert [p.name for p in s.run.files] == names
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "chunks", "manifest.json"])
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [f"chunk-0000{i}.parquet" for i in range(3)]
    # the same census as without a run directory
    assert s.to_dict() == sp.survey("zhang2018-example3", **KW).to_dict()
    m = json.loads((out / "manifest.json").read_text())
    assert m["experiment"] == "survey" and m["status"] == "complete" and m["seed"] == 3
    assert m["chunks"] == [{"first": 0, "count": 20}, {"first": 20, "count": 20}, {"first": 40, "count": 10}]
    assert m["parameters"]["starts"] == 50 and m["parameters"]["source"] == "zhang2018-example3"
    assert len(m["parameters"]["source_fingerprint"]) == 64
    assert sorted(m["chunk_runs"]) == ["0", "1", "2"] and all(len(c["sha256"]) == 64 for c in m["chunk_runs"].values())
    assert "git_commit" in m and m["versions"]["spurious"] == sp.__version__
    assert m["counts"] == s.counts and m["files"] == names
    chunk = pd.read_parquet(out / "chunks" / "chunk-00001.parquet")
    assert list(chunk["start"]) == list(range(20, 40))


def test_census_parquet_is_one_row_per_basin(reference, tmp_path):
    s = reference
    df = pd.read_parquet(tmp_path / "ref" / "census.parquet")
    assert tuple(df.columns) == TABLE_COLUMNS
    assert len(df) == len(s.basins) and df["count"].sum() == 50
    assert list(df["basin"]) == list(range(len(s.basins)))
    for row, b in zip(df.itertuples(), s.basins, strict=True):
        assert (row.kind, row.count, row.share, (row.ci_low, row.ci_high)) == (b.kind, b.count, b.share, b.ci)
        assert row.f == b.f and row.distance == b.distance and row.near == b.near
        if b.x is None:
            assert row.x is None and pd.isna(row.local_min) and np.isnan(row.spread)
        else:
            assert np.array_equal(np.reshape(row.x, (s.n, s.r)), b.x) and row.local_min == b.local_min
    assert str(df["local_min"].dtype) == "boolean"
    table = s.table()
    assert df.drop(columns="x").equals(table.drop(columns="x"))  # x: lists here, arrays once read back
    assert [None if v is None else list(v) for v in df["x"]] == list(table["x"])


def test_summary_md_states_settings_basins_and_guarantees(reference, tmp_path):
    text = (tmp_path / "ref" / "summary.md").read_text()
    assert text.startswith("# Survey of zhang2018-example3\n")
    for needle in (
        "(n = 2, r = 1)",
        "50 (gaussian starts), seed 3",
        "gd (steps 300, lr 0.01",
        "±3σ Wilson",
        "| # | kind | count | share % |",
        "| 0 | global |",
        "spurious-second-order",
        "no (fourth-order)",
        "δ over rank ≤ 2 in [0.5, 0.5] (exact)",
        "| Zhang, Sojoudi, Lavaei 2019 (rank 1) | no spurious local minima | 0.5 | 2 | open |",
        "![basins](basins.png)",
    ):
        assert needle in text, needle
    for b in reference.basins:
        assert f"| {b.kind} | {b.count} |" in text


def test_resume_after_a_failing_chunk_gives_the_uninterrupted_census(reference, tmp_path, monkeypatch):
    real = _survey._run_chunk

    def fails_at_the_second_chunk(params, chunk, seed):
        if chunk[0] == 20:
            raise RuntimeError("the machine went away")
        return real(params, chunk, seed)

    out = tmp_path / "run"
    monkeypatch.setattr(_survey, "_run_chunk", fails_at_the_second_chunk)
    with pytest.raises(RuntimeError, match="went away"):
        sp.survey("zhang2018-example3", out=out, **KW)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert [p.name for p in (out / "chunks").iterdir()] == ["chunk-00000.parquet"]
    assert not (out / "census.json").exists()
    monkeypatch.setattr(_survey, "_run_chunk", real)
    with pytest.raises(sp.InputError, match="interrupted; pass --resume"):
        sp.survey("zhang2018-example3", out=out, **KW)
    s = sp.survey("zhang2018-example3", out=out, resume=True, **KW)
    assert (s.run.chunks_run, s.run.chunks_reused) == (2, 1)
    _same_census(tmp_path / "ref", out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["sessions"]) == 2


def test_corrupt_swapped_and_missing_chunks_are_recomputed(reference, tmp_path, caplog):
    out = tmp_path / "run"
    shutil.copytree(tmp_path / "ref", out)
    chunks = out / "chunks"
    (chunks / "chunk-00001.parquet").write_bytes((chunks / "chunk-00000.parquet").read_bytes())  # swapped
    (chunks / "chunk-00002.parquet").write_bytes(b"PAR1 truncated")  # corrupt
    (chunks / "chunk-00000.parquet").unlink()  # missing
    s = sp.survey("zhang2018-example3", out=out, **KW)  # the complete run is reused; bad chunks never are
    assert (s.run.chunks_run, s.run.chunks_reused) == (3, 0)
    assert "chunk-00001.parquet does not match its SHA-256" in caplog.text
    _same_census(tmp_path / "ref", out)


def test_a_foreign_chunk_file_is_not_mixed_in(reference, tmp_path):
    other = sp.survey("zhang2018-example3", out=tmp_path / "other", **{**KW, "seed": 4})
    assert other.counts != reference.counts or not np.array_equal(other.fun, reference.fun)
    out = tmp_path / "run"
    shutil.copytree(tmp_path / "ref", out)
    shutil.copy(tmp_path / "other" / "chunks" / "chunk-00001.parquet", out / "chunks" / "chunk-00001.parquet")
    s = sp.survey("zhang2018-example3", out=out, resume=True, **KW)
    assert (s.run.chunks_run, s.run.chunks_reused) == (1, 2)
    _same_census(tmp_path / "ref", out)


@pytest.mark.parametrize(
    "change, named",
    [
        ({"seed": 4}, "different seed"),
        ({"starts": 40}, "different starts"),
        ({"steps": 200}, "different solver"),
        ({"tol": 1e-2}, "different tol"),
        ({"init": np.zeros((2, 1))}, "different init, given starts"),
        ({"source": "bhojanapalli2016-example1"}, "different source, source (its fingerprint)"),
    ],
)
@pytest.mark.parametrize("resume", [False, True])
def test_a_directory_of_another_survey_is_refused(reference, tmp_path, change, named, resume):
    out = tmp_path / "ref"
    before = (out / "manifest.json").read_bytes()
    kw = {**KW, **change}
    source = kw.pop("source", "zhang2018-example3")
    with pytest.raises(sp.InputError, match="holds a survey of 'zhang2018-example3' with ") as exc:
        sp.survey(source, out=out, resume=resume, **kw)
    assert named in str(exc.value) and "never mixed" in str(exc.value)
    assert (out / "manifest.json").read_bytes() == before


def test_other_directories_are_refused(tmp_path):
    run = tmp_path / "repro"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"experiment": "zhang2018-example3"}))
    with pytest.raises(sp.InputError, match="holds a run of 'zhang2018-example3', not a survey"):
        sp.survey("zhang2018-example3", out=run, **KW)
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "census.json").write_text("{}")
    with pytest.raises(sp.InputError, match="files but no run"):
        sp.survey("zhang2018-example3", out=stray, **KW)
    with pytest.raises(sp.InputError, match="resume: needs out"):
        sp.survey("zhang2018-example3", resume=True, **KW)
    with pytest.raises(sp.InputError, match="local_region"):  # a run directory records every setting
        sp.survey("zhang2018-example3", method="perturbed-gd", out=tmp_path / "f", local_region=abs, **KW)
    assert not (tmp_path / "f").exists()


def test_one_and_two_workers_give_the_same_run_directory(reference, tmp_path):
    s = sp.survey("zhang2018-example3", out=tmp_path / "two", workers=2, **KW)
    assert s.run.chunks_run == 3
    _same_census(tmp_path / "ref", tmp_path / "two")


def test_read_starts_gives_the_census_of_the_array(tmp_path):
    x0 = np.random.default_rng(7).standard_normal((12, 2, 1))
    np.savez(tmp_path / "s.npz", starts=x0, other=np.zeros(3))
    got = read_starts(tmp_path / "s.npz", 2, 1)
    assert got.dtype == np.float64 and np.array_equal(got, x0)
    kw = dict(starts=12, lr=1e-2, steps=300, seed=0, rip=False)
    assert (
        sp.survey("zhang2018-example3", init=got, **kw).to_dict()
        == sp.survey("zhang2018-example3", init=x0, **kw).to_dict()
    )
    np.save(tmp_path / "one.npy", np.array([[0.3], [0.6]], dtype=np.float32))
    assert read_starts(tmp_path / "one.npy", 2, 1).shape == (1, 2, 1)


def test_a_fresh_directory_whose_first_chunk_fails_is_left_as_it_was(tmp_path, monkeypatch):
    def fails(params, chunk, seed):
        raise KeyboardInterrupt

    monkeypatch.setattr(_survey, "_run_chunk", fails)
    with pytest.raises(KeyboardInterrupt):
        sp.survey("zhang2018-example3", out=tmp_path / "fresh", **KW)
    assert not (tmp_path / "fresh").exists()
