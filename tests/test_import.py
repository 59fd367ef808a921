"""Importing the package and asking the CLI for help stay light and fast."""

import subprocess
import sys
import time

HEAVY = ("torch", "dask", "distributed", "cvxpy", "matplotlib", "numba", "pandas", "pyarrow")


def test_import_leaves_heavy_dependencies_out():
    code = (
        "import sys\n"
        "import spurious, spurious.core._problems, spurious.core._instances, spurious.cli, spurious.core._diagnostics\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", f"imported eagerly: {out.stdout.strip()}"


def test_cli_help_is_fast():
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "spurious.cli", "--help"], capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - t0
    assert out.returncode == 0, out.stderr
    assert "certify" in out.stdout and "rip" in out.stdout
    assert elapsed < 10.0
    code = (
        "import sys\nfrom spurious.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stderr.strip() == "", f"--help imported: {out.stderr.strip()}"


LAYERS = ("core", "landscape", "solvers", "studies", "cli")


def _imports(path):
    """Every ``spurious.*`` module a file imports (at top level or inside functions)."""
    import ast

    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            out.update(n for n in names if n.startswith("spurious."))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("spurious."))
    return out


def test_layers_import_only_the_layers_before_them():
    """core → landscape → solvers → studies → cli: no module imports a later layer (issue #9)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "src" / "spurious"
    bad = []
    for i, layer in enumerate(LAYERS):
        later = LAYERS[i + 1 :]
        for path in sorted((root / layer).rglob("*.py")):
            for mod in _imports(path):
                parts = mod.split(".")
                if len(parts) > 1 and parts[1] in later:
                    bad.append(f"{path.relative_to(root)} imports {mod}")
    assert not bad, "\n".join(bad)
