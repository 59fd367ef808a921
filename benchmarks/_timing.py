"""Timing and memory helpers shared by the benchmark scripts (``python benchmarks/NAME.py``)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def best(f: Callable[[], object], repeat: int = 3, *, warmup: bool = False) -> float:
    """The smallest wall time of ``repeat`` calls of ``f`` (after one untimed call with ``warmup``)."""
    if warmup:
        f()  # first touch, allocator, torch kernels
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def peak_rss_bytes(children: bool = False) -> float:
    """Peak resident memory of this process (or of its finished children), in bytes (Linux ``ru_maxrss``)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss * 1024.0
