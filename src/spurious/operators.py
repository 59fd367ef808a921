"""Sensing operators ``A(X)_i = ⟨A_i, X⟩``: the classes and their constructors.

``sp.operators.gaussian(m, n, rng=0)`` and so on; an operator goes into
:func:`spurious.least_squares` or an :class:`spurious.Instance`. Conventions (isometric
``svec``, kernel ``H = AᵀA``) are in the user guide, "Conventions".

Dense operators (:class:`SensingOperator`, stored as their ``m × N`` matrix): ``gaussian``,
``symmetric_gaussian``, ``rank_one``, ``sparse_binary``, ``from_matrices``, ``from_kernel``.
Matrix-free operators (:class:`MatrixFreeOperator`; the user guide, "Operators at large n"):
``quadratic_sensing`` / ``from_vectors`` (rank-one ``a_i a_iᵀ``, memory ``m·n``),
``entry_sampling`` / ``from_entries`` (PSD matrix completion, memory ``O(|Ω|)``),
``gaussian_blocks`` / ``symmetric_gaussian_blocks`` (regenerated from a seed, never stored)
and ``from_callables`` (a user's own ``apply`` / ``adjoint``). ``to_torch`` gives a rank-one or
completion operator's torch twin (:class:`TorchOperator`: the same maps on a CPU or CUDA device).
"""

from spurious.core._matrix_free import (
    CallableOperator,
    EntrySamplingOperator,
    GaussianBlockOperator,
    MatrixFreeOperator,
    RankOneOperator,
    entry_sampling,
    from_callables,
    from_entries,
    from_vectors,
    gaussian_blocks,
    is_matrix_free,
    quadratic_sensing,
    symmetric_gaussian_blocks,
)
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
from spurious.core._torch_operators import TorchOperator, to_torch

__all__ = [
    "CallableOperator",
    "EntrySamplingOperator",
    "GaussianBlockOperator",
    "MatrixFreeOperator",
    "RankOneOperator",
    "RectangularOperator",
    "SensingOperator",
    "TorchOperator",
    "entry_sampling",
    "from_callables",
    "from_entries",
    "from_kernel",
    "from_matrices",
    "from_vectors",
    "gaussian",
    "gaussian_blocks",
    "is_matrix_free",
    "quadratic_sensing",
    "rank_one",
    "rectangular_gaussian",
    "sparse_binary",
    "symmetric_gaussian",
    "symmetric_gaussian_blocks",
    "to_torch",
]
