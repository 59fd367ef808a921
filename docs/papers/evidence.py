"""Recompute the evidence of the refutation pages (zhang2018 Thm 7, bhojanapalli2016 Examples, Example 3).

Usage::

    python docs/papers/evidence.py [OUT_DIR]

writes ``OUT_DIR/*.inc`` (default ``docs/papers/_evidence``: tables included by the paper
pages), ``OUT_DIR/evidence.json`` (every number) and ``docs/papers/figures/thm7-failing-range.png``.
About two minutes on one core.

Everything goes through the public library (``import spurious as sp``) and the experiment
modules' functions, except the dual certificate of LMI (10), which is written here from the
paper's definitions (zhang2018 eq. (7), (8), (10)) for ``n = 2``, ``r = 1`` without the
library, so that it checks the library rather than repeats it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import spurious as sp
from spurious.studies import bhojanapalli2016 as bh
from spurious.studies import zhang2018_thresholds as zt

HERE = Path(__file__).resolve().parent
S2 = np.sqrt(2.0)


# ----------------------------------------------------------------------------- rank-1 geometry


def rank1(rho: float, phi: float) -> tuple[np.ndarray, np.ndarray]:
    """``x = ρ(cos φ, sin φ)``, ``z = (1, 0)`` (zhang2018 eq. (11))."""
    return np.array([[rho * np.cos(phi)], [rho * np.sin(phi)]]), np.array([[1.0], [0.0]])


def _sv(X: np.ndarray) -> np.ndarray:
    """Isometric svec of a 2 × 2 symmetric matrix: ``(X11, √2 X12, X22)``."""
    return np.array([X[0, 0], S2 * X[0, 1], X[1, 1]])


def _sm(v: np.ndarray) -> np.ndarray:
    return np.array([[v[0], v[1] / S2], [v[1] / S2, v[2]]])


def lmi_data(x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``e = vec(xxᵀ − zzᵀ)`` and the 3 × 2 matrix ``X`` with ``X·u = vec(xuᵀ + uxᵀ)`` (zhang2018 §2)."""
    x = x.ravel()
    e = _sv(np.outer(x, x) - np.outer(z.ravel(), z.ravel()))
    X = np.column_stack([_sv(np.outer(x, u) + np.outer(u, x)) for u in np.eye(2)])
    return e, X


def M_op(H: np.ndarray, e: np.ndarray, X: np.ndarray) -> np.ndarray:
    """zhang2018 eq. (8): ``M(H) = 2 mat(He) + XᵀHX``."""
    return 2.0 * _sm(H @ e) + X.T @ H @ X


def M_adj(Y: np.ndarray, e: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Adjoint of ``M`` for the trace inner product: ``⟨M*(Y), H⟩ = ⟨Y, M(H)⟩``."""
    G = np.outer(_sv(Y), e)
    return (G + G.T) + X @ Y @ X.T


def L_adj(y: np.ndarray, e: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Adjoint of ``L(H) = XᵀHe`` (zhang2018 eq. (7) up to its factor 2)."""
    G = np.outer(X @ y, e)
    return 0.5 * (G + G.T)


def dual_certificate(x: np.ndarray, z: np.ndarray) -> dict:
    """A dual point of LMI (10) and the upper bound on ``η*`` it proves, with its residual accounted for.

    Dual of ``max η`` s.t. ``ηI ⪯ H ⪯ I``, ``L(H) = 0``, ``M(H) ⪰ 0``: ``min tr(Y₂)`` s.t.
    ``tr(Y₁) = 1``, ``Y₁ − Y₂ + M*(Y₃) + L*(y) = 0``, ``Y₁, Y₂, Y₃ ⪰ 0``. For the solver's
    point, clipped to the PSD cone and with ``Y₁`` rescaled to trace 1, the residual
    ``R = Y₁ − Y₂ + M*(Y₃) + L*(y)`` is computed here; every feasible ``(η, H)`` with
    ``0 ⪯ H ⪯ I`` has ``η ≤ tr(Y₂) + ⟨R, H⟩ ≤ tr(Y₂) + Σ λᵢ(R)₊``: a bound that does not trust the solver.
    """
    import cvxpy as cp

    e, X = lmi_data(x, z)
    Y1, Y2 = cp.Variable((3, 3), PSD=True), cp.Variable((3, 3), PSD=True)
    Y3, y = cp.Variable((2, 2), PSD=True), cp.Variable(2)
    sv = cp.hstack([Y3[0, 0], S2 * Y3[0, 1], Y3[1, 1]])
    G = cp.reshape(sv, (3, 1), order="F") @ e.reshape(1, 3)
    Gl = cp.reshape(X @ y, (3, 1), order="F") @ e.reshape(1, 3)
    R = Y1 - Y2 + (G + G.T) + X @ Y3 @ X.T + 0.5 * (Gl + Gl.T)
    prob = cp.Problem(cp.Minimize(cp.trace(Y2)), [cp.trace(Y1) == 1, R == 0])
    prob.solve(solver="CLARABEL")

    def psd(A: np.ndarray) -> np.ndarray:
        w, V = np.linalg.eigh(0.5 * (A + A.T))
        return (V * np.clip(w, 0.0, None)) @ V.T

    y1, y2, y3 = psd(Y1.value), psd(Y2.value), psd(Y3.value)
    y1 = y1 / np.trace(y1)
    res = y1 - y2 + M_adj(y3, e, X) + L_adj(y.value, e, X)
    eta_ub = float(np.trace(y2) + np.clip(np.linalg.eigvalsh(0.5 * (res + res.T)), 0.0, None).sum())
    return {
        "status": str(prob.status),
        "dual_value": float(prob.value),
        "residual": float(np.linalg.norm(res)),
        "eta_ub": eta_ub,
        "delta_lb": (1.0 - eta_ub) / (1.0 + eta_ub),
    }


def thm7_point(rho: float, phi: float) -> dict:
    """Theorem 7 at one point: δ₅, δ_soc (library, certified), SCS re-solve, fixed-η curvature, dual bound."""
    x, z = rank1(rho, phi)
    d5 = float(sp.closed_forms.thm5_delta(rho, phi))
    eta5 = (1.0 - d5) / (1.0 + d5)
    res = sp.threshold_program(x, z, order="second", return_kernel=True)
    scs = sp.threshold_program(x, z, order="second", solver="scs")
    fx = zt.fixed_eta_curvature(x, z, eta5)
    # primal re-check of the library's kernel, from the paper's definitions (not the library's)
    e, X = lmi_data(x, z)
    Hk = 0.5 * (res.H + res.H.T)
    perm = _svec_perm()
    Hk = Hk[np.ix_(perm, perm)]
    w = np.linalg.eigvalsh(Hk)
    dual = dual_certificate(x, z)
    return {
        "rho": rho,
        "phi": phi,
        "sin_phi": float(np.sin(phi)),
        "in_region": bool(sp.closed_forms.thm7_applies(rho, phi)),
        "on_boundary": bool(abs(abs(np.sin(phi)) - rho) <= 1e-12),
        "delta5": d5,
        "eta5": eta5,
        "delta_foc": float(sp.closed_forms.delta_foc_rank1(rho, phi)),
        "delta_soc": res.delta,
        "eta_soc": res.eta,
        "status": res.status,
        "checked": bool(res.checked),
        "certified": bool(res.certified),
        "hess_min": float(res.hess_min),
        "delta_soc_scs": scs.delta,
        "scs_status": scs.status,
        "t_fixed": fx["t"],
        "t_check": fx["t_check"],
        "t_status": fx["status"],
        "primal_cond_delta": float((w[-1] - w[0]) / (w[-1] + w[0])),
        "primal_L_residual": float(np.linalg.norm(X.T @ Hk @ e)),
        "primal_M_min": float(np.linalg.eigvalsh(M_op(Hk, e, X))[0]),
        **{f"dual_{k}": v for k, v in dual.items()},
    }


def _svec_perm() -> list[int]:
    """Positions of (X11, √2 X12, X22) in the library's svec for n = 2 (checked on a test matrix, not assumed)."""
    A = np.array([[1.0, 2.0], [2.0, 3.0]])
    lib = list(np.round(sp.linalg.svec(A), 12))
    return [lib.index(v) for v in np.round(_sv(A), 12)]


def thm7_scan(rhos: np.ndarray, n_phi: int) -> list[dict]:
    """For each ρ: max over φ ∈ (0, arcsin min(ρ, 1)] (Thm 7's region, up to φ ↔ π − φ) of δ_soc − δ₅."""
    rows = []
    for rho in rhos:
        top = np.arcsin(min(rho, 1.0))
        phis = np.linspace(top / n_phi, top, n_phi)
        best = (-np.inf, np.nan, np.nan, np.nan)
        uncert = 0
        fail_phis: list[float] = []
        for phi in phis:
            x, z = rank1(float(rho), float(phi))
            if not sp.closed_forms.thm7_applies(rho, phi):
                continue
            res = sp.threshold_program(x, z, order="second")
            if not res.certified:
                uncert += 1
                continue
            d5 = float(sp.closed_forms.thm5_delta(rho, phi))
            if res.delta - d5 > 1e-6:
                fail_phis.append(float(phi))
            if res.delta - d5 > best[0]:
                best = (res.delta - d5, float(phi), res.delta, d5)
        eta5 = (1 - best[3]) / (1 + best[3])
        eta = (1 - best[2]) / (1 + best[2])
        rows.append(
            {
                "rho": float(rho),
                "max_excess": float(best[0]),
                "phi": best[1],
                "delta_soc": best[2],
                "delta5": best[3],
                "eta_rel_gap": float((eta5 - eta) / eta5),
                "uncertified": uncert,
                "n_phi": n_phi,
                "n_fail": len(fail_phis),
                "min_fail_phi": min(fail_phis) if fail_phis else float("nan"),
            }
        )
    return rows


def boundary_excess(rho: float) -> float:
    phi = np.arcsin(rho)
    x, z = rank1(rho, phi)
    return sp.threshold_program(x, z, order="second").delta - float(sp.closed_forms.thm5_delta(rho, phi))


def bisect_boundary(lo: float, hi: float, tol: float = 1e-6, iters: int = 30) -> tuple[float, float]:
    """ρ where δ_soc − δ₅ on the boundary φ = arcsin ρ crosses ``tol`` (excess > tol at lo, ≤ tol at hi)."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if boundary_excess(mid) > tol:
            lo = mid
        else:
            hi = mid
    return lo, hi


# ----------------------------------------------------------------------------- bhojanapalli2016


def paper_f(name: str, X: np.ndarray) -> float:
    """The objectives of bhojanapalli2016 §5 as printed, evaluated entry by entry on an n × n matrix."""
    if name == "bhojanapalli2016-example1" or name.startswith("bhojanapalli2016-example1-rank"):
        f = (X[0, 0] + X[1, 1] - 1) ** 2 + (X[0, 0] - 1) ** 2 + X[0, 1] ** 2 + X[1, 0] ** 2
        return float(f + sum((X[i, i] - 1) ** 2 for i in range(2, X.shape[0])))
    if name == "bhojanapalli2016-example2":
        off = sum(X[i, j] ** 2 for i in range(3) for j in range(3) if i != j)
        return float((np.trace(X) - 1) ** 2 + (X[0, 0] - 1) ** 2 + (X[1, 1] - X[2, 2]) ** 2 + off)
    # example2-rankR (R odd, n = R), 1-indexed in the paper: pairs (2i, 2i+1), i = 1 … (R−1)/2
    f = (X[0, 0] - 1) ** 2
    for i in range(1, (X.shape[0] - 1) // 2 + 1):
        a, b = X[2 * i - 1, 2 * i - 1], X[2 * i, 2 * i]
        f += (X[0, 0] + a + b - 1) ** 2 + (a - b) ** 2
    return float(f)


def paper_rank(name: str, n: int) -> str:
    """The rank constraint of problem (1) as the paper states it for each case."""
    if name == "bhojanapalli2016-example1":
        return "1"
    if name == "bhojanapalli2016-example2":
        return "2"
    r = int(name.rsplit("rank", 1)[1])
    return str(r) if "example2" in name else f"{r} (claimed point has rank {r + 1})"


def examples_evidence() -> list[dict]:
    params = bh.examples_params(False)
    rows = []
    for name in [nm for nm in params["examples"] if "corrected" not in nm]:
        df = bh.examples_chunk(params, name, 0)
        row = df.iloc[0]
        inst = sp.get_example(name).instance
        x0, w = inst.x, np.array(json.loads(row.witness))
        t = np.linspace(0.0, 1.0, 101)
        path = x0[None] + t[:, None, None] * (w - x0)[None]
        Xs = np.einsum("tik,tjk->tij", path, path)
        lib = inst.problem().value(path)
        pap = np.array([paper_f(name, X) for X in Xs])
        ranks = [int(np.sum(np.linalg.svd(X, compute_uv=False) > 1e-10 * max(1.0, np.linalg.norm(X, 2)))) for X in Xs]
        rank_claim = int(np.linalg.matrix_rank(x0 @ x0.T))
        rows.append(
            {
                "example": name,
                "n": int(inst.operator.n),
                "search_rank": int(x0.shape[1]),
                "claimed_rank": rank_claim,
                "paper_rank": paper_rank(name, inst.operator.n),
                "max_rank_path": max(ranks),
                "f_claimed_paper": pap[0],
                "f_witness_paper": pap[-1],
                "max_f_path_minus_f0": float(np.max(pap[1:] - pap[0])),
                "lib_vs_paper": float(np.max(np.abs(lib - pap))),
                "dist_X": float(np.linalg.norm(Xs[-1] - Xs[0])),
                "witness_distance": float(row.witness_distance),
                "method": row.method,
                "second_order": bool(row.second_order),
                "hess_min_eig": float(row.hess_min_eig),
                "local_min": row.local_min,
            }
        )
    return rows


def example1_curve() -> dict:
    """Example 1 along the fourth-order curve ``x(t) = (t, 1 − t²/2)``: ``f = 1 − t⁴ + t⁶/2 + t⁸/16``."""
    t = np.linspace(0.0, 0.5, 51)
    path = np.stack([t, 1 - t**2 / 2], axis=1)[:, :, None]
    Xs = np.einsum("tik,tjk->tij", path, path)
    pap = np.array([paper_f("bhojanapalli2016-example1", X) for X in Xs])
    lib = sp.get_example("bhojanapalli2016-example1").instance.problem().value(path)
    formula = 1 - t**4 + t**6 / 2 + t**8 / 16
    return {
        "t_max": float(t[-1]),
        "max_abs_paper_minus_formula": float(np.max(np.abs(pap - formula))),
        "max_abs_lib_minus_paper": float(np.max(np.abs(lib - pap))),
        "all_below_1": bool(np.all(pap[1:] < 1.0)),
        "f_at_0.1": float(pap[10]),
        "f_at_0.5": float(pap[-1]),
        "max_rank": max(int(np.linalg.matrix_rank(X, tol=1e-12)) for X in Xs),
        "min_eig": float(min(np.linalg.eigvalsh(X)[0] for X in Xs)),
    }


def example3_evidence() -> dict:
    ex = sp.get_example("zhang2018-example3")
    p, x = ex.instance.problem(), ex.instance.x
    c = sp.certify(p, x, rng=0)
    a = np.linspace(-0.2, 0.2, 41)
    curve = np.stack([a, np.sqrt(0.5 - a**2)], axis=1)[:, :, None]
    fv = p.value(curve)
    th = sp.thresholds(x, ex.instance.z)
    return {
        "f": c.f,
        "grad_norm": c.grad_norm,
        "hess_eigs": [float(v) for v in c.hess_eigs],
        "second_order": bool(c.second_order),
        "spurious": bool(c.spurious),
        "local_min": c.local_min,
        "method": c.method,
        "witness": None if c.witness is None else np.asarray(c.witness).ravel().tolist(),
        "witness_f": c.witness_f,
        "witness_distance": c.witness_distance,
        "curve_max_abs_diff": float(np.max(np.abs(fv - (1.5 - 4 * a**4)))),
        "curve_f_at_a_0.1": float(p.value(np.array([[[0.1], [np.sqrt(0.49)]]]))[0]),
        "delta_foc": th.delta_foc,
        "delta_soc": th.delta_soc,
    }


# ----------------------------------------------------------------------------- output


def _table(header: list[str], rows: list[list[str]], widths: str | None = None) -> str:
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append(f"   :widths: {widths}")
    out.append("")
    for r in [header, *rows]:
        out.append("   * - " + r[0])
        out += [f"     - {c}" for c in r[1:]]
    return "\n".join(out) + "\n"


def _thm7_rst(points: list[dict]) -> str:
    head = [
        "(ρ, φ)",
        "region",
        "δ₅ (Thm 5/7)",
        "δ_soc (Clarabel)",
        "status / re-check",
        "δ_soc (SCS)",
        "max λ_min M(H), η = η₅",
        "dual bound δ_soc ≥",
        "dual residual",
    ]
    rows = []
    for q in points:
        reg = "boundary: \\|sin φ\\| = ρ" if q["on_boundary"] else f"interior: \\|sin φ\\| = {q['sin_phi']:.4f} < ρ"
        rows.append(
            [
                f"({q['rho']:g}, {q['phi']:.6f})",
                reg,
                f"{q['delta5']:.6f}",
                f"{q['delta_soc']:.6f}",
                f"{q['status']}, checked = {q['checked']}, certified = {q['certified']}",
                f"{q['delta_soc_scs']:.6f} ({q['scs_status']})",
                f"{q['t_fixed']:.3e} ({q['t_status']})",
                f"{q['dual_delta_lb']:.6f} ({q['dual_status']})",
                f"{q['dual_residual']:.1e}",
            ]
        )
    return _table(head, rows)


def _scan_rst(scan: list[dict], crossing: tuple[float, float]) -> str:
    head = [
        "ρ",
        "max over φ of δ_soc − δ₅",
        "at φ",
        "δ_soc",
        "δ₅",
        "(η₅ − η_soc)/η₅",
        "failing φ (of 24 in the region)",
    ]
    pick = [q for q in scan if round(q["rho"] * 100) % 5 == 0 or q["rho"] > 0.99]
    rows = [
        [
            f"{q['rho']:g}",
            f"{q['max_excess']:.3e}",
            f"{q['phi']:.4f}",
            f"{q['delta_soc']:.6f}",
            f"{q['delta5']:.6f}",
            f"{q['eta_rel_gap']:.3e}",
            f"{q['n_fail']}, from φ = {q['min_fail_phi']:.4f} to arcsin ρ" if q["n_fail"] else "none",
        ]
        for q in pick
    ]
    return _table(head, rows)


def _examples_rst(rows: list[dict]) -> str:
    head = [
        "example",
        "n",
        "rank constraint of (1) (paper)",
        "max rank X(t)",
        "f(X) printed formula",
        "f(X(1))",
        "max f(X(t)) − f(X), t > 0",
        "‖X(1) − X‖_F",
        "how (certify)",
        "library f vs printed",
    ]
    out = [
        [
            q["example"].replace("bhojanapalli2016-", ""),
            str(q["n"]),
            q["paper_rank"],
            str(q["max_rank_path"]),
            f"{q['f_claimed_paper']:.6g}",
            f"{q['f_witness_paper']:.6g}",
            f"{q['max_f_path_minus_f0']:.3e}",
            f"{q['dist_X']:.3g}",
            q["method"],
            f"{q['lib_vs_paper']:.1e}",
        ]
        for q in rows
    ]
    return _table(head, out)


def _figure(scan: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = np.array([q["rho"] for q in scan])
    g = np.array([q["max_excess"] for q in scan])
    rel = np.array([q["eta_rel_gap"] for q in scan])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    a1.plot(r, g, "o-", ms=2.5)
    a1.axhline(0.0, color="k", lw=0.5)
    a1.set_xlabel("ρ = ‖x‖/‖z‖")
    a1.set_ylabel("max over |sin φ| ≤ ρ of δ_soc − δ₅")
    a1.set_title("zhang2018 Thm 7: > 0 means refuted")
    a2.plot(r, rel, "o-", ms=2.5, color="C3")
    a2.axhline(0.0, color="k", lw=0.5)
    a2.set_xlabel("ρ")
    a2.set_ylabel("(η₅ − η_soc)/η₅ at the worst φ")
    a2.set_title("relative gap in η = (1 − δ)/(1 + δ)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE / "_evidence"
    out.mkdir(parents=True, exist_ok=True)
    points = [thm7_point(0.5, 0.394), thm7_point(0.5, np.pi / 6), thm7_point(1.0, np.pi / 2)]
    rhos = np.round(np.concatenate([np.arange(0.05, 1.0, 0.01), [1.0, 1.25, 1.5, 2.0, 3.0]]), 4)
    scan = thm7_scan(rhos, 24)
    fails = [q["rho"] for q in scan if q["max_excess"] > 1e-6]
    holds = [q["rho"] for q in scan if q["max_excess"] <= 1e-6]
    last_fail = max(fails)
    first_hold = min(h for h in holds if h > last_fail)
    crossing = bisect_boundary(last_fail, first_hold)
    ex = examples_evidence()
    e3 = example3_evidence()
    e1 = example1_curve()
    data = {
        "thm7_points": points,
        "thm7_scan": scan,
        "thm7_fails": fails,
        "thm7_holds": holds,
        "thm7_boundary_crossing": crossing,
        "bhojanapalli2016_examples": ex,
        "example3": e3,
        "example1_curve": e1,
    }
    (out / "evidence.json").write_text(json.dumps(data, indent=1, default=float), encoding="utf-8")
    (out / "zhang2018-thm7-points.inc").write_text(_thm7_rst(points), encoding="utf-8")
    (out / "zhang2018-thm7-scan.inc").write_text(_scan_rst(scan, crossing), encoding="utf-8")
    (out / "bhojanapalli2016-examples.inc").write_text(_examples_rst(ex), encoding="utf-8")
    figs = HERE / "figures"
    figs.mkdir(exist_ok=True)
    _figure(scan, figs / "thm7-failing-range.png")
    print(
        json.dumps(
            {
                "fails": [min(fails), last_fail],
                "first_hold_above": first_hold,
                "crossing": crossing,
                "points": [
                    {
                        k: q[k]
                        for k in (
                            "rho",
                            "phi",
                            "delta5",
                            "delta_soc",
                            "dual_delta_lb",
                            "t_fixed",
                            "primal_cond_delta",
                            "primal_L_residual",
                            "primal_M_min",
                        )
                    }
                    for q in points
                ],
                "example3": e3,
                "example1_curve": e1,
            },
            indent=1,
            default=float,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
