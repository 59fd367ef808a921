"""The documentation: every public name is in the API reference, the root toctree holds the
papers' pages, and the citation metadata follows the package (the build itself runs in CI:
``python -m sphinx -W --keep-going -b html docs docs/_build/html``)."""

import importlib.util
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("sphinx")  # the docs extra (in dev); the generator is a Sphinx extension

import spurious
from spurious.core._rng import as_generator

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _apigen():
    spec = importlib.util.spec_from_file_location("apigen", DOCS / "_ext" / "apigen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_is_in_the_api_reference(tmp_path):
    apigen = _apigen()
    apigen.write_api(tmp_path)
    pages = {
        p.relative_to(tmp_path).with_suffix("").as_posix(): p.read_text(encoding="utf-8")
        for p in tmp_path.rglob("*.rst")
    }
    for name in spurious.__all__:
        if name == "__version__":
            assert ".. data:: spurious.__version__" in pages["index"]
        elif name in spurious._NAMESPACES:
            page = pages[f"spurious.{name}"]
            assert f".. automodule:: spurious.{name}" in page
            assert f"spurious.{name}" in pages["index"]
            for member in importlib.import_module(f"spurious.{name}").__all__:
                assert f":: {member}\n" in page, f"spurious.{name}.{member} is not documented"
                assert f"* - :obj:`{member}" in page, f"spurious.{name}.{member} is not in the table"
        else:
            page = pages[f"generated/spurious.{name}"]
            assert f":: {name}\n" in page, f"spurious.{name} has a page without its autodoc directive"
            layer = apigen.layer_of(spurious._EXPORTS[name])
            assert f"* - :obj:`{name}`\n" in pages[layer], f"spurious.{name} is not listed on the {layer} page"
            assert f"generated/spurious.{name}\n" in pages[layer]


def test_a_new_export_gets_a_page_and_a_broken_one_is_reported(tmp_path, monkeypatch):
    apigen = _apigen()
    monkeypatch.setitem(spurious._EXPORTS, "as_generator", "spurious.core._rng")
    monkeypatch.setattr(spurious, "__all__", sorted([*spurious.__all__, "as_generator"]))
    monkeypatch.setattr(spurious, "as_generator", as_generator, raising=False)
    apigen.write_api(tmp_path)
    assert ".. autofunction:: as_generator" in (tmp_path / "generated" / "spurious.as_generator.rst").read_text()
    assert "generated/spurious.as_generator\n" in (tmp_path / "core.rst").read_text()

    monkeypatch.setitem(spurious._EXPORTS, "no_such_function", "spurious.core._rng")
    monkeypatch.setattr(spurious, "__all__", sorted([*spurious.__all__, "no_such_function"]))
    with pytest.raises(ImportError, match="no_such_function"):
        apigen.pages()
    reported: list[str] = []
    apigen.pages(on_error=reported.append)
    assert len(reported) == 1 and "spurious.no_such_function" in reported[0]


def test_stale_generated_pages_are_removed(tmp_path):
    apigen = _apigen()
    stale = tmp_path / "generated" / "spurious.removed_name.rst"
    stale.parent.mkdir(parents=True)
    stale.write_text("old\n")
    apigen.write_api(tmp_path)
    assert not stale.exists()


def test_root_toctree_holds_every_part():
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    for doc in (
        "quickstart",
        "guide/index",
        "conventions",
        "instance-format",
        "plugins",
        "api/index",
        "papers/index",
        "changelog",
    ):
        assert f"\n   {doc}\n" in index, f"{doc} is not in the root toctree"


def test_citation_version_and_license_follow_the_package():
    yaml = pytest.importorskip("yaml")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == project["version"]
    assert cff["license"] == project["license"] == "BSD-3-Clause"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("BSD 3-Clause License")
    years = sorted(ref["year"] for ref in cff["references"])
    assert years == [2016, 2018, 2018, 2020, 2022]  # the five papers of the reproductions (2018: paper and slides)
    assert all(ref["title"] and ref["authors"] for ref in cff["references"])


def _bash_block_after(text: str, heading: str) -> str:
    section = text.split(heading, 1)[1]
    return section.split("```bash\n", 1)[1].split("```", 1)[0].strip()


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = [line.replace(" --quiet", "") for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    steps = [part.strip() for part in _bash_block_after(readme, "## Tests").split("&&")]
    assert steps[0].startswith("python3 -m venv") and steps[1].startswith(". ")
    for step in [*steps[2:], _bash_block_after(readme, "## Documentation")]:
        assert step in ci, f"README command {step!r} is not a line of .ci/run"


def test_user_facing_text_does_not_point_outside_the_repository():
    files = [ROOT / "README.md", *(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts and "api" not in p.parts)]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "shared/DESIGN" not in text and "../shared" not in text, f"{path} points to a file users do not have"
