"""One contract run over every deterministic/perturbed local-search method and every problem kind.

Methods: gd (plain, heavy ball, Nesterov, Armijo backtracking), perturbed_gd (with bi2021's
local region), projected_sgd (bhojanapalli2016 eq. (4)). Problems: noiseless and noisy least
squares, 1-bit logistic (bi2021), asymmetric least squares in ``X = [U; V]``.
Checks: result fields agree with the problem, f decreases, same seed ⇒ same result, a trial's
result does not depend on the batch it runs in, a diverging trial spoils no other trial.
"""

import numpy as np
import pytest

from spurious.core import _operators as operators
from spurious.core import _problems as problems
from spurious.solvers import _init as init
from spurious.solvers._gd import gd
from spurious.solvers._perturbed import local_region, perturbed_gd
from spurious.solvers._projected import paper_grad_scale, projected_sgd
from spurious.solvers._result import LocalSearchResult, Status

STEPS = 300


def _problems():
    rng = np.random.default_rng(0)
    op = operators.gaussian(40, 6, rng=rng)
    z = rng.standard_normal((6, 2))
    out = {
        "least-squares": (problems.least_squares(op, z, scaling="mean"), 0.01),
        "noisy": (problems.least_squares(op, z, scaling="mean", noise_std=0.1, rng=rng), 0.01),
    }
    X = rng.standard_normal((6, 2))
    X *= np.sqrt(2.0 / np.abs(X @ X.T).max())
    out["one-bit"] = (problems.one_bit(X @ X.T, 2), 0.1)
    rop = operators.rectangular_gaussian(60, (5, 4), rng=rng)
    M = rng.standard_normal((5, 2)) @ rng.standard_normal((4, 2)).T
    out["asymmetric"] = (problems.asymmetric_least_squares(rop, M, 2, phi=0.4, scaling="half-mean"), 0.03)
    return out


PROBLEMS = _problems()


def _gd(**kw):
    return lambda p, x0, lr, first_trial=0, **extra: gd(p, x0, steps=STEPS, lr=lr, **kw, **extra)


def _perturbed(p, x0, lr, first_trial=0, **extra):
    return perturbed_gd(
        p,
        x0,
        steps=STEPS,
        lr=lr,
        seed=11,
        first_trial=first_trial,
        perturb_radius=1e-2,
        grad_threshold=1e-2,
        perturb_interval=20,
        local_region=local_region(p, 0.3),
        **extra,
    )


def _projected(p, x0, lr, first_trial=0, **extra):
    # the paper's update scales the gradient by c (1/(4s) for least squares): keep c·lr comparable
    return projected_sgd(
        p,
        x0,
        steps=STEPS,
        lr=lr / paper_grad_scale(p),
        radius_b=20.0,
        seed=11,
        first_trial=first_trial,
        noise=1e-2,
        **extra,
    )


METHODS = {
    "gd": (_gd(), False),
    "gd-momentum": (_gd(momentum=0.5), False),
    "gd-nesterov": (_gd(momentum=0.5, nesterov=True), False),
    "gd-backtracking": (_gd(backtracking=True), False),
    "perturbed_gd": (_perturbed, True),
    "projected_sgd": (_projected, True),
}

CASES = [(m, p) for m in METHODS for p in PROBLEMS]


def _x0(p, T=7, seed=1):
    x0 = init.gaussian(p.n, p.r, T, seed=seed)
    return 0.5 * x0 if isinstance(p.loss, type(PROBLEMS["one-bit"][0].loss)) else x0


def _run(method, pname, x0, **kw):
    p, lr = PROBLEMS[pname]
    fn, _ = METHODS[method]
    if method == "gd-backtracking":
        lr = 1.0
    return fn(p, x0, lr, **kw)


@pytest.mark.parametrize(("method", "pname"), CASES)
def test_fields_and_decrease(method, pname):
    p, _ = PROBLEMS[pname]
    x0 = _x0(p)
    res = _run(method, pname, x0)
    assert isinstance(res, LocalSearchResult)
    T = x0.shape[0]
    assert res.x.shape == x0.shape and res.trials == T
    for a in (res.fun, res.distance, res.grad_norm, res.nit, res.status):
        assert a.shape == (T,)
    assert set(np.unique(res.status)) <= {int(s) for s in Status}
    assert not res.diverged.any()
    assert np.all((res.nit >= 0) & (res.nit <= STEPS))
    np.testing.assert_allclose(res.fun, p.value(res.x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.distance, p.distance(res.x), rtol=1e-12, atol=1e-14)
    gn = np.sqrt(np.sum(p.gradient(res.x) ** 2, axis=(1, 2)))
    np.testing.assert_allclose(res.grad_norm, gn, rtol=1e-12, atol=1e-14)
    assert res.options["steps"] == STEPS and "lr" in res.options
    # f decreases on every trial, substantially for the deterministic methods
    f0 = p.value(x0)
    assert np.all(res.fun < f0)
    if not METHODS[method][1]:
        assert np.all(res.fun - res.fun.min() <= 0.5 * (f0 - res.fun.min()))
    np.testing.assert_array_equal(x0, _x0(p))  # the input batch is not modified


@pytest.mark.parametrize(("method", "pname"), CASES)
def test_reproducible_and_batch_independent(method, pname):
    p, _ = PROBLEMS[pname]
    x0 = _x0(p)
    a = _run(method, pname, x0)
    b = _run(method, pname, x0)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.nit, b.nit)
    for t in (0, 3, 6):
        single = _run(method, pname, x0[t : t + 1], first_trial=t)
        np.testing.assert_allclose(single.x[0], a.x[t], rtol=1e-12, atol=1e-13)
        assert single.nit[0] == a.nit[t] and single.status[0] == a.status[t]


@pytest.mark.parametrize(("method", "pname"), CASES)
def test_divergence_is_isolated(method, pname):
    p, _ = PROBLEMS[pname]
    x0 = _x0(p)
    bad = x0.copy()
    bad[2] = np.nan
    if method not in ("projected_sgd", "gd-backtracking") and pname != "one-bit":
        bad[4] *= 1e4  # overflows within a few steps (projection, backtracking or the
        # bounded logistic gradient would tame it)
    res = _run(method, pname, bad)
    keep = [0, 1, 3, 5, 6]
    assert res.status[2] == Status.DIVERGED and res.nit[2] == 0
    if bad[4, 0, 0] != x0[4, 0, 0]:
        assert res.status[4] == Status.DIVERGED and res.nit[4] < STEPS
    assert not res.diverged[keep].any()
    assert not res.success(np.inf)[2]
    for t in keep:  # each other trial as if run alone
        ref = _run(method, pname, x0[t : t + 1], first_trial=t)
        np.testing.assert_allclose(res.x[t], ref.x[0], rtol=1e-12, atol=1e-13)
        assert res.nit[t] == ref.nit[0]
