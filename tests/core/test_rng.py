"""Seeds: one check for every function; per-trial streams depend on (seed, cell, trial) only."""

from __future__ import annotations

import numpy as np
import pytest

from spurious.core._errors import InputError
from spurious.core._rng import as_generator, check_seed, trial_seeds, trial_stream


@pytest.mark.parametrize("bad", [-1, "abc", 1.5, True, None, [1]])
def test_check_seed_refuses(bad):
    with pytest.raises(InputError, match="seed"):
        check_seed(bad)


@pytest.mark.parametrize("bad", [-1, "abc", 2.0, False])
def test_as_generator_refuses(bad):
    with pytest.raises(InputError, match="rng"):
        as_generator(bad)


def test_as_generator_accepts():
    g = np.random.default_rng(3)
    assert as_generator(g) is g
    assert as_generator(np.int64(7)).random() == np.random.default_rng(7).random()
    assert isinstance(as_generator(None), np.random.Generator)


def test_trial_stream_is_keyed_and_checked():
    a = trial_stream(1, 2, 3).integers(0, 2**62, size=4)
    assert np.array_equal(a, trial_stream(1, 2, 3).integers(0, 2**62, size=4))
    assert not np.array_equal(a, trial_stream(1, 3, 2).integers(0, 2**62, size=4))
    with pytest.raises(InputError, match="trial"):
        trial_stream(0, -1)
    with pytest.raises(InputError, match="cell"):
        trial_stream(0, 1, cell=-2)
    words = trial_seeds(1, np.array([2]), cell=3)
    assert words.shape == (1, 2) and words.dtype == np.uint64
