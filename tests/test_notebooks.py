"""Every notebook in notebooks/ runs top to bottom (with LABKIT_NOTEBOOK_SMALL=1: tiny budgets).

Notebooks are committed without outputs, so executing them here is the only proof they still work.
The kernel is the interpreter running the tests (a kernelspec written to a temporary JUPYTER_PATH), so
the test does not depend on which kernels happen to be registered on the machine.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
KERNEL = "labkit-test-python"


@pytest.fixture()
def kernel_env(tmp_path, monkeypatch):
    """A kernelspec for this interpreter, found through JUPYTER_PATH, plus the small-budget switch."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "labkit tests",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", ""))
    monkeypatch.setenv("LABKIT_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("LABKIT_QUIET", "1")
    # Notebooks write runs to $LABKIT_RUNS (conftest points it at a temporary store).
    return tmp_path


def test_there_are_notebooks():
    assert ALL, f"no notebooks in {NOTEBOOKS}"


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_notebook_executes(path, kernel_env):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # Committed notebooks carry no outputs: saved outputs must never be the only proof they ran.
    stale = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not stale, f"{path.name}: cells {stale} were committed with outputs; clear them"
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError (with the cell's traceback) when a cell fails
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
