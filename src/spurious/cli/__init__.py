"""Command-line interface: ``spurious COMMAND ...``.

Each command lives in its own module with ``configure(parser)`` and ``run(args) -> dict``
(and optionally ``render(result) -> str``); this module only dispatches. Commands print
human-readable text by default and one JSON object with ``--json``; user errors exit
with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys

from spurious.core._errors import SpuriousError

#: command name -> (module, one-line help, one example)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "certify": (
        "certify",
        "certify a point: gradient, Hessian, second-order, local minimum",
        "spurious certify --example zhang2018-example3",
    ),
    "rip": (
        "rip",
        "RIP constant of an instance: exact full-rank and rank-K bounds",
        "spurious rip --example zhang2018-example3 --rank 2",
    ),
    "threshold": (
        "threshold",
        "δ_foc and δ_soc thresholds of a point x against ground truth z",
        "spurious threshold --x 0,0.7071067811865476 --z 1,0",
    ),
    "counterexample": (
        "counterexample",
        "RIP instance in which x is a spurious point (LMI (10))",
        "spurious counterexample --x 0.5,0.3 --z 1,0 --margin 0.05 --save inst.npz",
    ),
    "sgd": (
        "sgd",
        "batched SGD with momentum over many trials: failure rate",
        "spurious sgd --example zhang2018-example3 --trials 2000 --steps 1000 --lr 1e-3 --momentum 0.9 --seed 0",
    ),
    "instance": (
        "instance",
        "write a random matrix-free instance (rank-one, completion, gaussian)",
        "spurious instance --operator rank-one --n 1000 --rank 3 --m 18000 --save r1.npz",
    ),
    "reproduce": (
        "reproduce",
        "reproduce a paper figure or table into a run directory",
        "spurious reproduce zhang2018-example3 --quick",
    ),
    "survey": ("survey", "census of local-search basins", "spurious survey --example zhang2018-example3 --starts 500"),
}

DESCRIPTION = """\
spurious: the optimization landscape of low-rank matrix recovery, f(x) = ‖A(xxᵀ) − b‖² over
x ∈ R^(n×r). Certify a point (second order, spurious, local minimum), bound the RIP constant of an
operator, compute the thresholds δ_foc and δ_soc of a point, build an RIP instance in which a point
is spurious, run thousands of SGD trials at once, and reproduce the papers' figures with verdicts.
Text by default, one JSON object with --json; bad input exits with status 2 and one line."""

EPILOG = """\
examples:
  spurious certify --example zhang2018-example3
  spurious counterexample --x 0.5,0.3 --z 1,0 --margin 0.05 --save inst.npz
  spurious reproduce zhang2018-example3 --quick

'spurious COMMAND --help' describes each command; the documentation is in docs/ (Sphinx)."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="spurious", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    sub.required = True
    for name, (_, help_, example) in COMMANDS.items():
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(_module=name)
    return parser


def _version() -> str:
    """``spurious X.Y.Z (numpy …, scipy …, cvxpy …, clarabel …, numba …)`` from the installed metadata."""
    from importlib import metadata

    from spurious import __version__

    deps = []
    for dist in ("numpy", "scipy", "cvxpy", "clarabel", "numba"):
        try:
            deps.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            deps.append(f"{dist} not installed")
    return f"spurious {__version__} ({', '.join(deps)})"


def _module(name: str):
    return importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")


def _to_jsonable(obj):
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def default_render(result: dict) -> str:
    lines = []
    for k, v in result.items():
        if isinstance(v, float):
            v = f"{v:.10g}"
        lines.append(f"{k:>16}: {v}")
    return "\n".join(lines)


#: library argument names whose command-line flag is not ``--`` + the name with ``-`` for ``_``
FLAG_OF = {"stop.success": "--tol", "rng": "--seed"}


def _value_options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions if a.nargs != 0 for s in a.option_strings}


def _typed(argv: list[str], flag: str) -> str | None:
    """The value the user typed after ``flag`` (its last occurrence), or None."""
    value = None
    for i, tok in enumerate(argv):
        if tok == flag and i + 1 < len(argv):
            value = argv[i + 1]
        elif tok.startswith(flag + "="):
            value = tok[len(flag) + 1 :]
    return value


def _name_the_flag(msg: str, parser: argparse.ArgumentParser, argv: list[str]) -> str:
    """Library names → the command line's: ``lr = -0.001: …`` → ``--lr -1e-3: …`` (the value as typed),
    and a leading ``x: …`` → ``--x 1e308,1e308: …`` or ``--x-file F.npy: …``."""
    flags = _value_options(parser)

    def flag_of(name: str) -> str:
        return FLAG_OF.get(name, "--" + name.replace("_", "-"))

    def sub(m: re.Match) -> str:
        f = flag_of(m.group(1))
        if f not in flags:
            return m.group(0)
        raw = _typed(argv, f)
        return f"{f} {raw if raw is not None else m.group(2)}"

    msg = re.sub(r"(?<![\w.-])([a-z_][a-z_.0-9]*) = ([^\s:,]+)", sub, msg)
    m = re.match(r"([a-z_][a-z_0-9]*(?:, [a-z_][a-z_0-9]*)*): ", msg)
    if m is None:
        return msg
    named = []
    for name in m.group(1).split(", "):
        f = flag_of(name)
        typed = [(g, _typed(argv, g)) for g in (f, f + "-file") if g in flags]
        named += [f"{g} {raw}" for g, raw in typed if raw is not None]
    return f"{', '.join(named)}: {msg[m.end() :]}" if named else msg


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    # Configure only the chosen command's arguments, so that --help stays fast.
    chosen = next((a for a in argv if a in COMMANDS), None)
    if chosen is not None:
        sub_action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub = sub_action.choices[chosen]
        _module(chosen).configure(sub)
        from spurious.cli._common import attach_negative_values

        argv = attach_negative_values(argv, _value_options(sub))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    mod = _module(args._module)
    try:
        result = mod.run(args)
    except SpuriousError as exc:
        msg = _name_the_flag(" ".join(str(exc).split()), sub_action.choices[args.command], argv)
        print(f"spurious {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except OSError as exc:  # full disk, read-only file system, name too long, ...: one line naming the path
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"spurious {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spurious {args.command}: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(_to_jsonable(result)))
    else:
        render = getattr(mod, "render", default_render)
        print(render(result))
    return 0
