"""Lint, format and layering run with the test suite, so CI fails on any of them.

The tools are pinned in pyproject.toml's ``test`` extra; their configuration is in pyproject.toml too
(``[tool.ruff]``, ``[tool.importlinter]``). The same checks run before each commit through
``.pre-commit-config.yaml``.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    """The tool next to this interpreter (the project's .venv), else on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is in pyproject.toml's test extra (./lab setup installs it)")
    return found


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_check_is_clean():
    out = _run(_tool("ruff"), "check", "--no-fix", "--output-format", "concise", ".")
    assert out.returncode == 0, f"ruff check found problems (run `ruff check --fix .`):\n{out.stdout}{out.stderr}"


def test_ruff_format_is_applied():
    out = _run(_tool("ruff"), "format", "--check", ".")
    assert out.returncode == 0, f"files need `ruff format`:\n{out.stdout}{out.stderr}"


def test_layers_import_downwards_only():
    out = _run(_tool("lint-imports"), "--no-cache")
    assert out.returncode == 0, f"an import runs up the layers (pyproject.toml [tool.importlinter]):\n{out.stdout}"
    assert "Contracts: 2 kept, 0 broken" in out.stdout, out.stdout
