"""Torch twins of the matrix-free operators (sp.operators.to_torch): the numpy maps, on a torch device."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

import spurious as sp
from spurious.core import _matrix_free
from spurious.core._errors import InputError
from spurious.core._problems import least_squares
from spurious.core._torch_operators import TorchOperator, to_torch

#: relative agreement with the numpy maps: float64 to rounding, float32 to single precision
RTOL = {"float64": 1e-12, "float32": 1e-5}


def _ops():
    return {
        "rank-one": _matrix_free.quadratic_sensing(80, 7, rng=0),
        "completion": _matrix_free.entry_sampling(9, 0.6, rng=1),
    }


OPS = _ops()
MAPS = {
    "apply": lambda o, a: o.apply(a["X"]),
    "adjoint": lambda o, a: o.adjoint(a["y"]),
    "apply_outer": lambda o, a: o.apply_outer(a["U"]),
    "apply_sym": lambda o, a: o.apply_sym(a["U"], a["V"]),
    "adjoint_apply": lambda o, a: o.adjoint_apply(a["y"], a["U"]),
    "adjoint_apply (broadcast y)": lambda o, a: o.adjoint_apply(a["y"][0], a["U"]),
    "residual_adjoint_apply": lambda o, a: o.residual_adjoint_apply(a["U"], a["y"][0]),
    "one matrix": lambda o, a: o.apply_outer(a["U"][0]),
    "hessian_core": lambda o, a: o.hessian_core(a["U"], a["V"], a["y"]),
    "hessian_core (one point)": lambda o, a: o.hessian_core(a["U"][0], a["V"], a["y"][0]),
}


def _args(op, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, 3, op.n, op.n))
    return dict(
        X=X + np.swapaxes(X, -1, -2),
        y=rng.standard_normal((3, op.m)),
        U=rng.standard_normal((3, op.n, 2)),
        V=rng.standard_normal((3, op.n, 2)),
    )


def _close(actual, desired, rtol):
    """Agreement relative to the largest entry (float32 rounds each entry relative to the sums' scale)."""
    assert actual.shape == desired.shape and actual.dtype == np.float64
    scale = max(float(np.max(np.abs(desired))), 1e-300)
    assert float(np.max(np.abs(actual - desired))) <= rtol * scale


def _maps_close(tw, op, rtol):
    """Every batched map of the twin equals the numpy operator's (the failing map named)."""
    a = _args(op)
    for name, f in MAPS.items():
        try:
            _close(f(tw, a), f(op, a), rtol)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", sorted(OPS))
def test_maps_equal_numpy(kind, dtype):
    op = OPS[kind]
    tw = to_torch(op, dtype=dtype)
    assert isinstance(tw, TorchOperator) and sp.operators.is_matrix_free(tw)
    assert (tw.kind, tw.n, tw.m, tw.dtype, str(tw.device)) == (op.kind, op.n, op.m, dtype, "cpu")
    _maps_close(tw, op, RTOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", sorted(OPS))
def test_value_gradient_and_hvp_equal_numpy(kind, dtype):
    op = OPS[kind]
    rng = np.random.default_rng(3)
    z = rng.standard_normal((op.n, 2))
    p, pt = least_squares(op, z), least_squares(to_torch(op, dtype=dtype), z)
    x, u = rng.standard_normal((4, op.n, 2)), rng.standard_normal((4, op.n, 2))
    _close(pt.value(x), p.value(x), RTOL[dtype])
    _close(pt.gradient(x), p.gradient(x), RTOL[dtype])
    _close(pt.hvp(x, u), p.hvp(x, u), RTOL[dtype])
    _close(pt.hvp(x[0], u), p.hvp(x[0], u), RTOL[dtype])  # one point, many directions


@pytest.mark.parametrize("kind", sorted(OPS))
def test_solvers_run_on_the_twin(kind):
    """GD endpoints equal numpy's to ~1e-12; perturbed GD, projected SGD, certify and spectral init run unchanged."""
    op = OPS[kind]
    z = np.random.default_rng(3).standard_normal((op.n, 2)) / (np.sqrt(op.n) if kind == "rank-one" else 1.0)
    p, pt = least_squares(op, z), least_squares(to_torch(op), z)
    lr = 3e-3 if kind == "completion" else 3e-4
    x0 = 0.5 * np.random.default_rng(4).standard_normal((4, op.n, 2)) / np.sqrt(op.n)
    kw = dict(x0=x0, seed=1, steps=300, lr=lr)
    a, b = sp.gd(p, **kw), sp.gd(pt, **kw)
    assert np.all(np.isfinite(a.x)) and np.all(a.distance < p.distance(x0))  # it moved
    np.testing.assert_allclose(b.x, a.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(b.status, a.status)
    pa, pb = (sp.perturbed_gd(q, x0=x0[:2], seed=2, steps=100, lr=lr) for q in (p, pt))
    assert np.all(np.isfinite(pa.x))
    np.testing.assert_allclose(pb.x, pa.x, rtol=1e-10, atol=1e-10)
    qa, qb = (sp.projected_sgd(q, x0=x0[:2], seed=2, steps=50, lr=lr, radius_b=3.0) for q in (p, pt))
    assert np.all(np.isfinite(qa.x))
    np.testing.assert_allclose(qb.x, qa.x, rtol=1e-10, atol=1e-10)
    ca, cb = sp.certify(p, x=a.x[0]), sp.certify(pt, x=a.x[0])
    assert cb.grad_norm == pytest.approx(ca.grad_norm, rel=1e-10)
    assert cb.hess_min_eig == pytest.approx(ca.hess_min_eig, rel=1e-6, abs=1e-8)
    np.testing.assert_allclose(np.abs(sp.init.spectral(pt)), np.abs(sp.init.spectral(p)), rtol=1e-8, atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(sorted(OPS)), dtype=st.sampled_from(["float64", "float32"]))
def test_adjoint_identity(seed, kind, dtype):
    """⟨A(X), y⟩ = ⟨X, A*(y)⟩ and ⟨A(UUᵀ), y⟩ = ⟨A*(y) U, U⟩ on the twin."""
    tw = to_torch(OPS[kind], dtype=dtype)
    a = _args(tw, seed)
    X, y, U = a["X"][0, 0], a["y"][0], a["U"][0]
    lhs, rhs = tw.apply(X) @ y, np.sum(X * tw.adjoint(y))
    scale = np.linalg.norm(tw.apply(X)) * np.linalg.norm(y)
    assert abs(lhs - rhs) <= 10 * RTOL[dtype] * scale
    lhs, rhs = tw.apply_outer(U) @ y, np.sum(tw.adjoint_apply(y, U) * U)
    assert abs(lhs - rhs) <= 10 * RTOL[dtype] * np.linalg.norm(tw.apply_outer(U)) * np.linalg.norm(y)


def test_chunks_change_nothing(monkeypatch):
    """Batches are evaluated in chunks of CHUNK_BYTES; small chunks give the same numbers."""
    op = OPS["rank-one"]
    tw = to_torch(op)
    a = _args(op)
    whole = {name: f(tw, a) for name, f in MAPS.items()}
    monkeypatch.setattr(_matrix_free, "CHUNK_BYTES", 4096)
    for name, f in MAPS.items():
        np.testing.assert_allclose(f(tw, a), whole[name], rtol=1e-13, atol=1e-13, err_msg=name)


def test_the_twin_keeps_what_the_source_knows():
    for op in OPS.values():
        tw = to_torch(op)
        assert tw.source is op and to_torch(tw).source is op  # a twin of a twin is made from the source
        assert tw.frobenius_norm_sq() == op.frobenius_norm_sq()
        np.testing.assert_array_equal(tw.to_dense().matrix, op.to_dense().matrix)
        assert tw.nbytes > 0 and "cpu" in repr(tw) and "cpu" in tw.label
        with pytest.raises(InputError, match=op.kind):
            tw.kernel()


@pytest.mark.parametrize(
    "op",
    [
        _matrix_free.gaussian_blocks(10, 3, seed=0),
        _matrix_free.from_callables(2, 2, lambda X: np.diag(X).copy(), np.diag),
        sp.operators.gaussian(5, 3, rng=0),
    ],
)
def test_operators_without_a_twin_are_refused(op):
    with pytest.raises(InputError, match="no torch twin"):
        to_torch(op)


@pytest.mark.parametrize("kw", [dict(dtype="float16"), dict(device="tpu"), dict(device="not-a-device"), dict(device=3)])
def test_bad_dtype_or_device(kw):
    with pytest.raises(InputError, match=r"dtype|device"):
        to_torch(OPS["completion"], **kw)


def test_cuda_unavailable_is_an_input_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available")
    with pytest.raises(InputError, match="CUDA is not available"):
        to_torch(OPS["rank-one"], device="cuda")


def test_missing_torch_is_an_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(InputError, match="torch is not installed"):
        to_torch(OPS["rank-one"])


def test_the_operators_namespace_leaves_torch_unimported():
    code = "import sys, spurious as sp\nsp.operators.to_torch\nprint('torch' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", sorted(OPS))
def test_cuda_equals_numpy(kind, dtype):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    op = OPS[kind]
    tw = to_torch(op, device="cuda", dtype=dtype)
    assert tw.device.type == "cuda"
    _maps_close(tw, op, RTOL[dtype])
    z = np.random.default_rng(3).standard_normal((op.n, 2))
    kw = dict(trials=4, seed=1, steps=200, lr=1e-3)
    a_, b_ = sp.gd(least_squares(op, z), **kw), sp.gd(least_squares(tw, z), **kw)
    np.testing.assert_allclose(b_.x, a_.x, rtol=RTOL[dtype] * 100, atol=RTOL[dtype] * 100)
