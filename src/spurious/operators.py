"""Sensing operators ``A(X)_i = ⟨A_i, X⟩``: the classes and their constructors.

``sp.operators.gaussian(m, n, rng=0)`` and so on; an operator goes into
:func:`spurious.least_squares` or an :class:`spurious.Instance`. Conventions (isometric
``svec``, kernel ``H = AᵀA``) are in the user guide, "Conventions".
"""

from spurious.core._operators import (
    RectangularOperator,
    SensingOperator,
    from_kernel,
    from_matrices,
    gaussian,
    rank_one,
    rectangular_gaussian,
    sparse_binary,
    symmetric_gaussian,
)

__all__ = [
    "RectangularOperator",
    "SensingOperator",
    "from_kernel",
    "from_matrices",
    "gaussian",
    "rank_one",
    "rectangular_gaussian",
    "sparse_binary",
    "symmetric_gaussian",
]
