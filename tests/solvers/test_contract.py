"""One contract run over every deterministic/perturbed local-search method and every problem kind.

Methods: gd (plain, heavy ball, Nesterov, Armijo backtracking), perturbed_gd (with bi2021's
local region), projected_sgd (bhojanapalli2016 eq. (4)). Problems: noiseless and noisy least
squares, 1-bit logistic (bi2021), asymmetric least squares in ``X = [U; V]``.
Checks: result fields agree with the problem, f decreases, same seed ⇒ same result, a trial's
result does not depend on the batch it runs in, a diverging trial spoils no other trial.
"""

import importlib.util

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
    return lambda p, x0, lr, first_trial=0, **extra: gd(p, x0=x0, steps=STEPS, lr=lr, **kw, **extra)


def _perturbed(p, x0, lr, first_trial=0, **extra):
    return perturbed_gd(
        p,
        x0=x0,
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
        x0=x0,
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
    bad[2] = 1e300  # x xᵀ overflows at once: diverged before the first step
    if method not in ("projected_sgd", "gd-backtracking") and pname != "one-bit":
        bad[4] *= 1e4  # overflows within a few steps (projection, backtracking or the
        # bounded logistic gradient would tame it)
    res = _run(method, pname, bad)
    keep = [0, 1, 3, 5, 6]
    assert res.status[2] == Status.DIVERGED and res.nit[2] == 0
    if bad[4, 0, 0] != x0[4, 0, 0]:
        assert res.status[4] == Status.DIVERGED and res.nit[4] < STEPS
    assert not res.diverged[keep].any()
    assert not res.success[2]
    for t in keep:  # each other trial as if run alone
        ref = _run(method, pname, x0[t : t + 1], first_trial=t)
        np.testing.assert_allclose(res.x[t], ref.x[0], rtol=1e-12, atol=1e-13)
        assert res.nit[t] == ref.nit[0]


# ----------------------------------------------------------------------------- the one protocol
# Every public local-search function, every SGD backend, called the same way:
# ``solver(problem, *, x0=None, trials=T, seed=s, <method parameters>, stop=Stop(...))``.

import spurious as sp  # noqa: E402

SGD_BACKENDS = ["numba", "numpy"] + (["torch"] if importlib.util.find_spec("torch") else [])
SOLVERS = {
    "gd": (sp.gd, dict(lr=0.02, steps=3000)),
    "perturbed_gd": (sp.perturbed_gd, dict(lr=0.02, steps=3000)),
    "projected_sgd": (sp.projected_sgd, dict(lr=1e-3, steps=3000, radius_b=10.0, noise=1e-3)),
    **{f"sgd-{b}": (sp.sgd, dict(lr=2e-3, steps=20_000, backend=b)) for b in SGD_BACKENDS},
}


@pytest.fixture(scope="module")
def easy():
    """Well-conditioned: 60 Gaussian measurements of a rank-one 6 × 6 matrix (no spurious minima in practice)."""
    z = np.random.default_rng(0).standard_normal((6, 1))
    return problems.least_squares(operators.gaussian(60, 6, rng=1), z / np.linalg.norm(z), scaling="mean")


@pytest.mark.parametrize("name", SOLVERS)
def test_protocol_shapes_statuses_and_success_on_an_easy_instance(name, easy):
    solver, kw = SOLVERS[name]
    res = solver(easy, trials=12, seed=3, **kw)
    assert isinstance(res, sp.LocalSearchResult)
    assert res.x.shape == (12, 6, 1) and res.trials == 12
    for a in (res.fun, res.distance, res.grad_norm, res.nit, res.status, res.success):
        assert a.shape == (12,)
    assert res.status.dtype == np.int8 and set(np.unique(res.status)) <= {int(s) for s in sp.Status}
    assert res.success.dtype == bool and res.success.all()
    assert res.options["success"] == sp.Stop().success and res.options["seed"] == 3
    assert res.failure_rate().failures == 0 and res.failure_rate().ci[1] > 0  # honest at 0 failures
    d = res.to_dict()
    assert d["trials"] == 12 and d["failures"] == 0 and d["method"] == res.method
    assert str(res).startswith("method") and "LocalSearchResult" in repr(res)


@pytest.mark.parametrize("name", SOLVERS)
def test_protocol_reproducible_from_the_seed(name, easy):
    solver, kw = SOLVERS[name]
    kw = {**kw, "steps": 50}
    a = solver(easy, trials=4, seed=5, **kw)
    b = solver(easy, trials=4, seed=5, **kw)
    c = solver(easy, trials=4, seed=6, **kw)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.status, b.status)
    assert not np.allclose(a.x, c.x)
    one = solver(easy, trials=1, seed=5, **kw)  # trial 0 does not depend on the batch
    np.testing.assert_allclose(one.x[0], a.x[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", SOLVERS)
def test_protocol_accepts_an_example_an_instance_or_a_problem(name):
    solver, kw = SOLVERS[name]
    kw = {**kw, "lr": 1e-3, "steps": 20}
    ex = sp.get_example("zhang2018-example3")
    runs = [
        solver(src, trials=3, seed=2, **kw) for src in ("zhang2018-example3", ex, ex.instance, ex.instance.problem())
    ]
    for r in runs[1:]:
        np.testing.assert_array_equal(r.x, runs[0].x)


@pytest.mark.parametrize("name", SOLVERS)
def test_protocol_flags_failure_at_example3s_degenerate_saddle(name):
    """zhang2018 Example 3: x = (0, 1/√2) is a degenerate second-order point, ‖xxᵀ − zzᵀ‖_F = √(5/4)."""
    solver, kw = SOLVERS[name]
    kw = {**kw, "lr": 1e-3, "steps": 500}
    ex = sp.get_example("zhang2018-example3")
    res = solver(ex, x0=ex.instance.x, trials=4, seed=3, **kw)
    assert not res.success.any() and not res.diverged.any()
    np.testing.assert_allclose(res.distance, np.sqrt(1.25), atol=0.01)
    assert res.failure_rate().failures == 4


@pytest.mark.parametrize("name", SOLVERS)
def test_protocol_success_uses_the_recorded_tolerance(name, easy):
    solver, kw = SOLVERS[name]
    kw = {**kw, "steps": 10}
    loose = solver(easy, trials=5, seed=1, stop=sp.Stop(success=1e9), **kw)
    assert loose.options["success"] == 1e9 and loose.success.all()
    strict = solver(easy, trials=5, seed=1, stop=sp.Stop(success=0.0), **kw)
    assert not strict.success.any()


@pytest.mark.parametrize("name", SOLVERS)
def test_protocol_refuses_bad_stop_and_trials(name, easy):
    solver, kw = SOLVERS[name]
    with pytest.raises(sp.InputError, match="stop"):
        solver(easy, trials=2, seed=0, stop={"grad": 1e-3}, **kw)
    with pytest.raises(sp.InputError, match="trials"):
        solver(easy, trials=0, seed=0, **kw)
    with pytest.raises(sp.InputError, match="trials"):
        solver(easy, x0=np.ones((3, 6, 1)), trials=2, seed=0, **kw)
    with pytest.raises(sp.InputError, match="seed"):
        solver(easy, trials=2, seed=-1, **kw)


def test_sgd_refuses_early_stopping_it_cannot_honour(easy):
    with pytest.raises(sp.InputError, match="stop"):
        sp.sgd(easy, trials=2, steps=10, lr=1e-3, stop=sp.Stop(grad=1e-6))


def test_stop_checks_its_tolerances():
    for bad in (dict(f=-1.0), dict(grad=float("nan")), dict(dist="x"), dict(success=-1e-3)):
        with pytest.raises(sp.InputError):
            sp.Stop(**bad)


def test_gaussian_start_and_perturbations_use_one_stream(easy):
    """Without x0 a trial starts at init.gaussian's point and goes on drawing from the same stream."""
    res = sp.perturbed_gd(easy, trials=3, seed=4, lr=0.02, steps=0)
    np.testing.assert_array_equal(res.x, init.gaussian(6, 1, 3, seed=4))
    assert res.options["init"] == "gaussian"
