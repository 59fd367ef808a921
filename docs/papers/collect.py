"""Collect the figures and verdict tables of reproduction runs into the paper pages.

Usage::

    python docs/papers/collect.py RUNS_DIR [RUNS_DIR ...]

Each ``RUNS_DIR`` holds run directories ``NAME/`` written by ``spurious reproduce NAME --out
RUNS_DIR/NAME`` (or ``spurious reproduce all --out RUNS_DIR``): ``manifest.json`` (with the
verdicts) and ``figures/*.png``. When an experiment is in several directories, the last one
given wins (e.g. ``collect.py QUICK_RUNS FULL_RUNS``). For every experiment found this writes

* ``docs/papers/figures/NAME/*.png`` (copied; re-compressed with Pillow when over 300 kB),
* ``docs/papers/_verdicts/NAME.inc``: which run (full or ``--quick``, seed, commit), the
  figures, the verdict table and its notes, included by the paper pages,
* ``docs/papers/_verdicts/index-table.inc``: one row per experiment with its verdict counts.

An experiment the pages expect but no directory holds keeps its previous files.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIGURES = HERE / "figures"
VERDICTS = HERE / "_verdicts"
VERDICT_NAMES = ("match", "miss", "refuted")
MAX_PNG_BYTES = 300_000

#: Experiment → (paper page, the paper's figure or table it reproduces).
PAGES = {
    "zhang2018-example3": ("zhang2018", "§1.2 Example 3, Fig. 1"),
    "zhang2018-example3-escape": ("zhang2018", "Example 3 beyond 10³ steps (beyond the paper)"),
    "zhang2018-min-delta": ("zhang2018", "§4 Experiment 1"),
    "zhang2018-closed-forms": ("zhang2018", "§3 Theorems 5, 6, 7"),
    "zhang2018-margin": ("zhang2018", "strict local minima vs margin (beyond the paper)"),
    "zhang2018-sgd-bad": ("zhang2018", "§5 Experiment 2, Fig. 2"),
    "zhang2018-sgd-good": ("zhang2018", "§5 Experiment 2, Fig. 3"),
    "zhang2020-level-sets": ("zhang2020", "Fig. 2"),
    "zhang2020-threshold-eps": ("zhang2020", "Fig. 1, eq. (7), Theorem 5"),
    "bhojanapalli2016-examples": ("bhojanapalli2016", "§5 Examples 1 and 2"),
    "bhojanapalli2016-phase": ("bhojanapalli2016", "Fig. 1"),
    "bhojanapalli2016-noise": ("bhojanapalli2016", "Theorem 3.1"),
    "bi2021-convergence": ("bi2021", "Fig. 1 (a)–(d)"),
    "overparam": ("overparam", "the sharp threshold under overparameterization (beyond the papers)"),
    "overparam-margin": ("overparam", "strict spurious local minima under overparameterization (beyond the papers)"),
    "rank-one-phase": ("recovery", "quadratic sensing phase transition, random vs spectral (beyond the papers)"),
    "completion-phase": ("recovery", "matrix completion phase transition, certified failures (beyond the papers)"),
}


def rst_text(text: object) -> str:
    """One line of plain text safe inside reStructuredText: inline markup characters escaped."""
    s = " ".join(str(text).split())
    s = re.sub(r"([\\*`|_\[\]])", r"\\\1", s)
    if re.match(r"^(\(|[-+•]\s|\d+[.)]\s|[A-Za-z][.)]\s|#)", s):
        s = "\\" + s
    return s or "—"


def list_table(header: list[str], rows: list[list[str]], widths: str | None = None) -> str:
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append(f"   :widths: {widths}")
    out.append("")
    for r in [header, *rows]:
        out.append("   * - " + r[0])
        out += [f"     - {c}" for c in r[1:]]
    return "\n".join(out) + "\n"


def run_label(manifest: dict) -> str:
    kind = "``--quick`` run" if manifest.get("quick") else "full run"
    commit = str(manifest.get("git_commit", "unknown"))[:12]
    over = manifest.get("overrides") or {}
    extra = f", parameters overridden: ``{json.dumps(over, sort_keys=True)}``" if over else ""
    return f"{kind} (seed {manifest.get('seed')}, commit ``{commit}``{extra})"


def copy_figure(src: Path, dst: Path) -> None:
    """Copy a PNG; re-compress it with Pillow (palette, optimize) when it is over :data:`MAX_PNG_BYTES`."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.stat().st_size <= MAX_PNG_BYTES:
        shutil.copyfile(src, dst)
        return
    from PIL import Image

    with Image.open(src) as im:
        im.convert("RGB").quantize(colors=256).save(dst, optimize=True)


def collect_run(run: Path) -> dict:
    """Figures and ``_verdicts/NAME.inc`` of one run directory; returns the index row data."""
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    name = manifest["experiment"]
    verdicts = manifest.get("verdicts") or []
    figdir = FIGURES / name
    if figdir.exists():
        shutil.rmtree(figdir)
    figs = sorted((run / "figures").glob("*.png")) if (run / "figures").is_dir() else []
    for f in figs:
        copy_figure(f, figdir / f.name)
    label = run_label(manifest)
    lines = [f"Numbers and figures below: the {label} of ``spurious reproduce {name}``.", ""]
    for f in figs:
        lines += [
            f".. figure:: /papers/figures/{name}/{f.name}",
            "   :width: 100%",
            "",
            f"   ``{name}``: {f.stem}, {label}.",
            "",
        ]
    header = ["quantity", "paper", "ours", "tolerance", "verdict"]
    rows = [[rst_text(v.get(c, "")) for c in header[:-1]] + [f"**{rst_text(v.get('verdict', ''))}**"] for v in verdicts]
    lines.append(list_table(header, rows, "22 20 30 16 8"))
    notes = [(i, v) for i, v in enumerate(verdicts, 1) if v.get("note")]
    if notes:
        lines += ["Notes (by row):", ""]
        lines += [f"#. *{rst_text(v['quantity'])}* ({v['verdict']}): {rst_text(v['note'])}" for _, v in notes]
        lines.append("")
    VERDICTS.mkdir(parents=True, exist_ok=True)
    (VERDICTS / f"{name}.inc").write_text("\n".join(lines), encoding="utf-8")
    counts = {k: sum(v.get("verdict") == k for v in verdicts) for k in VERDICT_NAMES}
    return {"name": name, "quick": bool(manifest.get("quick")), "counts": counts}


def index_table(rows: dict[str, dict]) -> str:
    out = []
    for name, (page, what) in PAGES.items():
        r = rows.get(name)
        if r is None:
            continue
        c = r["counts"]
        out.append(
            [
                f"``{name}``",
                f":doc:`/papers/{page}`",
                rst_text(what),
                "quick" if r["quick"] else "full",
                str(c["match"]),
                str(c["miss"]),
                str(c["refuted"]),
            ]
        )
    head = ["experiment", "paper", "figure / table", "run", "match", "miss", "refuted"]
    return list_table(head, out, "30 14 30 8 6 6 6")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[0] + "\nusage: python docs/papers/collect.py RUNS_DIR [RUNS_DIR ...]")
        return 2
    found: dict[str, Path] = {}
    for d in argv[1:]:
        root = Path(d)
        if not root.is_dir():
            print(f"not a directory: {root}", file=sys.stderr)
            return 2
        for m in sorted(root.glob("*/manifest.json")):
            man = json.loads(m.read_text(encoding="utf-8"))
            if man.get("status") == "complete":
                found[man["experiment"]] = m.parent
            else:
                print(f"skipped (status {man.get('status')!r}): {m.parent}", file=sys.stderr)
    rows = {}
    for name in sorted(found):
        rows[name] = collect_run(found[name])
        print(f"{name}: {'quick' if rows[name]['quick'] else 'full'} run from {found[name]}")
    # experiments collected earlier but not in these directories keep their files; list them too
    for name in PAGES:
        old = VERDICTS / f"{name}.inc"
        if name not in rows and old.exists():
            text = old.read_text(encoding="utf-8")
            quick = "``--quick`` run" in text.splitlines()[0]
            counts = {k: len(re.findall(rf"^     - \*\*{k}\*\*$", text, flags=re.M)) for k in VERDICT_NAMES}
            rows[name] = {"name": name, "quick": quick, "counts": counts}
    (VERDICTS / "index-table.inc").write_text(index_table(rows), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
