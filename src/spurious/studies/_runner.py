"""Run an experiment into a run directory: chunks saved as they finish, resume, reports.

Run directory layout (``runs/NAME`` by default)::

    manifest.json      experiment, parameters, seed, quick, chunk keys, versions, git commit,
                       experiment fields (gradient convention ...), per-chunk host/pid/timings,
                       sessions, status, verdicts
    chunks/            chunk-00000.parquet ... one file per finished chunk, written atomically
    results.parquet    every chunk's rows, concatenated in chunk order (results only)
    figures/*.png
    summary.md         quantity | paper | ours | tolerance | verdict, and notes

A directory holding a run of other parameters, seed or chunks is refused; one holding the
same run is refused unless ``resume=True``, which runs only the chunks without a verified
file and so gives exactly the results of an uninterrupted run. A chunk file is verified when
``manifest.json`` recorded it under the same chunk key with the same SHA-256 of its bytes; any
other chunk file (corrupt, truncated, swapped with another chunk, unrecorded) is removed and
computed again, never used.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spurious.core._atomic import atomic_write
from spurious.core._budget import check_work
from spurious.core._errors import InputError, SolverError, SpuriousError, TooLargeError
from spurious.core._summary import summary_lines
from spurious.studies import _progress
from spurious.studies._execution import ChunkOutcome, check_scheduler, default_workers, execute
from spurious.studies._registry import Experiment, Verdict, describe, get_experiment
from spurious.studies._report import atomic_write_text, verdict_rows, write_index, write_run_page, write_summary

log = logging.getLogger(__name__)

#: manifest fields that identify a run: a directory holding other values is refused
IDENTITY = ("experiment", "parameters", "seed", "quick", "chunks")

#: distributions whose versions go to the manifest (read from metadata, never imported)
DEPENDENCIES = (
    "spurious",
    "numpy",
    "scipy",
    "numba",
    "cvxpy",
    "clarabel",
    "pandas",
    "pyarrow",
    "matplotlib",
    "tqdm",
    "dask",
    "distributed",
    "torch",
)


@dataclass(frozen=True, eq=False)
class RunResult:
    """What a run produced.

    Attributes
    ----------
    name : str
    out : Path, the run directory
    verdicts : tuple of :class:`Verdict`
    figures : tuple of str, figure paths
    summary, manifest, results : Path
    chunks_run, chunks_reused : int, chunks computed by this call / found on disk
    """

    name: str
    out: Path
    verdicts: tuple[Verdict, ...]
    figures: tuple[str, ...]
    summary: Path
    manifest: Path
    results: Path
    chunks_run: int
    chunks_reused: int

    def to_dict(self) -> dict:
        """JSON-able: ``name``, ``out``, ``verdicts`` (the CLI's keys), and where everything landed."""
        return {
            "name": self.name,
            "out": str(self.out),
            "verdicts": verdict_rows(self.verdicts),
            "summary": str(self.summary),
            "figures": list(self.figures),
            "results": str(self.results),
            "manifest": str(self.manifest),
            "chunks_run": self.chunks_run,
            "chunks_reused": self.chunks_reused,
        }

    def __str__(self) -> str:
        counts = {v: sum(q.verdict == v for q in self.verdicts) for v in ("match", "miss", "refuted")}
        rows = [
            ("out", str(self.out)),
            ("verdicts", ", ".join(f"{n} {k}" for k, n in counts.items())),
            ("chunks run, reused", (self.chunks_run, self.chunks_reused)),
            ("summary", str(self.summary)),
        ]
        rows += [(f"  {q.verdict}", q.quantity) for q in self.verdicts]
        return summary_lines(f"RunResult {self.name}", rows)

    def __repr__(self) -> str:
        counts = ", ".join(f"{v}={sum(q.verdict == v for q in self.verdicts)}" for v in ("match", "miss", "refuted"))
        return f"RunResult({self.name!r}, {counts}, out={str(self.out)!r})"


def _jsonable(obj: Any, what: str) -> Any:
    try:
        return json.loads(json.dumps(obj, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} is not JSON-able: {exc}") from exc


def versions() -> dict[str, str | None]:
    """Python, platform and the installed versions of :data:`DEPENDENCIES` (None where absent)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in DEPENDENCIES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def git_commit() -> str | None:
    """The commit of the source checkout (``-dirty`` when modified), or None outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def chunk_path(out: Path, index: int) -> Path:
    return out / "chunks" / f"chunk-{index:05d}.parquet"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified_chunk(out: Path, index: int, chunk: Any, record: dict | None) -> bool:
    """Whether chunk ``index`` on disk is the one the manifest recorded (same key, same SHA-256).

    A chunk file that is missing, has no record (written just before an interruption), was
    recorded for another key, or whose bytes differ (truncated, corrupt, a copy of another
    chunk) is not used: it is removed, with a warning, and computed again.
    """
    path = chunk_path(out, index)
    if not path.exists():
        return False
    if record is not None and record.get("chunk") == chunk and record.get("sha256") == file_sha256(path):
        return True
    why = "has no record in manifest.json" if record is None else "does not match its SHA-256 in manifest.json"
    log.warning("%s %s: computing it again", path, why)
    path.unlink()
    return False


def _write_parquet(frame, path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _write_manifest(out: Path, manifest: dict) -> None:
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2, allow_nan=False) + "\n")


def _check_out(out: Path, identity: dict, resume: bool) -> dict | None:
    """The existing manifest when ``out`` holds this very run (complete, or to resume); None for a fresh directory.

    A complete run of the same identity is reused (its verified chunks are re-reported, nothing
    is recomputed); an unfinished one needs ``resume``; another run is refused.
    """
    mpath = out / "manifest.json"
    if not mpath.exists():
        if out.exists() and any(p for p in out.iterdir() if not p.name.startswith(".")):
            chunks = sorted((out / "chunks").glob("*.parquet")) if (out / "chunks").is_dir() else []
            what = (
                f"{len(chunks)} chunk files but no manifest.json: without the run's record the chunks "
                "cannot be verified, so they are not adopted"
                if chunks
                else "files but no run (no manifest.json)"
            )
            raise InputError(f"--out {out}: the directory holds {what}; move or delete it, or choose another --out")
        return None
    try:
        old = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"--out {out}: unreadable manifest.json ({exc}); choose another directory") from exc
    differ = [k for k in IDENTITY if old.get(k) != identity[k]]
    if differ:
        what = "the --quick run" if old.get("quick") else "the full run"
        raise InputError(
            f"--out {out} holds {what} of {old.get('experiment')!r} with different "
            f"{', '.join(differ)}; runs are never mixed: give another --out (or delete {out})"
        )
    if not resume and old.get("status") != "complete":
        raise InputError(
            f"--out {out} already holds this run, {old.get('status', 'unknown')}; "
            "pass --resume to finish it, or give another --out"
        )
    return old


def _remove_empty_run(out: Path) -> None:
    """Remove what a run that produced no chunk wrote (its manifest and empty folders)."""
    (out / "manifest.json").unlink(missing_ok=True)
    for sub in ("chunks", "figures"):
        try:
            (out / sub).rmdir()
        except OSError:
            pass


#: the lock file of a run directory
LOCK_NAME = ".lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _run_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` (created atomically) for the duration of a run; ``out`` is created if needed.

    On exit the lock is removed, and so is ``out`` itself when this run created it and left it empty.
    """
    created = not out.exists()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the run directory ({exc.strerror or exc})") from None
    try:
        try:
            fd = os.open(out / LOCK_NAME, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _take_over_stale_lock(out)
            fd = os.open(out / LOCK_NAME, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        raise InputError(f"--out {out}: another run took the lock just now; choose another --out") from None
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write in the run directory ({exc.strerror or exc})") from None
    with os.fdopen(fd, "w") as f:
        json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}, f)
    try:
        yield
    finally:
        (out / LOCK_NAME).unlink(missing_ok=True)
        if created:
            try:
                out.rmdir()  # only if empty
            except OSError:
                pass


def _take_over_stale_lock(out: Path) -> None:
    """Remove ``out/.lock`` if its owner is provably gone (same host, no such process); else refuse.

    A run killed with ``kill -9`` leaves its lock behind: this is what lets ``--resume`` finish it.
    """
    lock = out / LOCK_NAME
    try:
        owner = json.loads(lock.read_text(encoding="utf-8"))
        pid, host = int(owner["pid"]), str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(
            f"--out {out}: locked by another run ({lock} is unreadable); if no run uses this directory, delete {lock}"
        ) from None
    if host != socket.gethostname():
        raise InputError(
            f"--out {out}: in use by process {pid} on {host} (or left by a run that died there); "
            f"if no run uses this directory, delete {lock}"
        )
    if _pid_alive(pid):
        raise InputError(f"--out {out}: in use by process {pid} on this host; wait for it or choose another --out")
    log.warning("%s: taking over the stale lock of process %d, which is no longer running", out, pid)
    lock.unlink(missing_ok=True)


def _finished_line(name: str, verdicts: Sequence[Verdict], ran: int, reused: int, seconds: float, out: Path) -> str:
    """The one line said on stderr when an experiment finishes (with ``progress``)."""
    counts = ", ".join(f"{sum(v.verdict == k for v in verdicts)} {k}" for k in ("match", "miss", "refuted"))
    chunks = f"{ran} chunks run" + (f", {reused} reused" if reused else "")
    return f"{name}: {counts} · {chunks} · {_progress._clock(seconds)} · {out}"


def default_out(name: str, quick: bool) -> Path:
    """``runs/NAME`` for a full run, ``runs/quick/NAME`` for a quick one."""
    return Path("runs") / "quick" / name if quick else Path("runs") / name


def _overrides_text(overrides: dict[str, Any]) -> str:
    return " ".join(f"{k}={json.dumps(v)}" for k, v in overrides.items())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


def _fits(new: Any, old: Any) -> bool:
    """Whether ``new`` may replace the parameter value ``old`` (same JSON kind; an int for a float)."""
    if old is None:
        return True
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(new, bool) and isinstance(old, bool)
    if isinstance(old, float):
        return isinstance(new, int | float)
    if isinstance(old, list):
        return isinstance(new, list) and (not old or all(_fits(v, old[0]) for v in new))
    return _kind(new) == _kind(old)


def apply_overrides(params: dict, overrides: dict[str, Any], name: str = "experiment") -> dict:
    """``params`` with ``overrides`` applied, each key known and each value of the replaced kind.

    Parameters
    ----------
    params : dict
        An experiment's parameters (``Experiment.params(quick)``).
    overrides : dict
        ``{key: value}``; a dotted key (``"panels.a.steps"``) reaches into nested mappings.
    name : str
        The experiment, for messages.

    Returns
    -------
    dict
        A new dict (``params`` is not modified).

    Raises
    ------
    InputError
        An unknown key (the message lists the known ones) or a value of the wrong kind.
    """
    out = json.loads(json.dumps(params))
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = out
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                known = sorted(node) if isinstance(node, dict) else []
                where = ".".join(parts[:depth]) or name
                raise InputError(f"--set {key}: {where} has no parameter {part!r}; known: {', '.join(known)}")
            if depth == len(parts) - 1:
                if not _fits(value, node[part]):
                    raise InputError(
                        f"--set {key}={json.dumps(value)}: expected {_kind(node[part])} "
                        f"like the default {json.dumps(node[part])}"
                    )
                node[part] = float(value) if isinstance(node[part], float) else value
            else:
                node = node[part]
    return out


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["trials=500", "solver=scs", "ms=[10,20]"]`` → ``{"trials": 500, "solver": "scs", "ms": [10, 20]}``.

    Values are read as JSON, and as plain strings where they are not JSON.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = str(item).partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: expected KEY=VALUE")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"--set {item!r}: the value must be finite")
        out[key.strip()] = value
    return out


def reproduce(
    experiment: str | Experiment,
    *,
    out: str | Path | None = None,
    quick: bool = False,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    overrides: dict[str, Any] | None = None,
) -> RunResult:
    """Run ``experiment`` (a name or an :class:`Experiment`) into the run directory ``out``.

    Parameters
    ----------
    experiment : str or Experiment
    out : path, optional
        Run directory; default ``runs/NAME``, and ``runs/quick/NAME`` for ``quick`` (a full and
        a quick run never share a directory). A directory holding this very run complete is
        reused: its verified chunks are re-reported and nothing is recomputed.
    quick : bool
        The small faithful version (``params(quick=True)``).
    seed : int
        Seed of every trial stream (``SeedSequence(seed, spawn_key=(cell, trial))``).
    workers : int, optional
        Local processes (default ``os.cpu_count()``; 1 runs in this process).
    scheduler : str, optional
        ``tcp://HOST:PORT`` of an existing Dask scheduler; replaces local processes.
    resume : bool
        Finish the run already in ``out`` (same parameters and seed): only chunks without a file run.
    progress : bool
        Show a bar on stderr (:class:`spurious.studies._progress.Progress`): the share of the work
        done (chunks weighted by their work), chunks done, trials/s, elapsed time and an ETA from
        the measured work rate, redrawn every 0.5 s also inside a long chunk (the SGD kernels
        report their trial-steps from local workers); then one line when the experiment finishes.
        Log records and warnings print above the bar, never on its line.
    overrides : dict, optional
        ``{key: value}`` replacing parameters of ``params(quick)`` (dotted keys reach into nested
        dicts: ``"panels.a.steps"``), each checked against the type of the value it replaces
        (:func:`apply_overrides`). Recorded in the manifest and stated at the top of the summary.

    Returns
    -------
    RunResult

    Notes
    -----
    Local workers are started with the ``spawn`` method, which re-imports the calling script:
    a script that calls ``run(..., workers=K)`` with ``K > 1`` must do so under
    ``if __name__ == "__main__":`` (the CLI needs nothing). A run holds an exclusive lock on
    ``out`` (the file ``out/.lock``, created atomically with the owner's pid and host): a second
    run on the same directory is refused with one line; a lock left by a dead process on this
    host is taken over (with a warning), and one from another host is refused with how to clear it.
    """
    exp = get_experiment(experiment) if isinstance(experiment, str) else experiment
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed = {seed!r}: expected a non-negative integer")
    params = _jsonable(exp.params(bool(quick)), f"{exp.name}: parameters")
    overrides = _jsonable(dict(overrides or {}), "overrides")
    if not overrides:
        return _reproduce(exp, params, {}, quick, out, seed, workers, scheduler, resume, progress)
    params = apply_overrides(params, overrides, exp.name)
    try:
        return _reproduce(exp, params, overrides, quick, out, seed, workers, scheduler, resume, progress)
    except (OSError, SpuriousError) as exc:
        if isinstance(exc, OSError) or not isinstance(exc, InputError | TooLargeError):
            raise
        msg = str(exc).removeprefix(f"{exp.name}: ")
        raise type(exc)(f"{exp.name} with --set {_overrides_text(overrides)}: {msg}") from None
    except Exception as exc:  # the experiment's own code refused the overridden values
        raise InputError(
            f"{exp.name} with --set {_overrides_text(overrides)}: the experiment cannot use these "
            f"values ({type(exc).__name__}: {exc})"
        ) from None


def _reproduce(exp, params, overrides, quick, out, seed, workers, scheduler, resume, progress) -> RunResult:
    if exp.work is not None:
        units, what = exp.work(params)
        check_work(units, f"{exp.name}: {what}")
    chunks = _jsonable(list(exp.chunks(params)), f"{exp.name}: chunk keys")
    if not chunks:
        raise InputError(f"{exp.name}: the parameters give no chunks")
    if len({json.dumps(c, sort_keys=True) for c in chunks}) != len(chunks):
        raise InputError(f"{exp.name}: chunk keys are not distinct")
    out = Path(out) if out is not None else default_out(exp.name, quick)
    identity = {"experiment": exp.name, "parameters": params, "seed": int(seed), "quick": bool(quick), "chunks": chunks}
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)
    with _run_lock(out):
        return _run_locked(
            exp, out, identity, params, chunks, int(seed), workers, scheduler, resume, progress, overrides
        )


def _open_run(out: Path, identity: dict, resume: bool, workers, scheduler) -> tuple[dict | None, dict]:
    """Check the locked ``out`` against ``identity`` and ready ``chunks/`` (stale temporaries removed).

    Returns the previous manifest (None for a new run) and this session's record (host, pid,
    ``workers`` unless a ``scheduler`` runs the chunks). Shared by :func:`reproduce` and the survey.
    """
    old = _check_out(out, identity, resume)
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    for stale in (out / "chunks").glob(".*.tmp"):
        stale.unlink()
    session = {
        "started": time.time(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "workers": None if scheduler else workers,
        "scheduler": scheduler,
        "git_commit": git_commit(),  # a resumed run names the code of each of its sessions
    }
    return old, session


def _run_locked(exp, out, identity, params, chunks, seed, workers, scheduler, resume, progress, overrides) -> RunResult:
    """The body of :func:`reproduce`, with ``out`` locked."""
    import pandas as pd

    old, session = _open_run(out, identity, resume, workers or default_workers(), scheduler)
    (out / "figures").mkdir(exist_ok=True)
    manifest = {
        **identity,
        "description": exp.description,
        "citation": exp.citation,
        "overrides": overrides,
        "experiment_fields": _jsonable(exp.manifest(params) if exp.manifest else {}, f"{exp.name}: manifest fields"),
        "versions": versions(),
        "git_commit": git_commit(),
        "status": "running",
        "sessions": [*(old or {}).get("sessions", []), session],
        "chunk_runs": dict((old or {}).get("chunk_runs", {})),
    }
    done = [i for i in range(len(chunks)) if _verified_chunk(out, i, chunks[i], manifest["chunk_runs"].get(str(i)))]
    pending = [(i, chunks[i]) for i in range(len(chunks)) if i not in set(done)]
    manifest["chunk_runs"] = {k: v for k, v in manifest["chunk_runs"].items() if int(k) in set(done)}
    _write_manifest(out, manifest)
    log.info("%s: %d chunks, %d on disk, %d to run", exp.name, len(chunks), len(done), len(pending))

    bar = None
    if progress and pending:
        weights, source = _progress.chunk_weights(exp, params, chunks)
        bar = _progress.Progress(exp.name, weights, done, measured=source == "work")
    t_start = time.perf_counter()

    def on_done(res: ChunkOutcome) -> None:
        path = chunk_path(out, res.index)
        _write_parquet(res.frame, path)
        manifest["chunk_runs"][str(res.index)] = {
            "chunk": chunks[res.index],
            "host": res.host,
            "pid": res.pid,
            "started": res.started,
            "seconds": res.seconds,
            "rows": len(res.frame),
            "sha256": file_sha256(path),
        }
        _write_manifest(out, manifest)
        if bar is not None:
            bar.chunk_done(res.index, res.seconds, len(res.frame))

    try:
        if bar is not None:
            bar.start()
        execute(
            pending,
            run_chunk=exp.run_chunk,
            params=params,
            seed=int(seed),
            on_done=on_done,
            workers=workers,
            scheduler=scheduler,
            on_message=bar.receive if bar is not None else None,
        )
    except BaseException:
        n = sum(chunk_path(out, i).exists() for i in range(len(chunks)))
        if old is None and n == 0:  # nothing ran in a fresh directory: leave nothing behind
            _remove_empty_run(out)
            raise
        manifest["status"] = "interrupted"
        try:
            _write_manifest(out, manifest)
        except OSError as exc:  # e.g. the disk that stopped the run is still full
            log.warning("%s: could not mark the manifest interrupted (%s)", out, exc.strerror or exc)
        log.info(
            "%s interrupted: %d of %d chunks on disk in %s; rerun with --resume to finish",
            exp.name,
            n,
            len(chunks),
            out,
        )
        raise
    finally:
        if bar is not None:
            bar.close()
    session["seconds"] = time.perf_counter() - t_start

    frame = pd.concat([pd.read_parquet(chunk_path(out, i)) for i in range(len(chunks))], ignore_index=True)
    _write_parquet(frame, out / "results.parquet")
    verdicts = tuple(exp.summarize(params, frame, out / "figures"))
    if not all(isinstance(v, Verdict) for v in verdicts):
        raise SolverError(f"{exp.name}: summarize must return Verdict objects")
    figures = tuple(str(p) for p in sorted((out / "figures").glob("*.png")))
    manifest["status"] = "complete"
    manifest["finished"] = time.time()
    manifest["verdicts"] = verdict_rows(verdicts)
    _write_manifest(out, manifest)
    summary = write_summary(out, manifest, verdicts, figures)
    write_run_page(out)
    if progress:
        line = _finished_line(exp.name, verdicts, len(pending), len(done), time.perf_counter() - t_start, out)
        print(line, file=sys.stderr, flush=True)
    return RunResult(
        exp.name,
        out,
        verdicts,
        figures,
        summary,
        out / "manifest.json",
        out / "results.parquet",
        len(pending),
        len(done),
    )


def run_all(
    *,
    out: str | Path | None = None,
    names: Sequence[str] | None = None,
    **kwargs,
) -> tuple[list[RunResult], Path]:
    """Run every registered experiment (or ``names``) into ``out/NAME`` and write ``out/index.html``.

    Keywords go to :func:`reproduce`. Returns the results and the path of ``index.html``.
    """
    root = Path(out) if out is not None else default_out("", bool(kwargs.get("quick")))
    kwargs.setdefault("resume", True)  # 'all' finishes what an earlier 'all' left and reuses complete runs
    chosen = [d["name"] for d in describe()] if names is None else list(names)
    results = [reproduce(name, out=root / name, **kwargs) for name in chosen]
    index = write_index(root / "index.html", [r.out for r in results])
    return results, index
