"""spurious: the optimization landscape of low-rank matrix recovery.

Sensing operators, Burer–Monteiro problems, certificates of critical points, RIP
constants, RIP thresholds and counterexample generators, batched local search and the
reproduction of the papers' figures. Heavy dependencies (cvxpy, numba kernels, torch,
dask, matplotlib) are imported lazily by the functions that use them.
"""

from .errors import (
    InputError,
    InstanceFileError,
    NoInstanceError,
    SolverError,
    SpuriousError,
    TooLargeError,
    VerificationError,
)

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "InstanceFileError",
    "NoInstanceError",
    "SolverError",
    "SpuriousError",
    "TooLargeError",
    "VerificationError",
    "__version__",
]
