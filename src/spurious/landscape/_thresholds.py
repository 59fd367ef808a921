"""RIP thresholds of a candidate point as convex programs: LMI (10) of zhang2018 and its
first-order variant, zhang2020 eq. (11).

Given a candidate point ``x`` (``n × r``) and a ground truth ``z`` (``n × r'``), with
``e = svec(x xᵀ − z zᵀ)`` and ``Xmat`` the Jacobian of ``u ↦ svec(x uᵀ + u xᵀ)``
(:func:`spurious.linalg.sym_jacobian`), the programs over the kernel ``H = AᵀA`` (svec
coordinates) are

* second order (zhang2018 eq. (10))::

      η_soc = max η  s.t.  ηI ⪯ H ⪯ I,  L(H) = Xmatᵀ H e = 0,  M(H) ⪰ μ I  (off xW, W skew)

* first order (zhang2020 eq. (11)): the same without the ``M(H)`` constraint,

with ``M(H) = 2 (I_r ⊗ smat(He)) + Xmatᵀ H Xmat`` (half the Hessian, DESIGN) and
``δ = (1 − η)/(1 + η)``: the smallest full-rank RIP constant of an instance in which ``x`` is
a spurious critical point (``δ_foc``) or second-order point (``δ_soc``). ``H ⪰ 0`` of (10) is
implied by ``H ⪰ ηI`` at the optimum: ``(H, η) = (0, 0)`` is feasible, so ``η* ≥ 0``; with a
margin ``μ > 0`` (where ``H = 0`` is not feasible) ``η ≥ 0`` is imposed explicitly.

Facial reduction
----------------
For ``x`` of full column rank and ``r ≥ 2``, ``Xmat`` has the kernel ``{xW : W skew}``: those
components of ``L(H)`` vanish identically, and, since ``L(H) = 0`` means
``smat(He) x = 0``, ``M(H)`` vanishes on those directions and on their cross terms for every
feasible ``H``. The LMI then has no strictly feasible point and interior-point solvers fail.
We (i) impose ``L(H) = 0`` as ``U_Jᵀ H e = 0`` with ``U_J`` an orthonormal basis of
``range(Xmat)`` (equivalent for any ``x``: ``Xmatᵀ w = 0`` iff ``U_Jᵀ w = 0``), and (ii) impose
``M(H) ⪰ μI`` on the orthogonal complement of :func:`spurious.linalg.rotation_directions`
only. For rank-deficient ``x`` (``x w = 0``, ``w ≠ 0``) ``ker Xmat`` also holds the directions
``u = v wᵀ``, which are *not* flat: their curvature is ``2‖w‖² vᵀ smat(He) v``, so they must
stay in the PSD constraint (removing them returns a wrong ``δ_soc``). In fact they force
``smat(He) ⪰ 0``, which with ``smat(He) x = 0`` gives
``η‖e‖² ≤ eᵀHe = ⟨smat(He), xxᵀ − zzᵀ⟩ = −⟨smat(He), zzᵀ⟩ ≤ 0``: ``δ_soc = 1`` for every
rank-deficient ``x`` (e.g. ``x = [e₁, 0]``, ``z = [e₁, e₂/2]``, where ``δ_foc = 0``), which is
returned without a solve (status ``"exact"``).

Reduced path (the default)
--------------------------
With ``Q`` (``n × k``, ``k ≤ r + r'``) an orthonormal basis of ``span[x z]`` (SVD with a rank
tolerance), ``x = Q x̂`` and ``z = Q ẑ``, the program is solved in ``k`` dimensions. A
reduced kernel ``Ĥ`` is lifted to ``S^n = S_QQ ⊕ S_QP ⊕ S_PP`` (``P ⟂ Q``) as ``Ĥ`` on the
``S_QQ = {Q A Qᵀ}`` block and the identity on the other two, i.e. ``H = T(Ĥ − I)Tᵀ + I`` with
``T`` the isometry ``svec(A) ↦ svec(Q A Qᵀ)``. Then

* the eigenvalues of ``H`` are those of ``Ĥ`` together with 1, so ``ηI ⪯ H ⪯ I`` is kept;
* ``E = Q Ê Qᵀ``, so ``He = T Ĥ ê`` and ``smat(He) = Q smat(Ĥê) Qᵀ``: ``L(H) = 0`` is kept;
* for ``u = Q û + P v`` the quadratic form of ``M(H)`` is the reduced one at ``û`` plus
  ``2‖x̂ vᵀ‖_F² ≥ 2σ_r(x)²‖v‖_F²``: ``M(H) ⪰ 0`` is kept, and a margin ``μ`` is kept when
  ``μ ≤ 2σ_r(x)²``.

Conversely, the compression ``TᵀHT`` of any feasible full ``H`` is feasible for the reduced
program with the same ``η`` and margin, so both optima are equal. For ``k < n`` and
``μ > 2σ_r(x)²`` the lift cannot keep the margin: the reduced path then raises
:class:`~spurious.InputError` and ``reduce=False`` solves the full program.

Margin (beyond the papers)
--------------------------
LMI optima are usually singular (``M(H*)`` has zero eigenvalues), so the certified point can
be a degenerate saddle (zhang2018 Example 3). ``margin = μ > 0`` asks for ``M(H) ⪰ μI`` off
the symmetry directions, in the normalization ``λ_max(H) ≤ 1``: an instance ``A`` with
``AᵀA = H`` then has ``∇²f(x) ⪰ 2μ I`` off the symmetry directions and ``‖A(X)‖² ≤ ‖X‖²``,
so ``x`` is a strict local minimum. ``μ`` has the units of ``‖x‖²`` (``M`` is quadratic in the
scale of ``x, z``); ``δ`` grows with ``μ`` (:func:`margin_curve`).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError, NoInstanceError, SolverError
from spurious.core._linalg import (
    error_vector,
    hessian_form,
    orthogonal_complement,
    rotation_directions,
    smat,
    svec,
    svec_dim,
    sym_jacobian,
)
from spurious.core._summary import short_repr, summary_lines
from spurious.core._validation import as_pair, check_bytes, check_float, pow2_normalizer

log = logging.getLogger(__name__)

__all__ = [
    "ORDERS",
    "SOLVERS",
    "FixedEtaCurvature",
    "ThresholdResult",
    "Thresholds",
    "delta_foc_program",
    "delta_from_eta",
    "delta_soc",
    "eta_from_delta",
    "fixed_eta_curvature",
    "lift_kernel",
    "margin_curve",
    "reduce_pair",
    "threshold_program",
    "thresholds",
]

#: Orders of :func:`threshold_program`: critical point (zhang2020 eq. (11)) or second-order point (LMI (10)).
ORDERS = ("first", "second")
#: Solvers accepted by :func:`threshold_program` (MOSEK only when installed and licensed).
SOLVERS = ("clarabel", "scs", "mosek")
#: Relative tolerance of the independent re-check of a solution.
CHECK_TOL = 1e-6
#: Relative rank tolerance for ``span[x z]``, ``range(Xmat)`` and the rank of ``x``.
RANK_RTOL = 1e-10
#: Relative size of ``‖xxᵀ − zzᵀ‖_F`` below which ``xxᵀ = zzᵀ``.
GLOBAL_RTOL = 1e-12
#: ``δ_foc`` above ``1 − DEGENERATE_TOL`` counts as 1 (so ``δ_soc = 1`` without a solve).
DEGENERATE_TOL = 1e-10
#: Largest lifted kernel ``H`` (``N × N``, bytes) returned by ``return_kernel=True``.
MAX_KERNEL_BYTES = 2e9
#: Largest full-dimensional program (``N × N`` kernel variable) ``reduce=False`` sets up.
MAX_FULL_N = 16

_OK = ("optimal", "exact")


@dataclass(frozen=True, eq=False)
class ThresholdResult:
    """Optimum of LMI (10) (``order="second"``) or zhang2020 eq. (11) (``order="first"``).

    Attributes
    ----------
    eta : float
        Optimal ``η`` (``1/η`` is the best condition number of ``H``).
    delta : float
        ``(1 − η)/(1 + η)``.
    order : {"first", "second"}
    margin : float
        ``μ`` of ``M(H) ⪰ μI`` (0 for the papers' program).
    status : str
        Solver status (``"optimal"``, ``"optimal_inaccurate"``, ...) or ``"exact"`` when the
        answer is known analytically (degenerate input, see the module notes).
    solver : str
        The solver used (``"none"`` when no solve was needed).
    reduced : bool
        True when solved in ``span[x z]`` (``k`` dimensions) and lifted.
    H : (N, N) array or None
        The kernel in ``n``-dimensional svec coordinates when ``return_kernel=True`` and a
        program was solved; otherwise None.
    checked : bool
        The independent re-check of the constraints passed (eigenvalues of ``H`` in
        ``[η, 1]``, ``Xmatᵀ H e = 0``, ``M(H) ⪰ μI`` from :func:`spurious.linalg.hessian_form`,
        all to :data:`CHECK_TOL` relative).
    message : str
    k : int
        Dimension of ``span[x z]`` (``n`` when not reduced).
    n, r : int
    hess_min : float
        ``λ_min(M(H))`` off the symmetry directions at the solution (NaN for first order or
        exact answers).
    H_reduced : (K, K) array or None
        The solved kernel in the svec coordinates of ``span[x z]`` (``K = k(k+1)/2``; of the
        whole space when not reduced); None for exact answers.
    basis : (n, k) array or None
        The orthonormal basis ``Q`` of ``span[x z]`` the program was solved in (the identity
        when not reduced); None for exact answers.
    """

    eta: float
    delta: float
    order: str
    margin: float
    status: str
    solver: str
    reduced: bool
    H: np.ndarray | None
    checked: bool
    message: str
    k: int
    n: int
    r: int
    hess_min: float = float("nan")
    H_reduced: np.ndarray | None = None
    basis: np.ndarray | None = None

    @property
    def certified(self) -> bool:
        """Optimal (or exact) status and the independent re-check passed."""
        return self.status in _OK and self.checked

    def to_dict(self) -> dict[str, object]:
        return {
            "eta": self.eta,
            "delta": self.delta,
            "order": self.order,
            "margin": self.margin,
            "status": self.status,
            "solver": self.solver,
            "reduced": self.reduced,
            "certified": self.certified,
            "message": self.message,
        }

    def __str__(self) -> str:
        return summary_lines(
            f"ThresholdResult ({self.order} order)",
            [
                ("δ", self.delta),
                ("η", self.eta),
                ("margin μ", self.margin if self.margin else ...),
                ("λ_min(M(H)) off symmetry", self.hess_min if np.isfinite(self.hess_min) else ...),
                ("status", f"{self.status} ({self.solver})"),
                ("certified", self.certified),
                ("dimension", f"k = {self.k} of n = {self.n}" + (" (reduced)" if self.reduced else "")),
                ("message", self.message or ...),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("delta", "eta", "order", "status", "certified"))


@dataclass(frozen=True, eq=False)
class Thresholds:
    """``δ_foc(x)`` and ``δ_soc(x)`` of a point (zhang2020 Definition 3, zhang2018 (10)).

    Attributes
    ----------
    delta_foc, delta_soc : float
    note : str
        Why a value is exactly 0 or 1 (degenerate input), else empty.
    foc_method : str
        ``"closed-form"`` (zhang2020 Thm 4) or ``"program"``.
    soc : ThresholdResult
    """

    delta_foc: float
    delta_soc: float
    note: str
    foc_method: str
    soc: ThresholdResult

    def to_dict(self) -> dict[str, object]:
        return {
            "delta_foc": self.delta_foc,
            "delta_soc": self.delta_soc,
            "note": self.note,
            "foc_method": self.foc_method,
            "soc_status": self.soc.status,
            "certified": self.soc.certified,
        }

    # ----------------------------------------------------------------------------- geometry

    def __str__(self) -> str:
        return summary_lines(
            "Thresholds",
            [
                ("δ_foc", f"{self.delta_foc:.6g} ({self.foc_method})"),
                ("δ_soc", f"{self.delta_soc:.6g} (LMI (10): {self.soc.status}, certified {self.soc.certified})"),
                ("note", self.note or ...),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("delta_foc", "delta_soc"))


def delta_from_eta(eta: float) -> float:
    """``δ = (1 − η)/(1 + η)`` of a kernel with ``ηI ⪯ H ⪯ I`` (``η`` clipped to ``[0, 1]``).

    The scale-free RIP constant of the DESIGN convention with ``α = η``, ``β = 1``; the one home
    of this map (zhang2018 Theorem 8: ``δ* = (1 − η*)/(1 + η*)``).
    """
    from spurious.landscape._rip import delta_from_bounds

    return delta_from_bounds(min(max(float(eta), 0.0), 1.0), 1.0)


def eta_from_delta(delta: float) -> float:
    """``η = (1 − δ)/(1 + δ)``: the inverse of :func:`delta_from_eta` (the map is an involution)."""
    return delta_from_eta(delta)


def reduce_pair(x: np.ndarray, z: np.ndarray, rtol: float = RANK_RTOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthonormal basis ``Q`` (``n × k``) of ``span[x z]`` and the reduced ``x̂ = Qᵀx``, ``ẑ = Qᵀz``.

    Rank-revealing (thin SVD of ``[x z]``, singular values below ``rtol · σ_max`` dropped), so
    ``x = Q x̂`` and ``z = Q ẑ`` up to that tolerance. ``k = 0`` when ``x = z = 0``.
    """
    W = np.hstack([x, z])
    U, s, _ = np.linalg.svd(W, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        Q = np.zeros((x.shape[0], 0))
    else:
        Q = U[:, s > rtol * s[0]]
    return Q, Q.T @ x, Q.T @ z


def _embedding(Q: np.ndarray) -> np.ndarray:
    """``T`` (``N × K``): ``T svec(A) = svec(Q A Qᵀ)``, an isometry ``S^k → S^n``."""
    k = Q.shape[1]
    K = svec_dim(k)
    basis = smat(np.eye(K))  # (K, k, k)
    return svec(Q @ basis @ Q.T).T


def lift_kernel(H_hat: np.ndarray, Q: np.ndarray, max_bytes: float = MAX_KERNEL_BYTES) -> np.ndarray:
    """Lift a reduced kernel to ``n`` dimensions: ``H = T(Ĥ − I)Tᵀ + I`` (module notes).

    Parameters
    ----------
    H_hat : (K, K) array, ``K = k(k+1)/2``
    Q : (n, k) array with orthonormal columns

    Returns
    -------
    (N, N) array, ``N = n(n+1)/2``: ``Ĥ`` on ``{Q A Qᵀ}``, the identity on its complement.
    """
    n = Q.shape[0]
    N = svec_dim(n)
    check_bytes(8.0 * N * N * 2, f"the lifted {N}×{N} kernel H (n = {n})", max_bytes)
    T = _embedding(Q)
    H = T @ (H_hat - np.eye(H_hat.shape[0])) @ T.T
    H[np.diag_indices(N)] += 1.0
    return 0.5 * (H + H.T)


def numerical_rank(x: np.ndarray, rtol: float = RANK_RTOL) -> int:
    """The number of singular values of ``x`` above ``rtol`` times the largest."""
    s = np.linalg.svd(x, compute_uv=False)
    if s.size == 0 or s[0] == 0.0:
        return 0
    return int(np.sum(s > rtol * s[0]))


def is_global(x: np.ndarray, z: np.ndarray) -> bool:
    """``x xᵀ = z zᵀ`` to the relative tolerance of the closed forms (x is a global minimum)."""
    E = x @ x.T - z @ z.T
    scale = max(float(np.linalg.norm(z @ z.T)), float(np.linalg.norm(x @ x.T)), np.finfo(float).tiny)
    return float(np.linalg.norm(E)) <= GLOBAL_RTOL * scale


# ----------------------------------------------------------------------------- the program


@dataclass(frozen=True)
class _Data:
    """Linear data of the program in ``d`` dimensions (``d = k`` reduced, ``n`` full)."""

    x: np.ndarray  # (d, r)
    z: np.ndarray  # (d, r')
    e: np.ndarray  # (K,)
    UJ: np.ndarray  # (K, q): orthonormal basis of range(Xmat)
    V: np.ndarray | None  # (d r, p): complement of the rotation directions (second order)
    G: np.ndarray | None  # (p², K²): vec(Vᵀ M(H) V) = G vec(H)


def program_data(x: np.ndarray, z: np.ndarray, order: str) -> _Data:
    """The constant matrices of LMI (10) (``order="second"``) or eq. (11) at ``(x, z)``."""
    d, r = x.shape
    K = svec_dim(d)
    e = error_vector(x, z)
    J = sym_jacobian(x)  # (K, d r)
    U, s, _ = np.linalg.svd(J, full_matrices=False)
    UJ = U[:, s > RANK_RTOL * s[0]] if s.size and s[0] > 0 else np.zeros((K, 0))
    if order == "first":
        return _Data(x, z, e, UJ, None, None)
    V = orthogonal_complement(rotation_directions(x), d * r)
    p = V.shape[1]
    # Vᵀ M(H) V = 2 Σ_c (He)_c B_c + (JV)ᵀ H (JV),  B_c = Vᵀ (I_r ⊗ smat(ε_c)) V.
    Vb = V.reshape(r, d, p)  # vec(u) = column stacking: block j holds column j of u
    S = smat(np.eye(K))  # (K, d, d)
    B = np.einsum("jap,cab,jbq->cpq", Vb, S, Vb)  # (K, p, p)
    Bmat = B.reshape(K, p * p).T  # column c = vec(B_c) (B_c symmetric: order irrelevant)
    # He = (eᵀ ⊗ I_K) vec(H) with column-major vec(H).
    G1 = np.kron(e[None, :], np.eye(K))  # (K, K²)
    W = J @ V  # (K, p)
    G = 2.0 * Bmat @ G1 + np.kron(W.T, W.T)
    return _Data(x, z, e, UJ, V, G)


def _solver_options(solver: str) -> tuple[str, dict]:
    import cvxpy as cp

    if solver == "clarabel":
        return cp.CLARABEL, {
            "tol_gap_abs": 1e-10,
            "tol_gap_rel": 1e-10,
            "tol_feas": 1e-10,
            "tol_ktratio": 1e-8,
            "max_iter": 500,
        }
    if solver == "scs":
        return cp.SCS, {"eps_abs": 1e-11, "eps_rel": 1e-11, "max_iters": 200_000, "acceleration_lookback": 10}
    if solver == "mosek":
        if "MOSEK" not in cp.installed_solvers():
            raise SolverError("solver 'mosek': MOSEK is not installed (cvxpy.installed_solvers())")
        return cp.MOSEK, {}
    raise InputError(f"solver = {solver!r}: expected one of {', '.join(SOLVERS)}")


def _solve(
    data: _Data, order: str, margin: float, solver: str, fixed_eta: float | None = None
) -> tuple[float, np.ndarray, str]:
    """Solve the program with cvxpy; returns ``(η, H, status)``.

    With ``fixed_eta`` (second order only) ``η`` is that constant and the objective is the
    curvature instead: ``max t`` s.t. ``M(H) ⪰ tI`` off the symmetry directions; the first
    value returned is then the optimal ``t`` (NaN, with the status, when none was found).
    """
    import cvxpy as cp

    K = data.e.shape[0]
    name, opts = _solver_options(solver)
    H = cp.Variable((K, K), symmetric=True)
    eta = cp.Variable() if fixed_eta is None else fixed_eta
    I = np.eye(K)
    cons = [H - eta * I >> 0, I - H >> 0]
    if data.UJ.shape[1]:
        cons.append(data.UJ.T @ (H @ data.e) == 0)
    if order == "second":
        p = data.V.shape[1]
        Mv = cp.reshape(data.G @ cp.vec(H, order="F"), (p, p), order="F")
        t = margin if fixed_eta is None else cp.Variable()
        cons.append(0.5 * (Mv + Mv.T) - t * np.eye(p) >> 0)
        if fixed_eta is None and margin > 0:
            cons.append(eta >= 0)
    prob = cp.Problem(cp.Maximize(eta if fixed_eta is None else t), cons)
    if fixed_eta is not None:
        try:
            prob.solve(solver=name, **opts)
        except cp.error.SolverError as exc:
            raise SolverError(f"{solver}: {' '.join(str(exc).split())}") from None
        if H.value is None or t.value is None:
            return float("nan"), np.full((K, K), np.nan), str(prob.status)
        return float(t.value), 0.5 * (H.value + H.value.T), str(prob.status)
    try:
        with warnings.catch_warnings():  # "solution may be inaccurate": reported in the status instead
            warnings.simplefilter("ignore", UserWarning)
            prob.solve(solver=name, **opts)
    except cp.error.SolverError as exc:
        raise SolverError(f"{solver}: {' '.join(str(exc).split())}") from None
    status = str(prob.status)
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE) and order == "second" and margin > 0:
        raise NoInstanceError(
            f"margin μ = {margin:g}: no kernel 0 ⪯ H ⪯ I with M(H) ⪰ μI off the symmetry directions "
            f"({solver}: {status})"
        )
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or H.value is None or eta.value is None:
        raise SolverError(f"{solver}: status {status} (the program is feasible: (H, η) = (0, 0) for μ = 0)")
    Hv = 0.5 * (H.value + H.value.T)
    return float(eta.value), Hv, status


def _recheck(data: _Data, H: np.ndarray, eta: float, order: str, margin: float) -> tuple[bool, float, str]:
    """Independent check of the constraints (formulas of :mod:`spurious.linalg`, not the program's)."""
    lam = np.linalg.eigvalsh(H)
    msgs = []
    if lam[0] < eta - CHECK_TOL or lam[-1] > 1.0 + CHECK_TOL:
        msgs.append(f"spectrum of H [{lam[0]:.3g}, {lam[-1]:.3g}] outside [η, 1] = [{eta:.3g}, 1]")
    scale = max(float(np.linalg.norm(data.e)), 1e-300)
    J = sym_jacobian(data.x)
    gres = float(np.linalg.norm(J.T @ (H @ data.e)))
    if gres > CHECK_TOL * scale * max(1.0, float(np.linalg.norm(data.x))):
        msgs.append(f"‖Xmatᵀ H e‖ = {gres:.3g}")
    hmin = float("nan")
    if order == "second":
        M = hessian_form(H, data.x, data.z)
        Mv = data.V.T @ M @ data.V
        hmin = float(np.linalg.eigvalsh(0.5 * (Mv + Mv.T))[0]) if Mv.size else float("inf")
        mscale = max(float(np.linalg.norm(M, 2)), float(np.linalg.norm(data.x) ** 2), 1e-300)
        if hmin < margin - CHECK_TOL * mscale:
            msgs.append(f"λ_min(M(H)) = {hmin:.3g} below the margin {margin:g}")
    return not msgs, hmin, "; ".join(msgs)


def _exact(eta: float, order: str, margin: float, reduced: bool, message: str, n: int, r: int) -> ThresholdResult:
    return ThresholdResult(
        eta=eta,
        delta=delta_from_eta(eta),
        order=order,
        margin=margin,
        status="exact",
        solver="none",
        reduced=reduced,
        H=None,
        checked=True,
        message=message,
        k=0,
        n=n,
        r=r,
    )


def threshold_program(
    x: object,
    z: object,
    *,
    order: str = "second",
    margin: float = 0.0,
    solver: str = "clarabel",
    reduce: bool = True,
    return_kernel: bool = False,
) -> ThresholdResult:
    """Solve LMI (10) of zhang2018 (``order="second"``) or zhang2020 eq. (11) (``"first"``).

    Parameters
    ----------
    x : (n, r) array, or (n,) for rank 1
        Candidate point.
    z : (n, r') array, or (n,)
        Ground truth factor.
    order : {"second", "first"}
    margin : float, ≥ 0
        ``μ`` in ``M(H) ⪰ μI`` off the symmetry directions, with ``H ⪯ I`` (module notes).
    solver : {"clarabel", "scs", "mosek"}
    reduce : bool
        Solve in ``span[x z]`` and lift (default; exact, see the module notes), or solve the
        generic full-dimensional program (``n ≤`` :data:`MAX_FULL_N`).
    return_kernel : bool
        Return the kernel ``H`` in ``n``-dimensional svec coordinates (lifted if reduced).

    Returns
    -------
    ThresholdResult

    Raises
    ------
    InputError
        Bad input; a margin above ``2σ_r(x)²`` on the reduced path with ``k < n``.
    NoInstanceError
        ``margin > 0`` that no kernel attains (rank-deficient ``x``, ``δ_foc = 1``, or an
        infeasible program).
    SolverError
        The solver failed or reported a status other than optimal / optimal_inaccurate.

    Notes
    -----
    zhang2018 eq. (10) (Theorem 8), zhang2020 eq. (11)–(12). Degenerate input is answered
    exactly (status ``"exact"``): ``xxᵀ = zzᵀ`` gives ``δ = 1`` (the papers' definition);
    ``x = 0`` gives ``δ_foc = 0`` (``H = I``: ``∇f(0) = 0`` for every operator); second order
    with ``x`` rank-deficient or ``δ_foc = 1`` (zhang2020 Thm 4, e.g. ``x`` colinear with
    ``z``) gives ``δ_soc = 1`` (``δ_soc ≥ δ_foc``; module notes for rank-deficient ``x``).
    """
    x, z = as_pair(x, z)
    n, r = x.shape
    c = pow2_normalizer(x, z)  # exact: entries of any size (1e308) give the δ of ordinary ones
    x, z = x * c, z * c
    if order not in ORDERS:
        raise InputError(f"order = {order!r}: expected 'first' or 'second'")
    if solver not in SOLVERS:
        raise InputError(f"solver = {solver!r}: expected one of {', '.join(SOLVERS)}")
    margin = check_float(margin, "margin", 0.0)
    if order == "first" and margin > 0:
        raise InputError("margin: only meaningful for order='second'")

    # Normalize the scale (η and H are scale-free; μ scales like ‖x‖²) and reduce to span[x z]:
    # every degeneracy test below runs in k ≤ r + r' dimensions (rotation invariance). The
    # power of two c (above) is exact, so s / c is the spectral norm of the user's [x z].
    s = float(np.linalg.norm(np.hstack([x, z]), 2))
    s_user = s / c if s > 0 else 1.0
    mu = margin / s_user**2
    if margin > 0 and not 0.0 < mu < np.inf:
        raise InputError(f"margin = {margin}: not representable at the scale of x and z (‖[x z]‖₂ = {s_user:.3g})")
    xs, zs = (x / s, z / s) if s > 0 else (x, z)
    Q, xh, zh = reduce_pair(xs, zs)
    k = Q.shape[1]
    if is_global(xh, zh):
        if margin > 0:
            raise NoInstanceError("x xᵀ = z zᵀ: x is a global minimum, not a spurious point")
        return _exact(0.0, order, margin, reduce, "x xᵀ = z zᵀ: δ = 1 by definition (no spurious point)", n, r)
    rank_x = numerical_rank(xh)
    if order == "first" and rank_x == 0:
        return _exact(1.0, order, margin, reduce, "x = 0 is a critical point of every instance: δ_foc = 0", n, r)
    if order == "second":
        from spurious.landscape._closed_forms import delta_foc_closed

        why = ""
        if rank_x < r:
            why = (
                f"x has rank {rank_x} < r = {r}: directions v wᵀ (x w = 0) force smat(He) ⪰ 0, "
                "so η‖e‖² ≤ −⟨smat(He), zzᵀ⟩ ≤ 0: δ_soc = 1"
            )
        elif delta_foc_closed(xh, zh) >= 1.0 - DEGENERATE_TOL:
            why = "δ_foc = 1 (zhang2020 Thm 4; e.g. x colinear with z), so δ_soc = 1"
        if why:
            if margin > 0:
                raise NoInstanceError(f"margin μ = {margin:g} unattainable: {why}")
            return _exact(0.0, order, margin, reduce, why, n, r)

    if reduce:
        if order == "second" and margin > 0 and k < n:
            sig = float(np.linalg.svd(x, compute_uv=False)[-1]) / c  # σ_r of the user's x
            if margin > 2.0 * sig**2 * (1 + 1e-12):
                raise InputError(
                    f"margin μ = {margin:g} > 2σ_r(x)² = {2 * sig**2:.6g}: the reduced path cannot keep it on "
                    "directions orthogonal to span[x z]; use reduce=False (full program)"
                )
    else:
        if n > MAX_FULL_N:
            raise InputError(f"reduce=False: the full program at n = {n} is too large (n ≤ {MAX_FULL_N})")
        Q, xh, zh, k = np.eye(n), xs, zs, n
    data = program_data(xh, zh, order)
    eta, Hh, status = _solve(data, order, mu, solver)
    checked, hmin, why = _recheck(data, Hh, eta, order, mu)
    if not checked:
        log.warning("threshold_program: re-check failed (%s)", why)
    H = None
    if return_kernel:
        H = lift_kernel(Hh, Q) if reduce else Hh
    msg = why if why else ("reduced to span[x z]" if reduce else "full-dimensional program")
    return ThresholdResult(
        eta=float(min(max(eta, 0.0), 1.0)),
        delta=delta_from_eta(eta),
        order=order,
        margin=margin,
        status=status,
        solver=solver,
        reduced=bool(reduce),
        H=H,
        checked=checked,
        message=msg,
        k=k,
        n=n,
        r=r,
        hess_min=hmin * s_user**2,
        H_reduced=Hh,
        basis=Q,
    )


@dataclass(frozen=True)
class FixedEtaCurvature:
    """Best curvature of LMI (10) with ``η`` fixed (:func:`fixed_eta_curvature`).

    Attributes
    ----------
    eta : float
        The fixed ``η`` (``δ = (1 − η)/(1 + η)``).
    t : float
        ``max t`` s.t. ``M(H) ⪰ tI`` off the symmetry directions, in the normalized scale
        ``‖[x z]‖₂ = 1`` (NaN when the solver returned no point).
    t_check : float
        ``λ_min(VᵀM(H)V)`` recomputed with :func:`spurious.linalg.hessian_form` at the solver's ``H``.
    status : str
        cvxpy status.
    """

    eta: float
    t: float
    t_check: float
    status: str

    @property
    def delta(self) -> float:
        """``(1 − η)/(1 + η)``."""
        return delta_from_eta(self.eta)

    def to_dict(self) -> dict[str, object]:
        return {"eta": self.eta, "delta": self.delta, "t": self.t, "t_check": self.t_check, "status": self.status}

    def __str__(self) -> str:
        return summary_lines(
            "FixedEtaCurvature",
            [
                ("η (fixed)", self.eta),
                ("δ", self.delta),
                ("max λ_min(M(H))", self.t),
                ("recomputed", self.t_check),
                ("status", self.status),
            ],
        )

    def __repr__(self) -> str:
        return f"FixedEtaCurvature(eta={self.eta:.6g}, t={self.t:.6g}, status={self.status!r})"


def fixed_eta_curvature(x: object, z: object, eta: float, *, solver: str = "clarabel") -> FixedEtaCurvature:
    """LMI (10) with ``η`` fixed: ``max t`` s.t. ``ηI ⪯ H ⪯ I``, ``L(H) = 0``, ``M(H) ⪰ tI``.

    Parameters
    ----------
    x : (n, r) array, or (n,) for rank 1
        Candidate point.
    z : (n, r') array, or (n,)
        Ground truth factor.
    eta : float in [0, 1]
        The fixed lower eigenvalue bound of ``H`` (``δ = (1 − η)/(1 + η)``).
    solver : {"clarabel", "scs", "mosek"}

    Returns
    -------
    FixedEtaCurvature
        ``t < 0`` means that no kernel of condition number ``1/η`` makes ``x`` a second-order
        point: ``δ_soc(x) > (1 − η)/(1 + η)``.

    Raises
    ------
    InputError
        Bad input.
    SolverError
        The solver failed.

    Notes
    -----
    zhang2018 eq. (10) with the objective moved from ``η`` to the curvature; the same reduced
    data as :func:`threshold_program` (``M(H)`` off the rotation directions, scale normalized
    so that ``‖[x z]‖₂ = 1``, solved in ``span[x z]``).
    """
    x, z = as_pair(x, z)
    eta = check_float(eta, "eta", 0.0, 1.0)
    if solver not in SOLVERS:
        raise InputError(f"solver = {solver!r}: expected one of {', '.join(SOLVERS)}")
    s = float(np.linalg.norm(np.hstack([x, z]), 2))
    if s == 0:
        raise InputError("x = z = 0: no program to solve")
    _, xh, zh = reduce_pair(x / s, z / s)
    data = program_data(xh, zh, "second")
    t, H, status = _solve(data, "second", 0.0, solver, fixed_eta=eta)
    if not np.isfinite(t):
        return FixedEtaCurvature(eta, t, float("nan"), status)
    M = data.V.T @ hessian_form(H, data.x, data.z) @ data.V
    return FixedEtaCurvature(eta, t, float(np.linalg.eigvalsh(0.5 * (M + M.T))[0]), status)


def delta_soc(x: object, z: object, **kw) -> float:
    """``δ_soc(x)``: optimum of LMI (10) of zhang2018 (see :func:`threshold_program`)."""
    return threshold_program(x, z, order="second", **kw).delta


def delta_foc_program(x: object, z: object, **kw) -> float:
    """``δ_foc(x)`` from the convex program zhang2020 eq. (11) (cf. the closed form, Thm 4)."""
    return threshold_program(x, z, order="first", **kw).delta


def thresholds(x: object, z: object, *, solver: str = "clarabel") -> Thresholds:
    """Both thresholds of a point: ``δ_foc`` (zhang2020 Thm 4, closed form) and ``δ_soc`` (LMI (10)).

    Degenerate input: ``xxᵀ = zzᵀ`` gives ``δ_foc = δ_soc = 1`` with a note (the papers'
    definition); ``x`` colinear with ``z`` gives 1 and 1; ``x = 0`` gives ``δ_foc = 0``
    (a saddle for every operator) and ``δ_soc = 1``.

    Parameters
    ----------
    x : (n, r) array, or (n,) for rank 1
        Candidate point.
    z : (n, r') array, or (n,)
        Ground truth factor, ``M* = z zᵀ``.
    solver : {"clarabel", "scs", "mosek"}
        Conic solver of the second-order program (cvxpy).

    Returns
    -------
    Thresholds
        ``delta_foc``: the smallest RIP constant of an instance in which ``x`` is a spurious
        critical point; ``delta_soc``: the same for a spurious second-order point (so no
        instance with ``δ < delta_soc`` has ``x`` as a spurious second-order point), with
        the program's :class:`ThresholdResult` as ``soc``.

    Raises
    ------
    InputError
        Bad shapes, NaN/inf, ``r > n``.
    SolverError
        The second-order program was not solved to an optimal status.

    Notes
    -----
    ``δ_foc``: zhang2020 Theorem 4 (eq. (6)), evaluated in ``span[x z]``; ``δ_soc``: zhang2018
    LMI (10) through :func:`threshold_program`, ``δ = (1 − η*)/(1 + η*)``.

    Examples
    --------
    Example 3 of zhang2018: ``δ_foc = 1/√5`` and ``δ_soc = 1/2``.

    >>> ex = sp.get_example("zhang2018-example3")
    >>> th = sp.thresholds(ex.instance.x, ex.instance.z)
    >>> round(th.delta_foc, 6), round(th.delta_soc, 6), th.soc.certified
    (0.447214, 0.5, True)
    """
    from spurious.landscape._closed_forms import delta_foc_closed

    x, z = as_pair(x, z)
    c = pow2_normalizer(x, z)  # δ is scale-free; an exact power-of-two rescaling keeps 1e308 in range
    x, z = x * c, z * c
    _, xh, zh = reduce_pair(x, z)  # δ_foc is rotation invariant: evaluate it in span[x z] ...
    pad = max(x.shape[1], z.shape[1]) - xh.shape[0]
    if pad > 0:  # ... embedded in at least max(r, r') dimensions (a factor needs r ≤ n)
        xh, zh = np.vstack([xh, np.zeros((pad, xh.shape[1]))]), np.vstack([zh, np.zeros((pad, zh.shape[1]))])
    foc = float(delta_foc_closed(xh, zh)) if xh.shape[0] else 1.0
    soc = threshold_program(x, z, order="second", solver=solver)
    note = soc.message if soc.status == "exact" else ""
    if numerical_rank(x) == 0 and not is_global(xh, zh):
        note = "x = 0: a critical point of every instance (δ_foc = 0), never second order (δ_soc = 1)"
    return Thresholds(delta_foc=foc, delta_soc=soc.delta, note=note, foc_method="closed-form", soc=soc)


def margin_curve(x: object, z: object, margins: object, **kw) -> np.ndarray:
    """``δ_soc`` with margin ``μ`` for each ``μ`` in ``margins`` (NaN where unattainable)."""
    out = []
    for mu in np.atleast_1d(np.asarray(margins, dtype=np.float64)):
        try:
            out.append(threshold_program(x, z, order="second", margin=float(mu), **kw).delta)
        except NoInstanceError:
            out.append(float("nan"))
    return np.array(out)
