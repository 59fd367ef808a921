"""Random streams: one :class:`numpy.random.Generator` per trial, keyed by its index.

A seed fully determines every trial's stream, whatever the batch size, chunking or
number of workers: trial ``t`` of grid cell ``c`` always draws from
``SeedSequence(seed, spawn_key=(c, t))`` (DESIGN, conventions).
"""

from __future__ import annotations

import numpy as np

RNGLike = np.random.Generator | int | None


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` as a non-negative Python int (what :class:`numpy.random.SeedSequence` accepts).

    Bools, floats, strings and negative numbers raise :class:`~spurious.InputError` naming ``name``.
    """
    from spurious.core._validation import check_int

    return check_int(seed, name, 0)


def as_generator(rng: RNGLike, name: str = "rng") -> np.random.Generator:
    """Return ``np.random.default_rng(rng)``: a Generator passes through, ``None`` draws fresh
    entropy, an int must be a valid seed (:func:`check_seed`); anything else is an InputError."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    return np.random.default_rng(check_seed(rng, name))


def trial_stream(seed: int, trial: int, cell: int = 0) -> np.random.Generator:
    """Generator of trial ``trial`` in grid cell ``cell`` for a run seeded with ``seed``.

    Parameters
    ----------
    seed, trial, cell : int
        Non-negative integers; the stream is ``SeedSequence(seed, spawn_key=(cell, trial))``.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator that depends on ``(seed, cell, trial)`` only.

    Examples
    --------
    >>> import spurious as sp
    >>> a = sp.trial_stream(0, 5).standard_normal()
    >>> b = sp.trial_stream(0, 5).standard_normal()
    >>> a == b
    True
    """
    key = (check_seed(cell, "cell"), check_seed(trial, "trial"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(check_seed(seed), spawn_key=key)))


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
