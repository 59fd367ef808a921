"""What the public functions accept wherever a problem is expected: an example (or its
name), an instance, or a problem — and the default point each carries."""

from __future__ import annotations

import numpy as np

from spurious.core._errors import InputError
from spurious.core._instances import Instance
from spurious.core._matrix_free import MatrixFreeOperator
from spurious.core._operators import RectangularOperator, SensingOperator
from spurious.core._problems import AsymmetricProblem, SymmetricProblem

#: What :func:`as_problem` accepts, for messages.
SOURCES = "an example name, an Example, an Instance, or a problem"


def _instance_of(obj: object) -> Instance | None:
    if isinstance(obj, str):
        from spurious.core._examples import get_example

        return get_example(obj).instance
    from spurious.core._examples import Example

    if isinstance(obj, Example):
        return obj.instance
    if isinstance(obj, Instance):
        return obj
    return None


def as_problem(obj: object, r: int | None = None) -> tuple[SymmetricProblem | AsymmetricProblem, np.ndarray | None]:
    """The problem ``obj`` stands for and its default point (the instance's ``x``, or None).

    Parameters
    ----------
    obj : str, Example, Instance, SymmetricProblem or AsymmetricProblem
        A built-in example's name, an :class:`~spurious.Example`, an :class:`~spurious.Instance`
        (its least-squares problem), or a problem (used as it is).
    r : int, optional
        Search rank for an instance (default: that of its ``x``, else of its ``z``); a
        problem's own rank must equal it.

    Returns
    -------
    problem, x : the problem and the point the source carries (``None`` for a problem or an
        instance without ``x``).
    """
    inst = _instance_of(obj)
    if inst is not None:
        x = inst.x if inst.x is not None and (r is None or inst.x.shape[1] == r) else None
        return inst.problem(r), x
    if isinstance(obj, SymmetricProblem | AsymmetricProblem):
        if r is not None and obj.r != r:
            raise InputError(f"r = {r}: the problem has rank {obj.r}")
        return obj, None
    raise InputError(f"expected {SOURCES}, got {type(obj).__name__}")


def as_operator(obj: object) -> SensingOperator | RectangularOperator | MatrixFreeOperator:
    """The sensing operator (dense or matrix-free) of an operator, example (or name), instance or least-squares
    problem."""
    kinds = SensingOperator | RectangularOperator | MatrixFreeOperator
    if isinstance(obj, kinds):
        return obj
    inst = _instance_of(obj)
    if inst is not None:
        return inst.operator
    op = getattr(getattr(obj, "loss", None), "operator", None)
    if isinstance(op, kinds):
        return op
    raise InputError(f"expected a sensing operator or {SOURCES} with a least-squares loss, got {type(obj).__name__}")
