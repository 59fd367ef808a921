"""Finite-difference diagnostics for gradients and Hessians that return numbers.

Each check evaluates the supplied callables along one direction ``u`` and returns a frozen
result with

* ``rel_error``: the relative error between a central finite difference and the supplied
  derivative (``~1e-8`` or smaller for a correct derivative on a well-scaled point);
* ``slope``: the slope of a least-squares fit of ``log(remainder(t))`` against ``log t``
  over the most linear window of a logarithmic grid of steps ``t``, where the remainder is
  a Taylor remainder that vanishes to a known order when the derivative is right:

  - gradient: ``|f(x + tu) − f(x) − t⟨∇f(x), u⟩| = O(t²)``, slope ≈ 2 (≈ 1 when wrong);
  - Hessian: ``‖∇f(x + tu) − ∇f(x − tu) − 2t ∇²f(x)[u]‖ = O(t³)``, slope ≈ 3 (≈ 1 when
    wrong), and, when the function is given, the second-order Taylor remainder
    ``|f(x + tu) − f(x) − t⟨∇f(x), u⟩ − ½t²⟨u, ∇²f(x)[u]⟩| = O(t³)``, slope ≈ 3.

Nothing is printed or plotted (pymanopt's ``check_gradient`` prints and plots; these return
the numbers a test asserts on; STYLE "Diagnostics return numbers"). Points may have any
shape; a 2-D point ``(n, r)`` is flattened in ``vec`` (column-stacking) coordinates, the
convention of the explicit Hessians of :mod:`spurious.core._problems`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError
from spurious.core._linalg import unvec, vec
from spurious.core._rng import RNGLike, as_generator
from spurious.core._summary import jsonable, short_repr, summary_lines
from spurious.core._validation import as_real_array

__all__ = [
    "GradientCheck",
    "HessianCheck",
    "check_gradient",
    "check_hessian",
    "check_hessian_matrix",
    "taylor_slope",
]

_EPS = float(np.finfo(np.float64).eps)
#: Steps ``t`` (relative to the scale of the point), 8 per decade over 8 decades.
_REL_STEPS = np.logspace(-8.0, 0.0, 65)
#: Points in the fitting window (1.5 decades).
_WINDOW = 13


@dataclass(frozen=True)
class GradientCheck:
    """Result of :func:`check_gradient`.

    Attributes
    ----------
    rel_error : float
        ``|d_fd − d| / max(|d_fd|, |d|)`` with ``d = ⟨∇f(x), u⟩`` and ``d_fd`` the central
        difference ``(f(x + hu) − f(x − hu)) / 2h`` (0 when both vanish). Meaningless where
        the directional derivative itself is at round-off level (e.g. at a critical point).
    slope : float
        Taylor slope of ``|f(x + tu) − f(x) − t d|`` against ``t``: ≈ 2 for a correct
        gradient. NaN when no window of the step grid lies above round-off (e.g. ``f``
        is linear along ``u``).
    directional : float
        ``d = ⟨∇f(x), u⟩``.
    fd_directional : float
        ``d_fd``.
    step : float
        ``h``, the central-difference step.
    t : tuple of float
        The steps of the fitting window.
    remainder : tuple of float
        The Taylor remainders at ``t``.
    """

    rel_error: float
    slope: float
    directional: float
    fd_directional: float
    step: float
    t: tuple[float, ...]
    remainder: tuple[float, ...]

    def __str__(self) -> str:
        return summary_lines(
            "GradientCheck",
            [
                ("relative error", self.rel_error),
                ("Taylor slope (≈ 2)", self.slope),
                ("⟨∇f, d⟩", self.directional),
                ("finite difference", self.fd_directional),
                ("step", self.step),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("rel_error", "slope"))

    def to_dict(self) -> dict[str, object]:
        return jsonable(dataclasses.asdict(self))


@dataclass(frozen=True)
class HessianCheck:
    """Result of :func:`check_hessian` and :func:`check_hessian_matrix`.

    Attributes
    ----------
    rel_error : float
        ``‖g_fd − Hu‖ / max(‖g_fd‖, ‖Hu‖)`` with ``g_fd = (∇f(x + hu) − ∇f(x − hu)) / 2h``.
    slope : float
        Taylor slope of ``‖∇f(x + tu) − ∇f(x − tu) − 2t Hu‖``: ≈ 3 for a correct Hessian.
    value_slope : float
        Taylor slope of the second-order remainder of ``f``,
        ``|f(x + tu) − f(x) − t⟨∇f(x), u⟩ − ½t²⟨u, Hu⟩|``: ≈ 3; NaN when ``fun`` was not
        given (or the remainder is at round-off level).
    symmetry_error : float
        ``|⟨v, Hu⟩ − ⟨u, Hv⟩| / (‖v‖‖Hu‖ + ‖u‖‖Hv‖)`` for a second random direction ``v``
        (for an explicit Hessian: ``‖H − Hᵀ‖_F / ‖H‖_F``).
    step : float
        ``h``, the central-difference step.
    """

    rel_error: float
    slope: float
    value_slope: float
    symmetry_error: float
    step: float

    def __str__(self) -> str:
        return summary_lines(
            "HessianCheck",
            [
                ("relative error", self.rel_error),
                ("Taylor slope (≈ 3)", self.slope),
                ("value slope (≈ 3)", self.value_slope),
                ("symmetry error", self.symmetry_error),
                ("step", self.step),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("rel_error", "slope", "value_slope"))

    def to_dict(self) -> dict[str, object]:
        return jsonable(dataclasses.asdict(self))


def taylor_slope(
    t: np.ndarray, remainder: np.ndarray, noise: np.ndarray | None = None, window: int = _WINDOW
) -> tuple[float, int]:
    """Slope of ``log remainder`` against ``log t`` over the most linear window.

    Parameters
    ----------
    t : (K,) array, increasing positive steps
    remainder : (K,) array, the Taylor remainders (absolute values or norms)
    noise : (K,) array, optional
        Round-off level of each remainder; points below ``100 · noise`` are not used.
    window : int
        Number of consecutive usable points in a fitting window.

    Returns
    -------
    slope : float
        NaN when fewer than ``window`` consecutive usable points exist.
    start : int
        Index of the first point of the chosen window (−1 when none).

    Notes
    -----
    Among all windows of ``window`` consecutive usable points, the one whose
    least-squares line has the smallest residual is chosen (the asymptotic regime is a
    straight line in log–log coordinates; round-off makes the small-``t`` end ragged and
    higher-order terms bend the large-``t`` end).
    """
    t = np.asarray(t, dtype=np.float64)
    r = np.asarray(remainder, dtype=np.float64)
    usable = np.isfinite(r) & (r > 0)
    if noise is not None:
        usable &= r > 100.0 * np.asarray(noise, dtype=np.float64)
    lt = np.log(t)
    lr = np.log(np.where(usable, r, 1.0))
    best = (np.inf, np.nan, -1)
    for k in range(len(t) - window + 1):
        if not usable[k : k + window].all():
            continue
        coef, res, *_ = np.polyfit(lt[k : k + window], lr[k : k + window], 1, full=True)
        err = float(res[0]) if len(res) else 0.0
        if err < best[0]:
            best = (err, float(coef[0]), k)
    return best[1], best[2]


def _flat(a: np.ndarray) -> np.ndarray:
    return vec(a) if a.ndim == 2 else a.ravel()


def _direction(x: np.ndarray, u: np.ndarray | None, rng: RNGLike) -> np.ndarray:
    if u is None:
        return as_generator(rng).standard_normal(x.shape)
    u = as_real_array(u, "u")
    if u.shape != x.shape:
        raise InputError(f"u: shape {u.shape}, expected the shape of x {x.shape}")
    if not np.any(u):
        raise InputError("u: the zero direction")
    return u


def _scale(x: np.ndarray, u: np.ndarray) -> float:
    """Step unit: a step ``t`` moves ``x`` by ``t · max(‖x‖, 1)`` in norm."""
    return max(float(np.linalg.norm(x)), 1.0) / float(np.linalg.norm(u))


def check_gradient(
    fun: Callable[[np.ndarray], object],
    grad: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    u: np.ndarray | None = None,
    rng: RNGLike = None,
) -> GradientCheck:
    """Check ``grad`` against finite differences of ``fun`` at ``x`` along ``u``.

    Parameters
    ----------
    fun : callable, ``x -> float``
    grad : callable, ``x -> array`` of the shape of ``x``
    x : array, the point (any shape)
    u : array of the shape of ``x``, optional
        The direction; a standard Gaussian direction from ``rng`` when omitted.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    GradientCheck
        ``rel_error`` (≲ 1e-7 when correct) and ``slope`` (≈ 2 when correct, ≈ 1 when not).

    Notes
    -----
    ``f(x + tu) = f(x) + t⟨∇f(x), u⟩ + O(t²)``, so the first-order Taylor remainder has
    slope 2 in log–log coordinates; any error in the gradient leaves a term linear in
    ``t`` (slope 1). Steps range over ``t·‖u‖ ∈ [1e-8, 1]·max(‖x‖, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> c = sp.check_gradient(lambda x: float(np.sum(x**4)), lambda x: 4 * x**3, np.ones(3), rng=0)
    >>> bool(abs(c.slope - 2) < 0.1 and c.rel_error < 1e-6)
    True
    """
    x = as_real_array(x, "x")
    u = _direction(x, u, rng)
    s = _scale(x, u)
    f0 = float(fun(x))
    d = float(np.sum(np.asarray(grad(x), dtype=np.float64) * u))
    h = np.cbrt(_EPS) * s
    d_fd = (float(fun(x + h * u)) - float(fun(x - h * u))) / (2.0 * h)
    denom = max(abs(d_fd), abs(d))
    rel = abs(d_fd - d) / denom if denom > 0 else 0.0
    t = _REL_STEPS * s
    ft = np.array([float(fun(x + tk * u)) for tk in t])
    rem = np.abs(ft - f0 - t * d)
    noise = _EPS * (np.abs(ft) + abs(f0) + np.abs(t * d))
    slope, k = taylor_slope(t, rem, noise)
    win = slice(k, k + _WINDOW) if k >= 0 else slice(0, 0)
    return GradientCheck(
        rel_error=float(rel),
        slope=slope,
        directional=d,
        fd_directional=float(d_fd),
        step=float(h),
        t=tuple(map(float, t[win])),
        remainder=tuple(map(float, rem[win])),
    )


def check_hessian(
    grad: Callable[[np.ndarray], np.ndarray],
    hvp: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray,
    u: np.ndarray | None = None,
    rng: RNGLike = None,
    *,
    fun: Callable[[np.ndarray], object] | None = None,
) -> HessianCheck:
    """Check a Hessian-vector product against finite differences of ``grad`` at ``x``.

    Parameters
    ----------
    grad : callable, ``x -> array`` of the shape of ``x``
    hvp : callable, ``(x, u) -> ∇²f(x)[u]``, an array of the shape of ``x``
    x : array, the point (any shape)
    u : array of the shape of ``x``, optional
        The direction; a standard Gaussian direction from ``rng`` when omitted.
    rng : numpy.random.Generator, int or None
        Also draws the second direction of the symmetry test.
    fun : callable, ``x -> float``, optional
        When given, the second-order Taylor remainder of ``fun`` is fitted too
        (``value_slope``).

    Returns
    -------
    HessianCheck
        ``rel_error`` (≲ 1e-7 when correct), ``slope`` and ``value_slope`` (≈ 3 when
        correct), ``symmetry_error`` (≈ 1e-16 for a symmetric Hessian).

    Notes
    -----
    ``∇f(x ± tu) = ∇f(x) ± t∇²f(x)[u] + ½t²∇³f(x)[u, u] ± O(t³)``: the central remainder
    ``∇f(x + tu) − ∇f(x − tu) − 2t∇²f(x)[u]`` is ``O(t³)`` (slope 3), and any error ``E``
    in the Hessian leaves ``2tEu`` (slope 1).
    """
    x = as_real_array(x, "x")
    g = as_generator(rng)
    u = _direction(x, u, g)
    v = g.standard_normal(x.shape)
    return _hessian_check(grad, lambda w: np.asarray(hvp(x, w), dtype=np.float64), x, u, v, fun, None)


def check_hessian_matrix(
    grad: Callable[[np.ndarray], np.ndarray],
    hessian: Callable[[np.ndarray], np.ndarray] | np.ndarray,
    x: np.ndarray,
    u: np.ndarray | None = None,
    rng: RNGLike = None,
    *,
    fun: Callable[[np.ndarray], object] | None = None,
) -> HessianCheck:
    """Check an explicit Hessian matrix against finite differences of ``grad`` at ``x``.

    Parameters
    ----------
    grad : callable, ``x -> array`` of the shape of ``x``
    hessian : callable ``x -> (d, d) array`` or a ``(d, d)`` array
        The Hessian at ``x`` in flattened coordinates: ``vec`` (column stacking) for a 2-D
        ``x`` of shape ``(n, r)`` (``d = nr``), ``ravel`` otherwise.
    x, u, rng, fun
        As in :func:`check_hessian`.

    Returns
    -------
    HessianCheck
        As in :func:`check_hessian`; ``symmetry_error`` is ``‖H − Hᵀ‖_F / ‖H‖_F``.
    """
    x = as_real_array(x, "x")
    g = as_generator(rng)
    u = _direction(x, u, g)
    Hm = hessian(x) if callable(hessian) else hessian
    Hm = as_real_array(Hm, "hessian", ndim=2)
    d = x.size
    if Hm.shape != (d, d):
        raise InputError(f"hessian: shape {Hm.shape}, expected ({d}, {d}) for x of shape {x.shape}")

    def apply(w: np.ndarray) -> np.ndarray:
        hw = Hm @ _flat(w)
        return unvec(hw, *x.shape) if x.ndim == 2 else hw.reshape(x.shape)

    nrm = float(np.linalg.norm(Hm))
    sym_err = float(np.linalg.norm(Hm - Hm.T)) / nrm if nrm > 0 else 0.0
    return _hessian_check(grad, apply, x, u, None, fun, sym_err)


def _hessian_check(grad, apply, x, u, v, fun, sym_err) -> HessianCheck:
    s = _scale(x, u)

    def gr(p: np.ndarray) -> np.ndarray:
        return np.asarray(grad(p), dtype=np.float64)

    hu = apply(u)
    h = np.cbrt(_EPS) * s
    g_fd = (gr(x + h * u) - gr(x - h * u)) / (2.0 * h)
    denom = max(float(np.linalg.norm(g_fd)), float(np.linalg.norm(hu)))
    rel = float(np.linalg.norm(g_fd - hu)) / denom if denom > 0 else 0.0

    t = _REL_STEPS * s
    gp = np.stack([gr(x + tk * u) for tk in t])
    gm = np.stack([gr(x - tk * u) for tk in t])
    axes = tuple(range(1, gp.ndim))
    rem = np.sqrt(np.sum((gp - gm - 2.0 * t.reshape(-1, *[1] * x.ndim) * hu) ** 2, axis=axes))
    mag = np.sqrt(np.sum(gp**2, axis=axes)) + np.sqrt(np.sum(gm**2, axis=axes))
    slope, _ = taylor_slope(t, rem, _EPS * mag)

    value_slope = np.nan
    if fun is not None:
        f0 = float(fun(x))
        d1 = float(np.sum(gr(x) * u))
        d2 = float(np.sum(hu * u))
        ft = np.array([float(fun(x + tk * u)) for tk in t])
        rem_f = np.abs(ft - f0 - t * d1 - 0.5 * t**2 * d2)
        noise = _EPS * (np.abs(ft) + abs(f0) + np.abs(t * d1) + np.abs(t**2 * d2))
        value_slope, _ = taylor_slope(t, rem_f, noise)

    if sym_err is None:
        hv = apply(v)
        a, b = float(np.sum(v * hu)), float(np.sum(u * hv))
        den = float(np.linalg.norm(v) * np.linalg.norm(hu) + np.linalg.norm(u) * np.linalg.norm(hv))
        sym_err = abs(a - b) / den if den > 0 else 0.0
    return HessianCheck(
        rel_error=rel,
        slope=float(slope),
        value_slope=float(value_slope),
        symmetry_error=float(sym_err),
        step=float(h),
    )
