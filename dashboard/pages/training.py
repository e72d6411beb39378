"""Training page: losses, validation metrics and coverage metrics against training iteration.

History tables are those named ``history`` (an aaec run), ``history_<task>`` (each configuration of
an aaec-table1 run) or ``history-<augmenter>`` (an iterative generator inside a compare run).
"""

import common
import streamlit as st

from labkit.errors import LabkitError
from labkit.viz import data, figures

st.title("Training curves")
rows = common.store_ui()


def history_tables(row) -> list[str]:
    return [t for t in row.tables if t == "history" or t.startswith(("history-", "history_"))]


candidates = [r for r in rows if history_tables(r) or r.n_snapshots]
if not candidates:
    common.empty_store_ui(
        len(rows),
        "a training history or generated snapshots",
        "AAEC training writes them: `labkit reproduce aaec-train ...` or `labkit demo`.",
    )
    st.stop()

with st.sidebar:
    row = common.run_picker_ui(candidates, key="train_run")
    names = history_tables(row)
    name = st.selectbox("History", names, key="train_history") if len(names) > 1 else (names or ["history"])[0]

history, message = data.table(row.path, name)
if history is None:
    st.info(message)
else:
    losses, others = figures.split_history_columns(history)
    x = next((c for c in ("iteration", "epoch", "step") if c in history.columns), None)
    if x is None:
        st.warning(f"The history table has no iteration column; it has {', '.join(map(str, history.columns))}.")
    else:
        left, right = st.columns(2)
        with left:
            if losses:
                log_y = st.checkbox("log scale", key="train_log")
                fig = figures.curves_figure(history, losses, x=x, title="losses", log_y=log_y)
                common.plot(fig, key="train_losses", filename=f"{row.run_id}-losses")
                common.download_ui(fig, f"{row.run_id}-losses", key="train_losses_html")
            else:
                st.info("The history table has no loss columns.")
        with right:
            if others:
                fig = figures.curves_figure(history, others, x=x, title="metrics", split_axes=True)
                common.plot(fig, key="train_metrics", filename=f"{row.run_id}-metrics")
                common.download_ui(fig, f"{row.run_id}-metrics", key="train_metrics_html")
            else:
                st.info("The history table has no metric columns besides losses.")

spaces = [s for s in row.spaces]
if not spaces or not row.n_snapshots:
    st.info("No generated snapshots recorded in this run, so no coverage curves.")
    st.stop()
st.subheader("Coverage of the real data by generated samples")
space = st.selectbox("Space", spaces, key="train_space") if len(spaces) > 1 else spaces[0]
cov, message = data.coverage(row.path, space)
if cov is None:
    st.info(message)
    st.stop()
left, right = st.columns(2)
shares = [
    m
    for m in ("precision", "recall", "density", "coverage", "c2st_auc", "test_gain", "test_in_train")
    if m in cov.columns
]
distances = [m for m in ("frechet", "mmd") if m in cov.columns]
try:
    with left:
        fig = figures.curves_figure(cov, shares, title="shares and AUC (k-NN balls)", split_axes=True)
        common.plot(fig, key="train_cov", filename=f"{row.run_id}-{space}-coverage")
        common.download_ui(fig, f"{row.run_id}-{space}-coverage", key="train_cov_html")
    with right:
        fig = figures.curves_figure(cov, distances, title="distances (0 when alike)")
        common.plot(fig, key="train_dist", filename=f"{row.run_id}-{space}-distances")
        common.download_ui(fig, f"{row.run_id}-{space}-distances", key="train_dist_html")
except LabkitError as err:
    st.warning(f"Cannot draw the coverage curves: {err}")
with st.expander("Coverage metrics table"):
    st.dataframe(cov, key="train_cov_table")
