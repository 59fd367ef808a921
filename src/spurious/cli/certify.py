"""``spurious certify``: certify a point of an instance (gradient, Hessian, second order, local minimum).

The text output starts with the point certified (the instance's ``x``, or ``--x`` / ``--x-file``)
and ends with one line for each word it uses (:data:`WORDS`): second-order, strict, spurious,
rotation directions, and the third/fourth-order test when it decided.
"""

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
    point = INSTANCE_X if x is None else _point_option(args)
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
    out["point"] = point
    out["source"] = args.example or args.instance
    return out


#: what the output says when the instance's own x was certified
INSTANCE_X = "the instance's x"


def _point_option(args: argparse.Namespace) -> str:
    return f"--x {args.x}" if getattr(args, "x", None) is not None else f"--x-file {args.x_file}"


#: one line per word of the text output (what it means here)
WORDS = {
    "second-order": "∇f(x) = 0 and ∇²f(x) ⪰ 0 (within the tolerances): necessary for a local minimum, not enough",
    "strict": "∇²f(x) ≻ 0 off the rotation directions: with a critical point proved nearby, a strict local minimum",
    "spurious": "second-order but xxᵀ ≠ M*: a point that is not a global minimum",
    "rotation directions": "f(xR) = f(x) for orthogonal R: the r(r−1)/2 directions xΩ (Ω skew) are flat, so left out",
    "third/fourth-order test": "at a degenerate second-order point, f along a curve in the flat directions: "
    "a 3rd/4th-order decrease disproves a local minimum",
}


def _fmt(v) -> str:
    return "null" if v is None else (f"{v:.10g}" if isinstance(v, float) else str(v))


def _point_text(res: dict, key: str = "x") -> str:
    x = res.get(key)
    if not x:
        return "—"
    rows = [", ".join(f"{v:.6g}" for v in row) for row in x[:6]]
    shape = f"{len(x)}×{len(x[0])}"
    if len(x[0]) == 1:
        body = "(" + ", ".join(rows) + (", …" if len(x) > 6 else "") + ")"
    else:
        body = "[" + "; ".join(rows) + ("; …" if len(x) > 6 else "") + "]"
    return f"{body}   ({shape})"


def _local_min_text(res: dict) -> str:
    local_min = res.get("local_min")
    if local_min is None:
        reason = res.get("reason") or res.get("method") or "no decision"
        return f"undecided: {reason}"
    method, reason = res.get("method", ""), res.get("reason") or ""
    if local_min or not reason:
        return f"{local_min}   ({method})"
    return f"{local_min}   ({reason if reason.startswith(method) else f'{method}: {reason}'})"


def _hessian_line(res: dict, eigs: str) -> str:
    off = f"off {res['symmetry_dim']} rotation directions; tolerance {res['eig_tol_abs']:.3g}"
    if res.get("hessian") == "lanczos":  # no explicit Hessian: its smallest eigenvalue only
        return (
            f"λ_min(∇²f)        {res['hess_min_eig']:.6g}   (Lanczos on Hessian-vector products, residual "
            f"{res.get('hess_residual', float('nan')):.2g}; {off})"
        )
    return f"Hessian eigs      [{eigs}]   ({off})"


def render(res: dict) -> str:
    eigs = ", ".join(f"{e:.6g}" for e in res["hess_eigs"])
    where = res.get("point", "x")
    source = res.get("source")
    if source:
        where += (" of " if where == INSTANCE_X else " on ") + source
    lines = [
        f"point             {where}",
        f"x                 {_point_text(res)}",
        f"f                 {_fmt(res['f'])}",
        f"‖∇f‖              {_fmt(res['grad_norm'])}   (tolerance {res['grad_tol_abs']:.3g})",
        _hessian_line(res, eigs),
        f"second-order      {res['second_order']}",
        f"strict            {res.get('strict')}",
        f"spurious          {res['spurious']}   (‖xxᵀ − M*‖_F = {res['distance']:.6g})",
        f"local minimum     {_local_min_text(res)}",
    ]
    if res.get("witness") is not None:
        lines.append(
            f"witness           f = {res['witness_f']:.12g} < {res['f']:.12g} at distance "
            f"{res['witness_distance']:.3g}: {_point_text(res, 'witness')}"
        )
    words = ["second-order", "strict", "spurious", "rotation directions"]
    if res.get("method") in ("third-order", "fourth-order") or res.get("null_dim"):
        words.append("third/fourth-order test")
    width = max(map(len, words))
    lines += ["", "what the words mean:", *(f"  {w:<{width}}  {WORDS[w]}" for w in words)]
    return "\n".join(lines)
