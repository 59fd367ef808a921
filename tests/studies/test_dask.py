"""Dask: a real ``dask scheduler`` and ``dask worker`` on 127.0.0.1; results identical to the local run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

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
def cluster(tmp_path, request):
    """A scheduler (``.addr``, ``tcp://127.0.0.1:PORT``) with one single-threaded worker (``.worker``, its process)."""
    from dask.distributed import Client

    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1", TOY_SLEEP=getattr(request, "param", "0"))
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(SRC), env.get("PYTHONPATH", "")])
    addr = f"tcp://127.0.0.1:{_free_port()}"
    logs = [open(tmp_path / f"{n}.log", "w") for n in ("scheduler", "worker")]
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", addr.rsplit(":", 1)[1], "--no-dashboard"],
            env=env,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(DASK),
                    "worker",
                    addr,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    "--no-nanny",
                ],
                env=env,
                stdout=logs[1],
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
        )
        with Client(addr, timeout=60) as client:
            client.wait_for_workers(1, timeout=90)
        yield SimpleNamespace(addr=addr, worker=procs[1])
    finally:
        for p in reversed(procs):
            _stop(p)
        for f in logs:
            f.close()


def test_scheduler_run_equals_local(cluster, tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    out = tmp_path / "dask-run"
    rc = main(["reproduce", "toy", "--quick", "--seed", "5", "--scheduler", cluster.addr, "--out", str(out), "--json"])
    assert rc == 0
    result = json.loads(capsys.readouterr().out)
    assert result["name"] == "toy" and result["out"] == str(out) and len(result["verdicts"]) == 2
    local = runner.reproduce("toy", out=tmp_path / "local", quick=True, seed=5, workers=1)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "results.parquet"), pd.read_parquet(local.results), check_exact=True
    )
    m = json.loads((out / "manifest.json").read_text())
    assert m["sessions"][-1]["scheduler"] == cluster.addr and m["status"] == "complete"
    assert len({v["pid"] for v in m["chunk_runs"].values()}) == 1  # all ran on the worker, not here
    assert next(iter(m["chunk_runs"].values()))["pid"] != os.getpid()


@pytest.mark.parametrize("cluster", ["0.3"], indirect=True)  # the worker sleeps 0.3 s per chunk
def test_lost_last_worker_stops_with_one_line(cluster, tmp_path, monkeypatch, capsys):
    """The only worker dies mid-run: one line after the no-worker timeout, finished chunks kept, resumable."""
    import threading

    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    monkeypatch.setenv("SPURIOUS_DASK_NO_WORKER_TIMEOUT", "3")
    out = tmp_path / "lost"
    chunks = out / "chunks"

    def kill_after_two_chunks():
        while len(list(chunks.glob("chunk-*.parquet"))) < 2 and cluster.worker.poll() is None:
            threading.Event().wait(0.05)
        cluster.worker.kill()

    killer = threading.Thread(target=kill_after_two_chunks, daemon=True)
    killer.start()
    rc = main(["reproduce", "toy", "--seed", "1", "--scheduler", cluster.addr, "--out", str(out)])
    killer.join(timeout=30)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "no Dask worker connected for 3 s" in err[0] and "--resume" in err[0]
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and len(m["chunk_runs"]) >= 2
    done = sorted(int(k) for k in m["chunk_runs"])
    local = runner.reproduce("toy", out=out, seed=1, workers=1, resume=True)
    assert local.chunks_reused == len(done) and local.chunks_run == 50 - len(done)


@pytest.mark.parametrize("address", ["not a url", "tcp://127.0.0.1", "127.0.0.1:8786", "tcp://host:99999", "tcp://:1"])
def test_bad_scheduler_address_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys, address):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    out = tmp_path / "never"
    rc = main(["reproduce", "toy", "--quick", "--scheduler", address, "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "PROTOCOL://HOST:PORT" in err[0]
    assert not out.exists()


def test_closed_scheduler_port_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    out = tmp_path / "never"
    rc = main(["reproduce", "toy", "--quick", "--scheduler", f"tcp://127.0.0.1:{_free_port()}", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "cannot reach the Dask scheduler" in err[0], err
    assert not out.exists()
