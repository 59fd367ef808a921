"""Atomic file writes: through a temporary file beside the target and :func:`os.replace`.

A reader never sees half a file, and a failed write (a full disk, an interruption) leaves
neither a partial target nor its temporary file behind.
"""

from __future__ import annotations

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
        As raised by ``write`` or :func:`os.replace`; the temporary file is removed first.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
