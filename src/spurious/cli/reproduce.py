"""``spurious reproduce``: run a paper reproduction (or all of them) into a run directory.

Parses the arguments and calls :func:`spurious.reproduce` / ``run_all``; ``--list`` shows the registered experiments
(:func:`spurious.studies._registry.describe`). Progress goes to stderr, and only when stderr is a
terminal: a bar per experiment weighted by work, redrawn every 0.5 s with an ETA from the
measured work rate (:mod:`spurious.studies._progress`), then one line per finished experiment.
``--json`` (stdout stays one JSON document) and ``--quiet`` leave them out; a compile of the
kernels is said on stderr in any case.
"""

from __future__ import annotations

import argparse
import sys

from spurious.core._errors import InputError
from spurious.core._validation import check_int


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="experiment name, or 'all' (see --list)")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--quick", action="store_true", help="small faithful version (about 20 s), wider tolerances")
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="run directory (default runs/NAME, with --quick runs/quick/NAME; "
        "for 'all': the root, default runs/ or runs/quick/)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="K", help="seed of every trial stream (default 0)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="K",
        help="local processes (default: all cores; 1 = in this process)",
    )
    parser.add_argument(
        "--scheduler", default=None, metavar="ADDR", help="address of an existing Dask scheduler, e.g. tcp://HOST:8786"
    )
    parser.add_argument(
        "--resume", action="store_true", help="finish the run already in --out (same parameters and seed)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="override a parameter (repeatable; JSON values, e.g. trials=500, ms=[10,20]); --params lists them",
    )
    parser.add_argument("--params", action="store_true", help="print the experiment's parameters (full and quick)")
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no line per finished experiment on stderr"
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Whether to draw progress: stderr is a terminal, and neither ``--json`` nor ``--quiet`` was given."""
    if getattr(args, "json", False) or getattr(args, "quiet", False):
        return False
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def run(args: argparse.Namespace) -> dict:
    from spurious.studies import _registry as registry
    from spurious.studies import _runner as runner

    if args.list:
        return {"experiments": registry.describe()}
    if not args.name:
        raise InputError("reproduce: give an experiment NAME, 'all', or --list")
    if args.params:
        if args.name == "all":
            raise InputError("--params: give one experiment NAME")
        exp = registry.get_experiment(args.name)
        return {"name": exp.name, "full": exp.params(False), "quick": exp.params(True)}
    overrides = runner.parse_overrides(args.overrides)
    if overrides and args.name == "all":
        raise InputError("--set: give one experiment NAME (parameters differ between experiments)")
    if args.workers is not None:
        check_int(args.workers, "--workers", 1)
    check_int(args.seed, "--seed", 0)
    opts = {
        "quick": args.quick,
        "seed": args.seed,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "resume": args.resume,
        "progress": show_progress(args),
    }
    if overrides:
        opts["overrides"] = overrides
    try:
        if args.name == "all":
            results, index = runner.run_all(out=args.out, **opts)
            return {
                "name": "all",
                "out": str(index.parent),
                "index": str(index),
                "verdicts": [{"experiment": r.name, **v} for r in results for v in r.to_dict()["verdicts"]],
                "runs": [r.to_dict() for r in results],
            }
        return runner.reproduce(args.name, out=args.out, **opts).to_dict()
    except KeyboardInterrupt:
        print(
            "spurious reproduce: finished chunks are kept; rerun with --resume (same --out) to finish", file=sys.stderr
        )
        raise


def _table(verdicts: list[dict]) -> list[str]:
    return [
        f"  {v['verdict']:>7}  {v['quantity']}: ours {v['ours']} (paper {v['paper']}, tol {v['tolerance']})"
        for v in verdicts
    ]


def render(result: dict) -> str:
    if "experiments" in result:
        width = max((len(e["name"]) for e in result["experiments"]), default=0)
        return "\n".join(f"{e['name']:<{width}}  {e['description']}" for e in result["experiments"])
    if "full" in result and "quick" in result:
        import json

        keys = sorted(set(result["full"]) | set(result["quick"]))
        width = max(map(len, keys), default=0)
        lines = [f"{result['name']}: parameters (--set KEY=VALUE overrides one)", f"  {'':<{width}}  full | quick"]
        for k in keys:
            full, quick = (json.dumps(result[w].get(k)) for w in ("full", "quick"))
            lines.append(f"  {k:<{width}}  {full}" + ("" if quick == full else f" | {quick}"))
        return "\n".join(lines)
    runs = result.get("runs", [result])
    lines = []
    for r in runs:
        lines += [
            f"{r['name']}: {r['out']}",
            *_table(r["verdicts"]),
            f"  summary: {r['summary']}",
            f"  figures: {', '.join(r['figures']) or '(none)'}",
        ]
    if "index" in result:
        lines.append(f"index: {result['index']}")
    return "\n".join(lines)
