"""Where chunks run: in-process, on local processes, or on an existing Dask cluster.

Every backend runs the same top-level task, :func:`run_chunk_task`, and hands each finished
chunk to a callback in the calling thread, in whatever order chunks finish; the runner
writes it to disk at once. Results do not depend on the backend or the number of workers:
chunk keys are fixed by the parameters and every trial draws from its own stream.

* ``workers == 1``: in the calling process, in chunk order.
* ``workers > 1``: a :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn``
  context; the workers start with BLAS, OpenMP and numba single-threaded
  (:data:`THREAD_ENV`), so ``workers`` processes use ``workers`` cores, and they ignore
  SIGINT (Ctrl-C stops the parent, which cancels the queue and ends them).
* ``scheduler="tcp://HOST:PORT"``: :mod:`dask.distributed` (imported lazily) submits one task
  per chunk to an existing cluster. Start its workers with ``--nthreads 1`` and the
  variables of :data:`THREAD_ENV`, and make the experiment's module importable there
  (``PYTHONPATH``); a lost worker's chunk is re-run by Dask (same seed, same rows).

Progress (``on_message``, see :mod:`spurious.studies._progress`): every chunk runs between
``begin_chunk`` and ``end_chunk``, and what its compute code reports reaches ``on_message`` —
directly in-process, through a :mod:`multiprocessing` queue drained by a thread of the calling
process from local workers, and as Dask events (``Worker.log_event`` on a topic of this run,
``Client.subscribe_topic``) from Dask workers. Progress never changes a result.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from spurious.core._errors import InputError, SolverError
from spurious.studies import _progress

log = logging.getLogger(__name__)

#: environment of worker processes: one thread each for BLAS, OpenMP and numba
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


@dataclass(frozen=True, eq=False)
class ChunkOutcome:
    """A finished chunk: its index in the experiment's chunk list, its rows, and where/how long it ran."""

    index: int
    frame: Any  # pandas.DataFrame
    host: str
    pid: int
    started: float  # Unix time
    seconds: float


def run_chunk_task(
    run_chunk: Callable, params: dict, chunk: Any, seed: int, index: int, topic: str | None = None
) -> ChunkOutcome:
    """Run one chunk (on whichever process or worker holds it) and time it.

    Parameters
    ----------
    run_chunk : callable
        The experiment's ``run_chunk(params, chunk, seed)``.
    params : dict
    chunk : JSON-able
        The chunk key.
    seed : int
    index : int
        The chunk's index in the experiment's chunk list.
    topic : str, optional
        On a Dask worker: the event topic the chunk's progress messages go to.

    Returns
    -------
    ChunkOutcome
    """
    import pandas as pd

    started = time.time()
    t0 = time.perf_counter()
    sink = _dask_sink(topic) if topic is not None else None
    old = _progress.install(sink) if sink is not None else None
    _progress.begin_chunk(index)
    try:
        frame = run_chunk(params, chunk, seed)
    finally:
        _progress.end_chunk()
        if sink is not None:
            _progress.install(old)
    if not isinstance(frame, pd.DataFrame):
        raise SolverError(f"chunk {chunk!r}: run_chunk returned {type(frame).__name__}, expected a pandas DataFrame")
    return ChunkOutcome(
        index, frame.reset_index(drop=True), socket.gethostname(), os.getpid(), started, time.perf_counter() - t0
    )


def _dask_sink(topic: str) -> Callable[[tuple], None] | None:
    """``Worker.log_event(topic, message)`` of the Dask worker running this task (None elsewhere)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    return lambda message: worker.log_event(topic, list(message))


def _worker_init(queue: Any = None) -> None:
    os.environ.update(THREAD_ENV)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if queue is not None:
        _progress.install(queue.put_nowait)


@contextmanager
def _environ(extra: dict[str, str]) -> Iterator[None]:
    """Set ``extra`` in ``os.environ`` (inherited by processes spawned meanwhile); restore on exit."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def default_workers() -> int:
    """``os.cpu_count()`` (at least 1)."""
    return max(1, os.cpu_count() or 1)


def execute(
    tasks: Sequence[tuple[int, Any]],
    *,
    run_chunk: Callable,
    params: dict,
    seed: int,
    on_done: Callable[[ChunkOutcome], None],
    workers: int | None = None,
    scheduler: str | None = None,
    on_message: Callable[[tuple], None] | None = None,
) -> None:
    """Run ``run_chunk(params, chunk, seed)`` for every ``(index, chunk)`` of ``tasks``; call ``on_done`` per chunk.

    Parameters
    ----------
    tasks : sequence of (int, chunk)
        Chunk indices and keys.
    run_chunk : callable
        The experiment's ``run_chunk`` (top level, picklable for workers).
    params : dict
    seed : int
    on_done : callable
        Called with each :class:`ChunkOutcome` in the calling thread as the chunk finishes.
    workers : int, optional
        Local processes (default :func:`default_workers`; 1 runs in this process).
    scheduler : str, optional
        A Dask scheduler address; replaces local processes.
    on_message : callable, optional
        Receives the progress messages of :mod:`spurious.studies._progress` (chunk started, work
        reported, notes), from another thread when workers run in other processes.

    Notes
    -----
    An exception in a chunk, or a KeyboardInterrupt, cancels the chunks not yet started and
    propagates; the chunks already handed to ``on_done`` stay done.
    """
    if scheduler is not None:
        return _execute_dask(tasks, run_chunk, params, seed, on_done, scheduler, on_message)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise InputError(f"workers = {workers}: expected at least 1")
    if workers == 1 or len(tasks) <= 1:
        old = _progress.install(on_message) if on_message is not None else None
        try:
            for index, chunk in tasks:
                on_done(run_chunk_task(run_chunk, params, chunk, seed, index))
        finally:
            if on_message is not None:
                _progress.install(old)
        return None
    return _execute_pool(tasks, run_chunk, params, seed, on_done, min(workers, len(tasks)), on_message)


def _drain(queue: Any, on_message: Callable[[tuple], None], stop: Any) -> None:
    """Hand the workers' progress messages to ``on_message`` until ``stop`` is set (a thread)."""
    import queue as queues

    while not stop.is_set():
        try:
            message = queue.get(timeout=0.1)
        except queues.Empty:
            continue
        except (OSError, ValueError, EOFError):  # the queue was closed under us
            return
        try:
            on_message(message)
        except Exception:  # a display problem never stops a run
            log.debug("progress message %r not shown", message, exc_info=True)


def _execute_pool(tasks, run_chunk, params, seed, on_done, workers, on_message=None) -> None:
    import multiprocessing as mp
    import threading
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")
    queue = ctx.Queue() if on_message is not None else None
    stop = threading.Event()
    drain = None
    if queue is not None:
        drain = threading.Thread(target=_drain, args=(queue, on_message, stop), name="progress-drain", daemon=True)
        drain.start()
    with _environ(THREAD_ENV):
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(queue,))
        pending = {pool.submit(run_chunk_task, run_chunk, params, chunk, seed, index) for index, chunk in tasks}
    ok = False
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                on_done(fut.result())
        ok = True
    finally:
        stop.set()
        if drain is not None:
            drain.join(timeout=5)
        if queue is not None:
            queue.close()
            queue.cancel_join_thread()
        if ok:
            pool.shutdown(wait=True)
        else:
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # chunks still running are abandoned: their results would not be written
                p.terminate()
            for p in procs:
                p.join(timeout=10)


#: a scheduler address: PROTOCOL://HOST:PORT (HOST a name, an IPv4 address or a bracketed IPv6 one)
_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")

#: seconds a Dask run waits with no worker connected before it stops (``$SPURIOUS_DASK_NO_WORKER_TIMEOUT``)
NO_WORKER_TIMEOUT = 120.0


def check_scheduler(address: str) -> str:
    """``address`` if it is a Dask scheduler address ``tcp://HOST:PORT``; else :class:`InputError`."""
    m = _ADDRESS.match(address.strip()) if isinstance(address, str) else None
    if m is None or not 0 < int(m.group(3)) < 65536:
        raise InputError(
            f"--scheduler {address!r}: expected a Dask scheduler address PROTOCOL://HOST:PORT, e.g. tcp://10.0.0.5:8786"
        )
    return address.strip()


def _no_worker_timeout() -> float:
    raw = os.environ.get("SPURIOUS_DASK_NO_WORKER_TIMEOUT")
    if raw is None:
        return NO_WORKER_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"SPURIOUS_DASK_NO_WORKER_TIMEOUT={raw!r}: expected seconds") from None
    if not value > 0:
        raise InputError(f"SPURIOUS_DASK_NO_WORKER_TIMEOUT={raw!r}: expected a positive number of seconds")
    return value


def _execute_dask(tasks, run_chunk, params, seed, on_done, scheduler, on_message=None) -> None:
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("--scheduler needs dask.distributed: pip install 'spurious[dist]'") from exc
    scheduler = check_scheduler(scheduler)
    patience = _no_worker_timeout()
    proto, host, port = _ADDRESS.match(scheduler).groups()
    if proto == "tcp":  # a refused port is known at once: do not let the client retry for 30 s
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
        except OSError as exc:
            why = exc.strerror or exc
            raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({why})") from None
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a refused connection is reported below in one line, not as log records
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    finally:
        quiet.setLevel(level)
    futures = []
    topic = None
    if on_message is not None:
        topic = f"spurious-progress-{os.getpid()}-{time.time_ns()}"

        def handler(event) -> None:  # (timestamp, message), on the client's event loop
            try:
                on_message(tuple(event[1]))
            except Exception:  # a display problem never stops a run
                log.debug("progress event %r not shown", event, exc_info=True)

        client.subscribe_topic(topic, handler)
    try:
        with client.as_current():
            futures = [
                client.submit(
                    run_chunk_task,
                    run_chunk,
                    params,
                    chunk,
                    seed,
                    index,
                    topic,
                    pure=False,
                    key=f"spurious-chunk-{index}-{time.time_ns()}",
                )
                for index, chunk in tasks
            ]
            pending, alone_since = set(futures), None
            while pending:
                done = {f for f in pending if f.done()}
                if done:
                    pending -= done
                    for fut in done:
                        on_done(fut.result())
                    alone_since = None
                    continue
                if client.scheduler_info().get("workers"):
                    alone_since = None
                elif alone_since is None:
                    alone_since = time.monotonic()
                elif time.monotonic() - alone_since > patience:
                    raise SolverError(
                        f"--scheduler {scheduler}: no Dask worker connected for {patience:g} s with "
                        f"{len(pending)} chunks left; finished chunks are kept, rerun with --resume"
                    )
                time.sleep(0.2)
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
        if topic is not None:
            try:
                client.unsubscribe_topic(topic)
            except Exception:  # the client may already be closing
                pass
        client.close()
