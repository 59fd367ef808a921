"""Hostile and broken array files for the bad-input corpus (tests/cli/test_bad_input_corpus.py).

Huge shapes are declared in hand-written ``.npy`` headers (nothing of that size is ever
written); the decompression bombs are streamed into a deflated zip member chunk by chunk,
so making them needs a few MB of memory.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from spurious.core._examples import get_example
from spurious.core._instances import Instance, save_instance

#: 10⁶ × 10⁶ float64 = 8 TB declared
HUGE_SHAPE_2D = (10**6, 10**6)
#: 10⁶ × 10³ × 10³ float64 = 8 TB declared (an m × n × n stack)
HUGE_SHAPE_3D = (10**6, 10**3, 10**3)
#: the decompression bomb: a 10⁴ × 10⁴ float64 matrix (800 MB) of zeros, under 1 MB compressed
BOMB_N = 10**4


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """A version 1.0 ``.npy`` header (magic included) declaring ``shape``, with no data after it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _long_header() -> bytes:
    """A header whose length field says 20115 bytes (above numpy's ``max_header_size``)."""
    return np.lib.format.magic(1, 0) + _npy_header((2, 1))


def _npy_bytes(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _bomb(path: Path, shape: tuple[int, ...], extra: dict[str, bytes]) -> Path:
    """A deflated ``.npz`` whose member ``A.npy`` holds ``shape`` float64 zeros, streamed in 8 MB chunks."""
    chunk = bytes(8 << 20)
    total = int(np.prod(shape)) * 8
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("A.npy", "w", force_zip64=True) as member:
            member.write(_npy_header(shape))
            left = total
            while left > 0:
                k = min(left, len(chunk))
                member.write(chunk[:k])
                left -= k
        for name, data in extra.items():
            zf.writestr(name, data)
    return path


def _instance_members(inst: Instance, **replace: object) -> dict[str, bytes]:
    """The members of ``inst``'s instance file, with arrays replaced (None drops one)."""
    arrays: dict[str, object] = {
        "A": inst.operator.matrices(),
        "z": inst.z,
        "x": inst.x,
        "format": np.int64(1),
        "scaling": np.str_("plain"),
    }
    arrays.update(replace)
    return {
        f"{k}.npy": _npy_bytes(np.asarray(v), allow_pickle=np.asarray(v).dtype.hasobject)
        for k, v in arrays.items()
        if v is not None
    }


def make_files(root: Path) -> dict[str, Path]:
    """Write every file of the corpus under ``root``; return ``{key: path}`` (the file name is ``key`` + suffix).

    Keys starting ``inst_`` are meant for ``--instance`` / ``load_instance``, keys starting
    ``pt_`` for ``--x-file`` / ``--z-file``; ``good_*`` files are valid.
    """
    root.mkdir(parents=True, exist_ok=True)
    inst = get_example("zhang2018-example3").instance
    A = inst.operator.matrices()
    m, n = A.shape[0], A.shape[1]
    files: dict[str, Path] = {}

    def put(key: str, suffix: str, data: bytes) -> None:
        path = root / f"{key}{suffix}"
        path.write_bytes(data)
        files[key] = path

    def put_zip(key: str, members: dict[str, bytes]) -> None:
        files[key] = _zip(root / f"{key}.npz", members)

    # valid files
    files["good_instance"] = save_instance(root / "good_instance.npz", inst)
    files["good_instance_nox"] = save_instance(root / "good_instance_nox.npz", Instance(inst.operator, inst.z))
    put("good_point", ".npy", _npy_bytes(inst.x))
    good = files["good_instance"].read_bytes()

    # --- instance files (.npz) ---
    files["inst_missing"] = root / "inst_missing.npz"  # never created
    (root / "inst_directory.npz").mkdir()
    files["inst_directory"] = root / "inst_directory.npz"
    put("inst_empty", ".npz", b"")
    put("inst_text", ".npz", b"this is a text file, not an array archive\n" * 4)
    put("inst_npy_renamed", ".npz", _npy_bytes(A))
    put("inst_truncated", ".npz", good[: len(good) // 2])
    corrupt = bytearray(good)
    mid = len(corrupt) // 2
    corrupt[mid : mid + 64] = bytes(b ^ 0xFF for b in corrupt[mid : mid + 64])
    put("inst_corrupt", ".npz", bytes(corrupt))
    put_zip("inst_zip_of_text", {"readme.txt": b"hello", "A.txt": b"1 2 3"})
    put_zip("inst_pickle", _instance_members(inst, A=np.array([A, "x"], dtype=object)))
    put_zip("inst_pickle_z", _instance_members(inst, z=np.array([{"a": 1}], dtype=object)))
    put_zip("inst_huge_member", {"A.npy": _npy_header(HUGE_SHAPE_3D), "z.npy": _npy_bytes(inst.z)})
    put_zip("inst_huge_member_2d", {"A.npy": _npy_header(HUGE_SHAPE_2D), "z.npy": _npy_bytes(inst.z)})
    put_zip("inst_negative_shape", {"A.npy": _npy_header((-3, 2, 2)) + bytes(96), "z.npy": _npy_bytes(inst.z)})
    put_zip("inst_bad_header", {"A.npy": b"\x93NUMPY\x01\x00{garbage}" + bytes(64), "z.npy": _npy_bytes(inst.z)})
    files["inst_bomb_2d"] = _bomb(root / "inst_bomb_2d.npz", (BOMB_N, BOMB_N), {"z.npy": _npy_bytes(inst.z)})
    files["inst_bomb_3d"] = _bomb(
        root / "inst_bomb_3d.npz", (1, BOMB_N, BOMB_N), {"z.npy": _npy_bytes(np.ones((BOMB_N, 1)))}
    )
    nan_A = A.copy()
    nan_A[0, 0, 0] = np.nan
    put_zip("inst_nan_A", _instance_members(inst, A=nan_A))
    inf_A = A.copy()
    inf_A[1, 0, 1] = inf_A[1, 1, 0] = np.inf
    put_zip("inst_inf_A", _instance_members(inst, A=inf_A))
    put_zip("inst_inf_z", _instance_members(inst, z=np.array([[np.inf], [0.0]])))
    put_zip("inst_nan_x", _instance_members(inst, x=np.array([[np.nan], [1.0]])))
    put_zip("inst_no_A", _instance_members(inst, A=None))
    put_zip("inst_no_z", _instance_members(inst, z=None))
    put_zip("inst_A_2d", _instance_members(inst, A=A.reshape(m, n * n)))
    put_zip("inst_A_nonsquare", _instance_members(inst, A=np.ones((m, n, n + 1))))
    put_zip("inst_A_empty", _instance_members(inst, A=np.zeros((0, n, n))))
    put_zip("inst_A_strings", _instance_members(inst, A=np.array([["a", "b"], ["c", "d"]])))
    put_zip("inst_A_complex", _instance_members(inst, A=A + 1j))
    put_zip("inst_z_rows", _instance_members(inst, z=np.ones((n + 1, 1))))
    put_zip("inst_z_rank", _instance_members(inst, z=np.ones((n, n + 1)), x=None))
    put_zip("inst_x_rows", _instance_members(inst, x=np.ones((n + 1, 1))))
    put_zip("inst_b_length", {**_instance_members(inst), "b.npy": _npy_bytes(np.zeros(m + 1))})
    put_zip("inst_format_string", _instance_members(inst, format=np.str_("one")))
    put_zip("inst_format_newer", _instance_members(inst, format=np.int64(99)))
    put_zip("inst_scaling_unknown", _instance_members(inst, scaling=np.str_("bogus")))
    put("inst_huge_npy", ".npz", _npy_header(HUGE_SHAPE_3D))
    put_zip("inst_long_header", {"A.npy": _long_header() + bytes(20200), "z.npy": _npy_bytes(inst.z)})

    # --- point files (.npy) ---
    files["pt_missing"] = root / "pt_missing.npy"
    put("pt_empty_file", ".npy", b"")
    put("pt_text", ".npy", b"0.0, 0.7\n")
    put("pt_nan", ".npy", _npy_bytes(np.array([[np.nan], [1.0]])))
    put("pt_inf", ".npy", _npy_bytes(np.array([[0.0], [-np.inf]])))
    put("pt_rows", ".npy", _npy_bytes(np.ones((n + 1, 1))))
    put("pt_3d", ".npy", _npy_bytes(np.ones((n, 1, 1))))
    put("pt_scalar", ".npy", _npy_bytes(np.array(1.0)))
    put("pt_rank_gt_n", ".npy", _npy_bytes(np.ones((n, n + 1))))
    put("pt_zero_columns", ".npy", _npy_bytes(np.ones((n, 0))))
    put("pt_strings", ".npy", _npy_bytes(np.array(["0", "1"])))
    put("pt_complex", ".npy", _npy_bytes(np.array([[1j], [1.0]])))
    put("pt_structured", ".npy", _npy_bytes(np.zeros(n, dtype=[("a", "<f8")])))
    put("pt_pickle", ".npy", _npy_bytes(np.array([[0.0], [None]], dtype=object), allow_pickle=True))
    put("pt_huge", ".npy", _npy_header(HUGE_SHAPE_2D))
    put("pt_truncated", ".npy", _npy_header((n, 1)) + bytes(8))
    put("pt_negative_shape", ".npy", _npy_header((-2, 1)) + bytes(16))
    put("pt_long_header", ".npy", _long_header() + bytes(20200))
    files["pt_npz_renamed"] = _zip(root / "pt_npz_renamed.npy", {"x.npy": _npy_bytes(inst.x)})
    return files
