"""Registry of named experiments and the plug-in contract (see :mod:`spurious.studies`).

An :class:`Experiment` is a frozen bundle of four plain functions; :func:`register` adds one
under its name, :func:`get` and :func:`names` look them up. Built-in experiment modules
(every module of this package that defines ``EXPERIMENTS``) and user plug-ins (modules named in the environment variable
``SPURIOUS_EXPERIMENTS``, comma-separated) are imported lazily, on the first look-up; a
module contributes the experiments listed in its module-level ``EXPERIMENTS`` sequence.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spurious.core._errors import InputError
from spurious.core._stats import THREE_SIGMA, Rate
from spurious.core._summary import summary_lines

if TYPE_CHECKING:
    import pandas as pd

#: the verdicts a summary row may carry
VERDICTS = ("match", "miss", "refuted")

#: environment variable naming plug-in modules, comma-separated
PLUGIN_ENV = "SPURIOUS_EXPERIMENTS"

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Verdict:
    """One row of a summary: a paper's quantity, its value, ours, the tolerance, the verdict.

    Attributes
    ----------
    quantity : str
        What is compared (e.g. ``"failure rate, 1,000 steps"``).
    paper : str
        The paper's value or claim, as text.
    ours : str
        Our value, as text.
    tolerance : str
        The tolerance used (state the widening of ``--quick`` here).
    verdict : {"match", "miss", "refuted"}
        ``match``: reproduced within the tolerance; ``miss``: not reproduced (say what we
        suspect in ``note``); ``refuted``: the paper's claim is false (the evidence in ``note``).
    note : str
    """

    quantity: str
    paper: str
    ours: str
    tolerance: str
    verdict: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise InputError(f"verdict = {self.verdict!r}: expected one of {', '.join(VERDICTS)}")

    def to_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("quantity", "paper", "ours", "tolerance", "verdict", "note")}

    def __str__(self) -> str:
        return summary_lines(
            f"{self.verdict}: {self.quantity}",
            [("paper", self.paper), ("ours", self.ours), ("tolerance", self.tolerance), ("note", self.note or ...)],
        )

    def __repr__(self) -> str:
        return f"Verdict({self.verdict!r}, {self.quantity!r})"


def rate_text(rate: Rate, digits: int = 2) -> str:
    """``"12.32 % (3σ Wilson [11.63, 13.06] %)"``: a failure rate and its interval as verdicts print them."""
    lo, hi = rate.ci
    level = "3σ" if abs(rate.confidence - THREE_SIGMA) < 1e-12 else f"{100 * rate.confidence:g} %"
    name = {"wilson": "Wilson", "exact": "Clopper–Pearson"}.get(rate.ci_method, rate.ci_method)
    return f"{100 * rate.rate:.{digits}f} % ({level} {name} [{100 * lo:.{digits}f}, {100 * hi:.{digits}f}] %)"


@dataclass(frozen=True)
class Experiment:
    """A named, reproducible experiment: the plug-in contract of the runner.

    Attributes
    ----------
    name : str
        Registry name, lower case (``zhang2018-example3``).
    description : str
        One line, shown by ``spurious reproduce --list``.
    citation : str
        The paper (and figure/table) reproduced.
    params : callable ``(quick: bool) -> dict``
        The parameters, JSON-able; ``quick=True`` gives the small faithful version.
    chunks : callable ``(params) -> list``
        The units of work, JSON-able keys fixed by the parameters alone (never by the
        number of workers); the results are concatenated in this order.
    run_chunk : callable ``(params, chunk, seed) -> pandas.DataFrame``
        A top-level (picklable) function computing one chunk: tidy rows, one per trial or
        cell, results only (no timings, hosts or worker ids). Every random number comes from
        :func:`spurious.trial_stream` / :func:`~spurious.rng.trial_seeds` keyed by
        ``(seed, cell, trial)``.
    summarize : callable ``(params, df, figures_dir) -> list[Verdict]``
        Compares the concatenated results with the paper and writes ``figures_dir/*.png``.
    manifest : callable ``(params) -> dict``, optional
        Extra JSON-able manifest fields (gradient convention, factorization of H, kernel...).
    chunk_work : callable ``(params, chunk) -> float``, optional
        One chunk's share of the work (same units), for a progress bar weighted by work when the
        chunks differ in size (:func:`spurious.studies._progress.chunk_weights`).
    work : callable ``(params) -> (float, str)``, optional
        The run's work in units of :mod:`spurious.core._budget` (SGD trial-steps; a convex
        program counts :data:`~spurious.core._budget.CONVEX_PROGRAM_UNITS`) and a text naming the
        parameters it comes from. The runner refuses a run above the budget before planning its
        chunks, so ``--set trials=10**12`` is a one-line refusal, not a hang.
    """

    name: str
    description: str
    citation: str
    params: Callable[[bool], dict]
    chunks: Callable[[dict], list]
    run_chunk: Callable[[dict, Any, int], pd.DataFrame]
    summarize: Callable[[dict, pd.DataFrame, Path], list[Verdict]]
    manifest: Callable[[dict], dict] | None = None
    work: Callable[[dict], tuple[float, str]] | None = None
    chunk_work: Callable[[dict, Any], float] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise InputError(f"experiment name {self.name!r}: expected lower-case letters, digits, '-', '.', '_'")
        if self.name == "all":
            raise InputError("experiment name 'all' is reserved (spurious reproduce all)")
        for attr in ("params", "chunks", "run_chunk", "summarize"):
            if not callable(getattr(self, attr)):
                raise InputError(f"experiment {self.name}: {attr} must be callable")


_REGISTRY: dict[str, Experiment] = {}
_LOADED: set[str] = set()


def register(experiment: Experiment, *, replace: bool = False) -> Experiment:
    """Add ``experiment`` under its name; a different experiment of the same name is refused."""
    if not isinstance(experiment, Experiment):
        raise InputError(f"register: expected an Experiment, got {type(experiment).__name__}")
    old = _REGISTRY.get(experiment.name)
    if old is not None and old != experiment and not replace:
        raise InputError(f"experiment {experiment.name!r} is already registered (pass replace=True)")
    _REGISTRY[experiment.name] = experiment
    return experiment


def load_module(module: str) -> list[Experiment]:
    """Import ``module`` and register every experiment of its ``EXPERIMENTS`` sequence."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            raise InputError(f"experiment module {module!r} not found (is it on PYTHONPATH?)") from exc
        raise
    exps = getattr(mod, "EXPERIMENTS", None)
    if exps is None or isinstance(exps, Experiment) or not isinstance(exps, Iterable):
        raise InputError(f"experiment module {module!r} defines no EXPERIMENTS sequence")
    out = [register(e) for e in exps]
    _LOADED.add(module)
    return out


def plugin_modules(env: str | None = None) -> list[str]:
    """Module names listed in ``$SPURIOUS_EXPERIMENTS`` (or in ``env``), comma-separated."""
    raw = os.environ.get(PLUGIN_ENV, "") if env is None else env
    return [m.strip() for m in raw.split(",") if m.strip()]


def builtin_modules() -> list[str]:
    """The modules of :mod:`spurious.studies` that define ``EXPERIMENTS`` (found by name, imported lazily)."""
    import pkgutil

    from spurious.studies import __path__ as pkg_path

    out = []
    for info in sorted(pkgutil.iter_modules(pkg_path), key=lambda i: i.name):
        if info.name.startswith("_"):  # _registry, _runner, ...: infrastructure
            continue
        name = f"{__package__}.{info.name}"
        if hasattr(importlib.import_module(name), "EXPERIMENTS"):
            out.append(name)
    return out


def _load_all(modules: Sequence[str] | None = None) -> None:
    if modules is None:
        modules = [*builtin_modules(), *plugin_modules()]
    for module in modules:
        if module not in _LOADED:
            load_module(module)


def experiments() -> list[str]:
    """Names of every registered experiment (built-in and plug-ins), sorted.

    Returns
    -------
    list of str
        The names :func:`spurious.reproduce` and :func:`get_experiment` accept; loading the
        experiment modules (and the plug-ins' entry points) on the first call.

    Examples
    --------
    >>> "zhang2018-example3" in sp.experiments()
    True
    """
    _load_all()
    return sorted(_REGISTRY)


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name``.

    Parameters
    ----------
    name : str
        One of :func:`experiments`.

    Returns
    -------
    Experiment
        Its description, citation and the functions the runner calls (parameters, chunks,
        one chunk, summary, manifest).

    Raises
    ------
    InputError
        Unknown name.

    Examples
    --------
    >>> sp.get_experiment("zhang2018-example3").citation
    'Zhang, Josz, Sojoudi, Lavaei, How much restricted isometry is needed ..., NeurIPS 2018, §2 Example 3, Fig. 1'
    """
    if name not in _REGISTRY:
        _load_all()
    if name not in _REGISTRY:
        raise InputError(f"unknown experiment {name!r}; `spurious reproduce --list` shows the names")
    return _REGISTRY[name]


def describe() -> list[dict[str, str]]:
    """``[{"name", "description", "citation"}]`` of every experiment, sorted by name."""
    return [
        {"name": n, "description": get_experiment(n).description, "citation": get_experiment(n).citation}
        for n in experiments()
    ]
