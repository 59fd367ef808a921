"""Readable summaries of result objects: the one formatter behind every result's ``__str__``
and the one converter behind their ``to_dict`` (JSON-able values)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np


def format_value(value: object) -> str:
    """A value as a researcher reads it: floats to 6 significant digits, None as ``—``, arrays by shape."""
    if value is None:
        return "—"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        return str(v) if not math.isfinite(v) else f"{v:.6g}"
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return "[" + ", ".join(format_value(float(v)) for v in value.ravel()) + "]"
        return f"array of shape {value.shape}"
    if isinstance(value, tuple | list) and len(value) <= 6 and all(isinstance(v, int | float) for v in value):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def summary_lines(title: str, rows: Iterable[tuple[str, object]]) -> str:
    """``title`` then one aligned ``label  value`` line per row (rows whose value is ``...`` are skipped)."""
    rows = [(label, value) for label, value in rows if value is not Ellipsis]
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join([title, *(f"  {label.ljust(width)}  {format_value(value)}" for label, value in rows)])


def jsonable(value: object) -> object:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists (NaN/inf kept as floats)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def short_repr(obj: object, names: Iterable[str]) -> str:
    """``Name(a=1.5, b=True)``: the class name and a few of its attributes, formatted by :func:`format_value`."""
    parts = ", ".join(f"{n}={format_value(getattr(obj, n))}" for n in names)
    return f"{type(obj).__name__}({parts})"
