"""Readable summaries of the core result objects: ``str`` shows the key numbers, ``repr`` is short,
``to_dict`` is JSON-able (the shared formatter of :mod:`spurious.core._summary`)."""

from __future__ import annotations

import json

import numpy as np

from spurious.core._diagnostics import check_gradient, check_hessian
from spurious.core._examples import get_example
from spurious.core._summary import format_value, jsonable, short_repr, summary_lines


def test_format_value_and_lines():
    assert format_value(None) == "—" and format_value(True) == "True" and format_value(1 / 3) == "0.333333"
    assert format_value(12345) == "12,345" and format_value(np.float64(np.nan)) == "nan"
    assert format_value(np.array([1.0, 0.5])) == "[1, 0.5]"
    assert format_value(np.zeros((4, 4))) == "array of shape (4, 4)"
    text = summary_lines("Title", [("a", 1.0), ("longer label", "x"), ("skipped", ...)])
    assert text.splitlines() == ["Title", "  a             1", "  longer label  x"]
    assert json.loads(json.dumps(jsonable({"a": np.arange(2), "b": np.bool_(True), "c": (np.float32(0.5),)}))) == {
        "a": [0, 1],
        "b": True,
        "c": [0.5],
    }

    class P:
        a, b = 1.5, None

    assert short_repr(P(), ("a", "b")) == "P(a=1.5, b=—)"


def test_example_and_instance_summaries():
    ex = get_example("zhang2018-example3")
    s = str(ex)
    assert "zhang2018-example3" in s and "n = 2, m = 3, r = 1" in s and "0.707107" in s
    assert repr(ex) == "Example('zhang2018-example3', n=2, m=3)"
    d = json.loads(json.dumps(ex.to_dict()))
    assert np.allclose(d["instance"]["x"], [[0.0], [2**-0.5]]) and d["name"] == "zhang2018-example3"
    inst = ex.instance
    assert "n = 2, m = 3" in str(inst) and "[1, 0]" in str(inst)
    assert repr(inst) == "Instance(n=2, m=3, r=1, x=yes, scaling='plain')"
    assert json.loads(json.dumps(inst.to_dict()))["m"] == 3


def test_gradient_and_hessian_check_summaries():
    p = get_example("zhang2018-example3").instance.problem()
    x = np.array([[0.3], [0.4]])
    g = check_gradient(p.value, p.gradient, x, rng=0)
    assert f"{g.rel_error:.6g}" in str(g) and "Taylor slope" in str(g) and repr(g).startswith("GradientCheck(")
    assert json.loads(json.dumps(g.to_dict()))["slope"] == g.slope
    h = check_hessian(p.gradient, p.hvp, x, rng=0, fun=p.value)
    assert f"{h.rel_error:.6g}" in str(h) and repr(h).startswith("HessianCheck(")
    assert json.loads(json.dumps(h.to_dict()))["step"] == h.step
