"""Argument helpers shared by the commands: points (``--x``/``--x-file``) and instance sources."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from spurious.core._errors import InputError
from spurious.core._validation import as_factor


def add_point_arguments(parser: argparse.ArgumentParser, name: str, what: str, required: bool = False) -> None:
    """``--NAME v1,v2,...`` (rank 1, full precision) or ``--NAME-file F.npy`` (any rank)."""
    group = parser.add_mutually_exclusive_group(required=required)
    VECTOR_OPTIONS.add(f"--{name}")
    group.add_argument(f"--{name}", metavar="V1,V2,...", help=f"{what}: comma-separated vector (rank 1)")
    group.add_argument(f"--{name}-file", metavar="F.npy", help=f"{what}: .npy file, n×r")


def parse_vector(text: str, name: str) -> np.ndarray:
    """A comma-separated vector as an ``n × 1`` factor; an empty entry (``1,,2``) is an error."""
    entries = text.replace(" ", "").split(",")
    if entries == [""]:
        raise InputError(f"--{name}: empty vector")
    if "" in entries:
        raise InputError(f"--{name}: empty entry in {text!r} (entry {entries.index('') + 1})")
    try:
        values = [float(t) for t in entries]
    except ValueError:
        raise InputError(f"--{name}: not a comma-separated list of numbers: {text!r}") from None
    return np.array(values)[:, None]


#: options that take a vector: a value after them that starts with ``-`` is a negative number
VECTOR_OPTIONS: set[str] = set()


def attach_vector_values(argv: list[str]) -> list[str]:
    """``--x -1,0`` → ``--x=-1,0``, so that argparse does not read a negative vector as an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else ""
        if tok in VECTOR_OPTIONS and len(nxt) > 1 and nxt[0] == "-" and (nxt[1].isdigit() or nxt[1] == "."):
            out.append(f"{tok}={nxt}")
            i += 2
        else:
            out.append(tok)
            i += 1
    return out


def load_npy(path: str, name: str) -> np.ndarray:
    from spurious.core._arrayfiles import read_arrays

    try:
        arrays = read_arrays(Path(path))
    except InputError as exc:
        raise InputError(f"--{name}-file: {exc}") from None
    if list(arrays) != [""]:
        raise InputError(f"--{name}-file: {path}: an .npz archive, expected one .npy array")
    arr = arrays[""]
    if arr.dtype.kind not in "fiu":
        raise InputError(f"--{name}-file: {path}: expected a numeric array")
    return arr


def read_point(args: argparse.Namespace, name: str, n: int | None = None) -> np.ndarray | None:
    """The point given as ``--NAME`` or ``--NAME-file``, validated as an ``n × r`` factor (or None)."""
    text = getattr(args, name, None)
    file = getattr(args, f"{name}_file", None)
    if text is not None:
        return as_factor(parse_vector(text, name), f"--{name}", n=n)
    if file is not None:
        return as_factor(load_npy(file, name), f"--{name}-file", n=n)
    return None


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """``--example NAME`` or ``--instance F.npz`` (one required)."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--example", metavar="NAME", help="a built-in example (see spurious.core._examples)")
    group.add_argument("--instance", metavar="F.npz", help="an instance file (A, z, optional x, b)")


def read_source(args: argparse.Namespace):
    """The :class:`~spurious.instances.Instance` named by ``--example`` or ``--instance``."""
    if getattr(args, "example", None):
        from spurious.core._examples import get_example

        return get_example(args.example).instance
    from spurious.core._instances import load_instance

    return load_instance(args.instance)
