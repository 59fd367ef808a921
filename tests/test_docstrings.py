"""Docstrings of the public face: every public function and class of ``spurious.__all__`` and of
the namespaces ``sp.operators``, ``sp.init``, ``sp.closed_forms`` and ``sp.linalg`` has a
numpydoc docstring (Parameters covering the signature, Returns for functions, Attributes or
Parameters for classes), the main entry points have an Examples section, and every example
runs (doctest, each example in under 2 s).

Examples run with ``sp`` (``import spurious as sp``) and ``np`` (numpy) predefined, as in
the documentation; anything else they need they import themselves.
"""

import dataclasses
import doctest
import enum
import inspect
import time
import warnings

import numpy as np
import pytest

numpydoc = pytest.importorskip("numpydoc.docscrape")  # the docs extra (in dev)

import spurious as sp  # noqa: E402

NAMESPACES = ("operators", "init", "closed_forms", "linalg")

#: Entry points whose docstring must carry a runnable Examples section.
WITH_EXAMPLES = (
    "certify",
    "rip_bounds",
    "thresholds",
    "counterexample",
    "guarantees",
    "get_example",
    "load_instance",
    "save_instance",
    "check_gradient",
    "closed_forms.delta_foc_closed",
    "linalg.svec",
    "linalg.smat",
)

#: Seconds one example may take (they are illustrations, not experiments).
EXAMPLE_SECONDS = 2.0


def _public() -> dict[str, object]:
    """Public callables by name; a name that does not resolve maps to None (and fails below)."""
    out = {}
    for name in sp.__all__:
        if name == "__version__":
            continue
        obj = getattr(sp, name, None)
        if inspect.ismodule(obj):
            assert name in NAMESPACES, f"sp.{name}: a namespace this test does not know"
            for member in obj.__all__:
                out[f"{name}.{member}"] = getattr(obj, member, None)
        else:
            out[name] = obj
    return out


PUBLIC = _public()
FUNCTIONS = sorted(k for k, v in PUBLIC.items() if not inspect.isclass(v))
CLASSES = sorted(k for k, v in PUBLIC.items() if inspect.isclass(v))


def _parse(obj):
    """numpydoc's reading of ``obj``'s docstring; a malformed docstring (unknown section,
    section out of order, ...) fails instead of warning."""
    assert obj is not None, "the name does not resolve (see test_public_api)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if inspect.isclass(obj):
            return numpydoc.ClassDoc(obj, config={"show_class_members": False})
        return numpydoc.FunctionDoc(obj)


def _names(section) -> set[str]:
    """Parameter names of a numpydoc section (``"x, z : array"`` documents both)."""
    return {n.strip().lstrip("*") for p in section for n in p.name.split(",") if n.strip()}


def _signature_parameters(obj) -> list[str]:
    params = inspect.signature(obj).parameters.values()
    return [p.name for p in params if p.name not in ("self", "cls")]


def _is_plain_exception(cls) -> bool:
    """An exception class with no state of its own (only a message): its docstring says when it is raised."""
    return issubclass(cls, BaseException) and "__init__" not in vars(cls)


def test_the_lists_are_not_empty():
    assert len(FUNCTIONS) > 40 and len(CLASSES) > 20
    assert set(WITH_EXAMPLES) <= set(PUBLIC)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_has_a_docstring(name):
    assert PUBLIC[name] is not None, f"sp.{name} does not resolve (see test_public_api)"
    doc = inspect.getdoc(PUBLIC[name])
    assert doc and doc.strip(), f"sp.{name} has no docstring"
    assert len(doc.splitlines()[0]) > 10, f"sp.{name}: the summary line says nothing"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_sections(name):
    obj = PUBLIC[name]
    doc = _parse(obj)
    params = _signature_parameters(obj)
    if params:
        assert doc["Parameters"], f"sp.{name} takes {params} but has no Parameters section"
        missing = [p for p in params if p not in _names(doc["Parameters"])]
        assert not missing, f"sp.{name}: parameters {missing} are not documented"
    undocumented = _names(doc["Parameters"]) - set(params) - {"args", "kwargs", "kw"}
    assert not undocumented, f"sp.{name} documents parameters it does not take: {sorted(undocumented)}"
    assert doc["Returns"] or doc["Yields"], f"sp.{name} has no Returns section"


@pytest.mark.parametrize("name", CLASSES)
def test_class_sections(name):
    cls = PUBLIC[name]
    doc = _parse(cls)
    if _is_plain_exception(cls):
        return  # nothing to list: parsing (above) is the check
    assert doc["Attributes"] or doc["Parameters"], f"sp.{name} has neither an Attributes nor a Parameters section"
    documented = _names(doc["Attributes"]) | _names(doc["Parameters"])
    if dataclasses.is_dataclass(cls):
        fields = [f.name for f in dataclasses.fields(cls)]
        missing = [f for f in fields if f not in documented]
        assert not missing, f"sp.{name}: fields {missing} are not documented"
    if issubclass(cls, enum.Enum):
        missing = [m for m in cls.__members__ if m not in documented]
        assert not missing, f"sp.{name}: members {missing} are not documented"


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_entry_points_have_examples(name):
    doc = _parse(PUBLIC[name])
    assert doc["Examples"], f"sp.{name} has no Examples section"
    assert any(line.lstrip().startswith(">>>") for line in doc["Examples"]), f"sp.{name}: Examples has no >>> line"


class _TimedRunner(doctest.DocTestRunner):
    """A doctest runner that records how long each example took."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.times: list[tuple[str, float]] = []
        self._t0 = 0.0

    def report_start(self, out, test, example):
        self._t0 = time.perf_counter()
        super().report_start(out, test, example)

    def _stop(self, example):
        self.times.append((example.source.strip(), time.perf_counter() - self._t0))

    def report_success(self, out, test, example, got):
        self._stop(example)
        super().report_success(out, test, example, got)

    def report_failure(self, out, test, example, got):
        self._stop(example)
        super().report_failure(out, test, example, got)

    def report_unexpected_exception(self, out, test, example, exc_info):
        self._stop(example)
        super().report_unexpected_exception(out, test, example, exc_info)


def _doctests(name):
    obj = PUBLIC[name]
    if obj is None:
        return []
    finder = doctest.DocTestFinder(recurse=inspect.isclass(obj), exclude_empty=True)
    return [t for t in finder.find(obj, f"sp.{name}", globs={"sp": sp, "np": np}) if t.examples]


WITH_DOCTESTS = [name for name in sorted(PUBLIC) if _doctests(name)]


def test_the_entry_points_examples_are_collected():
    assert set(WITH_EXAMPLES) <= set(WITH_DOCTESTS)


@pytest.fixture
def warm_imports():
    """Import what the examples load on first use (cvxpy, scipy.stats), so that the per-example
    time measures the example and not the one-time import."""
    pytest.importorskip("cvxpy")
    import scipy.stats  # noqa: F401


@pytest.mark.parametrize("name", WITH_DOCTESTS)
def test_examples_run(name, warm_imports):
    runner = _TimedRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    chunks: list[str] = []  # the runner redirects sys.stdout while it runs: collect its report here
    with np.printoptions(precision=6, suppress=True, legacy="1.25"), warnings.catch_warnings():
        warnings.simplefilter("error")
        for test in _doctests(name):
            runner.run(test, out=chunks.append, clear_globs=True)
    report = "".join(chunks)
    result = doctest.TestResults(runner.failures, runner.tries)
    assert result.failed == 0, f"sp.{name}: {result.failed} of {result.attempted} examples failed\n{report}"
    slow = [(src, round(t, 2)) for src, t in runner.times if t > EXAMPLE_SECONDS]
    assert not slow, f"sp.{name}: examples slower than {EXAMPLE_SECONDS} s: {slow}"
