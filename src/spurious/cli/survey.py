"""``spurious survey``: a landscape census of an example or instance (:func:`spurious.survey`).

Runs ``--starts`` local searches (from Gaussian or spectral starts, or from the starts of
``--starts-file``), groups their endpoints modulo the rotation symmetry, certifies each distinct
endpoint once and prints the census (text, or one JSON object with ``--json``: ``starts`` and
``endpoints``, a list of ``{kind, count, share, ci, f, distance, x, …}`` whose counts sum to
``starts``). ``--out DIR`` makes DIR a run directory (:mod:`spurious.studies._survey`): chunks
of starts saved as they finish, ``census.parquet``, ``census.json``, ``endpoints.npz``,
``basins.png``, ``summary.md`` and ``manifest.json``; ``--resume`` finishes an interrupted one.
"""

from __future__ import annotations

import argparse
import sys

from spurious.cli._common import add_source_arguments, read_source
from spurious.core._errors import InputError, TooLargeError


def configure(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument(
        "--starts", type=int, default=None, metavar="K", help="number of local searches (default: --starts-file's)"
    )
    parser.add_argument(
        "--method", choices=("gd", "sgd", "perturbed-gd"), default="gd", help="local search (default gd)"
    )
    given = parser.add_mutually_exclusive_group()
    given.add_argument(
        "--init", choices=("gaussian", "spectral"), default="gaussian", help="starts (default standard Gaussian)"
    )
    given.add_argument(
        "--starts-file",
        default=None,
        metavar="F",
        help="given starts: an .npy (or one-array .npz) file of shape (K, n, r), or (n, r) for one start",
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
        "--out",
        default=None,
        metavar="DIR",
        help="run directory: chunks as they finish, census.parquet, census.json, endpoints.npz, basins.png, "
        "summary.md, manifest.json",
    )
    parser.add_argument(
        "--resume", action="store_true", help="finish the survey already in --out (same parameters, seed and source)"
    )


def run(args: argparse.Namespace) -> dict:
    from spurious.core._validation import check_int
    from spurious.studies._execution import check_scheduler
    from spurious.studies._survey import TOL, read_starts, survey

    if args.starts is None and args.starts_file is None:
        raise InputError("--starts: required (or give --starts-file)")
    if args.starts is not None:
        check_int(args.starts, "--starts", 1)
    if args.steps is not None:
        check_int(args.steps, "--steps", 1)
    if args.workers is not None:
        check_int(args.workers, "--workers", 1)
    if args.lr is None and args.method != "gd":
        raise InputError(f"--lr: required with --method {args.method} (gd alone has a default: Armijo backtracking)")
    if args.resume and args.out is None:
        raise InputError("--resume: needs --out DIR, the run directory to finish")
    scheduler = None if args.scheduler is None else check_scheduler(args.scheduler)
    inst = read_source(args)
    init, starts = args.init, args.starts
    if args.starts_file is not None:
        problem = inst.problem()
        try:
            init = read_starts(args.starts_file, problem.n, problem.r)
        except (InputError, TooLargeError) as exc:
            raise type(exc)(f"--starts-file {exc}") from None
        if starts is not None and starts != len(init):
            raise InputError(f"--starts {starts}: --starts-file {args.starts_file} holds {len(init)} starts")
        starts = len(init)
    try:
        res = survey(
            inst,
            starts=starts,
            method=args.method,
            init=init,
            seed=args.seed,
            steps=args.steps,
            lr=args.lr,
            momentum=args.momentum,
            tol=TOL if args.tol is None else args.tol,
            rip=not args.no_rip,
            workers=args.workers,
            scheduler=scheduler,
            out=args.out,
            resume=args.resume,
        )
    except KeyboardInterrupt:
        if args.out is not None:
            print(
                f"spurious survey: finished chunks are kept in {args.out}; rerun with --resume to finish",
                file=sys.stderr,
            )
        raise
    result = res.to_dict()
    result["source"] = args.example or args.instance
    if res.run is not None:
        result.update(res.run.to_dict())
    return result


def render(res: dict) -> str:
    from spurious.studies._survey import render as render_census

    text = render_census(res)
    if res.get("files"):
        text += "\n  wrote     " + ", ".join(res["files"])
        text += f"\n  chunks    {res['chunks_run']} run, {res['chunks_reused']} reused ({res['manifest']})"
    return text
