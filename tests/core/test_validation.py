"""Checks on user-supplied arrays: every failure is a typed InputError naming the input."""

import numpy as np
import pytest

from spurious.core._errors import InputError, SpuriousError, TooLargeError
from spurious.core._losses import LogisticLoss
from spurious.core._operators import gaussian
from spurious.core._problems import SymmetricProblem, least_squares
from spurious.core._validation import as_factor, as_psd, as_real_array, as_symmetric, check_bytes, format_bytes


def test_as_real_array():
    a = as_real_array([1, 2, 3], "v", ndim=1)
    assert a.dtype == np.float64 and a.shape == (3,)
    assert as_real_array(np.zeros((0, 2)), "empty").shape == (0, 2)
    with pytest.raises(InputError, match=r"^v: contains NaN or inf \(entry \[1\] is nan; 1 in all\)$"):
        as_real_array([1.0, np.nan], "v")
    with pytest.raises(InputError, match=r"^v: contains NaN or inf \(entry \[0, 1\] is -inf; 1 in all\)$"):
        as_real_array([[1.0, -np.inf]], "v")
    with pytest.raises(InputError, match=r"^v: not a real numeric array"):
        as_real_array(["a", "b"], "v")
    with pytest.raises(InputError, match=r"^v: not a real numeric array"):
        as_real_array([1 + 2j], "v")
    with pytest.raises(InputError, match=r"^v: expected 2 dimensions, got shape \(3,\)$"):
        as_real_array([1, 2, 3], "v", ndim=2)
    with pytest.raises(InputError, match=r"expected 1 or 2 dimensions"):
        as_real_array(np.zeros((1, 1, 1)), "v", ndim=(1, 2))


def test_as_factor():
    assert as_factor([1.0, 2.0], "x").shape == (2, 1)  # a vector is rank one
    assert as_factor(np.ones((3, 2)), "x", n=3).shape == (3, 2)
    cases = [
        (np.ones((2, 3)), None, r"^x: rank r = 3 exceeds n = 2$"),
        (np.ones((3, 1)), 4, r"^x: has 3 rows, expected n = 4$"),
        (np.zeros((3, 0)), None, r"^x: empty factor"),
        (np.zeros(0), None, r"^x: empty factor"),
        ([[1.0], [np.nan]], None, r"^x: contains NaN or inf \(entry \[1, 0\] is nan"),
        ([[1.0], [np.inf]], None, r"^x: contains NaN or inf \(entry \[1, 0\] is inf"),
        (np.ones((2, 2, 2)), None, r"^x: expected 1 or 2 dimensions"),
    ]
    for value, n, message in cases:
        with pytest.raises(InputError, match=message):
            as_factor(value, "x", n=n)


def test_as_symmetric():
    S = as_symmetric([[1.0, 2.0], [2.0 + 1e-13, 3.0]], "S")
    np.testing.assert_array_equal(S, S.T)
    with pytest.raises(InputError, match=r"^S: not square, shape \(2, 3\)$"):
        as_symmetric(np.ones((2, 3)), "S")
    with pytest.raises(InputError, match=r"^S: not symmetric$"):
        as_symmetric([[1.0, 2.0], [0.0, 1.0]], "S")
    with pytest.raises(InputError, match=r"^S: contains NaN or inf \(entry \[0, 1\] is nan; 2 in all\)$"):
        as_symmetric([[1.0, np.nan], [np.nan, 1.0]], "S")
    with pytest.raises(InputError, match=r"^S: expected 2 dimensions"):
        as_symmetric(np.ones(4), "S")
    # the tolerance is relative to the entries' size
    big = np.array([[1e8, 1.0], [1.0 + 1e-3, 1e8]])
    assert as_symmetric(big, "S").shape == (2, 2)


def test_as_psd():
    np.testing.assert_array_equal(as_psd(np.diag([1.0, 0.0]), "P"), np.diag([1.0, 0.0]))
    as_psd(np.diag([1.0, -1e-12]), "P")  # round-off is tolerated
    with pytest.raises(InputError, match=r"^P: not positive semidefinite \(λ_min = -1\)$"):
        as_psd(np.diag([2.0, -1.0]), "P")
    with pytest.raises(InputError, match=r"^P: not symmetric$"):
        as_psd([[1.0, 1.0], [0.0, 1.0]], "P")
    with pytest.raises(InputError, match=r"^P: not square"):
        as_psd(np.ones((3, 2)), "P")


def test_ground_truth_checks_in_problems():
    op = gaussian(5, 2, rng=0)
    with pytest.raises(InputError, match="ground truth M\\*: not positive semidefinite"):
        SymmetricProblem(LogisticLoss(np.full((2, 2), 0.5)), np.diag([1.0, -1.0]), 1)
    with pytest.raises(InputError, match="ground truth M\\*: not symmetric"):
        SymmetricProblem(LogisticLoss(np.full((2, 2), 0.5)), np.array([[1.0, 1.0], [0.0, 1.0]]), 1)
    with pytest.raises(InputError, match="ground truth M\\*: contains NaN"):
        SymmetricProblem(LogisticLoss(np.full((2, 2), 0.5)), np.array([[1.0, np.nan], [np.nan, 1.0]]), 1)
    with pytest.raises(InputError, match="r = 3: must satisfy 1 ≤ r ≤ n = 2"):
        least_squares(op, np.ones(2), r=3)


def test_check_bytes_and_format():
    check_bytes(10, "small", 100)
    with pytest.raises(TooLargeError, match=r"^big would need 2\.5 GB, above the limit of 1 GB$"):
        check_bytes(2.5e9, "big", 1e9)
    assert issubclass(TooLargeError, SpuriousError) and issubclass(TooLargeError, MemoryError)
    assert issubclass(InputError, ValueError)
    assert format_bytes(999) == "999 B"
    assert format_bytes(1.2e15) == "1.2 PB"
    assert format_bytes(3e18) == "3e+03 PB"
