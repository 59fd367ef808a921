"""Reports of a run: ``summary.md`` (verdict table and notes) and ``index.html`` (every figure beside its table)."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path

from spurious.core._atomic import atomic_write
from spurious.studies._registry import Verdict

COLUMNS = ("quantity", "paper", "ours", "tolerance", "verdict")


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and :func:`os.replace` (never half a file)."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def verdict_rows(verdicts: Sequence[Verdict]) -> list[dict[str, str]]:
    """The verdicts as JSON-able dicts (the CLI's ``verdicts`` key)."""
    return [v.to_dict() for v in verdicts]


def summary_markdown(manifest: dict, verdicts: Sequence[Verdict], figures: Sequence[str]) -> str:
    """``summary.md``: title, run facts, the table quantity | paper | ours | tolerance | verdict, notes, figures."""
    lines = [f"# {manifest['experiment']}", "", manifest.get("description", ""), ""]
    if manifest.get("overrides"):
        shown = ", ".join(f"`{k}={json.dumps(v)}`" for k, v in manifest["overrides"].items())
        lines += [f"**Parameters overridden** (`--set`): {shown}; every other parameter is the "
                  f"{'quick' if manifest['quick'] else 'full'} default. The verdicts below use the tolerances "
                  "computed from these parameters.", ""]
    lines += [f"- paper: {manifest.get('citation', '')}",
              f"- seed: {manifest['seed']}, quick: {str(manifest['quick']).lower()}"
              + (" (small faithful version; tolerances widened for its sample, as stated below)"
                 if manifest["quick"] else ""),
              f"- parameters: `{json.dumps(manifest['parameters'], sort_keys=True)}`"]
    for k, v in sorted(manifest.get("experiment_fields", {}).items()):
        lines.append(f"- {k}: {v if isinstance(v, str) else json.dumps(v)}")
    lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for v in verdicts:
        lines.append("| " + " | ".join(_md(getattr(v, c)) for c in COLUMNS) + " |")
    notes = [(i, v) for i, v in enumerate(verdicts, 1) if v.note]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"{i}. **{_md(v.quantity)}** ({v.verdict}): {' '.join(v.note.split())}" for i, v in notes]
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{Path(f).stem}](figures/{Path(f).name})" for f in figures]
    return "\n".join(lines) + "\n"


def write_summary(out: str | Path, manifest: dict, verdicts: Sequence[Verdict], figures: Sequence[str]) -> Path:
    """Write ``out/summary.md`` atomically; return its path."""
    path = Path(out) / "summary.md"
    atomic_write_text(path, summary_markdown(manifest, verdicts, figures))
    return path


_CSS = """body{font-family:sans-serif;margin:2em;max-width:1600px}
section{display:flex;gap:2em;align-items:flex-start;border-top:1px solid #ccc;padding:1em 0}
table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #bbb;padding:4px 6px;vertical-align:top}
.match{background:#dfd}.miss{background:#ffd}.refuted{background:#fdd}img{max-width:640px;display:block}"""


def index_html(runs: Sequence[dict], base: str | Path) -> str:
    """One page: for each run (``{"name", "out", "verdicts", "figures"}``), its verdict table beside its figures.

    Figure and summary links are relative to ``base`` (the directory holding ``index.html``).
    """
    base = Path(base).resolve()
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>spurious: paper reproductions</title>",
             f"<style>{_CSS}</style></head><body><h1>spurious: paper reproductions</h1>"]
    for run in runs:
        out = Path(run["out"]).resolve()
        rel = os.path.relpath(out, base)
        rows = "".join(
            f"<tr class='{html.escape(v['verdict'])}'>" + "".join(f"<td>{html.escape(v[c])}</td>" for c in COLUMNS)
            + "</tr>" for v in run["verdicts"])
        head = "".join(f"<th>{c}</th>" for c in COLUMNS)
        imgs = "".join(f"<img src='{html.escape(os.path.relpath(out / 'figures' / Path(f).name, base))}' "
                       f"alt='{html.escape(Path(f).stem)}'>" for f in run["figures"])
        parts.append(f"<section><div><h2>{html.escape(run['name'])}</h2>"
                     f"<p><a href='{html.escape(rel)}/summary.md'>summary.md</a></p>"
                     f"<table><tr>{head}</tr>{rows}</table></div><div>{imgs}</div></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_index(path: str | Path, runs: Sequence[dict]) -> Path:
    """Write ``index.html`` at ``path`` atomically; return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, index_html(runs, path.parent))
    return path
