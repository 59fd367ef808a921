"""Matplotlib helpers for experiment figures: the Agg backend, imported lazily."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (imported on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, figures_dir: str | Path, name: str, *, dpi: int = 120) -> Path:
    """Save ``fig`` as ``figures_dir/name`` (``.png`` added when missing), close it, return the path."""
    path = Path(figures_dir) / (name if name.endswith(".png") else f"{name}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def rate_band(ax, x, p, trials, *, label: str | None = None, color=None, scale: float = 1.0):
    """Plot a rate ``p`` (a fraction of ``trials``) against ``x`` with its ±3σ Wilson band
    (:func:`spurious.core._stats.binomial_rate`, the one home of failure-rate intervals).

    ``scale`` multiplies what is drawn (100 for percent).
    """
    from spurious.core._stats import binomial_rate

    x = np.asarray(x, dtype=float)
    p = np.asarray(p, dtype=float)
    T = np.broadcast_to(np.asarray(trials), p.shape)
    ci = np.array([binomial_rate(round(float(q) * int(t)), int(t)).ci for q, t in zip(p, T, strict=True)])
    (line,) = ax.plot(x, scale * p, "o-", label=label, color=color)
    ax.fill_between(x, scale * ci[:, 0], scale * ci[:, 1], alpha=0.25, color=line.get_color())
    return line
