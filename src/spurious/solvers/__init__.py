"""Batched local search: GD, SGD with momentum, noisy projected SGD, perturbed GD.

Every method takes a problem, an initial batch ``x0`` of shape ``(T, n, r)`` (or draws
one from per-trial streams) and returns a :class:`~spurious.solvers.result.LocalSearchResult`.
"""

from .result import LocalSearchResult, Status, Trajectory

__all__ = ["LocalSearchResult", "Status", "Trajectory"]
