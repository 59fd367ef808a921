"""The overparameterized landscape: ``δ_soc(x, z)`` with its derivative, and its minimization over ``(x, z)``.

Zhang (2021), "Sharp global guarantees for nonconvex low-rank matrix recovery in the
overparameterized regime" (arXiv:2104.10790), abstract: for search rank ``r ≥ r*`` (the rank of
the ground truth), an RIP constant ``δ < 1/(1 + √(r*/r))`` is sufficient for the inexistence of
spurious local minima, and ``δ < 1/(1 + 1/√(r − r* + 1))`` is necessary (counterexamples exist);
for ``r* = 1`` the two meet at ``1/(1 + 1/√r)`` (:func:`overparam_bounds`). The sharp value is
``inf δ_soc(x, z)`` over spurious pairs ``x ∈ ℝ^{n×r}``, ``z ∈ ℝ^{n×r*}`` (``xxᵀ ≠ zzᵀ``), with
``δ_soc`` the optimum of LMI (10) of zhang2018 (:func:`spurious.threshold_program`).

Span reduction: ``n = r + r*`` loses nothing
--------------------------------------------
The program at any ``n`` has the optimum of the program in ``span[x z]`` (``k ≤ r + r*``
dimensions; compression/lift argument in :mod:`spurious.landscape._thresholds`), and a pair with
``k < r + r*`` embeds isometrically in ``ℝ^{r+r*}`` with the same reduced program. So
``inf_n inf δ_soc = inf δ_soc`` at ``n = r + r*``. With a margin ``μ > 0`` a larger ``n`` can
only add constraints (directions orthogonal to ``span[x z]`` need ``μ ≤ 2σ_r(x)²``), so the
infimum at ``n = r + r*`` is a lower bound over all ``n`` and its instances are valid ones.

Derivative (the program's dual)
-------------------------------
:func:`soc_value_and_gradient` solves LMI (10) directly with Clarabel (svec of the kernel
``H`` as the variable; the same data as :func:`spurious.threshold_program`:
``U_Jᵀ H e = 0`` and ``Vᵀ M(H) V ⪰ μI`` off the rotation directions) and returns, with the
optimal ``H``, the multiplier ``y`` of ``L(H) = 0`` and ``S ⪰ 0`` of the curvature LMI, the
envelope derivative

    dη = ⟨V S Vᵀ, dM⟩ − y'ᵀ (dXmatᵀ H e + Xmatᵀ H de),   ``Xmat y' = U_J y``,

``dM = 2(I_r ⊗ smat(H de)) + dXmatᵀ H Xmat + Xmatᵀ H dXmat``, ``dXmat = Xmat(dx)``,
``de = svec(dx xᵀ + x dxᵀ − dz zᵀ − z dzᵀ)``. The moving bases ``U_J`` and ``V`` contribute
nothing: ``M(H)`` vanishes on the rotation directions for every feasible ``H``, and
``S(VᵀM V − μI) = 0`` makes the rotation of ``V`` within itself pair a skew matrix with a
symmetric one. The value of an SDP is only directionally differentiable where the optimal
duals are not unique; the gradient is a (Clarke) subgradient there, which is why
:func:`minimize_delta` uses many starts and always re-solves its answer with
:func:`spurious.threshold_program` (cvxpy): the numbers it reports are that program's.
It is checked against central differences in the tests.

Parameterization: ``z = w/‖w‖_F`` (``tr(zzᵀ) = 1``, the unit of the margin ``μ``), ``x`` free.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError, NoInstanceError, SolverError
from spurious.core._linalg import smat, svec, sym_jacobian
from spurious.core._validation import as_factor, check_float, check_int
from spurious.landscape._thresholds import (
    ThresholdResult,
    delta_from_eta,
    is_global,
    numerical_rank,
    program_data,
    threshold_program,
)

__all__ = [
    "MinDeltaResult",
    "SocGradient",
    "certified_program",
    "minimize_delta",
    "overparam_bounds",
    "overparam_orthogonal_pair",
    "soc_value_and_gradient",
]


def overparam_bounds(r_star: int, r: int) -> tuple[float, float]:
    """RIP bounds of Zhang (2021) for search rank ``r ≥ r*``.

    Parameters
    ----------
    r_star : int
        Rank of the ground truth, ``r* ≥ 1``.
    r : int
        Search rank, ``r ≥ r*``.

    Returns
    -------
    sufficient : float
        ``1/(1 + √(r*/r))``: every instance with ``δ`` below it has no spurious local minimum.
    counterexample : float
        ``1/(1 + 1/√(r − r* + 1))``: counterexamples (spurious local minima) exist at this ``δ``.

    Notes
    -----
    Zhang, arXiv:2104.10790 (2021), as worded in its abstract (the paper itself was not
    available to us). For ``r* = 1`` both are ``1/(1 + 1/√r)``; for ``r = r*`` both are 1/2
    (zhang2018).
    """
    r_star = check_int(r_star, "r_star", low=1)
    r = check_int(r, "r", low=1)
    if r < r_star:
        raise InputError(f"r = {r} < r_star = {r_star}: the bounds are for the overparameterized regime r ≥ r*")
    return 1.0 / (1.0 + np.sqrt(r_star / r)), 1.0 / (1.0 + 1.0 / np.sqrt(r - r_star + 1))


def overparam_orthogonal_pair(r_star: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """The pair that our search converges to: ``x ⟂ z``, both with equal singular values.

    ``z = [e₁ … e_{r*}]/√r*`` (``tr(zzᵀ) = 1``) and ``x = σ [e_{r*+1} … e_{r*+r}]`` with
    ``σ² = σ_z²/(1 + √(r/r*))``, ``σ_z² = 1/r*``, in ``n = r + r*`` dimensions.

    Returns
    -------
    x : (n, r) array
    z : (n, r*) array

    Notes
    -----
    Observed, not proved: LMI (10) at this pair gives ``δ_soc = 1/(1 + √(r*/r))``, the sufficient
    bound of Zhang (2021, arXiv:2104.10790), to solver precision (tests and ``spurious reproduce
    overparam``). For ``r = r* = 1`` it is zhang2018's construction (``x ⟂ z``, ``‖x‖² = ‖z‖²/2``).
    """
    r_star = check_int(r_star, "r_star", low=1)
    r = check_int(r, "r", low=1)
    n = r + r_star
    sz2 = 1.0 / r_star
    sx2 = sz2 / (1.0 + np.sqrt(r / r_star))
    eye = np.eye(n)
    return np.sqrt(sx2) * eye[:, r_star:], np.sqrt(sz2) * eye[:, :r_star]


# ----------------------------------------------------------------------------- Clarabel's triangle


def _tri(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clarabel's PSD-triangle order (upper triangle, column-major) and its weights (√2 off the diagonal).

    The svec of :mod:`spurious.core._linalg` (same isometric weights) in the order Clarabel's
    PSD cone expects; only the order differs.
    """
    rows, cols = np.triu_indices(k)
    order = np.lexsort((rows, cols))
    rows, cols = rows[order], cols[order]
    w = np.where(rows == cols, 1.0, np.sqrt(2.0))
    return rows, cols, w


def _tvec(M: np.ndarray) -> np.ndarray:
    rows, cols, w = _tri(M.shape[0])
    return w * M[rows, cols]


def _tmat(v: np.ndarray, k: int) -> np.ndarray:
    rows, cols, w = _tri(k)
    M = np.zeros((k, k))
    M[rows, cols] = v / w
    M[cols, rows] = v / w
    return M


def _tbasis(k: int) -> np.ndarray:
    """``(T, k, k)``: the orthonormal basis ``B_t`` of ``S^k`` with ``_tvec(B_t) = e_t``."""
    rows, cols, w = _tri(k)
    B = np.zeros((rows.size, k, k))
    t = np.arange(rows.size)
    B[t, rows, cols] = 1.0 / w
    B[t, cols, rows] = 1.0 / w
    return B


@dataclass(frozen=True, eq=False)
class SocGradient:
    """``η`` of LMI (10) at ``(x, z)`` and its derivative (module notes).

    Attributes
    ----------
    eta, delta : float
        The optimum and ``(1 − η)/(1 + η)``.
    grad_x : (n, r) array
        ``∂η/∂x``.
    grad_z : (n, r*) array
        ``∂η/∂z``.
    status : str
        Clarabel's status (``"Solved"``, ...), or ``"exact"`` for a degenerate pair (δ = 1, zero gradient).
    """

    eta: float
    delta: float
    grad_x: np.ndarray
    grad_z: np.ndarray
    status: str


def soc_value_and_gradient(x: object, z: object, *, margin: float = 0.0) -> SocGradient:
    """Optimum ``η`` of LMI (10) (margin ``μ``) at ``(x, z)`` and its envelope derivative in ``(x, z)``.

    Parameters
    ----------
    x : (n, r) array
        Candidate point (full column rank; otherwise ``δ_soc = 1``, returned with a zero gradient).
    z : (n, r*) array
        Ground truth factor.
    margin : float
        ``μ ≥ 0`` of ``M(H) ⪰ μI`` off the symmetry directions (``H ⪯ I``), in the units of ``‖x‖²``.

    Returns
    -------
    SocGradient

    Raises
    ------
    SolverError
        Clarabel did not solve the program.

    Notes
    -----
    zhang2018 eq. (10) in ``n`` dimensions (no reduction: use it at ``n = r + r*``); the derivative
    is that of the Lagrangian at the primal-dual optimum (module notes). Not for reporting: the
    reported thresholds come from :func:`spurious.threshold_program`.
    """
    import clarabel
    from scipy import sparse

    z = as_factor(z, "z")
    x = as_factor(x, "x", n=z.shape[0])
    mu = check_float(margin, "margin", low=0.0)
    n, r = x.shape
    zero = SocGradient(0.0, 1.0, np.zeros_like(x), np.zeros_like(z), "exact")
    if is_global(x, z) or numerical_rank(x) < r:
        return zero
    data = program_data(x, z, "second")
    K = data.e.shape[0]
    p = data.V.shape[1]
    B = _tbasis(K)  # (T, K, K)
    T = B.shape[0]
    vecB = B.transpose(0, 2, 1).reshape(T, K * K).T  # column-major vec(B_t) as columns
    Mt = data.G @ vecB  # (p², T): vec(Vᵀ M(B_t) V)
    Mt = Mt.reshape(p, p, T, order="F")
    Mt = 0.5 * (Mt + Mt.transpose(1, 0, 2))
    pr, pc, pw = _tri(p)
    A_M = pw[:, None] * Mt[pr, pc, :]  # (p(p+1)/2, T)
    A_eq = data.UJ.T @ np.einsum("tab,b->at", B, data.e)  # (q, T)
    q = A_eq.shape[0]
    iK, ip = _tvec(np.eye(K)), _tvec(np.eye(p))
    # variables v = [η, h]; rows: H − ηI ⪰ 0, I − H ⪰ 0, U_Jᵀ H e = 0, VᵀM(H)V − μI ⪰ 0 (, η ≥ 0)
    blocks = [np.hstack([iK[:, None], -np.eye(T)]), np.hstack([np.zeros((T, 1)), np.eye(T)])]
    rhs = [np.zeros(T), iK]
    cones = [clarabel.PSDTriangleConeT(K), clarabel.PSDTriangleConeT(K)]
    if q:
        blocks.insert(0, np.hstack([np.zeros((q, 1)), A_eq]))
        rhs.insert(0, np.zeros(q))
        cones.insert(0, clarabel.ZeroConeT(q))
    blocks.append(np.hstack([np.zeros((A_M.shape[0], 1)), -A_M]))
    rhs.append(-mu * ip)
    cones.append(clarabel.PSDTriangleConeT(p))
    if mu > 0:
        blocks.append(np.hstack([[[-1.0]], np.zeros((1, T))]))
        rhs.append(np.zeros(1))
        cones.append(clarabel.NonnegativeConeT(1))
    A = sparse.csc_matrix(np.vstack(blocks))
    b = np.concatenate(rhs)
    c = np.zeros(T + 1)
    c[0] = -1.0
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = 1e-10
    settings.tol_feas = 1e-10
    settings.tol_ktratio = 1e-8
    settings.max_iter = 500
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol = clarabel.DefaultSolver(sparse.csc_matrix((T + 1, T + 1)), c, A, b, cones, settings).solve()
    status = str(sol.status)
    if "Solved" not in status:
        if mu > 0 and "Infeasible" in status:
            raise NoInstanceError(f"margin μ = {mu:g}: LMI (10) is infeasible at this point ({status})")
        raise SolverError(f"clarabel: status {status}")
    v, zd = np.asarray(sol.x), np.asarray(sol.z)
    eta = float(min(max(v[0], 0.0), 1.0))
    H = _tmat(v[1:], K)
    y = zd[:q]
    S = _tmat(zd[q + 2 * T : q + 2 * T + A_M.shape[0]], p)
    # envelope derivative (module notes)
    J = sym_jacobian(x)
    He = H @ data.e
    Jy = data.UJ @ y if q else np.zeros(K)
    y_prime = np.linalg.lstsq(J, Jy, rcond=None)[0]
    Sf = data.V @ S @ data.V.T  # (n r, n r)
    blocks_diag = sum(Sf[j * n : (j + 1) * n, j * n : (j + 1) * n] for j in range(r))
    a = svec(0.5 * (blocks_diag + blocks_diag.T))
    cvec = 2.0 * H @ a - H @ Jy
    R = 2.0 * H @ J @ Sf - np.outer(He, y_prime)  # (K, n r): the coefficient of Xmat(dx)
    C = smat(cvec)
    gx = 2.0 * C @ x
    Rm = smat(R.T)  # (n r, n, n): smat of each column
    for j in range(r):
        for i in range(n):
            gx[:, j] += 2.0 * Rm[i + j * n][:, i]
    gz = -2.0 * C @ z
    return SocGradient(eta, delta_from_eta(eta), gx, gz, status)


# ----------------------------------------------------------------------------- minimization


@dataclass(frozen=True, eq=False)
class MinDeltaResult:
    """The best of a multi-start minimization of ``δ_soc`` over ``(x, z)``.

    Attributes
    ----------
    x : (n, r) array
    z : (n, r*) array
        The minimizer (``‖z‖_F = 1``).
    delta : float
        ``δ_soc(x, z)`` re-solved by :func:`spurious.threshold_program` (cvxpy, reduced program).
    certified : bool
        That program's status is optimal and its re-check passed.
    start_deltas : tuple of float
        The local optimum of each start (inner Clarabel values; 1 where no instance was found from
        that start, e.g. a margin unattainable there; NaN where the start failed).
    best_start : int
        The start that gave the minimizer.
    evaluations : int
        Program solves over all starts.
    solver : str
        The solver of the reported ``delta``: ``"clarabel"``, or ``"scs"`` when Clarabel's status
        was not optimal at the minimizer (such optima are degenerate).
    """

    x: np.ndarray
    z: np.ndarray
    delta: float
    certified: bool
    start_deltas: tuple[float, ...]
    best_start: int
    evaluations: int
    solver: str = "clarabel"


def certified_program(x: object, z: object, *, margin: float = 0.0) -> ThresholdResult:
    """:func:`spurious.threshold_program` (second order) with Clarabel, and with SCS where Clarabel's
    status is not optimal (degenerate optima end "optimal_inaccurate"); the first certified result,
    else SCS's."""
    for solver in ("clarabel", "scs"):
        res = threshold_program(x, z, order="second", margin=margin, solver=solver)
        if res.certified:
            break
    return res


def _unpack(theta: np.ndarray, n: int, r: int, r_star: int) -> tuple[np.ndarray, np.ndarray, float]:
    x = theta[: n * r].reshape(n, r, order="F")
    w = theta[n * r :].reshape(n, r_star, order="F")
    return x, w / np.linalg.norm(w), float(np.linalg.norm(w))


def minimize_delta(
    r_star: int,
    r: int,
    *,
    n: int | None = None,
    margin: float = 0.0,
    starts: int = 8,
    maxiter: int = 60,
    rng: object = None,
    initial: list | None = None,
) -> MinDeltaResult:
    """Multi-start L-BFGS-B on ``δ_soc(x, z)`` (margin ``μ``) with the dual derivative of LMI (10).

    Parameters
    ----------
    r_star, r : int
        Ranks of ``z`` and ``x``.
    n : int, optional
        Dimension (default ``r + r*``, which loses nothing: module notes).
    margin : float
        ``μ ≥ 0``, in units of ``tr(zzᵀ) = 1``.
    starts : int
        Random starts (Gaussian ``x``, ``z``).
    maxiter : int
        L-BFGS-B iterations per start.
    rng : numpy Generator, sequence of Generators or None
        One Generator for all starts, or one per start (then ``len(rng) = starts``).
    initial : list of (x, z), optional
        Extra starts tried before the random ones.

    Returns
    -------
    MinDeltaResult
        An *upper* estimate of the infimum (local search).

    Notes
    -----
    Zhang (2021, arXiv:2104.10790): the infimum is the sharp RIP threshold for spurious
    second-order points at ranks ``(r*, r)``; between :func:`overparam_bounds`.
    """
    from scipy.optimize import minimize

    r_star = check_int(r_star, "r_star", low=1)
    r = check_int(r, "r", low=1)
    n = r + r_star if n is None else check_int(n, "n", low=max(r, r_star))
    starts = check_int(starts, "starts", low=0)
    maxiter = check_int(maxiter, "maxiter", low=1)
    mu = check_float(margin, "margin", low=0.0)
    gens = list(rng) if isinstance(rng, list | tuple) else [rng] * starts
    if len(gens) != starts:
        raise InputError(f"rng: {len(gens)} generators for {starts} starts")
    gens = [g if isinstance(g, np.random.Generator) else np.random.default_rng(g) for g in gens]
    evals = 0

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evals
        evals += 1
        x, z, wn = _unpack(theta, n, r, r_star)
        try:
            res = soc_value_and_gradient(x, z, margin=mu)
        except (SolverError, NoInstanceError):  # no instance here (an unattainable margin): δ = 1, flat
            return 0.0, np.zeros_like(theta)
        gw = (res.grad_z - z * float(np.sum(z * res.grad_z))) / wn
        return -res.eta, -np.concatenate([res.grad_x.ravel(order="F"), gw.ravel(order="F")])

    x0s = [(np.asarray(a, float), np.asarray(b, float)) for a, b in (initial or [])]
    x0s += [(g.standard_normal((n, r)), g.standard_normal((n, r_star))) for g in gens]
    best, best_val, best_i, vals = None, np.inf, -1, []
    for i, (x0, z0) in enumerate(x0s):
        s = np.linalg.norm(z0)
        theta0 = np.concatenate([(x0 / s).ravel(order="F"), (z0 / s).ravel(order="F")])
        try:
            out = minimize(fun, theta0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
            theta, val = out.x, float(out.fun)
        except (ValueError, np.linalg.LinAlgError):
            theta, val = theta0, np.nan
        vals.append((1.0 + val) / (1.0 - val) if np.isfinite(val) else np.nan)
        if np.isfinite(val) and val < best_val:
            best, best_val, best_i = theta, val, i
    if best is None:
        raise SolverError(f"minimize_delta (r* = {r_star}, r = {r}): no start gave a solved program")
    x, z, _ = _unpack(best, n, r, r_star)
    res = certified_program(x, z, margin=mu)
    return MinDeltaResult(
        x.copy(), z.copy(), float(res.delta), bool(res.certified), tuple(vals), best_i, evals, res.solver
    )
