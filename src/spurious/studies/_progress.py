"""Progress of a run: a bar weighted by work, redrawn on a timer, fed by the processes that compute.

Two halves, both light to import (no numpy, no pandas):

* **Reporting** (any process that runs chunks; :mod:`spurious.core._reporting`, re-exported
  here). :func:`begin_chunk` / :func:`end_chunk` bracket a
  chunk; compute code inside it calls :func:`report` (``done`` of ``total`` units of its current
  call: the SGD kernels report trial-steps) and :func:`note` (a line for the user, e.g.
  "compiling kernels (once per install)…"). Messages go to the sink set by :func:`install` (per
  thread): a callable in the runner's own process, the ``put_nowait`` of a :mod:`multiprocessing`
  queue in a pool worker, ``Worker.log_event`` in a Dask task; without a sink :func:`report` does
  nothing and :func:`note` prints on stderr.
  Reporting never changes what a chunk computes.
* **Display** (the runner's process). :class:`Progress` holds each chunk's weight (its share of
  the work), what finished, what runs and how far the workers said it got; a daemon thread
  redraws one line on the stream every ``interval`` seconds (default 0.5 s), so the bar, the
  elapsed time and the ETA move inside a long chunk too. The ETA divides the work left by the
  rate measured over the last :data:`RATE_WINDOW` seconds. Log records, :mod:`warnings` and
  :meth:`Progress.line` erase the bar's line before they print, so they never share it.

Chunk weights (:func:`chunk_weights`): ``Experiment.chunk_work(params, chunk)`` where the
experiment has one; else equal shares of ``Experiment.work(params)``; else one unit per chunk.
"""

from __future__ import annotations

import logging
import shutil
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

#: seconds of history the rate behind the ETA is measured over
RATE_WINDOW = 30.0

#: a running chunk without worker reports is estimated at most this far along (from measured rates)
ESTIMATE_CAP = 0.9

from spurious.core._reporting import (  # noqa: E402  (the reporting half, shared with the compute layers)
    REPORT_EVERY,
    active,
    begin_chunk,
    end_chunk,
    install,
    note,
    report,
)

__all__ = [
    "REPORT_EVERY",
    "Progress",
    "active",
    "begin_chunk",
    "chunk_weights",
    "end_chunk",
    "install",
    "note",
    "report",
]


# ----------------------------------------------------------------------------- weights


def chunk_weights(experiment: Any, params: dict, chunks: Sequence) -> tuple[list[float], str]:
    """Each chunk's weight and the unit they are counted in.

    Parameters
    ----------
    experiment : Experiment
        Its optional ``chunk_work(params, chunk) -> float`` gives each chunk's work; else its
        optional ``work(params) -> (units, text)`` is shared equally among the chunks; else every
        chunk weighs 1.
    params : dict
    chunks : sequence
        The experiment's chunk keys.

    Returns
    -------
    (list of float, str)
        Positive weights, one per chunk, and where they come from: ``"chunk_work"``,
        ``"work"`` (equal shares of ``work(params)``: :class:`Progress` then measures the chunks
        as they report, ``measured=True``) or ``"chunks"``.
    """
    n = len(chunks)
    per_chunk = getattr(experiment, "chunk_work", None)
    if callable(per_chunk):
        weights = [float(per_chunk(params, c)) for c in chunks]
        if all(w >= 0 for w in weights) and sum(weights) > 0:
            return [max(w, 1e-12 * sum(weights)) for w in weights], "chunk_work"
    work = getattr(experiment, "work", None)
    if callable(work):
        units = float(work(params)[0])
        if units > 0:
            return [units / n] * n, "work"
    return [1.0] * n, "chunks"


# ----------------------------------------------------------------------------- display side


def _clock(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _EraseFilter(logging.Filter):
    """Erases the bar's line before a log record is printed (the next tick redraws the bar)."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self.progress.erase()
        return True


class Progress:
    """A work-weighted progress bar of one experiment's chunks, drawn on ``stream``.

    Parameters
    ----------
    name : str
        The experiment, at the start of the line.
    weights : sequence of float
        Each chunk's share of the work (:func:`chunk_weights`).
    measured : bool
        The weights are equal shares of a total in the units the chunks report (``work(params)``
        in SGD trial-steps): a chunk that reports weighs what it reported, and the chunks that
        have not reported share the rest of the total. The total, and so the ETA, stays right
        when the chunks differ in size (10³ against 10⁶ steps) even before they start.
    done : iterable of int
        Chunks already finished (found on disk).
    stream : file, optional
        Default ``sys.stderr`` at the time of :meth:`start`.
    interval : float
        Seconds between redraws (at most 1 s is what the CLI promises).
    clock : callable
        Monotonic seconds (tests pass a fake one).

    Notes
    -----
    Thread-safe: :meth:`receive` may be called from a thread draining the workers' queue while
    the main thread calls :meth:`chunk_done`. Use it as a context manager: entering starts the
    timer thread and the log/warnings hooks, leaving stops them and erases the bar's line.
    """

    def __init__(
        self,
        name: str,
        weights: Sequence[float],
        done: Iterable[int] = (),
        *,
        measured: bool = False,
        stream: Any = None,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.weights = [float(w) for w in weights]
        self.total = sum(self.weights) or 1.0
        self.finished: set[int] = set(done)
        self.initial = sum(self.weights[i] for i in self.finished)
        self.measured = bool(measured)
        self._known: dict[int, float] = {}  # finished chunks' reported totals (measured mode)
        self.stream = stream
        self.interval = float(interval)
        self.clock = clock
        self.rows = 0
        self.notes: list[str] = []
        self._running: dict[int, list] = {}  # index -> [started (clock) or None, done, known total, shown]
        self._busy = 0.0  # seconds of finished chunks
        self._busy_work = 0.0  # their weight
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = 0  # width of the line on screen (0: nothing drawn)
        self._t0 = clock()
        self._samples: deque[tuple[float, float]] = deque()
        self._filter = _EraseFilter(self)
        self._hooked: list[logging.Handler] = []
        self._showwarning: Any = None
        self.redraws = 0
        self._live = False

    # -- events -------------------------------------------------------------------------------

    def chunk_started(self, index: int) -> None:
        """Chunk ``index`` started now (in this process, or a worker said so)."""
        with self._lock:
            if index not in self.finished:
                entry = self._running.setdefault(index, [None, 0.0, 0.0, 0.0])
                entry[0] = self.clock()

    def receive(self, message: tuple) -> None:
        """Take one message of the reporting side (see :func:`install`)."""
        kind = message[0]
        if kind == "note":
            self.line(message[1], once=True)
            return
        with self._lock:
            index = int(message[1])
            if index in self.finished:
                return
            if kind == "start":
                self.chunk_started(index)
            elif kind == "work":
                entry = self._running.setdefault(index, [self.clock(), 0.0, 0.0, 0.0])
                entry[1], entry[2] = float(message[2]), float(message[3])

    def chunk_done(self, index: int, seconds: float | None = None, rows: int = 0) -> None:
        """Chunk ``index`` finished (its rows are on disk); redraws at once."""
        with self._lock:
            if index in self.finished:
                return
            entry = self._running.pop(index, None)
            if self.measured and entry is not None and entry[2] > 0:
                self._known[index] = entry[2]
            weight = self._known.get(index, self.weights[index])
            self.finished.add(index)
            self.rows += int(rows)
            if seconds is not None and seconds > 0:
                self._busy += float(seconds)
                self._busy_work += weight
        self.draw()

    # -- estimates ----------------------------------------------------------------------------

    def _effective(self) -> tuple[list[float], float]:
        """The weights and their total as measured so far (``measured``), else the given ones."""
        if not self.measured:
            return self.weights, self.total
        known = dict(self._known)
        known.update({i: e[2] for i, e in self._running.items() if e[2] > 0})
        reported = sum(known.values())
        rest = [i for i in range(len(self.weights)) if i not in known]
        prior_rest = sum(self.weights[i] for i in rest)
        left = self.total - reported
        scale = left / prior_rest if rest and left > 0 and prior_rest > 0 else 1.0
        weights = [known[i] if i in known else self.weights[i] * scale for i in range(len(self.weights))]
        return weights, sum(weights) or 1.0

    def _partial(self, index: int, entry: list, now: float, weight: float) -> float:
        """Work done so far in running chunk ``index``: as reported, or estimated from rates.

        Never less than what was shown before: a chunk whose next call announces more work does
        not move the bar back (it waits until the reports pass the old mark).
        """
        started, done, known, shown = entry
        if known > 0 and self.measured:  # reports in the weights' units: the work itself
            part = min(done, known) * 0.999
        elif known > 0:  # reports in the compute code's units: the fraction of what it announced
            part = weight * min(done / max(known, 1e-300), 1.0) * 0.999
        elif started is None or self._busy <= 0:
            part = 0.0
        else:
            per_second = self._busy_work / self._busy  # one worker's measured rate
            part = min(ESTIMATE_CAP * weight, (now - started) * per_second)
        entry[3] = max(shown, part)
        return entry[3]

    def state(self) -> dict:
        """``fraction`` (of the work), ``done`` (work), ``chunks`` done, ``elapsed``, ``rate`` (work/s), ``eta`` (s)."""
        with self._lock:
            now = self.clock()
            weights, total = self._effective()
            done = sum(weights[i] for i in self.finished)
            done += sum(self._partial(i, e, now, weights[i]) for i, e in self._running.items())
            done = min(done, total)
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW:
                self._samples.popleft()
            t_old, d_old = self._samples[0]
            rate = (done - d_old) / (now - t_old) if now - t_old > 1e-9 else 0.0
            if rate <= 0 and now - self._t0 > 1e-9:
                rate = (done - self.initial) / (now - self._t0)
            left = total - done
            eta = 0.0 if left <= 0 else (left / rate if rate > 0 else None)
            return {
                "fraction": done / total,
                "total": total,
                "done": done,
                "chunks": len(self.finished),
                "elapsed": now - self._t0,
                "rate": rate,
                "eta": eta,
                "running": len(self._running),
            }

    def render(self, width: int = 100) -> str:
        """The bar's line: percent of the work, chunks, rows per second, elapsed, ETA, at most ``width``."""
        s = self.state()
        rate = f"{self.rows / s['elapsed']:.3g} trials/s" if s["elapsed"] > 0 and self.rows else "… trials/s"
        tail = (
            f" {s['chunks']}/{len(self.weights)} chunks · {rate} · {_clock(s['elapsed'])} elapsed"
            f" · ETA {_clock(s['eta'])}"
        )
        head = f"{self.name} {100 * s['fraction']:3.0f}% "
        room = width - 1 - len(head) - len(tail) - 2
        bar = ""
        if room >= 10:
            cells = min(room, 30)
            full = round(cells * s["fraction"])
            bar = "|" + "█" * full + " " * (cells - full) + "|"
        return (head + bar + tail)[: max(width - 1, 20)]

    # -- drawing ------------------------------------------------------------------------------

    def _out(self):
        return self.stream if self.stream is not None else sys.stderr

    def _tty(self) -> bool:
        try:
            return bool(self._out().isatty())
        except (AttributeError, ValueError):
            return False

    def draw(self) -> None:
        """Redraw the bar's line now."""
        with self._lock:
            if not self._live:
                return
            width = shutil.get_terminal_size((100, 24)).columns
            text = self.render(width)
            pad = " " * max(0, self._drawn - len(text))
            try:
                out = self._out()
                out.write("\r" + text + pad)
                out.flush()
            except (OSError, ValueError):
                return
            self._drawn = len(text)
            self.redraws += 1

    def erase(self) -> None:
        """Erase the bar's line (if drawn), so that the next output starts on a clean line."""
        with self._lock:
            if self._drawn <= 0:
                return
            try:
                out = self._out()
                out.write("\r\x1b[K" if self._tty() else "\n")
                out.flush()
            except (OSError, ValueError):
                pass
            self._drawn = 0

    def line(self, text: str, *, once: bool = False) -> None:
        """Print ``text`` on its own line above the bar (``once``: not if printed before)."""
        with self._lock:
            if once and text in self.notes:
                return
            self.notes.append(text)
            self.erase()
            try:
                print(text, file=self._out(), flush=True)
            except (OSError, ValueError):
                pass
        self.draw()

    # -- lifetime -----------------------------------------------------------------------------

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self.draw()

    def start(self) -> Progress:
        """Draw the bar, start the timer thread, route log records and warnings above the bar."""
        self._t0 = self.clock()
        self._samples.clear()
        handlers = [*logging.getLogger().handlers, logging.lastResort]
        for h in handlers:
            if h is not None and self._filter not in h.filters:
                h.addFilter(self._filter)
                self._hooked.append(h)
        self._showwarning = warnings.showwarning
        self._live = True

        def showwarning(*args, **kwargs):
            self.erase()
            return self._showwarning(*args, **kwargs)

        warnings.showwarning = showwarning
        self.draw()
        self._thread = threading.Thread(target=self._tick, name=f"progress-{self.name}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the timer thread, undo the hooks and erase the bar's line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for h in self._hooked:
            h.removeFilter(self._filter)
        self._hooked.clear()
        if self._showwarning is not None:
            warnings.showwarning = self._showwarning
            self._showwarning = None
        self.erase()
        self._live = False

    def __enter__(self) -> Progress:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
