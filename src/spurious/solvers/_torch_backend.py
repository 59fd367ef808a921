"""Torch backend of :func:`spurious.sgd` (CPU or CUDA, float32 or float64).

torch is imported inside the functions (``import spurious`` never loads it). The step is the
numpy backend's, written in torch over the whole batch::

    res = c·(⟨A_i, xxᵀ⟩ − b_i),  v ← βv + res·A_i x,  x ← x − lr·v

and the random indices are the SAME numbers: they are drawn on the host by the numpy twin
of the per-trial xoshiro256++ streams (:func:`spurious.solvers._prng.indices_np`) and moved
to the device in chunks of steps (at most ``2²²`` indices per chunk). Hence, in float64, the
torch result equals the numpy result up to rounding (summation order inside ``bmm``);
float32 follows the same path with single-precision arithmetic. Divergence and the
flush-to-zero rule act exactly as in the numpy backend. Memory: with dense matrices each step
gathers ``A_{i_t}`` for every trial, ``T·n²`` numbers on the device (run large batches in chunks
of trials, e.g. with :func:`spurious.solvers._sgd_summary.sgd_failure_rate`); on a rank-one or
completion operator the operator's torch twin (:func:`spurious.operators.to_torch`: ``a`` or the
index pairs on the device) gives ``A_{i_t} x_t`` in ``O(T n r)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager

import numpy as np

from spurious.core._torch_operators import import_torch, resolve_device, to_torch, torch_available, torch_dtype
from spurious.solvers import _prng

__all__ = ["resolve_device", "sgd_torch", "torch_available"]

#: Largest number of indices moved to the device at once.
MAX_CHUNK_INDICES = 2**22


@contextmanager
def _threads(torch, workers: int | None, dev):
    old = torch.get_num_threads()
    if workers is not None and dev.type == "cpu":
        torch.set_num_threads(workers)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def sgd_torch(
    source,
    b: np.ndarray,
    x0: np.ndarray,
    s: np.ndarray,
    segments: Sequence[int],
    *,
    lr: float,
    beta: float,
    coef: float,
    flush: float = 0.0,
    device: str | None = None,
    dtype: str = "float64",
    workers: int | None = None,
    record: Callable[[int, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Run SGD with momentum in torch; returns ``(x, alive, nit, device)`` as numpy arrays and a name.

    Parameters
    ----------
    source : the dense measurement matrices ``(m, n, n)``, or a rank-one or completion operator
        (its torch twin, :func:`spurious.operators.to_torch`, computes ``A_i x`` on the device)
    b : (m,) the measurements
    x0 : (T, n, r) initial points; ``v₀ = 0``
    s : (4, T) uint64 xoshiro256++ states, advanced in place (one draw per step and trial)
    segments : step counts; after each, ``record(steps_done, x)`` is called (for trajectories)
    lr, beta, coef : step size, momentum and gradient coefficient
    flush : flush-to-zero threshold (0: off), :func:`spurious.sgd`'s ``flush_below``
    device, dtype, workers : torch device, ``"float64"``/``"float32"``, CPU threads
    """
    torch = import_torch()
    dev = resolve_device(device)
    tdt = torch_dtype(dtype)
    T = x0.shape[0]
    m = b.shape[0]
    if isinstance(source, np.ndarray):
        At = torch.as_tensor(source, dtype=tdt, device=dev)

        def apply_i(i, u):
            return torch.bmm(At[i], u)

    else:
        apply_i = to_torch(source, str(dev), dtype).tensor_sampled_apply
    bt = torch.as_tensor(b, dtype=tdt, device=dev)
    x = torch.as_tensor(np.ascontiguousarray(x0), dtype=tdt, device=dev).clone()
    v = torch.zeros_like(x)
    alive = torch.ones(T, dtype=torch.bool, device=dev)
    nit = torch.zeros(T, dtype=torch.int64, device=dev)
    chunk_max = max(1, MAX_CHUNK_INDICES // T)
    done = 0
    with _threads(torch, workers, dev), torch.no_grad():
        for seg in segments:
            left = seg
            while left > 0:
                k = min(left, chunk_max)
                idx = torch.from_numpy(_prng.indices_np(s, m, k)).to(dev)
                for step in range(k):
                    i = idx[step]
                    Ax = apply_i(i, x)
                    y = (x * Ax).sum(dim=(1, 2))
                    R = coef * (y - bt[i])
                    ok = alive & torch.isfinite(R)
                    alive = ok
                    nit += ok
                    vn = beta * v + R[:, None, None] * Ax
                    if flush:
                        vn = vn.masked_fill(vn.abs() < flush, 0.0)
                    xn = x - lr * vn
                    if flush:
                        xn = xn.masked_fill(xn.abs() < flush, 0.0)
                    w = ok[:, None, None]
                    v = torch.where(w, vn, v)
                    x = torch.where(w, xn, x)
                left -= k
            done += seg
            if record is not None:
                record(done, x.to("cpu", torch.float64).numpy())
    return (
        x.to("cpu", torch.float64).numpy().copy(),
        alive.cpu().numpy().copy(),
        nit.cpu().numpy().copy(),
        str(dev),
    )
