"""``spurious rip``: RIP constant of an instance's operator, exact full rank and rank-K bounds."""

from __future__ import annotations

import argparse

from spurious.cli._common import add_source_arguments, read_source
from spurious.core._validation import check_int


def configure(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument(
        "--rank",
        type=int,
        required=True,
        metavar="K",
        help="rank of the test matrices (2r or 4r in the theorems); K ≥ n gives the exact value",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=10_000,
        metavar="S",
        help="random rank-K matrices of the bi2021 estimate (default 10000)",
    )
    parser.add_argument("--starts", type=int, default=8, help="starts of the adversarial search (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args: argparse.Namespace) -> dict:
    from spurious.landscape._rip import rip_bounds

    rank = check_int(args.rank, "--rank", 1)
    samples = check_int(args.samples, "--samples", 0)
    starts = check_int(args.starts, "--starts", 0)
    return rip_bounds(read_source(args), rank, samples=samples, starts=starts, rng=args.seed).to_dict()


def render(res: dict) -> str:
    sampled = "—" if res["sampled"] is None else f"{res['sampled']:.6g}"
    return "\n".join(
        [
            f"rank K            {res['rank']}   (n = {res['n']})",
            f"δ_K ∈             [{res['lower']:.6g}, {res['upper']:.6g}]   (lower: {res['method']})",
            f"exact full rank   {res['exact']:.6g}",
            f"sampled (bi2021)  {sampled}   ({res['samples']} samples)",
            f"ratio range seen  [{res['alpha']:.6g}, {res['beta']:.6g}]",
        ]
    )
