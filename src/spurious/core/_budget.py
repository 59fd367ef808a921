"""One budget for the size of a request, checked before any work starts.

A call's work is counted in its natural unit — SGD trial-steps (``trials × steps``), GD
trial-iterations, RIP samples and search iterations, grid cells — and refused when it exceeds
:data:`DEFAULT_MAX_WORK` units, with a one-line :class:`~spurious.TooLargeError` that says the
limit and how to raise it: the environment variable ``SPURIOUS_MAX_WORK`` or the function's
``max_work`` argument. Memory is budgeted the same way by
:func:`spurious.core._validation.check_bytes`. Integers that reach compiled kernels are bounded
far below 2⁶³ by this check, so nothing wraps around.
"""

from __future__ import annotations

import math
import os

from spurious.core._errors import InputError, TooLargeError

#: Default largest work of one call: 10¹² units (an SGD trial-step is ~15 ns on one core here,
#: so the default admits calls of hours, and refuses those of months).
DEFAULT_MAX_WORK = 1e12
#: Work units of one convex program (an LMI of the threshold or counterexample family: ~10 ms,
#: about as long as 10⁶ SGD trial-steps).
CONVEX_PROGRAM_UNITS = 1e6
#: Environment variable that overrides :data:`DEFAULT_MAX_WORK`.
MAX_WORK_ENV = "SPURIOUS_MAX_WORK"


def max_work(limit: float | None = None) -> float:
    """The work limit in force: ``limit`` if given, else ``$SPURIOUS_MAX_WORK``, else the default."""
    if limit is not None:
        value, where = limit, "max_work"
    else:
        raw = os.environ.get(MAX_WORK_ENV)
        if raw is None:
            return DEFAULT_MAX_WORK
        where = f"{MAX_WORK_ENV}={raw!r}"
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"{where}: expected a number of work units") from None
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"{where}: expected a positive, finite number of work units")
    return value


def check_work(units: float, what: str, *, limit: float | None = None) -> None:
    """Refuse ``units`` of work (e.g. ``trials × steps``) above the limit, naming ``what``.

    Parameters
    ----------
    units : float
        The work of the request, computed in floating point (no overflow).
    what : str
        What the units are, for the message, naming the arguments (``"trials = 10 × steps = 1000"``).
    limit : float, optional
        Overrides ``$SPURIOUS_MAX_WORK`` and :data:`DEFAULT_MAX_WORK`.

    Raises
    ------
    TooLargeError
        ``units`` exceeds the limit.
    """
    cap = max_work(limit)
    if float(units) > cap:
        raise TooLargeError(
            f"{what}: {float(units):.3g} units of work, above the limit of {cap:.3g} "
            f"(raise it with {MAX_WORK_ENV}=N or max_work=N)"
        )
