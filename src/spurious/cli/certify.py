"""``spurious certify``: certify a point of an instance (gradient, Hessian, second order, local minimum)."""

from __future__ import annotations

import argparse

from spurious.cli._common import add_point_arguments, add_source_arguments, read_point, read_source
from spurious.core._errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    add_point_arguments(parser, "x", "the point to certify (default: the instance's x)")
    parser.add_argument(
        "--grad-tol", type=float, default=None, metavar="TOL", help="relative gradient tolerance (default 1e-7)"
    )
    parser.add_argument(
        "--eig-tol", type=float, default=None, metavar="TOL", help="relative eigenvalue tolerance (default 1e-7)"
    )
    parser.add_argument(
        "--no-decide",
        action="store_true",
        help="skip the higher-order test and the descent search at degenerate points",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the descent search (default 0)")


def run(args: argparse.Namespace) -> dict:
    from spurious.landscape._certify import EIG_TOL, GRAD_TOL, certify

    inst = read_source(args)
    x = read_point(args, "x", n=inst.operator.n, n_from="the instance")
    if x is None and inst.x is None:
        source = args.example or args.instance
        raise InputError(f"{source}: the instance has no x; give --x or --x-file")
    x = inst.x if x is None else x
    cert = certify(
        inst,
        x,
        grad_tol=GRAD_TOL if args.grad_tol is None else args.grad_tol,
        eig_tol=EIG_TOL if args.eig_tol is None else args.eig_tol,
        decide=not args.no_decide,
        rng=args.seed,
    )
    out = cert.to_dict()
    out["x"] = x.tolist()
    return out


def _fmt(v) -> str:
    return "null" if v is None else (f"{v:.10g}" if isinstance(v, float) else str(v))


def render(res: dict) -> str:
    eigs = ", ".join(f"{e:.6g}" for e in res["hess_eigs"])
    lines = [
        f"f                 {_fmt(res['f'])}",
        f"‖∇f‖              {_fmt(res['grad_norm'])}   (tolerance {res['grad_tol_abs']:.3g})",
        f"Hessian eigs      [{eigs}]   (off {res['symmetry_dim']} rotation directions; tolerance "
        f"{res['eig_tol_abs']:.3g})",
        f"second-order      {res['second_order']}",
        f"spurious          {res['spurious']}   (‖xxᵀ − M*‖_F = {res['distance']:.6g})",
        f"local minimum     {_fmt(res['local_min'])}   ({res['method']})",
    ]
    if res["witness"] is not None:
        lines.append(
            f"witness           f = {res['witness_f']:.12g} < {res['f']:.12g} at distance "
            f"{res['witness_distance']:.3g}: {res['witness']}"
        )
    return "\n".join(lines)
