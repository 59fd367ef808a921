"""The heavy-ball / Nesterov momentum update: the one home of the formula used by the numpy paths.

As optax's ``chain(trace(decay=β, nesterov=…), scale_by_learning_rate(η))``: the velocity
``v ← βv + g`` (:func:`velocity`), then the step direction ``v`` (heavy ball) or ``g + βv``
(Nesterov, Sutskever et al. 2013, the PyTorch/optax form) (:func:`direction`), and
``x ← x − η·direction``. :func:`spurious.gd` and the numpy backend of :func:`spurious.sgd` call
these functions; the compiled kernels (numba, torch) are twins tested equal to them
(tests/solvers/test_momentum.py).
"""

from __future__ import annotations

import numpy as np


def velocity(v: np.ndarray, g: np.ndarray, beta: float) -> np.ndarray:
    """``β v + g`` (a new array)."""
    return beta * v + g


def direction(v_new: np.ndarray, g: np.ndarray, beta: float, nesterov: bool = False) -> np.ndarray:
    """The step direction after :func:`velocity`: ``v_new`` (heavy ball) or ``g + β v_new`` (Nesterov)."""
    return g + beta * v_new if nesterov else v_new
