"""``spurious counterexample``: an RIP instance in which x is a spurious point (LMI (10) of zhang2018).

The text output says what kind of point x is in the instance: with ``--order second`` and
``--margin 0`` only a second-order point (∇²f(x) ⪰ 0 with zero curvature left: degenerate,
which need not be a local minimum — zhang2018 Example 3's x is not one), and it suggests
``--margin`` for a strict local minimum; with ``--order first`` only a critical point.
"""

from __future__ import annotations

import argparse

from spurious.cli._common import add_point_arguments, point_label, read_point


def configure(parser: argparse.ArgumentParser) -> None:
    from spurious.landscape._counterexample import FACTORIZATIONS
    from spurious.landscape._thresholds import ORDERS, SOLVERS

    add_point_arguments(parser, "x", "the point to make spurious", required=True)
    add_point_arguments(parser, "z", "the ground truth factor", required=True)
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="second",
        help="spurious critical point (first) or second-order point (second, default)",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=0.0,
        metavar="MU",
        help="require ∇²f(x) ⪰ 2μ off the symmetry directions (strict local minimum; default 0)",
    )
    parser.add_argument("--solver", choices=SOLVERS, default="clarabel", help="SDP solver (default clarabel)")
    parser.add_argument(
        "--factorization",
        choices=FACTORIZATIONS,
        default="eigh",
        help="how the kernel H is factored into measurement matrices (default eigh)",
    )
    parser.add_argument("--full", action="store_true", help="solve the full-dimensional program (small n only)")
    parser.add_argument("--save", metavar="F.npz", help="write the instance (DESIGN format)")


def run(args: argparse.Namespace) -> dict:
    from spurious.core._instances import save_instance
    from spurious.landscape._counterexample import counterexample

    z = read_point(args, "z")
    x = read_point(args, "x", n=z.shape[0], n_from=point_label(args, "z"))
    ce = counterexample(
        x,
        z,
        order=args.order,
        margin=args.margin,
        solver=args.solver,
        factorization=args.factorization,
        reduce=not args.full,
    )
    out = ce.to_dict()
    out["saved"] = str(save_instance(args.save, ce.instance)) if args.save else None
    return out


def render(res: dict) -> str:
    lines = [
        f"η                 {res['eta']:.10g}",
        f"δ                 {res['delta']:.10g}   ({res['order']} order, margin {res['margin']:g})",
        f"m                 {res['m']}   ({res['factorization']} factorization, kernel {res['kernel_source']})",
        "re-verified from the matrices:",
        f"  ‖∇f(x)‖         {res['grad_norm']:.3g}",
        f"  λ_min(∇²f(x))   {res['hess_min_eig']:.6g}   (off the rotation directions)",
        f"  full-rank δ     {res['rip_full']:.10g}",
        f"certified         {res['certified']}   (solver status {res['status']})",
    ]
    lines.append(f"x is              {_kind(res)}")
    if res["saved"]:
        lines.append(f"saved             {res['saved']}")
    return "\n".join(lines)


def _kind(res: dict) -> str:
    """What x is in the instance found, in words, with the option that asks for more."""
    if res["order"] == "first":
        return (
            "a spurious critical point only (∇f(x) = 0, no curvature condition); "
            "--order second --margin MU (e.g. 0.01) asks for a strict local minimum"
        )
    if res["margin"] == 0:
        return (
            f"only a second-order point: margin 0 allows λ_min = 0 (here {res['hess_min_eig']:.2g}), degenerate, "
            "not necessarily a local minimum (`spurious certify --instance` decides); "
            "--margin MU (e.g. 0.01) asks for a strict local minimum, at a larger δ"
        )
    return f"a strict spurious local minimum (∇²f(x) ⪰ 2μ = {2 * res['margin']:g} off the rotation directions)"
