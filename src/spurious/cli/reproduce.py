"""``spurious reproduce``: run a paper reproduction (or all of them) into a run directory.

Parses the arguments and calls :func:`spurious.studies._runner.run` /
:func:`~spurious.experiments.runner.run_all`; ``--list`` shows the registered experiments
(:func:`spurious.studies._registry.describe`). A progress bar is shown on a terminal,
never with ``--json`` or when stderr is not a TTY.
"""

from __future__ import annotations

import argparse
import sys

from spurious.core._errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="experiment name, or 'all' (see --list)")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--quick", action="store_true", help="small faithful version (about 20 s), wider tolerances")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="run directory (default runs/NAME; for 'all': the root, default runs/)")
    parser.add_argument("--seed", type=int, default=0, metavar="K", help="seed of every trial stream (default 0)")
    parser.add_argument("--workers", type=int, default=None, metavar="K",
                        help="local processes (default: all cores; 1 = in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="address of an existing Dask scheduler, e.g. tcp://HOST:8786")
    parser.add_argument("--resume", action="store_true",
                        help="finish the run already in --out (same parameters and seed)")


def run(args: argparse.Namespace) -> dict:
    from spurious.studies import _registry as registry
    from spurious.studies import _runner as runner

    if args.list:
        return {"experiments": registry.describe()}
    if not args.name:
        raise InputError("reproduce: give an experiment NAME, 'all', or --list")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}: must be ≥ 1")
    if args.seed < 0:
        raise InputError(f"--seed {args.seed}: must be ≥ 0")
    opts = {"quick": args.quick, "seed": args.seed, "workers": args.workers, "scheduler": args.scheduler,
            "resume": args.resume, "progress": not args.json and sys.stderr.isatty()}
    try:
        if args.name == "all":
            results, index = runner.run_all(out=args.out, **opts)
            return {"name": "all", "out": str(index.parent), "index": str(index),
                    "verdicts": [{"experiment": r.name, **v} for r in results for v in r.to_dict()["verdicts"]],
                    "runs": [r.to_dict() for r in results]}
        return runner.reproduce(args.name, out=args.out, **opts).to_dict()
    except KeyboardInterrupt:
        print("spurious reproduce: finished chunks are kept; rerun with --resume (same --out) to finish",
              file=sys.stderr)
        raise


def _table(verdicts: list[dict]) -> list[str]:
    return [f"  {v['verdict']:>7}  {v['quantity']}: ours {v['ours']} (paper {v['paper']}, tol {v['tolerance']})"
            for v in verdicts]


def render(result: dict) -> str:
    if "experiments" in result:
        width = max((len(e["name"]) for e in result["experiments"]), default=0)
        return "\n".join(f"{e['name']:<{width}}  {e['description']}" for e in result["experiments"])
    runs = result.get("runs", [result])
    lines = []
    for r in runs:
        lines += [f"{r['name']}: {r['out']}", *_table(r["verdicts"]),
                  f"  summary: {r['summary']}", f"  figures: {', '.join(r['figures']) or '(none)'}"]
    if "index" in result:
        lines.append(f"index: {result['index']}")
    return "\n".join(lines)
