"""The public face ``import spurious as sp``: every exported name resolves, importing and the
cheap names stay light, and the issue-#9 user script runs with no other import.
"""

import subprocess
import sys
import textwrap

import pytest

import spurious

#: Optional or heavy dependencies that ``import spurious`` must not load.
HEAVY = ("cvxpy", "torch", "dask", "distributed", "matplotlib", "numba", "pandas", "pyarrow")


def _run(code: str, **kw) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, **kw)
    assert out.returncode == 0, out.stderr
    return out


def _loaded_heavy(prelude: str) -> list[str]:
    """Heavy modules in ``sys.modules`` after running ``prelude`` in a fresh interpreter."""
    code = f"import sys\n{prelude}\nprint(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    return [m for m in _run(code).stdout.strip().split(",") if m]


@pytest.mark.parametrize("name", spurious.__all__)
def test_every_exported_name_resolves(name):
    obj = getattr(spurious, name)
    assert obj is not None
    assert name in dir(spurious)
    assert getattr(spurious, name) is obj  # cached after the first look-up


def test_dir_lists_exactly_all():
    assert sorted(dir(spurious)) == sorted(spurious.__all__)
    assert len(set(spurious.__all__)) == len(spurious.__all__)


@pytest.mark.parametrize("namespace", ["operators", "init", "closed_forms", "linalg"])
def test_namespace_names_resolve(namespace):
    mod = getattr(spurious, namespace)
    assert mod.__all__, f"sp.{namespace} exports nothing"
    for name in mod.__all__:
        assert callable(getattr(mod, name)), f"sp.{namespace}.{name}"


def test_unknown_name_is_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'certfy'"):
        spurious.certfy  # noqa: B018


def test_import_alone_leaves_heavy_dependencies_out():
    assert _loaded_heavy("import spurious") == []


def test_resolving_every_name_leaves_heavy_dependencies_out():
    # Looking a name up must not import what only calling it needs (cvxpy, numba, torch, ...).
    prelude = "import spurious as sp\nfor name in sp.__all__:\n    getattr(sp, name)\n"
    assert _loaded_heavy(prelude) == []


def test_cheap_calls_leave_cvxpy_and_numba_out(tmp_path):
    # svec, examples, instance files, certificates and closed forms need numpy/scipy only;
    # thresholds and counterexamples need cvxpy, SGD the numba kernels (not exercised here).
    prelude = textwrap.dedent(
        f"""
        import spurious as sp
        sp.linalg.svec([[1.0, 2.0], [2.0, 3.0]])
        sp.examples()
        ex = sp.get_example("zhang2018-example3")
        path = sp.save_instance({str(tmp_path / "ex3.npz")!r}, ex.instance)
        inst = sp.load_instance(path)
        assert isinstance(inst, sp.Instance)
        sp.certify(inst.problem(), inst.x)
        sp.closed_forms.delta_foc_closed(inst.x, inst.z)
        sp.operators.gaussian(4, 3, rng=0)
        """
    )
    assert _loaded_heavy(prelude) == []


#: The issue-#9 "Must show" script, as a user writes it: ``import spurious as sp`` and nothing
#: else; each step is one call. It prints ``key = value`` lines that the test checks.
USER_SCRIPT = """\
import spurious as sp

# Example 3 of zhang2018: x = (0, 1/sqrt(2)) is a spurious second-order point, not a local minimum.
cert = sp.certify("zhang2018-example3")
print("ex3.second_order =", cert.second_order)
print("ex3.spurious =", cert.spurious)
print("ex3.local_min =", cert.local_min)

ex = sp.get_example("zhang2018-example3")
th = sp.thresholds(ex.instance.x, ex.instance.z)
print("ex3.delta_foc =", th.delta_foc)
print("ex3.delta_soc =", th.delta_soc)

# My own point and ground truth: an RIP instance where x is a strict spurious local minimum.
x = [[0.5], [0.3], [0.1]]
z = [[1.0], [0.0], [0.0]]
ce = sp.counterexample(x, z, margin=0.01)
print("ce.certified =", ce.certified)
print("ce.delta =", ce.delta)
path = sp.save_instance("my_instance.npz", ce.instance)

inst = sp.load_instance(path)
cert = sp.certify(inst)
print("mine.second_order =", cert.second_order)
print("mine.spurious =", cert.spurious)
print("mine.local_min =", cert.local_min)

res = sp.sgd(inst, trials=2000, steps=2000, lr=1e-2, seed=0)
rate = res.failure_rate()
print("sgd.x_shape =", tuple(res.x.shape))
print("sgd.success_shape =", tuple(res.success.shape))
print("sgd.success_dtype =", res.success.dtype)
print("sgd.failures =", int((~res.success).sum()))
print("sgd.rate =", rate.rate)
print("sgd.ci =", float(rate.ci[0]), float(rate.ci[1]))
"""


def test_user_script_with_only_import_spurious(tmp_path):
    script = tmp_path / "my_study.py"
    script.write_text(USER_SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    facts = dict(line.split(" = ", 1) for line in out.stdout.splitlines())

    assert facts["ex3.second_order"] == "True"
    assert facts["ex3.spurious"] == "True"
    assert facts["ex3.local_min"] == "False"
    # zhang2020 Thm 4 closed form δ_foc = 1/√5 and LMI (10) of zhang2018, δ_soc = 1/2
    assert float(facts["ex3.delta_foc"]) == pytest.approx(5**-0.5, abs=1e-9)
    assert float(facts["ex3.delta_soc"]) == pytest.approx(0.5, abs=1e-6)

    assert facts["ce.certified"] == "True"
    delta = float(facts["ce.delta"])
    assert 0.0 < delta < 1.0
    assert (tmp_path / "my_instance.npz").is_file()
    assert facts["mine.second_order"] == "True"
    assert facts["mine.spurious"] == "True"
    assert facts["mine.local_min"] == "True"  # margin > 0: a strict local minimum

    assert facts["sgd.x_shape"] == "(2000, 3, 1)"
    assert facts["sgd.success_shape"] == "(2000,)"
    assert facts["sgd.success_dtype"] == "bool"
    failures = int(facts["sgd.failures"])
    rate = float(facts["sgd.rate"])
    lo, hi = map(float, facts["sgd.ci"].split())
    assert rate == pytest.approx(failures / 2000)
    assert 0.0 <= lo <= rate <= hi <= 1.0 and hi > lo
