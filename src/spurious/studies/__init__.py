"""Paper reproductions: a registry of named experiments and a runner that writes run directories.

Running
-------
``spurious reproduce NAME [--quick] [--out DIR] [--seed K] [--workers K] [--scheduler ADDR] [--resume]``
(or :func:`spurious.reproduce`) writes ``runs/NAME/``: ``manifest.json``,
``chunks/*.parquet``, ``results.parquet``, ``figures/*.png`` and ``summary.md`` (quantity |
paper | ours | tolerance | verdict). ``spurious reproduce all --quick`` runs every experiment
and writes ``runs/index.html`` (every figure beside its table); ``--list`` shows the names.

Writing an experiment (the plug-in contract)
--------------------------------------------
A module defines top-level functions and a module-level ``EXPERIMENTS`` sequence::

    from spurious.studies._registry import Experiment, Verdict
    from spurious.core._rng import trial_stream

    def params(quick: bool) -> dict:                      # JSON-able; quick = small faithful version
        return {"trials": 2_000 if quick else 100_000, "block": 1_000}

    def chunks(params: dict) -> list:                     # JSON-able keys, fixed by params alone
        return list(range(params["trials"] // params["block"]))

    def run_chunk(params: dict, chunk, seed: int) -> "pandas.DataFrame":
        rows = []                                         # one row per trial (or grid cell): results only
        for t in range(chunk * params["block"], (chunk + 1) * params["block"]):
            rng = trial_stream(seed, t, cell=0)           # every trial its own stream: (seed, cell, trial)
            rows.append({"trial": t, "value": rng.standard_normal()})
        return pandas.DataFrame(rows)

    def summarize(params: dict, df, figures_dir) -> list[Verdict]:   # compare, write figures_dir/*.png
        return [Verdict("mean", "0", f"{df.value.mean():.3f}", "± 0.05", "match", "note")]

    EXPERIMENTS = (Experiment("my-sweep", "one line for --list", "Paper (year), Fig. 1",
                              params, chunks, run_chunk, summarize, manifest=None),)

Rules the runner relies on:

* ``run_chunk`` is a top-level function (it is pickled by reference and runs in another
  process or on a Dask worker); it returns rows only (no timings, hosts, worker ids: the
  runner records those in the manifest), and its randomness comes only from
  :func:`spurious.trial_stream` / :func:`spurious.core._rng.trial_seeds` keyed by
  ``(seed, cell, trial)``. Then results do not depend on the number of workers, the order in
  which chunks finish, or on resuming; chunk keys must never depend on the worker count.
* ``summarize`` returns :class:`~spurious.experiments.registry.Verdict` rows whose
  ``verdict`` is ``match``, ``miss`` (not reproduced: the numbers and what we suspect) or
  ``refuted`` (the paper's claim is false: the evidence); ``--quick`` tolerances are widened
  for the smaller sample and say so in ``tolerance``. Figures go through
  :mod:`spurious.studies._plotting` (Agg backend, imported lazily).
* ``manifest(params) -> dict`` (optional) adds fields to ``manifest.json`` and ``summary.md``
  (gradient convention, factorization of H, kernel ...).

Built-in experiments are the modules of this package that define ``EXPERIMENTS``; user
plug-ins are loaded from the modules named in ``SPURIOUS_EXPERIMENTS="pkg.mod,other.mod"``
(they must be importable, also by Dask workers), or registered with
:func:`~spurious.experiments.registry.register`.

Execution
---------
Local processes by default (``--workers``, default ``os.cpu_count()``; one BLAS thread each;
``--workers 1`` runs in-process). ``--scheduler tcp://HOST:PORT`` sends the chunks to an
existing Dask cluster::

    dask scheduler --host 0.0.0.0 --port 8786
    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 dask worker tcp://HEAD:8786 --nthreads 1 --nworkers 16
    spurious reproduce zhang2018-example3-escape --scheduler tcp://HEAD:8786

On SLURM or PBS, dask-jobqueue starts the same workers as batch jobs (the scheduler runs
where Python runs; pass its address)::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="04:00:00",
                           job_script_prologue=["export OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1"])
    cluster.scale(jobs=64)
    print(cluster.scheduler_address)   # -> spurious reproduce NAME --scheduler <that address>

Interrupt a run at any time (Ctrl-C, ``kill -9``, a lost allocation): finished chunks stay
on disk, and ``--resume`` with the same ``--out`` finishes it with exactly the results of an
uninterrupted run.
"""
