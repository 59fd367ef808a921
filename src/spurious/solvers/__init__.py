"""Batched local search: GD, SGD with momentum, noisy projected SGD, perturbed GD.

Every method takes a problem and a batch of ``T`` trials (``x0`` of shape ``(T, n, r)``, or
per-trial draws keyed by ``(seed, cell, trial)``) and returns a
:class:`~spurious.solvers.result.LocalSearchResult`. Compiled kernels (numba) and the torch
backend are imported only when used.

The two methods named like their modules are imported from them:
``from spurious.solvers.gd import gd`` and ``from spurious.solvers.sgd import sgd``
(re-exporting them here would shadow the submodules ``spurious.solvers.gd``/``.sgd``).
"""

from . import init
from .perturbed import jin_parameters, local_region, perturbed_gd
from .projected import projected_sgd
from .result import LocalSearchResult, Status, Trajectory
from .sgd import SGDSummary, sgd_failure_rate

__all__ = [
    "LocalSearchResult",
    "SGDSummary",
    "Status",
    "Trajectory",
    "init",
    "jin_parameters",
    "local_region",
    "perturbed_gd",
    "projected_sgd",
    "sgd_failure_rate",
]
