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
