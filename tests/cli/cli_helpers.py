"""Helpers shared by the CLI tests: run a command in-process and check the one-line error contract."""

from spurious.cli import main


def run(capsys, *argv):
    """Run ``spurious ARGV...`` in-process; return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, *needles):
    """Exit status 2, exactly one line on stderr, no traceback, naming each of ``needles``."""
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
