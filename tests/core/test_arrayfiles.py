"""Hostile array files: sizes declared in headers are checked before anything is read."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from spurious.core._arrayfiles import declared_arrays, read_arrays
from spurious.core._errors import InputError, InstanceFileError, TooLargeError
from spurious.core._instances import load_instance


def _npy_bytes(shape, dtype="<f8", body=b""):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue() + body


def test_huge_declared_npy_is_refused_before_reading(tmp_path):
    path = tmp_path / "x.npy"
    path.write_bytes(_npy_bytes((10**6, 10**6)))  # 8 TB declared, a few bytes on disk
    assert declared_arrays(path) == {"": ((10**6, 10**6), np.dtype("<f8"))}
    with pytest.raises(TooLargeError, match=r"8 TB.*SPURIOUS_MAX_FILE_BYTES"):
        read_arrays(path)


def test_decompression_bomb_is_refused(tmp_path):
    """A small compressed member that declares a 10⁴ × 10⁴ matrix (800 MB) under a 100 MB limit."""
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("A.npy", "w", force_zip64=True) as member:
            member.write(_npy_bytes((1, 10**4, 10**4)))
            zero = bytes(8 * 10**6)
            for _ in range(100):
                member.write(zero)
    assert path.stat().st_size < 2e6
    with pytest.raises(TooLargeError, match="800 MB"):
        read_arrays(path, max_bytes=1e8)
    with pytest.raises(TooLargeError):
        load_instance(path, max_bytes=1e8)


def test_member_shorter_than_its_header_is_refused(tmp_path):
    path = tmp_path / "short.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("A.npy", _npy_bytes((1000, 1000), body=bytes(80)))
    with pytest.raises(InputError, match="declares"):
        read_arrays(path)


def test_pickled_array_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, A=np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError, match="pickle"):
        read_arrays(path)


@pytest.mark.parametrize("content", [b"", b"hello world", b"PK\x03\x04 broken zip"])
def test_not_an_array_file(tmp_path, content):
    path = tmp_path / "f.npz"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"f\.npz: not an \.npz"):
        read_arrays(path)


def test_npy_renamed_npz_is_named(tmp_path):
    path = tmp_path / "x.npz"
    with open(path, "wb") as f:
        np.save(f, np.ones((3, 3)))
    with pytest.raises(InstanceFileError, match=r"an \.npy array, not an \.npz instance file"):
        load_instance(path)


def test_environment_limit(tmp_path, monkeypatch):
    path = tmp_path / "ok.npz"
    np.savez(path, A=np.ones((10, 10)))
    monkeypatch.setenv("SPURIOUS_MAX_FILE_BYTES", "100")
    with pytest.raises(TooLargeError, match="800 B"):
        read_arrays(path)
    monkeypatch.setenv("SPURIOUS_MAX_FILE_BYTES", "1e6")
    assert read_arrays(path)["A"].shape == (10, 10)
    monkeypatch.setenv("SPURIOUS_MAX_FILE_BYTES", "lots")
    with pytest.raises(InputError, match="SPURIOUS_MAX_FILE_BYTES"):
        read_arrays(path)
