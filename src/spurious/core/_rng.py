"""Random streams: one :class:`numpy.random.Generator` per trial, keyed by its index.

A seed fully determines every trial's stream, whatever the batch size, chunking or
number of workers: trial ``t`` of grid cell ``c`` always draws from
``SeedSequence(seed, spawn_key=(c, t))`` (DESIGN, conventions).
"""

from __future__ import annotations

import numpy as np

RNGLike = np.random.Generator | int | None


def as_generator(rng: RNGLike) -> np.random.Generator:
    """Return ``np.random.default_rng(rng)`` (a Generator passes through unchanged)."""
    return np.random.default_rng(rng)


def trial_stream(seed: int, trial: int, cell: int = 0) -> np.random.Generator:
    """Generator of trial ``trial`` in grid cell ``cell`` for a run seeded with ``seed``."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(int(cell), int(trial))))
    )


def trial_seeds(seed: int, trials: np.ndarray, cell: int = 0, words: int = 2) -> np.ndarray:
    """``words`` uint64 words of entropy per trial, from the trial's own SeedSequence.

    Compiled kernels seed their own per-trial generators from these words, so a trial's
    random numbers depend only on ``(seed, cell, trial)``.
    """
    trials = np.asarray(trials, dtype=np.int64).ravel()
    out = np.empty((trials.size, words), dtype=np.uint64)
    for k, t in enumerate(trials):
        ss = np.random.SeedSequence(int(seed), spawn_key=(int(cell), int(t)))
        out[k] = ss.generate_state(words, dtype=np.uint64)
    return out
