"""The conventions as functions: isometric ``svec``/``smat``, column-stacking ``vec``, the
symmetric-product Jacobian ``Xmat`` (``Xmat·vec(u) = svec(xuᵀ + uxᵀ)``), the rotation
directions ``{xW : W skew}`` and the gradient/Hessian forms ``∇f = 2XmatᵀHe``,
``∇²f = 2M(H)`` (zhang2018 eq. (5)–(8)).
"""

from spurious.core._linalg import (
    error_vector,
    gradient_form,
    hessian_form,
    orthogonal_complement,
    outer,
    rotation_directions,
    smat,
    svec,
    svec_dim,
    svec_order,
    sym,
    sym_jacobian,
    unvec,
    vec,
)

__all__ = [
    "error_vector",
    "gradient_form",
    "hessian_form",
    "orthogonal_complement",
    "outer",
    "rotation_directions",
    "smat",
    "svec",
    "svec_dim",
    "svec_order",
    "sym",
    "sym_jacobian",
    "unvec",
    "vec",
]
