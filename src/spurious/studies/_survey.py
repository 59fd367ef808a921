"""A landscape census of any instance: many local searches, their endpoints grouped and certified.

:func:`survey` runs ``starts`` local searches (GD, SGD or perturbed GD) from random, spectral
or given starts and sorts every endpoint into a *basin*:

1. **Converged or not.** A search that ended neither within ``stop.success`` of ``M*`` nor with
   ``‖∇f(x)‖_F ≤ stop.stall · ‖∇f(x₀)‖_F`` (the solver's :class:`~spurious.Outcome` MOVING), or
   that diverged, is not grouped (see step 5).
2. **Grouping modulo the rotation symmetry.** The other endpoints are taken in the order of
   their gradient norms (then of their index); each joins the first group whose leader ``y``
   has ``‖x xᵀ − y yᵀ‖_F ≤ tol · ‖M*‖_F`` (``tol`` relative, default :data:`TOL`), else it
   leads a new group. ``x`` and ``xQ`` (``Q`` orthogonal) have the same ``x xᵀ``, so the
   symmetry orbit of a critical point is one group.
3. **Refinement.** Each leader is refined by Newton's method off the rotation directions
   (:func:`refine`) to the critical point it approximates — a search stuck near a
   degenerate saddle, whose gradient vanishes like ``a³``, ends ``a`` away from it. The
   refined point replaces the leader when its gradient is smaller and it moved at most
   :data:`REFINE_RADIUS` ``· ‖M*‖_F``; groups whose points then coincide (same ``tol``) merge.
4. **Certificates.** Each distinct point is certified once (:func:`spurious.certify`; at a
   global minimum without the higher-order test, which a degenerate global minimum — search
   rank above the rank of ``M*`` — would spend its time on) and gets one of the :data:`KINDS`:

   * ``global``: ``‖x xᵀ − M*‖_F ≤ tol · ‖M*‖_F``;
   * ``unidentified``: second order, not ``M*``, and fitting the data as well as ``M*`` does —
     ``f(x) ≤ f(M*) + FIT_TOL·f(0)`` (:func:`fit_level`; noiseless: ``f(x) ≈ 0``, a global
     minimizer of ``f``): the measurements do not determine ``M*`` (a PSD completion row observed
     only on the diagonal, fewer measurements than degrees of freedom), a failure of the data,
     not of the landscape, and no spurious local minimum in the sense of "worse than global";
   * ``spurious-local-min``: ``certify`` proves a local minimum (``local_min`` True: a strict
     certificate);
   * ``spurious-second-order``: second order but not proved a local minimum — ``local_min``
     False (a higher-order witness, as at Example 3's degenerate point) or None (undecided,
     with the certificate's reason);
   * ``saddle``: first order with negative curvature off the symmetry (the witness is the
     certificate's);
   * ``not-converged``: the searches of step 1 left by step 5, and any group whose point is
     not first order by the certificate's tolerance.

5. **Hovering searches.** A search of step 1 that did not diverge and ended within
   :data:`REFINE_RADIUS` ``· ‖M*‖_F`` of a certified critical point joins that basin (the
   nearest), and is counted in its ``near``: SGD's iterates hover around Example 3's
   degenerate saddle with a gradient that the sampling noise keeps at ~0.5 (these are the
   12 % failures of zhang2018 Fig. 1). The others form the one ``not-converged`` entry.

The census reports each basin's count, its share of the starts with a ±3σ Wilson interval
(:func:`spurious.core._stats.binomial_rate`), ``f``, ``‖x xᵀ − M*‖_F`` and the point, beside
the RIP bounds of the instance over rank ``2r`` (:func:`spurious.rip_bounds`, cheap settings)
and the theorems of :func:`spurious.guarantees` that apply to it.

Reproducibility. The starts are run in chunks of :data:`CHUNK_STARTS` fixed by ``starts``
alone; chunk ``[a, b)`` runs trials ``a … b − 1`` of the seed's per-trial streams
(``first_trial = a``), so the endpoints — and the census — are the same bit for bit for any
number of ``workers``.

Run directory (``survey(..., out=DIR)``, ``spurious survey --out DIR``)::

    manifest.json      the survey's identity (parameters with a fingerprint of the source and of
                       given starts, seed, chunk keys), versions, git commit, per-chunk host, pid,
                       timings and SHA-256, sessions, status
    chunks/            chunk-00000.parquet … one file per finished chunk of starts (one row per
                       search: start, fun, distance, grad_norm, converged, x0 … x{n·r−1}), atomic
    census.parquet     one row per basin (:data:`TABLE_COLUMNS`)
    census.json        :meth:`Census.to_dict`
    endpoints.npz      the certified points and every start's basin and final values
    basins.png         :meth:`Census.figure`
    summary.md         the census for a reader: settings, basins with Wilson intervals, RIP, guarantees

The chunk files, the lock, the refusal of a directory holding another run and the verification
of chunks (recorded SHA-256 in ``manifest.json``) are those of :mod:`spurious.studies._runner`: a
directory holding a survey of other parameters, seed or source is refused; one holding this
survey unfinished is refused unless ``resume=True``, which computes only the chunks without a
verified file, so the census is exactly that of an uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spurious.core._budget import check_work
from spurious.core._errors import InputError
from spurious.core._summary import format_value, jsonable, short_repr
from spurious.core._validation import check_float, check_int

log = logging.getLogger(__name__)

__all__ = ["KINDS", "METHODS", "TABLE_COLUMNS", "Basin", "Census", "SurveyRun", "read_starts", "refine", "survey"]

#: Local-search methods of :func:`survey`.
METHODS = ("gd", "sgd", "perturbed-gd")
#: Named initializations (or pass an array of starts).
INITS = ("gaussian", "spectral")
#: Basin kinds, in the order the census lists them.
KINDS = ("global", "unidentified", "spurious-local-min", "spurious-second-order", "saddle", "not-converged")
#: A point with ``f ≤ f(M*) + FIT_TOL · f(0)`` fits the data as well as the ground truth (:func:`fit_level`).
FIT_TOL = 1e-10
#: Default relative grouping tolerance: ``‖x xᵀ − y yᵀ‖_F ≤ TOL · ‖M*‖_F``.
TOL = 1e-3
#: Largest move of the refinement, relative to ``‖M*‖_F`` (as ``Stop.near``).
REFINE_RADIUS = 0.1
#: Newton iterations of the refinement.
REFINE_STEPS = 100
#: Starts per chunk (fixed: the census does not depend on ``workers``).
CHUNK_STARTS = 1000
#: Cheap settings of the RIP bounds beside the census (rank ``2r``).
RIP_SETTINGS = {"samples": 2000, "starts": 4, "maxiter": 100}
#: Largest work of those bounds (units of :mod:`spurious.core._budget`, ~15 ns each: about a minute
#: on one core); a larger operator (matrix-free at large ``n``) is surveyed without them.
RIP_MAX_WORK = 4e9
#: Rounding allowance of the computed δ when a theorem's threshold is compared with it (Example 3
#: sits exactly at δ = 1/2, computed as 1/2 − 1e-16: "open", not "applies").
DELTA_ROUNDING = 1e-9
#: Default steps of each method (SGD: zhang2018 Fig. 1).
DEFAULT_STEPS = {"gd": 10_000, "sgd": 1_000, "perturbed-gd": 10_000}
#: GD stops a search at ``‖∇f‖_F ≤ GRAD_STOP · s · max(‖x★‖_F, 1)``, ``s = ‖∇²f(x★)‖₂`` at a factor
#: ``x★`` of ``M*`` (rounding level: the census is the same as without the stop, only faster).
GRAD_STOP = 1e-13
#: Cell of the certificates' random streams (the searches use cell 0).
CERTIFY_CELL = 1
#: Columns of ``census.parquet`` (:meth:`Census.table`), one row per basin.
TABLE_COLUMNS = (
    "basin",
    "kind",
    "count",
    "share",
    "ci_low",
    "ci_high",
    "f",
    "distance",
    "grad_norm",
    "hess_min_eig",
    "local_min",
    "method",
    "reason",
    "refined",
    "spread",
    "near",
    "x",
)
#: Probe points of the source's fingerprint in a run directory's manifest.
FINGERPRINT_PROBES = 4


@dataclass(frozen=True)
class Basin:
    """One distinct endpoint of a :class:`Census` and the starts that reached it.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    count : int
        Number of starts that ended here.
    share : float
        ``count / starts``.
    ci : tuple of float
        ±3σ Wilson interval of the share.
    f : float
        ``f`` at the point (median over the searches for the unconverged entry).
    distance : float
        ``‖x xᵀ − M*‖_F`` at the point (median for the unconverged entry).
    grad_norm : float
        ``‖∇f‖_F`` at the point (median for the unconverged entry).
    x : (n, r) array or None
        The certified point (refined leader); None for the searches that did not converge.
    local_min : bool or None
        The certificate's verdict (None: undecided, or no certificate).
    method : str
        How the certificate decided (``"strict"``, ``"fourth-order"``, ``"negative-curvature"`` …),
        ``"solver"`` for the searches that did not converge.
    reason : str
        One line: why this kind.
    hess_min_eig : float or None
        Smallest Hessian eigenvalue off the rotation directions.
    refined : bool
        Whether Newton refinement moved the leader (step 3 of the module docstring).
    spread : float or None
        Largest ``‖x_i x_iᵀ − x xᵀ‖_F`` over the endpoints ``x_i`` of the basin (None for the
        unconverged entry).
    near : int
        How many of ``count`` are searches that did not converge but ended within
        :data:`REFINE_RADIUS` ``· ‖M*‖_F`` of the point (SGD hovering at a degenerate saddle);
        for the unconverged entry, its count.
    certificate : Certificate or None
    """

    kind: str
    count: int
    share: float
    ci: tuple[float, float]
    f: float
    distance: float
    grad_norm: float
    x: np.ndarray | None = field(repr=False)
    local_min: bool | None
    method: str
    reason: str
    hess_min_eig: float | None
    refined: bool
    spread: float | None
    near: int = 0
    certificate: object | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, object]:
        """JSON-able summary (the issue's keys first: kind, count, share, ci, f, distance, x)."""
        return jsonable(
            {
                "kind": self.kind,
                "count": self.count,
                "share": self.share,
                "ci": list(self.ci),
                "f": self.f,
                "distance": self.distance,
                "x": None if self.x is None else self.x.tolist(),
                "grad_norm": self.grad_norm,
                "local_min": self.local_min,
                "method": self.method,
                "reason": self.reason,
                "hess_min_eig": self.hess_min_eig,
                "refined": self.refined,
                "spread": self.spread,
                "near": self.near,
            }
        )


@dataclass(frozen=True)
class SurveyRun:
    """The run directory :func:`survey` wrote (``Census.run``; None when ``out`` was not given).

    Attributes
    ----------
    out : Path
        The run directory.
    files : tuple of Path
        The census files written (:meth:`Census.save`).
    manifest : Path
        ``out/manifest.json``.
    chunks_run, chunks_reused : int
        Chunks of starts computed by this call, and verified chunk files found on disk.
    """

    out: Path
    files: tuple[Path, ...]
    manifest: Path
    chunks_run: int
    chunks_reused: int

    def to_dict(self) -> dict[str, object]:
        """JSON-able: ``out``, ``files``, ``manifest``, ``chunks_run``, ``chunks_reused``."""
        return {
            "out": str(self.out),
            "files": [str(p) for p in self.files],
            "manifest": str(self.manifest),
            "chunks_run": self.chunks_run,
            "chunks_reused": self.chunks_reused,
        }


@dataclass(frozen=True, eq=False)
class Census:
    """The census of :func:`survey`: basins of the endpoints of many local searches.

    Attributes
    ----------
    source : str
        What was surveyed (an example's name, an instance's metadata, or the problem's type).
    n, r : int
        Size and search rank.
    starts : int
        Number of local searches.
    method, init : str
    seed : int
    options : dict
        Every setting of the searches (steps, lr, momentum, backtracking …) and of the census
        (``tol``).
    basins : tuple of Basin
        Distinct endpoints in the order of :data:`KINDS`, then by decreasing count; counts sum
        to ``starts``.
    counts : dict
        Starts per kind (every kind of :data:`KINDS`).
    rip : RIPBounds or None
        Bounds on the instance's ``δ₂ᵣ`` (None when the problem has no sensing operator).
    guarantees : tuple of (Guarantee, str)
        Each theorem of :func:`spurious.guarantees` with ``"applies"`` (the upper bound
        satisfies it), ``"does not apply"`` (the lower bound already violates it, or wrong
        rank) or ``"open"`` (the bounds straddle its threshold).
    contradictions : tuple of str
        Theorems that apply but whose conclusion the census contradicts (a spurious local
        minimum found where "no spurious local minima" applies): empty unless something is wrong.
    labels : (starts,) int array
        The basin of every start (an index into ``basins``).
    fun, distance, grad_norm : (starts,) arrays
        The searches' final values.
    problem : SymmetricProblem
        The problem surveyed (for :meth:`figure`).
    run : SurveyRun or None
        The run directory written by ``survey(..., out=DIR)`` (not part of :meth:`to_dict`).
    """

    source: str
    n: int
    r: int
    starts: int
    method: str
    init: str
    seed: int
    options: dict
    basins: tuple[Basin, ...]
    counts: dict[str, int]
    rip: object | None = field(repr=False)
    guarantees: tuple = field(repr=False)
    contradictions: tuple[str, ...]
    labels: np.ndarray = field(repr=False)
    fun: np.ndarray = field(repr=False)
    distance: np.ndarray = field(repr=False)
    grad_norm: np.ndarray = field(repr=False)
    problem: object = field(default=None, repr=False)
    run: SurveyRun | None = field(default=None, repr=False)

    def shares(self) -> dict[str, object]:
        """Share of the starts per kind, each a :class:`~spurious.core._stats.Rate` (±3σ Wilson)."""
        from spurious.core._stats import binomial_rate

        return {k: binomial_rate(c, self.starts) for k, c in self.counts.items()}

    @property
    def spurious_local_minima(self) -> tuple[Basin, ...]:
        """The basins of kind ``spurious-local-min``."""
        return tuple(b for b in self.basins if b.kind == "spurious-local-min")

    def to_dict(self) -> dict[str, object]:
        """JSON-able census: ``starts``, ``endpoints`` (``{kind, count, share, ci, f, distance, x, …}``), counts,
        shares, the RIP bounds and the guarantees."""
        shares = self.shares()
        return jsonable(
            {
                "source": self.source,
                "n": self.n,
                "r": self.r,
                "starts": self.starts,
                "method": self.method,
                "init": self.init,
                "seed": self.seed,
                "options": self.options,
                "counts": dict(self.counts),
                "shares": {k: {"share": v.rate, "ci": list(v.ci)} for k, v in shares.items()},
                "ci_method": "wilson",
                "confidence": next(iter(shares.values())).confidence,
                "endpoints": [b.to_dict() for b in self.basins],
                "rip": None if self.rip is None else self.rip.to_dict(),
                "guarantees": [
                    {
                        "theorem": g.theorem,
                        "conclusion": g.conclusion,
                        "threshold": g.threshold,
                        "rip_rank": g.rip_rank,
                        "status": status,
                    }
                    for g, status in self.guarantees
                ],
                "contradictions": list(self.contradictions),
            }
        )

    def table(self):
        """The basins as a tidy :class:`pandas.DataFrame`, one row each (the rows of ``census.parquet``).

        Columns (:data:`TABLE_COLUMNS`): ``basin`` (its index, the ``label`` of
        ``endpoints.npz``), ``kind``, ``count``, ``share``, ``ci_low`` and ``ci_high`` (the ±3σ
        Wilson interval), ``f``, ``distance`` (``‖x xᵀ − M*‖_F``), ``grad_norm``,
        ``hess_min_eig`` (NaN when not computed), ``local_min`` (nullable boolean: <NA> when
        undecided), ``method`` and ``reason`` (the certificate's), ``refined``, ``spread`` (NaN
        for the unconverged entry), ``near``, and ``x``: the certified point as a list of the
        ``n·r`` entries of ``x`` in row-major order (``np.reshape(x, (n, r))``), None for the
        unconverged entry.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        def num(v):
            return float("nan") if v is None else float(v)

        rows = [
            {
                "basin": i,
                "kind": b.kind,
                "count": b.count,
                "share": b.share,
                "ci_low": b.ci[0],
                "ci_high": b.ci[1],
                "f": b.f,
                "distance": b.distance,
                "grad_norm": b.grad_norm,
                "hess_min_eig": num(b.hess_min_eig),
                "local_min": b.local_min,
                "method": b.method,
                "reason": b.reason,
                "refined": b.refined,
                "spread": num(b.spread),
                "near": b.near,
                "x": None if b.x is None else [float(v) for v in b.x.ravel()],
            }
            for i, b in enumerate(self.basins)
        ]
        df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
        df = df.astype({"basin": "int64", "count": "int64", "near": "int64", "refined": bool})
        for c in ("share", "ci_low", "ci_high", "f", "distance", "grad_norm", "hess_min_eig", "spread"):
            df[c] = df[c].astype("float64")
        df["local_min"] = pd.array(list(df["local_min"]), dtype="boolean")
        return df

    def save(self, directory: str | Path, *, figure: bool = True) -> tuple[Path, ...]:
        """Write the census files into ``directory`` (created), each atomically.

        ``census.json`` (:meth:`to_dict`), ``census.parquet`` (:meth:`table`, one row per basin),
        ``endpoints.npz`` — ``x`` (the certified points, ``(E, n, r)``, NaN for the unconverged
        entry), ``kind`` and ``count`` per basin, and ``label``, ``fun``, ``distance``,
        ``grad_norm`` per start —, ``basins.png`` (:meth:`figure`, when ``figure`` is True and
        matplotlib is installed) and ``summary.md`` (:func:`summary_markdown`).

        Parameters
        ----------
        directory : path-like
        figure : bool
            Also write ``basins.png``.

        Returns
        -------
        tuple of Path
            The files written, in the order above.
        """
        from spurious.core._atomic import atomic_write
        from spurious.studies._report import atomic_write_text

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        text = json.dumps(_finite(self.to_dict()), indent=1) + "\n"
        js = atomic_write(d / "census.json", lambda p: p.write_text(text, encoding="utf-8"))
        table = self.table()
        pq = atomic_write(d / "census.parquet", lambda p: table.to_parquet(p, index=False))
        xs = np.full((len(self.basins), self.n, self.r), np.nan)
        for i, b in enumerate(self.basins):
            if b.x is not None:
                xs[i] = b.x
        arrays = {
            "x": xs,
            "kind": np.array([b.kind for b in self.basins], dtype=str),
            "count": np.array([b.count for b in self.basins], dtype=np.int64),
            "label": self.labels,
            "fun": self.fun,
            "distance": self.distance,
            "grad_norm": self.grad_norm,
        }
        npz = atomic_write(d / "endpoints.npz", lambda p: np.savez(p, **arrays), suffix=".npz")
        files = [js, pq, npz]
        if figure and self.problem is not None:
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                pass
            else:
                files.append(self.figure(d / "basins.png"))
        summary = d / "summary.md"
        atomic_write_text(summary, summary_markdown(self.to_dict(), figure=d / "basins.png" in files))
        return (*files, summary)

    def figure(self, path: str | Path) -> Path:
        """Draw the census into ``path`` (PNG, written atomically).

        For ``n·r = 2`` the landscape itself: contours of ``log₁₀(f − f_min + ε)`` over the
        plane, every certified point ``±x`` marked by kind with its share; otherwise the basin
        shares as bars with their ±3σ Wilson intervals.

        Parameters
        ----------
        path : path-like

        Returns
        -------
        Path
        """
        from spurious.core._atomic import atomic_write
        from spurious.studies._plotting import pyplot

        plt = pyplot()
        marks = {
            "global": ("o", "tab:green"),
            "unidentified": ("P", "tab:olive"),
            "spurious-local-min": ("X", "tab:red"),
            "spurious-second-order": ("D", "tab:orange"),
            "saddle": ("^", "tab:purple"),
            "not-converged": ("s", "tab:gray"),
        }
        pts = [b for b in self.basins if b.x is not None]
        if self.n * self.r == 2 and self.problem is not None:
            fig, ax = plt.subplots(figsize=(6.0, 5.0))
            ext = max([1.5, *(1.3 * float(np.abs(b.x).max()) for b in pts)])
            g = np.linspace(-ext, ext, 241)
            a, c = np.meshgrid(g, g)
            grid = np.stack([a.ravel(), c.ravel()], axis=1).reshape(-1, self.n, self.r)
            fv = np.asarray(self.problem.value(grid), dtype=float).reshape(a.shape)
            lv = np.log10(fv - fv.min() + 1e-3 * max(float(np.ptp(fv)), 1e-300))
            cs = ax.contourf(a, c, lv, levels=30, cmap="viridis")
            fig.colorbar(cs, ax=ax, label=r"$\log_{10}(f - f_{\min} + \varepsilon)$")
            for b in pts:
                m, col = marks[b.kind]
                xy = np.vstack([b.x.ravel(), -b.x.ravel()]) if self.r == 1 else b.x.reshape(1, 2)
                ax.scatter(
                    xy[:, 0],
                    xy[:, 1],
                    marker=m,
                    s=90,
                    c=col,
                    edgecolors="white",
                    zorder=3,
                    label=f"{b.kind} ({100 * b.share:.1f} %)",
                )
            ax.set_xlabel(r"$x_1$" if self.r == 1 else r"$x_{11}$")
            ax.set_ylabel(r"$x_2$" if self.r == 1 else r"$x_{12}$")
            ax.set_aspect("equal")
            ax.legend(loc="upper right", fontsize=8)
        else:
            fig, ax = plt.subplots(figsize=(6.5, 0.5 * len(self.basins) + 1.5))
            labels = [f"{b.kind} #{i}" for i, b in enumerate(self.basins)]
            share = np.array([100 * b.share for b in self.basins])
            lo = np.array([100 * b.ci[0] for b in self.basins])
            hi = np.array([100 * b.ci[1] for b in self.basins])
            ax.barh(labels, share, xerr=[share - lo, hi - share], color=[marks[b.kind][1] for b in self.basins])
            ax.invert_yaxis()
            ax.set_xlabel(r"share of the starts (%), $\pm 3\sigma$ Wilson")
        ax.set_title(f"{self.source}: {self.starts:,} starts, {self.method}", fontsize=10)
        fig.tight_layout()

        def write(tmp: Path) -> None:
            fig.savefig(tmp, dpi=120, format="png")

        try:
            return atomic_write(path, write, suffix=".png")
        finally:
            plt.close(fig)

    def __str__(self) -> str:
        return render(self.to_dict())

    def __repr__(self) -> str:
        return short_repr(self, ("source", "starts", "method", "counts"))


def _finite(obj):
    """JSON without NaN/inf: NaN → None, ±inf → ``"inf"``/``"-inf"`` (as the CLI's ``--json``)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def _pct(v: float) -> str:
    return f"{100 * v:.2f}"


def _cells(row: list[str], widths: list[int]) -> str:
    return "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()


def render(d: dict) -> str:
    """The text of a census from its :meth:`Census.to_dict` (also the CLI's text output)."""
    opts = d["options"]
    how = ", ".join(f"{k} {format_value(opts[k])}" for k in ("steps", "lr", "momentum", "backtracking") if k in opts)
    lines = [
        f"Survey of {d['source']} (n = {d['n']}, r = {d['r']}): {d['starts']:,} starts, "
        f"{d['method']} ({how}), {d['init']} starts, seed {d['seed']}"
    ]
    table = [["kind", "count", "share % [±3σ Wilson]", "f", "‖xxᵀ − M*‖_F", "‖∇f‖", "point"]]
    notes = []
    for e in d["endpoints"]:
        lo, hi = e["ci"]
        x = "—" if e["x"] is None else format_value(np.asarray(e["x"], dtype=float))
        table.append(
            [
                e["kind"],
                str(e["count"]),
                f"{_pct(e['share'])} [{_pct(lo)}, {_pct(hi)}]",
                format_value(e["f"]),
                format_value(e["distance"]),
                format_value(e["grad_norm"]),
                x,
            ]
        )
        verdict = {True: "yes", False: "no", None: "undecided"}[e["local_min"]]
        notes.append(f"local min {verdict} ({e['method']}): {e['reason']}")
    widths = [max(len(row[j]) for row in table) for j in range(len(table[0]))]
    lines.append(_cells(table[0], widths))
    for row, note in zip(table[1:], notes, strict=True):
        lines.append(_cells(row, widths))
        lines.append("  " + " " * (widths[0] + 2) + note)
    lines.append("  totals    " + ", ".join(f"{k} {v}" for k, v in d["counts"].items()))
    rip = d["rip"]
    if rip is not None:
        how = "exact" if rip["method"] == "exact" else "adversarial lower bound, exact full-rank upper bound"
        lines.append(f"  RIP       δ over rank ≤ {rip['rank']} in [{rip['lower']:.10g}, {rip['upper']:.10g}] ({how})")
        for status in ("applies", "open"):
            names = [g["theorem"] for g in d["guarantees"] if g["status"] == status]
            if names:
                lines.append(f"  {status:<10}" + "; ".join(names))
        if not any(g["status"] in ("applies", "open") for g in d["guarantees"]):
            lines.append("  applies   none: δ is above the threshold of every guarantee")
    if d["contradictions"]:
        lines.append("  CONTRADICTS " + "; ".join(d["contradictions"]))
    return "\n".join(lines)


def summary_markdown(d: dict, *, figure: bool = False) -> str:
    """``summary.md`` of a census from its :meth:`Census.to_dict`: what was surveyed and how, the
    basins with their ±3σ Wilson intervals and certificates, the RIP bounds and the guarantees.

    Parameters
    ----------
    d : dict
        :meth:`Census.to_dict`.
    figure : bool
        Show ``basins.png`` (written beside it).

    Returns
    -------
    str
    """
    from spurious.studies._report import _md

    opts = d["options"]
    how = ", ".join(f"{k} {format_value(v)}" for k, v in opts.items() if k not in ("tol", "success", "stall"))
    lines = [
        f"# Survey of {_md(d['source'])}",
        "",
        f"- source: {_md(d['source'])} (n = {d['n']}, r = {d['r']})",
        f"- starts: {d['starts']:,} ({d['init']} starts), seed {d['seed']}",
        f"- method: {d['method']} ({_md(how)})",
        f"- grouping: ‖xxᵀ − yyᵀ‖_F ≤ tol·‖M*‖_F with tol = {format_value(opts['tol'])}; converged: within "
        f"{format_value(opts['success'])} of M* or ‖∇f‖ ≤ {format_value(opts['stall'])}·‖∇f(x₀)‖",
        "- counts: " + ", ".join(f"{k} {v:,}" for k, v in d["counts"].items()),
        "",
        "## Basins",
        "",
        f"Shares of the {d['starts']:,} starts with ±3σ Wilson intervals (`census.parquet` holds these rows).",
        "",
        "| # | kind | count | share % | ±3σ Wilson % | f | ‖xxᵀ − M*‖_F | ‖∇f‖ | local min | point |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    notes = []
    for i, e in enumerate(d["endpoints"]):
        lo, hi = e["ci"]
        x = "—" if e["x"] is None else format_value(np.asarray(e["x"], dtype=float))
        verdict = {True: "yes", False: "no", None: "undecided"}[e["local_min"]]
        cells = [
            str(i),
            e["kind"],
            f"{e['count']:,}",
            _pct(e["share"]),
            f"[{_pct(lo)}, {_pct(hi)}]",
            format_value(e["f"]),
            format_value(e["distance"]),
            format_value(e["grad_norm"]),
            f"{verdict} ({e['method']})",
            x,
        ]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        notes.append(f"{i}. **{e['kind']}**: {_md(e['reason'])}")
    lines += ["", *notes, "", "## RIP and guarantees", ""]
    rip = d["rip"]
    if rip is None:
        lines.append("Not computed (no sensing operator, or skipped).")
    else:
        how = "exact" if rip["method"] == "exact" else "adversarial lower bound, exact full-rank upper bound"
        lines += [
            f"δ over rank ≤ {rip['rank']} in [{rip['lower']:.10g}, {rip['upper']:.10g}] ({how}).",
            "",
            "| theorem | conclusion | δ below | RIP rank | status |",
            "| --- | --- | --- | --- | --- |",
        ]
        for g in d["guarantees"]:
            cells = [g["theorem"], g["conclusion"], format_value(g["threshold"]), g["rip_rank"], g["status"]]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    if d["contradictions"]:
        lines += ["", "**Contradictions**: " + "; ".join(_md(c) for c in d["contradictions"])]
    if figure:
        lines += ["", "## Figure", "", "![basins](basins.png)"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# the searches


def _run_chunk(params: dict, chunk: tuple, seed: int):
    """The searches of starts ``chunk = (first, count, x0 or None)``: a DataFrame, one row per start."""
    import pandas as pd

    from spurious.solvers._result import Outcome, Status
    from spurious.solvers._stopping import Stop

    first, count, x0 = chunk
    problem = params["problem"]
    method = params["method"]
    kw = dict(params["solver"])
    stop = Stop(grad=params.get("grad_stop"), success=params["success"], stall=params["stall"])
    if method == "gd":
        from spurious.solvers._gd import gd

        res = gd(problem, x0=x0, trials=count, seed=seed, first_trial=first, stop=stop, **kw)
    elif method == "sgd":
        from spurious.solvers._sgd import sgd

        res = sgd(problem, x0=x0, trials=count, seed=seed, first_trial=first, stop=stop, **kw)
    else:
        from spurious.solvers._perturbed import perturbed_gd

        res = perturbed_gd(problem, x0=x0, trials=count, seed=seed, first_trial=first, stop=stop, **kw)
    outcome = res.outcome
    converged = (outcome == Outcome.RECOVERED) | (outcome == Outcome.STALLED)
    converged &= res.status != Status.DIVERGED
    n, r = problem.n, problem.r
    cols = {
        "start": np.arange(first, first + count),
        "fun": res.fun,
        "distance": res.distance,
        "grad_norm": res.grad_norm,
        "converged": converged,
    }
    flat = res.x.reshape(count, n * r)
    for j in range(n * r):
        cols[f"x{j}"] = flat[:, j]
    return pd.DataFrame(cols)


def _gram_distance(x: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``‖x xᵀ − y yᵀ‖_F`` for one ``x`` (n, r) and many ``ys`` (L, n, r), through r×r Gram matrices."""
    a = np.sum((x.T @ x) ** 2)
    b = np.einsum("lji,ljk->lik", ys, ys)  # yᵀy
    c = np.einsum("ji,ljk->lik", x, ys)  # xᵀy
    d2 = a + np.sum(b**2, axis=(1, 2)) - 2 * np.sum(c**2, axis=(1, 2))
    return np.sqrt(np.maximum(d2, 0.0))


def _leaders(points: np.ndarray, order: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Greedy grouping: in ``order``, each point joins the first leader within ``radius``, else leads.

    Returns the leaders' indices (into ``points``) and every point's group (an index into them).
    """
    group = np.full(len(points), -1, dtype=np.int64)
    leaders: list[int] = []
    for i in order:
        if leaders:
            d = _gram_distance(points[i], points[leaders])
            hit = np.flatnonzero(d <= radius)
            if hit.size:
                group[i] = hit[0]
                continue
        group[i] = len(leaders)
        leaders.append(int(i))
    return np.array(leaders, dtype=np.int64), group


def refine(problem, x: np.ndarray, steps: int = REFINE_STEPS) -> tuple[np.ndarray, float]:
    """Newton's method for ``∇f = 0`` off the rotation directions, from ``x``: the critical point nearby.

    Each step solves ``Pᵀ∇²f P d = −Pᵀ∇f`` in the least-squares sense (pseudo-inverse),
    ``P`` an orthonormal basis of the complement of ``{x W : W skew}``; Newton is attracted by
    saddles as much as by minima, which is what locates the critical point a stuck search
    approximates (linearly, at rate 2/3, at a degenerate point where ``f`` is quartic).

    Parameters
    ----------
    problem : SymmetricProblem
    x : (n, r) array
    steps : int
        Largest number of Newton steps.

    Returns
    -------
    (x, grad_norm)
        The iterate of smallest gradient norm met (``x`` itself if none is smaller) and that norm.
    """
    from spurious.core._linalg import orthogonal_complement, rotation_directions, unvec, vec

    n, r = x.shape
    best, gbest = x, float(np.linalg.norm(problem.gradient(x)))
    y = x
    for _ in range(steps):
        g = problem.gradient(y)
        gn = float(np.linalg.norm(g))
        if not np.isfinite(gn):
            break
        if gn < gbest:
            best, gbest = y, gn
        if gn == 0.0:
            break
        H = problem.hessian(y)
        P = orthogonal_complement(rotation_directions(y), n * r)
        d = P @ (np.linalg.pinv(P.T @ H @ P, rcond=1e-13, hermitian=True) @ (P.T @ vec(g)))
        if not np.all(np.isfinite(d)) or np.linalg.norm(d) <= 1e-17 * max(np.linalg.norm(y), 1.0):
            break
        y = y - unvec(d, n, r)
    return best, gbest


# ---------------------------------------------------------------------------------------
# survey


def _source_name(obj: object) -> str:
    from spurious.core._examples import Example
    from spurious.core._instances import Instance

    if isinstance(obj, str):
        return obj
    if isinstance(obj, Example):
        return obj.name
    if isinstance(obj, Instance):
        meta = obj.metadata or {}
        return str(meta.get("example") or meta.get("source") or "instance")
    return type(obj).__name__


def _starts(init, problem, starts: int) -> tuple[str, np.ndarray | None]:
    if isinstance(init, str):
        if init not in INITS:
            raise InputError(f"init = {init!r}: expected one of {', '.join(INITS)} or an array of starts")
        if init == "gaussian":
            return "gaussian", None
        from spurious.solvers._init import spectral

        return "spectral", spectral(problem, 1)[0]
    from spurious.core._validation import as_real_array

    x0 = as_real_array(init, "init", ndim=(1, 2, 3))
    if x0.ndim == 1 and problem.r == 1:
        x0 = x0[:, None]
    if x0.ndim == 2:
        if x0.shape != (problem.n, problem.r):
            raise InputError(f"init: shape {x0.shape}, expected ({problem.n}, {problem.r}) or (starts, n, r)")
        return "given", x0
    if x0.shape != (starts, problem.n, problem.r):
        raise InputError(f"init: shape {x0.shape}, expected ({starts}, {problem.n}, {problem.r})")
    return "given", x0


def _reference_scale(problem) -> tuple[float, float]:
    """``(s, ‖x★‖_F)``: ``s = ‖∇²f(x★)‖₂`` at the factor ``x★`` of the top ``r`` eigenpairs of ``M*`` (1 if zero)."""
    lam, V = np.linalg.eigh(problem.m_star)
    r = problem.r
    xs = V[:, ::-1][:, :r] * np.sqrt(np.clip(lam[::-1][:r], 0.0, None))
    s = float(np.linalg.norm(problem.hessian(xs), 2))
    return (s if s > 0 and np.isfinite(s) else 1.0), float(np.linalg.norm(xs))


def _solver_options(method: str, steps: int, lr, momentum: float, extra: dict, scale: float) -> dict:
    opts: dict = {"steps": steps}
    if method == "gd":
        if lr is None:
            opts.update(lr=1.0 / scale, backtracking=True)
        else:
            opts.update(lr=lr, momentum=momentum)
    else:
        if lr is None:
            raise InputError(f"lr: required for method = {method!r} (gd alone has a default: Armijo backtracking)")
        opts["lr"] = lr
        if method == "sgd":
            opts["momentum"] = momentum
        elif momentum:
            raise InputError(f"momentum = {momentum}: perturbed-gd has no momentum")
    opts.update(extra)
    return opts


def survey(
    source: object,
    *,
    starts: int,
    method: str = "gd",
    init: str | np.ndarray = "gaussian",
    seed: int = 0,
    steps: int | None = None,
    lr: float | None = None,
    momentum: float = 0.0,
    r: int | None = None,
    tol: float = TOL,
    success: float = 1e-2,
    stall: float = 1e-3,
    rip: bool = True,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    **solver_options,
) -> Census:
    """A landscape census: ``starts`` local searches, their endpoints grouped and certified.

    Parameters
    ----------
    source : str, Example, Instance or SymmetricProblem
        A built-in example's name, an :class:`~spurious.Example`, an :class:`~spurious.Instance`
        (its least-squares problem) or a symmetric problem.
    starts : int
        Number of local searches ``K``.
    method : {"gd", "sgd", "perturbed-gd"}
        :func:`spurious.gd`, :func:`spurious.sgd` or :func:`spurious.perturbed_gd`.
    init : {"gaussian", "spectral"} or array
        Standard Gaussian starts from each trial's stream (the solvers' default), the spectral
        start for every search (:func:`spurious.init.spectral`), an ``(n, r)`` start for all
        or ``(starts, n, r)`` starts.
    seed : int
        Seed of the per-trial streams (starts, SGD indices, perturbations) and of the certificates.
    steps : int, optional
        Steps per search; default :data:`DEFAULT_STEPS` (10,000 for GD and perturbed GD,
        1,000 for SGD).
    lr : float, optional
        Step size. GD without ``lr`` uses Armijo backtracking from ``1/s`` each step,
        ``s = ‖∇²f(x★)‖₂`` at a factor ``x★`` of ``M*``; SGD and perturbed GD need it.
    momentum : float
        Heavy-ball momentum of GD (with ``lr``) and SGD.
    r : int, optional
        Search rank (default the instance's).
    tol : float
        Relative grouping tolerance (module docstring): endpoints with
        ``‖x xᵀ − y yᵀ‖_F ≤ tol · ‖M*‖_F`` are one endpoint; also the tolerance of ``global``.
    success, stall : float
        :class:`~spurious.Stop` tolerances deciding whether a search converged (within
        ``success`` of ``M*``, or ``‖∇f‖ ≤ stall · ‖∇f(x₀)‖``).
    rip : bool
        Compute the RIP bounds over rank ``2r`` and the guarantees (:data:`RIP_SETTINGS`).
    workers : int, optional
        Processes running the chunks of starts (default 1: this process); the census does not
        depend on it.
    scheduler : str, optional
        A Dask scheduler address instead of local processes.
    out : path-like, optional
        A run directory (module docstring): every finished chunk of starts is saved there at
        once, and the census files, ``summary.md`` and ``manifest.json`` at the end
        (``Census.run`` says where). A directory holding this survey complete is reused (its
        verified chunks are read, nothing is recomputed); one holding another survey or run is
        refused.
    resume : bool
        Finish the survey already in ``out`` (same parameters, seed and source): only chunks
        without a verified file run, and the census is that of an uninterrupted run.
    **solver_options
        Other keywords of the method (``nesterov``, ``grad``, ``perturb_radius`` …); JSON-able
        ones only with ``out`` (the manifest records them).

    Returns
    -------
    Census

    Raises
    ------
    InputError
        Bad arguments (the message names the argument); with ``out``, a directory holding
        another run, or this one unfinished without ``resume``.
    TooLargeError
        ``starts × steps`` beyond the work budget.

    Notes
    -----
    With ``workers > 1`` the chunks run in processes started with ``spawn``, which re-imports
    the calling script: call ``survey`` under ``if __name__ == "__main__":`` there.

    Examples
    --------
    >>> s = sp.survey("zhang2018-example3", starts=200, lr=1e-2, steps=1000, seed=0)
    >>> sorted(k for k, c in s.counts.items() if c)
    ['global', 'not-converged', 'spurious-second-order']
    >>> sum(s.counts.values())
    200
    """
    from spurious.core._problems import SymmetricProblem
    from spurious.core._sources import as_problem
    from spurious.studies._execution import execute

    starts = check_int(starts, "starts", 1)
    if method not in METHODS:
        raise InputError(f"method = {method!r}: expected one of {', '.join(METHODS)}")
    seed = check_int(seed, "seed", 0)
    steps = DEFAULT_STEPS[method] if steps is None else check_int(steps, "steps", 1)
    if lr is not None:
        lr = check_float(lr, "lr", 0.0, open_low=True)
    momentum = check_float(momentum, "momentum", 0.0, 1.0, open_high=True)
    tol = check_float(tol, "tol", 0.0, open_low=True)
    success = check_float(success, "success", 0.0)
    stall = check_float(stall, "stall", 0.0)
    if workers is not None:
        workers = check_int(workers, "workers", 1)
    problem, _ = as_problem(source, r)
    if not isinstance(problem, SymmetricProblem):
        raise InputError(f"source: expected a symmetric problem, got {type(problem).__name__} (use .lifted())")
    init_name, x0 = _starts(init, problem, starts)
    s_ref, x_ref = _reference_scale(problem)
    solver = _solver_options(method, steps, lr, momentum, solver_options, s_ref)
    # GD stops where the gradient is at rounding level (SGD never stops early; perturbed GD must not)
    grad_stop = GRAD_STOP * s_ref * max(x_ref, 1.0) if method == "gd" else None
    check_work(float(starts) * steps, f"survey: starts = {starts} × steps = {steps}")

    n, rr = problem.n, problem.r
    chunks = []
    for i, a in enumerate(range(0, starts, CHUNK_STARTS)):
        k = min(CHUNK_STARTS, starts - a)
        xs = None if x0 is None else (np.broadcast_to(x0, (k, n, rr)).copy() if x0.ndim == 2 else x0[a : a + k])
        chunks.append((i, (a, k, xs)))
    params = {
        "problem": problem,
        "method": method,
        "solver": solver,
        "success": success,
        "stall": stall,
        "grad_stop": grad_stop,
    }
    settings = {
        "source": _source_name(source),
        "problem": problem,
        "starts": starts,
        "method": method,
        "init_name": init_name,
        "seed": seed,
        "solver": solver,
        "grad_stop": grad_stop,
        "tol": tol,
        "success": success,
        "stall": stall,
        "rip": rip,
    }
    workers = 1 if workers is None and scheduler is None else workers
    if out is not None:
        return _survey_into(Path(out), bool(resume), chunks, params, settings, x0, workers, scheduler)
    if resume:
        raise InputError("resume: needs out, the run directory to finish")
    frames: dict[int, object] = {}
    execute(
        chunks,
        run_chunk=_run_chunk,
        params=params,
        seed=seed,
        on_done=lambda res: frames.__setitem__(res.index, res.frame),
        workers=workers,
        scheduler=scheduler,
    )
    import pandas as pd

    return _census(pd.concat([frames[i] for i in range(len(chunks))], ignore_index=True), **settings)


def _census(
    df,
    *,
    source: str,
    problem,
    starts: int,
    method: str,
    init_name: str,
    seed: int,
    solver: dict,
    grad_stop: float | None,
    tol: float,
    success: float,
    stall: float,
    rip: bool,
) -> Census:
    """The census of the searches' rows ``df`` (chunk frames in start order): steps 2–5 of the module docstring."""
    from spurious.core._stats import binomial_rate

    n, rr = problem.n, problem.r
    X = df[[f"x{j}" for j in range(n * rr)]].to_numpy().reshape(starts, n, rr)
    fun = df["fun"].to_numpy(dtype=float)
    dist = df["distance"].to_numpy(dtype=float)
    gnorm = df["grad_norm"].to_numpy(dtype=float)
    conv = df["converged"].to_numpy(dtype=bool)

    mnorm = float(np.linalg.norm(problem.m_star))
    radius = tol * (mnorm if mnorm > 0 else 1.0)
    move = REFINE_RADIUS * (mnorm if mnorm > 0 else 1.0)
    idx = np.flatnonzero(conv)
    order = np.lexsort((idx, gnorm[idx]))  # by gradient norm, then by start
    lead, group = _leaders(X[idx], order, radius)
    # refine each leader; keep the refinement when it lowers the gradient within REFINE_RADIUS
    points, refined = [], []
    for li in lead:
        x = X[idx[li]]
        y, gy = refine(problem, x)
        ok = gy < gnorm[idx[li]] and _gram_distance(x, y[None])[0] <= move
        points.append(y if ok else x)
        refined.append(bool(ok and y is not x))
    pts = np.array(points).reshape(len(lead), n, rr)
    # merge refined leaders that coincide (in order of their gradient norms)
    pg = np.array([float(np.linalg.norm(problem.gradient(p))) for p in pts]) if len(pts) else np.zeros(0)
    heads, merged = _leaders(pts, np.lexsort((np.arange(len(pts)), pg)), radius) if len(pts) else ([], [])
    basins_raw = []
    labels = np.full(starts, -1, dtype=np.int64)
    for gi, h in enumerate(heads):
        members_l = np.flatnonzero(np.asarray(merged) == gi)  # leaders merged into this head
        members = idx[np.isin(group, members_l)]
        basins_raw.append((pts[h], bool(refined[h]), members))

    from spurious.core._rng import trial_stream
    from spurious.landscape._certify import certify

    # a point with x xᵀ = M* (to tol) is a global minimum whatever its Hessian: no higher-order test there
    certs = [
        certify(
            problem,
            x,
            decide=float(problem.distance(x[None])[0]) > radius,
            rng=trial_stream(seed, gi, CERTIFY_CELL),
        )
        for gi, (x, _, _) in enumerate(basins_raw)
    ]
    fit = fit_level(problem)
    kinds = [_kind(c, radius, fit) for c in certs]
    # unconverged endpoints hovering within REFINE_RADIUS of a certified critical point join its basin
    lost = np.flatnonzero(~conv)
    near: list[np.ndarray] = [np.zeros(0, dtype=np.int64) for _ in basins_raw]
    critical = [gi for gi, (k, _) in enumerate(kinds) if k != "not-converged"]
    if lost.size and critical:
        cpts = np.array([basins_raw[gi][0] for gi in critical]).reshape(len(critical), n, rr)
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.array([_gram_distance(X[i], cpts) for i in lost]).reshape(lost.size, len(critical))
        d = np.where(np.isfinite(d), d, np.inf)
        best = np.argmin(d, axis=1)
        hit = d[np.arange(lost.size), best] <= move
        for j, gi in enumerate(critical):
            near[gi] = lost[hit & (best == j)]
        lost = lost[~hit]
    basins: list[Basin] = []
    for gi, ((x, was_refined, members), cert, (kind, reason)) in enumerate(zip(basins_raw, certs, kinds, strict=True)):
        members = np.sort(np.concatenate([members, near[gi]]))
        rate = binomial_rate(int(members.size), starts)
        if near[gi].size:
            reason += (
                f"; {near[gi].size} of the {members.size} searches did not converge but ended within "
                f"{REFINE_RADIUS:g}·‖M*‖_F of this point"
            )
        basins.append(
            Basin(
                kind=kind,
                count=int(members.size),
                share=rate.rate,
                ci=rate.ci,
                f=cert.f,
                distance=cert.distance,
                grad_norm=cert.grad_norm,
                x=x.copy(),
                local_min=cert.local_min,
                method=cert.method,
                reason=reason,
                hess_min_eig=cert.hess_min_eig,
                refined=was_refined,
                spread=float(np.max(_gram_distance(x, X[members]))),
                near=int(near[gi].size),
                certificate=cert,
            )
        )
        labels[members] = gi
    if lost.size:
        rate = binomial_rate(int(lost.size), starts)
        with np.errstate(invalid="ignore"):
            basins.append(
                Basin(
                    kind="not-converged",
                    count=int(lost.size),
                    share=rate.rate,
                    ci=rate.ci,
                    f=_median(fun[lost]),
                    distance=_median(dist[lost]),
                    grad_norm=_median(gnorm[lost]),
                    x=None,
                    local_min=None,
                    method="solver",
                    reason=f"the search ended neither within {success:g} of M* nor with ‖∇f‖ ≤ {stall:g}·‖∇f(x₀)‖ "
                    f"(or diverged), nor within {REFINE_RADIUS:g}·‖M*‖_F of a certified critical point; medians shown",
                    hess_min_eig=None,
                    refined=False,
                    spread=None,
                    near=int(lost.size),
                )
            )
        labels[lost] = len(basins) - 1
    # census order: kind, then decreasing count (labels follow)
    rank = sorted(range(len(basins)), key=lambda i: (KINDS.index(basins[i].kind), -basins[i].count, i))
    new_of = np.empty(len(basins), dtype=np.int64)
    new_of[rank] = np.arange(len(basins))
    basins = [basins[i] for i in rank]
    labels = new_of[labels]
    counts = {k: sum(b.count for b in basins if b.kind == k) for k in KINDS}

    bounds, guar, contra = None, (), ()
    if rip:
        bounds, guar, contra = _rip_and_guarantees(problem, rr, seed, counts)
    options = {**solver, "grad_stop": grad_stop, "tol": tol, "success": success, "stall": stall}
    return Census(
        source=source,
        n=n,
        r=rr,
        starts=starts,
        method=method,
        init=init_name,
        seed=seed,
        options=options,
        basins=tuple(basins),
        counts=counts,
        rip=bounds,
        guarantees=guar,
        contradictions=contra,
        labels=labels,
        fun=fun,
        distance=dist,
        grad_norm=gnorm,
        problem=problem,
    )


# ---------------------------------------------------------------------------------------
# the run directory


def _fingerprint(problem) -> str:
    """SHA-256 of the problem's kind, ``n``, ``r``, and of ``f``, ``∇f`` and ``‖x xᵀ − M*‖_F`` at fixed probe points.

    Defined for every problem (dense or matrix-free operator, a user's callables, any loss)
    without reading its internals: :data:`FINGERPRINT_PROBES` standard Gaussian points of a
    fixed stream, the values written with 12 significant digits (the last bits of a BLAS
    reduction do not change it). Two sources with the same fingerprint have the same
    objective and ground truth at these points: a run directory is resumed only on its source.
    """
    import hashlib

    probes = np.random.default_rng(0).standard_normal((FINGERPRINT_PROBES, problem.n, problem.r))
    values = [problem.value(probes), problem.gradient(probes), problem.distance(probes)]
    text = f"{type(problem).__name__} {problem.n} {problem.r} " + " ".join(
        f"{v:.12g}" for v in np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values])
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _identity(chunks: list, settings: dict, x0: np.ndarray | None) -> dict:
    """The manifest fields that identify a survey (:data:`spurious.studies._runner.IDENTITY`)."""
    import hashlib

    from spurious.studies._runner import _jsonable

    problem = settings["problem"]
    for key, value in settings["solver"].items():  # the manifest records every setting
        _jsonable(value, f"out: the solver option {key} ({type(value).__name__})")
    given = None
    if x0 is not None:
        given = hashlib.sha256(f"{x0.shape}".encode() + np.ascontiguousarray(x0, dtype=np.float64).tobytes())
    parameters = {
        "source": settings["source"],
        "source_fingerprint": _fingerprint(problem),
        "n": problem.n,
        "r": problem.r,
        "starts": settings["starts"],
        "method": settings["method"],
        "init": settings["init_name"],
        "init_sha256": None if given is None else given.hexdigest(),
        "solver": settings["solver"],
        "grad_stop": settings["grad_stop"],
        "tol": settings["tol"],
        "success": settings["success"],
        "stall": settings["stall"],
        "rip": settings["rip"],
    }
    return {
        "experiment": "survey",
        "parameters": _jsonable(parameters, "out: the survey's settings"),
        "seed": settings["seed"],
        "quick": False,
        "chunks": [{"first": a, "count": k} for _, (a, k, _) in chunks],
    }


#: how a differing identity field is named in the refusal
_FIELD_NAMES = {"source_fingerprint": "source (its fingerprint)", "init_sha256": "given starts", "chunks": "chunking"}


def _check_survey_dir(out: Path, identity: dict) -> None:
    """Refuse ``out`` when its manifest records another run, or a survey of other settings (named)."""
    try:
        old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # no manifest, or an unreadable one: _check_out says which
    if not isinstance(old, dict):
        return
    if old.get("experiment") != "survey":
        raise InputError(f"--out {out} holds a run of {old.get('experiment')!r}, not a survey; give another --out")
    mine, theirs = identity["parameters"], old.get("parameters") or {}
    differ = [k for k in mine if theirs.get(k) != mine[k]]
    differ += [k for k in ("seed", "chunks") if old.get(k) != identity[k] and not (k == "chunks" and differ)]
    if differ:
        raise InputError(
            f"--out {out} holds a survey of {theirs.get('source')!r} with different "
            f"{', '.join(_FIELD_NAMES.get(k, k) for k in differ)}; surveys are never mixed: "
            f"give another --out (or delete {out})"
        )


def _survey_into(out: Path, resume: bool, chunks: list, params: dict, settings: dict, x0, workers, scheduler) -> Census:
    """:func:`survey` into the run directory ``out`` (module docstring), with the runner's chunk files."""
    import dataclasses
    import time

    import pandas as pd

    from spurious.studies import _runner as rd
    from spurious.studies._execution import check_scheduler, execute

    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
    identity = _identity(chunks, settings, x0)
    keys = identity["chunks"]
    with rd._run_lock(out):
        _check_survey_dir(out, identity)
        old, session = rd._open_run(out, identity, resume, workers, scheduler)
        records = (old or {}).get("chunk_runs", {})
        done = {i for i, key in enumerate(keys) if rd._verified_chunk(out, i, key, records.get(str(i)))}
        manifest = {
            **identity,
            "description": "landscape census: spurious.survey",
            "versions": rd.versions(),
            "git_commit": rd.git_commit(),
            "status": "running",
            "sessions": [*(old or {}).get("sessions", []), session],
            "chunk_runs": {k: v for k, v in records.items() if int(k) in done},
        }
        pending = [task for task in chunks if task[0] not in done]
        rd._write_manifest(out, manifest)

        def on_done(res) -> None:
            path = rd.chunk_path(out, res.index)
            rd._write_parquet(res.frame, path)
            manifest["chunk_runs"][str(res.index)] = {
                "chunk": keys[res.index],
                "host": res.host,
                "pid": res.pid,
                "started": res.started,
                "seconds": res.seconds,
                "rows": len(res.frame),
                "sha256": rd.file_sha256(path),
            }
            rd._write_manifest(out, manifest)

        t0 = time.perf_counter()
        try:
            execute(
                pending,
                run_chunk=_run_chunk,
                params=params,
                seed=settings["seed"],
                on_done=on_done,
                workers=workers,
                scheduler=scheduler,
            )
        except BaseException:
            if old is None and not manifest["chunk_runs"]:  # nothing ran in a fresh directory: leave nothing
                rd._remove_empty_run(out)
                raise
            manifest["status"] = "interrupted"
            try:
                rd._write_manifest(out, manifest)
            except OSError as exc:  # e.g. the disk that stopped the run is still full
                log.warning("%s: could not mark the manifest interrupted (%s)", out, exc.strerror or exc)
            log.info(
                "survey interrupted: %d of %d chunks in %s; finish it with resume",
                len(manifest["chunk_runs"]),
                len(keys),
                out,
            )
            raise
        frame = pd.concat([pd.read_parquet(rd.chunk_path(out, i)) for i in range(len(keys))], ignore_index=True)
        census = _census(frame, **settings)
        files = census.save(out)
        session.update(seconds=time.perf_counter() - t0, chunks_run=len(pending), chunks_reused=len(done))
        manifest.update(status="complete", finished=time.time(), counts=census.counts, files=[p.name for p in files])
        rd._write_manifest(out, manifest)
    run = SurveyRun(out, files, out / "manifest.json", len(pending), len(done))
    return dataclasses.replace(census, run=run)


def read_starts(path: str | Path, n: int, r: int) -> np.ndarray:
    """Given starts from a file: an ``.npy`` array ``(K, n, r)`` (``(n, r)`` for one start), or an ``.npz`` holding one.

    Read as instance files are (:mod:`spurious.core._arrayfiles`): ``allow_pickle=False``, the
    declared dtype and shape checked from the header before any data is read, and the file
    refused when its arrays would need more memory than the limit. An ``.npz`` must hold one
    array, or one named ``starts``.

    Parameters
    ----------
    path : path-like
    n, r : int
        The problem's size and search rank.

    Returns
    -------
    (K, n, r) float64 array
        Finite.

    Raises
    ------
    InputError
        A missing file, not an ``.npy``/``.npz`` file, a pickle, a dtype that is not real, a
        shape other than ``(K, n, r)`` or ``(n, r)``, no starts, NaN or inf (each message names
        the path).
    TooLargeError
        The declared arrays exceed the file-size limit (nothing was read).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "starts.npy"
    >>> np.save(f, np.zeros((3, 2, 1)))
    >>> read_starts(f, 2, 1).shape
    (3, 2, 1)
    """
    from spurious.core._arrayfiles import declared_arrays, read_arrays
    from spurious.core._validation import as_real_array

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    declared = declared_arrays(path)
    name = "starts" if "starts" in declared else (next(iter(declared)) if len(declared) == 1 else None)
    if name is None:
        raise InputError(
            f"{path}: holds {len(declared)} arrays ({', '.join(declared) or 'none'}); "
            "expected one, or one named 'starts'"
        )
    shape, dtype = declared[name]
    what = f"{path}" + (f": {name!r}" if name else "")
    if dtype.kind not in "fiu":
        raise InputError(f"{what}: dtype {dtype}, expected real numbers")
    if len(shape) not in (2, 3) or tuple(shape[-2:]) != (n, r):
        raise InputError(f"{what}: shape {shape}, expected (K, {n}, {r}) or ({n}, {r}) (n and r of the problem)")
    if shape[0] == 0:
        raise InputError(f"{what}: holds no starts (shape {shape})")
    return as_real_array(read_arrays(path)[name], what).reshape(-1, n, r)


def _median(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else float("nan")


def fit_level(problem) -> float:
    """``f(M*) + FIT_TOL · f(0)``: a point at or below it fits the data as well as the ground truth.

    ``f(0)`` (the data's own size: ``s‖b‖²`` for least squares) makes the allowance scale-free;
    noiseless data have ``f(M*) = 0``, so the level is ``FIT_TOL · f(0)``.
    """
    loss = problem.loss
    f0 = float(problem.value(np.zeros((problem.n, problem.r))))
    if problem.factored and problem.z is not None:
        fstar = float(loss.value_factor(problem.z))
    else:
        fstar = float(loss.value(problem.m_star))
    return fstar + FIT_TOL * abs(f0)


def _kind(cert, radius: float, fit: float) -> tuple[str, str]:
    """The basin kind of a certified point, and why (``fit``: :func:`fit_level` of the problem)."""
    if cert.distance <= radius:
        return "global", f"‖xxᵀ − M*‖_F = {cert.distance:.3g} ≤ tol·‖M*‖_F = {radius:.3g}"
    if cert.second_order and cert.f <= fit:
        return "unidentified", (
            f"f = {cert.f:.3g} ≤ f(M*) + {FIT_TOL:g}·f(0) = {fit:.3g} with ‖xxᵀ − M*‖_F = {cert.distance:.3g}: "
            "fits the data as well as M*, which the measurements do not determine"
        )
    if cert.local_min is True:
        return "spurious-local-min", cert.reason or f"strict local minimum ({cert.method})"
    if cert.first_order and cert.hess_min_eig < -cert.eig_tol_abs:
        return "saddle", cert.reason or f"negative curvature λ_min = {cert.hess_min_eig:.3g}"
    if cert.second_order:
        why = cert.reason or cert.method
        return "spurious-second-order", why
    return "not-converged", cert.reason or f"‖∇f‖ = {cert.grad_norm:.3g} is not small at the refined point"


def _rip_and_guarantees(problem, r: int, seed: int, counts: dict) -> tuple:
    """RIP bounds over rank 2r (None without a sensing operator) and each guarantee's status."""
    from spurious.core._errors import TooLargeError
    from spurious.core._matrix_free import MatrixFreeOperator
    from spurious.core._operators import SensingOperator
    from spurious.landscape._guarantees import NO_SPURIOUS, guarantees
    from spurious.landscape._rip import rip_bounds

    op = getattr(getattr(problem, "loss", None), "operator", None)
    if not isinstance(op, SensingOperator | MatrixFreeOperator):
        return None, (), ()
    try:
        b = rip_bounds(op, 2 * r, rng=seed, max_work=RIP_MAX_WORK, **RIP_SETTINGS)
    except TooLargeError:
        return None, (), ()
    # a theorem applies when even upper + rounding satisfies it, and fails when lower − rounding fails it
    hi = guarantees(min(max(b.upper + DELTA_ROUNDING, 0.0), 1.0), r)
    lo = guarantees(min(max(b.lower - DELTA_ROUNDING, 0.0), 1.0), r)
    out, contra = [], []
    for gh, gl in zip(hi, lo, strict=True):
        if gh.kind != "guarantee":
            continue
        status = "applies" if gh.applies else ("open" if gl.applies else "does not apply")
        out.append((gh, status))
        if status == "applies" and gh.conclusion == NO_SPURIOUS and counts["spurious-local-min"]:
            contra.append(f"{gh.theorem}: {counts['spurious-local-min']} starts end at spurious local minima")
    return b, tuple(out), tuple(contra)
