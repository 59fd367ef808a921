"""Atomic file writes: through a temporary file beside the target and :func:`os.replace`.

A reader never sees half a file, and a failed write (a full disk, an interruption) leaves
neither a partial target nor its temporary file behind.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None], *, suffix: str = ".tmp") -> Path:
    """Call ``write(tmp)`` for a temporary path beside ``path``, then move it onto ``path``.

    Parameters
    ----------
    path : path-like
        The target.
    write : callable
        Writes the whole content to the path it is given.
    suffix : str
        Ending of the temporary name (some writers, e.g. :func:`numpy.savez`, need ``.npz``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OSError
        As raised by ``write`` or :func:`os.replace`, with ``filename`` the target ``path`` (the
        temporary name is an implementation detail); the temporary file is removed first.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    tmp = path.with_name(f".{path.name}.{os.getpid()}{suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        if exc.filename is not None and str(exc.filename) == str(tmp):
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise
    except BaseException:
        _remove(tmp)
        raise
    return path


def _remove(tmp: Path) -> None:
    """Remove a temporary file if it is there (its directory may be missing or not a directory)."""
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass
