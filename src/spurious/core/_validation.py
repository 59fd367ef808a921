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
    """``value`` as a finite float in the interval ``[low, high]`` (each end open on request).

    Bools and strings are refused (``"1e-3"`` is a typo in a notebook, not a number).
    """
    if isinstance(value, bool | str | bytes):
        raise InputError(f"{name} = {value!r}: expected a number")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} = {value!r}: expected a number") from None
    bad_low = v <= low if open_low else v < low
    bad_high = v >= high if open_high else v > high
    if not math.isfinite(v) or bad_low or bad_high:
        if math.isinf(high):
            bounds = "" if math.isinf(low) else f" {'>' if open_low else '≥'} {low:g}"
        else:
            bounds = f" in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise InputError(f"{name} = {value!r}: expected a finite number{bounds}")
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
            raise InputError(f"{name}: expected {' or '.join(map(str, allowed))} dimensions, got shape {arr.shape}")
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Refuse an array holding NaN or ±inf, naming the first such entry and its value."""
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        where = np.unravel_index(bad[0], arr.shape)
        entry = ", ".join(map(str, where))
        raise InputError(f"{name}: contains NaN or inf (entry [{entry}] is {arr.flat[bad[0]]}; {bad.size} in all)")


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


def as_pair(x: object, z: object) -> tuple[np.ndarray, np.ndarray]:
    """A point ``x`` and a ground truth ``z`` as factors with the same ``n`` (``z``'s rows fix it)."""
    z = as_factor(z, "z")
    x = as_factor(x, "x", n=z.shape[0])
    return x, z


#: Entries of a point/ground truth are kept within ``2^±SAFE_EXPONENT`` (about 10^±72): the
#: quartic objective ``‖A(xxᵀ − zzᵀ)‖²`` then stays far inside float64.
SAFE_EXPONENT = 240


def pow2_normalizer(*arrays: np.ndarray, what: str = "x, z") -> float:
    """The power of two ``c`` that brings the largest entry of ``arrays`` to ``[1/2, 1)``, or 1.0.

    1.0 when that entry already lies in ``[2^−SAFE_EXPONENT, 2^SAFE_EXPONENT]`` (or all are zero):
    multiplying by a power of two is exact in binary floating point, so scale-free quantities
    computed on ``c·x`` are those of ``x`` bit for bit, and inputs of ordinary size are untouched.
    """
    m = max((float(np.abs(a).max()) for a in arrays if a.size), default=0.0)
    c = (
        1.0
        if m == 0.0 or 2.0**-SAFE_EXPONENT <= m <= 2.0**SAFE_EXPONENT
        else float(np.ldexp(1.0, -int(np.frexp(m)[1])))
    )
    tiny = np.finfo(np.float64).tiny
    for a in arrays:
        small = (a != 0) & (np.abs(a * c) < tiny)
        if small.any():
            raise InputError(
                f"{what}: entries from {m:.3g} down to {float(np.abs(a[small]).min()):.3g}: more than float64's "
                "range of 10^308 apart, not representable together (rescale or round the small ones)"
            )
    return c


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
        raise TooLargeError(f"{what} would need {format_bytes(nbytes)}, above the limit of {format_bytes(limit)}")


def format_bytes(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(nbytes) < 1000 or unit == "PB":
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1000.0
    raise AssertionError("unreachable")
