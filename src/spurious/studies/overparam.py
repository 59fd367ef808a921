"""Overparameterization: where is the sharp RIP threshold? (``spurious reproduce overparam``).

Zhang (2021), "Sharp global guarantees for nonconvex low-rank matrix recovery in the
overparameterized regime", arXiv:2104.10790. Its abstract states, for search rank ``r ≥ r*``
(the rank of the ground truth), that ``δ < 1/(1 + √(r*/r))`` is sufficient for the absence of
spurious local minima and that ``δ < 1/(1 + 1/√(r − r* + 1))`` is necessary (counterexamples
exist there); for ``r* = 1`` both are ``1/(1 + 1/√r)``. We had the abstract's wording only, not
the paper: the formulas (:func:`spurious.landscape._overparam.overparam_bounds`) are checked
against that wording (``r = r*`` gives zhang2018's 1/2 for both), and the paper's RIP is taken
to be the one of the rank ``r + r*`` matrices, which is the full-rank δ of our instances in
``n = r + r*`` dimensions.

* ``overparam`` — for each ``(r*, r)``, ``r* ∈ {1, 2, 3}``, ``r ∈ {r*, …, r* + 3}`` (quick:
  ``r* ∈ {1, 2}``, ``r ≤ r* + 1``): the smallest ``δ_soc(x, z)`` (LMI (10) of zhang2018) found
  over ``x ∈ ℝ^{n×r}``, ``z ∈ ℝ^{n×r*}``, ``n = r + r*`` (no loss: the span reduction, proved in
  :mod:`spurious.landscape._overparam` and checked numerically in ``n + 2`` dimensions with the
  unreduced program), spurious points only.
* ``overparam-margin`` — the same with ``M(H) ⪰ μI`` (``--set margin=μ``, default 0.05 in units
  of ``tr(zzᵀ) = 1``; full run: the cells with ``n ≤ 6``): strict spurious local minima (each also
  decided by :func:`spurious.certify`), and their price over the ``μ = 0`` run (``--set baseline=DIR``).

Method: multi-start L-BFGS-B (:func:`spurious.landscape._overparam.minimize_delta`) with the
derivative of ``η`` from the program's dual (an envelope derivative, checked against finite
differences in the tests). Derivative-free methods were rejected: at ``n = 9`` the search has
81 parameters and one solve takes ~10 s. Starts: zhang2018's orthogonal construction in rank
``r`` (:func:`orthogonal_start`, ``x ⟂ z``, ``σ²(x) = 1/2``), random Gaussian ``(x, z)`` (seeded by
:func:`spurious.core._rng.trial_stream`, ``(seed, start, cell)``) and, for ``r* ≥ 2``, the
*embedded* start ``z = [e₁ … e_{r*}]``, ``x = [z₂ … z_{r*}, x′]`` with ``x′`` the ``r* = 1``
minimizer at rank ``r − r* + 1`` against ``e₁`` (our guess at the shape of the paper's
counterexample: the extra ground-truth directions are fitted exactly). The start budget shrinks
with ``n`` (a solve is ~10 ms at ``n = 4`` and ~10 s at ``n = 9``): ``params["budget"]``. Every
reported number is re-solved by :func:`spurious.threshold_program`, so "smallest found" is an
upper estimate of the infimum, never a claim about it.

Instances and ``results.parquet``
---------------------------------
``run_chunk`` is given no directory, but ``results.parquet`` must name each minimizer's
instance file. The name is a function of the chunk key alone
(``instances/<experiment>-rstar<r*>-r<r>.npz``), so ``run_chunk`` writes the relative path in
the ``instance`` column together with the minimizer (``x_flat``, ``z_flat``, column-major), and
``summarize`` (``out = figures_dir.parent``) builds the instance with
:func:`spurious.counterexample` (deterministic: same program, same factorization), saves it at
exactly that path, loads it back and re-verifies it from its matrices alone
(:func:`~spurious.landscape._counterexample.verify_instance`: gradient, Hessian off the
symmetry, full-rank δ recomputed from the ``A_i``). A resumed or re-summarized run rewrites the
same files. Rows: one per ``(r*, r)``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from spurious.core._errors import InputError, NoInstanceError, SolverError, VerificationError
from spurious.core._instances import load_instance, save_instance
from spurious.core._rng import trial_stream
from spurious.landscape._certify import certify
from spurious.landscape._counterexample import counterexample, verify_instance
from spurious.landscape._overparam import certified_program, minimize_delta, overparam_bounds, overparam_orthogonal_pair
from spurious.landscape._thresholds import threshold_program
from spurious.studies import _plotting as plotting
from spurious.studies._registry import Experiment, Verdict

if TYPE_CHECKING:
    import pandas as pd

CITATION = (
    "Zhang, Sharp global guarantees for nonconvex low-rank matrix recovery in the overparameterized "
    "regime, arXiv:2104.10790 (2021)"
)

#: δ tolerance of "never below the sufficient bound" (solver gap 1e-10, re-check 1e-6).
DELTA_TOL = 1e-6
#: Margins at which the margin run evaluates the orthogonal construction (module constants: summarize only).
CONSTRUCTION_MUS = (1e-4, 1e-3, 1e-2)
#: "r* = 1 reaches 1/(1 + 1/√r)" within this (a local search stops short of the infimum).
REACH_TOL = {"quick": 2e-3, "full": 5e-4}


def _budget(quick: bool) -> dict:
    """Random starts and L-BFGS-B iterations per start, by ``n`` (the solve time grows ~n⁶)."""
    if quick:
        return {str(n): {"starts": 2, "maxiter": 20} for n in range(2, 6)}
    table = {2: (8, 60), 3: (8, 60), 4: (8, 60), 5: (8, 60), 6: (4, 40), 7: (2, 30), 8: (1, 15), 9: (0, 6)}
    return {str(n): {"starts": s, "maxiter": m} for n, (s, m) in table.items()}


def _cells(quick: bool) -> list:
    if quick:
        return [[rs, r] for rs in (1, 2) for r in range(rs, rs + 2)]
    return [[rs, r] for rs in (1, 2, 3) for r in range(rs, rs + 4)]


def params(quick: bool) -> dict:
    """Cells ``(r*, r)``, the budget by ``n``, the embedding check's dimension (``n + 2``) and its size limit."""
    return {
        "cells": _cells(quick),
        "budget": _budget(quick),
        "margin": 0.0,
        "embed_extra": 2,
        "embed_max_n": 5 if quick else 6,
        "embedded_start_starts": 2 if quick else 4,
        "reach_tol": REACH_TOL["quick" if quick else "full"],
    }


def margin_params(quick: bool) -> dict:
    """As :func:`params` with ``margin = 0.05`` (units of ``tr(zzᵀ) = 1``); cells up to ``n = 6`` in the full run.

    ``baseline``: the ``μ = 0`` run the price is measured against, relative to this run's
    directory (``../overparam``, where ``spurious reproduce all`` puts it).
    """
    p = params(quick)
    cells = p["cells"] if quick else [c for c in p["cells"] if sum(c) <= 6]
    return {**p, "cells": cells, "margin": 0.05, "embed_max_n": 0, "baseline": "../overparam"}


def chunks(params: dict) -> list:
    for rs, r in params["cells"]:
        if str(r + rs) not in params["budget"]:
            raise InputError(f"cell (r* = {rs}, r = {r}): no budget for n = {r + rs}")
    return [{"r_star": rs, "r": r} for rs, r in params["cells"]]


def _experiment_name(params: dict) -> str:
    return "overparam-margin" if params["margin"] > 0 else "overparam"


def instance_path(params: dict, r_star: int, r: int) -> str:
    """The minimizer's instance file, relative to the run directory (a function of the cell alone)."""
    return f"instances/{_experiment_name(params)}-rstar{r_star}-r{r}.npz"


def embedded_start(x1: np.ndarray, r_star: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """``z = [e₁ … e_{r*}]``, ``x = [e₂ … e_{r*}, x′]`` with ``x′`` (``(r′+1) × r′``, ``r′ = r − r* + 1``) on ``e₁`` and
    ``e_{r*+1} …``: the ``r* = 1`` point ``(x′, e₁)`` with the other truth directions fitted exactly.

    ``x1`` is an ``r* = 1`` minimizer whose ground truth is ``(±1, 0, …)`` after the rotation
    done here (any ``(x′, z′)`` is first rotated so that ``z′ = ‖z′‖ e₁``).
    """
    n = r + r_star
    x1 = np.asarray(x1, float)
    rp = r - r_star + 1
    x = np.zeros((n, r))
    z = np.zeros((n, r_star))
    z[:r_star, :r_star] = np.eye(r_star)
    for j in range(r_star - 1):
        x[1 + j, j] = 1.0
    rows = [0, *range(r_star, r_star + rp)]
    x[np.ix_(rows, range(r_star - 1, r))] = x1
    return x, z


def orthogonal_start(r_star: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """zhang2018's orthogonal construction in every rank: ``z = [e₁ … e_{r*}]``, ``x = [e_{r*+1} … e_{r*+r}]/√2``."""
    n = r + r_star
    z = np.eye(n)[:, :r_star]
    return np.eye(n)[:, r_star:] / np.sqrt(2.0), z


def _rotate_to_e1(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``x`` in a basis where ``z = ‖z‖ e₁``, scaled so that ``‖z‖ = 1`` (rank-1 ``z``)."""
    Q, _ = np.linalg.qr(np.hstack([z, np.eye(z.shape[0])]))
    Q[:, 0] *= np.sign(float(Q[:, 0] @ z[:, 0]))
    return (Q.T @ x) / float(np.linalg.norm(z))


def structure(x: np.ndarray, z: np.ndarray) -> dict:
    """Shape of a minimizer: singular values of ``x`` and ``z``, the cosine between each left
    singular vector of ``x`` (by decreasing σ) and ``span(z)``, the principal cosines of
    ``range(x)`` and ``range(z)``, and ``‖xxᵀ − zzᵀ‖_F/‖zzᵀ‖_F``."""
    U, sx, _ = np.linalg.svd(x, full_matrices=False)
    Qz, _ = np.linalg.qr(z)
    sz = np.linalg.svd(z, compute_uv=False)
    cos = np.linalg.norm(Qz.T @ U, axis=0)
    pcos = np.linalg.svd(Qz.T @ U, compute_uv=False)
    gap = float(np.linalg.norm(x @ x.T - z @ z.T) / np.linalg.norm(z @ z.T))
    return {
        "sigma_x": sx.tolist(),
        "sigma_z": sz.tolist(),
        "cos_to_z": cos.tolist(),
        "principal_cos": pcos.tolist(),
        "rel_gap": gap,
    }


def run_chunk(params: dict, chunk: dict, seed: int) -> pd.DataFrame:
    """The multi-start minimization of one cell; its minimizer, δ (threshold_program), bounds, structure."""
    import pandas as pd

    rs, r = int(chunk["r_star"]), int(chunk["r"])
    n = r + rs
    cell = chunks(params).index(chunk)
    mu = float(params["margin"])
    b = params["budget"][str(n)]
    initial, init_note = [orthogonal_start(rs, r)], "orthogonal start (start 0)"
    if rs >= 2:
        rp = r - rs + 1
        k = int(params["embedded_start_starts"])
        sub = minimize_delta(
            1,
            rp,
            margin=mu,
            starts=k,
            maxiter=60,
            initial=[orthogonal_start(1, rp)],
            rng=[trial_stream(seed, 1000 + t, cell) for t in range(k)],
        )
        initial.append(embedded_start(_rotate_to_e1(sub.x, sub.z), rs, r))
        init_note += f"; embedded start (start 1) from the (1, {rp}) minimizer (δ = {sub.delta:.6f})"
    res = minimize_delta(
        rs,
        r,
        margin=mu,
        starts=int(b["starts"]),
        maxiter=int(b["maxiter"]),
        initial=initial,
        rng=[trial_stream(seed, t, cell) for t in range(int(b["starts"]))],
    )
    suff, cex = overparam_bounds(rs, r)
    row = {
        "r_star": rs,
        "r": r,
        "n": n,
        "margin": mu,
        "delta_min": res.delta,
        "certified": res.certified,
        "solver": res.solver,
        "bound_sufficient": suff,
        "bound_counterexample": cex,
        "instance": instance_path(params, rs, r),
        "x_flat": res.x.ravel(order="F").tolist(),
        "z_flat": res.z.ravel(order="F").tolist(),
        "start_deltas": [float(d) for d in res.start_deltas],
        "best_start": res.best_start,
        "starts": len(res.start_deltas),
        "maxiter": int(b["maxiter"]),
        "evaluations": res.evaluations,
        "seed_cell": cell,
        "initial": init_note,
        **structure(res.x, res.z),
    }
    row["delta_embedded"] = np.nan
    if mu == 0 and n <= int(params["embed_max_n"]):
        # the span reduction numerically: the minimizer rotated into n + extra dimensions, unreduced program
        m = n + int(params["embed_extra"])
        Q, _ = np.linalg.qr(trial_stream(seed, 2000, cell).standard_normal((m, m)))
        X = Q[:, :n] @ res.x
        Z = Q[:, :n] @ res.z
        row["delta_embedded"] = threshold_program(X, Z, order="second", reduce=False).delta
    return pd.DataFrame([row])


def _xz(q) -> tuple[np.ndarray, np.ndarray]:
    n, r, rs = int(q.n), int(q.r), int(q.r_star)
    return (np.asarray(q.x_flat, float).reshape(n, r, order="F"), np.asarray(q.z_flat, float).reshape(n, rs, order="F"))


def save_and_verify(params: dict, q, out: Path) -> dict:
    """Build the cell's instance (:func:`spurious.counterexample`), save it at ``q.instance``, re-verify it from the
    file."""
    x, z = _xz(q)
    mu = float(params["margin"])
    path = out / q.instance
    solver = str(getattr(q, "solver", "clarabel"))
    try:
        ce = counterexample(x, z, order="second", margin=mu, solver=solver)
    except (NoInstanceError, SolverError, VerificationError, InputError) as exc:
        return {
            "saved": False,
            "passed": False,
            "message": f"{type(exc).__name__}: {exc}",
            "rip_full": np.nan,
            "grad_norm": np.nan,
            "hess_min": np.nan,
            "local_min": "not asked",
            "note": "",
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    save_instance(path, ce.instance)
    inst = load_instance(path)
    ver = verify_instance(inst, inst.x, delta=float(q.delta_min), order="second", margin=mu)
    local_min = "not asked"
    if mu > 0:  # a strict local minimum: certify's own decision too (fixed stream: summarize has no seed)
        cert = certify(inst, rng=trial_stream(0, 3000, int(q.seed_cell)))
        local_min = {True: "true", False: "false", None: "undecided"}[cert.local_min]
    why = [ver.message] if ver.message else []
    if local_min not in ("true", "not asked"):
        why.append(f"certify: local_min = {local_min}")
    # The file is judged by its matrices alone; the generating program's status only says whether
    # δ is the least for this x, which the instance does not claim.
    note = (
        f"the counterexample program ({solver}) ended {ce.status!r}: the instance attains δ, "
        "its minimality for x is not certified"
        if ce.status not in ("optimal", "exact")
        else ""
    )
    return {
        "saved": True,
        "passed": bool(ver.passed and local_min in ("true", "not asked")),
        "local_min": local_min,
        "message": "; ".join(why),
        "note": note,
        "rip_full": ver.rip_full,
        "grad_norm": ver.grad_norm,
        "hess_min": ver.hess_min_eig,
    }


def _describe(q) -> str:
    """One sentence on the minimizer's shape (columns inside/orthogonal to span(z), their σ²)."""
    cos = np.asarray(q.cos_to_z, float)
    sx2 = np.asarray(q.sigma_x, float) ** 2
    inside = cos > 0.99
    perp = cos < 0.01
    parts = []
    if inside.any():
        parts.append(
            f"{int(inside.sum())} singular direction(s) of x inside span(z) (σ² = "
            + ", ".join(f"{s:.3f}" for s in sx2[inside])
            + ")"
        )
    if perp.any():
        parts.append(f"{int(perp.sum())} orthogonal to z (σ² = " + ", ".join(f"{s:.3f}" for s in sx2[perp]) + ")")
    mixed = ~(inside | perp)
    if mixed.any():
        parts.append(f"{int(mixed.sum())} oblique (cos to span(z) = " + ", ".join(f"{c:.2f}" for c in cos[mixed]) + ")")
    sz2 = ", ".join(f"{s**2:.3f}" for s in np.asarray(q.sigma_z, float))
    return f"(r*, r) = ({int(q.r_star)}, {int(q.r)}): σ²(z) = {sz2}; " + "; ".join(parts)


def _shape_sentence(df: pd.DataFrame) -> str:
    """What the optimal counterexamples look like, from the minimizers' singular values and angles."""
    words = []
    one = df[df.r_star == 1]
    if len(one):
        cos = max(float(np.max(q.cos_to_z)) for _, q in one.iterrows())
        spread = max(float(np.ptp(np.asarray(q.sigma_x) ** 2)) for _, q in one.iterrows())
        ratio = ", ".join(
            f"r = {int(q.r)}: {float(np.mean(np.asarray(q.sigma_x) ** 2)):.4f} "
            f"(the μ = 0 construction: 1/(1 + √r) = {1 / (1 + np.sqrt(q.r)):.4f})"
            for _, q in one.sort_values("r").iterrows()
        )
        words.append(
            f"r* = 1: x ⟂ z (max cos = {cos:.1e}) with r equal singular values (max spread of σ² {spread:.1e}), "
            f"σ²(x)/‖z‖² = {ratio}"
        )
    for rs in sorted(set(df.r_star) - {1}):
        d = df[df.r_star == rs]
        inside = [int(np.sum(np.asarray(q.cos_to_z) > 0.99)) for _, q in d.sort_values("r").iterrows()]
        words.append(
            f"r* = {rs}: directions of x inside span(z) per r = {d.sort_values('r').r.tolist()}: {inside} "
            f"(the embedded form fits r* − 1 = {rs - 1} of z's directions exactly, the rest ⟂ z)"
        )
    return "; ".join(words)


def summarize(params: dict, df: pd.DataFrame, figures_dir: Path) -> list:
    out = Path(figures_dir).parent
    mu = float(params["margin"])
    reach_tol = float(params["reach_tol"])
    label = "δ_soc" if mu == 0 else f"δ of a strict spurious local min (μ = {mu:g})"
    verdicts = []
    checks = {}
    for _, q in df.sort_values(["r_star", "r"]).iterrows():
        checks[(int(q.r_star), int(q.r))] = save_and_verify(params, q, out)
    for _, q in df.sort_values(["r_star", "r"]).iterrows():
        rs, r = int(q.r_star), int(q.r)
        chk = checks[(rs, r)]
        d, suff, cex = float(q.delta_min), float(q.bound_sufficient), float(q.bound_counterexample)
        where = f"(r*, r) = ({rs}, {r}), n = {int(q.n)}"
        budget = (
            f"{int(q.starts)} starts × ≤ {int(q.maxiter)} L-BFGS-B iterations, {int(q.evaluations)} solves, "
            f"best start {int(q.best_start)}, seed cell {int(q.seed_cell)}"
        )
        inst = (
            f"instance {q.instance}: re-verified from its matrices "
            f"(full-rank δ {chk['rip_full']:.7f}, ‖∇f‖ = {chk['grad_norm']:.1e}, "
            f"λ_min(∇²f) off symmetry = {chk['hess_min']:.2e}, certify local_min: {chk['local_min']}"
            f"{'; ' + chk['note'] if chk['note'] else ''})"
            if chk["passed"]
            else f"instance {q.instance}: NOT re-verified ({chk['message']})"
        )
        below = d < suff - DELTA_TOL
        verdicts.append(
            Verdict(
                f"{where}: smallest {label} found ≥ the sufficient bound 1/(1 + √(r*/r))",
                f"no spurious local minimum for δ < {suff:.6f}",
                f"smallest found {d:.6f} (certified {bool(q.certified)}, {getattr(q, 'solver', 'clarabel')}); "
                f"margin over the bound {d - suff:+.6f}",
                f"δ ≥ bound − {DELTA_TOL:g}",
                ("refuted" if chk["passed"] else "miss") if below else "match",
                f"{inst}. {budget}. rel. distance to a global min ‖xxᵀ − zzᵀ‖/‖zzᵀ‖ = {q.rel_gap:.3f}. "
                + (
                    "BELOW the sufficient bound: the saved instance is the certificate against the theorem"
                    if below and chk["passed"]
                    else ""
                )
                + (
                    "below the bound but the instance did not re-verify: not a refutation"
                    if below and not chk["passed"]
                    else ""
                ),
            )
        )
        if rs == 1 and mu == 0:
            gap = d - cex
            verdicts.append(
                Verdict(
                    f"{where}: r* = 1 reaches the sharp threshold 1/(1 + 1/√r)",
                    f"sharp: {cex:.6f} (sufficient = necessary for r* = 1)",
                    f"smallest found {d:.6f}, {gap:+.2e} from it",
                    f"|δ − 1/(1 + 1/√r)| ≤ {reach_tol:g} (a local search: an upper estimate)",
                    "match" if abs(gap) <= reach_tol and chk["passed"] else "miss",
                    "" if abs(gap) <= reach_tol else "the search stopped above the infimum (more starts/iterations)",
                )
            )
        elif rs >= 2 and (mu == 0 or r > rs):  # with a margin, r = r* has cex = 1/2, unattainable
            hit = d <= cex + reach_tol
            kind = "" if mu == 0 else f" (a strict spurious local minimum, μ = {mu:g})"
            verdicts.append(
                Verdict(
                    f"{where}: counterexample at 1/(1 + 1/√(r − r* + 1)); the sharp value (open) — smallest "
                    f"found{kind}",
                    f"counterexamples exist at δ = {cex:.6f}; sharp value in [{suff:.6f}, {cex:.6f}]",
                    f"smallest found {d:.6f} ({d - cex:+.2e} from the counterexample bound) — a new data point, an "
                    "upper estimate of the sharp value",
                    f"δ ≤ counterexample bound + {reach_tol:g}",
                    "match" if hit and chk["passed"] else "miss",
                    (
                        f"below the paper's counterexample bound by {cex - d:.2e}: the sharp threshold is at most "
                        f"{d:.6f} (certified instance saved)"
                        + (
                            " — a certified strict spurious local minimum below the paper's counterexample value"
                            if mu > 0
                            else ""
                        )
                        + (
                            f"; it meets the sufficient bound ({d - suff:+.1e}): for spurious second-order points "
                            "the sufficient bound 1/(1 + √(r*/r)) is sharp at this (r*, r) (whether these points are "
                            "local minima: overparam-margin)"
                            if abs(d - suff) <= reach_tol
                            else ""
                        )
                        if d < cex - DELTA_TOL and chk["passed"]
                        else "our search did not get below the paper's counterexample value"
                        if not hit
                        else "our smallest value sits at the paper's counterexample value"
                    )
                    + f"; {q.initial}",
                )
            )
    ok = sum(c["passed"] for c in checks.values())
    verdicts.append(
        Verdict(
            "every reported minimizer re-verified from its saved instance file (load_instance + verify_instance)",
            "— (ours)",
            f"{ok} of {len(checks)} instance files re-verify (gradient, Hessian, full-rank δ)",
            "spurious.landscape._counterexample.VERIFY_TOL",
            "match" if ok == len(checks) else "miss",
            "files: " + ", ".join(str(df.instance.iloc[i]) for i in range(len(df))),
        )
    )
    emb = df[df.delta_embedded.notna()]
    if len(emb):
        dev = float(np.max(np.abs(emb.delta_embedded - emb.delta_min)))
        verdicts.append(
            Verdict(
                f"span reduction: the minimizer rotated into n + {params['embed_extra']} dimensions, unreduced program",
                "— (ours) n = r + r* loses nothing",
                f"max |δ(n + {params['embed_extra']}) − δ(n)| = {dev:.1e} over "
                f"{len(emb)} cells (n ≤ {params['embed_max_n']})",
                "1e-6",
                "match" if dev <= 1e-6 else "miss",
                "proof in spurious.landscape._overparam (compression of any kernel to span[x z])",
            )
        )
    verdicts.append(_construction_verdict(params, df, out))
    if mu > 0:
        base = Path(out) / params.get("baseline", "../overparam") / "results.parquet"
        verdicts.append(_margin_price(df, base))
    verdicts.append(
        Verdict(
            "structure of the minimizers: " + _shape_sentence(df),
            "— (ours)",
            "; ".join(_describe(q) for _, q in df.iterrows()),
            "—",
            "match",
            "cos = ‖P_z u_j‖ for the left singular vectors u_j of x by decreasing σ; figure structure.png",
        )
    )
    _figure(df, figures_dir, mu)
    return verdicts


def _construction_verdict(params: dict, df: pd.DataFrame, out: Path) -> Verdict:
    """The orthogonal construction (:func:`spurious.landscape._overparam.overparam_orthogonal_pair`) in every cell:
    δ at μ = 0 (or at :data:`CONSTRUCTION_MUS`), its instance saved and re-verified from the file."""
    mu = float(params["margin"])
    mus = (0.0,) if mu == 0 else CONSTRUCTION_MUS
    pts, worst, ok, files = [], 0.0, True, []
    for _, q in df.sort_values(["r_star", "r"]).iterrows():
        rs, r = int(q.r_star), int(q.r)
        x, z = overparam_orthogonal_pair(rs, r)
        suff = float(q.bound_sufficient)
        ds, solvers = [], []
        for m in mus:
            try:
                res = certified_program(x, z, margin=m)
                ds.append(res.delta if res.certified else np.nan)
                solvers.append(res.solver)
            except (NoInstanceError, SolverError, InputError):
                ds.append(np.nan)
                solvers.append("clarabel")
        worst = max(worst, abs(ds[0] - suff) if np.isfinite(ds[0]) else np.inf)
        row = SimpleNamespace(
            n=r + rs,
            r=r,
            r_star=rs,
            delta_min=ds[0],
            seed_cell=int(q.seed_cell),
            solver=solvers[0],
            x_flat=x.ravel(order="F").tolist(),
            z_flat=z.ravel(order="F").tolist(),
            instance=str(q.instance).replace(".npz", "-construction.npz"),
        )
        chk = save_and_verify({**params, "margin": mus[0]}, row, out)
        ok = ok and chk["passed"]
        files.append(row.instance)
        pts.append(
            f"({rs}, {r}): "
            + ", ".join(f"δ(μ={m:g}) = {d:.6f}" for m, d in zip(mus, ds, strict=True))
            + f" vs {suff:.6f}"
            + (f" [{chk['note']}]" if chk["passed"] and chk["note"] else "")
            + ("" if chk["passed"] else f" [instance NOT re-verified: {chk['message']}]")
            + (f", certify local_min: {chk['local_min']}" if mus[0] > 0 else "")
        )
    if mu == 0:
        return Verdict(
            "the orthogonal construction (x ⟂ z, equal singular values, σ²(x) = σ²(z)/(1 + √(r/r*))) attains the "
            "sufficient bound 1/(1 + √(r*/r)) in every cell",
            "— (beyond the paper) the sufficient bound is sharp for spurious second-order points iff attained",
            f"max |δ_soc − bound| = {worst:.1e}; " + "; ".join(pts),
            "1e-6 and every instance re-verified",
            "match" if worst <= 1e-6 and ok else "miss",
            "observed (found by the search, then written in closed form), not proved. Instances: "
            + ", ".join(files)
            + ". A spurious second-order point at δ = 1/(1 + √(r*/r)) shows that no bound above it can exclude "
            "spurious second-order points; whether they are local minima: overparam-margin.",
        )
    return Verdict(
        f"strict spurious local minima near the sufficient bound: the orthogonal construction with margins {mus}",
        "— (beyond the paper) if δ(μ) → 1/(1 + √(r*/r)) as μ → 0, the sufficient bound is the sharp threshold "
        "for local minima too",
        f"max δ(μ = {mus[0]:g}) − bound = {worst:.1e}; " + "; ".join(pts),
        f"δ(μ = {mus[0]:g}) − bound ≤ 1e-3, instance re-verified and certify local_min = true",
        "match" if worst <= 1e-3 and ok else "miss",
        f"instances at μ = {mus[0]:g}: " + ", ".join(files) + ". Each is a certified strict spurious local minimum "
        "(∇²f ⪰ 2μI off the rotation symmetry, re-verified from its matrices, certify decides local_min).",
    )


def _margin_price(df: pd.DataFrame, base: Path) -> Verdict:
    """δ at margin μ against the μ = 0 run next to this one (``../overparam``), when it exists."""
    import pandas as pd

    if not base.exists():
        return Verdict(
            "price of a strict spurious local minimum: δ(μ) − δ(0)",
            "— (beyond the paper)",
            f"no μ = 0 run at {base}; δ(μ) per cell: "
            + ", ".join(f"({int(q.r_star)}, {int(q.r)}): {q.delta_min:.6f}" for _, q in df.iterrows()),
            "—",
            "miss",
            "not compared: run `spurious reproduce overparam` into the sibling directory, then summarize again",
        )
    b = pd.read_parquet(base)[["r_star", "r", "delta_min"]].rename(columns={"delta_min": "delta0"})
    m = df.merge(b, on=["r_star", "r"])
    pts = ", ".join(
        f"({int(q.r_star)}, {int(q.r)}): {q.delta0:.6f} → {q.delta_min:.6f} (+{q.delta_min - q.delta0:.4f})"
        for _, q in m.iterrows()
    )
    lower = m[m.delta_min < m.delta0 - DELTA_TOL]
    return Verdict(
        "price of a strict spurious local minimum: δ(μ) − δ(0) per (r*, r)",
        "— (beyond the paper)",
        pts,
        "δ(μ) ≥ δ(0) − 1e-6",
        "match" if len(lower) == 0 else "miss",
        "" if len(lower) == 0 else "δ(μ) below the μ = 0 search's value: the μ = 0 search stopped short there",
    )


def _figure(df: pd.DataFrame, figures_dir: Path, mu: float) -> None:
    plt = plotting.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    for rs, mk in zip(sorted(df.r_star.unique()), "osd", strict=False):
        d = df[df.r_star == rs].sort_values("r")
        ax.plot(d.r, d.delta_min, mk + "-", label=f"smallest found, r* = {rs}")
        ax.plot(d.r, d.bound_sufficient, mk + ":", color="0.5", alpha=0.8)
        ax.plot(d.r, d.bound_counterexample, mk + "--", color="r", alpha=0.6)
    ax.plot([], [], ":", color="0.5", label="sufficient 1/(1 + √(r*/r))")
    ax.plot([], [], "--", color="r", label="counterexample 1/(1 + 1/√(r − r* + 1))")
    ax.set_xlabel("search rank r")
    ax.set_ylabel("δ")
    ax.set_title("smallest δ_soc found" + (f" (margin μ = {mu:g})" if mu else ""))
    ax.legend(fontsize=7)
    ax = axes[1]
    for k, rs in enumerate(sorted(df.r_star.unique())):
        d = df[df.r_star == rs]
        for _, q in d.iterrows():  # σ² of x's singular directions in units of σ²(z) = 1/r*: full if ⟂ z
            perp = np.asarray(q.cos_to_z, float) < 0.01
            s2 = rs * np.asarray(q.sigma_x, float) ** 2
            xs = np.full(s2.shape, float(q.r)) + 0.08 * (k - 1)
            lab = f"r* = {rs}" if q.r == d.r.min() else None
            ax.plot(xs[perp], s2[perp], "o", color=f"C{k}", label=lab)
            ax.plot(xs[~perp], s2[~perp], "o", mfc="none", mec=f"C{k}")
        rr = np.linspace(d.r.min(), d.r.max(), 50)
        ax.plot(rr, 1.0 / (1.0 + np.sqrt(rr / rs)), "-", color=f"C{k}", lw=0.8)
    ax.plot([], [], "-", color="0.4", lw=0.8, label="1/(1 + √(r/r*)) (orthogonal construction)")
    ax.set_xlabel("search rank r")
    ax.set_ylabel("r*·σ²(x) of each singular direction (σ²(z) = 1/r*)")
    ax.set_title("minimizers: σ² of x (full: orthogonal to z, hollow: not)")
    ax.legend(fontsize=7)
    plotting.save(fig, figures_dir, "structure")


def _manifest(params: dict) -> dict:
    return {
        "program": "LMI (10) of zhang2018 (spurious.threshold_program, reduced and exact) at n = r + r*",
        "search": "multi-start L-BFGS-B, dual (envelope) derivative of η (spurious.landscape._overparam)",
        "normalization": "‖z‖_F = 1 (margin in units of tr(zzᵀ))",
    }


EXPERIMENTS = (
    Experiment(
        name="overparam",
        description="smallest δ_soc over (x, z) for r* ∈ {1,2,3}, r ∈ {r*…r*+3} vs Zhang (2021)'s sufficient "
        "and counterexample bounds; certified instances",
        citation=CITATION + ", abstract (bounds)",
        params=params,
        chunks=chunks,
        run_chunk=run_chunk,
        summarize=summarize,
        manifest=_manifest,
    ),
    Experiment(
        name="overparam-margin",
        description="as overparam with M(H) ⪰ μI (strict spurious local minima, --set margin=μ): the price "
        "under overparameterization",
        citation=CITATION + ", with a Hessian margin (ours)",
        params=margin_params,
        chunks=chunks,
        run_chunk=run_chunk,
        summarize=summarize,
        manifest=_manifest,
    ),
)
