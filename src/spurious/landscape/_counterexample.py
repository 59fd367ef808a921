"""RIP instances with a prescribed spurious point, from LMI (10) of zhang2018.

:func:`counterexample` solves the threshold program of :mod:`spurious.landscape._thresholds` (reduced
to ``span[x z]`` and lifted by default), factors the optimal kernel ``H = AᵀA`` into
measurement matrices ``A_i`` (zhang2018 §2: "factor a feasible H back into AᵀA, e.g. using
Cholesky factorization or an eigendecomposition") and re-verifies everything it claims
from the matrices alone:

* ``grad_norm = ‖∇f(x)‖_F`` and ``hess_min_eig = λ_min(∇²f(x))`` off the rotation-symmetry
  directions ``{xW : W skew}``, from the instance's own problem (``f = ‖A(xxᵀ) − A(zzᵀ)‖²``);
* ``rip_full``: the exact full-rank RIP constant of the instance
  (:func:`spurious.full_rank_delta` of the kernel recomputed from the ``A_i``).

If the re-verification disagrees with the program beyond tolerance a
:class:`~spurious.VerificationError` is raised: a wrong instance is never returned.
With ``margin = μ > 0`` the Hessian satisfies ``∇²f(x) ⪰ 2μ I`` off the symmetry directions
(``H ⪯ I`` normalization), so ``x`` is a strict spurious local minimum.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError, NoInstanceError, VerificationError
from spurious.core._instances import Instance
from spurious.core._linalg import orthogonal_complement, rotation_directions, svec_dim
from spurious.core._operators import DEFAULT_MAX_BYTES, from_kernel
from spurious.core._summary import jsonable, short_repr, summary_lines
from spurious.core._validation import as_pair, check_bytes, check_float, pow2_normalizer
from spurious.landscape._critical_ball import CriticalBall, critical_ball
from spurious.landscape._rip import full_rank_delta
from spurious.landscape._thresholds import threshold_program

log = logging.getLogger(__name__)

__all__ = ["Counterexample", "Verification", "counterexample", "verify_instance"]

#: Factorizations of ``H`` into rows of ``A`` (see :func:`spurious.operators.from_kernel`).
FACTORIZATIONS = ("eigh", "cholesky", "sqrt")
#: Relative tolerance of the re-verification.
VERIFY_TOL = 1e-6
#: ``η`` at or below which the program has no RIP instance (``δ = 1``).
ETA_TOL = 1e-9


@dataclass(frozen=True)
class Verification:
    """Numbers recomputed from the measurement matrices alone.

    Attributes
    ----------
    grad_norm : float
        ``‖∇f(x)‖_F``.
    hess_min_eig : float
        ``λ_min(∇²f(x))`` on the orthogonal complement of the rotation directions
        (:func:`spurious.linalg.rotation_directions`).
    rip_full : float
        Exact full-rank RIP constant of the instance.
    grad_tol, eig_tol : float
        Absolute tolerances the checks used (relative :data:`VERIFY_TOL` times the scale
        ``‖∇²f(x)‖₂``, resp. ``‖∇²f(x)‖₂ · max(‖x‖_F, 1)``).
    passed : bool
    message : str
    ball : CriticalBall or None
        With ``margin > 0`` (the claim "strict local minimum"): the Newton–Kantorovich test
        that a true critical point, a local minimum, lies within ``ball.radius`` of ``x``
        (:mod:`spurious.landscape._critical_ball`); the check fails when it does not hold.
    """

    grad_norm: float
    hess_min_eig: float
    rip_full: float
    grad_tol: float
    eig_tol: float
    passed: bool
    message: str
    ball: CriticalBall | None = None

    def __str__(self) -> str:
        return summary_lines(
            "Verification",
            [
                ("‖∇f‖", f"{self.grad_norm:.3g} (tolerance {self.grad_tol:.3g})"),
                ("λ_min(∇²f) off symmetry", f"{self.hess_min_eig:.6g} (tolerance {self.eig_tol:.3g})"),
                ("full-rank δ", self.rip_full),
                ("passed", self.passed),
                ("message", self.message or ...),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("grad_norm", "hess_min_eig", "rip_full", "passed"))

    def to_dict(self) -> dict[str, object]:
        return jsonable(
            {
                k: getattr(self, k)
                for k in ("grad_norm", "hess_min_eig", "rip_full", "grad_tol", "eig_tol", "passed", "message")
            }
        )


@dataclass(frozen=True, eq=False)
class Counterexample:
    """An instance in which ``x`` is a spurious critical / second-order point.

    Attributes
    ----------
    instance : Instance
        Operator ``A`` (``m`` matrices), ``z``, ``x``; ``metadata`` records ``order``,
        ``margin``, ``eta``, ``delta``, ``factorization`` and ``kernel_source``
        (``"reduced-lifted"`` or ``"full"``).
    eta, delta : float
        Program optimum, ``δ = (1 − η)/(1 + η)``.
    m : int
        Number of measurements.
    verification : Verification
        The independent re-check from the matrices (gradient, Hessian, full-rank δ).
    status : str
        The program's solver status.
    order : {"second", "first"}
        Whether ``x`` is made a second-order point or only a critical point.
    margin : float
        ``μ``: ``∇²f(x) ⪰ 2μ I`` off the symmetry directions (0 for the papers' program).
    certified : bool
        Property: optimal (or exact) solver status and the re-verification passed.
    """

    instance: Instance
    eta: float
    delta: float
    m: int
    verification: Verification
    status: str
    order: str
    margin: float

    @property
    def certified(self) -> bool:
        """Optimal solver status and the re-verification passed."""
        return self.status in ("optimal", "exact") and self.verification.passed

    def to_dict(self) -> dict[str, object]:
        v = self.verification
        return {
            "eta": self.eta,
            "delta": self.delta,
            "m": self.m,
            "grad_norm": v.grad_norm,
            "hess_min_eig": v.hess_min_eig,
            "rip_full": v.rip_full,
            "certified": self.certified,
            "status": self.status,
            "order": self.order,
            "margin": self.margin,
            "factorization": self.instance.metadata.get("factorization"),
            "kernel_source": self.instance.metadata.get("kernel_source"),
        }

    def __str__(self) -> str:
        v = self.verification
        return summary_lines(
            f"Counterexample ({self.order} order)",
            [
                ("δ", self.delta),
                ("η", self.eta),
                ("margin μ", self.margin if self.margin else ...),
                ("m (measurements)", self.m),
                ("‖∇f‖", v.grad_norm),
                ("λ_min(∇²f) off symmetry", v.hess_min_eig),
                ("full-rank δ (re-verified)", v.rip_full),
                ("status", self.status),
                ("certified", self.certified),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("delta", "eta", "m", "order", "certified"))


def verify_instance(inst: Instance, x: np.ndarray, *, delta: float, order: str, margin: float = 0.0) -> Verification:
    """Re-verify a counterexample from its matrices: gradient, Hessian off the symmetry, full-rank δ.

    Passes when ``‖∇f‖ ≤ tol·s·max(‖x‖, 1)``, ``|rip_full − δ| ≤ tol`` and, for
    ``order="second"``, ``λ_min ≥ 2μ − tol·s`` (``s = ‖∇²f(x)‖₂``, ``tol`` = :data:`VERIFY_TOL`).

    Parameters
    ----------
    inst : Instance
        The instance to check (its operator's matrices, ground truth and ``b``).
    x : (n, r) array
        The point claimed spurious.
    delta : float
        The claimed full-rank RIP constant.
    order : {"second", "first"}
        Check the second-order condition too, or the gradient only.
    margin : float
        ``μ`` of the claim ``∇²f(x) ⪰ 2μ I`` off the symmetry directions.

    Returns
    -------
    Verification
        The recomputed numbers, ``passed`` and a message naming each failed check.

    Notes
    -----
    Conditions (5) and (6) of zhang2018, evaluated from ``f`` directly rather than through
    ``L(H)`` and ``M(H)`` of eq. (7)–(8).
    """
    problem = inst.problem(r=x.shape[1])
    g = problem.gradient(x)
    Hs = problem.hessian(x)
    n, r = x.shape
    V = orthogonal_complement(rotation_directions(x), n * r)
    Hv = V.T @ Hs @ V
    hmin = float(np.linalg.eigvalsh(0.5 * (Hv + Hv.T))[0]) if Hv.size else float("inf")
    scale = max(float(np.linalg.norm(Hs, 2)), 1e-300)
    grad_norm = float(np.linalg.norm(g))
    rip = full_rank_delta(inst.operator.kernel())
    grad_tol = VERIFY_TOL * scale * max(float(np.linalg.norm(x)), 1.0)
    eig_tol = VERIFY_TOL * scale
    msgs = []
    if grad_norm > grad_tol:
        msgs.append(f"‖∇f(x)‖ = {grad_norm:.3g} > {grad_tol:.3g}")
    if order == "second" and hmin < 2.0 * margin - eig_tol:
        msgs.append(f"λ_min(∇²f) = {hmin:.3g} < 2μ − tol = {2.0 * margin - eig_tol:.3g}")
    if abs(rip - delta) > VERIFY_TOL:
        msgs.append(f"full-rank δ of the instance {rip:.9g} ≠ program δ {delta:.9g}")
    ball = None
    if order == "second" and margin > 0:  # "strict local minimum" needs a proof, not a small gradient
        ball = critical_ball(problem, x, grad_norm + VERIFY_TOL * grad_tol, hmin - VERIFY_TOL * eig_tol)
        if not ball.holds:
            msgs.append(f"no Newton–Kantorovich ball proves a local minimum at x: {ball.reason}")
    return Verification(grad_norm, hmin, rip, grad_tol, eig_tol, not msgs, "; ".join(msgs), ball)


def counterexample(
    x: object,
    z: object,
    *,
    order: str = "second",
    margin: float = 0.0,
    solver: str = "clarabel",
    factorization: str = "eigh",
    reduce: bool = True,
    max_bytes: float = DEFAULT_MAX_BYTES,
) -> Counterexample:
    """Build an RIP instance in which ``x`` is a spurious point, with the smallest full-rank δ.

    Parameters
    ----------
    x : (n, r) array, or (n,) for rank 1
        The point to make spurious.
    z : (n, r') array, or (n,)
        Ground truth factor.
    order : {"second", "first"}
        Second-order point (LMI (10) of zhang2018) or critical point (zhang2020 eq. (11)).
    margin : float
        ``μ ≥ 0``: ``∇²f(x) ⪰ 2μ I`` off the symmetry directions (strict local minimum).
    solver : {"clarabel", "scs", "mosek"}
    factorization : {"eigh", "cholesky", "sqrt"}
        How ``H`` is factored into rows of ``A`` (:func:`spurious.operators.from_kernel`).
    reduce : bool
        Reduced path (solve in ``span[x z]``, lift) or the full-dimensional program.
    max_bytes : float
        Largest dense ``(m, n, n)`` array of matrices to build (``m = N = n(n+1)/2``).

    Returns
    -------
    Counterexample

    Raises
    ------
    NoInstanceError
        No instance with ``δ < 1`` exists (``xxᵀ = zzᵀ``, ``x`` colinear with ``z``, a
        second-order point at a rank-deficient ``x`` such as ``x = 0``, an unattainable margin).
    TooLargeError
        The dense matrices would exceed ``max_bytes`` (e.g. 6.4 GB at ``n = 200``).
    VerificationError
        The instance does not re-verify (never returned).
    SolverError, InputError

    Notes
    -----
    zhang2018 §2, eq. (9)–(10); the lift of the reduced kernel is described in
    :mod:`spurious.landscape._thresholds`.

    Examples
    --------
    Example 3 of zhang2018 comes back: δ = 1/2 with three measurements.

    >>> ce = sp.counterexample([0.0, 2**-0.5], [1.0, 0.0])
    >>> round(ce.delta, 6), ce.m, ce.certified
    (0.5, 3, True)

    With a margin the point is a strict spurious local minimum (``∇²f(x) ⪰ 2μ I``):

    >>> ce = sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=0.01)
    >>> round(ce.delta, 4), bool(ce.verification.hess_min_eig >= 0.02 - 1e-6)
    (0.9652, True)
    >>> sp.certify(ce.instance.problem(), ce.instance.x).local_min
    True
    """
    x, z = as_pair(x, z)
    if pow2_normalizer(x, z) != 1.0:
        m = max(float(np.abs(x).max()), float(np.abs(z).max()))
        raise InputError(
            f"x, z: largest entry {m:.3g}: the instance's f = ‖A(xxᵀ − zzᵀ)‖² would overflow or "
            "underflow float64; rescale x and z (δ is scale-free)"
        )
    check_float(max_bytes, "max_bytes", 0.0, open_low=True)
    n = x.shape[0]
    N = svec_dim(n)
    if factorization not in FACTORIZATIONS:
        raise InputError(f"factorization = {factorization!r}: expected one of {', '.join(FACTORIZATIONS)}")
    check_bytes(8.0 * N * n * n, f"the instance: {N} dense {n}×{n} matrices", max_bytes)
    check_bytes(8.0 * N * N * 4, f"the {N}×{N} kernel H and its factorization", max_bytes)
    res = threshold_program(x, z, order=order, margin=margin, solver=solver, reduce=reduce, return_kernel=True)
    if res.eta <= ETA_TOL:
        why = res.message if res.status == "exact" else f"the program's optimum is η = {res.eta:.3g}"
        raise NoInstanceError(f"no RIP instance with δ < 1 makes x a spurious {_word(order)}: {why}")
    if res.H is None:  # x = 0, first order: every operator works; take the identity
        H = np.eye(N)
    else:
        H = res.H
    op = from_kernel(H, method=factorization)
    meta = {
        "generator": "spurious.landscape._counterexample",
        "order": order,
        "margin": float(margin),
        "eta": float(res.eta),
        "delta": float(res.delta),
        "factorization": factorization,
        "kernel_source": "reduced-lifted" if res.reduced else "full",
        "solver": res.solver,
        "solver_status": res.status,
    }
    inst = Instance(op, z, x, None, "plain", meta)
    ver = verify_instance(inst, x, delta=res.delta, order=order, margin=margin)
    if not ver.passed:
        raise VerificationError(f"counterexample does not re-verify: {ver.message}")
    return Counterexample(
        instance=inst,
        eta=res.eta,
        delta=res.delta,
        m=op.m,
        verification=ver,
        status=res.status,
        order=order,
        margin=float(margin),
    )


def _word(order: str) -> str:
    return "second-order point" if order == "second" else "critical point"
