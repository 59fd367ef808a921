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
    try:
        values = [float(t) for t in text.replace(" ", "").split(",") if t != ""]
    except ValueError:
        raise InputError(f"--{name}: not a comma-separated list of numbers: {text!r}") from None
    if not values:
        raise InputError(f"--{name}: empty vector")
    return np.array(values)[:, None]


def load_npy(path: str, name: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"--{name}-file: {path}: no such file")
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"--{name}-file: {path}: not a readable .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fiu":
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
