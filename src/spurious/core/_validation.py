"""Checks on user-supplied arrays; each failure raises :class:`~spurious.errors.InputError`
with a one-line message naming the input."""

from __future__ import annotations

import math

import numpy as np

from spurious.core._errors import InputError


def check_int(value: object, name: str, low: int = 0, high: int | None = None) -> int:
    """``value`` as a Python int in ``[low, high]``; bools, floats and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} = {value!r}: expected an integer")
    v = int(value)
    if v < low or (high is not None and v > high):
        bounds = f"≥ {low}" if high is None else f"in [{low}, {high}]"
        raise InputError(f"{name} = {value!r}: expected an integer {bounds}")
    return v


def check_float(
    value: object,
    name: str,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """``value`` as a finite float in the interval ``[low, high]`` (each end open on request)."""
    if isinstance(value, bool):
        raise InputError(f"{name} = {value!r}: expected a number")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} = {value!r}: expected a number") from None
    bad_low = v <= low if open_low else v < low
    bad_high = v >= high if open_high else v > high
    if not math.isfinite(v) or bad_low or bad_high:
        lo = "(" if open_low else "["
        hi = ")" if open_high else "]"
        raise InputError(f"{name} = {value!r}: expected a finite number in {lo}{low:g}, {high:g}{hi}")
    return v


def as_real_array(a: object, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``a`` as a finite float64 array, with the number of dimensions checked."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: not a real numeric array ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise InputError(
                f"{name}: expected {' or '.join(map(str, allowed))} dimensions, got shape {arr.shape}"
            )
    if arr.size and not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: contains NaN or inf")
    return arr


def as_factor(a: object, name: str, n: int | None = None) -> np.ndarray:
    """An ``n × r`` factor (a 1-D vector is read as rank 1)."""
    arr = as_real_array(a, name, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"{name}: empty factor of shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise InputError(f"{name}: has {arr.shape[0]} rows, expected n = {n}")
    if arr.shape[1] > arr.shape[0]:
        raise InputError(f"{name}: rank r = {arr.shape[1]} exceeds n = {arr.shape[0]}")
    return arr


def as_symmetric(a: object, name: str, atol: float = 1e-10) -> np.ndarray:
    """A square symmetric matrix (checked to ``atol`` relative to its size)."""
    arr = as_real_array(a, name, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise InputError(f"{name}: not square, shape {arr.shape}")
    scale = max(1.0, float(np.max(np.abs(arr)))) if arr.size else 1.0
    if not np.allclose(arr, arr.T, rtol=0.0, atol=atol * scale):
        raise InputError(f"{name}: not symmetric")
    return 0.5 * (arr + arr.T)


def as_psd(a: object, name: str, atol: float = 1e-9) -> np.ndarray:
    """A symmetric positive semidefinite matrix."""
    arr = as_symmetric(a, name)
    if arr.size:
        lam = np.linalg.eigvalsh(arr)
        if lam[0] < -atol * max(1.0, abs(lam[-1])):
            raise InputError(f"{name}: not positive semidefinite (λ_min = {lam[0]:.3g})")
    return arr


def check_bytes(nbytes: float, what: str, limit: float) -> None:
    """Refuse an allocation of ``nbytes`` above ``limit`` with the size it would need."""
    from spurious.core._errors import TooLargeError

    if nbytes > limit:
        raise TooLargeError(
            f"{what} would need {format_bytes(nbytes)}, above the limit of {format_bytes(limit)}"
        )


def format_bytes(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(nbytes) < 1000 or unit == "PB":
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1000.0
    raise AssertionError("unreachable")
