"""Progress: work-weighted bars, timer redraws inside a chunk, worker reports, clean stderr lines."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spurious.cli import main
from spurious.studies import _progress
from spurious.studies import _registry as registry
from spurious.studies import _runner as runner
from spurious.studies._execution import execute

HERE = Path(__file__).parent


def screen(err: str) -> list[str]:
    """The lines a terminal shows for ``err``: each line's text after its last carriage return."""
    return [line.split("\r")[-1].replace("\x1b[K", "") for line in err.split("\n")]


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def plugins(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment,progress_experiment")
    return registry.get_experiment("progress-toy")


def test_weights_follow_the_work(plugins):
    toy = registry.get_experiment("toy")
    p = plugins.params(True)
    assert _progress.chunk_weights(plugins, p, plugins.chunks(p)) == ([1.0, 2.0, 3.0, 4.0], "chunk_work")
    tp = toy.params(True)
    assert _progress.chunk_weights(toy, tp, toy.chunks(tp)) == ([1.0] * 12, "chunks")  # no work function
    sgd = registry.get_experiment("zhang2018-sgd-good")
    sp = sgd.params(True)
    w, unit = _progress.chunk_weights(sgd, sp, sgd.chunks(sp))
    assert unit == "work" and sum(w) == pytest.approx(sgd.work(sp)[0]) and len(set(w)) == 1  # equal shares


def test_fraction_rate_and_eta_from_measured_work():
    clock = FakeClock()
    bar = _progress.Progress("x", [1.0, 3.0], stream=None, clock=clock)
    bar._t0 = 0.0
    bar.chunk_started(0)
    clock.t = 2.0
    bar.receive(("work", 0, 50.0, 100.0))  # half of chunk 0 (weight 1) reported
    s = bar.state()
    assert s["fraction"] == pytest.approx(0.5 / 4, rel=1e-2) and s["chunks"] == 0
    assert s["rate"] == pytest.approx(0.25, rel=1e-2) and s["eta"] == pytest.approx(3.5 / 0.25, rel=1e-2)
    bar.chunk_done(0, seconds=4.0)
    clock.t = 4.0
    bar.chunk_started(1)
    clock.t = 10.0  # no reports from chunk 1: estimated from chunk 0's rate (1/4 per s), capped at 90 %
    s = bar.state()
    assert s["fraction"] == pytest.approx((1 + 6 * 0.25) / 4) and s["eta"] is not None
    clock.t = 100.0
    assert bar.state()["fraction"] == pytest.approx((1 + 0.9 * 3) / 4)
    line = bar.render(100)
    assert line.startswith("x  92% |") and "1/2 chunks" in line and "ETA" in line and len(line) < 100


def test_the_bar_never_moves_back():
    clock = FakeClock()
    bar = _progress.Progress("x", [1.0, 1.0], clock=clock)
    bar.receive(("work", 0, 10.0, 10.0))  # a first call done ...
    first = bar.state()["fraction"]
    bar.receive(("work", 0, 12.0, 110.0))  # ... and a second, longer one announced
    assert bar.state()["fraction"] == first
    bar.receive(("work", 0, 109.0, 110.0))
    assert bar.state()["fraction"] == first
    bar.chunk_done(0)
    assert bar.state()["fraction"] == 0.5


def test_measured_weights_keep_the_total_and_the_eta_right():
    """Equal shares of work(params) = 3,300 units over 3 chunks of 100, 200 and 3,000 units."""
    clock = FakeClock()
    bar = _progress.Progress("x", [1100.0] * 3, measured=True, clock=clock)
    bar._t0 = 0.0
    bar.receive(("work", 0, 100.0, 100.0))
    clock.t = 1.0
    bar.chunk_done(0, seconds=1.0)
    bar.receive(("work", 1, 100.0, 200.0))
    clock.t = 2.0
    s = bar.state()
    assert s["total"] == pytest.approx(3300.0)  # the unreported chunk weighs the rest: 3,000
    assert s["fraction"] == pytest.approx(200 / 3300, rel=1e-2)  # not 1/3 + 1/6 as equal shares would say
    assert s["eta"] == pytest.approx(3100 / 100, rel=0.05)  # 100 units/s measured, 3,100 left


def test_unknown_progress_says_so():
    bar = _progress.Progress("x", [1.0], clock=FakeClock())
    assert "ETA ?" in bar.render(80) and "0/1 chunks" in bar.render(80)


def test_bar_redraws_inside_a_long_chunk_and_ends_with_one_line(plugins, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PROGRESS_SLEEP", "0.4")  # chunk k takes 0.4 (k + 1) s; 4 s in all
    res = runner.reproduce("progress-toy", out=tmp_path / "r", quick=True, workers=1, progress=True)
    err = capsys.readouterr().err
    frames = [f for f in err.split("\r") if "chunks" in f]
    assert len(frames) >= 8  # redrawn on the timer (0.5 s), not only when a chunk finishes
    assert "4/4 chunks" in err and "100%" in err
    inside = {f.split("%")[0].split()[-1] for f in frames if " 3/4 chunks" in f}  # chunk 3: 60 % → 100 %
    assert inside & {"70", "80", "90"}  # the bar moves inside a chunk, by the work it reports
    last = err.rstrip("\n").split("\n")[-1]
    assert re.fullmatch(r"progress-toy: 1 match, 0 miss, 0 refuted · 4 chunks run · 0:0\d · .*", last)
    assert [v.verdict for v in res.verdicts] == ["match"]


def test_reports_reach_the_runner_from_pool_workers(plugins, tmp_path):
    p = plugins.params(True)
    tasks = list(enumerate(plugins.chunks(p)))
    messages, frames = [], {}
    execute(
        tasks,
        run_chunk=plugins.run_chunk,
        params=p,
        seed=1,
        on_done=lambda o: frames.__setitem__(o.index, o.frame),
        workers=2,
        on_message=messages.append,
    )
    starts = {m[1] for m in messages if m[0] == "start"}
    ends = {(m[1], m[2]) for m in messages if m[0] == "work" and m[2] == m[3]}
    assert starts == {0, 1, 2, 3} and ends == {(0, 1.0), (1, 2.0), (2, 3.0), (3, 4.0)}
    alone = {}
    execute(tasks, run_chunk=plugins.run_chunk, params=p, seed=1, on_done=lambda o: alone.__setitem__(o.index, o.frame))
    for i in frames:  # reporting never changes a result
        pd.testing.assert_frame_equal(frames[i], alone[i])


def test_sgd_reports_its_trial_steps():
    import spurious as sp
    from spurious.core._examples import get_example

    problem = get_example("zhang2018-example3").instance.problem()
    messages = []
    old = _progress.install(messages.append)
    try:
        _progress.begin_chunk(7)
        res = sp.sgd(problem, trials=40, steps=300, seed=2, lr=1e-3, momentum=0.9, workers=1)
        _progress.end_chunk()
    finally:
        _progress.install(old)
    work = [m for m in messages if m[0] == "work"]
    assert work and work[-1] == ("work", 7, 40.0 * 300, 40.0 * 300)
    again = sp.sgd(problem, trials=40, steps=300, seed=2, lr=1e-3, momentum=0.9, workers=1)
    assert np.array_equal(res.x, again.x)  # sliced for reporting, same bits as one call


def test_warnings_never_share_the_bar_line(plugins, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PROGRESS_WARN", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("WARNING %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        runner.reproduce("progress-toy", out=tmp_path / "w", quick=True, workers=1, progress=True)
    finally:
        root.removeHandler(handler)
    err = capsys.readouterr().err
    warned = [line for line in err.split("\n") if "a warning during the run" in line]
    assert len(warned) == 4 and all(line.startswith("WARNING chunk") for line in warned)


def test_cli_bar_only_on_a_terminal_and_never_with_json_or_quiet(plugins, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    base = ["reproduce", "progress-toy", "--quick", "--workers", "1"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "\r" in err and "4/4 chunks" in err and "progress-toy: 1 match" in err
    assert main([*base, "--out", str(tmp_path / "b"), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["name"] == "progress-toy" and "chunks" not in err and "\r" not in err
    assert main([*base, "--out", str(tmp_path / "c"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "progress-toy" in out and "\r" not in err and "chunks" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert main([*base, "--out", str(tmp_path / "d")]) == 0
    assert "\r" not in capsys.readouterr().err  # not a terminal: no bar


def test_interrupt_message_on_its_own_line(plugins, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    exp = registry.get_experiment("progress-toy")
    calls = []

    def stop_at_the_second(p, chunk, seed):
        calls.append(chunk)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return exp.run_chunk(p, chunk, seed)

    fields = {f: getattr(exp, f) for f in exp.__dataclass_fields__}
    patched = type(exp)(**{**fields, "run_chunk": stop_at_the_second})
    monkeypatch.setattr(registry, "_REGISTRY", {**registry._REGISTRY, "progress-toy": patched})
    assert main(["reproduce", "progress-toy", "--quick", "--workers", "1", "--out", str(tmp_path / "i")]) == 130
    err = capsys.readouterr().err
    shown = screen(err)
    said = [line for line in shown if "rerun with --resume" in line or "interrupted" in line]
    assert len(said) == 2 and all(line.startswith("spurious reproduce: ") for line in said)
    assert not any("chunks ·" in line for line in shown)  # the bar was erased, not left behind


def test_reports_reach_the_runner_from_dask_workers(plugins):
    distributed = pytest.importorskip("distributed")
    p = plugins.params(True)
    tasks = list(enumerate(plugins.chunks(p)))
    messages, frames = [], {}
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        execute(
            tasks,
            run_chunk=plugins.run_chunk,
            params=p,
            seed=1,
            on_done=lambda o: frames.__setitem__(o.index, o.frame),
            scheduler=cluster.scheduler_address,
            on_message=messages.append,
        )
    ends = {(m[1], m[2]) for m in messages if m[0] == "work" and m[2] == m[3]}
    assert {m[1] for m in messages if m[0] == "start"} <= {0, 1, 2, 3} and ends <= {(k, k + 1.0) for k in range(4)}
    assert ends  # events are asynchronous: the last ones may arrive after the run, but some came during it
    assert sorted(frames) == [0, 1, 2, 3] and not _progress.active()
