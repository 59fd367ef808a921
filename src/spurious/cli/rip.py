"""``spurious rip``: RIP constant of an instance's operator, exact full rank and rank-K bounds.

``--rank`` defaults to ``2r`` with ``r`` the rank of the instance's ``z``: the rank of the RIP
constant ``δ_2r`` in the theorems (zhang2018, bhojanapalli2016). The text output says what each
number bounds: the exact full-rank δ bounds ``δ_K`` from above; the adversarial search and the
bi2021 sampling estimate bound it from below (ratios actually attained), the sampled one
usually far below.
"""

from __future__ import annotations

import argparse

from spurious.cli._common import add_source_arguments, read_source
from spurious.core._validation import check_int


def configure(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument(
        "--rank",
        type=int,
        default=None,
        metavar="K",
        help="rank of the test matrices (default 2r, r the rank of the instance's z: the theorems' δ_2r; "
        "4r for some); K ≥ n gives the exact value",
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

    samples = check_int(args.samples, "--samples", 0)
    starts = check_int(args.starts, "--starts", 0)
    inst = read_source(args)
    r = int(inst.z.shape[1])
    if args.rank is None:
        rank, how = 2 * r, f"default 2r, r = {r} the rank of the instance's z"
    else:
        rank, how = check_int(args.rank, "--rank", 1), "--rank"
    out = rip_bounds(inst, rank, samples=samples, starts=starts, rng=args.seed).to_dict()
    out["rank_from"] = how
    return out


def render(res: dict) -> str:
    sampled = "—" if res["sampled"] is None else f"{res['sampled']:.6g}"
    exact_rank = res["rank"] >= res["n"]
    how = res.get("rank_from")
    lines = [
        f"rank K            {res['rank']}   (n = {res['n']}{'; ' + how if how else ''})",
        f"δ_K ∈             [{res['lower']:.6g}, {res['upper']:.6g}]   (lower: {res['method']})",
        f"exact full rank   {res['exact']:.6g}   (δ over all ranks, from the {_exact_from(res)}: "
        "bounds δ_K from above)",
    ]
    if exact_rank:
        lines.append(f"adversarial       {res['adversarial']:.6g}   (K ≥ n: every matrix has rank ≤ K, δ_K is exact)")
    else:
        lines.append(
            f"adversarial       {res['adversarial']:.6g}   (δ of the extreme ratios an optimizer found over rank-K "
            f"matrices, {res['starts']} starts: bounds δ_K from below)"
        )
    lines += [
        f"sampled (bi2021)  {sampled}   ({res['samples']} random rank-K matrices: bi2021's estimate, also a lower "
        "bound, often far below δ_K)",
        f"ratio range seen  [{res['alpha']:.6g}, {res['beta']:.6g}]   (‖A(X)‖²/‖X‖² over the rank-K matrices tried)",
    ]
    return "\n".join(lines)


def _exact_from(res: dict) -> str:
    if res.get("exact_from") == "rank H ≤ m < N":
        return "rank of H ≤ m < N = n(n+1)/2 (H singular, no eigensolve)"
    return "eigenvalues of H"
