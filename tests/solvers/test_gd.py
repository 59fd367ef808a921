import numpy as np
import pytest

from spurious.core import _operators as operators
from spurious.core import _problems as problems
from spurious.core._errors import InputError
from spurious.solvers import _init as init
from spurious.solvers._gd import gd
from spurious.solvers._result import Status
from spurious.solvers._stopping import Stop


@pytest.fixture(scope="module")
def prob():
    rng = np.random.default_rng(3)
    op = operators.gaussian(50, 6, rng=rng)
    return problems.least_squares(op, rng.standard_normal((6, 2)), scaling="mean")


def _hand_loop(p, x, steps, lr, beta=0.0, nesterov=False):
    x = x.copy()
    v = np.zeros_like(x)
    for _ in range(steps):
        g = p.gradient(x)
        v = beta * v + g
        x = x - lr * ((g + beta * v) if nesterov else v)
    return x


@pytest.mark.parametrize(("beta", "nesterov"), [(0.0, False), (0.8, False), (0.8, True)])
def test_matches_a_plain_loop(prob, beta, nesterov):
    x0 = init.gaussian(6, 2, 1, seed=4)
    res = gd(prob, x0=x0, steps=40, lr=0.01, momentum=beta, nesterov=nesterov)
    np.testing.assert_allclose(res.x[0], _hand_loop(prob, x0[0], 40, 0.01, beta, nesterov), rtol=1e-12)
    assert res.nit[0] == 40 and res.status[0] == Status.MAX_ITER
    assert res.options["momentum"] == beta and res.options["nesterov"] is nesterov


def test_converges_to_ground_truth(prob):
    res = gd(prob, x0=init.gaussian(6, 2, 5, seed=1), steps=3000, lr=0.01, stop=Stop(dist=1e-9))
    assert np.all(res.status == Status.CONVERGED)
    assert np.all(res.distance <= 1e-9) and np.all(res.nit < 3000)


@pytest.mark.parametrize("which", ["f", "grad", "dist"])
def test_tolerances_stop_and_freeze_each_trial(prob, which):
    x0 = init.gaussian(6, 2, 6, seed=2)
    tol = {"f": 1e-8, "grad": 1e-5, "dist": 1e-4}[which]
    res = gd(prob, x0=x0, steps=5000, lr=0.01, stop=Stop(**{which: tol}))
    assert np.all(res.status == Status.CONVERGED)
    value = {"f": res.fun, "grad": res.grad_norm, "dist": res.distance}[which]
    assert np.all(value <= tol)
    assert len(np.unique(res.nit)) > 1  # trials stop at their own iteration
    for t in range(6):  # the stopped iterate is exactly the nit-th iterate, and nit is the first hit
        again = gd(prob, x0=x0[t : t + 1], steps=int(res.nit[t]), lr=0.01)
        np.testing.assert_allclose(again.x[0], res.x[t], rtol=1e-12, atol=1e-14)
        before = gd(prob, x0=x0[t : t + 1], steps=int(res.nit[t]) - 1, lr=0.01)
        v = {"f": before.fun, "grad": before.grad_norm, "dist": before.distance}[which]
        assert v[0] > tol


def test_tolerance_met_at_start_takes_no_step(prob):
    z = prob.z[None]
    res = gd(prob, x0=np.concatenate([z, init.gaussian(6, 2, 1, seed=0)]), steps=10, lr=0.01, stop=Stop(dist=1e-10))
    assert res.nit[0] == 0 and res.status[0] == Status.CONVERGED
    assert res.nit[1] == 10 and res.status[1] == Status.MAX_ITER


def test_trajectory(prob):
    x0 = init.gaussian(6, 2, 3, seed=5)
    res = gd(prob, x0=x0, steps=95, lr=0.01, record_every=10)
    tr = res.trajectory
    np.testing.assert_array_equal(tr.iterations, [*range(0, 91, 10), 95])
    assert tr.fun.shape == tr.grad_norm.shape == tr.distance.shape == (11, 3)
    np.testing.assert_allclose(tr.fun[0], prob.value(x0), rtol=1e-12)
    np.testing.assert_allclose(tr.distance[0], prob.distance(x0), rtol=1e-12)
    np.testing.assert_allclose(tr.fun[-1], res.fun, rtol=1e-12)
    np.testing.assert_allclose(tr.grad_norm[-1], res.grad_norm, rtol=1e-12)
    mid = gd(prob, x0=x0, steps=30, lr=0.01)
    np.testing.assert_allclose(tr.fun[3], mid.fun, rtol=1e-12)
    assert np.all(np.diff(tr.fun, axis=0) < 0)


def test_trajectory_of_stopped_trials_is_frozen_and_ends_at_last_stop(prob):
    x0 = init.gaussian(6, 2, 4, seed=6)
    res = gd(prob, x0=x0, steps=100000, lr=0.01, record_every=50, stop=Stop(dist=1e-6))
    tr = res.trajectory
    assert tr.iterations[-1] == res.nit.max()
    for t in range(4):
        after = tr.iterations >= res.nit[t]
        np.testing.assert_array_equal(tr.distance[after, t], res.distance[t])


def test_backtracking_decreases_f_monotonically_from_a_huge_step(prob):
    x0 = init.gaussian(6, 2, 4, seed=7)
    plain = gd(prob, x0=x0, steps=50, lr=1.0)
    assert plain.diverged.all()
    res = gd(prob, x0=x0, steps=300, lr=1.0, backtracking=True, record_every=1)
    assert not res.diverged.any()
    assert np.all(np.diff(res.trajectory.fun, axis=0) <= 1e-13 * res.trajectory.fun[:-1])
    assert np.all(res.fun < 1e-3 * prob.value(x0))


def _hand_armijo(p, x, steps, lr, c=1e-4, shrink=0.5):
    for _ in range(steps):
        g, f = p.gradient(x), p.value(x)
        t = lr
        while p.value(x - t * g) > f - c * t * np.sum(g * g) + 1e-13 * abs(f):
            t *= shrink
        x = x - t * g
    return x


def test_backtracking_matches_a_plain_armijo_loop_and_reuses_the_accepted_value(prob, monkeypatch):
    x0 = init.gaussian(6, 2, 3, seed=5)
    res = gd(prob, x0=x0, steps=30, lr=1.0, backtracking=True)
    for t in range(3):
        np.testing.assert_allclose(res.x[t], _hand_armijo(prob, x0[t], 30, 1.0), rtol=1e-12)
    evaluated = []
    value = type(prob).value
    monkeypatch.setattr(type(prob), "value", lambda self, x: evaluated.append(x.shape[0]) or value(self, x))
    gentle = gd(prob, x0=x0, steps=30, lr=0.01, backtracking=True)  # every first trial step accepted
    assert gentle.nit.tolist() == [30, 30, 30]
    # f at x₀, then one evaluation per step (the accepted candidate's value serves the next
    # iteration): not two per step
    assert sum(evaluated) == 3 * (1 + 30)


def test_divergence_marks_only_that_trial(prob):
    x0 = init.gaussian(6, 2, 3, seed=8)
    x0[1] *= 100.0  # the step 0.01 is far too long there
    res = gd(prob, x0=x0, steps=200, lr=0.01)
    assert res.status[1] == Status.DIVERGED and res.nit[1] < 200
    alone = gd(prob, x0=x0[[0, 2]], steps=200, lr=0.01)
    np.testing.assert_allclose(res.x[[0, 2]], alone.x, rtol=1e-12)
    assert not (np.isfinite(res.fun[1]) and np.isfinite(res.grad_norm[1]))


def test_same_result_for_1_7_1000_trials():
    rng = np.random.default_rng(9)
    op = operators.gaussian(20, 4, rng=rng)
    p = problems.least_squares(op, rng.standard_normal((4, 1)), scaling="mean")
    x0 = init.gaussian(4, 1, 1000, seed=2)
    big = gd(p, x0=x0, steps=200, lr=0.005, momentum=0.5)
    seven = gd(p, x0=x0[:7], steps=200, lr=0.005, momentum=0.5)
    one = gd(p, x0=x0[5:6], steps=200, lr=0.005, momentum=0.5)
    np.testing.assert_allclose(seven.x, big.x[:7], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(one.x[0], big.x[5], rtol=1e-12, atol=1e-14)


def test_bad_input(prob):
    x0 = init.gaussian(6, 2, 2, seed=0)
    with pytest.raises(InputError, match="x0"):
        gd(prob, x0=x0[:, :5], steps=1, lr=0.1)
    with pytest.raises(InputError, match="lr"):
        gd(prob, x0=x0, steps=1, lr=-1.0)
    with pytest.raises(InputError, match="momentum"):
        gd(prob, x0=x0, steps=1, lr=0.1, momentum=1.0)
    with pytest.raises(InputError, match="nesterov"):
        gd(prob, x0=x0, steps=1, lr=0.1, nesterov=True)
    with pytest.raises(InputError, match="backtracking"):
        gd(prob, x0=x0, steps=1, lr=0.1, momentum=0.5, backtracking=True)
    with pytest.raises(InputError, match="steps"):
        gd(prob, x0=x0, steps=-1, lr=0.1)
    with pytest.raises(InputError, match=r"stop\.grad"):
        gd(prob, x0=x0, steps=1, lr=0.1, stop=Stop(grad=-1.0))
    with pytest.raises(InputError, match="record_every"):
        gd(prob, x0=x0, steps=1, lr=0.1, record_every=0)
