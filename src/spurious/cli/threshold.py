"""``spurious threshold``: the RIP thresholds δ_foc and δ_soc of a point x against a ground truth z."""

from __future__ import annotations

import argparse

from spurious.cli._common import add_point_arguments, point_label, read_point


def configure(parser: argparse.ArgumentParser) -> None:
    from spurious.landscape._thresholds import SOLVERS

    add_point_arguments(parser, "x", "the candidate point", required=True)
    add_point_arguments(parser, "z", "the ground truth factor", required=True)
    parser.add_argument("--solver", choices=SOLVERS, default="clarabel", help="SDP solver (default clarabel)")


def run(args: argparse.Namespace) -> dict:
    from spurious.landscape._thresholds import thresholds

    z = read_point(args, "z")
    x = read_point(args, "x", n=z.shape[0], n_from=point_label(args, "z"))
    return thresholds(x, z, solver=args.solver).to_dict()


def render(res: dict) -> str:
    lines = [
        f"δ_foc    {res['delta_foc']:.10g}   ({res['foc_method']}, zhang2020 Thm 4)",
        f"δ_soc    {res['delta_soc']:.10g}   (LMI (10) of zhang2018: {res['soc_status']}"
        f"{', certified' if res['certified'] else ', NOT certified'})",
    ]
    if res["note"]:
        lines.append(f"note     {res['note']}")
    return "\n".join(lines)
