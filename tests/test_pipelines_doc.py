"""docs/pipelines.md's example runs: its ```python block is extracted and executed as it is written."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "pipelines.md"

pytestmark = pytest.mark.filterwarnings("ignore:.*(using SMOTE|using k=).*:UserWarning")


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_page_has_one_python_example():
    blocks = _python_blocks(DOC.read_text())
    assert len(blocks) == 1 and 'set_output(transform="pandas")' in blocks[0] and "pd.DataFrame" in blocks[0]


def test_the_pandas_pipeline_example_runs(capsys):
    (code,) = _python_blocks(DOC.read_text())
    exec(compile(code, str(DOC), "exec"), {"__name__": "__docs__"})
    out = capsys.readouterr().out
    uar = float(re.search(r"UAR over 3 speaker folds: ([0-9.]+)", out).group(1))
    assert uar > 0.5  # three separable emotions: far above chance (1/3)
    assert "the classifier saw: ['F0_mean', 'loudness_mean', 'jitter_local', 'HNR_mean']" in out
