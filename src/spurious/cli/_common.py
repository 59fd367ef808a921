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


def _negative_value(token: str) -> bool:
    """``-1``, ``-.5``, ``-1,0``, ``-inf``, ``-nan``, ``-1e-3``: a value, not an option."""
    if len(token) < 2 or token[0] != "-" or token[1] == "-":
        return False
    head = token[1:].split(",")[0].lower()
    return head[:1].isdigit() or head[:1] == "." or head.startswith(("inf", "nan"))


def attach_negative_values(argv: list[str], value_options: set[str]) -> list[str]:
    """``--lr -1`` → ``--lr=-1``, ``--x -inf,0`` → ``--x=-inf,0``: argparse would read the value as an option.

    Applies to every option that takes a value (``value_options``), so that a negative, infinite or
    NaN number reaches the command's own check and its one-line message.
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else ""
        if tok in value_options and _negative_value(nxt):
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
        raise InputError(f"--{name}-file: {exc}") from None  # the message names the path
    if list(arrays) != [""]:
        raise InputError(f"--{name}-file: {path}: an .npz archive, expected one .npy array")
    arr = arrays[""]
    if arr.dtype.kind not in "fiu":
        raise InputError(f"--{name}-file: {path}: expected a numeric array")
    return arr


def point_label(args: argparse.Namespace, name: str) -> str | None:
    """How the user gave point ``name``: ``--NAME`` or ``--NAME-file PATH`` (None if not given)."""
    if getattr(args, name, None) is not None:
        return f"--{name}"
    file = getattr(args, f"{name}_file", None)
    return None if file is None else f"--{name}-file {file}"


def read_point(
    args: argparse.Namespace, name: str, n: int | None = None, n_from: str | None = None
) -> np.ndarray | None:
    """The point given as ``--NAME`` or ``--NAME-file``, validated as an ``n × r`` factor (or None).

    Every message names the option and, for a file, its path; ``n_from`` says where ``n`` comes from.
    """
    label = point_label(args, name)
    if label is None:
        return None
    text = getattr(args, name, None)
    arr = parse_vector(text, name) if text is not None else load_npy(getattr(args, f"{name}_file"), name)
    x = as_factor(arr, label)
    if n is not None and x.shape[0] != n:
        raise InputError(
            f"{label}: has {x.shape[0]} rows, expected n = {n}" + (f" (the rows of {n_from})" if n_from else "")
        )
    return x


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
