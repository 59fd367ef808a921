"""Every landscape result prints a readable summary (``str`` with the key numbers, a short ``repr``)
and has a JSON-able ``to_dict``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spurious.core._examples import get_example
from spurious.core._summary import format_value
from spurious.landscape._ball_thresholds import delta_foc_ball
from spurious.landscape._certify import certify
from spurious.landscape._counterexample import counterexample
from spurious.landscape._guarantees import guarantees
from spurious.landscape._rip import rip_bounds
from spurious.landscape._strict_saddle import strict_saddle_check
from spurious.landscape._thresholds import fixed_eta_curvature, thresholds


@pytest.fixture(scope="module")
def ex3():
    return get_example("zhang2018-example3")


def _check(obj, *numbers, name=None):
    text, short = str(obj), repr(obj)
    for v in numbers:
        assert format_value(v) in text, (format_value(v), text)
    assert short.startswith(name or type(obj).__name__) and "\n" not in short and len(short) < 200
    json.dumps(obj.to_dict())
    return text


def test_certificate(ex3):
    c = certify(ex3, rng=0)
    text = _check(c, c.f, c.grad_norm, c.hess_min_eig, c.witness_f)
    assert "local minimum            no (fourth-order)" in text and "[0, 0.707107]" in text
    assert "spurious                 True" in text


def test_rip_bounds_and_strict_saddle(ex3):
    b = rip_bounds(ex3, 2, samples=100, rng=0)
    assert "δ lower           0.5" in _check(b, b.lower, b.upper, b.sampled)
    s = strict_saddle_check(ex3)
    _check(s, s.lambda_min_normalized, s.bound, s.delta4r)


def test_thresholds_and_counterexample(ex3):
    x, z = ex3.instance.x, ex3.instance.z
    th = thresholds(x, z)
    assert "δ_soc  0.5 (LMI (10): optimal, certified True)" in _check(th, th.delta_foc)
    _check(th.soc, th.soc.delta, th.soc.eta)
    ce = counterexample(x, z)
    _check(ce, ce.delta, ce.eta, ce.verification.rip_full)
    _check(ce.verification, ce.verification.rip_full)
    assert "passed                   True" in str(ce.verification)
    fx = fixed_eta_curvature(x, z, 0.2)
    _check(fx, fx.eta, fx.t)


def test_guarantee_and_ball_threshold():
    g = next(q for q in guarantees(0.3, 1) if q.applies)
    text = _check(g, g.threshold)
    assert g.theorem in text and "applies     True" in text
    bt = delta_foc_ball(np.array([[1.0], [0.0]]), 0.2)
    assert "BallThreshold (first order, ε = 0.2)" in _check(bt, bt.delta, bt.rel_error)
