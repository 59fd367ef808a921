"""``spurious instance``: write a random instance with a matrix-free operator (format 2).

Parses the arguments and calls :func:`spurious.make_instance` and :func:`spurious.save_instance`.
"""

from __future__ import annotations

import argparse

from spurious.core._matrix_free import KINDS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--operator", choices=KINDS, required=True, help="the kind of measurements")
    parser.add_argument("--n", type=int, required=True, metavar="N", help="matrix order")
    parser.add_argument("--rank", type=int, required=True, metavar="R", help="rank of the ground truth z (n×R)")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--m", type=int, metavar="M", help="number of measurements (all kinds but completion)")
    size.add_argument("--p", type=float, metavar="P", help="sampling probability of each pair i ≤ j (completion)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--z-file", metavar="F.npy", help="ground truth z (n×R .npy); default N(0, 1) entries")
    parser.add_argument("--save", required=True, metavar="F.npz", help="the instance file to write")


def run(args: argparse.Namespace) -> dict:
    from spurious.cli._common import read_point
    from spurious.core._instances import make_instance, save_instance

    z = read_point(args, "z", n=args.n, n_from="--n") if args.n >= 1 else None
    inst = make_instance(args.operator, args.n, args.rank, m=args.m, p=args.p, seed=args.seed, z=z)
    path = save_instance(args.save, inst)
    op = inst.operator
    return {
        "operator": op.kind,
        "n": op.n,
        "m": op.m,
        "r": int(inst.z.shape[1]),
        "p": args.p,
        "seed": args.seed,
        "z": "file" if z is not None else "gaussian",
        "operator_bytes": op.nbytes,
        "file_bytes": path.stat().st_size,
        "path": str(path),
    }


def render(res: dict) -> str:
    from spurious.core._validation import format_bytes

    size = f"p = {res['p']:g}, " if res["p"] is not None else ""
    return "\n".join(
        [
            f"operator          {res['operator']}   (n = {res['n']}, m = {res['m']}, {size}seed {res['seed']})",
            f"ground truth      n × {res['r']} ({res['z']})",
            f"memory            {format_bytes(res['operator_bytes'])} (the dense m × N matrix is never formed)",
            f"saved             {res['path']}   ({format_bytes(res['file_bytes'])})",
        ]
    )
