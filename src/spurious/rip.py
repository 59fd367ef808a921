"""RIP constants of sensing operators (scale-free δ, DESIGN conventions).

If ``α‖X‖² ≤ ‖A(X)‖² ≤ β‖X‖²`` over rank ≤ k, then ``δ = (β − α)/(β + α)``; the full-rank
constant (k = n) is exact from the extreme eigenvalues of the kernel ``H = AᵀA``.
"""

from __future__ import annotations

import numpy as np


def delta_from_bounds(alpha: float, beta: float) -> float:
    """``δ = (β − α)/(β + α)``; 1 when ``α ≤ 0`` (no RIP)."""
    if beta <= 0:
        return 1.0
    return float((beta - max(alpha, 0.0)) / (beta + max(alpha, 0.0)))


def full_rank_delta(H: np.ndarray) -> float:
    """Exact full-rank δ of an operator from its kernel ``H = AᵀA`` (svec coordinates)."""
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=np.float64))
    return delta_from_bounds(float(lam[0]), float(lam[-1]))
