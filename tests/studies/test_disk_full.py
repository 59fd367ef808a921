"""A full disk mid-run: one line, exit 2, no temporary files left, finished chunks kept and resumable."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest

from spurious.cli import main
from spurious.studies import _registry as registry
from spurious.studies import _runner as runner

HERE = Path(__file__).parent


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")


@pytest.fixture
def small_disk(tmp_path):
    """A 96 KB tmpfs (root only; the test is skipped where mounting is not permitted)."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _check_after_failure(out: Path, capsys, code: int) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "No space left on device" in err[0] and "Traceback" not in err[0], err
    assert not [p for p in out.rglob("*.tmp*")], "temporary files left behind"


def _resume_equals_uninterrupted(out: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    res = runner.reproduce("toy", out=moved, seed=2, workers=1, resume=True)
    assert res.chunks_reused > 0
    ref = runner.reproduce("toy", out=tmp_path / "ref", seed=2, workers=1)
    pd.testing.assert_frame_equal(pd.read_parquet(moved / "results.parquet"), pd.read_parquet(ref.results))


def test_real_full_disk(toy, small_disk, tmp_path, capsys):
    out = small_disk / "run"
    code = main(["reproduce", "toy", "--seed", "2", "--workers", "1", "--out", str(out)])
    _check_after_failure(out, capsys, code)
    status = json.loads((out / "manifest.json").read_text())["status"]
    assert status in ("interrupted", "running")  # 'running' only if even the small manifest no longer fits
    _resume_equals_uninterrupted(out, tmp_path)


def test_simulated_full_disk(toy, tmp_path, capsys, monkeypatch):
    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def to_parquet(self, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            Path(path).write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    out = tmp_path / "run"
    code = main(["reproduce", "toy", "--seed", "2", "--workers", "1", "--out", str(out)])
    _check_after_failure(out, capsys, code)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert len(list((out / "chunks").glob("chunk-*.parquet"))) == 4
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    _resume_equals_uninterrupted(out, tmp_path)
