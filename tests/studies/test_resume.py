"""Resume: a run killed with SIGKILL part way and resumed equals an uninterrupted run, chunk for chunk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from spurious.studies import _registry as registry
from spurious.studies import _runner as runner

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    return registry.get_experiment("toy")


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(SRC), env.get("PYTHONPATH", "")])
    env[registry.PLUGIN_ENV] = "toy_experiment"
    env.update(extra)
    return env


def _start_toy_run(out: Path, workers: int, *extra: str) -> subprocess.Popen:
    """Start ``spurious reproduce toy`` in its own process group; return once ≥ 2 chunks are on disk."""
    cmd = [
        sys.executable,
        "-c",
        "import sys; from spurious.cli import main; sys.exit(main(sys.argv[1:]))",
        "reproduce",
        "toy",
        "--quick",
        "--seed",
        "7",
        "--workers",
        str(workers),
        "--out",
        str(out),
        *extra,
    ]
    proc = subprocess.Popen(
        cmd,
        env=_env(TOY_SLEEP="0.4"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # as from a terminal: a shell's background job (CI scripts, nohup) inherits SIGINT ignored,
        # and Python then installs no KeyboardInterrupt handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / "chunks").glob("chunk-*.parquet"))) >= 2:
            break
        time.sleep(0.02)
    return proc


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_resume_equals_uninterrupted(toy, tmp_path, workers):
    out = tmp_path / "run"
    proc = _start_toy_run(out, workers, "--json")
    try:
        assert proc.poll() is None, proc.communicate()[1].decode()
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker processes
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    kept = sorted(p.name for p in (out / "chunks").glob("chunk-*.parquet"))
    assert 2 <= len(kept) < 12
    assert not (out / "results.parquet").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    res = runner.reproduce("toy", out=out, quick=True, seed=7, workers=workers, resume=True)
    assert res.chunks_reused == len(kept) and res.chunks_run == 12 - len(kept)
    ref = runner.reproduce("toy", out=tmp_path / "ref", quick=True, seed=7, workers=1)
    a, b = pd.read_parquet(res.results), pd.read_parquet(ref.results)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not a.duplicated(["cell", "trial"]).any() and len(a) == 96
    assert res.results.read_bytes() == ref.results.read_bytes()
    assert [v.to_dict() for v in res.verdicts] == [v.to_dict() for v in ref.verdicts]
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["sessions"]) == 2 and set(m["chunk_runs"]) == {str(i) for i in range(12)}


def test_ctrl_c_keeps_chunks_and_resume_finishes(toy, tmp_path):
    out = tmp_path / "run"
    proc = _start_toy_run(out, 2)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends: the whole process group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert "--resume" in err.decode()
    kept = len(list((out / "chunks").glob("chunk-*.parquet")))
    assert 2 <= kept < 12 and not list((out / "chunks").glob(".*.tmp"))
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    res = runner.reproduce("toy", out=out, quick=True, seed=7, workers=1, resume=True)
    ref = runner.reproduce("toy", out=tmp_path / "ref", quick=True, seed=7, workers=1)
    assert res.chunks_reused == kept and res.results.read_bytes() == ref.results.read_bytes()
