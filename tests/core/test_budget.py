"""The work budget: refused before work starts, with the limit and how to raise it."""

from __future__ import annotations

import pytest

from spurious.core._budget import DEFAULT_MAX_WORK, check_work, max_work
from spurious.core._errors import InputError, TooLargeError


def test_default_and_refusal(monkeypatch):
    monkeypatch.delenv("SPURIOUS_MAX_WORK", raising=False)
    assert max_work() == DEFAULT_MAX_WORK
    check_work(1e9, "trials × steps")
    with pytest.raises(TooLargeError, match=r"trials × steps: 9\.22e\+18 units.*SPURIOUS_MAX_WORK=N"):
        check_work(float(2**63), "trials × steps")


def test_environment_and_argument(monkeypatch):
    monkeypatch.setenv("SPURIOUS_MAX_WORK", "100")
    with pytest.raises(TooLargeError, match="limit of 100"):
        check_work(101, "cells")
    check_work(101, "cells", limit=1e3)
    for bad in ("lots", "-1", "inf", "nan"):
        monkeypatch.setenv("SPURIOUS_MAX_WORK", bad)
        with pytest.raises(InputError, match="SPURIOUS_MAX_WORK"):
            max_work()
    with pytest.raises(InputError, match="max_work"):
        max_work(0)
