"""bhojanapalli2016 experiments: the prefix-sharing GD kernel against plain GD, and the quick experiments."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from spurious.core._errors import InputError
from spurious.core._linalg import outer
from spurious.core._operators import SensingOperator, gaussian
from spurious.core._problems import least_squares
from spurious.solvers._phase_gd import prefix_gd
from spurious.solvers._result import Status
from spurious.studies import bhojanapalli2016 as B


def _batch(seed: int = 0, n: int = 6, M: int = 40, noise: float = 0.0):
    """A shared operator, three ground truths of ranks 1, 2, 3, and runs with mixed m and ranks."""
    rng = np.random.default_rng(seed)
    op = gaussian(M, n, rng)
    zs = [rng.standard_normal((n, r)) for r in (1, 2, 3)]
    stars = np.array([outer(z) for z in zs])
    w = noise * rng.standard_normal(M)
    b = np.array([op.apply(X) + w for X in stars])
    runs = [(12, 0), (40, 1), (25, 2), (40, 0), (19, 2), (25, 1), (40, 2)]
    x0 = np.zeros((len(runs), n, 3))
    for k, (_, g) in enumerate(runs):
        x0[k, :, : zs[g].shape[1]] = rng.standard_normal((n, zs[g].shape[1]))
    m = np.array([q[0] for q in runs])
    truth = np.array([q[1] for q in runs])
    lr = 0.004 * (1.0 + 0.1 * np.arange(len(runs)))  # stable steps (round-off is not amplified)
    return op, zs, stars, b, x0, m, truth, lr


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_prefix_gd_equals_plain_gd_float64(noise):
    """Each run equals GD with the library's gradient on its own m-row problem, to 1e-10."""
    op, zs, stars, b, x0, m, truth, lr = _batch(noise=noise)
    steps = 150
    res = prefix_gd(op.matrix, b, stars, x0, m, truth, lr, steps=steps)
    for k in range(len(m)):
        z = zs[truth[k]]
        r = z.shape[1]
        p = least_squares(SensingOperator(op.matrix[: m[k]], op.n), z, b=b[truth[k], : m[k]], scaling="mean")
        x = x0[k, :, :r].copy()
        for _ in range(steps):
            x = x - lr[k] * p.gradient(x)
        assert np.max(np.abs(res.x[k, :, :r] - x)) <= 1e-10
        assert np.all(res.x[k, :, r:] == 0.0)  # padded columns stay exactly zero
        assert res.fun[k] == pytest.approx(float(p.value(x)), rel=1e-10, abs=1e-12)
        assert res.distance[k] == pytest.approx(float(p.distance(x)), rel=1e-10, abs=1e-12)
        assert res.grad_norm[k] == pytest.approx(float(np.linalg.norm(p.gradient(x))), rel=1e-8, abs=1e-12)
        assert res.nit[k] == steps and res.status[k] == Status.MAX_ITER


def test_prefix_gd_tolerances_and_float32():
    op, _zs, stars, b, x0, m, truth, lr = _batch()
    full = prefix_gd(op.matrix, b, stars, x0, m, truth, lr, steps=3000)
    stop = prefix_gd(op.matrix, b, stars, x0, m, truth, lr, steps=3000, tol_rel_dist=1e-3, tol_rel_f=1e-12)
    conv = stop.status == Status.CONVERGED
    assert conv.any()
    # a stopped run stopped where a criterion held, and it is where the unstopped run was at that iteration
    for k in np.flatnonzero(conv):
        rel = stop.distance[k] / np.linalg.norm(stars[truth[k]])
        f_rel = stop.fun[k] * m[k] / (b[truth[k], : m[k]] @ b[truth[k], : m[k]])
        assert rel <= 1e-3 or f_rel <= 1e-12
        again = prefix_gd(
            op.matrix, b, stars, x0[k : k + 1], m[k : k + 1], truth[k : k + 1], lr[k : k + 1], steps=int(stop.nit[k])
        )
        np.testing.assert_allclose(again.x[0], stop.x[k], rtol=0, atol=1e-12)
    assert np.all(stop.nit <= full.nit)
    f32 = prefix_gd(op.matrix.astype(np.float32), b, stars, x0, m, truth, lr, steps=200)
    f64 = prefix_gd(op.matrix, b, stars, x0, m, truth, lr, steps=200)
    assert f32.options["dtype"] == "float32"
    np.testing.assert_allclose(f32.x, f64.x, rtol=0, atol=1e-3 * np.max(np.abs(f64.x)))


def test_prefix_gd_marks_divergence_and_rejects_bad_input():
    op, _zs, stars, b, x0, m, truth, lr = _batch()
    res = prefix_gd(op.matrix, b, stars, x0, m, truth, np.full(len(m), 50.0), steps=200)
    assert np.all(res.status == Status.DIVERGED)
    with pytest.raises(InputError, match="m: values"):
        prefix_gd(op.matrix, b, stars, x0, m + 100, truth, lr, steps=3)
    with pytest.raises(InputError, match="x0"):
        prefix_gd(op.matrix, b, stars, x0[0], m, truth, lr, steps=3)


def test_phase_chunk_is_deterministic_and_independent_of_other_chunks():
    params = {**B.phase_params(quick=True), "ms": [20, 40, 60], "ranks": [1, 2], "trials": 2}
    a = B.phase_chunk(params, "trial-1", seed=7)
    B.phase_chunk(params, "trial-0", seed=7)
    c = B.phase_chunk(params, "trial-1", seed=7)
    pd.testing.assert_frame_equal(a, c)
    assert len(a) == 3 * 2 * 2 and set(a.init) == {"random", "svd"}
    assert not B.phase_chunk(params, "trial-1", seed=8).rel_error.equals(a.rel_error)


def _verdicts(name: str, figures_dir):
    params = getattr(B, f"{name}_params")(True)
    df = pd.concat(
        [getattr(B, f"{name}_chunk")(params, c, 0) for c in getattr(B, f"{name}_chunks")(params)], ignore_index=True
    )
    return df, getattr(B, f"{name}_summary")(params, df, figures_dir)


def test_examples_quick(tmp_path):
    df, verdicts = _verdicts("examples", tmp_path)
    by = {v.quantity.split(":")[0]: v for v in verdicts}
    assert by["bhojanapalli2016-example1"].verdict == "refuted"  # second-order point, f = 1 − t⁴ nearby
    assert by["bhojanapalli2016-example2"].verdict == "refuted"  # strict saddle
    for name, v in by.items():
        assert v.verdict == ("match" if "corrected" in name else "refuted"), name
    printed = df[df.variant == "printed"]
    assert (printed.witness_f < printed.f).all()
    assert (tmp_path / "examples-witness.png").stat().st_size > 0


def test_phase_quick(tmp_path):
    df, verdicts = _verdicts("phase", tmp_path)
    v = {x.quantity: x for x in verdicts}
    inits = next(x for q, x in v.items() if q.startswith("max over r"))
    assert inits.verdict == "match"
    check = next(x for q, x in v.items() if q.startswith("success flags"))
    assert check.verdict == "match"
    for q, x in v.items():
        if q.startswith("m at 50 %"):
            assert x.verdict in ("match", "miss")
    prob = df[df.variant == "main"].groupby(["init", "r", "m"], as_index=False).success.mean()
    m50 = B._m50(prob[prob.init == "random"])
    ranks = sorted(m50)
    assert all(m50[a] < m50[b] for a, b in itertools.pairwise(ranks))  # transition grows with r
    n = 20
    assert all(m50[r] >= n * r - r * (r - 1) / 2 for r in ranks)  # never below the degrees of freedom
    assert (tmp_path / "phase.png").stat().st_size > 0


def test_noise_quick(tmp_path):
    df, verdicts = _verdicts("noise", tmp_path)
    gd = df[df.kind.isin(["gd", "gd-test"])]
    assert (gd.status == Status.CONVERGED).all()
    assert (gd.error <= gd.bound).all()
    assert verdicts[0].verdict == "match" and "illustration" in verdicts[0].note  # δ₄ᵣ ≥ 0.1 on the grid
    test = next(v for v in verdicts if v.quantity.startswith("Thm 3.1 where its hypothesis holds"))
    assert test.verdict == "match" and test.note.startswith("a test of the theorem")
    cell = df[df.kind == "gd-test"]
    assert (cell.delta_paper_full < 0.1).all() and (cell.error <= cell.bound).all()
    assert verdicts[-1].verdict == "match"  # exponents σ_w¹ m^(−1/2)
    assert (tmp_path / "noise.png").stat().st_size > 0


def test_prefix_gd_equals_solvers_gd():
    """The same runs through :func:`spurious.gd` (one problem per run)."""
    from spurious.solvers._gd import gd

    op, zs, stars, b, x0, m, truth, lr = _batch(seed=3)
    res = prefix_gd(op.matrix, b, stars, x0, m, truth, lr, steps=100)
    for k in range(len(m)):
        z = zs[truth[k]]
        r = z.shape[1]
        p = least_squares(SensingOperator(op.matrix[: m[k]], op.n), z, b=b[truth[k], : m[k]], scaling="mean")
        ref = gd(p, x0=x0[k : k + 1, :, :r], steps=100, lr=float(lr[k]))
        assert np.max(np.abs(ref.x[0] - res.x[k, :, :r])) <= 1e-10
        assert ref.distance[0] == pytest.approx(res.distance[k], rel=1e-10, abs=1e-12)
