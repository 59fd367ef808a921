"""Batched local search: GD, SGD with momentum, noisy projected SGD, perturbed GD.

Every method takes a problem and a batch of ``T`` trials (``x0`` of shape ``(T, n, r)``, or
per-trial draws keyed by ``(seed, cell, trial)``) and returns a
:class:`spurious.LocalSearchResult`. Compiled kernels (numba) and the torch backend are
imported only when used. Built on :mod:`spurious.core`; the modules are private and their
public names are re-exported by :mod:`spurious` (``sp.gd``, ``sp.sgd``, ``sp.perturbed_gd``,
``sp.projected_sgd``).
"""
