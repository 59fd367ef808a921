"""Initial points for local search, batched ``(T, n, r)``: Gaussian and uniform-sphere
draws keyed per trial by ``(seed, cell, trial)``, the convex mix of zhang2018 Experiment 2,
and spectral initialization.
"""

from spurious.solvers._init import gaussian, mix, spectral, uniform_sphere

__all__ = ["gaussian", "mix", "spectral", "uniform_sphere"]
