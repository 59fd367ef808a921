"""zhang2018 §5 Experiment 2: SGD on the "bad" (Fig. 2) and the "good" (Fig. 3) engineered instance.

* ``zhang2018-sgd-bad`` — ``n = 12``, ``r = 2``: ``x, z`` i.i.d. standard Gaussian, ``z`` rescaled
  so that ``‖zzᵀ‖_F = 1``, ``x`` so that ``‖xxᵀ‖_F/‖zzᵀ‖_F = 4``, LMI (10) solved for the
  smallest-δ instance in which ``x_loc = x`` is a spurious second-order point (paper's draw:
  δ = 0.973).
* ``zhang2018-sgd-good`` — ``n = 12``, ``r = 1``: the orthogonal construction of Experiment 1
  (``x ⟂ z``, ``‖x‖ = ‖z‖/√2``), which attains δ = 1/2; ``z`` rescaled to ``‖zzᵀ‖_F = 1`` as for
  the bad instance (the paper does not say how it scales this one; the relative error does not
  depend on it, the SGD step does).

Both: SGD with momentum 0.9, batch size one, learning rate 10⁻⁴, 10,000 steps, from
``x₀ = γ w + (1 − γ) x_loc`` (``w`` standard Gaussian) for γ on a grid in [0, 1], 1,000 trials
per γ; the final relative error ``‖xxᵀ − zzᵀ‖_F/‖zzᵀ‖_F`` is summarized per γ by its median,
5–95 % quantiles and min/max (the bands of Fig. 2 and 3).

Conventions zhang2018 does not state (recorded in every manifest): the stochastic-gradient
convention, the scale of the measurement matrices (equivalently of ``H``, which only rescales
the step) and how ``H`` is factored into ``AᵀA``. Example 3 (Fig. 1) reproduces with the plain
sampled-term gradient (``grad="term"``), Experiment 2 with the unbiased one
(``grad="unbiased"``, ``E[g] = ∇f``); with ``"term"`` the step is ``m = 78`` times smaller and
10,000 steps do not leave the initial region. No single convention we tried reproduces both.

Randomness: the instance is one fixed draw, ``trial_stream(instance_seed, 0, INSTANCE_CELL)``
(a parameter, so the manifest can report its δ); trial ``t`` draws ``w`` from
``trial_stream(seed, t, 0)`` — the same ``w`` for every γ (common random numbers, smoother
bands) — and its SGD indices from the stream of cell ``1 + γ index``
(:func:`spurious.sgd`). Chunks are ``(γ index, first trial)`` blocks fixed by the
parameters, so the results do not depend on the number of workers.

References
----------
Zhang, Josz, Sojoudi, Lavaei (2018), "How much restricted isometry is needed in nonconvex
matrix recovery?", §5 Experiment 1 (orthogonal construction), Experiment 2, Fig. 2 and Fig. 3.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spurious.core._linalg import outer
from spurious.core._rng import trial_stream
from spurious.core._stats import binomial_rate
from spurious.landscape._closed_forms import orthogonal_construction
from spurious.landscape._counterexample import Counterexample, counterexample
from spurious.landscape._guarantees import DELTA_STAR
from spurious.solvers._init import gaussian, mix
from spurious.solvers._sgd import gradient_coefficient, sgd
from spurious.studies import _plotting as plotting
from spurious.studies._registry import Experiment, Verdict, rate_text

if TYPE_CHECKING:
    import pandas as pd

CITATION = (
    "Zhang, Josz, Sojoudi, Lavaei, How much restricted isometry is needed in nonconvex matrix recovery?, NeurIPS 2018"
)

#: cell of the instance's stream (kept apart from the trial cells 0, 1, 2, ...)
INSTANCE_CELL = 999_999

#: what the summaries must say about the conventions (also in every manifest)
CONVENTIONS = (
    "zhang2018 never states its stochastic-gradient convention, the scale of its measurement matrices "
    "or how it factors H. Example 3 (Fig. 1) reproduces with the plain sampled-term gradient "
    "(grad 'term'), Experiment 2 with the unbiased one (grad 'unbiased', m × the term); no single "
    "convention we tried reproduces both."
)

#: relative error above which a trial has failed (zhang2018 §5: "an error of > 50 %")
FAIL = 0.5


def _params(kind: str, quick: bool) -> dict:
    gammas = [0.0, 0.25, 0.5, 0.75, 1.0] if quick else [round(0.1 * k, 1) for k in range(11)]
    return {
        "instance": kind,
        "n": 12,
        "r": 2 if kind == "bad" else 1,
        "ratio": 4.0 if kind == "bad" else None,
        "instance_seed": 0,
        "factorization": "eigh",
        "reduce": True,
        "gammas": gammas,
        "trials": 400 if quick else 1000,
        "block": 200 if quick else 250,
        "steps": 10_000,
        "lr": 1e-4,
        "momentum": 0.9,
        "grad": "unbiased",
    }


def bad_params(quick: bool) -> dict:
    """Fig. 2 protocol; ``--quick``: 5 values of γ and 400 trials each (the full run: 11 and 1,000)."""
    return _params("bad", quick)


def good_params(quick: bool) -> dict:
    """Fig. 3 protocol; ``--quick``: 5 values of γ and 400 trials each (the full run: 11 and 1,000)."""
    return _params("good", quick)


def chunks(params: dict) -> list[list[int]]:
    """``[γ index, first trial]`` blocks of ``params["block"]`` trials."""
    T, B = params["trials"], params["block"]
    return [[i, t0] for i in range(len(params["gammas"])) for t0 in range(0, T, B)]


def draw_pair(params: dict) -> tuple[np.ndarray, np.ndarray]:
    """The instance's ``(x_loc, z)``: the bad draw (rescaled Gaussians) or the good orthogonal construction."""
    n, r = params["n"], params["r"]
    g = trial_stream(params["instance_seed"], 0, INSTANCE_CELL)
    z = g.standard_normal((n, r))
    x = g.standard_normal((n, r))
    z = z / math.sqrt(np.linalg.norm(outer(z)))  # ‖zzᵀ‖_F = 1
    if params["instance"] == "bad":
        x = x * math.sqrt(params["ratio"] / np.linalg.norm(outer(x)))  # ‖xxᵀ‖_F/‖zzᵀ‖_F = ratio
    else:  # zhang2018 Experiment 1: x ← x − (xᵀz/‖z‖²) z, x ← ‖z‖ x/(√2‖x‖)
        x = orthogonal_construction(x, z)
    return x, z


def _key(params: dict) -> str:
    keys = ("instance", "n", "r", "ratio", "instance_seed", "factorization", "reduce")
    return json.dumps({k: params[k] for k in keys}, sort_keys=True)


@functools.lru_cache(maxsize=8)
def _instance_cached(key: str) -> Counterexample:
    params = json.loads(key)
    x, z = draw_pair(params)
    return counterexample(x, z, order="second", factorization=params["factorization"], reduce=params["reduce"])


def build_instance(params: dict) -> Counterexample:
    """The LMI (10) instance (zhang2018 eq. (10), second order) of the parameters' draw; cached per process."""
    return _instance_cached(_key(params))


def procrustes_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``min_{Q orthogonal} ‖x − yQ‖_F`` for a batch ``x`` ``(T, n, r)`` and one ``y`` ``(n, r)``.

    ``‖x‖² + ‖y‖² − 2‖yᵀx‖_*`` (nuclear norm); for ``r = 1`` it is ``min(‖x − y‖, ‖x + y‖)``.
    """
    nuc = np.linalg.svd(np.swapaxes(y, -1, -2) @ x, compute_uv=False).sum(axis=-1)
    sq = np.sum(x * x, axis=(-1, -2)) + float(np.sum(y * y)) - 2.0 * nuc
    return np.sqrt(np.clip(sq, 0.0, None))


def run_chunk(params: dict, chunk: list[int], seed: int) -> pd.DataFrame:
    """SGD for trials ``first … first + block − 1`` at ``γ = gammas[i]``: one row per trial."""
    import pandas as pd

    i, t0 = int(chunk[0]), int(chunk[1])
    k = min(params["block"], params["trials"] - t0)
    ce = build_instance(params)
    inst = ce.instance
    problem = inst.problem()
    x_loc = inst.x
    gamma = float(params["gammas"][i])
    w = gaussian(params["n"], params["r"], k, seed=seed, cell=0, first_trial=t0)
    x0 = mix(gamma, w, x_loc)
    res = sgd(
        problem,
        trials=k,
        steps=params["steps"],
        lr=params["lr"],
        momentum=params["momentum"],
        grad=params["grad"],
        seed=seed,
        cell=1 + i,
        x0=x0,
        first_trial=t0,
        backend="numba",
        workers=1,
    )
    scale = float(np.linalg.norm(problem.m_star))
    finite = ~res.diverged & np.all(np.isfinite(res.x), axis=(-1, -2))
    xs = np.where(finite[:, None, None], res.x, 0.0)  # diverged trials: +inf distances below
    err = np.where(finite, res.distance / scale, np.inf)
    mat_loc = np.where(finite, np.linalg.norm(outer(xs) - outer(x_loc), axis=(-1, -2)) / scale, np.inf)
    fac_loc = np.where(finite, procrustes_distance(xs, x_loc), np.inf)
    return pd.DataFrame(
        {
            "gamma_index": np.full(k, i, dtype=np.int64),
            "gamma": np.full(k, gamma),
            "trial": np.arange(t0, t0 + k, dtype=np.int64),
            "error": err,
            "diverged": ~finite,
            "xloc_distance": fac_loc,
            "xloc_matrix_distance": mat_loc,
            "start_error": np.linalg.norm(outer(x0) - problem.m_star, axis=(-1, -2)) / scale,
        }
    )


def manifest(params: dict) -> dict:
    """Conventions and the instance actually used (δ of our draw, factorization, kernel source)."""
    ce = build_instance(params)
    meta = ce.instance.metadata
    m = ce.m
    return {
        "gradient_convention": f"{params['grad']}: g = c·(⟨A_i, xxᵀ⟩ − b_i)·A_i x with c = "
        f"{gradient_coefficient(params['grad'], m):g} (m = {m}); "
        "spurious.solvers._sgd module docstring",
        "factorization_of_H": meta["factorization"],
        "kernel_source": meta["kernel_source"],
        "delta_of_our_draw": ce.delta,
        "instance_certified": ce.certified,
        "instance_grad_norm": ce.verification.grad_norm,
        "instance_hess_min_eig": ce.verification.hess_min_eig,
        "measurements_m": m,
        "instance_draw": f"trial_stream(instance_seed={params['instance_seed']}, 0, {INSTANCE_CELL}); "
        + (
            "x, z i.i.d. N(0, 1), ‖zzᵀ‖_F = 1, ‖xxᵀ‖_F = 4"
            if params["instance"] == "bad"
            else "x, z i.i.d. N(0, 1), ‖zzᵀ‖_F = 1, x ⟂ z, ‖x‖ = ‖z‖/√2"
        ),
        "objective": "f(x) = ‖A(xxᵀ) − A(zzᵀ)‖² (zhang2018 eq. (1)); error ‖xxᵀ − zzᵀ‖_F/‖zzᵀ‖_F",
        "initialization": "x₀ = γ w + (1 − γ) x_loc, w ~ N(0, I) from trial_stream(seed, trial, 0), shared across γ",
        "conventions": CONVENTIONS,
    }


# ----------------------------------------------------------------------------- summaries


def bands(df: pd.DataFrame) -> pd.DataFrame:
    """Per γ: trials, median, 5 % / 95 % quantiles, min, max of the final error (diverged = +inf)."""
    import pandas as pd

    rows = []
    for gamma, grp in df.groupby("gamma", sort=True):
        e = grp["error"].to_numpy()
        rows.append(
            {
                "gamma": float(gamma),
                "trials": int(e.size),
                "median": float(np.quantile(e, 0.5)),
                "q05": float(np.quantile(e, 0.05)),
                "q95": float(np.quantile(e, 0.95)),
                "min": float(e.min()),
                "max": float(e.max()),
                "diverged": int(grp["diverged"].sum()),
            }
        )
    return pd.DataFrame(rows)


def _figure(params: dict, df: pd.DataFrame, b: pd.DataFrame, figures_dir: Path, title: str) -> None:
    plt = plotting.pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    g = b["gamma"].to_numpy()
    cap = 1e3
    lo, hi = np.minimum(b["min"].to_numpy(), cap), np.minimum(b["max"].to_numpy(), cap)
    ax.fill_between(g, np.maximum(lo, 1e-16), hi, alpha=0.2, color="C0", label="min / max (diverged drawn at 10³)")
    ax.fill_between(
        g,
        np.maximum(b["q05"].to_numpy(), 1e-16),
        np.minimum(b["q95"].to_numpy(), cap),
        alpha=0.4,
        color="C0",
        label="5–95 % quantiles",
    )
    ax.plot(g, b["median"], "o-", color="C0", label="median")
    ax.axhline(FAIL, color="k", ls=":", lw=1, label="50 % error")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\gamma$   ($x_0 = \gamma w + (1 - \gamma)\,x_{\mathrm{loc}}$)")
    ax.set_ylabel(r"$\|xx^\top - zz^\top\|_F \,/\, \|zz^\top\|_F$ after SGD")
    ax.set_title(title)
    ax.legend(fontsize=8)
    last = df[df["gamma_index"] == len(params["gammas"]) - 1]
    e = np.clip(last["error"].to_numpy(), 1e-16, cap)
    ax2.hist(np.log10(e), bins=60, color="C1")
    ax2.axvline(math.log10(FAIL), color="k", ls=":", lw=1)
    ax2.set_xlabel("log10 final error, γ = 1 (diverged drawn at 3)")
    ax2.set_ylabel("trials")
    plotting.save(fig, figures_dir, f"zhang2018-sgd-{params['instance']}")


def _pct(p: float) -> str:
    return f"{100 * p:.3g} %"


def _common_note(params: dict, ce: Counterexample) -> str:
    return (
        f"Convention: grad '{params['grad']}', lr {params['lr']:g}, momentum {params['momentum']:g}, "
        f"{params['steps']:,} steps, H factored by {ce.instance.metadata['factorization']} "
        f"({ce.m} measurements), kernel {ce.instance.metadata['kernel_source']}. {CONVENTIONS}"
    )


def bad_summary(params: dict, df: pd.DataFrame, figures_dir: Path) -> list[Verdict]:
    """Fig. 2: γ = 1 recovers, γ = 0 stays stuck; the paper's "all below 1 %" checked as stated."""
    ce = build_instance(params)
    b = bands(df)
    _figure(params, df, b, figures_dir, f"zhang2018 Fig. 2 (bad, n = 12, r = 2, δ = {ce.delta:.4f})")
    quick = params["trials"] < 1000
    e1 = df.loc[df["gamma_index"] == len(params["gammas"]) - 1, "error"].to_numpy()
    e0 = df.loc[df["gamma_index"] == 0, "error"].to_numpy()
    T1 = e1.size
    below_half = float(np.mean(e1 < FAIL))
    below_1 = float(np.mean(e1 < 0.01))
    q95 = float(np.quantile(e1, 0.95))
    div1 = int(np.sum(~np.isfinite(e1)))
    conv = _common_note(params, ce)
    return [
        Verdict(
            "δ of the engineered instance (full-rank RIP of LMI (10)'s optimum)",
            "0.973 (the paper's draw)",
            f"{ce.delta:.4f} (our draw)",
            "± 0.03: the value depends on the random (x, z)",
            "match" if abs(ce.delta - 0.973) <= 0.03 else "miss",
            f"Certified second-order spurious point: {ce.certified}; ‖∇f(x_loc)‖ = "
            f"{ce.verification.grad_norm:.2g}, λ_min(∇²f) = {ce.verification.hess_min_eig:.3g}. "
            "The paper's text says 0.975, its Fig. 2 caption 0.973.",
        ),
        Verdict(
            "γ = 0 (start at x_loc): every trial above 100 % error",
            "all > 100 % (stuck at x_loc)",
            f"min {e0.min():.3g}, median {np.median(e0):.3g} over {e0.size} trials",
            "every trial > 1",
            "match" if np.all(e0 > 1.0) else "miss",
            "x_loc has ‖xxᵀ‖_F/‖zzᵀ‖_F = 4, so an SGD run that stays near it keeps an error near 3.",
        ),
        Verdict(
            "γ = 1 (Gaussian start): fraction below 50 % error",
            "100 % (all trials below 1 %)",
            f"{_pct(below_half)} of {T1} ({div1} diverged)",
            "≥ 90 % (our reference runs: ≈ 96 %)" + ("; quick: same threshold, 400 trials" if quick else ""),
            "match" if below_half >= 0.9 else "miss",
            "Diverged trials (the unbiased step, 4m = 312 × the term, occasionally blows up) count as failures. "
            + conv,
        ),
        Verdict(
            "γ = 1: all trials below 1 % error",
            "all 1,000 below 1 %",
            f"{_pct(below_1)} of {T1} below 1 %",
            "all (100 %)",
            "match" if below_1 == 1.0 else "miss",
            "Not reproduced (measured on the full protocol, instance_seed 0, 1,000 Gaussian starts). Tried: "
            "grad 'unbiased' with the step × 0.5, 1, 2, 4 (equivalently the scale of the A_i): below 1 % "
            "5 %, 68 %, 93 %, 44 % (0, 4, 51, 565 diverged); grad 'term' (c = 4): none below 50 % after "
            "10,000 steps, 78 % below 50 % and none below 1 % after 100,000; Cholesky and symmetric-square-"
            "root factorizations of H: 67 % and 65 % below 1 % (45 and 55 diverged); 100,000 unbiased steps: "
            "99.5 % below 1 % (the rest diverged) — the trials above 1 % at 10,000 steps are slow (the bad "
            "instance is only weakly convex at its minima, as the paper says), not trapped. Other (x, z) "
            "draws (instance_seed 0–4, δ 0.973–0.984) give 68 %, 99 %, 87 %, 49 %, 97 % below 1 % at "
            "10,000 steps: the draw δ = 0.973 (seed 1) is close to the paper's figure (98.9 %, 95 % quantile "
            "0.24 %); we report the first draw rather than pick one. Divergences (≤ 0.5 %) are the "
            "unbiased step's (4m = 312 × the term) occasional blow-ups.",
        ),
        Verdict(
            "γ = 1: 95 % quantile of the error",
            "≈ 0.6 %",
            _pct(q95),
            "within a factor 2 (0.3–1.2 %)",
            "match" if 0.003 <= q95 <= 0.012 else "miss",
            "The quantile depends on the draw of (x, z) (0.24 %–26 % over instance_seed 0–4) and on the step "
            "scale (see the previous row).",
        ),
    ]


def good_summary(params: dict, df: pd.DataFrame, figures_dir: Path) -> list[Verdict]:
    """Fig. 3: failure rate at γ = 1 (> 50 % error), failures near x_loc, γ = 0 stuck at x_loc."""
    ce = build_instance(params)
    b = bands(df)
    _figure(params, df, b, figures_dir, f"zhang2018 Fig. 3 (good, n = 12, r = 1, δ = {ce.delta:.4f})")
    quick = params["trials"] < 1000
    last = df[df["gamma_index"] == len(params["gammas"]) - 1]
    e1 = last["error"].to_numpy()
    T1 = e1.size
    failed = ~(e1 < FAIL)
    rate = binomial_rate(int(np.count_nonzero(failed)), T1)
    lo, hi = rate.ci
    overlap = hi >= 0.0366 and lo <= 0.0814
    dist_all = last.loc[failed, "xloc_distance"].to_numpy()
    ndiv = int(np.sum(~np.isfinite(dist_all)))
    dist = dist_all[np.isfinite(dist_all)]
    dmat = last.loc[failed, "xloc_matrix_distance"].to_numpy()
    dmat = dmat[np.isfinite(dmat)]
    near = float(np.mean(dist <= 0.3)) if dist.size else float("nan")
    e0 = df.loc[df["gamma_index"] == 0, "error"].to_numpy()
    med0 = float(np.median(e0))
    conv = _common_note(params, ce)
    near_txt = (
        f"{int(np.sum(dist <= 0.3))} of {dist.size} failures within 0.3 (max {dist.max():.3g}, median "
        f"{np.median(dist):.3g}); ‖xxᵀ − x_loc x_locᵀ‖_F/‖zzᵀ‖_F max {dmat.max():.3g}"
        if dist.size
        else "no failures"
    ) + f"; {ndiv} diverged"
    return [
        Verdict(
            "δ of the orthogonal construction (x ⟂ z, ‖x‖ = ‖z‖/√2)",
            "1/2",
            f"{ce.delta:.9f}",
            "± 1e-6",
            "match" if abs(ce.delta - DELTA_STAR) <= 1e-6 else "miss",
            f"Certified: {ce.certified}; λ_min(∇²f(x_loc)) = {ce.verification.hess_min_eig:.3g}.",
        ),
        Verdict(
            "γ = 1: failure rate (final error > 50 %)",
            "5.90 ± 2.24 % (59 of 1,000, 3σ)",
            f"{rate_text(rate)}; {rate.failures} of {T1}",
            "3σ intervals overlap: ours (Wilson) ∩ [3.66, 8.14] % ≠ ∅"
            + (" (quick: 400 trials, wider 3σ)" if quick else ""),
            "match" if overlap else "miss",
            "Our reference runs get 4–6 %; the rate moves with the factorization of H (2.9–7.5 %) and with the "
            "(x, z) draw (3.5 %, 4.5 %, 4.3 %, 3.0 % at instance_seed 0–3, 1,000 Gaussian starts, eigh). " + conv,
        ),
        Verdict(
            "γ = 1: failed trials hover near x_loc",
            "failures near x_loc",
            near_txt,
            "every non-diverged failure within 0.3 of x_loc (min over ± of ‖x ∓ x_loc‖_F; ‖x_loc‖ = 0.71)",
            "match" if dist.size and near == 1.0 else "miss",
            "Diverged trials (the unbiased step's occasional blow-ups) count as failures in the rate above but "
            "have no position; the check is on the others. A failure farther than 0.3 would be one still on "
            "its way (slow escape).",
        ),
        Verdict(
            "γ = 0 (start at x_loc): median error",
            "≈ 1.118 = √5/2 (x_loc itself)",
            f"{med0:.4f}",
            "± 0.05",
            "match" if abs(med0 - math.sqrt(5) / 2) <= 0.05 else "miss",
            "‖x_loc x_locᵀ − zzᵀ‖_F/‖zzᵀ‖_F = √(1/4 + 1) = 1.118 for x ⟂ z, ‖x‖² = ‖z‖²/2. The paper gives "
            "no number (its figure shows γ = 0 stuck); SGD stays near x_loc but its noise moves it a little "
            f"along the flat direction of the Hessian (λ_min = {ce.verification.hess_min_eig:.2g}), so the "
            f"median drifts from 1.118 (5–95 %: {np.quantile(e0, 0.05):.3f}–{np.quantile(e0, 0.95):.3f}); "
            "the tolerance ± 0.05 allows that drift.",
        ),
    ]


def work(params: dict) -> tuple[float, str]:
    """SGD trial-steps: every γ × trial × step."""
    g, t, s = len(params["gammas"]), params["trials"], params["steps"]
    return float(g) * t * s, f"{g} gammas × trials = {t} × steps = {s}"


EXPERIMENTS = (
    Experiment(
        name="zhang2018-sgd-bad",
        description="§5 Experiment 2, Fig. 2: SGD from γw + (1 − γ)x_loc on the 'bad' instance (n = 12, r = 2, "
        "δ ≈ 0.97): error bands vs γ",
        citation=CITATION + ", §5 Experiment 2, Fig. 2",
        params=bad_params,
        chunks=chunks,
        run_chunk=run_chunk,
        summarize=bad_summary,
        manifest=manifest,
        work=work,
    ),
    Experiment(
        name="zhang2018-sgd-good",
        description="§5 Experiment 2, Fig. 3: SGD from γw + (1 − γ)x_loc on the 'good' instance (n = 12, r = 1, "
        "δ = 1/2): error bands vs γ, failure rate at γ = 1",
        citation=CITATION + ", §5 Experiment 2, Fig. 3",
        params=good_params,
        chunks=chunks,
        run_chunk=run_chunk,
        summarize=good_summary,
        manifest=manifest,
        work=work,
    ),
)
