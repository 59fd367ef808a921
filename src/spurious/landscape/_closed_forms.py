"""Closed forms for the RIP thresholds of a candidate point (zhang2018 §3, zhang2020 Thm 4).

Given a candidate point ``x`` and a ground truth ``z`` (both ``n × r``), the *first-order
threshold* ``δ_foc(x)`` is the smallest scale-free RIP constant of an instance in which ``x``
is a spurious critical point (zhang2020 Definition 3); the *second-order threshold*
``δ_soc(x) ≥ δ_foc(x)`` also asks for ``∇²f(x) ⪰ 0``. Both are optimal values of the convex
programs in :mod:`spurious.landscape._thresholds`; this module holds what is known about them in
closed form:

* :func:`delta_foc_closed` — zhang2020 Theorem 4, exact, any rank:
  ``δ_foc(x) = cos θ`` with ``sin θ = ‖zᵀ(I − x x⁺) z‖_F / ‖x xᵀ − z zᵀ‖_F``;
* :func:`rho_phi` — the length ratio ``ρ = ‖x‖/‖z‖`` and incidence angle
  ``φ = arccos(xᵀz / (‖x‖‖z‖))`` of zhang2018 eq. (11) (rank 1), on which both thresholds
  depend exclusively (rotation invariance);
* :func:`delta_foc_rank1` — Theorem 4 written in ``(ρ, φ)``;
* :func:`thm5_delta`, :func:`thm6_delta`, :func:`thm7_applies` — zhang2018 Theorems 5, 6, 7.
  These are *bounds* (δ of an explicit feasible kernel), not the optimum: Theorem 5 bounds
  ``δ_foc`` from above with equality iff ``φ ∈ {0, ±π/2, π}``; Theorem 6 bounds ``δ_soc``
  from above for ``φ ≠ 0``; Theorem 7 claims ``δ_soc ≤ thm5_delta`` where ``|sin φ| ≤ ρ``,
  which fails for small ρ (see :func:`thm7_applies`).

All δ here are the scale-free RIP constant of the DESIGN conventions:
``δ = (β − α)/(β + α) = (κ − 1)/(κ + 1)`` for a kernel of condition number ``κ``.
"""

from __future__ import annotations

import numpy as np

from spurious.core._errors import InputError
from spurious.core._linalg import outer
from spurious.core._validation import as_pair, as_real_array

__all__ = [
    "delta_foc_closed",
    "delta_foc_rank1",
    "delta_from_condition",
    "orthogonal_construction",
    "rho_phi",
    "thm5_delta",
    "thm6_condition",
    "thm6_delta",
    "thm7_applies",
]

#: Relative size of ``‖x xᵀ − z zᵀ‖_F`` (w.r.t. ``‖z zᵀ‖_F``) below which ``x xᵀ = z zᵀ``.
GLOBAL_RTOL = 1e-12


def _range_projector(x: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """Orthonormal basis of the column space of ``x`` (so ``x x⁺ = U Uᵀ``), rank-revealing."""
    U, s, _ = np.linalg.svd(x, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return np.zeros((x.shape[0], 0))
    return U[:, s > rtol * s[0] * max(x.shape)]


def delta_foc_closed(x: object, z: object) -> float:
    """First-order RIP threshold ``δ_foc(x)`` in closed form (zhang2020 Theorem 4).

    Parameters
    ----------
    x : (n, r) array, or (n,) for rank 1
        Candidate point; any rank, rank-deficient (even ``x = 0``) allowed.
    z : (n, r') array, or (n,)
        Ground truth factor, ``Z = z zᵀ``.

    Returns
    -------
    float
        ``δ_foc(x) = cos θ ∈ [0, 1]``, with ``sin θ = ‖zᵀ(I − x x⁺) z‖_F / ‖x xᵀ − z zᵀ‖_F``.
        By definition (zhang2020 Definition 3) ``δ_foc = 1`` when ``x xᵀ = z zᵀ``
        (to relative accuracy :data:`GLOBAL_RTOL`). At ``x = 0`` the formula gives 0
        (``x = 0`` is a critical point of every instance).

    Notes
    -----
    ``cos²θ`` is evaluated without cancellation: with ``P = x x⁺``, ``Q = I − P`` and
    ``E = x xᵀ − z zᵀ``, the block decomposition ``‖E‖² = ‖PEP‖² + 2‖P z zᵀ Q‖² + ‖Q z zᵀ Q‖²``
    and ``‖zᵀ Q z‖_F = ‖Q z zᵀ Q‖_F`` give

    ``cos²θ = (‖P E P‖_F² + 2 ‖P z zᵀ Q‖_F²) / ‖E‖_F²``,

    a ratio of sums of squares, accurate near ``δ_foc = 0`` as well as near 1.
    δ_foc is not continuous at ``x = 0``: along ``x = t u``, ``t → 0``, it tends to a value that
    depends on the direction ``u`` (1 for ``u`` colinear with ``z``, rank 1), although the
    text after zhang2020 Theorem 4 says ``δ_foc → 0`` as ``X → 0``; only ``δ_foc(0) = 0``.

    References
    ----------
    zhang2020 Theorem 4, eq. (6); Definition 3.

    Examples
    --------
    Example 3 of zhang2018, ``x = (0, 1/√2)`` and ``z = (1, 0)``: ``δ_foc = 1/√5``.

    >>> d = sp.closed_forms.delta_foc_closed([0.0, 2**-0.5], [1.0, 0.0])
    >>> round(d, 6), round(5**-0.5, 6)
    (0.447214, 0.447214)
    """
    x, z = as_pair(x, z)
    ZZ = outer(z)
    E = outer(x) - ZZ
    norm_e = float(np.linalg.norm(E))
    if norm_e <= GLOBAL_RTOL * max(float(np.linalg.norm(ZZ)), np.finfo(float).tiny):
        return 1.0
    U = _range_projector(x)
    P = U @ U.T
    Q = np.eye(x.shape[0]) - P
    num = np.linalg.norm(P @ E @ P) ** 2 + 2.0 * np.linalg.norm(P @ ZZ @ Q) ** 2
    return float(np.sqrt(min(1.0, max(0.0, num / norm_e**2))))


def rho_phi(x: object, z: object) -> tuple[float, float]:
    """Length ratio and incidence angle of zhang2018 eq. (11), rank 1.

    Parameters
    ----------
    x, z : (n,) or (n, 1) arrays, ``z ≠ 0``

    Returns
    -------
    (rho, phi) : ``ρ = ‖x‖/‖z‖ ≥ 0`` and ``φ = arccos(xᵀz/(‖x‖‖z‖)) ∈ [0, π]`` (computed with
    ``atan2`` for accuracy near 0 and π; ``φ = π/2`` by convention when ``x = 0``).

    Notes
    -----
    zhang2018 eq. (11); the rank-1 thresholds depend on ``(x, z)`` only through ``(ρ, φ)``.
    """
    x, z = as_pair(x, z)
    if x.shape[1] != 1 or z.shape[1] != 1:
        raise InputError(f"rho_phi: rank 1 only, got x of shape {x.shape} and z of shape {z.shape}")
    x, z = x[:, 0], z[:, 0]
    nz = float(np.linalg.norm(z))
    if nz == 0.0:
        raise InputError("z: must be nonzero")
    nx = float(np.linalg.norm(x))
    if nx == 0.0:
        return 0.0, float(np.pi / 2)
    zh = z / nz
    c = float(x @ zh)
    s = float(np.linalg.norm(x - c * zh))
    return nx / nz, float(np.arctan2(s, c))


def _rho_phi_arrays(rho: object, phi: object) -> tuple[np.ndarray, np.ndarray]:
    rho = as_real_array(rho, "rho")
    phi = as_real_array(phi, "phi")
    if np.any(rho < 0):
        raise InputError("rho: must be ≥ 0")
    return np.broadcast_arrays(rho, phi)


def _out(a: np.ndarray) -> float | np.ndarray:
    return float(a) if a.ndim == 0 else a


def delta_from_condition(kappa: object) -> float | np.ndarray:
    """Scale-free RIP constant ``δ = (κ − 1)/(κ + 1)`` of a kernel with condition number ``κ ≥ 1``
    (``κ = ∞`` gives 1).

    Parameters
    ----------
    kappa : float or array_like
        Condition numbers ``κ = λ_max(H)/λ_min(H) ≥ 1`` (``inf`` allowed).

    Returns
    -------
    float or array
        ``δ`` (a float for a scalar ``kappa``), the DESIGN convention
        ``δ = (β − α)/(β + α)`` of an operator with ``α‖X‖² ≤ ‖A(X)‖² ≤ β‖X‖²``.

    Raises
    ------
    InputError
        A ``κ`` is NaN or below 1.
    """
    k = np.asarray(kappa, dtype=np.float64)
    if np.any(np.isnan(k)) or np.any(k < 1.0):
        raise InputError("kappa: a condition number must be ≥ 1 (inf allowed)")
    with np.errstate(invalid="ignore"):
        d = np.where(np.isinf(k), 1.0, (k - 1.0) / (k + 1.0))
    return _out(d)


def orthogonal_construction(x: object, z: object) -> np.ndarray:
    """The point of zhang2018 §4 that attains ``δ_soc = 1/2``: ``x ⟂ z``, ``‖x‖ = ‖z‖/√2`` (rank 1).

    ``x ← x − (xᵀz/‖z‖²) z``, then ``x ← ‖z‖ x/(√2 ‖x‖)``: ``ρ = 1/√2`` and ``φ = π/2`` in the
    coordinates of :func:`rho_phi`, the geometry of Example 3.

    Parameters
    ----------
    x : (n, 1) array, or (n,)
        A starting point (e.g. a Gaussian draw), not colinear with ``z``.
    z : (n, 1) array, or (n,)
        Ground truth factor, ``z ≠ 0``.

    Returns
    -------
    (n, 1) array

    Raises
    ------
    InputError
        Rank other than 1, ``z = 0``, or ``x`` colinear with ``z`` (nothing is left after the projection).

    Notes
    -----
    zhang2018 §4 Experiment 1 ("δ = 1/2 consistently") and Experiment 2's "good" instance.
    """
    x, z = as_pair(x, z)
    if x.shape[1] != 1 or z.shape[1] != 1:
        raise InputError(f"orthogonal_construction: rank 1 only (x has {x.shape[1]} columns, z {z.shape[1]})")
    zz = float(np.vdot(z, z))
    if zz == 0.0:
        raise InputError("z = 0: no direction to project out")
    x = x - z * float(np.vdot(z, x)) / zz
    nx = float(np.linalg.norm(x))
    if nx <= 1e-14 * float(np.sqrt(zz)):
        raise InputError("x is colinear with z: its projection orthogonal to z vanishes")
    return float(np.linalg.norm(z)) * x / (np.sqrt(2.0) * nx)


def delta_foc_rank1(rho: object, phi: object) -> float | np.ndarray:
    """zhang2020 Theorem 4 in the rank-1 coordinates of zhang2018 eq. (11), vectorized.

    ``δ_foc = sqrt(((ρ² − cos²φ)² + 2 cos²φ sin²φ) / (1 + ρ⁴ − 2ρ² cos²φ))`` for ``ρ > 0``
    (the cancellation-free form of ``sqrt(1 − sin⁴φ/(1 + ρ⁴ − 2ρ² cos²φ))``); 0 at ``ρ = 0``
    (``x = 0``); 1 at ``x = ±z`` (``ρ = 1``, ``sin φ = 0``).

    Since ``1 + ρ⁴ − 2ρ²cos²φ ≤ 1 + ρ⁴``, this is ``≤`` :func:`thm5_delta`, with equality iff
    ``cos φ = 0`` or ``sin φ = 0``.

    Parameters
    ----------
    rho : float or array_like
        Length ratio ``ρ = ‖x‖/‖z‖ ≥ 0`` (zhang2018 eq. (11)).
    phi : float or array_like
        Incidence angle ``φ = arccos(xᵀz/(‖x‖‖z‖))`` in radians; broadcast against ``rho``.

    Returns
    -------
    float or array
        ``δ_foc`` (a float for scalar input), equal to :func:`delta_foc_closed` of any rank-1
        pair with this ``(ρ, φ)``.

    Notes
    -----
    zhang2020 Theorem 4 (eq. (6)) in the coordinates (11) of zhang2018.
    """
    rho, phi = _rho_phi_arrays(rho, phi)
    c2, s2 = np.cos(phi) ** 2, np.sin(phi) ** 2
    r2 = rho**2
    den = 1.0 + r2**2 - 2.0 * r2 * c2
    num = (r2 - c2) ** 2 + 2.0 * c2 * s2
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(np.clip(num / den, 0.0, 1.0))
    d = np.where(den <= GLOBAL_RTOL**2, 1.0, d)
    d = np.where(rho == 0.0, 0.0, d)
    return _out(d)


def thm5_delta(rho: object, phi: object) -> float | np.ndarray:
    """zhang2018 Theorem 5, eq. (12): ``δ = sqrt(1 − sin⁴φ / (1 + ρ⁴))``, vectorized.

    The δ of an explicit kernel ``H`` with ``L(H) = 0`` (x a critical point), hence an upper
    bound on ``δ_foc(x)``; the paper states equality at ``φ = ±π/2``. Compared with the exact
    :func:`delta_foc_rank1` (zhang2020 Theorem 4), equality holds iff ``cos φ = 0`` or
    ``sin φ = 0`` (where both are 1), for every ``ρ > 0``.

    Parameters
    ----------
    rho : float or array_like
        Length ratio ``ρ = ‖x‖/‖z‖ ≥ 0`` (zhang2018 eq. (11)).
    phi : float or array_like
        Incidence angle ``φ = arccos(xᵀz/(‖x‖‖z‖))`` in radians; broadcast against ``rho``.

    Returns
    -------
    float or array
        Theorem 5's ``δ`` (a float for scalar input).

    Notes
    -----
    zhang2018 Theorem 5, eq. (12).
    """
    rho, phi = _rho_phi_arrays(rho, phi)
    return _out(np.sqrt(np.clip(1.0 - np.sin(phi) ** 4 / (1.0 + rho**4), 0.0, 1.0)))


def thm6_condition(rho: object, phi: object) -> float | np.ndarray:
    """zhang2018 Theorem 6: ``κ ≤ (1 + δ₅)/(1 − δ₅) · (1 + (1 + ρ⁴)^{3/2} / (ρ² sin⁴φ))``.

    ``δ₅`` is :func:`thm5_delta`; the bound is the condition number of the kernel
    ``H_τ = τ P_{e⊥} + H₀`` of the proof (zhang2018 App. A.2), with
    ``τ = (1 + δ₅)(1 + ρ⁴)^{3/2}/(ρ² sin⁴φ)``. Infinite where ``ρ = 0`` or ``sin φ = 0``.

    Parameters
    ----------
    rho : float or array_like
        Length ratio ``ρ = ‖x‖/‖z‖ ≥ 0`` (zhang2018 eq. (11)).
    phi : float or array_like
        Incidence angle ``φ = arccos(xᵀz/(‖x‖‖z‖))`` in radians; broadcast against ``rho``.

    Returns
    -------
    float or array
        The condition-number bound ``κ`` (a float for scalar input; ``inf`` where the theorem
        gives no instance).

    Notes
    -----
    zhang2018 Theorem 6 and its proof, App. A.2.
    """
    rho, phi = _rho_phi_arrays(rho, phi)
    d5 = np.asarray(thm5_delta(rho, phi))
    s4 = np.sin(phi) ** 4
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = (1.0 + rho**4) ** 1.5 / (rho**2 * s4)
        kappa = (1.0 + d5) / (1.0 - d5) * (1.0 + tail)
    kappa = np.where((rho == 0.0) | (s4 == 0.0) | (d5 >= 1.0), np.inf, kappa)
    return _out(kappa)


def thm6_delta(rho: object, phi: object) -> float | np.ndarray:
    """zhang2018 Theorem 6 as a scale-free δ: ``(κ − 1)/(κ + 1)`` of :func:`thm6_condition`.

    An upper bound on ``δ_soc(x)`` (x is a second-order point of an instance with this δ),
    ``< 1`` whenever ``ρ > 0`` and ``sin φ ≠ 0``.

    Parameters
    ----------
    rho : float or array_like
        Length ratio ``ρ = ‖x‖/‖z‖ ≥ 0`` (zhang2018 eq. (11)).
    phi : float or array_like
        Incidence angle ``φ = arccos(xᵀz/(‖x‖‖z‖))`` in radians; broadcast against ``rho``.

    Returns
    -------
    float or array
        ``δ`` (a float for scalar input; 1 where :func:`thm6_condition` is infinite).

    Notes
    -----
    zhang2018 Theorem 6, through :func:`delta_from_condition`.
    """
    return delta_from_condition(thm6_condition(rho, phi))


def thm7_applies(rho: object, phi: object) -> bool | np.ndarray:
    """zhang2018 Theorem 7's region ``|sin φ| ≤ ρ``, vectorized.

    The theorem claims that there the Theorem 5 kernel also satisfies ``M(H) ⪰ 0``, so that
    ``δ_soc(x) ≤`` :func:`thm5_delta`; its proof (App. A.3) argues more, that the second-order
    constraint is inactive (``δ_soc = δ_foc``). **Both are false in part of the region**
    (measured with the second-order program, ``tests/test_closed_forms.py``):
    ``δ_soc > thm5_delta`` for ``ρ ≲ 0.59`` and small φ, e.g. ``(ρ, φ) = (0.5, 0.394)``:
    ``δ_soc = 0.99278 > 0.98973``; and ``δ_soc > δ_foc`` e.g. at ``(1, 0.394)``
    (0.96582 vs 0.96242). The proof only checks the sign of a derivative at ``β = 0``, which
    does not make ``β = 0`` the global minimizer. For ``ρ ≥ 0.6`` the bound held everywhere
    we checked, and it also holds at some points outside the region (e.g. ``ρ = 0.9, φ = π/2``).

    Parameters
    ----------
    rho : float or array_like
        Length ratio ``ρ = ‖x‖/‖z‖ ≥ 0`` (zhang2018 eq. (11)).
    phi : float or array_like
        Incidence angle ``φ = arccos(xᵀz/(‖x‖‖z‖))`` in radians; broadcast against ``rho``.

    Returns
    -------
    bool or array of bool
        ``|sin φ| ≤ ρ`` (a bool for scalar input).

    Notes
    -----
    zhang2018 Theorem 7 and App. A.3.
    """
    rho, phi = _rho_phi_arrays(rho, phi)
    a = np.abs(np.sin(phi)) <= rho
    return bool(a) if a.ndim == 0 else a
