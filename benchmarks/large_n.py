"""Large-n runs (issue #12): build, GD from random starts to convergence, certify from the CLI.

    OMP_NUM_THREADS=2 python benchmarks/large_n.py rank-one --n 5000 --r 3 --m 45000 --out /tmp/big
    OMP_NUM_THREADS=2 python benchmarks/large_n.py completion --n 5000 --r 5 --p 0.02 --out /tmp/big
    OMP_NUM_THREADS=1 python benchmarks/large_n.py scaling [--sizes 500,1000,2000,3000,5000]

``rank-one`` / ``completion``: writes the instance with ``spurious instance`` (the command a user
runs), loads it, runs plain GD with heavy-ball momentum 0.7 and step ``1/L`` (``L`` the
Lipschitz estimate of the population Hessian) from ``--trials`` standard Gaussian starts until
``‖∇f‖_F ≤ ε ‖∇f(x₀)‖_F`` (``--grad-rtol``, default 10⁻¹¹ in float64 and 10⁻⁵ in float32: a
stopping rule that does not look at the truth), saves the best
endpoint, and runs ``spurious certify --instance F --x-file …`` on the ground truth and on that
endpoint, each as its own process. Reported: wall time of every stage, GD steps, the distance
reached, the certificates (λ_min off the symmetry, the Lanczos residual, local_min, reason) and
the peak RSS of this process (GD) and of each certify process (``RUSAGE_CHILDREN``), against the
4 GB budget of the issue. ``--dtype float32`` runs GD through the torch twin of the operator
(:func:`spurious.operators.to_torch`; certificates are float64 whatever the GD precision);
``--no-certify`` skips the certify processes.

``scaling``: seconds of one batched gradient (4 trials, r = 3, best of 3) for rank-one
measurements at each n, with m = 3nr (the n = 5,000 instance's ratio) and with m fixed at
45,000, and the fitted exponents: at fixed m the cost must grow like n (m·n·r), not n².
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import spurious as sp
from _timing import best, peak_rss_bytes

GB = 1e9


def lipschitz(kind: str, M: np.ndarray, p: float | None, m: int) -> float:
    """Step scale of ``f = (1/m)‖A(xxᵀ) − b‖²`` near ``M*``: population Hessian norm estimate.

    With ``K = x uᵀ + u xᵀ``, ``‖K‖_F² ≤ 4λ₁‖u‖²``: rank-one ``E(aᵀKa)² = 2‖K‖_F² + tr(K)²``
    (``a ~ N(0, I)``) gives ``8(tr M* + 2λ₁)``; completion observes each pair w.p. ``p``, ``8pλ₁/m``.
    """
    top = float(np.linalg.eigvalsh(M)[-1])
    if kind == "rank-one":
        return 8.0 * (float(np.trace(M)) + 2.0 * top)
    return 8.0 * p * top / m


def cli(*argv: str) -> tuple[dict, float]:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "spurious.cli", *argv, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"spurious {' '.join(argv)} failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout), time.perf_counter() - t


def run_instance(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{args.kind}-n{args.n}.npz"
    size = ["--m", str(args.m)] if args.kind == "rank-one" else ["--p", str(args.p)]
    made, t_build = cli(
        "instance", "--operator", args.kind, "--n", str(args.n), "--rank", str(args.r), *size,
        "--seed", "0", "--save", str(path),
    )  # fmt: skip
    t0 = time.perf_counter()
    inst = sp.load_instance(path)
    t_load = time.perf_counter() - t0
    op = inst.operator
    if args.dtype == "float32":
        op = sp.operators.to_torch(op, dtype="float32")
    prob = sp.least_squares(op, inst.z, scaling="mean")
    lr = 1.0 / lipschitz(args.kind, prob.m_star, args.p, op.m)
    x0 = sp.init.gaussian(args.n, args.r, args.trials, seed=1)
    g0 = float(np.max(np.linalg.norm(prob.gradient(x0), axis=(-2, -1))))
    rtol = args.grad_rtol if args.grad_rtol is not None else (1e-11 if args.dtype == "float64" else 1e-5)
    t0 = time.perf_counter()
    res = sp.gd(prob, x0=x0, steps=args.steps, lr=lr, momentum=0.7, stop=sp.Stop(grad=rtol * g0, success=1e-6))
    t_gd = time.perf_counter() - t0
    rss_gd = peak_rss_bytes()
    best = int(np.argmin(res.grad_norm))
    np.save(out / "endpoint.npy", res.x[best])
    np.save(out / "z.npy", inst.z)
    certs = {}
    for name in () if args.no_certify else ("z", "endpoint"):
        c, t_c = cli("certify", "--instance", str(path), "--x-file", str(out / f"{name}.npy"))
        certs[name] = {
            "seconds": round(t_c, 1),
            **{k: c[k] for k in ("hessian", "hess_min_eig", "hess_residual", "eig_tol_abs", "local_min", "reason")},
        }
    m_star = float(np.linalg.norm(prob.m_star))
    report = {
        "machine": f"{platform.node()} {platform.machine()}, numpy {np.__version__}",
        "kind": args.kind,
        "n": args.n,
        "r": args.r,
        "m": op.m,
        "dtype": args.dtype,
        "operator_MB": round(op.nbytes / 1e6, 1),
        "instance_file_MB": round(path.stat().st_size / 1e6, 1),
        "build_s (spurious instance)": round(t_build, 1),
        "load_s": round(t_load, 2),
        "gd_s": round(t_gd, 1),
        "gd_stop": f"‖∇f‖ ≤ {rtol:g} ‖∇f(x₀)‖",
        "gd_steps": res.nit.tolist(),
        "gd_s_per_step": round(t_gd / max(int(res.nit.max()), 1), 3),
        "relative_distance": (res.distance / m_star).tolist(),
        "status": res.status.tolist(),
        "peak_rss_gd_GB": round(rss_gd / GB, 2),
        "peak_rss_certify_GB": round(peak_rss_bytes(children=True) / GB, 2),
        "certify": certs,
        "written": made.get("path", str(path)),
    }
    print(json.dumps(report, indent=1))


def run_scaling(args) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    r, T = 3, 4
    rows = []
    for n in sizes:
        for label, m in (("m = 3nr", 3 * n * r), ("m = 45000", 45_000)):
            inst = sp.make_instance("rank-one", n, r, m=m, seed=0)
            prob = sp.least_squares(inst.operator, inst.z, scaling="mean")
            x = sp.init.gaussian(n, r, T, seed=1)
            t = best(lambda prob=prob, x=x: prob.gradient(x))
            rows.append({"n": n, "m": m, "series": label, "seconds": t, "ns_per_mnrT": 1e9 * t / (m * n * r * T)})
            print(f"n = {n:5d}  m = {m:6d} ({label}): gradient {t:.4f} s, {rows[-1]['ns_per_mnrT']:.3f} ns per m·n·r·T")
    for label in ("m = 3nr", "m = 45000"):
        sel = [q for q in rows if q["series"] == label]
        slope = np.polyfit(np.log([q["n"] for q in sel]), np.log([q["seconds"] for q in sel]), 1)[0]
        print(f"{label}: fitted exponent of n: {slope:.2f} (m·n·r predicts {2 if label == 'm = 3nr' else 1})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("rank-one", "completion", "scaling"))
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--r", type=int, default=3)
    ap.add_argument("--m", type=int, default=45_000)
    ap.add_argument("--p", type=float, default=0.02)
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--grad-rtol", type=float, default=None)
    ap.add_argument("--no-certify", action="store_true", help="skip the two certify processes")
    ap.add_argument("--sizes", default="500,1000,2000,3000,5000")
    ap.add_argument("--out", default="/tmp/spurious-large-n")
    args = ap.parse_args()
    args.kind = args.what
    if args.what == "scaling":
        run_scaling(args)
    else:
        run_instance(args)


if __name__ == "__main__":
    main()
