import dataclasses
import time

import numpy as np
import pytest

import spurious.landscape._counterexample as ce_mod
from spurious.core._errors import InputError, NoInstanceError, TooLargeError, VerificationError
from spurious.core._instances import load_instance, save_instance
from spurious.landscape._certify import certify
from spurious.landscape._counterexample import counterexample
from spurious.landscape._rip import full_rank_delta

X3 = np.array([0.0, 1.0 / np.sqrt(2.0)])
Z3 = np.array([1.0, 0.0])


def test_example3_geometry_instance():
    c = counterexample(X3, Z3)
    assert c.delta == pytest.approx(0.5, abs=1e-6) and c.eta == pytest.approx(1.0 / 3.0, abs=1e-6)
    v = c.verification
    assert c.certified and v.passed
    assert v.grad_norm < 1e-9
    assert v.hess_min_eig > -1e-9
    assert v.rip_full == pytest.approx(0.5, abs=1e-6)
    assert c.m == 3 and c.instance.operator.matrices().shape == (3, 2, 2)
    # computed independently here from the matrices
    assert full_rank_delta(c.instance.operator.kernel()) == pytest.approx(0.5, abs=1e-6)
    assert c.instance.metadata["kernel_source"] == "reduced-lifted"


@pytest.mark.parametrize("factorization", ["eigh", "cholesky", "sqrt"])
@pytest.mark.parametrize("r", [1, 2])
def test_instances_reverify_and_certify(factorization, r):
    rng = np.random.default_rng(5 + r)
    n = 6
    x, z = rng.standard_normal((n, r)), rng.standard_normal((n, r))
    c = counterexample(x, z, factorization=factorization)
    assert c.certified
    assert c.instance.metadata["factorization"] == factorization
    assert c.m == (n * (n + 1) // 2)
    A = c.instance.operator.matrices()
    np.testing.assert_allclose(A, np.swapaxes(A, 1, 2))
    cert = certify(c.instance.problem(), x, decide=False)
    assert cert.second_order and cert.spurious
    assert abs(c.verification.rip_full - c.delta) < 1e-6


def test_first_order_counterexample():
    rng = np.random.default_rng(8)
    x, z = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    c = counterexample(x, z, order="first")
    cert = certify(c.instance.problem(), x, decide=False)
    assert cert.first_order and cert.distance > 1e-3  # a critical point that is not global
    assert c.delta <= counterexample(x, z).delta + 1e-6


def test_zero_point_first_order_is_identity():
    c = counterexample(np.zeros(3), np.array([1.0, 2.0, 0.5]), order="first")
    assert c.delta == 0.0 and c.verification.rip_full == pytest.approx(0.0, abs=1e-12)
    assert c.verification.grad_norm == 0.0


def test_margin_gives_strict_local_minimum():
    mu = 0.2
    c = counterexample(X3, Z3, margin=mu)
    assert c.verification.hess_min_eig >= 2 * mu - 1e-7
    assert c.delta > 0.5
    cert = certify(c.instance.problem(), c.instance.x, decide=False)
    assert cert.strict and cert.local_min is True and cert.spurious
    # without margin the LMI optimum is a degenerate second-order point (zero Hessian eigenvalue)
    c0 = counterexample(X3, Z3)
    assert abs(c0.verification.hess_min_eig) < 1e-8


def test_n12_is_fast_and_full_path_agrees_small():
    rng = np.random.default_rng(12)
    x, z = rng.standard_normal((12, 2)), rng.standard_normal((12, 2))
    counterexample(X3, Z3)  # warm up (cvxpy import)
    t = time.perf_counter()
    c = counterexample(x, z)
    assert time.perf_counter() - t < 1.0  # ~0.02 s on the reduced path
    assert c.certified and c.m == 78
    x4, z4 = x[:4], z[:4]
    full = counterexample(x4, z4, reduce=False)
    assert full.instance.metadata["kernel_source"] == "full"
    assert full.delta == pytest.approx(counterexample(x4, z4).delta, abs=1e-6)


def test_save_load_certify_roundtrip(tmp_path):
    c = counterexample(X3, Z3, margin=0.1, factorization="cholesky")
    path = save_instance(tmp_path / "ce.npz", c.instance)
    inst = load_instance(path)
    assert inst.metadata["factorization"] == "cholesky"
    assert inst.metadata["kernel_source"] == "reduced-lifted"
    assert inst.metadata["order"] == "second"
    np.testing.assert_allclose(inst.x, c.instance.x)
    cert = certify(inst.problem(), inst.x, decide=False)
    assert cert.second_order and cert.spurious and cert.strict


@pytest.mark.parametrize(
    ("x", "z", "order", "match"),
    [
        ([1.0, 2.0], [0.5, 1.0], "second", "colinear"),
        ([1.0, 2.0], [0.5, 1.0], "first", "η ="),
        ([0.6, 0.8], [-0.6, -0.8], "second", "by definition"),
        ([0.0, 0.0], [1.0, 0.0], "second", "rank 0"),
        ([[1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.5]], "second", "rank 1 < r = 2"),
    ],
)
def test_no_instance(x, z, order, match):
    with pytest.raises(NoInstanceError, match=match):
        counterexample(np.array(x), np.array(z), order=order)


def test_too_large_refused_with_size():
    rng = np.random.default_rng(0)
    x, z = rng.standard_normal((200, 1)), rng.standard_normal((200, 1))
    with pytest.raises(TooLargeError, match="GB"):
        counterexample(x, z)


def test_bad_factorization():
    with pytest.raises(InputError, match="factorization"):
        counterexample(X3, Z3, factorization="qr")


def test_wrong_program_answer_is_never_returned(monkeypatch):
    real = ce_mod.threshold_program

    def lying(*args, **kw):
        res = real(*args, **kw)
        return dataclasses.replace(res, eta=res.eta * 1.1, delta=(1 - res.eta * 1.1) / (1 + res.eta * 1.1))

    monkeypatch.setattr(ce_mod, "threshold_program", lying)
    with pytest.raises(VerificationError, match="full-rank δ"):
        counterexample(X3, Z3)

    def bad_kernel(*args, **kw):
        res = real(*args, **kw)
        H = res.H.copy()
        H[0, 0] *= 0.9  # breaks ∇f(x) = 0 (e has a component on the first svec coordinate)
        return dataclasses.replace(res, H=H)

    monkeypatch.setattr(ce_mod, "threshold_program", bad_kernel)
    with pytest.raises(VerificationError):
        counterexample(X3, Z3)
