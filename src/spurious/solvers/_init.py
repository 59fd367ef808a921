"""Initial points for batched local search: Gaussian, uniform on a sphere, spectral (SVD), γ-mix.

Random initializations draw trial ``t`` from its own stream
:func:`spurious.trial_stream` ``(seed, first_trial + t, cell)`` (DESIGN conventions),
so a batch of 1000 equals 1000 single draws bit for bit, whatever the chunking.
"""

from __future__ import annotations

import numpy as np

from spurious.core._errors import InputError
from spurious.core._losses import QuadraticLoss
from spurious.core._matrix_free import is_matrix_free
from spurious.core._operators import RectangularOperator, SensingOperator
from spurious.core._rng import trial_stream


def _check_shape(n: int, r: int, trials: int) -> None:
    for name, v in (("n", n), ("r", r), ("trials", trials)):
        if int(v) != v or v < 1:
            raise InputError(f"{name} = {v}: must be an integer ≥ 1")
    if r > n:
        raise InputError(f"r = {r}: must satisfy r ≤ n = {n}")


def gaussian(
    n: int, r: int, trials: int, *, seed: int, cell: int = 0, scale: float = 1.0, first_trial: int = 0
) -> np.ndarray:
    """i.i.d. ``N(0, scale²)`` entries, one ``n × r`` point per trial.

    The "standard Gaussian" initialization of zhang2018 §5 (Example 3) and of bi2021's
    numerical illustration ("the initial point is generated in the same way" as the ground truth).

    Parameters
    ----------
    n, r : shape of each point
    trials : number of trials ``T``
    seed, cell : trial ``t`` uses ``trial_stream(seed, first_trial + t, cell)``
    scale : standard deviation of the entries
    first_trial : index of the first trial (for chunked runs)

    Returns
    -------
    (T, n, r) array
    """
    _check_shape(n, r, trials)
    out = np.empty((trials, n, r))
    for t in range(trials):
        out[t] = trial_stream(seed, first_trial + t, cell).standard_normal((n, r))
    return scale * out if scale != 1.0 else out


def uniform_sphere(
    n: int, r: int, trials: int, radius: float, seed: int, cell: int = 0, first_trial: int = 0
) -> np.ndarray:
    """Points uniformly distributed on the sphere ``‖U‖_F = radius`` of ``R^{n×r}``.

    The start of bhojanapalli2016 Thm 3.3 ("a random point uniformly distributed on
    ``‖U‖_F = b``"): a standard Gaussian ``n × r`` matrix divided by its Frobenius norm.

    Parameters
    ----------
    n, r : int
        Shape of each point.
    trials : int
        Number of points ``T``.
    radius : float
        The sphere's radius ``b`` (> 0).
    seed, cell, first_trial : int
        Trial ``t`` draws from ``trial_stream(seed, first_trial + t, cell)``.

    Returns
    -------
    (T, n, r) array
    """
    _check_shape(n, r, trials)
    radius = float(radius)
    if not np.isfinite(radius) or radius < 0:
        raise InputError(f"radius = {radius}: must be finite and ≥ 0")
    g = gaussian(n, r, trials, seed=seed, cell=cell, first_trial=first_trial)
    return radius * g / np.sqrt(np.sum(g * g, axis=(1, 2)))[:, None, None]


def mix(gamma: float, w: np.ndarray, x_loc: np.ndarray) -> np.ndarray:
    """``x₀ = γ w + (1 − γ) x_loc`` (zhang2018 Fig. 2): ``γ = 0`` starts at the spurious point.

    Parameters
    ----------
    gamma : float (or array broadcasting against the points, e.g. shape (T, 1, 1))
    w : (..., n, r) array, typically random points (:func:`gaussian`)
    x_loc : (n, r) or (..., n, r) array, typically the spurious local minimum

    Returns
    -------
    array of the broadcast shape
    """
    gamma = np.asarray(gamma, dtype=np.float64)
    if not np.all(np.isfinite(gamma)):
        raise InputError(f"gamma = {gamma}: must be finite")
    w = np.asarray(w, dtype=np.float64)
    x_loc = np.asarray(x_loc, dtype=np.float64)
    if w.shape[-2:] != x_loc.shape[-2:]:
        raise InputError(f"w: shape {w.shape} does not match x_loc: shape {x_loc.shape}")
    return gamma * w + (1.0 - gamma) * x_loc


def spectral(problem, trials: int = 1, *, r: int | None = None) -> np.ndarray:
    """Spectral ("SVD") initialization from the measurements (bhojanapalli2016 Fig. 1, after [15]).

    Symmetric least squares: ``x₀ = V_r Λ_r^{1/2}`` from the top-``r`` eigenpairs of

    ``M̂ = A*(b) / c``,  ``c = ‖A‖_F² / N`` (``A`` the ``m × N`` svec matrix, ``N = n(n+1)/2``),

    with negative eigenvalues clipped to 0. Asymmetric least squares (stacked ``X = [U; V]``):
    ``U₀ = P_r Σ_r^{1/2}``, ``V₀ = Q_r Σ_r^{1/2}`` from the top-``r`` SVD of ``A*(b)/c``,
    ``c = ‖A‖_F² / (n1 n2)``.

    Notes
    -----
    The scaling makes ``M̂`` an estimate of ``M*`` itself, for any ensemble and any
    objective scaling (plain, ½, 1/m): if ``E[AᵀA] = c I`` (isotropic measurements) then
    ``E[A*(A(M))] = c M``, and ``‖A‖_F²/N`` is the unbiased estimate of ``c``. For i.i.d.
    standard Gaussian ``A_i`` (:func:`spurious.operators.gaussian`) ``c = m`` in expectation,
    which is the usual ``A*(y)/m``; for GOE matrices (:func:`spurious.operators.symmetric_gaussian`)
    ``c = 2m``. The objective's scaling does not enter: the minimizer ``M*`` is the same.
    The point is deterministic; ``trials`` copies are returned.

    With a matrix-free operator (:mod:`spurious.operators`: rank-one, completion, Gaussian
    blocks, callables) ``M̂`` is never formed: its top-``r`` eigenpairs come from
    :func:`scipy.sparse.linalg.eigsh` (Lanczos, ``which="LA"``, a fixed start vector) on the
    :class:`~scipy.sparse.linalg.LinearOperator` ``v ↦ A*(b) v`` (``operator.adjoint_apply``),
    and ``c = operator.frobenius_norm_sq() / N``. For rank-one measurements at ``r = 1`` this is
    the spectral initialization of phase retrieval (Candès, Li, Soltanolkotabi 2015, Wirtinger
    flow); for completion, ``M̂ = P_Ω(M)·N/|Ω|``, the ``1/p``-rescaled observed matrix.
    The result equals the dense path's to the eigensolver's accuracy (up to the sign of each
    eigenvector, which the dense path leaves to LAPACK; ``x xᵀ`` is the same).

    Parameters
    ----------
    problem : SymmetricProblem or AsymmetricProblem with a :class:`~spurious.losses.QuadraticLoss`
    trials : number of copies ``T``
    r : rank (default ``problem.r``)

    Returns
    -------
    (T, n, r) array
    """
    loss = getattr(problem, "loss", None)
    if not isinstance(loss, QuadraticLoss):
        raise InputError("spectral: needs a least-squares problem (QuadraticLoss with an operator)")
    r = problem.r if r is None else int(r)
    if int(trials) != trials or trials < 1:
        raise InputError(f"trials = {trials}: must be an integer ≥ 1")
    op = loss.operator
    if is_matrix_free(op):
        if not 1 <= r <= op.n:
            raise InputError(f"r = {r}: must satisfy 1 ≤ r ≤ n = {op.n}")
        x = _spectral_matrix_free(op, loss.b, r)
        return np.repeat(x[None], int(trials), axis=0)
    A = op.matrix
    M_hat = op.adjoint(loss.b) * (A.shape[1] / float(np.sum(A * A)))
    if isinstance(op, SensingOperator):
        if not 1 <= r <= op.n:
            raise InputError(f"r = {r}: must satisfy 1 ≤ r ≤ n = {op.n}")
        lam, V = np.linalg.eigh(0.5 * (M_hat + M_hat.T))
        lam, V = lam[::-1][:r], V[:, ::-1][:, :r]
        x = V * np.sqrt(np.clip(lam, 0.0, None))
    elif isinstance(op, RectangularOperator):
        if not 1 <= r <= min(op.shape):
            raise InputError(f"r = {r}: must satisfy 1 ≤ r ≤ min{op.shape}")
        P, s, Qt = np.linalg.svd(M_hat, full_matrices=False)
        root = np.sqrt(s[:r])
        x = np.concatenate([P[:, :r] * root, Qt[:r].T * root], axis=0)
    else:
        raise InputError(f"spectral: unsupported operator type {type(op).__name__}")
    return np.repeat(x[None], int(trials), axis=0)


def _spectral_matrix_free(op, b: np.ndarray, r: int) -> np.ndarray:
    """``V_r Λ_r^{1/2}`` of ``A*(b)/c`` by Lanczos on ``v ↦ A*(b) v`` (dense ``eigh`` when ``r ≥ n − 1``)."""
    c = op.frobenius_norm_sq() / op.N
    if not c > 0:
        raise InputError(f"spectral: operator {op.label!r} has Σ‖A_i‖² = 0")
    n = op.n
    if r >= n - 1:  # ARPACK needs k < n - 1: the matrix is small, form it
        M_hat = op.adjoint(b) / c
        lam, V = np.linalg.eigh(0.5 * (M_hat + M_hat.T))
        lam, V = lam[::-1][:r], V[:, ::-1][:, :r]
    else:
        from scipy.sparse.linalg import LinearOperator, eigsh

        # Gaussian blocks regenerate every row at each product: form A*(b) once (one pass, n × n)
        Ab = op.adjoint(b) if op.kind in ("gaussian", "symmetric-gaussian") else None

        def matmat(V: np.ndarray) -> np.ndarray:
            V = np.asarray(V, dtype=np.float64).reshape(n, -1)
            return (Ab @ V if Ab is not None else op.adjoint_apply(b, V)) / c

        lin = LinearOperator((n, n), matvec=matmat, matmat=matmat, dtype=np.float64)
        v0 = np.random.default_rng(0).standard_normal(n)  # fixed start: the result is deterministic
        lam, V = eigsh(lin, k=r, which="LA", v0=v0, tol=0.0)
        order = np.argsort(lam)[::-1]
        lam, V = lam[order], V[:, order]
    return V * np.sqrt(np.clip(lam, 0.0, None))
