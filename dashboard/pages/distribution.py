"""Distribution page: real and generated samples in a fixed plane, played over training iterations.

The projection (PCA or UMAP) is fitted once per run on the real data and read from the run's cache;
generated samples of every iteration are placed in that same plane, so frames do not jump.
▶ Play is plotly's animation over frames already in the page (no server work while it plays).
The iteration slider picks the frame the plot opens on and the metrics shown beside it; moving it
only indexes cached arrays (the figure for each slider position is cached too).
"""

import pandas as pd
import streamlit as st

import common
from labkit.runstore import Run
from labkit.viz import data
from labkit.viz.coverage import METRIC_HELP
from labkit.viz.projection import run_fingerprint

st.title("Distribution of generated samples")
rows = common.store_ui()
candidates = [r for r in rows if r.spaces]
if not candidates:
    common.empty_store_ui(len(rows), "real reference data (reference/<space>.npz)",
                          "AAEC training records them: `labkit reproduce aaec-train ...` or `labkit demo`.")
    st.stop()

with st.sidebar:
    row = common.run_picker_ui(candidates, key="dist_run")
    space = st.selectbox("Space", row.spaces, key="dist_space",
                         help="the representation the samples were recorded in (e.g. spectrum, embedding)")
    method = st.radio("Projection", ["pca", "umap"], format_func=str.upper, horizontal=True, key="dist_method",
                      help="fitted once on the run's real data (train + test); UMAP's first fit takes a while")

proj, message = data.projection(row.path, space, method)
if proj is None:
    st.warning(message)
    st.stop()

left, right = st.columns([3, 1])
with left:
    c1, c2 = st.columns(2)
    cumulative = c1.radio("View", ["cumulative", "per iteration"], horizontal=True, key="dist_view",
                          help="cumulative: all samples generated up to the frame (AAEC's Figure 5)") == "cumulative"
    color_by = c2.radio("Colour by", ["source", "class", "origin"], horizontal=True, key="dist_color",
                        help="origin: where each generated sample came from (AAEC: noise = Decoder(E), "
                             "code = Decoder(Z), mixed = their average X')")
    classes = st.multiselect("Classes", proj.classes, default=proj.classes, key="dist_classes")
    iterations = [int(i) for i in proj.iterations]
    iteration = None
    if len(iterations) > 1:
        iteration = st.select_slider("Iteration (opening frame)", iterations, value=iterations[0], key="dist_iter",
                                     help="press ▶ Play under the plot to animate all iterations")
    elif iterations:
        iteration = iterations[0]

if not classes:
    left.warning("No class selected: pick at least one in **Classes**.")
    st.stop()

cov, cov_message = data.coverage(row.path, space)
fingerprint = run_fingerprint(Run(row.path), space)
fig = data.distribution_figure(row.path, space, method, fingerprint, cumulative, color_by,
                               None if len(classes) == len(proj.classes) else tuple(classes), iteration,
                               cov is not None)
with left:
    common.plot(fig, key="dist_plot")
    if not iterations:
        st.info("This run has real data but no generated snapshots yet (snapshots/<space>/iter_*.npz).")
    st.caption(f"{len(proj.y_train)} train · {len(proj.y_test)} test · {len(proj.y_gen)} generated samples "
               f"over {len(iterations)} iteration(s); axes fixed from all points.")

with right:
    st.subheader("Coverage" + (f" · iteration {iteration}" if iteration is not None else ""))
    if cov is None:
        st.info(cov_message)
    else:
        st.caption("Full feature space, this iteration's samples only, k = 5. The iteration slider sets this "
                   "panel; while ▶ Play runs, each frame's title shows its own numbers.")
        at = cov[cov["iteration"] == iteration]
        before = cov[cov["iteration"] < iteration].tail(1)
        if at.empty:
            st.info(f"No metrics for iteration {iteration}.")
        else:
            note = at["note"].iloc[0] if "note" in at.columns else None
            if isinstance(note, str) and note:
                st.warning(note)
            for name, help_text in METRIC_HELP.items():
                if name not in at.columns or pd.isna(at[name].iloc[0]):
                    continue
                value = float(at[name].iloc[0])
                previous = None if before.empty else before[name].iloc[0]
                delta = None if previous is None or pd.isna(previous) else f"{value - float(previous):+.3f}"
                # Lower is better for distances and for the classifier's AUC.
                color = "inverse" if name in ("frechet", "mmd", "c2st_auc") else "normal"
                st.metric(name, f"{value:.3f}", delta=delta, delta_color=color, help=help_text)
