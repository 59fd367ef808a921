"""Progress reporting from compute code: the channel between the code that computes and a display.

:func:`begin_chunk` / :func:`end_chunk` bracket a unit of work; compute code inside it calls
:func:`report` (``done`` of ``total`` units of its current call: the SGD kernels report
trial-steps) and :func:`note` (a line for the user, e.g. "compiling kernels (once per install)…").
Messages go to the sink set by :func:`install` (per thread): a callable in the runner's own
process, the ``put_nowait`` of a :mod:`multiprocessing` queue in a pool worker, ``Worker.log_event``
in a Dask task; without a sink :func:`report` does nothing and :func:`note` prints on stderr.
Reporting never changes what is computed. It lives in ``core`` so that every layer may report;
the display (the bar) is :mod:`spurious.studies._progress`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

#: worker reports are sent at most this often (seconds), plus one at the end of each call
REPORT_EVERY = 0.2


class _State(threading.local):
    """The reporting state of one thread: chunks run in the thread that installed the sink
    (the runner's, a pool worker's main thread, a Dask task's thread)."""

    sink: Callable[[tuple], Any] | None = None
    chunk: int | None = None
    base = 0.0  # units of the current chunk's finished calls
    last_sent = 0.0


_state = _State()


def install(sink: Callable[[tuple], Any] | None) -> Callable[[tuple], Any] | None:
    """Send this thread's progress messages to ``sink`` (None: stop); returns the previous sink.

    Parameters
    ----------
    sink : callable or None
        Called with one tuple per message: ``("start", index, pid)``, ``("work", index, done,
        total)`` or ``("note", text)``. It must not block (a queue's ``put_nowait``).

    Returns
    -------
    callable or None
        The sink installed before.
    """
    old, _state.sink = _state.sink, sink
    return old


def active() -> bool:
    """Whether progress is being collected in this thread (a sink is installed and a chunk runs)."""
    return _state.sink is not None and _state.chunk is not None


def _send(message: tuple) -> None:
    sink = _state.sink
    if sink is None:
        return
    try:
        sink(message)
    except Exception:  # a full or closed queue loses a progress message, never a result
        pass


def begin_chunk(index: int) -> None:
    """Mark the start of chunk ``index`` in this thread (the runner's task calls it)."""
    _state.chunk, _state.base, _state.last_sent = int(index), 0.0, 0.0
    _send(("start", int(index), os.getpid()))


def end_chunk() -> None:
    """Mark the end of the current chunk: later :func:`report` calls are ignored."""
    _state.chunk = None


def report(done: float, total: float) -> None:
    """Say that the current call of compute code has done ``done`` of its ``total`` units.

    Parameters
    ----------
    done, total : float
        Units (SGD trial-steps) of one call; a call ends with ``done == total``, and the next
        call of the same chunk counts from there. Sent at most every :data:`REPORT_EVERY`
        seconds (always at the end of a call); a no-op outside a chunk or without a sink.
    """
    st = _state
    if st.sink is None or st.chunk is None:
        return
    now = time.monotonic()
    finished = done >= total
    if finished or now - st.last_sent >= REPORT_EVERY:
        st.last_sent = now
        _send(("work", st.chunk, st.base + float(done), st.base + float(total)))
    if finished:
        st.base += float(total)


def note(text: str) -> None:
    """Show ``text`` to the user: above the bar when a run collects progress, else on stderr."""
    if _state.sink is not None:
        _send(("note", str(text)))
    else:
        print(text, file=sys.stderr, flush=True)
