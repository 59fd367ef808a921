"""Write the API reference (``docs/api/``) from ``spurious.__all__`` when a build starts.

Every public name of :mod:`spurious` gets its own page (``api/generated/spurious.NAME.rst``),
listed on the page of its layer (core, landscape, solvers, studies: the package that holds the
implementation module named in ``spurious._EXPORTS``); every public namespace module
(``spurious.operators`` …) gets a page documenting each name of its ``__all__``. Nothing is
listed by hand, so a new export cannot be forgotten: ``tests/test_docs.py`` checks that every
name of ``spurious.__all__`` is on a page this module writes.

The module imports Sphinx only in :func:`setup`; :func:`write_api` works without it.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

#: layer package -> page title, in the order of the architecture (arrows one way)
LAYERS = {
    "core": "Core: operators, problems, instances, examples",
    "landscape": "Landscape: certificates, RIP, thresholds, counterexamples",
    "solvers": "Solvers: batched local search",
    "studies": "Studies: experiments and the runner",
}


def layer_of(module: str) -> str:
    """The layer (``core``, ``landscape`` …) of an implementation module ``spurious.LAYER._name``."""
    parts = module.split(".")
    if len(parts) < 3 or parts[0] != "spurious" or parts[1] not in LAYERS:
        raise ValueError(f"{module}: not a module of a layer {tuple(LAYERS)}")
    return parts[1]


def directive(obj: object) -> tuple[str, list[str]]:
    """The autodoc directive and its options for a public object."""
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return "autoexception", []
    if inspect.isclass(obj):
        import enum

        if issubclass(obj, enum.Enum):
            return "autoclass", [":members:", ":undoc-members:", ":member-order: bysource"]
        return "autoclass", [":members:"]
    if callable(obj):
        return "autofunction", []
    return "autodata", [":no-value:"]


def _first_paragraph(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "")
    return text.split("\n\n", 1)[0].strip()


def _summary_table(rows: list[tuple[str, str, object]]) -> list[str]:
    """A two-column table: each name (linked to ``target``) and the first paragraph of its docstring.

    Written here rather than by ``autosummary``, whose one-sentence summaries stop at the first
    period ("i.i.d.", "eq.").
    """
    lines = [".. list-table::", "   :widths: 30 70", ""]
    for name, target, obj in rows:
        ref = f":obj:`{name}`" if target == name else f":obj:`{name} <{target}>`"
        summary = " ".join(_first_paragraph(inspect.getdoc(obj) if obj is not None else "").split())
        lines += [f"   * - {ref}", f"     - {summary}" if summary else "     -"]
    return [*lines, ""]


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _object_page(qualified: str, obj: object, module: str) -> str:
    name = qualified.rsplit(".", 1)[1]
    kind, options = directive(obj)
    lines = [
        _title(qualified),
        f".. currentmodule:: {qualified.rsplit('.', 1)[0]}",
        "",
        f".. {kind}:: {name}",
        *(f"   {o}" for o in options),
        "",
        f"Implemented in ``{module}`` (private; import it as ``{qualified}``).",
        "",
    ]
    return "\n".join(lines)


def _resolve(module: object, name: str, on_error) -> object:
    try:
        return getattr(module, name)
    except (AttributeError, ImportError) as exc:
        on_error(f"{module.__name__}.{name} is public but cannot be imported: {exc}")
        return None


def _raise(message: str) -> None:
    raise ImportError(message)


def pages(on_error=_raise) -> dict[str, str]:
    """Every page of the API reference: relative path (posix, without suffix) -> reST text.

    A public name that cannot be imported is reported through ``on_error(message)`` (raise by
    default; the Sphinx hook turns it into a build warning, an error under ``-W``).
    """
    import spurious

    exports: dict[str, str] = spurious._EXPORTS
    namespaces: tuple[str, ...] = spurious._NAMESPACES
    unknown = set(spurious.__all__) - set(exports) - set(namespaces) - {"__version__"}
    if unknown:
        raise ValueError(f"spurious.__all__ names neither exported nor a namespace: {sorted(unknown)}")
    out: dict[str, str] = {}
    by_layer: dict[str, list[str]] = {layer: [] for layer in LAYERS}
    objects = {name: _resolve(spurious, name, on_error) for name in exports}
    for name in sorted(exports, key=str.lower):
        module = exports[name]
        by_layer[layer_of(module)].append(name)
        out[f"generated/spurious.{name}"] = _object_page(f"spurious.{name}", objects[name], module)

    for layer, names in by_layer.items():
        package = importlib.import_module(f"spurious.{layer}")
        lines = [
            _title(LAYERS[layer]),
            ".. currentmodule:: spurious",
            "",
            _first_paragraph(package.__doc__),
            "",
            *_summary_table([(n, n, objects[n]) for n in names]),
            ".. toctree::",
            "   :hidden:",
            "",
            *(f"   generated/spurious.{n}" for n in names),
            "",
        ]
        out[layer] = "\n".join(lines)

    for ns in namespaces:
        module = importlib.import_module(f"spurious.{ns}")
        names = list(module.__all__)
        lines = [
            _title(f"spurious.{ns}"),
            f".. automodule:: spurious.{ns}",
            "   :no-members:",
            "",
            f".. currentmodule:: spurious.{ns}",
            "",
        ]
        members = {n: _resolve(module, n, on_error) for n in names}
        same = {n for n, obj in members.items() if n in exports and obj is not None and obj is objects.get(n)}
        lines += _summary_table([(n, f"spurious.{n}" if n in same else n, members[n]) for n in names])
        for n in names:
            obj = members[n]
            kind, options = directive(obj)
            if n in same:
                # the same object as a top-level name: one indexed description (the canonical
                # name autodoc registers for a class must not be described twice)
                options = [*options, ":no-index:"]
                lines += [f"``spurious.{ns}.{n}`` is :obj:`spurious.{n}`.", ""]
            lines += [f".. {kind}:: {n}", *(f"   {o}" for o in options), ""]
        out[f"spurious.{ns}"] = "\n".join(lines)

    index = [
        _title("API reference"),
        "Everything below is reached from one import, ``import spurious as sp`` (``sp.certify``,",
        "``sp.operators.gaussian`` …). The implementation modules are private (``spurious.core._certify``",
        "…) and may move; the names on these pages are the interface. The pages are generated from",
        "``spurious.__all__`` at every build.",
        "",
        ".. data:: spurious.__version__",
        "",
        f"   The package version (``{spurious.__version__}``).",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "   :caption: Layers",
        "",
        *(f"   {layer}" for layer in LAYERS),
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "   :caption: Namespaces",
        "",
        *(f"   spurious.{ns}" for ns in namespaces),
        "",
    ]
    out["index"] = "\n".join(index)
    return out


def write_api(outdir: str | Path, on_error=_raise) -> list[Path]:
    """Write :func:`pages` under ``outdir`` (unchanged files are left alone; stale ones removed)."""
    outdir = Path(outdir)
    written: list[Path] = []
    for rel, text in pages(on_error).items():
        path = outdir / f"{rel}.rst"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    keep = set(written)
    for path in outdir.rglob("*.rst"):
        if path not in keep:
            path.unlink()
    return written


def _on_builder_inited(app) -> None:
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    write_api(Path(app.srcdir) / "api", on_error=lambda message: logger.warning(message))


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
