"""Typed exceptions raised by :mod:`spurious`.

Every error a user can cause derives from :class:`SpuriousError`; the CLI turns any of
them into a one-line message and exit status 2.
"""

from __future__ import annotations


class SpuriousError(Exception):
    """Base class of every error raised by :mod:`spurious`."""


class InputError(SpuriousError, ValueError):
    """Bad input: wrong shape, NaN/inf, asymmetry where symmetry is required, r > n, ..."""


class InstanceFileError(InputError):
    """An instance file is missing, unreadable or malformed."""


class TooLargeError(SpuriousError, MemoryError):
    """A request would need more memory than allowed; the message states how much."""


class NoInstanceError(SpuriousError):
    """The question has no answer (e.g. a counterexample where none can exist, δ = 1)."""


class SolverError(SpuriousError):
    """A convex or nonlinear solver failed, was infeasible, or was not accurate enough."""


class VerificationError(SpuriousError):
    """An independent re-verification disagreed with what a computation claimed."""
