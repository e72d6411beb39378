"""`labkit report`: one self-contained offline HTML page of a run's tables and animated figures.

Opening the page in Chromium and playing its animation is `tests/test_dashboard_browser.py`.
"""

import json
import re

import pandas as pd
import pytest
from dashboard_fixtures import make_augmenter_run, make_compare_run, make_training_run

from labkit.cli import main
from labkit.runstore import RunStore, open_run
from labkit.viz.report import build_report


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>", page)


def test_training_run_report_is_self_contained_and_animated(tmp_path):
    run = make_training_run(tmp_path, iterations=(0, 10, 20))
    page = build_report(run)
    assert page.startswith("<!DOCTYPE html>") and "labkit report: aaec-fake" in page
    # plotly.js once, inline; no script or stylesheet fetched from anywhere.
    assert page.count("plotly.js v") >= 1 and all("src=" not in s for s in _scripts(page))
    assert "<link" not in page and "cdn" not in "".join(_scripts(page))
    # The distribution figure with its frames (one per iteration), losses, coverage table and curves.
    assert "Generated samples: spectrum" in page and "Training: history" in page
    figures = re.findall(r'Plotly\.newPlot\(\s*"figure-(\d+)"', page)
    assert len(figures) >= 4
    start = page.index("[", page.index("Plotly.addFrames("))
    frames = json.loads(page[start : page.index("]);", start) + 1])
    assert [f["name"] for f in frames] == ["0", "10", "20"]
    assert "test_gain" in page and "<table" in page


def test_comparison_report_has_the_summary_table_and_the_generators_side_by_side(tmp_path):
    cmp = make_compare_run(tmp_path)
    page = build_report(cmp)
    assert "Summary: mean [95 % CI] in %" in page and "Paired differences" in page
    assert "uar by augmenter" in page and "Per-class recall" in page and "against the amount" in page
    assert "No generated samples were recorded" in page

    gens = make_augmenter_run(tmp_path)
    page = build_report(gens)
    assert "Generated samples: aug-gan" in page and "Generated samples: aug-smote" in page
    assert "Side by side: gan and smote" in page
    page = build_report(gens, pair=("aug-smote", "aug-gan"))
    assert "Side by side: smote and gan" in page


def test_reproduction_report_shows_its_paper_tables_and_findings(tmp_path):
    from labkit.experiment.tables import Column, PaperTable

    run = RunStore(tmp_path).create("aaec-table1", {"seeds": 2}, run_id="table1")
    table = PaperTable(
        "Fu et al. 2020, Table 1",
        [Column("uar", "UAR")],
        {"AAEC": {"uar": {"mean": 0.61, "ci_low": 0.55, "ci_high": 0.67, "n": 2}}},
        paper={"AAEC": {"uar": 54.3}},
    )
    run.write_json("aaec-table1", {"tables": [table.to_dict()], "findings": ["AAEC is not ahead here."]})
    run.write_table(
        "summary",
        pd.DataFrame(
            {
                "configuration": ["AAEC"],
                "head": ["arousal"],
                "metric": ["uar"],
                "mean": [0.61],
                "ci_low": [0.55],
                "ci_high": [0.67],
            }
        ),
    )
    run.set_status("finished", "2 tasks")
    page = build_report(run)
    # The table as the one formatter prints it: our mean ± CI, the paper's number on a row under ours.
    assert "Fu et al. 2020, Table 1" in page and "61.0 ± 6.0" in page and "54.30" in page
    assert "AAEC is not ahead here." in page and "arousal_uar by augmenter" in page


def test_labkit_report_command(tmp_path, capsys):
    run = make_augmenter_run(tmp_path)
    out = tmp_path / "out" / "gens.html"
    assert main(["report", str(run.path), "--out", str(out), "--max-points", "50", "--title", "Two generators"]) == 0
    assert "wrote" in capsys.readouterr().out
    page = out.read_text()
    assert "<title>Two generators</title>" in page and "Side by side" in page
    assert main(["report", str(run.path)]) == 0  # default: inside the run
    assert (run.path / "report.html").is_file()
    assert open_run(run.path).kind == "compare"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--pair", "aug-smote"], "two space names"),
        (["--pair", "aug-smote,aug-nope"], "no space 'aug-nope'"),
        (["--max-points", "0"], "--max-points"),
    ],
)
def test_labkit_report_bad_options(tmp_path, capsys, argv, message):
    run = make_augmenter_run(tmp_path)
    assert main(["report", str(run.path), "--out", str(tmp_path / "r.html"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_labkit_report_refuses_what_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 2
    assert "not a labkit run" in capsys.readouterr().err
    run = make_training_run(tmp_path / "store", iterations=(0,))
    assert main(["report", str(run.path), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
