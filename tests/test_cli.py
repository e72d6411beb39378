"""The `labkit` command line as a whole: every command has --help, bad input exits 2 with a message."""

import subprocess
import sys

import pytest

from labkit.cli import build_parser, main


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in _subcommands():
        assert name in out


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert len(capsys.readouterr().out) > 100


def test_help_is_fast_and_imports_nothing_heavy():
    code = (
        "import sys; from labkit.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('torch','opensmile','streamlit','umap') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
