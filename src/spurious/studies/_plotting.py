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


def rate_band(ax, x, p, trials, *, label: str | None = None, color=None, sigmas: float = 3.0, scale: float = 1.0):
    """Plot a rate ``p`` (a fraction) against ``x`` with its binomial band ``p ± sigmas·√(p(1−p)/T)``.

    ``scale`` multiplies what is drawn (100 for percent); the band is clipped to ``[0, scale]``.
    """
    x = np.asarray(x, dtype=float)
    p = np.asarray(p, dtype=float)
    half = sigmas * np.sqrt(p * (1.0 - p) / np.asarray(trials, dtype=float))
    (line,) = ax.plot(x, scale * p, "o-", label=label, color=color)
    ax.fill_between(x, scale * np.clip(p - half, 0, 1), scale * np.clip(p + half, 0, 1), alpha=0.25,
                    color=line.get_color())
    return line
