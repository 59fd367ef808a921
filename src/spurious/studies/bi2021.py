"""bi2021 "Numerical Illustration", Fig. 1 (a)–(d): two-stage convergence of perturbed GD.

``bi2021-convergence`` runs perturbed gradient descent with local improvement
(:func:`spurious.perturbed_gd`) on the four problems of Fig. 1 and records the
error ``‖XXᵀ − M*‖_F`` (panel (b): ``‖UVᵀ − M*‖_F``) and the gradient norm at every iteration,
with the marker of bi2021: the first iteration inside the local region of Thm 2 (symmetric,
``‖XXᵀ − M*‖_F < 2(√2 − 1)(1 − δ)σ_r(M*)``) or Thm 3 (asymmetric, ``‖XXᵀ − M̃*‖_F <
4(√2 − 1)(1 − δ)/(1 + δ)·σ_r(M*)``), :func:`spurious.solvers._perturbed.local_region`.

Panels (bi2021's parameters):

(a) symmetric least squares, i.i.d. standard Gaussian ``A_i`` (acting on symmetric matrices
    through ``(A_i + A_iᵀ)/2``), ``n = 40``, ``r = 1``, ``p = 120``; δ estimated as in bi2021
    (10⁴ random ``XXᵀ``, ``X ∈ R^{n×2r}`` Gaussian, best scaling ``a``) — paper: 0.49;
(b) asymmetric least squares, ``10 × 8`` ground truth ``UVᵀ``, ``r = 5``, ``p = 220``, δ
    estimated the same way over ``UVᵀ``, ``U, V`` of ``2r`` columns — paper: 0.32; balancing
    weight ``φ = (1 − δ)/2`` (bi2021 Assumption 4);
(c) 1-bit recovery with infinitely many samples (``y = σ(M̂)``), ``n = 10``, ``r = 5``;
(d) the same with ``n = 600``, ``r = 2`` (``--quick``: ``n = 100``).

Where bi2021 is silent we choose, and record in the manifest: the operator of (a) and (b) is
multiplied by the scaling ``a`` of the δ estimate (``a² = 2/(ρ_min + ρ_max)`` over the sampled
ratios ``ρ = ‖A(X)‖²/‖X‖²``), so that ``f = ½‖aA(M) − a d‖²`` satisfies the δ-RIP with the
constants of the theorems and the balancing term of (b) is commensurate with the loss; the 1-bit
ground truth and initial points are ``XXᵀ`` with ``X`` Gaussian rescaled so that
``max_ij |M_ij| = 2.29`` (the boundary of bi2021's region (15), where ``1/12 < σ' ≤ 1/4`` gives
``δ < 1/2``; the marker uses δ = 1/2); the step is ``lr_factor/σ₁(M*)``; the perturbation
threshold is ``10⁻⁶ σ₁(M*)`` on ``‖∇f‖`` (bi2021: perturbations are rarely needed).

The summary quantifies the two stages by a two-segment (continuous, piecewise-linear) least-squares
fit of ``log₁₀`` error against the iteration, from the start to the round-off floor: the breakpoint
is the iteration where the rate changes, the two slopes are the rates of the stages (a sublinear
first stage has a first slope well below the second); the marker is compared with the breakpoint.

References
----------
Bi, Zhang, Lavaei (2021), "Local and global linear convergence of general low-rank matrix
recovery problems", Numerical Illustration, Fig. 1, Theorems 2 and 3.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spurious.core._linalg import outer
from spurious.core._operators import RectangularOperator, SensingOperator, gaussian, rectangular_gaussian
from spurious.core._problems import asymmetric_least_squares, least_squares, one_bit
from spurious.core._rng import trial_stream
from spurious.landscape._rip import delta_from_bounds, sampled_ratios
from spurious.solvers._perturbed import local_region, perturbed_gd
from spurious.studies import _plotting as plotting
from spurious.studies._registry import Experiment, Verdict

if TYPE_CHECKING:
    import pandas as pd

CITATION = (
    "Bi, Zhang, Lavaei, Local and global linear convergence of general low-rank matrix recovery problems, "
    "AAAI 2022 (arXiv 2104.13348)"
)

#: bi2021 region (15): ``|M_ij| ≤ 2.29`` where ``1/12 < σ'(M_ij) ≤ 1/4``
ONE_BIT_BOUND = 2.29
#: δ of the 1-bit loss on region (15) used for the marker (``(1/4 − 1/12)/(1/4 + 1/12) = 1/2``)
ONE_BIT_DELTA = 0.5
PANELS = ("a", "b", "c", "d")
#: the paper's δ estimates
PAPER_DELTA = {"a": 0.49, "b": 0.32}


def params(quick: bool) -> dict:
    """The four panels; ``--quick``: ``n = 100`` in (d) (full: 600, as in bi2021)."""
    return {
        "rip_samples": 10_000,
        "panels": {
            "a": {"kind": "symmetric", "n": 40, "r": 1, "p": 120, "lr_factor": 0.05, "steps": 1500},
            "b": {"kind": "asymmetric", "n1": 10, "n2": 8, "r": 5, "p": 220, "lr_factor": 0.2, "steps": 2000},
            "c": {"kind": "one-bit", "n": 10, "r": 5, "lr_factor": 1.0, "steps": 1500},
            "d": {"kind": "one-bit", "n": 100 if quick else 600, "r": 2, "lr_factor": 0.2, "steps": 600},
        },
        "perturb_radius": 1e-3,
        "perturb_interval": 50,
        "grad_threshold_factor": 1e-6,
        "record_every": 1,
    }


def chunks(p: dict) -> list[str]:
    """One chunk per panel."""
    return list(p["panels"])


def asymmetric_sampled_ratios(op: RectangularOperator, rank: int, samples: int, rng) -> np.ndarray:
    """Ratios ``‖A(UVᵀ)‖²/‖UVᵀ‖²`` for Gaussian ``U ∈ R^{n1×k}``, ``V ∈ R^{n2×k}`` (bi2021's estimate, asymmetric)."""
    n1, n2 = op.shape
    out = np.empty(samples)
    chunk = 1000
    for s in range(0, samples, chunk):
        t = min(chunk, samples - s)
        M = rng.standard_normal((t, n1, rank)) @ np.swapaxes(rng.standard_normal((t, n2, rank)), -1, -2)
        AM = op.apply(M)
        out[s : s + t] = np.sum(AM * AM, axis=-1) / np.sum(M * M, axis=(-1, -2))
    return out


def _scaled_bounded_psd(g, n: int, r: int) -> np.ndarray:
    X = g.standard_normal((n, r))
    return X * math.sqrt(ONE_BIT_BOUND / np.max(np.abs(outer(X))))


def build_panel(p: dict, panel: str, seed: int) -> dict:
    """Problem, initial point, δ, scaling and region of one panel (random draws from ``trial_stream(seed, 0, k)``)."""
    spec = p["panels"][panel]
    g = trial_stream(seed, 0, PANELS.index(panel))
    r = spec["r"]
    info: dict = {"scale_a": None, "delta_sampled": None, "rho_min": None, "rho_max": None}
    if spec["kind"] == "symmetric":
        n = spec["n"]
        op = gaussian(spec["p"], n, g)
        rho = sampled_ratios(op, 2 * r, p["rip_samples"], rng=g)
        a = math.sqrt(2.0 / (rho.min() + rho.max()))
        op = SensingOperator(a * op.matrix, n, symmetrized=True, label="gaussian-scaled")
        delta = delta_from_bounds(rho.min(), rho.max())
        z = g.standard_normal((n, r))
        problem = least_squares(op, z, scaling="half")
        x0 = g.standard_normal((1, n, r))
        sigma1 = float(np.linalg.eigvalsh(problem.m_star)[-1])
        info.update(scale_a=a, delta_sampled=delta, rho_min=float(rho.min()), rho_max=float(rho.max()))
    elif spec["kind"] == "asymmetric":
        n1, n2 = spec["n1"], spec["n2"]
        op = rectangular_gaussian(spec["p"], (n1, n2), g)
        rho = asymmetric_sampled_ratios(op, 2 * r, p["rip_samples"], g)
        a = math.sqrt(2.0 / (rho.min() + rho.max()))
        op = RectangularOperator(a * op.matrix, (n1, n2))
        delta = delta_from_bounds(rho.min(), rho.max())
        M = g.standard_normal((n1, r)) @ g.standard_normal((n2, r)).T
        problem = asymmetric_least_squares(op, M, r, phi=(1.0 - delta) / 2.0, scaling="half")
        x0 = np.concatenate([g.standard_normal((n1, r)), g.standard_normal((n2, r))])[None]
        sigma1 = float(np.linalg.svd(M, compute_uv=False)[0])
        info.update(scale_a=a, delta_sampled=delta, rho_min=float(rho.min()), rho_max=float(rho.max()))
    else:
        n = spec["n"]
        Xs = _scaled_bounded_psd(g, n, r)
        problem = one_bit(outer(Xs), r)
        x0 = _scaled_bounded_psd(g, n, r)[None]
        delta = ONE_BIT_DELTA
        sigma1 = float(np.linalg.eigvalsh(problem.m_star)[-1])
    region = local_region(problem, delta)
    return {"problem": problem, "x0": x0, "delta": delta, "region": region, "sigma1": sigma1, **info}


def run_chunk(p: dict, chunk: str, seed: int) -> pd.DataFrame:
    """Perturbed GD on one panel: one row per recorded iteration (error, gradient norm, inside the region)."""
    import pandas as pd

    spec = p["panels"][chunk]
    b = build_panel(p, chunk, seed)
    problem, region = b["problem"], b["region"]
    res = perturbed_gd(
        problem,
        x0=b["x0"],
        lr=spec["lr_factor"] / b["sigma1"],
        steps=spec["steps"],
        seed=seed,
        cell=PANELS.index(chunk),
        perturb_radius=p["perturb_radius"],
        grad_threshold=p["grad_threshold_factor"] * b["sigma1"],
        perturb_interval=p["perturb_interval"],
        local_region=region,
        record_every=p["record_every"],
    )
    tr = res.trajectory
    k = tr.iterations.size
    return pd.DataFrame(
        {
            "panel": [chunk] * k,
            "iteration": tr.iterations.astype(np.int64),
            "error": tr.distance[:, 0],
            "grad_norm": tr.grad_norm[:, 0],
            "fun": tr.fun[:, 0],
            "marker": np.full(k, int(res.options["region_iteration"][0]), dtype=np.int64),
            "perturbations": np.full(k, int(res.options["perturbations"][0]), dtype=np.int64),
            "delta": np.full(k, b["delta"]),
            "region_radius": np.full(k, region.radius),
            "sigma1": np.full(k, b["sigma1"]),
            "lr": np.full(k, spec["lr_factor"] / b["sigma1"]),
            "scale_a": np.full(k, np.nan if b["scale_a"] is None else b["scale_a"]),
        }
    )


def two_stage(iterations: np.ndarray, error: np.ndarray) -> dict:
    """Quantify the two stages of a log-error curve by a two-segment fit.

    ``log₁₀ error`` from iteration 0 to the floor (the first point within a decade of the smallest
    error) is fitted by a continuous piecewise-linear function with one breakpoint, chosen by least
    squares over every recorded iteration. Returns a dict: ``change_iteration`` (the breakpoint),
    ``early_slope`` and ``linear_slope`` (log₁₀ error per iteration before and after it),
    ``floor_iteration``.
    """
    it = np.asarray(iterations, dtype=float)
    le = np.log10(np.maximum(np.asarray(error, dtype=float), 1e-300))
    end = int(np.argmax(le <= le.min() + 1.0))
    if end < 4:
        return {
            "linear_slope": float("nan"),
            "change_iteration": -1,
            "early_slope": float("nan"),
            "floor_iteration": int(it[end]),
        }
    t, y = it[: end + 1], le[: end + 1]
    best = (np.inf, 0, 0.0, 0.0)
    for k in range(1, end):
        basis = np.stack([np.ones_like(t), t, np.maximum(t - t[k], 0.0)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
        sse = float(np.sum((basis @ coef - y) ** 2))
        if sse < best[0]:
            best = (sse, k, float(coef[1]), float(coef[1] + coef[2]))
    _, k, early, late = best
    return {"linear_slope": late, "change_iteration": int(t[k]), "early_slope": early, "floor_iteration": int(t[end])}


def _slope(d: pd.DataFrame, a: int, b: int) -> float:
    """Mean slope of log₁₀ error between iterations ``a`` and ``b`` of one panel's rows."""
    e = d.set_index("iteration")["error"]
    if b <= a:
        return float("nan")
    return float((math.log10(max(e.loc[b], 1e-300)) - math.log10(max(e.loc[a], 1e-300))) / (b - a))


def manifest(p: dict) -> dict:
    return {
        "solver": "spurious.perturbed_gd (bi2021 Alg. 1 = Jin et al. 2017 PGD + local "
        "improvement); switch to plain GD inside the Thm 2 / Thm 3 region",
        "loss": "(a), (b): ½‖aA(M) − a d‖² (bi2021 eq. (3)) with a the scaling of the δ estimate; "
        "(c), (d): −Σ (y_ij M_ij − log(1 + e^{M_ij})), y = σ(M̂)",
        "delta_estimate": "bi2021: ratios ‖A(XXᵀ)‖²/‖XXᵀ‖² over Gaussian X ∈ R^{n×2r} "
        "(spurious.rip.sampled_ratios; (b): UVᵀ), δ = (ρ_max − ρ_min)/(ρ_max + ρ_min)",
        "one_bit": f"M̂ and X₀X₀ᵀ Gaussian factors rescaled to max |M_ij| = {ONE_BIT_BOUND}; marker with δ = "
        f"{ONE_BIT_DELTA}",
        "step": "lr_factor / σ₁(M*)",
        "draws": "panel k uses trial_stream(seed, 0, k) for the operator, the δ samples, M* and X₀",
    }


def _figure(p: dict, df: pd.DataFrame, stats: dict, figures_dir: Path) -> None:
    plt = plotting.pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    titles = {
        "a": "(a) symmetric, n = 40, r = 1, p = 120",
        "b": "(b) asymmetric 10 × 8, r = 5, p = 220",
        "c": "(c) 1-bit, n = 10, r = 5",
        "d": f"(d) 1-bit, n = {p['panels']['d']['n']}, r = 2",
    }
    for ax, panel in zip(axes.ravel(), PANELS, strict=True):
        d = df[df["panel"] == panel]
        if d.empty:
            continue
        error_label = r"$\|XX^\top - M^*\|_F$" if panel != "b" else r"$\|UV^\top - M^*\|_F$"
        ax.semilogy(d["iteration"], d["error"], label=error_label)
        ax.semilogy(d["iteration"], d["grad_norm"], label=r"$\|\nabla f\|_F$", alpha=0.8)
        mk = int(d["marker"].iloc[0])
        if mk >= 0:
            row = d[d["iteration"] == mk]
            ax.semilogy([mk], row["error"], "r*", ms=14, label=f"enters Thm {'3' if panel == 'b' else '2'} region")
        ch = stats[panel]["change_iteration"]
        if ch >= 0:
            ax.axvline(ch, color="k", ls=":", lw=1, label="change of rate")
        ax.set_title(f"{titles[panel]}, δ = {d['delta'].iloc[0]:.2f}", fontsize=10)
        ax.set_xlabel("iteration")
        ax.legend(fontsize=7)
    plotting.save(fig, figures_dir, "bi2021-fig1")


def summarize(p: dict, df: pd.DataFrame, figures_dir: Path) -> list[Verdict]:
    """δ estimates, two-stage convergence, marker vs change of rate, final error, per panel."""
    stats = {}
    for panel in p["panels"]:
        d = df[df["panel"] == panel].sort_values("iteration")
        stats[panel] = two_stage(d["iteration"].to_numpy(), d["error"].to_numpy())
    _figure(p, df, stats, figures_dir)
    out = []
    for panel in ("a", "b"):
        d = df[df["panel"] == panel]
        delta = float(d["delta"].iloc[0])
        out.append(
            Verdict(
                f"({panel}) δ estimated by sampling ({p['rip_samples']:,} random rank-2r matrices)",
                f"{PAPER_DELTA[panel]}",
                f"{delta:.3f}",
                "± 0.05: depends on the random operator",
                "match" if abs(delta - PAPER_DELTA[panel]) <= 0.05 else "miss",
                "A sampled estimate is a lower bound on the true RIP constant (spurious.rip.rip_bounds gives a sharper "
                "adversarial one); bi2021 uses it as δ in Thm 2/3."
                + (
                    f" δ = {delta:.3f} ≥ 1/3: the global guarantee of bi2021 Thm 6 (asymmetric, δ < 1/3) does not "
                    "cover this draw (the paper's 0.32 is just below 1/3); the Thm 3 region is still defined."
                    if panel == "b" and delta >= 1.0 / 3.0
                    else ""
                ),
            )
        )
    for panel in p["panels"]:
        d = df[df["panel"] == panel].sort_values("iteration")
        s = stats[panel]
        mk = int(d["marker"].iloc[0])
        ch = s["change_iteration"]
        ratio = s["early_slope"] / s["linear_slope"] if s["linear_slope"] < 0 else float("nan")
        two = bool(np.isfinite(ratio) and ratio < 0.5)
        out.append(
            Verdict(
                f"({panel}) two-stage convergence: early slope / linear slope of log₁₀ error",
                "sublinear, then linear",
                f"early {s['early_slope']:.3g}/it, linear {s['linear_slope']:.3g}/it (ratio {ratio:.2f})",
                "ratio < 0.5 (first stage at most half the linear rate)",
                "match" if two else "miss",
                (
                    ""
                    if two
                    else "The first stage is not slower than the final rate here: the error first drops faster "
                    "than the final linear rate, then settles on it (a change of rate, but not sublinear-then-linear). "
                )
                + f"perturbations added: {int(d['perturbations'].iloc[0])}; step {float(d['lr'].iloc[0]):.3g}.",
            )
        )
        near = mk >= 0 and ch >= 0 and ch / 2.0 <= mk <= 2.0 * ch
        out.append(
            Verdict(
                f"({panel}) marker (first iteration in the Thm {'3' if panel == 'b' else '2'} region) vs change of "
                "rate",
                "marker near the change of rate ('fairly tightly')",
                f"marker {mk}, change {ch}"
                + (
                    f" (slope before the marker {_slope(d, 0, mk):.3g}/it, after it "
                    f"{_slope(d, mk, s['floor_iteration']):.3g}/it)"
                    if mk > 0
                    else ""
                ),
                "within a factor 2",
                "match" if near else "miss",
                f"region radius {float(d['region_radius'].iloc[0]):.3g} (δ = {float(d['delta'].iloc[0]):.3g}); "
                "change = breakpoint of a two-segment least-squares fit of log₁₀ error (start to floor).",
            )
        )
        fin = float(d["error"].iloc[-1])
        out.append(
            Verdict(
                f"({panel}) final error after {int(d['iteration'].iloc[-1]):,} iterations",
                "→ 0 (linear convergence)",
                f"{fin:.2e}",
                "≤ 1e-8",
                "match" if fin <= 1e-8 else "miss",
                f"reached within a decade of the floor at iteration {s['floor_iteration']}.",
            )
        )
    return out


EXPERIMENTS = (
    Experiment(
        name="bi2021-convergence",
        description="Fig. 1 (a)–(d): error and gradient norm of perturbed GD vs iteration, two-stage convergence, "
        "Thm 2/3 region marker",
        citation=CITATION + ", Numerical Illustration, Fig. 1",
        params=params,
        chunks=chunks,
        run_chunk=run_chunk,
        summarize=summarize,
        manifest=manifest,
    ),
)
