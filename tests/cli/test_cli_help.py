"""`spurious --help`, every command's help and `--version`: what they promise, and every example in them runs."""

from __future__ import annotations

import shlex

import pytest

from spurious.cli import COMMANDS, EPILOG, main


def test_version_names_the_dependencies(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("spurious 0.") and all(d in out for d in ("numpy", "cvxpy", "clarabel", "numba"))


def test_help_has_a_description_and_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "low-rank matrix recovery" in out and out.count("\n  spurious ") >= 3
    assert "``" not in out and ":func:" not in out  # no reStructuredText markup


EXAMPLES = sorted(
    {c[2] for c in COMMANDS.values()} | {ln.strip() for ln in EPILOG.splitlines() if ln.strip().startswith("spurious ")}
)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_shows_an_example(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert f"example:\n  {COMMANDS[command][2]}" in capsys.readouterr().out


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_in_the_help_runs(capsys, tmp_path, monkeypatch, example):
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(example)[1:]
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
