"""Which published theorems apply at a given RIP constant ("which guarantee applies").

:func:`guarantees` lists the RIP-based results of the papers in ``papers/`` for a problem of
rank ``r`` (symmetric ``X Xᵀ`` or asymmetric ``U Vᵀ``) and says which of them apply at a given
RIP constant δ.

Normalization. Every δ here is the **scale-free** RIP constant of the DESIGN conventions:
``α‖X‖² ≤ ‖A(X)‖² ≤ β‖X‖²`` over rank-k matrices gives ``δ_k = (β − α)/(β + α)``.
bhojanapalli2016 (Definition 2.1) fixes the scale, ``(1 ± δ)‖X‖²`` for ``(1/m)‖A(X)‖²``, and
bi2021 (Definition 1) fixes it on the Hessian of the loss; zhang2018 (Definition 1) allows any
scale ``p > 0``. Rescaling the measurements (or the loss) by a positive constant changes
neither the critical points nor their Hessians' inertia, nor the iterates of gradient methods up to
the step size, so each theorem holds with the scale-free δ (the smallest fixed-scale δ over all
rescalings). Conclusions that carry constants (the ``−2/5 σ_r`` curvature of
bhojanapalli2016 Thm 3.2, step sizes) refer to the rescaled operator.

RIP rank. The theorems need δ over matrices of rank ``2r`` (zhang2018, bi2021) or ``4r``
(bhojanapalli2016). ``δ_k`` is nondecreasing in ``k`` (and ``δ_n`` bounds all of them), so a
constant measured over rank ``k`` certifies every theorem that needs rank ``≤ k``; with
``rip_rank=None`` the given δ is taken to hold at whatever rank each theorem needs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from spurious.core._summary import jsonable, short_repr, summary_lines
from spurious.core._validation import check_float, check_int

__all__ = [
    "CONCLUSIONS",
    "DELTA_ASYMMETRIC",
    "DELTA_NOISY",
    "DELTA_NO_SPURIOUS",
    "DELTA_STAR",
    "NOISE_BOUND_CONSTANT",
    "STRICT_SADDLE_CURVATURE",
    "Guarantee",
    "guarantees",
]

NO_SPURIOUS = "no spurious local minima"
LINEAR_CONVERGENCE = "global linear convergence of perturbed GD"
STRICT_SADDLE = "strict saddle"
SPURIOUS_POSSIBLE = "spurious local minima can exist"

#: Every conclusion a :class:`Guarantee` can state.
CONCLUSIONS = (NO_SPURIOUS, LINEAR_CONVERGENCE, STRICT_SADDLE, SPURIOUS_POSSIBLE)

#: bhojanapalli2016 Thm 4.1 and zhang2018 Thm 2 (Ge et al.): no spurious local minima for δ < 1/5.
DELTA_NO_SPURIOUS = 1.0 / 5.0
#: bhojanapalli2016 Thms 3.1 and 3.2 (noisy sensing, strict saddle): δ₄ᵣ < 1/10.
DELTA_NOISY = 1.0 / 10.0
#: The sharp rank-1 threshold δ* = 1/2 (Zhang–Sojoudi–Lavaei 2019; zhang2018 Example 3; bi2021 Thm 5).
DELTA_STAR = 1.0 / 2.0
#: bi2021 Thm 6 (asymmetric UVᵀ with balancing): δ < 1/3.
DELTA_ASYMMETRIC = 1.0 / 3.0
#: bhojanapalli2016 Thm 3.2: ``λ_min((1/m)∇²f(U)) ≤ −(2/5) σ_r(X*)`` at a critical point ``UUᵀ ≠ X*``.
STRICT_SADDLE_CURVATURE = 2.0 / 5.0
#: bhojanapalli2016 Thm 3.1: ``‖UUᵀ − X*‖_F ≤ 20 √(log n / m) σ_w`` (the constant 20).
NOISE_BOUND_CONSTANT = 20.0


@dataclass(frozen=True)
class Guarantee:
    """One published RIP-based result and whether it applies.

    Attributes
    ----------
    theorem : str
        Short name, e.g. ``"bhojanapalli2016 Thm 4.1"``.
    citation : str
        Full reference.
    condition : str
        The hypothesis in words, with the RIP rank it needs.
    applies : bool
        True when the given δ, rank, symmetry (and RIP rank, if given) satisfy the hypothesis.
        For the counterexample entry (``kind == "counterexample"``), True means a counterexample
        with that δ is known, not that the given operator has one.
    conclusion : str
        One of :data:`CONCLUSIONS`.
    threshold : float
        The bound on δ in the hypothesis.
    strict : bool
        ``δ < threshold`` (True) or ``δ ≤ threshold`` / ``δ ≥ threshold`` (False).
    rip_rank : str
        The rank of the RIP the theorem needs, ``"2r"`` or ``"4r"`` (``"2"``/``"4"`` if r = 1 only).
    rip_rank_needed : int
        That rank for this r.
    ranks : str
        The factor ranks r it covers, e.g. ``"r = 1"``, ``"any r"``.
    symmetric : bool
        Whether it is about the symmetric problem ``X Xᵀ`` (False: asymmetric ``U Vᵀ``).
    kind : str
        ``"guarantee"`` or ``"counterexample"``.
    note : str
        Anything else a reader needs (noise, normalization, sharpness).
    """

    theorem: str
    citation: str
    condition: str
    applies: bool
    conclusion: str
    threshold: float
    strict: bool
    rip_rank: str
    rip_rank_needed: int
    ranks: str
    symmetric: bool
    kind: str = "guarantee"
    note: str = ""

    def __str__(self) -> str:
        op = "≥" if self.kind == "counterexample" else ("<" if self.strict else "≤")
        return summary_lines(
            f"Guarantee: {self.theorem}",
            [
                ("applies", self.applies),
                ("conclusion", self.conclusion),
                (
                    "hypothesis",
                    f"δ_{self.rip_rank} {op} {self.threshold:.4g} ({self.ranks}, "
                    f"{'symmetric' if self.symmetric else 'asymmetric'})",
                ),
                ("condition", self.condition),
                ("note", self.note or ...),
            ],
        )

    def __repr__(self) -> str:
        return short_repr(self, ("theorem", "applies", "threshold", "conclusion"))

    def to_dict(self) -> dict[str, object]:
        return jsonable(dataclasses.asdict(self))


_BHOJ = (
    "S. Bhojanapalli, B. Neyshabur, N. Srebro. Global Optimality of Local Search for Low Rank "
    "Matrix Recovery. NeurIPS 2016"
)
_ZHANG2018 = (
    "R. Y. Zhang, C. Josz, S. Sojoudi, J. Lavaei. How Much Restricted Isometry is Needed in "
    "Nonconvex Matrix Recovery? NeurIPS 2018"
)
_ZSL = (
    "R. Y. Zhang, S. Sojoudi, J. Lavaei. Sharp Restricted Isometry Bounds for the Inexistence of "
    "Spurious Local Minima in Nonconvex Matrix Recovery. JMLR 2019 (zhang2018 slides, Main Result 2)"
)
_GE = "R. Ge, C. Jin, Y. Zheng. No Spurious Local Minima in Nonconvex Low Rank Problems. ICML 2017, Thm 8"
_BI = (
    "Y. Bi, H. Zhang, J. Lavaei. Local and Global Linear Convergence of General Low-Rank Matrix "
    "Recovery Problems. AAAI 2022 (bi2021)"
)

# (theorem, citation, condition template, conclusion, threshold, strict, rip-rank factor,
#  ranks ("1" or "any"), symmetric, kind, note)
_TABLE = (
    (
        "bhojanapalli2016 Thm 4.1",
        _BHOJ,
        "noiseless symmetric matrix sensing, (4r, δ₄ᵣ)-RIP with δ₄ᵣ < 1/5",
        NO_SPURIOUS,
        DELTA_NO_SPURIOUS,
        True,
        4,
        "any",
        True,
        "guarantee",
        "every local minimum U has UUᵀ = X*",
    ),
    (
        "bhojanapalli2016 Thm 3.1",
        _BHOJ,
        "symmetric matrix sensing with i.i.d. Gaussian noise, (4r, δ₄ᵣ)-RIP with δ₄ᵣ < 1/10",
        NO_SPURIOUS,
        DELTA_NOISY,
        True,
        4,
        "any",
        True,
        "guarantee",
        "noisy case: every local minimum has ‖UUᵀ − X*‖_F ≤ 20 sqrt(log n / m) σ_w w.p. ≥ 1 − 10/n²; "
        "noiseless: UUᵀ = X*",
    ),
    (
        "bhojanapalli2016 Thm 3.2",
        _BHOJ,
        "noiseless symmetric matrix sensing, (4r, δ₄ᵣ)-RIP with δ₄ᵣ < 1/10",
        STRICT_SADDLE,
        DELTA_NOISY,
        True,
        4,
        "any",
        True,
        "guarantee",
        "every critical point with UUᵀ ≠ X* has λ_min((1/m)∇²f) ≤ −(2/5) σ_r(X*) (fixed-scale operator)",
    ),
    (
        "zhang2018 Thm 2 (Ge et al. 2017)",
        _ZHANG2018 + "; " + _GE,
        "symmetric matrix sensing, (2r, δ₂ᵣ)-RIP with δ₂ᵣ < 1/5",
        NO_SPURIOUS,
        DELTA_NO_SPURIOUS,
        True,
        2,
        "any",
        True,
        "guarantee",
        "every saddle point has a direction of negative curvature",
    ),
    (
        "Zhang, Sojoudi, Lavaei 2019 (rank 1)",
        _ZSL,
        "symmetric rank-1 matrix sensing, (2, δ₂)-RIP with δ₂ < 1/2",
        NO_SPURIOUS,
        DELTA_STAR,
        True,
        2,
        "1",
        True,
        "guarantee",
        "sharp: zhang2018 Example 3 has a spurious second-order point at δ = 1/2",
    ),
    (
        "bi2021 Lemma 4",
        _BI,
        "symmetric problem, general smooth loss with δ-RIP₂ᵣ (on its Hessian), δ < 1/2",
        STRICT_SADDLE,
        DELTA_STAR,
        True,
        2,
        "any",
        True,
        "guarantee",
        "points with small gradient and nearly PSD Hessian are close to the ground truth",
    ),
    (
        "bi2021 Thm 5",
        _BI,
        "symmetric problem, general smooth loss with δ-RIP₂ᵣ (on its Hessian), δ < 1/2",
        LINEAR_CONVERGENCE,
        DELTA_STAR,
        True,
        2,
        "any",
        True,
        "guarantee",
        "perturbed GD with local improvement reaches ‖XXᵀ − M*‖_F ≤ ε in O(log 1/ε) iterations w.h.p.; "
        "implies no spurious local minima",
    ),
    (
        "bi2021 Thm 6",
        _BI,
        "asymmetric problem UVᵀ with balancing term, general smooth loss with δ-RIP₂ᵣ, δ < 1/3",
        LINEAR_CONVERGENCE,
        DELTA_ASYMMETRIC,
        True,
        2,
        "any",
        False,
        "guarantee",
        "from Thm 5 through the symmetric lift, which maps δ to 2δ/(1 + δ) < 1/2",
    ),
    (
        "zhang2018 Thm 4 / Example 3",
        _ZHANG2018,
        "symmetric rank-1 matrix sensing with δ ≥ 1/2: an instance with a spurious local minimum "
        "(second-order point) exists",
        SPURIOUS_POSSIBLE,
        DELTA_STAR,
        False,
        2,
        "1",
        True,
        "counterexample",
        "Example 3 is an instance with full-rank δ = 1/2, so it satisfies δ-RIP for every δ ≥ 1/2; its "
        "point is a degenerate second-order point (not a strict local minimum); bi2021 cites it as "
        "showing that δ < 1/2 is sharp",
    ),
    (
        "zhang2018 Example 3, embedded in rank r",
        _ZHANG2018 + "; " + _BI + " (remark: δ < 1/2 is sharp)",
        "symmetric rank-r matrix sensing with δ ≥ 1/2: replacing the weakest singular direction σ_r u_r of Z "
        "by Example 3's point σ_r (u_r ⟂ w)/√2 gives a spurious second-order point with δ_soc = 1/2",
        SPURIOUS_POSSIBLE,
        DELTA_STAR,
        False,
        2,
        "any",
        True,
        "counterexample",
        "beyond the papers: verified with the second-order program (LMI (10) of zhang2018) for r = 2, 3 "
        "(tests/test_guarantees.py); the embedding keeps the other columns exact",
    ),
)


def guarantees(delta: float, r: int, symmetric: bool = True, rip_rank: int | None = None) -> list[Guarantee]:
    """The published RIP theorems for rank-``r`` problems and whether each applies at ``delta``.

    Parameters
    ----------
    delta : float in [0, 1]
        Scale-free RIP constant (module docstring).
    r : int ≥ 1
        Factor rank of the problem.
    symmetric : bool
        Symmetric ``X Xᵀ`` (True) or asymmetric ``U Vᵀ`` problem (False).
    rip_rank : int, optional
        The rank over which ``delta`` was measured. A theorem that needs RIP over rank ``p``
        applies only if ``rip_rank ≥ p`` (``δ_k`` is nondecreasing in k). ``None``: ``delta`` is
        taken to hold at every rank the theorems need (e.g. a full-rank δ).

    Returns
    -------
    list of Guarantee
        Every theorem about this problem class (symmetric or asymmetric), in the order
        bhojanapalli2016, zhang2018, Zhang–Sojoudi–Lavaei, bi2021, counterexamples. Theorems for
        r = 1 only are listed with ``applies=False`` when ``r > 1``.

    Examples
    --------
    >>> [g.theorem for g in sp.guarantees(0.3, 1) if g.applies]
    ['Zhang, Sojoudi, Lavaei 2019 (rank 1)', 'bi2021 Lemma 4', 'bi2021 Thm 5']
    """
    d = check_float(delta, "delta", 0.0, 1.0)
    r = check_int(r, "r", 1)
    if rip_rank is not None:
        rip_rank = check_int(rip_rank, "rip_rank", 1)
    out = []
    for theorem, cite, cond, concl, thr, strict, factor, ranks, sym, kind, note in _TABLE:
        if sym != bool(symmetric):
            continue
        needed = factor * r
        rank_ok = ranks == "any" or r == 1
        if kind == "counterexample":
            delta_ok = d >= thr
            rip_ok = True  # a known instance, whatever rank δ was measured on
        else:
            delta_ok = d < thr if strict else d <= thr
            rip_ok = rip_rank is None or int(rip_rank) >= needed
        label = f"{factor}r" if ranks == "any" else str(factor)
        out.append(
            Guarantee(
                theorem=theorem,
                citation=cite,
                condition=cond,
                applies=bool(delta_ok and rank_ok and rip_ok),
                conclusion=concl,
                threshold=float(thr),
                strict=strict,
                rip_rank=label,
                rip_rank_needed=needed,
                ranks="r = 1" if ranks == "1" else "any r",
                symmetric=sym,
                kind=kind,
                note=note,
            )
        )
    return out
