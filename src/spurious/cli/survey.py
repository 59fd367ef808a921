"""``spurious survey``: a landscape census of an example or instance (:func:`spurious.survey`).

Runs ``--starts`` local searches, groups their endpoints modulo the rotation symmetry, certifies
each distinct endpoint once and prints the census (text, or one JSON object with ``--json``:
``starts`` and ``endpoints``, a list of ``{kind, count, share, ci, f, distance, x, …}`` whose
counts sum to ``starts``). ``--out DIR`` also writes ``census.json``, ``endpoints.npz`` and the figure ``basins.png``
(for ``n·r = 2`` the landscape itself, contours of ``f`` with every certified point marked).
"""

from __future__ import annotations

import argparse

from spurious.cli._common import add_source_arguments, read_source
from spurious.core._errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--starts", type=int, required=True, metavar="K", help="number of local searches")
    parser.add_argument(
        "--method", choices=("gd", "sgd", "perturbed-gd"), default="gd", help="local search (default gd)"
    )
    parser.add_argument(
        "--init", choices=("gaussian", "spectral"), default="gaussian", help="starts (default standard Gaussian)"
    )
    parser.add_argument(
        "--steps", type=int, default=None, metavar="S", help="steps per search (default 10000; sgd 1000)"
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        metavar="L",
        help="step size (gd default: Armijo backtracking; required for sgd and perturbed-gd)",
    )
    parser.add_argument("--momentum", type=float, default=0.0, metavar="B", help="momentum β in [0, 1) (gd, sgd)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the per-search streams (default 0)")
    parser.add_argument(
        "--tol",
        type=float,
        default=None,
        help="relative grouping tolerance: ‖xxᵀ − yyᵀ‖_F ≤ tol·‖M*‖_F is one endpoint (default 1e-3)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, metavar="K", help="processes (default 1); the census does not depend on it"
    )
    parser.add_argument("--scheduler", default=None, metavar="ADDR", help="a Dask scheduler, tcp://HOST:PORT")
    parser.add_argument("--no-rip", action="store_true", help="skip the RIP bounds and the guarantees")
    parser.add_argument(
        "--out", default=None, metavar="DIR", help="write census.json, endpoints.npz and basins.png into DIR"
    )


def run(args: argparse.Namespace) -> dict:
    from spurious.core._validation import check_int
    from spurious.studies._execution import check_scheduler
    from spurious.studies._survey import TOL, survey

    check_int(args.starts, "--starts", 1)
    if args.steps is not None:
        check_int(args.steps, "--steps", 1)
    if args.workers is not None:
        check_int(args.workers, "--workers", 1)
    if args.lr is None and args.method != "gd":
        raise InputError(f"--lr: required with --method {args.method} (gd alone has a default: Armijo backtracking)")
    scheduler = None if args.scheduler is None else check_scheduler(args.scheduler)
    inst = read_source(args)
    res = survey(
        inst,
        starts=args.starts,
        method=args.method,
        init=args.init,
        seed=args.seed,
        steps=args.steps,
        lr=args.lr,
        momentum=args.momentum,
        tol=TOL if args.tol is None else args.tol,
        rip=not args.no_rip,
        workers=args.workers,
        scheduler=scheduler,
    )
    out = res.to_dict()
    out["source"] = args.example or args.instance
    if args.out is not None:
        out["files"] = [str(p) for p in res.save(args.out)]
    return out


def render(res: dict) -> str:
    from spurious.studies._survey import render as render_census

    text = render_census(res)
    if res.get("files"):
        text += "\n  wrote     " + ", ".join(res["files"])
    return text
