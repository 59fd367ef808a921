"""Registry: names, look-ups, plug-ins from SPURIOUS_EXPERIMENTS, the Verdict and Experiment checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from spurious.core._errors import InputError
from spurious.studies import _registry as registry
from spurious.studies._registry import Experiment, Verdict

HERE = Path(__file__).parent


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    return registry.get_experiment("toy")


def test_builtins_listed_and_described(toy):
    names = registry.experiments()
    assert "zhang2018-example3" in names and "zhang2018-example3-escape" in names and "toy" in names
    assert names == sorted(names)
    rows = {d["name"]: d for d in registry.describe()}
    assert rows["toy"]["description"] == "test-only toy Monte Carlo"
    assert all(d["description"] and "\n" not in d["description"] for d in rows.values())


def test_plugin_env_parsing():
    assert registry.plugin_modules(" a.b , c,, ") == ["a.b", "c"]
    assert registry.plugin_modules("") == []


def test_unknown_name_and_module(monkeypatch):
    with pytest.raises(InputError, match="unknown experiment 'nope'"):
        registry.get_experiment("nope")
    with pytest.raises(InputError, match="not found"):
        registry.load_module("no_such_module_xyz")
    with pytest.raises(InputError, match="no EXPERIMENTS"):
        registry.load_module("json")


def test_register_conflicts(toy):
    same = registry.register(toy)
    assert same is toy
    other = Experiment("toy", "different", "x", toy.params, toy.chunks, toy.run_chunk, toy.summarize)
    with pytest.raises(InputError, match="already registered"):
        registry.register(other)
    with pytest.raises(InputError, match="reserved"):
        Experiment("all", "d", "c", toy.params, toy.chunks, toy.run_chunk, toy.summarize)
    with pytest.raises(InputError, match="name"):
        Experiment("Bad Name", "d", "c", toy.params, toy.chunks, toy.run_chunk, toy.summarize)
    with pytest.raises(InputError, match="callable"):
        Experiment("ok", "d", "c", toy.params, toy.chunks, None, toy.summarize)


def test_verdict_values():
    v = Verdict("q", "1", "1", "0", "match")
    assert v.to_dict()["verdict"] == "match" and v.note == ""
    with pytest.raises(InputError, match="verdict"):
        Verdict("q", "1", "1", "0", "ok")


def test_import_spurious_stays_light():
    import subprocess

    code = (
        "import sys, spurious, spurious.studies; "
        "print(any(m in sys.modules for m in ('pandas', 'matplotlib', 'dask', 'tqdm')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_verdict_summary():
    v = registry.Verdict("failure rate", "12.1 %", "12.3 %", "± 0.6 %", "match", "a note")
    text = str(v)
    assert text.splitlines()[0] == "match: failure rate" and "12.3 %" in text and "a note" in text
    assert repr(v) == "Verdict('match', 'failure rate')"
    assert json.loads(json.dumps(v.to_dict()))["verdict"] == "match"


def test_rate_text_is_the_wilson_interval():
    from spurious.core._stats import binomial_rate

    r = binomial_rate(0, 400)
    lo, hi = r.ci
    assert lo == 0.0 and hi > 0  # Wilson: honest at 0 failures, where the normal ± would be 0
    assert registry.rate_text(r) == f"0.00 % (3σ Wilson [0.00, {100 * hi:.2f}] %)"
