"""``spurious sgd``: batched SGD with momentum (batch size one) over many trials; failure rate.

Parses the arguments and calls :func:`spurious.solvers._sgd_summary.sgd_failure_rate`. A progress
bar (tqdm) is shown on a terminal, never with ``--json`` or when stdout is not a TTY.
"""

from __future__ import annotations

import argparse
import sys

from spurious.cli._common import add_source_arguments, read_source
from spurious.core._validation import check_int

#: Trials per chunk of the run (the progress bar advances per chunk; results do not depend on it).
CHUNK_TRIALS = 10_000


def configure(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--trials", type=int, required=True, metavar="T", help="number of trials")
    parser.add_argument("--steps", type=int, required=True, metavar="S", help="SGD steps per trial")
    parser.add_argument("--lr", type=float, required=True, metavar="L", help="learning rate")
    parser.add_argument("--momentum", type=float, required=True, metavar="B", help="momentum β in [0, 1)")
    parser.add_argument("--seed", type=int, required=True, metavar="K", help="random seed (per-trial streams)")
    parser.add_argument("--tol", type=float, default=1e-2, help="success: final ‖xxᵀ − zzᵀ‖_F ≤ tol (default 1e-2)")
    parser.add_argument(
        "--grad",
        choices=("term", "unbiased", "half"),
        default="term",
        help="stochastic gradient: term = ∇(one term) (default), unbiased = m·term, half = ∇(½ term)",
    )
    parser.add_argument(
        "--flush-below",
        type=float,
        default=0.0,
        metavar="θ",
        help="flush-to-zero: entries of x and v below θ in magnitude become 0 after each step "
        "(e.g. 1e-90 for runs of 10⁵+ steps; default 0 = plain IEEE arithmetic)",
    )
    parser.add_argument("--init", choices=("gaussian", "spectral"), default="gaussian", help="initialization")
    parser.add_argument("--init-scale", type=float, default=1.0, help="std of the Gaussian initialization")
    parser.add_argument(
        "--backend", choices=("auto", "numba", "numpy", "torch"), default="auto", help="engine (default auto = numba)"
    )
    parser.add_argument("--device", default=None, help="torch device (cpu, cuda); torch only")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64", help="float32: torch only")
    parser.add_argument("--workers", type=int, default=None, help="threads (numba or torch CPU); default all")


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="trial", desc="sgd", file=sys.stderr)


def run(args: argparse.Namespace) -> dict:
    from spurious.solvers._sgd_summary import sgd_failure_rate
    from spurious.solvers._stopping import Stop

    inst = read_source(args)
    check_int(args.trials, "--trials", 1)
    check_int(args.steps, "--steps", 1)  # 0 steps would report the starts as the outcome of SGD
    bar = _progress_bar(args.trials, not args.json and sys.stdout.isatty() and args.trials > CHUNK_TRIALS)
    try:
        summary = sgd_failure_rate(
            inst,
            trials=args.trials,
            init=args.init,
            chunk_trials=CHUNK_TRIALS,
            progress=bar.update if bar is not None else None,
            steps=args.steps,
            lr=args.lr,
            momentum=args.momentum,
            grad=args.grad,
            seed=args.seed,
            stop=Stop(success=args.tol),
            flush_below=args.flush_below,
            init_scale=args.init_scale,
            backend=args.backend,
            device=args.device,
            dtype=args.dtype,
            workers=args.workers,
        )
    finally:
        if bar is not None:
            bar.close()
    out = summary.to_dict()
    out["source"] = args.example or args.instance
    return out


#: How the text output names each outcome.
OUTCOME_TEXT = {
    "recovered": "recovered",
    "at_spurious": "at the instance's spurious point",
    "diverged": "diverged",
    "stalled": "stalled (small gradient elsewhere)",
    "moving": "still moving",
}


def render(res: dict) -> str:
    lo, hi = res["ci"]
    counts = res["outcomes"]
    lines = [
        f"source        {res['source']}",
        f"trials        {res['trials']}   ({res['steps']} steps, lr {res['lr']:g}, momentum {res['momentum']:g}, "
        f"grad {res['grad']}, init {res['init']}, seed {res['seed']}, backend {res['backend']}"
        + (f", flush below {res['flush_below']:g}" if res["flush_below"] else "")
        + ")",
        "outcomes      " + ", ".join(f"{OUTCOME_TEXT[k]} {v}" for k, v in counts.items()),
        f"failures      {res['failures']}   (success: ‖xxᵀ − zzᵀ‖_F ≤ {res['tol']:g})",
        f"failure rate  {100 * res['failure_rate']:.2f} %   [{100 * lo:.2f}, {100 * hi:.2f}] % "
        f"({100 * res['confidence']:.2f} % {res['ci_method']} interval, ±3σ)",
    ]
    dom = res["dominant_failure"]
    if dom is not None:
        share = counts[dom] / res["failures"]
        lines.append(f"most failures {OUTCOME_TEXT[dom]} ({100 * share:.0f} % of them)")
        if dom == "moving":
            lines.append(
                f"              not converged after {res['steps']:,} steps: try more --steps "
                "(or a larger --lr) before reading the rate as failures"
            )
    return "\n".join(lines)
