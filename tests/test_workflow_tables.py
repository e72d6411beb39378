"""The one table formatter's exports: CSV that pandas reads back, LaTeX that is a well-formed booktabs table."""

import io
import re

import pandas as pd
import pytest

from labkit.experiment.tables import FORMATS, Column, PaperTable, latex_escape


def _table() -> PaperTable:
    ours = {
        "AAEC": {
            "uar": {"mean": 0.61, "ci_low": 0.58, "ci_high": 0.64, "n": 3},
            "f1": {"mean": 0.5, "ci_low": None, "ci_high": None, "n": 1},
        },
        "AAE_C": {"uar": {"mean": 0.55, "ci_low": 0.50, "ci_high": 0.60, "n": 3}},
        "50% & more #1": {},
    }
    return PaperTable(
        "Fu et al. 2020, Table 1: F1 & UAR (%)",
        [Column("uar", "UAR"), Column("f1", "F1 $x$")],
        ours,
        paper={"AAEC": {"uar": 40.06}},
        info={"AAEC": "D, C, G"},
        info_header="Players",
        extra_columns=["Δ UAR"],
        extra={"AAE_C": {"Δ UAR": "−6.0 (p = 0.02)"}},
        notes=["95 % t-interval; seeds_0..2", "Paper: MuSe-Topic"],
    )


def test_every_format_renders_and_unknown_is_refused():
    t = _table()
    for fmt in FORMATS:
        assert t.render(fmt)
    assert t.render("text") == t.to_text() and t.render("markdown") == t.to_markdown()
    with pytest.raises(ValueError, match="csv"):
        t.render("html")


def test_csv_holds_numbers_pandas_reads_back():
    t = _table()
    df = pd.read_csv(io.StringIO(t.to_csv()))
    assert list(df["Model"]) == ["AAEC", "AAE_C", "50% & more #1"]  # one line per row of ours, no paper lines
    assert list(df.columns[:2]) == ["Model", "Players"]
    aaec = df.iloc[0]
    assert aaec["UAR"] == pytest.approx(61.0) and aaec["UAR CI low"] == pytest.approx(58.0)
    assert aaec["UAR CI high"] == pytest.approx(64.0) and aaec["UAR paper"] == pytest.approx(40.06)
    assert aaec["F1 $x$"] == pytest.approx(50.0) and pd.isna(aaec["F1 $x$ CI low"])  # no interval: empty
    assert aaec["n"] == 3 and df.iloc[1]["Δ UAR"] == "−6.0 (p = 0.02)"
    assert df.iloc[2][["UAR", "F1 $x$"]].isna().all()  # a row without results stays, empty


def test_latex_is_a_wellformed_booktabs_table():
    t = _table()
    tex = t.to_latex()
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}[htbp]" and lines[-1] == r"\end{table}"
    # environments balance and come in order
    for env in ("table", "tabular"):
        assert tex.count(rf"\begin{{{env}}}") == tex.count(rf"\end{{{env}}}") == 1
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule") < tex.index(r"\end{tabular}")
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", tex).group(1)
    header, body, _ = t._grid()
    assert len(spec) == len(header)
    rows = [ln for ln in lines if ln.endswith(r"\\")]
    assert len(rows) == 1 + len(body)  # header + ours and paper lines
    for ln in rows:
        cells = re.split(r"(?<!\\)&", ln[:-2])  # split on unescaped &
        assert len(cells) == len(spec), ln
    # everything escaped: no bare special characters outside the commands labkit writes
    body_text = "\n".join(rows)
    assert r"AAE\_C" in body_text and r"50\% \& more \#1" in body_text and r"F1 \$x\$" in body_text
    assert r"61.0 $\pm$ 3.0" in body_text and r"$-$6.0" in body_text and r"$\Delta$ UAR" in body_text
    assert re.search(r"(?<!\\)[%#_]", body_text.replace(r"\\", "")) is None
    assert r"\caption{Fu et al. 2020, Table 1: F1 \& UAR (\%)}" in tex
    assert r"seeds\_0..2" in tex  # notes escaped too
    assert "--" in body_text  # the empty cell's en dash


def test_latex_escape_of_every_special_character():
    assert latex_escape(r"a\b") == r"a\textbackslash{}b"
    assert latex_escape("{x}^~") == r"\{x\}\textasciicircum{}\textasciitilde{}"
    assert latex_escape("63.7 [63.7, 63.7]") == "63.7 [63.7, 63.7]"


def test_compare_summary_renders_as_csv_and_latex():
    from labkit.runs.compare import format_table

    summary = {
        "none": {"uar": {"mean": 0.637, "ci_low": 0.637, "ci_high": 0.637, "n": 3}},
        "smote": {"uar": {"mean": 0.64, "ci_low": 0.604, "ci_high": 0.676, "n": 3}},
    }
    df = pd.read_csv(io.StringIO(format_table(summary, metrics=["uar"], fmt="csv")))
    assert list(df["augmenter"]) == ["none", "smote"] and df.iloc[1, 1] == pytest.approx(64.0)
    assert r"\toprule" in format_table(summary, metrics=["uar"], fmt="latex")


def test_from_frame_builds_the_dashboard_download_from_a_summary_table():
    frame = pd.DataFrame(
        {
            "run": ["r1", "r1", "r2"],
            "augmenter": ["none", "none", "smote"],
            "metric": ["uar", "f1", "uar"],
            "mean": [0.6, 0.5, 0.65],
            "ci_low": [0.55, float("nan"), 0.6],
            "ci_high": [0.65, float("nan"), 0.7],
            "n": [3, 1, 3],
        }
    )
    t = PaperTable.from_frame(frame, rows=["run", "augmenter"], labels={"uar": "UAR"})
    df = pd.read_csv(io.StringIO(t.to_csv()))
    assert list(df["run · augmenter"]) == ["r1 · none", "r2 · smote"]
    assert df.loc[0, "UAR"] == pytest.approx(60.0) and df.loc[1, "UAR CI high"] == pytest.approx(70.0)
    assert pd.isna(df.loc[1, "f1"])  # r2 has no f1
    assert "r1 · none & 60.0 [55.0, 65.0] & 50.0" in t.to_latex().replace("$\\cdot$", "·")
