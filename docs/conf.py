"""Sphinx configuration of the spurious documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The API reference (``docs/api/``) is written at build time from ``spurious.__all__`` by the
local extension ``docs/_ext/apigen.py``, so a new public name cannot be left out of it.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent / "src"))  # document the working tree, installed or not

import spurious  # noqa: E402

project = "spurious"
author = "The spurious developers"
copyright = "2026, the spurious developers"
version = release = spurious.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "apigen",
]

# No network at build time: no intersphinx, MathJax is loaded by the reader's browser.
root_doc = "index"
# Folders whose name starts with "_" (docs/papers/_verdicts, …) hold files that pages include,
# not pages of their own.
exclude_patterns = ["_build", "**/_*", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
html_theme = "alabaster"
html_static_path: list[str] = []
html_title = f"spurious {release}"
html_theme_options = {"description": "The optimization landscape of low-rank matrix recovery", "fixed_sidebar": True}

# autodoc / autosummary: pages are written by apigen, not by autosummary's stub generator.
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # signatures stay short; types are in the numpydoc Parameters sections
autodoc_inherit_docstrings = False

# numpydoc: members are listed by autodoc, not by numpydoc's own autosummary tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()
