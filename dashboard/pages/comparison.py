"""Comparison page: augmenters side by side from `labkit compare` runs and paper reproductions.

Any run with a `summary` table (augmenter, metric, mean, ci_low, ci_high, n) can be shown, and
`aaec-table1` paper runs too (their configurations become the "augmenters"); picking several runs
puts their augmenters side by side (labelled run · augmenter). A comparison with a ``gate`` table
(`labkit compare` since the learned-the-data gate) also shows its generators' gate, pass/fail.
"""

import common
import pandas as pd
import streamlit as st

from labkit.errors import LabkitError
from labkit.experiment.tables import PaperTable
from labkit.viz import data, figures
from labkit.viz.gate import gate_view

st.title("Augmenter comparison")
rows = common.store_ui()
candidates = [r for r in rows if "summary" in r.tables]
if not candidates:
    common.empty_store_ui(
        len(rows),
        "a comparison summary (tables/summary.parquet)",
        "Run `labkit compare ...` (or `labkit demo`) to make one.",
    )
    st.stop()

labels = [r.label for r in candidates]
# Open on the newest comparison (runs are listed newest first); a paper run only when there is none.
opening = next((r.label for r in candidates if r.kind == "compare"), labels[0])
chosen = st.sidebar.multiselect(
    "Runs", labels, default=[opening], key="cmp_runs", help="several runs are shown side by side"
)
chosen_rows = [candidates[labels.index(label)] for label in chosen]
if not chosen_rows:
    st.info("Pick at least one run in the sidebar.")
    st.stop()


def gather(name: str) -> tuple[pd.DataFrame | None, list[str]]:
    """Table `name` of every chosen run, stacked with a `run` column; messages for runs lacking it."""
    parts, messages = [], []
    for r in chosen_rows:
        df, message = data.table(r.path, name)
        if df is None:
            messages.append(message)
        else:
            parts.append(df.assign(run=r.run_id))
    return (pd.concat(parts, ignore_index=True) if parts else None), messages


summary, messages = gather("summary")
if summary is not None:
    summary = figures.normalize_summary(summary)  # paper runs (aaec-table1) -> the compare layout
for m in messages:
    st.warning(m)
try:
    figures.require_columns(summary, ["augmenter", "metric", "mean", "ci_low", "ci_high"], "summary")
except LabkitError as err:
    st.warning(f"Cannot show the comparison: {err}")
    st.stop()

metrics = list(dict.fromkeys(summary["metric"].astype(str)))
metric = st.sidebar.selectbox("Metric", metrics, index=metrics.index(figures.opening_metric(summary)), key="cmp_metric")

st.subheader("Summary (mean [95% CI])")
table = summary.assign(
    cell=[
        f"{m:.3f} [{lo:.3f}, {hi:.3f}]" if pd.notna(lo) and pd.notna(hi) else f"{m:.3f}"
        for m, lo, hi in zip(summary["mean"], summary["ci_low"], summary["ci_high"])
    ]
)
index = ["run", "augmenter"] if len(chosen_rows) > 1 else ["augmenter"]
pivot = table.pivot_table(index=index, columns="metric", values="cell", aggfunc="first")
st.dataframe(pivot, key="cmp_table")
export = PaperTable.from_frame(summary, rows=index, title="Augmenter comparison: mean [95% CI] in %")
buttons = st.container(horizontal=True)  # each button at its own width: labels are never cut
buttons.download_button("Download CSV", export.to_csv(), "comparison.csv", "text/csv", key="cmp_csv")
buttons.download_button("Download LaTeX", export.to_latex(), "comparison.tex", "text/x-tex", key="cmp_tex")

st.subheader(f"{metric} by augmenter")
bar = figures.comparison_bar(summary, metric)
common.plot(bar, key="cmp_bar", filename=f"comparison-{metric}")
common.download_ui(bar, f"comparison-{metric}", key="cmp_bar_html")

left, right = st.columns(2)
with left:
    st.subheader("Per-class recall")
    per_class, messages = gather("per_class")
    try:
        fig = figures.per_class_figure(per_class)
        common.plot(fig, key="cmp_per_class", filename="per-class-recall")
        common.download_ui(fig, "per-class-recall", key="cmp_per_class_html")
    except LabkitError as err:
        if per_class is not None:
            st.info(f"Cannot show per-class recall: {err}")
    for m in messages:
        st.info(m)
with right:
    st.subheader(f"{metric} against amount of synthetic data")
    sweep, messages = gather("sweep")
    try:
        fig = figures.sweep_figure(sweep, metric)
        common.plot(fig, key="cmp_sweep", filename=f"sweep-{metric}")
        common.download_ui(fig, f"sweep-{metric}", key="cmp_sweep_html")
    except LabkitError as err:
        if sweep is not None:
            st.info(f"Cannot show the sweep: {err}")
    for m in messages:
        st.info(m)
    if sweep is None:
        st.caption("A sweep is recorded by `labkit compare --sweep 0.5,1,2`.")

paired, _ = gather("paired")
if paired is not None:
    with st.expander("Paired differences against no augmentation"):
        st.dataframe(paired, key="cmp_paired")

gate, _ = gather("gate")  # runs made before the gate have no gate table: no section
gate_table = gate_view(gate)
if gate_table is not None:
    st.subheader("Did the generators learn the data? (the gate)")
    st.dataframe(gate_table, hide_index=True, key="cmp_gate")
    st.caption(
        "Each generating augmenter against its folds' real training rows (labkit.metrics.gate, means over folds): "
        "fidelity (real-trained classifier on generated rows) next to its accuracy on unseen real rows, C2ST AUC, "
        "precision, recall and spread. Verdict: for an augmenter that did not beat none, whether that rests on "
        "generators that learned the data."
    )
