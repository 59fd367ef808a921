"""Instance files: a sensing operator, a ground truth and optionally a candidate point.

Format (DESIGN): an ``.npz`` with ``A`` (m × n × n), ``z`` (n × r), optional ``x``
(n × r) and ``b`` (m), ``format`` (integer version, currently 2) and ``scaling`` (the
objective's convention, see :data:`spurious.core._losses.SCALINGS`). Other 0-d entries
(strings or numbers, e.g. the factorization a generator used) are kept as metadata;
anything else is ignored. Files are data from strangers: they are read with
``allow_pickle=False`` and every array's dtype, shape and finiteness is checked.

Format 2 adds the matrix-free operators (issue #12), named by a string entry ``operator``
and stored by what defines them instead of ``A``:

* ``operator = "rank-one"``: ``a`` (m × n), the vectors of ``A_i = a_i a_iᵀ``;
* ``operator = "completion"``: ``omega`` (m × 2 integers, pairs ``i ≤ j``) and ``n``;
* ``operator = "gaussian"`` / ``"symmetric-gaussian"``: ``seed``, ``m``, ``n`` and ``generator``
  (the generator's description, :data:`spurious.core._matrix_free.GAUSSIAN_GENERATOR`).

A file without ``operator`` (every format-1 file) is dense, as before. Declared sizes are
checked from the headers before anything is loaded, and the working set of a matrix-free
instance (its ``n × n`` ground truth and one block of rows) against the same limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spurious.core._arrayfiles import MAX_FILE_BYTES_ENV, declared_arrays, max_file_bytes, read_arrays
from spurious.core._atomic import atomic_write
from spurious.core._errors import InputError, InstanceFileError, TooLargeError
from spurious.core._matrix_free import (
    GAUSSIAN_GENERATOR,
    KINDS,
    EntrySamplingOperator,
    GaussianBlockOperator,
    MatrixFreeOperator,
    RankOneOperator,
    entry_sampling,
    gaussian_blocks,
    is_matrix_free,
    quadratic_sensing,
    symmetric_gaussian_blocks,
)
from spurious.core._operators import DEFAULT_MAX_BYTES, SensingOperator, from_matrices
from spurious.core._problems import SymmetricProblem, least_squares
from spurious.core._rng import check_seed
from spurious.core._summary import jsonable, summary_lines
from spurious.core._validation import as_factor, as_real_array, check_bytes, check_float, check_int, format_bytes

FORMAT_VERSION = 2

#: Entries of an instance file that are not metadata: common ones, and those of each operator kind.
_COMMON_KEYS = ("z", "x", "b", "format", "scaling", "operator")
_KIND_KEYS = {
    "dense": ("A",),
    "rank-one": ("a",),
    "completion": ("omega", "n"),
    "gaussian": ("seed", "m", "n", "generator"),
    "symmetric-gaussian": ("seed", "m", "n", "generator"),
}


@dataclass(frozen=True, eq=False)
class Instance:
    """A matrix-sensing instance ``f(x) = s‖A(xxᵀ) − b‖²`` with ground truth ``z zᵀ``.

    Attributes
    ----------
    operator : SensingOperator or MatrixFreeOperator
        The measurements ``A(X)_i = ⟨A_i, X⟩``, ``i = 1 … m`` (dense, or one of the
        matrix-free kinds of :mod:`spurious.operators`).
    z : (n, r') array
        Ground-truth factor, ``M* = z zᵀ``.
    x : (n, r) array or None
        A candidate point (the point a generator or a paper makes a claim about).
    b : (m,) array or None
        Measurements; None means the noiseless ``b = A(z zᵀ)``.
    scaling : {"plain", "half", "mean", "half-mean"}
        The factor ``s``: 1, ½, 1/m or 1/(2m).
    metadata : dict
        Scalars and strings stored with the instance (e.g. ``order``, ``margin``, ``delta``
        of a counterexample); kept through :func:`save_instance` / :func:`load_instance`.
    """

    operator: SensingOperator | MatrixFreeOperator
    z: np.ndarray
    x: np.ndarray | None = None
    b: np.ndarray | None = None
    scaling: str = "plain"
    metadata: dict[str, object] = field(default_factory=dict)

    def problem(self, r: int | None = None) -> SymmetricProblem:
        """The least-squares problem of this instance (search rank ``r``, default that of ``x`` or ``z``)."""
        if r is None:
            r = (self.x if self.x is not None else self.z).shape[1]
        return least_squares(self.operator, self.z, r=r, b=self.b, scaling=self.scaling)

    def __str__(self) -> str:
        r = self.z.shape[1]
        return summary_lines(
            f"Instance (n = {self.operator.n}, m = {self.operator.m}, rank(z) = {r})",
            [
                ("z", self.z if self.z.size <= 6 else ...),
                ("x", self.x if self.x is not None else None),
                ("b given", self.b is not None),
                ("scaling", self.scaling),
                ("metadata", ", ".join(f"{k} = {v}" for k, v in self.metadata.items()) or ...),
            ],
        )

    def __repr__(self) -> str:
        return (
            f"Instance(n={self.operator.n}, m={self.operator.m}, r={self.z.shape[1]}, "
            f"x={'yes' if self.x is not None else 'no'}, scaling={self.scaling!r})"
        )

    def to_dict(self) -> dict[str, object]:
        """Sizes, ``z``, ``x``, ``b`` and the metadata (the matrices are in :func:`save_instance`'s file)."""
        return jsonable(
            {
                "n": self.operator.n,
                "m": self.operator.m,
                "r": int(self.z.shape[1]),
                "z": self.z,
                "x": self.x,
                "b": self.b,
                "scaling": self.scaling,
                "metadata": {
                    k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in self.metadata.items()
                },
            }
        )


def save_instance(path: str | os.PathLike, inst: Instance, max_bytes: float = DEFAULT_MAX_BYTES) -> Path:
    """Write ``inst`` to ``path`` (atomically); refuse if the dense ``A`` exceeds ``max_bytes``.

    Parameters
    ----------
    path : str or path-like
        Destination ``.npz`` file (written through a temporary file and renamed, so a failed
        write leaves neither a partial file nor a temporary one).
    inst : Instance
        The instance; its metadata must not use the reserved keys ``A``, ``z``, ``x``, ``b``,
        ``format`` or ``scaling``.
    max_bytes : float
        Largest dense ``(m, n, n)`` array of measurement matrices to write.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TooLargeError
        The dense matrices would exceed ``max_bytes``.
    InputError
        A metadata key is reserved, or the operator is a user's callables (which have no
        file form).

    Notes
    -----
    The format (``A``, ``z``, optional ``x`` and ``b``, ``format``, ``scaling`` and 0-d
    metadata entries) is described in the user guide, "Instance files". A matrix-free operator
    is written by what defines it (format 2: ``operator`` and ``a``, ``omega`` or ``seed``; see
    the module docstring and the guide's "Operators at large n").

    Examples
    --------
    >>> import pathlib, tempfile
    >>> ex = sp.get_example("zhang2018-example3")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = sp.save_instance(pathlib.Path(tmp) / "ex3.npz", ex.instance)
    ...     inst = sp.load_instance(path)
    >>> path.name, inst.operator.m, inst.operator.n
    ('ex3.npz', 3, 2)
    >>> bool(np.array_equal(inst.x, ex.instance.x)), inst.metadata
    (True, {'example': 'zhang2018-example3'})
    """
    op = inst.operator
    if is_matrix_free(op):
        arrays = _matrix_free_arrays(op)
    else:
        check_bytes(8.0 * op.m * op.n * op.n, f"writing {op.m} dense {op.n}×{op.n} matrices", max_bytes)
        arrays = {"A": op.matrices(max_bytes=max_bytes)}
    arrays.update({"z": inst.z, "format": np.int64(FORMAT_VERSION), "scaling": np.str_(inst.scaling)})
    if inst.x is not None:
        arrays["x"] = inst.x
    if inst.b is not None:
        arrays["b"] = inst.b
    for k, v in inst.metadata.items():
        if k in arrays or k in ("x", "b"):
            raise InputError(f"metadata key {k!r}: reserved for the instance's own arrays")
        arrays[k] = np.str_(v) if isinstance(v, str) else np.asarray(v)
    return atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".tmp.npz")


def _matrix_free_arrays(op: MatrixFreeOperator) -> dict[str, object]:
    """The entries that define a matrix-free operator in a format-2 file."""
    if isinstance(op, RankOneOperator):
        return {"operator": np.str_(op.kind), "a": op.a}
    if isinstance(op, EntrySamplingOperator):
        return {"operator": np.str_(op.kind), "omega": op.omega, "n": np.int64(op.n)}
    if isinstance(op, GaussianBlockOperator):
        return {
            "operator": np.str_(op.kind),
            "seed": np.int64(op.seed),
            "m": np.int64(op.m),
            "n": np.int64(op.n),
            "generator": np.str_(op.generator),
        }
    raise InputError(
        f"operator {op.label!r}: a {op.kind} operator has no file form (only rank-one, completion, "
        "gaussian and symmetric-gaussian operators are written)"
    )


def _scalar_int(path: Path, contents: dict, key: str, low: int) -> int:
    if key not in contents:
        raise InstanceFileError(f"{path}: no entry {key!r}")
    v = np.asarray(contents[key])
    if v.ndim != 0 or v.dtype.kind not in "iu":
        raise InstanceFileError(f"{path}: {key!r} must be an integer, got {v.tolist()!r}")
    value = int(v)
    if value < low:
        raise InstanceFileError(f"{path}: {key!r} = {value}, expected ≥ {low}")
    return value


def _check_dense_side(path: Path, n: int, what: str, max_bytes: float | None) -> None:
    """The ``n × n`` matrices a matrix-free instance still holds (its ground truth, one block)."""
    need = 3 * 8.0 * n * n
    limit = max_file_bytes(max_bytes)
    if need > limit:
        raise TooLargeError(
            f"{path}: a {what} instance with n = {n:,} needs about {format_bytes(need)} for its n×n ground truth "
            f"and working matrices, above the limit of {format_bytes(limit)} (raise it with {MAX_FILE_BYTES_ENV}=BYTES)"
        )


def _matrix_free_operator(path: Path, contents: dict, kind: str, max_bytes: float | None) -> MatrixFreeOperator:
    """The operator of a format-2 matrix-free file (entries validated, sizes checked)."""
    label = path.name
    if kind == "rank-one":
        if "a" not in contents:
            raise InstanceFileError(f"{path}: no array 'a' (the m×n rank-one measurement vectors)")
        if contents["a"].dtype.kind not in "fiu":
            raise InstanceFileError(f"{path}: 'a' has non-numeric dtype {contents['a'].dtype}")
        a = as_real_array(contents["a"], f"{path}: a", ndim=2)
        _check_dense_side(path, a.shape[1], kind, max_bytes)
        return RankOneOperator(a, label=label)
    if kind == "completion":
        n = _scalar_int(path, contents, "n", 1)
        if "omega" not in contents:
            raise InstanceFileError(f"{path}: no array 'omega' (the observed pairs, m×2 integers)")
        omega = np.asarray(contents["omega"])
        if omega.dtype.kind not in "iu" or omega.ndim != 2 or omega.shape[1] != 2:
            raise InstanceFileError(f"{path}: 'omega' must be an m×2 integer array, got {omega.dtype} {omega.shape}")
        _check_dense_side(path, n, kind, max_bytes)
        return EntrySamplingOperator(n, omega[:, 0], omega[:, 1], label=label)
    # gaussian kinds
    m = _scalar_int(path, contents, "m", 1)
    n = _scalar_int(path, contents, "n", 1)
    seed = _scalar_int(path, contents, "seed", 0)
    gen = str(contents["generator"]) if "generator" in contents else GAUSSIAN_GENERATOR
    if gen != GAUSSIAN_GENERATOR:
        raise InstanceFileError(f"{path}: generator {gen!r} is not known (this version: {GAUSSIAN_GENERATOR!r})")
    _check_dense_side(path, n, kind, max_bytes)
    return GaussianBlockOperator(m, n, seed, kind, label=label)


def _format_version(path: Path, value: np.ndarray) -> int:
    """The file's ``format`` entry as an integer (a string, an array or NaN is refused)."""
    v = np.asarray(value)
    if v.ndim != 0 or v.dtype.kind not in "iuf" or not np.isfinite(v) or v != np.floor(v):
        raise InstanceFileError(f"{path}: 'format' must be an integer version, got {v.tolist()!r}")
    return int(v)


def _check_working_set(path: Path, max_bytes: float | None) -> None:
    """Refuse, from the headers alone, an instance whose dense operator would not fit in memory.

    A dense instance of ``m`` matrices ``n × n`` holds ``A`` (``8mn²`` bytes), its svec matrix
    (``8mN``, ``N = n(n+1)/2``) and the svec index tables (about ``40n²``): a small compressed file
    that declares ``n = 10⁴`` needs gigabytes although ``A`` alone may be under the file limit.
    """
    if not path.is_file():
        return  # read_arrays says what is wrong
    declared = declared_arrays(path)
    shape = declared.get("A", ((),))[0]
    if len(shape) != 3:
        return  # not a dense instance: read_arrays and the checks below say what is wrong
    m, n = float(shape[0]), float(shape[1])
    need = 8.0 * m * n * n + 8.0 * m * n * (n + 1) / 2 + 40.0 * n * n
    limit = max_file_bytes(max_bytes)
    if need > limit:
        raise TooLargeError(
            f"{path}: a dense instance of {int(m):,} matrices {int(n):,}×{int(n):,} needs about {format_bytes(need)} "
            f"in memory (A, its svec matrix and index tables), above the limit of {format_bytes(limit)} "
            f"(raise it with {MAX_FILE_BYTES_ENV}=BYTES)"
        )


def load_instance(path: str | os.PathLike, *, max_bytes: float | None = None) -> Instance:
    """Read and validate an instance file; raises :class:`InstanceFileError` naming the problem.

    The arrays' declared sizes are checked before anything is read
    (:func:`spurious.core._arrayfiles.read_arrays`: ``max_bytes``, default 2 GB or
    ``$SPURIOUS_MAX_FILE_BYTES``); a file over the limit raises :class:`TooLargeError`.

    Parameters
    ----------
    path : str or path-like
        An ``.npz`` instance file (as written by :func:`save_instance`). It is read with
        ``allow_pickle=False``; every array's dtype, shape and finiteness is checked.
    max_bytes : float, optional
        Largest total size of the arrays to read (default 2 GB or
        ``$SPURIOUS_MAX_FILE_BYTES``).

    Returns
    -------
    Instance
        Operator labelled with the file name, ``z``, ``x`` and ``b`` when present, the
        ``scaling`` (default ``"plain"``) and the 0-d entries as ``metadata``.

    Raises
    ------
    InstanceFileError
        The file is missing, unreadable, newer than this version or malformed (the message
        names the file and the entry).
    TooLargeError
        The arrays exceed ``max_bytes``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = sp.save_instance(pathlib.Path(tmp) / "ex3.npz", sp.get_example("zhang2018-example3").instance)
    ...     inst = sp.load_instance(path)
    >>> inst.operator.label, inst.scaling, inst.x.shape
    ('ex3.npz', 'plain', (2, 1))
    """
    path = Path(path)
    try:
        _check_working_set(path, max_bytes)
        contents = read_arrays(path, max_bytes=max_bytes)
    except TooLargeError:
        raise
    except InputError as exc:
        raise InstanceFileError(str(exc)) from None
    if list(contents) == [""]:
        raise InstanceFileError(f"{path}: an .npy array, not an .npz instance file")
    kind = "dense"
    if "operator" in contents:
        raw = contents["operator"]
        if raw.ndim != 0 or raw.dtype.kind != "U" or str(raw) not in ("dense", *KINDS):
            raise InstanceFileError(
                f"{path}: 'operator' = {raw.tolist()!r}, expected one of {', '.join(('dense', *KINDS))}"
            )
        kind = str(raw)
    if kind == "dense" and "A" not in contents:
        raise InstanceFileError(f"{path}: no array 'A' (the m×n×n measurement matrices)")
    try:
        fmt = _format_version(path, contents.get("format", np.int64(FORMAT_VERSION)))
        if fmt > FORMAT_VERSION:
            raise InstanceFileError(f"{path}: format {fmt} is newer than this version ({FORMAT_VERSION})")
        if kind != "dense" and fmt < 2:
            raise InstanceFileError(f"{path}: a {kind} operator needs format 2, the file says {fmt}")
        for key in ("A", "z", "x", "b"):
            if key in contents and contents[key].dtype.kind not in "fiu":
                raise InstanceFileError(f"{path}: '{key}' has non-numeric dtype {contents[key].dtype}")
        if kind == "dense":
            A = as_real_array(contents["A"], f"{path}: A", ndim=3)
            op = from_matrices(A, label=path.name)
        else:
            op = _matrix_free_operator(path, contents, kind, max_bytes)
        if "z" not in contents:
            raise InstanceFileError(f"{path}: no array 'z' (the n×r ground-truth factor)")
        z = as_factor(contents["z"], f"{path}: z", n=op.n)
        x = as_factor(contents["x"], f"{path}: x", n=op.n) if "x" in contents else None
        b = None
        if "b" in contents:
            b = as_real_array(contents["b"], f"{path}: b", ndim=1)
            if b.shape[0] != op.m:
                raise InstanceFileError(f"{path}: b has length {b.shape[0]}, expected m = {op.m}")
        scaling = str(contents["scaling"]) if "scaling" in contents else "plain"
    except InstanceFileError:
        raise
    except InputError as exc:
        msg = str(exc)  # errors from as_* name the file already; from_matrices's do not
        raise InstanceFileError(msg if msg.startswith(f"{path}:") else f"{path}: {msg}") from None
    meta = {
        k: (v.item() if v.dtype.kind != "U" else str(v))
        for k, v in contents.items()
        if k not in _COMMON_KEYS + _KIND_KEYS[kind] and v.ndim == 0 and v.dtype.kind in "biufU"
    }
    inst = Instance(op, z, x, b, scaling, meta)
    try:
        inst.problem()
    except InputError as exc:
        raise InstanceFileError(f"{path}: {exc}") from None
    return inst


def make_instance(
    operator: str,
    n: int,
    rank: int,
    m: int | None = None,
    p: float | None = None,
    seed: int = 0,
    z: np.ndarray | None = None,
) -> Instance:
    """A random matrix-free instance: operator of the given kind, ground truth ``z`` (noiseless ``b``).

    Parameters
    ----------
    operator : {"gaussian", "symmetric-gaussian", "rank-one", "completion"}
        The kind (:mod:`spurious.operators`): Gaussian or GOE measurements regenerated from
        the seed in row blocks (:func:`~spurious.operators.gaussian_blocks`,
        :func:`~spurious.operators.symmetric_gaussian_blocks`), rank-one ``a_i a_iᵀ``
        (:func:`~spurious.operators.quadratic_sensing`) or PSD matrix completion with each
        pair ``i ≤ j`` observed with probability ``p`` (:func:`~spurious.operators.entry_sampling`).
    n : int
        Matrix order.
    rank : int
        Rank of the ground truth ``z`` (``n × rank``).
    m : int, optional
        Number of measurements (every kind but ``"completion"``).
    p : float, optional
        Sampling probability in ``(0, 1]`` (``"completion"`` only).
    seed : int
        The operator draws from ``numpy.random.default_rng(seed)`` (the Gaussian kinds are
        defined by it); ``z`` from ``default_rng(SeedSequence(seed, spawn_key=(1,)))``, i.i.d.
        standard normal.
    z : (n, rank) array, optional
        The ground truth to use instead.

    Returns
    -------
    Instance
        ``operator``, ``z``, ``b = None`` (noiseless), ``scaling = "plain"``; metadata
        ``{"instance_seed": seed}``. Write it with :func:`save_instance`.

    Raises
    ------
    InputError
        Unknown kind, ``m``/``p`` missing or given for the wrong kind, bad sizes, a ``z`` of
        the wrong shape.
    TooLargeError
        The operator's data would exceed the memory limit.

    Examples
    --------
    >>> inst = sp.make_instance("rank-one", n=50, rank=2, m=400, seed=0)
    >>> inst.operator.kind, inst.operator.m, inst.z.shape
    ('rank-one', 400, (50, 2))
    >>> float(inst.problem().value(inst.z))
    0.0
    """
    if operator not in KINDS:
        raise InputError(f"operator = {operator!r}: expected one of {', '.join(KINDS)}")
    n = check_int(n, "n", 1)
    rank = check_int(rank, "rank", 1)
    if rank > n:
        raise InputError(f"rank = {rank}: must satisfy rank ≤ n = {n}")
    seed = check_seed(seed)
    check_bytes(8.0 * n * rank, f"a ground truth z of {n}×{rank}", DEFAULT_MAX_BYTES)
    if operator in ("gaussian", "symmetric-gaussian"):
        check_bytes(8.0 * n * n, f"one {n}×{n} Gaussian measurement matrix (a row block)", DEFAULT_MAX_BYTES)
    if operator == "completion":
        if m is not None:
            raise InputError(f"m = {m}: a completion operator takes p (the sampling rate), not m")
        if p is None:
            raise InputError("p: a completion operator needs the sampling rate p")
        op = entry_sampling(n, check_float(p, "p", 0.0, 1.0, open_low=True), rng=seed)
    else:
        if p is not None:
            raise InputError(f"p = {p}: only a completion operator takes p; a {operator} operator takes m")
        if m is None:
            raise InputError(f"m: a {operator} operator needs the number of measurements m")
        m = check_int(m, "m", 1)
        if operator == "rank-one":
            op = quadratic_sensing(m, n, rng=seed)
        elif operator == "gaussian":
            op = gaussian_blocks(m, n, seed=seed)
        else:
            op = symmetric_gaussian_blocks(m, n, seed=seed)
    if z is None:
        z = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,))).standard_normal((n, rank))
    else:
        z = as_factor(z, "z", n=n)
        if z.shape[1] != rank:
            raise InputError(f"z: has {z.shape[1]} columns, expected rank = {rank}")
    return Instance(op, z, metadata={"instance_seed": seed})
