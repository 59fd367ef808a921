"""Reports of a run: ``summary.md`` (verdict table and notes), the run's page ``index.html`` and the
index page of many runs, rendered from the manifests with the jinja2 templates in ``templates/``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from spurious.core._atomic import atomic_write
from spurious.studies._registry import VERDICTS, Verdict

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
        lines += [
            f"**Parameters overridden** (`--set`): {shown}; every other parameter is the "
            f"{'quick' if manifest['quick'] else 'full'} default. The verdicts below use the tolerances "
            "computed from these parameters.",
            "",
        ]
    lines += [
        f"- paper: {manifest.get('citation', '')}",
        f"- seed: {manifest['seed']}, quick: {str(manifest['quick']).lower()}"
        + (
            " (small faithful version; tolerances widened for its sample, as stated below)" if manifest["quick"] else ""
        ),
        f"- parameters: `{json.dumps(manifest['parameters'], sort_keys=True)}`",
    ]
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


def _environment():
    """The jinja2 environment of the page templates (``studies/templates``), autoescaping HTML."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("spurious.studies", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _css() -> str:
    from importlib.resources import files

    return files("spurious.studies").joinpath("templates/base.css").read_text(encoding="utf-8")


def _when(epoch: float | None) -> str:
    if not epoch:
        return "unfinished"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(epoch)))


def _run_context(manifest: dict, out: Path, base: Path) -> dict:
    """What a page shows of one run: facts from ``manifest``, verdict rows, figures (links relative to ``base``)."""
    rel = os.path.relpath(out.resolve(), base.resolve())
    href = "" if rel == "." else rel.rstrip("/") + "/"
    verdicts, notes = [], []
    for row in manifest.get("verdicts", []):
        v = dict(row)
        if v.get("note"):
            notes.append((len(notes) + 1, v["quantity"], v["verdict"], " ".join(v["note"].split())))
            v["note_index"] = len(notes)
        verdicts.append(v)
    counts = {k: sum(v["verdict"] == k for v in verdicts) for k in VERDICTS}
    versions = manifest.get("versions", {})
    figures = [{"name": p.stem, "href": href + "figures/" + p.name} for p in sorted((out / "figures").glob("*.png"))]
    return {
        "name": manifest["experiment"],
        "description": manifest.get("description", ""),
        "citation": manifest.get("citation", ""),
        "quick": bool(manifest.get("quick")),
        "seed": manifest.get("seed"),
        "overrides": manifest.get("overrides") or {},
        "finished": _when(manifest.get("finished")),
        "version": versions.get("spurious", "?"),
        "commit": manifest.get("git_commit"),
        "platform": f"Python {versions.get('python', '?')}, numpy {versions.get('numpy', '?')}, "
        f"{versions.get('platform', '?')}",
        "fields": {
            k: v if isinstance(v, str) else json.dumps(v)
            for k, v in sorted(manifest.get("experiment_fields", {}).items())
        },
        "parameters": json.dumps(manifest.get("parameters", {}), indent=2, sort_keys=True),
        "verdicts": verdicts,
        "notes": notes,
        "counts": {k: n for k, n in counts.items() if n},
        "figures": figures,
        "href": href,
    }


def _read_manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def run_page_html(out: str | Path, index_href: str | None = None) -> str:
    """The page of the run in ``out`` (``out/index.html``), rendered from its manifest and figures."""
    out = Path(out)
    run = _run_context(_read_manifest(out), out, out)
    return _environment().get_template("run.html.j2").render(run=run, css=_css(), index_href=index_href)


def write_run_page(out: str | Path, index_href: str | None = None) -> Path:
    """Write ``out/index.html`` (the run's page) atomically; return its path."""
    path = Path(out) / "index.html"
    atomic_write_text(path, run_page_html(out, index_href))
    return path


def index_html(runs: Sequence[str | Path], base: str | Path) -> str:
    """One page for the run directories ``runs``: a table of contents, then each run's verdicts and figures.

    Links are relative to ``base``, the directory that holds the page.
    """
    base = Path(base)
    contexts = [_run_context(_read_manifest(Path(out)), Path(out), base) for out in runs]
    totals = {k: sum(r["counts"].get(k, 0) for r in contexts) for k in VERDICTS}
    return (
        _environment()
        .get_template("index.html.j2")
        .render(runs=contexts, totals={k: n for k, n in totals.items() if n}, css=_css(), written=_when(time.time()))
    )


def write_index(path: str | Path, runs: Sequence[str | Path]) -> Path:
    """Write ``index.html`` for the run directories ``runs`` at ``path`` (and link every run page to it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for out in runs:
        write_run_page(out, os.path.relpath(path.resolve(), Path(out).resolve()))
    atomic_write_text(path, index_html(runs, path.parent))
    return path
