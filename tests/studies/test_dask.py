"""Dask: a real ``dask scheduler`` and ``dask worker`` on 127.0.0.1; results identical to the local run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spurious.cli import main
from spurious.studies import _registry as registry
from spurious.studies import _runner as runner

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"
DASK = Path(sys.executable).with_name("dask")

pytest.importorskip("distributed")
pytestmark = pytest.mark.skipif(not DASK.exists(), reason="no dask CLI next to the interpreter")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture
def cluster(tmp_path):
    """``tcp://127.0.0.1:PORT`` of a scheduler with one single-threaded worker that can import the toy plug-in."""
    from dask.distributed import Client

    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(SRC), env.get("PYTHONPATH", "")])
    addr = f"tcp://127.0.0.1:{_free_port()}"
    logs = [open(tmp_path / f"{n}.log", "w") for n in ("scheduler", "worker")]
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", addr.rsplit(":", 1)[1],
                               "--no-dashboard"], env=env, stdout=logs[0], stderr=subprocess.STDOUT, cwd=tmp_path)]
    try:
        procs.append(subprocess.Popen([str(DASK), "worker", addr, "--host", "127.0.0.1", "--nthreads", "1",
                                       "--nworkers", "1", "--no-dashboard", "--no-nanny"],
                                      env=env, stdout=logs[1], stderr=subprocess.STDOUT, cwd=tmp_path))
        with Client(addr, timeout=60) as client:
            client.wait_for_workers(1, timeout=90)
        yield addr
    finally:
        for p in reversed(procs):
            _stop(p)
        for f in logs:
            f.close()


def test_scheduler_run_equals_local(cluster, tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    out = tmp_path / "dask-run"
    rc = main(["reproduce", "toy", "--quick", "--seed", "5", "--scheduler", cluster, "--out", str(out), "--json"])
    assert rc == 0
    result = json.loads(capsys.readouterr().out)
    assert result["name"] == "toy" and result["out"] == str(out) and len(result["verdicts"]) == 2
    local = runner.reproduce("toy", out=tmp_path / "local", quick=True, seed=5, workers=1)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), pd.read_parquet(local.results),
                                  check_exact=True)
    m = json.loads((out / "manifest.json").read_text())
    assert m["sessions"][-1]["scheduler"] == cluster and m["status"] == "complete"
    assert len({v["pid"] for v in m["chunk_runs"].values()}) == 1  # all ran on the worker, not here
    assert next(iter(m["chunk_runs"].values()))["pid"] != os.getpid()
