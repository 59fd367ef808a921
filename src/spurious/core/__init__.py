"""Core mathematics: svec and the symmetric-product Jacobian, sensing operators, losses,
Burer–Monteiro problems, instance files, the papers' built-in examples, finite-difference
diagnostics, validation and per-trial random streams.

Nothing here imports from the layers above (:mod:`spurious.landscape`,
:mod:`spurious.solvers`, :mod:`spurious.studies`, :mod:`spurious.cli`). The modules are
private; their public names are re-exported by :mod:`spurious`.
"""
