"""spurious: the optimization landscape of low-rank matrix recovery.

Sensing instances, certificates of critical points, RIP constants, RIP thresholds and
counterexample generators, batched local search, and the reproduction of the papers'
figures — behind one namespace::

    import spurious as sp

    ex = sp.get_example("zhang2018-example3")
    sp.certify(ex)                      # its point is second order, spurious, not a local minimum
    sp.thresholds(ex.instance.x, ex.instance.z)
    res = sp.sgd(ex, trials=2_000, steps=1_000, lr=1e-3, momentum=0.9, seed=0)
    res.failure_rate(), res.outcomes()  # 12.75 %; recovered, at the spurious point, still moving

Everything is loaded on first use (PEP 562): ``import spurious`` imports numpy only, and
cvxpy, the numba kernels, torch, dask and matplotlib stay out of ``sys.modules`` until a
function needs them. The package is organised in layers, each importing only the ones
before it: :mod:`spurious.core` (svec, operators, problems, instances, examples) →
:mod:`spurious.landscape` (certificates, RIP, thresholds, counterexamples, guarantees) →
:mod:`spurious.solvers` (local search) → :mod:`spurious.studies` (experiments, runner) →
:mod:`spurious.cli`. Their modules are private; the names below are the interface.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

#: public name -> implementation module (the one home of each object)
_EXPORTS: dict[str, str] = {}


def _export(module: str, *names: str) -> None:
    for name in names:
        _EXPORTS[name] = module


_export(
    "spurious.core._errors",
    "SpuriousError",
    "InputError",
    "InstanceFileError",
    "TooLargeError",
    "NoInstanceError",
    "SolverError",
    "VerificationError",
)
_export("spurious.core._instances", "Instance", "load_instance", "save_instance")
_export("spurious.core._instances", "make_instance")
_export("spurious.core._examples", "Example", "get_example", "examples")
_export("spurious.core._problems", "SymmetricProblem", "AsymmetricProblem", "least_squares")
_export("spurious.core._operators", "SensingOperator")
_export("spurious.core._diagnostics", "check_gradient", "check_hessian", "GradientCheck", "HessianCheck")
_export("spurious.core._rng", "trial_stream")
_export("spurious.landscape._certify", "certify", "Certificate")
_export("spurious.landscape._strict_saddle", "strict_saddle_check", "StrictSaddleCheck")
_export("spurious.landscape._rip", "rip_bounds", "RIPBounds", "full_rank_delta")
_export("spurious.landscape._thresholds", "thresholds", "Thresholds", "threshold_program", "ThresholdResult")
_export("spurious.landscape._ball_thresholds", "delta_foc_ball", "delta_soc_ball", "BallThreshold")
_export("spurious.landscape._counterexample", "counterexample", "Counterexample", "verify_instance")
_export("spurious.landscape._guarantees", "guarantees", "Guarantee")
_export("spurious.solvers._gd", "gd")
_export("spurious.solvers._sgd", "sgd")
_export("spurious.solvers._perturbed", "perturbed_gd")
_export("spurious.solvers._projected", "projected_sgd")
_export("spurious.solvers._result", "LocalSearchResult", "Status", "Outcome", "Trajectory")
_export("spurious.solvers._stopping", "Stop")
_export("spurious.studies._runner", "reproduce", "RunResult")
_export("spurious.studies._survey", "survey", "Census", "Basin")
_export("spurious.studies._registry", "experiments", "get_experiment", "Experiment", "Verdict")

#: public namespaces (small modules of this package that re-export one topic)
_NAMESPACES = ("operators", "init", "closed_forms", "linalg")

__all__ = sorted([*_EXPORTS, *_NAMESPACES, "__version__"])


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _NAMESPACES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'spurious' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
