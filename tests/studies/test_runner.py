"""Runner: the run directory, determinism across workers, refusals, resume of a complete run, index.html."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from spurious.core._errors import InputError
from spurious.studies import _registry as registry
from spurious.studies import _runner as runner

HERE = Path(__file__).parent


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    return registry.get_experiment("toy")


def test_run_directory(toy, tmp_path):
    res = runner.reproduce("toy", out=tmp_path / "run", quick=True, seed=3, workers=1)
    out = tmp_path / "run"
    assert res.out == out and res.chunks_run == 12 and res.chunks_reused == 0
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [f"chunk-{i:05d}.parquet" for i in range(12)]
    m = json.loads((out / "manifest.json").read_text())
    assert m["experiment"] == "toy" and m["seed"] == 3 and m["quick"] is True and m["status"] == "complete"
    assert m["parameters"] == toy.params(True) and m["chunks"] == toy.chunks(toy.params(True))
    assert m["experiment_fields"] == {"grad": "none"}
    assert m["versions"]["numpy"] and m["versions"]["python"]
    assert set(m["chunk_runs"]) == {str(i) for i in range(12)}
    assert all({"host", "pid", "seconds", "started", "rows"} <= set(v) for v in m["chunk_runs"].values())
    assert [v["verdict"] for v in m["verdicts"]] == ["match", "match"]
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 96 and list(df.columns) == ["cell", "trial", "value", "hit"]  # results only
    assert (out / "figures" / "toy-hist.png").stat().st_size > 1000
    assert res.figures == (str(out / "figures" / "toy-hist.png"),)
    summary = (out / "summary.md").read_text()
    assert "| quantity | paper | ours | tolerance | verdict |" in summary
    assert "a toy \\| with a pipe" not in summary.split("## Notes")[0]  # notes go below the table
    assert "hit rate" in summary and "![toy-hist](figures/toy-hist.png)" in summary
    assert res.to_dict()["verdicts"][0]["quantity"] == "hit rate"


def test_workers_do_not_change_results(toy, tmp_path):
    runner.reproduce("toy", out=tmp_path / "w1", quick=True, workers=1)
    runner.reproduce("toy", out=tmp_path / "w2", quick=True, workers=2)
    a = pd.read_parquet(tmp_path / "w1" / "results.parquet")
    b = pd.read_parquet(tmp_path / "w2" / "results.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (tmp_path / "w1" / "results.parquet").read_bytes() == (tmp_path / "w2" / "results.parquet").read_bytes()
    m2 = json.loads((tmp_path / "w2" / "manifest.json").read_text())
    assert m2["sessions"][-1]["workers"] == 2
    assert m2["sessions"][-1]["git_commit"] == runner.git_commit()  # the code of each session


def test_refusals(toy, tmp_path):
    out = tmp_path / "run"
    runner.reproduce("toy", out=out, quick=True, seed=1, workers=1)
    with pytest.raises(InputError, match="different seed"):
        runner.reproduce("toy", out=out, quick=True, seed=2, workers=1)
    with pytest.raises(InputError, match="different parameters, quick, chunks"):
        runner.reproduce("toy", out=out, quick=False, seed=1, workers=1, resume=True)
    reused = runner.reproduce("toy", out=out, quick=True, seed=1, workers=1)  # complete: reused as it is
    assert reused.chunks_run == 0 and reused.chunks_reused == 12
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"holds files but no run \(no manifest.json\); move or delete it"):
        runner.reproduce("toy", out=tmp_path / "other", quick=True, workers=1)
    orphan = tmp_path / "orphan"  # a run whose manifest is gone: say what is there, adopt nothing
    (orphan / "chunks").mkdir(parents=True)
    for f in sorted((out / "chunks").glob("*.parquet"))[:5]:
        (orphan / "chunks" / f.name).write_bytes(f.read_bytes())
    with pytest.raises(InputError, match=r"holds 5 chunk files but no manifest\.json.*not adopted"):
        runner.reproduce("toy", out=orphan, quick=True, seed=1, workers=1)
    with pytest.raises(InputError, match="seed"):
        runner.reproduce("toy", out=tmp_path / "neg", quick=True, seed=-1)
    with pytest.raises(InputError, match="workers"):
        runner.reproduce("toy", out=tmp_path / "w0", quick=True, workers=0)
    # resuming a complete run re-reports it from the chunks on disk
    before = (out / "results.parquet").read_bytes()
    res = runner.reproduce("toy", out=out, quick=True, seed=1, workers=1, resume=True)
    assert res.chunks_run == 0 and res.chunks_reused == 12
    assert (out / "results.parquet").read_bytes() == before
    assert len(json.loads((out / "manifest.json").read_text())["sessions"]) == 3


def test_failing_chunk_keeps_finished_chunks(toy, tmp_path, monkeypatch):
    import dataclasses

    def boom(params, chunk, seed):
        if chunk["block"] == 2:
            raise RuntimeError("chunk failed")
        return toy.run_chunk(params, chunk, seed)

    bad = dataclasses.replace(toy, run_chunk=boom)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="chunk failed"):
        runner.reproduce(bad, out=out, quick=True, workers=1)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert len(list((out / "chunks").glob("*.parquet"))) == 2
    with pytest.raises(InputError, match="interrupted; pass --resume"):
        runner.reproduce("toy", out=out, quick=True, workers=1)
    res = runner.reproduce("toy", out=out, quick=True, workers=1, resume=True)
    assert res.chunks_reused == 2 and res.chunks_run == 10
    ref = runner.reproduce("toy", out=tmp_path / "ref", quick=True, workers=1)
    pd.testing.assert_frame_equal(pd.read_parquet(res.results), pd.read_parquet(ref.results), check_exact=True)


def test_run_all_writes_index(toy, tmp_path):
    results, index = runner.run_all(out=tmp_path, names=["toy"], quick=True, workers=1)
    assert [r.name for r in results] == ["toy"] and index == tmp_path / "index.html"
    html = index.read_text()
    assert '<img src="toy/figures/toy-hist.png"' in html and '<a href="toy/figures/toy-hist.png"' in html
    assert "hit rate" in html and '<tr class="match">' in html and 'href="toy/index.html"' in html
    page = (tmp_path / "toy" / "index.html").read_text()
    assert "a toy | with a pipe" in page  # the verdict's note
    assert '<img src="figures/toy-hist.png"' in page and 'href="../index.html"' in page
    for link in ("manifest.json", "results.parquet", "summary.md"):
        assert f'href="{link}"' in page and (tmp_path / "toy" / link).exists()
    assert "seed</dt><dd>0</dd>" in page and "toy Monte Carlo" in page


def test_pages_escape_html(toy, tmp_path):
    from spurious.studies._report import run_page_html

    res = runner.reproduce("toy", out=tmp_path / "r", quick=True, workers=1)
    m = json.loads((res.out / "manifest.json").read_text())
    m["description"] = "<script>alert(1)</script>"
    (res.out / "manifest.json").write_text(json.dumps(m))
    html = run_page_html(res.out)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_pool_workers_are_single_threaded(toy):
    import os

    import toy_experiment

    from spurious.studies._execution import THREAD_ENV, execute

    before = {k: os.environ.get(k) for k in THREAD_ENV}
    got = []
    execute(
        [(i, i) for i in range(4)],
        run_chunk=toy_experiment.thread_env_chunk,
        params={},
        seed=0,
        on_done=got.append,
        workers=2,
    )
    assert sorted(o.index for o in got) == [0, 1, 2, 3]
    for o in got:
        row = o.frame.iloc[0]
        assert all(row[k] == v for k, v in THREAD_ENV.items()) and row.numba_threads == 1
        assert row.pid != os.getpid() and o.pid == row.pid
    assert {k: os.environ.get(k) for k in THREAD_ENV} == before  # the parent's environment is restored


def test_progress_bar_on_stderr(toy, tmp_path, capsys):
    runner.reproduce("toy", out=tmp_path / "p", quick=True, workers=1, progress=True)
    err = capsys.readouterr().err
    assert "12/12" in err and "trials/s" in err


@pytest.mark.parametrize("damage", ["swap", "truncate", "garbage", "empty", "unrecorded"])
def test_resume_recomputes_a_damaged_chunk(toy, tmp_path, damage):
    """A chunk file is used only when the manifest recorded its key and SHA-256; others are recomputed."""
    out = tmp_path / "run"
    runner.reproduce("toy", out=out, quick=True, seed=4, workers=1)
    before = pd.read_parquet(out / "results.parquet")
    c3, c5 = runner.chunk_path(out, 3), runner.chunk_path(out, 5)
    if damage == "swap":
        c3.write_bytes(c5.read_bytes())
    elif damage == "truncate":
        c3.write_bytes(c3.read_bytes()[:50])
    elif damage == "garbage":
        c3.write_bytes(bytes(range(256)) * 4)
    elif damage == "empty":
        c3.write_bytes(b"")
    else:
        m = json.loads((out / "manifest.json").read_text())
        del m["chunk_runs"]["3"]
        (out / "manifest.json").write_text(json.dumps(m))
    res = runner.reproduce("toy", out=out, quick=True, seed=4, workers=1, resume=True)
    assert res.chunks_run == 1 and res.chunks_reused == 11
    after = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(after, before)
    assert after.trial[after.cell == 0].is_unique
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete"
    assert m["chunk_runs"]["3"]["sha256"] == runner.file_sha256(c3)


def test_second_run_on_a_locked_directory_is_refused(toy, tmp_path):
    import os
    import socket

    out = tmp_path / "run"
    out.mkdir()
    (out / ".lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": 0}))
    with pytest.raises(InputError, match=f"in use by process {os.getpid()} on this host"):
        runner.reproduce("toy", out=out, quick=True, workers=1)
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # the other run's directory is untouched


def test_stale_lock_is_taken_over_and_foreign_lock_refused(toy, tmp_path, caplog):
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    out = tmp_path / "run"
    out.mkdir()
    (out / ".lock").write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started": 0}))
    res = runner.reproduce("toy", out=out, quick=True, workers=1)
    assert res.chunks_run == 12 and not (out / ".lock").exists()
    assert f"stale lock of process {pid}" in caplog.text
    other = tmp_path / "other"
    other.mkdir()
    (other / ".lock").write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "started": 0}))
    with pytest.raises(InputError, match=r"process 1 on elsewhere\.example.*delete .*\.lock"):
        runner.reproduce("toy", out=other, quick=True, workers=1)
    (other / ".lock").write_text("garbage")
    with pytest.raises(InputError, match="unreadable"):
        runner.reproduce("toy", out=other, quick=True, workers=1)


def test_out_on_a_file_or_under_a_file(toy, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        runner.reproduce("toy", out=f, quick=True, workers=1)
    with pytest.raises(InputError, match="cannot create the run directory"):
        runner.reproduce("toy", out=f / "sub", quick=True, workers=1)
    assert f.read_text() == "x"


def test_overrides_are_checked_recorded_and_stated(toy, tmp_path):
    out = tmp_path / "set"
    res = runner.reproduce("toy", out=out, quick=True, workers=1, overrides={"trials": 48})
    assert len(pd.read_parquet(res.results)) == 48
    m = json.loads((out / "manifest.json").read_text())
    assert m["overrides"] == {"trials": 48} and m["parameters"]["trials"] == 48
    assert "**Parameters overridden** (`--set`): `trials=48`" in (out / "summary.md").read_text()
    with pytest.raises(InputError, match="no parameter 'trails'; known: block, dim, trials"):
        runner.reproduce("toy", out=tmp_path / "x", quick=True, overrides={"trails": 48})
    with pytest.raises(InputError, match="expected an integer like the default 96"):
        runner.reproduce("toy", out=tmp_path / "x", quick=True, overrides={"trials": 4.5})
    assert not (tmp_path / "x").exists()


def test_apply_overrides_kinds_and_nesting():
    params = {"n": 3, "lr": 0.1, "grid": [1, 2], "name": "a", "flag": True, "panel": {"steps": 10}, "opt": None}
    out = runner.apply_overrides(params, {"lr": 1, "grid": [3, 4, 5], "panel.steps": 20, "opt": "x"})
    assert out["lr"] == 1.0 and isinstance(out["lr"], float) and out["grid"] == [3, 4, 5]
    assert out["panel"] == {"steps": 20} and params["panel"] == {"steps": 10}
    for bad in ({"n": True}, {"flag": 1}, {"grid": [1.5]}, {"name": 3}, {"panel": 3}):
        with pytest.raises(InputError, match="expected"):
            runner.apply_overrides(params, bad)
    with pytest.raises(InputError, match="panel has no parameter 'stps'; known: steps"):
        runner.apply_overrides(params, {"panel.stps": 1})
    assert runner.parse_overrides(["a=1", "b=[1, 2]", "c=scs", "d=1e-3"]) == {
        "a": 1,
        "b": [1, 2],
        "c": "scs",
        "d": 1e-3,
    }
    for bad in (["novalue"], ["=3"], ["x=NaN"]):
        with pytest.raises(InputError, match="--set"):
            runner.parse_overrides(bad)


def test_quick_and_full_runs_have_their_own_default_directories(toy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    quick = runner.reproduce("toy", quick=True, workers=1)
    assert quick.out == Path("runs/quick/toy")
    assert runner.default_out("toy", False) == Path("runs/toy")
    results, index = runner.run_all(names=["toy"], quick=True, workers=1)  # reuses the complete run
    assert index == Path("runs/quick/index.html") and results[0].chunks_run == 0


def test_run_result_summary(toy, tmp_path):
    res = runner.reproduce("toy", out=tmp_path / "run", quick=True, seed=3, workers=1)
    text = str(res)
    assert text.startswith("RunResult toy") and "2 match, 0 miss, 0 refuted" in text and "hit rate" in text
    assert repr(res) == f"RunResult('toy', match=2, miss=0, refuted=0, out={str(res.out)!r})"
    json.dumps(res.to_dict())
