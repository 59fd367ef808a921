"""Built-in examples from the papers, written as sensing instances with their claimed points.

=========================================  ================================================
name                                       what it is
=========================================  ================================================
``zhang2018-example3``                     zhang2018 Example 3: (2, 1/2)-RIP, ``z = (1, 0)``,
                                           claimed point ``x = (0, 1/√2)``
``bhojanapalli2016-example1``              bhojanapalli2016 §5 Example 1 as printed
``bhojanapalli2016-example2``              bhojanapalli2016 §5 Example 2 as printed
``bhojanapalli2016-example1-rankR``        the printed rank-r extension of Example 1 (r = R)
``bhojanapalli2016-example2-rankR``        the printed rank-r extension of Example 2 (R odd)
``bhojanapalli2016-example1-corrected``    smallest change of Example 1 with a strict local min
``bhojanapalli2016-example2-corrected``    smallest change of Example 2 with a strict local min
``bhojanapalli2016-exampleK-corrected-rankR``  corrected extensions
=========================================  ================================================

What the certificate (:func:`spurious.certify`) finds — the papers' claims checked,
not trusted (tests in ``tests/test_examples.py``):

* zhang2018 Example 3: ``f = 3/2``, ``∇f = 0``, ``∇²f = diag(0, 8)``: a spurious
  second-order point, but not a local minimum (``f = 3/2 − 4a⁴`` along
  ``(a, √(½ − a²))``), as DESIGN states.
* bhojanapalli2016 Example 1: for symmetric ``X`` the entries ``X12`` and ``X21`` are the
  same variable, so the printed ``X12² + X21²`` is ``2 X12²`` (the measurement matrices
  ``e1e2ᵀ`` and ``e2e1ᵀ`` are both symmetrized to ``(e1e2ᵀ + e2e1ᵀ)/2``). At ``x = (0, 1)``:
  ``∇f = 0``, ``∇²f = diag(0, 8)`` — a second-order point, but with ``x = (t, 1 + e)``,
  ``f − 1 = 2((t² + 2e)² − 2e²) + O(5)``, so along ``e = −t²/2``, ``f = 1 − t⁴ + O(t⁶)``:
  **not a local minimum**. With weight ``c`` on ``X12²`` the Hessian is
  ``diag(2c − 4, 8)``: ``c = 2`` is exactly the degenerate case.
* bhojanapalli2016 Example 2: ``Σ_{i≠j} X_ij² = 2 Σ_{i<j} X_ij²``; at
  ``X = diag(0, ½, ½)`` the Hessian has eigenvalue ``−2`` (twice, the directions moving
  row 1 of ``x``): **not even a second-order point** (a strict saddle). With weight ``w``
  on ``Σ_{i<j} X_ij²`` those eigenvalues are ``w − 4``.
* The printed extensions: Example 1's adds ``Σ_{i=3}^{r+2} (X_ii − 1)²``, so ``n = r + 2``
  and ``rank(X*) = rank(X) = r + 1`` (not r; the instance uses search rank ``r + 1`` so
  the claimed points are representable), and leaves ``X_1j`` (``j ≥ 3``) unmeasured:
  a strict saddle for ``r ≥ 1``. Example 2's has no off-diagonal terms at all and puts
  the rank-``(r − 1)`` point ``(I − X*)/2`` under search rank ``r = n``; since
  ``∇f(X) = −2 e1e1ᵀ`` is not PSD, no rank-deficient point can be second order:
  a strict saddle.

Corrected variants (one rule for both): every off-diagonal measurement ``e_ie_jᵀ`` is
replaced by ``e_ie_jᵀ + e_je_iᵀ``, i.e. the term ``X_ij²`` becomes ``(X_ij + X_ji)²``
(``= 4 X_ij²`` for symmetric X). Example 1 then has ``8 X12²`` (Hessian ``diag(12, 8)``,
threshold ``c > 2``); Example 2 has ``w = 8`` (off-symmetry Hessian eigenvalues
``4, 4, 8, 8, 16``, threshold ``w > 4``). Both points become strict local minima with
the same ``f = 1``. The corrected rank-r extensions also measure every off-diagonal entry
this way, and fix the ranks: Example 1's uses ``Σ_{i=3}^{r+1}`` (``n = r + 1``,
``rank(X*) = r``, search rank r); Example 2's keeps ``n = r`` but uses search rank
``r − 1`` (the rank of ``(I − X*)/2``, as in Example 2 where ``n = 3``, ``r = 2``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spurious.core._errors import InputError
from spurious.core._instances import Instance
from spurious.core._operators import from_matrices
from spurious.core._summary import summary_lines

_S = np.sqrt


@dataclass(frozen=True)
class Example:
    """A named built-in instance with the point a paper makes a claim about.

    Attributes
    ----------
    name : str
    description : str
    instance : Instance
        Operator, ground truth ``z``, ``x`` = the claimed point, ``b``.
    claim : str
        What the paper claims about ``x``.
    source : str
        Citation (paper, section, example).
    truth : str
        What :func:`spurious.certify` finds (tested).
    """

    name: str
    description: str
    instance: Instance
    claim: str
    source: str
    truth: str = ""

    def __str__(self) -> str:
        inst = self.instance
        return summary_lines(
            f"Example {self.name}",
            [
                ("description", self.description),
                ("claim", self.claim),
                ("truth", self.truth or ...),
                ("source", self.source),
                ("size", f"n = {inst.operator.n}, m = {inst.operator.m}, r = {inst.z.shape[1]}"),
                ("x", inst.x if inst.x is not None else None),
            ],
        )

    def __repr__(self) -> str:
        return f"Example({self.name!r}, n={self.instance.operator.n}, m={self.instance.operator.m})"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "claim": self.claim,
            "source": self.source,
            "truth": self.truth,
            "instance": self.instance.to_dict(),
        }


def _e(n: int, i: int, j: int) -> np.ndarray:
    E = np.zeros((n, n))
    E[i, j] = 1.0
    return E


def zhang2018_example3() -> Example:
    """zhang2018 Example 3: a (2, 1/2)-RIP instance with a spurious second-order point.

    ``A1 = [[√2, 0], [0, 1/√2]]``, ``A2 = [[0, √(3/2)], [√(3/2), 0]]``,
    ``A3 = [[0, 0], [0, √(3/2)]]``; ``Z = zzᵀ`` with ``z = (1, 0)``; ``x = (0, 1/√2)``.
    The kernel ``H`` has eigenvalues 1, 3, 3 (``‖X‖² ≤ ‖A(X)‖² ≤ 3‖X‖²``, δ = 1/2).
    """
    A = np.array(
        [
            [[_S(2.0), 0.0], [0.0, 1.0 / _S(2.0)]],
            [[0.0, _S(1.5)], [_S(1.5), 0.0]],
            [[0.0, 0.0], [0.0, _S(1.5)]],
        ]
    )
    op = from_matrices(A, label="zhang2018-example3")
    inst = Instance(
        op,
        np.array([[1.0], [0.0]]),
        np.array([[0.0], [1.0 / _S(2.0)]]),
        None,
        "plain",
        {"example": "zhang2018-example3"},
    )
    return Example(
        name="zhang2018-example3",
        description="(2, 1/2)-RIP instance, ground truth z = (1, 0), point x = (0, 1/√2)",
        instance=inst,
        claim="x satisfies second-order optimality with f = 3/2, ∇f = 0, ∇²f = diag(0, 8) (a 'spurious local minimum')",
        source="Zhang, Josz, Sojoudi, Lavaei (2018), How much restricted isometry is needed, §2, Example 3",
        truth="spurious second-order point, not a local minimum: f = 3/2 − 4a⁴ along (a, √(½ − a²))",
    )


def _example1_parts(extra: range, n: int, corrected: bool) -> tuple[list[np.ndarray], list[float]]:
    mats = [_trace2(n), _e(n, 0, 0)]
    b = [1.0, 1.0]
    if corrected:
        pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
        for i, j in pairs:
            mats.append(_e(n, i, j) + _e(n, j, i))
            b.append(0.0)
    else:
        mats += [_e(n, 0, 1), _e(n, 1, 0)]
        b += [0.0, 0.0]
    for i in extra:
        mats.append(_e(n, i, i))
        b.append(1.0)
    return mats, b


def _trace2(n: int) -> np.ndarray:
    D = np.zeros((n, n))
    D[0, 0] = D[1, 1] = 1.0
    return D


def bhojanapalli2016_example1(r: int | None = None, *, corrected: bool = False) -> Example:
    """bhojanapalli2016 §5 Example 1, or its rank-r extension, as printed or corrected.

    ``f(X) = (X11 + X22 − 1)² + (X11 − 1)² + X12² + X21²`` (``n = 2``, rank 1), global
    ``X* = e1e1ᵀ``, claimed local minimum ``X = e2e2ᵀ`` with ``f = 1``.

    Parameters
    ----------
    r : int or None
        None: Example 1 itself. An integer: the extension "adding ``Σ_{i=3}^{r+2}(X_ii − 1)²``,
        padding both points with a diagonal" — as printed, ``n = r + 2`` and
        ``rank(X*) = r + 1``; the instance's search rank is ``r + 1``. With ``corrected``,
        ``Σ_{i=3}^{r+1}``: ``n = r + 1``, ``rank(X*) = r`` and search rank ``r``.
    corrected : bool
        Replace each off-diagonal measurement ``e_ie_jᵀ`` by ``e_ie_jᵀ + e_je_iᵀ`` and measure
        every off-diagonal entry (module docstring).
    """
    if r is None:
        n, extra, name = 2, range(0), "bhojanapalli2016-example1"
    else:
        r = int(r)
        if r < 1:
            raise InputError(f"r = {r}: the extension of Example 1 needs r ≥ 1")
        n = r + 1 if corrected else r + 2
        extra = range(2, n)
        name = f"bhojanapalli2016-example1-rank{r}"
    if corrected:
        name = name.replace("example1", "example1-corrected")
    mats, b = _example1_parts(extra, n, corrected)
    op = from_matrices(np.stack(mats), label=name)
    k = n - 1  # rank of X* = diag(1, 0, 1, ..., 1) and of X = diag(0, 1, 1, ..., 1)
    z = np.zeros((n, k))
    x = np.zeros((n, k))
    z[0, 0] = 1.0
    x[1, 0] = 1.0
    for c, i in enumerate(range(2, n), start=1):
        z[i, c] = 1.0
        x[i, c] = 1.0
    meta = {"example": name, "rank_x_star": k, "paper_r": 1 if r is None else r}
    inst = Instance(op, z, x, np.array(b), "plain", meta)
    if corrected:
        claim = "x is a strict spurious local minimum with f = 1 (corrected variant, not in the paper)"
        truth = "strict spurious local minimum"
    else:
        claim = "x is a (spurious) local minimum with f(X) = 1"
        truth = (
            "second-order point, not a local minimum (f = 1 − t⁴ + O(t⁶) along x = (t, 1 − t²/2))"
            if r is None
            else f"strict saddle; rank(X*) = r + 1 = {k}, not r"
        )
    desc = (
        f"f(X) = (X11 + X22 − 1)² + (X11 − 1)² + {'(X12 + X21)² + (X21 + X12)²' if corrected else 'X12² + X21²'}"
        + (f" + Σ_(i=3..{n}) (X_ii − 1)²" if n > 2 else "")
        + (" + Σ other (X_ij + X_ji)²" if corrected and n > 2 else "")
        + f"; n = {n}, search rank {k}, X* = diag(1, 0{', 1' * (n - 2)}), x: X = diag(0, 1{', 1' * (n - 2)})"
    )
    return Example(
        name,
        desc,
        inst,
        claim,
        "Bhojanapalli, Neyshabur, Srebro (2016), Global optimality of local search for low rank "
        "matrix recovery, §5, Example 1" + (" (rank-r extension)" if r is not None else ""),
        truth,
    )


def bhojanapalli2016_example2(r: int | None = None, *, corrected: bool = False) -> Example:
    """bhojanapalli2016 §5 Example 2, or its rank-r extension (r odd), as printed or corrected.

    ``f(X) = (X11 + X22 + X33 − 1)² + (X11 − 1)² + (X22 − X33)² + Σ_{i≠j} X_ij²`` with rank
    constraint 2; ``X* = e1e1ᵀ``; claimed local minimum ``X = diag(0, ½, ½)`` with ``f = 1``.
    Extension (r odd): ``f = (X11 − 1)² + Σ_{i=1}^{(r−1)/2} [(X11 + X_{2i,2i} + X_{2i+1,2i+1} − 1)²
    + (X_{2i,2i} − X_{2i+1,2i+1})²]``, ``n = r``, rank constraint r, claimed ``X = (I − X*)/2``.

    Parameters
    ----------
    r : int or None
        None: Example 2. An odd integer ≥ 3: the extension (as printed: search rank r and no
        off-diagonal terms; corrected: search rank r − 1 and every off-diagonal entry measured).
    corrected : bool
        Off-diagonal measurements ``e_ie_jᵀ + e_je_iᵀ`` (module docstring).
    """
    if r is None:
        n, name = 3, "bhojanapalli2016-example2"
        search = 2
        groups = [(1, 2)]
        offdiag = True
        trace_all = True
    else:
        r = int(r)
        if r < 3 or r % 2 == 0:
            raise InputError(f"r = {r}: the extension of Example 2 needs an odd r ≥ 3")
        n, name = r, f"bhojanapalli2016-example2-rank{r}"
        search = r - 1 if corrected else r
        groups = [(2 * i - 1, 2 * i) for i in range(1, (r - 1) // 2 + 1)]
        offdiag = corrected
        trace_all = False
    if corrected:
        name = name.replace("example2", "example2-corrected")
    mats: list[np.ndarray] = []
    b: list[float] = []
    if trace_all:
        mats.append(np.eye(n))
        b.append(1.0)
    mats.append(_e(n, 0, 0))
    b.append(1.0)
    for a, c in groups:
        if not trace_all:
            mats.append(_e(n, 0, 0) + _e(n, a, a) + _e(n, c, c))
            b.append(1.0)
        mats.append(_e(n, a, a) - _e(n, c, c))
        b.append(0.0)
    if offdiag:
        for i in range(n):
            for j in range(n):
                if i != j:
                    mats.append(_e(n, i, j) + _e(n, j, i) if corrected else _e(n, i, j))
                    b.append(0.0)
    op = from_matrices(np.stack(mats), label=name)
    z = np.zeros((n, 1))
    z[0, 0] = 1.0
    x = np.zeros((n, search))
    for c, i in enumerate(range(1, n)):
        x[i, c] = 1.0 / _S(2.0)
    meta = {"example": name, "rank_x_star": 1, "paper_r": 2 if r is None else r}
    inst = Instance(op, z, x, np.array(b), "plain", meta)
    if corrected:
        claim = "x is a strict spurious local minimum with f = 1 (corrected variant, not in the paper)"
        truth = "strict spurious local minimum"
    else:
        claim = "X = (I − X*)/2 is a (spurious) local minimum with f(X) = 1"
        truth = "strict saddle (not a second-order point): Hessian eigenvalue −2 along row 1 of x"
        if r is not None:
            truth = "strict saddle: x has rank r − 1 < r and ∇f(X) = −2 e1e1ᵀ is not PSD"
    desc = f"n = {n}, search rank {search}, X* = e1e1ᵀ, x: X = (I − X*)/2" + (
        "; off-diagonal terms (X_ij + X_ji)²"
        if corrected
        else ("; off-diagonal terms X_ij²" if offdiag else "; no off-diagonal terms (as printed)")
    )
    return Example(
        name,
        desc,
        inst,
        claim,
        "Bhojanapalli, Neyshabur, Srebro (2016), Global optimality of local search for low rank "
        "matrix recovery, §5, Example 2" + (" (rank-r extension)" if r is not None else ""),
        truth,
    )


_FIXED: dict[str, Callable[[], Example]] = {
    "zhang2018-example3": zhang2018_example3,
    "bhojanapalli2016-example1": lambda: bhojanapalli2016_example1(),
    "bhojanapalli2016-example2": lambda: bhojanapalli2016_example2(),
    "bhojanapalli2016-example1-corrected": lambda: bhojanapalli2016_example1(corrected=True),
    "bhojanapalli2016-example2-corrected": lambda: bhojanapalli2016_example2(corrected=True),
}

_PATTERN = re.compile(r"^bhojanapalli2016-example([12])(-corrected)?-rank(\d{1,3})$")

#: Largest r accepted in an extension's name (the instance has n ≈ r, O(n²) measurements).
MAX_EXTENSION_RANK = 60


def examples() -> list[str]:
    """Names accepted by :func:`get_example` (the rank-R extensions shown for R = 3).

    Returns
    -------
    list of str
        The fixed examples followed by the bhojanapalli2016 rank-3 extensions; in their place
        any ``R ≥ 1`` (Example 1) or odd ``R ≥ 3`` (Example 2) up to :data:`MAX_EXTENSION_RANK`
        is accepted.
    """
    return [*_FIXED, *(f"bhojanapalli2016-example{k}{c}-rank3" for k in (1, 2) for c in ("", "-corrected"))]


def get_example(name: str) -> Example:
    """The built-in example called ``name``; :class:`InputError` listing the valid names otherwise.

    Parameters
    ----------
    name : str
        One of :func:`examples`: ``"zhang2018-example3"``, ``"bhojanapalli2016-example1"``,
        ``"bhojanapalli2016-example2"`` (each optionally with ``-corrected``), or their rank-R
        extensions ``"bhojanapalli2016-example{1,2}[-corrected]-rankR"``.

    Returns
    -------
    Example
        The instance with the claimed point as ``instance.x``, the paper's claim, the
        source and what :func:`spurious.certify` finds.

    Raises
    ------
    InputError
        Unknown name, or an extension rank the example does not have (Example 1: ``R ≥ 1``;
        Example 2: odd ``R ≥ 3``; both at most :data:`MAX_EXTENSION_RANK`).

    Notes
    -----
    zhang2018 §2, Example 3; bhojanapalli2016 §5, Examples 1 and 2.

    Examples
    --------
    >>> ex = sp.get_example("zhang2018-example3")
    >>> ex.instance.x.ravel(), ex.instance.z.ravel()
    (array([0.      , 0.707107]), array([1., 0.]))
    >>> ex.truth
    'spurious second-order point, not a local minimum: f = 3/2 − 4a⁴ along (a, √(½ − a²))'
    """
    if name in _FIXED:
        return _FIXED[name]()
    m = _PATTERN.match(str(name))
    if m:
        k, corr, r = int(m.group(1)), bool(m.group(2)), int(m.group(3))
        if r > MAX_EXTENSION_RANK:
            raise InputError(f"example {name!r}: rank {r} above the limit {MAX_EXTENSION_RANK}")
        build = bhojanapalli2016_example1 if k == 1 else bhojanapalli2016_example2
        return build(r, corrected=corr)
    raise InputError(
        f"unknown example {name!r}; valid: {', '.join(_FIXED)}, bhojanapalli2016-example1[-corrected]-rankR, "
        "bhojanapalli2016-example2[-corrected]-rankR (R odd ≥ 3)"
    )
