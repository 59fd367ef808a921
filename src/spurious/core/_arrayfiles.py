"""Reading ``.npy`` and ``.npz`` files from strangers: shapes checked before data is read.

Every array's header (dtype, shape) is read first — for an ``.npz`` from inside the zip
member, whose declared uncompressed size is checked too — and the file is refused when the
arrays it declares would need more memory than the limit, before anything is allocated or
decompressed. Pickled (object) arrays are refused (``allow_pickle=False``). The limit is
:data:`DEFAULT_MAX_FILE_BYTES` (the environment variable ``SPURIOUS_MAX_FILE_BYTES``
overrides it; a function's ``max_bytes`` argument overrides both).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from spurious.core._errors import InputError, TooLargeError
from spurious.core._validation import check_float, format_bytes

#: Largest total of declared array sizes read from one file, in bytes.
DEFAULT_MAX_FILE_BYTES = 2e9
#: Environment variable that raises (or lowers) :data:`DEFAULT_MAX_FILE_BYTES`.
MAX_FILE_BYTES_ENV = "SPURIOUS_MAX_FILE_BYTES"


def max_file_bytes(max_bytes: float | None = None) -> float:
    """The limit in force: ``max_bytes`` if given, else ``$SPURIOUS_MAX_FILE_BYTES``, else the default."""
    if max_bytes is not None:
        return check_float(max_bytes, "max_bytes", 0.0, open_low=True)
    raw = os.environ.get(MAX_FILE_BYTES_ENV)
    if raw is None:
        return DEFAULT_MAX_FILE_BYTES
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{MAX_FILE_BYTES_ENV}={raw!r}: expected a number of bytes") from None
    if not value > 0:
        raise InputError(f"{MAX_FILE_BYTES_ENV}={raw!r}: expected a positive number of bytes")
    return value


#: numpy's own bound on an ``.npy`` header (``max_header_size``); ours are a few hundred bytes.
MAX_HEADER_BYTES = 10_000


def _header(stream, what: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from an ``.npy`` header (the stream is left after the header)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = fmt.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unknown .npy version {version}")
    except (ValueError, OSError, EOFError) as exc:
        why = str(exc)
        if "Header info length" in why or "max_header_size" in why:  # numpy's text advises unpickling: never
            why = f"its header is longer than the {MAX_HEADER_BYTES:,} bytes a plain array needs"
        raise InputError(f"{what}: not a plain .npy array ({why})") from None
    if dtype.hasobject:
        raise InputError(f"{what}: holds Python objects (a pickle); only numeric arrays are read")
    return tuple(int(s) for s in shape), dtype


def _check_total(total: float, path: Path, limit: float) -> None:
    if total > limit:
        raise TooLargeError(
            f"{path}: its arrays would need {format_bytes(total)}, above the limit of {format_bytes(limit)} "
            f"(raise it with {MAX_FILE_BYTES_ENV}=BYTES)"
        )


def declared_arrays(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """``{name: (shape, dtype)}`` of the arrays an ``.npy`` (name ``""``) or ``.npz`` file declares.

    Reads headers only. Raises :class:`InputError` when the file is neither.
    """
    path = Path(path)
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        with open(path, "rb") as f:
            return {"": _header(f, str(path))}
    if magic[:2] != b"PK":
        raise InputError(f"{path}: not an .npz or .npy file")
    out = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                name = info.filename[:-4]
                with zf.open(info) as member:
                    shape, dtype = _header(member, f"{path}: {name!r}")
                need = float(np.prod(shape, dtype=float)) * dtype.itemsize
                if info.file_size < need:
                    raise InputError(f"{path}: {name!r} declares {shape} but holds only {info.file_size} bytes")
                out[name] = (shape, dtype)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not an .npz file ({exc})") from None
    return out


def read_arrays(path: str | os.PathLike, *, max_bytes: float | None = None) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file (or the one array of an ``.npy`` file, named ``""``).

    Parameters
    ----------
    path : path-like
    max_bytes : float, optional
        Refuse the file when its declared arrays total more (default :func:`max_file_bytes`).

    Returns
    -------
    dict of str to ndarray

    Raises
    ------
    InputError
        Missing file, not an npy/npz file, a pickled array, a corrupt member.
    TooLargeError
        The declared arrays exceed the limit (nothing was allocated).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        declared = declared_arrays(path)
        _check_total(
            sum(float(np.prod(s, dtype=float)) * d.itemsize for s, d in declared.values()),
            path,
            max_file_bytes(max_bytes),
        )
        if list(declared) == [""]:
            return {"": np.load(path, allow_pickle=False)}
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files if k in declared}
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: corrupt array file ({exc})") from None
