"""Closed-form thresholds: ``δ_foc`` of zhang2020 Thm 4 at any rank, the rank-1
parametrization ``(ρ, φ)``, and the bounds of zhang2018 Thm 5, 6 and 7.
"""

from spurious.landscape._closed_forms import (
    delta_foc_closed,
    delta_foc_rank1,
    delta_from_condition,
    rho_phi,
    thm5_delta,
    thm6_condition,
    thm6_delta,
    thm7_applies,
)

__all__ = [
    "delta_foc_closed",
    "delta_foc_rank1",
    "delta_from_condition",
    "rho_phi",
    "thm5_delta",
    "thm6_condition",
    "thm6_delta",
    "thm7_applies",
]
