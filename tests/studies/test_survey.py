"""``sp.survey``: the landscape census (issue #13, part 2) on Example 3, a counterexample instance
with a strict spurious local minimum, the origin (a strict saddle); reproducible for any workers."""

import json

import numpy as np
import pytest

import spurious as sp
from spurious.studies import _survey
from spurious.studies._survey import KINDS, refine


@pytest.fixture(scope="module")
def example3():
    return sp.survey("zhang2018-example3", starts=200, lr=1e-2, steps=1000, seed=0)


@pytest.fixture(scope="module")
def counterexample():
    return sp.counterexample([[0.5], [0.3], [0.1]], [[1.0], [0.0], [0.0]], margin=0.01).instance


def _basin(s, kind):
    (b,) = [b for b in s.basins if b.kind == kind]
    return b


def test_example3_finds_the_global_minimum_and_the_degenerate_saddle(example3):
    s = example3
    assert sum(s.counts.values()) == s.starts == 200 == sum(b.count for b in s.basins)
    assert set(s.counts) == set(KINDS)
    g = _basin(s, "global")
    assert np.allclose(np.abs(g.x.ravel()), [1.0, 0.0], atol=1e-12)  # ±z
    assert g.local_min is True and g.distance < 1e-12
    d = _basin(s, "spurious-second-order")  # (0, ±1/√2): second order, not a local minimum
    assert np.allclose(np.abs(d.x.ravel()), [0.0, 2**-0.5], atol=1e-6)
    assert d.local_min is False and d.method == "fourth-order"
    assert d.f == pytest.approx(1.5) and d.grad_norm < 1e-12
    assert d.refined  # the stuck searches end ~a away; Newton finds the point itself
    # what GD at lr 1e-2 for 1,000 steps really does from 200 Gaussian starts (seed 0)
    assert (s.counts["global"], s.counts["spurious-second-order"], s.counts["not-converged"]) == (185, 13, 2)
    assert s.counts["spurious-local-min"] == s.counts["saddle"] == 0
    lo, hi = g.ci
    assert lo < g.share == 185 / 200 < hi
    # the instance's exact δ = 1/2 sits on the threshold of the δ < 1/2 theorems: open, not applies
    assert s.rip.method == "exact" and s.rip.upper == pytest.approx(0.5)
    status = {g.theorem: st for g, st in s.guarantees}
    assert status["bi2021 Thm 5"] == "open"
    assert status["zhang2018 Thm 2 (Ge et al. 2017)"] == "does not apply"
    assert s.contradictions == ()
    # every start is labelled with its basin
    assert np.array_equal(np.bincount(s.labels, minlength=len(s.basins)), [b.count for b in s.basins])


def test_example3_text_and_dict(example3):
    text = str(example3)
    assert text.startswith("Survey of zhang2018-example3 (n = 2, r = 1): 200 starts, gd")
    for word in ("global", "spurious-second-order", "not-converged", "fourth-order", "Wilson", "RIP"):
        assert word in text
    assert repr(example3).startswith("Census(source=zhang2018-example3, starts=200")
    d = example3.to_dict()
    json.dumps(d)
    assert d["starts"] == 200 and sum(e["count"] for e in d["endpoints"]) == 200
    for e in d["endpoints"]:
        assert {"kind", "count", "share", "ci", "f", "distance", "x", "local_min"} <= set(e)


def test_counterexample_strict_spurious_local_minimum_found_near_its_point(counterexample):
    inst = counterexample
    x0 = inst.x[None] + 0.01 * np.random.default_rng(0).standard_normal((12, 3, 1))
    s = sp.survey(inst, starts=12, init=x0, steps=2000, seed=0, rip=False)
    b = _basin(s, "spurious-local-min")
    assert b.count == 12 and s.counts["spurious-local-min"] == 12
    assert b.local_min is True and b.method == "strict"
    assert np.linalg.norm(b.x @ b.x.T - inst.x @ inst.x.T) < 1e-8
    assert b.distance == pytest.approx(np.linalg.norm(inst.x @ inst.x.T - inst.z @ inst.z.T))


def test_counterexample_from_gaussian_starts_has_both_basins(counterexample):
    s = sp.survey(counterexample, starts=40, steps=3000, seed=0)
    assert s.counts["global"] > 0 and s.counts["spurious-local-min"] > 0
    assert sum(s.counts.values()) == 40
    assert s.rip.lower > 0.9  # far above every guarantee's threshold
    assert all(st == "does not apply" for _, st in s.guarantees)


def test_origin_is_a_saddle_with_a_descent_witness():
    s = sp.survey("zhang2018-example3", starts=5, init=np.zeros((2, 1)), steps=5, seed=0, rip=False)
    b = _basin(s, "saddle")
    assert b.count == 5 and b.method == "negative-curvature"
    assert b.certificate.witness_f < b.f


def test_reproducible_for_any_number_of_workers(monkeypatch):
    monkeypatch.setattr(_survey, "CHUNK_STARTS", 20)  # 3 chunks (the chunks are fixed by starts alone)
    kw = dict(starts=50, lr=1e-2, steps=300, seed=3, rip=False)
    one = sp.survey("zhang2018-example3", workers=1, **kw)
    two = sp.survey("zhang2018-example3", workers=2, **kw)
    assert one.to_dict() == two.to_dict()
    assert np.array_equal(one.labels, two.labels) and np.array_equal(one.fun, two.fun)
    other = sp.survey("zhang2018-example3", workers=1, **{**kw, "seed": 4})
    assert not np.array_equal(one.fun, other.fun)


def test_save_writes_census_and_endpoints(tmp_path, example3):
    js, pq, npz, png, md = example3.save(tmp_path / "run")
    assert pq.name == "census.parquet" and md.name == "summary.md" and "![basins](basins.png)" in md.read_text()
    assert png.name == "basins.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the plane of n·r = 2
    d = json.loads(js.read_text())
    assert d["starts"] == 200 and d["counts"] == example3.counts
    with np.load(npz) as z:
        assert z["x"].shape == (len(example3.basins), 2, 1)
        assert list(z["kind"]) == [b.kind for b in example3.basins]
        assert np.array_equal(z["label"], example3.labels)
    names = ["basins.png", "census.json", "census.parquet", "endpoints.npz", "summary.md"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == names
    bare = tmp_path / "bare"
    assert example3.save(bare, figure=False) == tuple(
        bare / f for f in ("census.json", "census.parquet", "endpoints.npz", "summary.md")
    )
    assert "basins.png" not in (bare / "summary.md").read_text()
    assert example3.run is None


def test_refine_finds_the_degenerate_point_from_a_stuck_endpoint():
    p = sp.get_example("zhang2018-example3").instance.problem()
    a = 0.05
    x, g = refine(p, np.array([[a], [np.sqrt(0.5 - a * a)]]))
    assert g < 1e-15 and abs(x[0, 0]) < 1e-6 and x[1, 0] == pytest.approx(2**-0.5)


@pytest.mark.parametrize(
    "kw, needle",
    [
        ({"method": "newton"}, "method = 'newton'"),
        ({"method": "sgd"}, "lr: required"),
        ({"starts": 0}, "starts = 0"),
        ({"tol": -1.0}, "tol = -1"),
        ({"init": "uniform"}, "init = 'uniform'"),
        ({"init": np.zeros((3, 1))}, "init: shape (3, 1)"),
        ({"lr": -1e-3}, "lr = -0.001"),
    ],
)
def test_bad_input_is_one_input_error(kw, needle):
    args = {"starts": 4, "steps": 10, **kw}
    with pytest.raises(sp.InputError) as exc:
        sp.survey("zhang2018-example3", **args)
    assert needle in str(exc.value)


def test_sgd_at_fig1_settings_hovers_at_the_degenerate_point():
    s = sp.survey("zhang2018-example3", starts=300, method="sgd", lr=1e-3, momentum=0.9, steps=1000, seed=0, rip=False)
    assert sum(s.counts.values()) == 300
    d = _basin(s, "spurious-second-order")
    assert d.local_min is False and d.near > 0  # SGD noise keeps ‖∇f‖ ~ 0.5 there: joined by distance
    assert d.spread <= 0.1 + 1e-12
    fail = 1 - s.counts["global"] / 300
    assert 0.06 < fail < 0.2  # zhang2018 Fig. 1: 12.1 %


def test_work_budget_is_checked_before_any_search(monkeypatch):
    monkeypatch.setenv("SPURIOUS_MAX_WORK", "1000")
    with pytest.raises(sp.TooLargeError, match="starts = 100 × steps = 100"):
        sp.survey("zhang2018-example3", starts=100, steps=100)


def test_kind_of_every_verdict_undecided_included():
    import dataclasses

    from spurious.studies._survey import _kind, fit_level

    ex = sp.get_example("zhang2018-example3")
    cert = sp.certify(ex)  # the degenerate point: second order, local_min False
    fit = fit_level(ex.instance.problem())
    assert fit == pytest.approx(1e-10 * float(ex.instance.problem().value(np.zeros((2, 1)))))  # noiseless
    assert cert.f > fit and _kind(cert, 1e-3, fit)[0] == "spurious-second-order"
    undecided = dataclasses.replace(cert, local_min=None, method="undecided", reason="no witness")
    assert _kind(undecided, 1e-3, fit) == ("spurious-second-order", "no witness")
    proved = dataclasses.replace(cert, local_min=True, method="strict")
    assert _kind(proved, 1e-3, fit)[0] == "spurious-local-min"
    not_critical = dataclasses.replace(cert, first_order=False, second_order=False, local_min=None)
    assert _kind(not_critical, 1e-3, fit)[0] == "not-converged"
    assert _kind(cert, 2.0, fit)[0] == "global"  # within tol of M*
    fits = dataclasses.replace(proved, f=0.5 * fit)  # as good a fit as M*: the data, not the landscape
    assert _kind(fits, 1e-3, fit)[0] == "unidentified"
    saddle = dataclasses.replace(fits, second_order=False, hess_min_eig=-1.0, local_min=False)
    assert _kind(saddle, 1e-3, fit)[0] == "saddle"


def test_a_completion_row_seen_only_on_the_diagonal_is_unidentified_not_spurious():
    from spurious.core._matrix_free import EntrySamplingOperator
    from spurious.studies._survey import _kind, fit_level

    n = 6
    rows, cols = np.triu_indices(n)
    keep = (rows == cols) | (rows > 0)  # row 0 observed only at (0, 0): its sign is free at r = 1
    z = np.random.default_rng(2).standard_normal((n, 1))
    prob = sp.least_squares(EntrySamplingOperator(n, rows[keep], cols[keep]), z)
    x = z.copy()
    x[0] *= -1.0  # fits every observation, x xᵀ ≠ M*
    cert = sp.certify(prob, x, rng=0)
    assert cert.local_min is True and cert.f < 1e-25 and cert.distance > 0.1  # a strict local min, f = 0
    kind, reason = _kind(cert, 1e-3 * np.linalg.norm(z) ** 2, fit_level(prob))
    assert kind == "unidentified" and "do not determine" in reason


def test_matrix_free_instance_gets_rip_bounds_only_within_their_budget(monkeypatch):
    from spurious.core._instances import make_instance
    from spurious.studies import _survey

    inst = make_instance("rank-one", 8, 1, m=30, seed=0)  # m < N = 36
    kw = {"starts": 4, "steps": 300, "seed": 0}
    small = sp.survey(inst, **kw)
    assert small.rip is not None and small.rip.exact_from == "rank H ≤ m < N" and small.rip.upper == 1.0
    monkeypatch.setattr(_survey, "RIP_MAX_WORK", 1.0)
    assert sp.survey(inst, **kw).rip is None  # beyond the budget: surveyed without the bounds
