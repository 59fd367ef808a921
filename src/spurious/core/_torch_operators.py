"""Torch twins of the matrix-free operators: the batched maps on a torch device (CPU or CUDA).

``to_torch(op, device, dtype)`` copies what defines a rank-one or completion operator to the
device — the vectors ``a`` (``m × n``), or the index pairs and weights of ``Ω`` — and returns a
:class:`~spurious.operators.MatrixFreeOperator` whose maps (``apply``, ``adjoint``,
``apply_outer``, ``apply_sym``, ``adjoint_apply``, ``residual_adjoint_apply``,
``hessian_core``) compute in torch and take and return float64 numpy arrays. Every solver and certificate that runs on a
matrix-free operator therefore runs on the twin unchanged (``sp.gd``, ``sp.perturbed_gd``,
``sp.projected_sgd``, ``sp.certify``, ``sp.init.spectral``), with the ``O(m n r)`` products on the
device; each call moves its factor ``(T, n, r)`` in and its result out (``T·n·r`` or ``T·m``
numbers), the operator itself stays there.

Formulas (those of :mod:`spurious.core._matrix_free`, in torch):

* rank-one: ``P = a U`` ``(B, m, r)``; ``A(U Uᵀ) = Σ_c P²``, ``A*(y) U = aᵀ (y ⊙ P)``, and the
  gradient's core ``A*(A(UUᵀ) − b) U`` from one product ``P``;
* completion: ``A(U Uᵀ)_k = w_k ⟨U_{i_k}, U_{j_k}⟩``; ``A*(y) U`` adds ``(w_k/2) y_k U_{j_k}`` to
  row ``i_k`` and ``(w_k/2) y_k U_{i_k}`` to row ``j_k`` (a sparse CSR product with the numpy
  operator's pattern).

``dtype="float32"`` computes in single precision (results agree with float64 to about 1e-5
relative on well-scaled data; the values returned are float64). torch is imported when a twin is
built (``import spurious`` never loads it).
"""

from __future__ import annotations

import warnings
from abc import abstractmethod

import numpy as np

from spurious.core._errors import InputError
from spurious.core._matrix_free import (
    EntrySamplingOperator,
    MatrixFreeOperator,
    RankOneOperator,
    _batch_pair,
    _chunks,
    _factor,
    _flat,
    _measurements,
    _symmetric_arg,
)

DTYPES = ("float64", "float32")


def torch_available() -> bool:
    """Whether torch can be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def import_torch(what: str = "backend = 'torch'"):
    """The torch module; :class:`InputError` naming ``what`` when it is not installed."""
    try:
        import torch
    except ImportError:
        raise InputError(f"{what}: torch is not installed (pip install 'spurious[torch]')") from None
    return torch


def resolve_device(device: str | None, what: str = "backend = 'torch'"):
    """The torch device for ``device`` (default ``"cpu"``); :class:`InputError` if unknown or unavailable."""
    torch = import_torch(what)
    if device is not None and not isinstance(device, str):
        raise InputError(f"device = {device!r}: expected a torch device name such as 'cpu' or 'cuda:0'")
    try:
        dev = torch.device(device or "cpu")
    except (RuntimeError, TypeError):
        raise InputError(f"device = {device!r}: not a torch device") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device = {device!r}: CUDA is not available")
    if dev.type not in ("cpu", "cuda"):
        raise InputError(f"device = {device!r}: only cpu and cuda are supported")
    return dev


def torch_dtype(dtype: str):
    """``torch.float64`` or ``torch.float32`` for ``"float64"`` / ``"float32"``."""
    if dtype not in DTYPES:
        raise InputError(f"dtype = {dtype!r}: expected one of {', '.join(DTYPES)}")
    torch = import_torch()
    return {"float64": torch.float64, "float32": torch.float32}[dtype]


class TorchOperator(MatrixFreeOperator):
    """The torch twin of a rank-one or completion operator (built by :func:`to_torch`).

    The batched maps take and return float64 numpy arrays, as those of every
    :class:`~spurious.operators.MatrixFreeOperator`, and compute in torch on ``device`` in
    ``dtype``. ``frobenius_norm_sq`` and ``to_dense`` are the source's (exact, on the host).

    Attributes
    ----------
    source : RankOneOperator or EntrySamplingOperator
        The numpy operator it twins (same ``A_i``).
    kind, n, m, label
        As the source's (``label`` adds the device and dtype).
    device : torch.device
        Where the operator's data live and the maps compute.
    dtype : {"float64", "float32"}
        Working precision.
    """

    def __init__(self, source: MatrixFreeOperator, device, dtype: str) -> None:
        self.source = source
        self.kind, self.n, self.m = source.kind, source.n, source.m
        self.dtype = dtype
        self._tdtype = torch_dtype(dtype)
        self.device = device
        self.label = f"{source.label or source.kind} ({device}, {dtype})"

    # ------------------------------------------------------------------ host ↔ device
    def _t(self, a: np.ndarray):
        torch = import_torch()
        return torch.tensor(np.asarray(a), dtype=self._tdtype, device=self.device)  # a copy: inputs may be read-only

    @staticmethod
    def _np(t) -> np.ndarray:
        import torch

        return t.to("cpu", torch.float64).numpy()

    def _batched(self, fn, out_tail: tuple[int, ...], per_item_bytes: float, *arrays: np.ndarray) -> np.ndarray:
        """``fn`` on chunks of the batch (leading axis of ``arrays``), results gathered on the host."""
        import torch

        B = arrays[0].shape[0]
        out = np.empty((B, *out_tail))
        with torch.no_grad():
            for sl in _chunks(B, per_item_bytes):
                out[sl] = self._np(fn(*(self._t(a[sl]) for a in arrays)))
        return out

    # ------------------------------------------------------------------ the interface (numpy in, numpy out)
    def apply(self, X: np.ndarray) -> np.ndarray:
        X, lead = _flat(_symmetric_arg(X, self.n), 2)
        out = self._batched(self._apply_t, (self.m,), 8.0 * self.n * self.n + 8.0 * self.m, X)
        return out.reshape((*lead, self.m))

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        y, lead = _flat(_measurements(y, self.m), 1)
        out = self._batched(self._adjoint_t, (self.n, self.n), 16.0 * self.n * self.n, y)
        return out.reshape((*lead, self.n, self.n))

    def apply_outer(self, U: np.ndarray) -> np.ndarray:
        U, lead = _flat(_factor(U, self.n), 2)
        out = self._batched(self._outer_t, (self.m,), 16.0 * self.m * U.shape[2], U)
        return out.reshape((*lead, self.m))

    def apply_sym(self, U: np.ndarray, V: np.ndarray) -> np.ndarray:
        U, V = np.broadcast_arrays(_factor(U, self.n), _factor(V, self.n, "V"))
        lead = U.shape[:-2]
        U, V = U.reshape((-1, *U.shape[-2:])), V.reshape((-1, *V.shape[-2:]))
        out = self._batched(self._sym_t, (self.m,), 32.0 * self.m * U.shape[2], U, V)
        return out.reshape((*lead, self.m))

    def adjoint_apply(self, y: np.ndarray, U: np.ndarray) -> np.ndarray:
        y, U, lead = _batch_pair(y, U, self.n, self.m)
        out = self._batched(self._adjoint_apply_t, U.shape[1:], 16.0 * self.m * U.shape[2], y, U)
        return out.reshape((*lead, *U.shape[1:]))

    def residual_adjoint_apply(self, U: np.ndarray, b: np.ndarray) -> np.ndarray:
        U, lead = _flat(_factor(U, self.n), 2)
        bt = self._t(_measurements(b, self.m))
        out = self._batched(lambda u: self._residual_t(u, bt), U.shape[1:], 24.0 * self.m * U.shape[2], U)
        return out.reshape((*lead, *U.shape[1:]))

    def hessian_core(self, x: np.ndarray, u: np.ndarray, res: np.ndarray) -> np.ndarray:
        x, u = np.broadcast_arrays(_factor(x, self.n, "x"), _factor(u, self.n))
        lead = x.shape[:-2]
        x, u = x.reshape((-1, *x.shape[-2:])), u.reshape((-1, *u.shape[-2:]))
        res = np.broadcast_to(_measurements(res, self.m), (*lead, self.m)).reshape(-1, self.m)
        out = self._batched(self._hessian_core_t, x.shape[1:], 40.0 * self.m * x.shape[2], x, u, res)
        return out.reshape((*lead, *x.shape[1:]))

    def frobenius_norm_sq(self) -> float:
        return self.source.frobenius_norm_sq()

    def restricted_norm_sq_bound(self, rank: int) -> tuple[float, str]:
        return self.source.restricted_norm_sq_bound(rank)

    def _dense_matrix(self) -> np.ndarray:
        return self.source._dense_matrix()

    # ------------------------------------------------------------------ tensor maps (tensors in and out), per kind
    @abstractmethod
    def tensor_sampled_apply(self, i, U):
        """``A_{i_t} U_t`` for an index tensor ``i`` ``(T,)`` and ``U`` ``(T, n, r)`` on the device (batch-one SGD)."""

    @abstractmethod
    def _apply_t(self, X):
        """``A(X)``: ``(B, n, n) → (B, m)``."""

    @abstractmethod
    def _adjoint_t(self, y):
        """``A*(y)``: ``(B, m) → (B, n, n)``."""

    @abstractmethod
    def _outer_t(self, U):
        """``A(U Uᵀ)``: ``(B, n, r) → (B, m)``."""

    @abstractmethod
    def _sym_t(self, U, V):
        """``A(U Vᵀ + V Uᵀ)``: ``(B, n, r)²  → (B, m)``."""

    @abstractmethod
    def _adjoint_apply_t(self, y, U):
        """``A*(y) U``: ``(B, m), (B, n, r) → (B, n, r)``."""

    def _residual_t(self, U, b):
        """``A*(A(U Uᵀ) − b) U`` (fused where cheaper)."""
        return self._adjoint_apply_t(self._outer_t(U) - b, U)

    def _hessian_core_t(self, x, u, res):
        """``A*(res) u + A*(A(x uᵀ + u xᵀ)) x`` (fused where cheaper)."""
        return self._adjoint_apply_t(res, u) + self._adjoint_apply_t(self._sym_t(x, u), x)

    def __repr__(self) -> str:
        where = f"device={str(self.device)!r}, dtype={self.dtype!r}"
        return f"TorchOperator(kind={self.kind!r}, m={self.m}, n={self.n}, {where})"


class _TorchRankOne(TorchOperator):
    """Rank-one ``A_i = a_i a_iᵀ``: the vectors ``a`` ``(m, n)`` on the device."""

    def __init__(self, source: RankOneOperator, device, dtype: str) -> None:
        super().__init__(source, device, dtype)
        self._a = self._t(source.a)

    @property
    def nbytes(self) -> int:
        return int(self._a.element_size() * self._a.nelement())

    def _project(self, U):
        """``a U`` for ``U`` ``(B, n, r)`` → ``(B, m, r)``, in one matrix product."""
        B, n, r = U.shape
        return (self._a @ U.permute(1, 0, 2).reshape(n, B * r)).reshape(self.m, B, r).permute(1, 0, 2)

    def _back(self, W):
        """``aᵀ W`` for ``W`` ``(B, m, r)`` → ``(B, n, r)``, in one matrix product."""
        B, m, r = W.shape
        return (self._a.T @ W.permute(1, 0, 2).reshape(m, B * r)).reshape(self.n, B, r).permute(1, 0, 2)

    def _apply_t(self, X):
        out = X.new_empty((X.shape[0], self.m))
        for sl in _chunks(self.m, 8.0 * self.n * X.shape[0]):
            a = self._a[sl]
            out[:, sl] = ((a @ X) * a).sum(-1)
        return out

    def _adjoint_t(self, y):
        out = y.new_zeros((y.shape[0], self.n, self.n))
        for sl in _chunks(self.m, 8.0 * self.n * y.shape[0]):
            a = self._a[sl]
            out += a.T @ (y[:, sl, None] * a)
        return out

    def _outer_t(self, U):
        P = self._project(U)
        return (P * P).sum(-1)

    def _sym_t(self, U, V):
        return 2.0 * (self._project(U) * self._project(V)).sum(-1)

    def _adjoint_apply_t(self, y, U):
        return self._back(self._project(U) * y[:, :, None])

    def _residual_t(self, U, b):
        P = self._project(U)  # one product a U serves both A(UUᵀ) and A*(res) U
        return self._back(P * ((P * P).sum(-1) - b)[:, :, None])

    def _hessian_core_t(self, x, u, res):
        r = x.shape[2]
        PQ = self._project(import_torch().cat([x, u], dim=-1))  # one product a [x u] and one aᵀ W serve both terms
        P, Q = PQ[..., :r], PQ[..., r:]
        return self._back(Q * res[:, :, None] + 2.0 * (P * Q).sum(-1)[:, :, None] * P)

    def tensor_sampled_apply(self, i, U):
        a = self._a[i]  # (T, n)
        return a[:, :, None] * (a[:, None, :] @ U)


class _TorchEntrySampling(TorchOperator):
    """Completion ``A(X)_k = w_k X_{i_k j_k}``: the index pairs and weights on the device."""

    def __init__(self, source: EntrySamplingOperator, device, dtype: str) -> None:
        super().__init__(source, device, dtype)
        torch = import_torch()
        self._rows = torch.as_tensor(source.rows.copy(), dtype=torch.int64, device=device)
        self._cols = torch.as_tensor(source.cols.copy(), dtype=torch.int64, device=device)
        self._w = self._t(source.weights)
        self._hw = self._t(source._half_w)
        self._ij = self._rows * self.n + self._cols  # flat positions in an n × n matrix
        self._ji = self._cols * self.n + self._rows
        # the CSR pattern of A*(y) (both triangles), as the numpy operator's: A*(y) U by sparse products
        self._crow = torch.as_tensor(source._csr_indptr.astype(np.int64), device=device)
        self._ccol = torch.as_tensor(source._csr_cols.astype(np.int64), device=device)
        self._csrc = torch.as_tensor(source._csr_src.copy(), dtype=torch.int64, device=device)

    @property
    def nbytes(self) -> int:
        ts = (self._rows, self._cols, self._w, self._hw, self._ij, self._ji, self._crow, self._ccol, self._csrc)
        return int(sum(t.element_size() * t.nelement() for t in ts))

    def _apply_t(self, X):
        return X[:, self._rows, self._cols] * self._w

    def _adjoint_t(self, y):
        Y = y.new_zeros((y.shape[0], self.n * self.n))
        v = y * self._hw
        Y.index_add_(1, self._ij, v)
        Y.index_add_(1, self._ji, v)
        return Y.reshape(y.shape[0], self.n, self.n)

    def _outer_t(self, U):
        return (U[:, self._rows] * U[:, self._cols]).sum(-1) * self._w

    def _sym_t(self, U, V):
        s = (U[:, self._rows] * V[:, self._cols]).sum(-1) + (V[:, self._rows] * U[:, self._cols]).sum(-1)
        return s * self._w

    def _adjoint_apply_t(self, y, U):
        torch = import_torch()
        vals = (y * self._hw)[:, self._csrc]  # (B, 2m): the CSR values of each A*(y_b)
        out = torch.empty_like(U)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            for b in range(U.shape[0]):  # a sparse product per batch element (5× index_add_ on a CPU)
                S = torch.sparse_csr_tensor(self._crow, self._ccol, vals[b], (self.n, self.n), check_invariants=False)
                out[b] = S @ U[b]
        return out

    def tensor_sampled_apply(self, i, U):
        torch = import_torch()
        t = torch.arange(U.shape[0], device=U.device)
        ri, ci = self._rows[i], self._cols[i]
        h = self._hw[i][:, None]
        out = torch.zeros_like(U)
        out.index_put_((t, ri), h * U[t, ci], accumulate=True)
        out.index_put_((t, ci), h * U[t, ri], accumulate=True)  # a diagonal pair adds both halves to one row
        return out


def to_torch(operator: MatrixFreeOperator, device: str | None = None, dtype: str = "float64") -> TorchOperator:
    """The torch twin of a rank-one or completion operator: its maps computed on ``device``.

    The twin is a :class:`~spurious.operators.MatrixFreeOperator` with the same ``A_i``; its
    batched maps take and return float64 numpy arrays, so :func:`spurious.least_squares`,
    :func:`spurious.gd`, :func:`spurious.perturbed_gd`, :func:`spurious.projected_sgd`,
    :func:`spurious.certify` and :func:`spurious.init.spectral` run on it unchanged, with the
    ``O(m n r)`` products on the device.

    Parameters
    ----------
    operator : RankOneOperator, EntrySamplingOperator or TorchOperator
        The operator to twin (a twin is re-made from its source).
    device : str, optional
        Torch device: ``"cpu"`` (default), ``"cuda"``, ``"cuda:1"`` …
    dtype : {"float64", "float32"}
        Working precision on the device (float32 agrees with float64 to about 1e-5 relative on
        well-scaled data; results are returned as float64).

    Returns
    -------
    TorchOperator

    Raises
    ------
    InputError
        torch is not installed, the device is unknown or unavailable, ``dtype`` is not one of the
        two, or the operator has no torch twin (Gaussian-block, callable and dense operators).

    Examples
    --------
    >>> op = sp.operators.quadratic_sensing(200, 10, rng=0)
    >>> tw = sp.operators.to_torch(op, dtype="float64")          # doctest: +SKIP
    >>> U = np.ones((3, 10, 2))
    >>> np.allclose(tw.apply_outer(U), op.apply_outer(U))        # doctest: +SKIP
    True
    """
    if isinstance(operator, TorchOperator):
        operator = operator.source
    if dtype not in DTYPES:
        raise InputError(f"dtype = {dtype!r}: expected one of {', '.join(DTYPES)}")
    if not isinstance(operator, RankOneOperator | EntrySamplingOperator):
        kind = getattr(operator, "kind", None) or type(operator).__name__
        raise InputError(
            f"to_torch: a {kind} operator has no torch twin (rank-one and completion operators have one; "
            "dense operators run SGD on torch through sp.sgd(..., backend='torch'))"
        )
    dev = resolve_device(device, "to_torch")
    cls = _TorchRankOne if isinstance(operator, RankOneOperator) else _TorchEntrySampling
    return cls(operator, dev, dtype)
