"""Distribution page: real and generated samples in a fixed plane, played over training iterations.

Every run with recorded snapshots can be shown: AAEC and the other paper trainers, and the
``aug-<name>`` spaces of `labkit compare --record-every N` runs (one frame for one-shot augmenters
such as SMOTE, one per recorded iteration for GANs). The projection (PCA or UMAP) is fitted once per
run on the real data and read from the run's cache; generated samples of every iteration are placed
in that same plane, so frames do not jump.

**Beside it** puts a second generator recorded on the same real data (e.g. another augmenter of the
same comparison) in the same plane with the same axes; both play together.

The plot is drawn by labkit's plot component (`labkit.viz.components`: plotly.js in its own iframe,
the figure sent as typed arrays; `st.plotly_chart` when the component cannot load). ▶ Play and the
plot's own slider change frames inside it (no server work, no rerun); above 5,000 points it paints
each frame's generated points into a canvas under plotly's WebGL layer instead of redrawing WebGL.
The iteration slider picks the frame the plot opens on and the metrics shown beside it; moving it
only indexes cached arrays (the figure for each slider position is cached too). Every figure can be
downloaded as interactive HTML (button) or PNG (the camera icon of the plot's toolbar).

**Inspect points** (under the plot, single view): a lasso or box selection (or typed keys) lists the
points; the chosen one gets a card with its audio, spectrogram and, for a generated sample, its
nearest real samples in the full feature space (`labkit.viz.inspect`). Two toggles ring the test
samples outside every training ball and those this frame's generated samples reach (`test_gain`);
the plane's trustworthiness is printed under the plot. The page opens on the last iteration.
"""

import common
import pandas as pd
import streamlit as st

from labkit.errors import LabkitError
from labkit.metrics.coverage import METRIC_HELP
from labkit.runstore import Run
from labkit.viz import data
from labkit.viz import reference as reference_view  # --- calib: oracle reference scale ---
from labkit.viz.components import selected_codes
from labkit.viz.inspect import code_for as inspect_code
from labkit.viz.projection import run_fingerprint

st.title("Distribution of generated samples")
rows = common.store_ui()
candidates = [r for r in rows if r.spaces]
if not candidates:
    common.empty_store_ui(
        len(rows),
        "real reference data (reference/<space>.npz)",
        "Training runs record them (`labkit reproduce aaec-train ...`), and so does "
        "`labkit compare --record-every 1` for every augmenter; `labkit demo` does both.",
    )
    st.stop()

NOTHING = "(nothing)"
MAX_LISTED = 2000  # selected points listed in the inspector's table at most


def short_name(row, space: str, other_row) -> str:
    """`smote` for an augmenter space of the same run, else `run · space`."""
    name = space[4:] if space.startswith("aug-") else space
    return name if other_row is not None and other_row.path == row.path else f"{row.run_id} · {name}"


with st.sidebar:
    row = common.run_picker_ui(candidates, key="dist_run")
    space = st.selectbox(
        "Space",
        row.spaces,
        key="dist_space",
        help="the representation the samples were recorded in: e.g. spectrum or embedding "
        "(AAEC), aug-<augmenter> (a comparison)",
    )
    method = st.radio(
        "Projection",
        ["pca", "umap"],
        format_func=str.upper,
        horizontal=True,
        key="dist_method",
        help="fitted once on the run's real data (train + test); UMAP's first fit takes a while",
    )
    partners = data.partners(candidates, row.path, space)
    labels = [NOTHING] + [f"{r.run_id} · {s}" for r, s in partners]
    beside = st.selectbox(
        "Beside it",
        labels,
        key="dist_pair",
        help="another generator recorded on the same real data (e.g. another augmenter of the "
        "same comparison), drawn in the same plane with the same axes",
    )
    if len(labels) == 1:
        st.caption("No other generator was recorded on these real data.")
pair = partners[labels.index(beside) - 1] if beside in labels[1:] else None

proj, message = data.projection(row.path, space, method)
if proj is None:
    st.warning(message)
    st.stop()
proj_b = None
if pair is not None:
    proj_b, message = data.projection(pair[0].path, pair[1], method)
    if proj_b is None:
        st.warning(message)
        pair = None

left, right = st.columns([5, 2] if pair is not None else [3, 1])  # two panels and two metric columns
with left:
    c1, c2, c3 = st.columns(3)
    cumulative = (
        c1.radio(
            "View",
            ["cumulative", "per iteration"],
            horizontal=True,
            key="dist_view",
            help="cumulative: all samples generated up to the frame (AAEC's Figure 5)",
        )
        == "cumulative"
    )
    color_by = c2.radio(
        "Colour by",
        ["source", "class", "origin"],
        horizontal=True,
        key="dist_color",
        help="origin: where each generated sample came from (AAEC: noise = Decoder(E), "
        "code = Decoder(Z), mixed = their average X')",
    )
    generated_as = c3.radio(
        "Generated as",
        ["points", "density"],
        horizontal=True,
        key="dist_gen_as",
        help="points fade as they crowd; density draws filled contours, readable at any "
        "number of samples. Real points are always drawn above them.",
    )
    all_classes = sorted(set(proj.classes) | (set(proj_b.classes) if proj_b is not None else set()))
    kept, before = st.session_state.get("dist_classes"), st.session_state.get("dist_all_classes")
    if kept is not None and (
        not set(kept) <= set(all_classes) or (before != all_classes and set(kept) == set(before or []))
    ):
        # Another run with other classes (emotions here, arousal levels there): show all of them, unless
        # the reader had narrowed the selection to classes this run also has.
        st.session_state["dist_classes"] = all_classes
    st.session_state["dist_all_classes"] = all_classes
    classes = st.multiselect("Classes", all_classes, default=all_classes, key="dist_classes")
    highlight = ()
    if pair is None:
        t1, t2 = st.columns(2)
        show_outside = t1.toggle(
            "Ring test samples outside every training ball",
            key="dist_outside",
            help="test samples in no training sample's k-NN ball (k = 5, full feature space): what the "
            "training data alone do not cover",
        )
        show_reached = t2.toggle(
            "Ring those of them this frame's samples reach",
            key="dist_reached",
            help="outside every training ball but inside a ball of this iteration's generated samples: the "
            "test samples behind test_gain",
        )
        highlight = tuple(n for n, on in (("outside", show_outside), ("reached", show_reached)) if on)
    iterations = sorted({int(i) for i in proj.iterations} | ({int(i) for i in proj_b.iterations} if proj_b else set()))
    iteration = None
    if len(iterations) > 1:
        iteration = st.select_slider(
            "Iteration (opening frame)",
            iterations,
            value=iterations[-1],
            key="dist_iter",
            help="press ▶ Play under the plot to animate all iterations",
        )
    elif iterations:
        iteration = iterations[0]

if not classes:
    left.warning("No class selected: pick at least one in **Classes**.")
    st.stop()
chosen = None if len(classes) == len(all_classes) else tuple(classes)

cov, cov_message = data.coverage(row.path, space)
fingerprint = run_fingerprint(Run(row.path), space)
if pair is None:
    fig = data.distribution_figure(
        row.path,
        space,
        method,
        fingerprint,
        cumulative,
        color_by,
        chosen,
        iteration,
        cov is not None,
        generated_as=generated_as,
        highlight=highlight,
    )
    names = None
    file_stem = f"{row.run_id}-{space}"
else:
    names = (short_name(row, space, pair[0]), short_name(pair[0], pair[1], row))
    both = fingerprint + "||" + run_fingerprint(Run(pair[0].path), pair[1])
    fig = data.pair_figure(
        row.path,
        space,
        pair[0].path,
        pair[1],
        method,
        both,
        names,
        cumulative,
        color_by,
        chosen,
        iteration,
        generated_as,
    )
    file_stem = f"{row.run_id}-{space}-vs-{pair[1]}"

with left:
    event = common.plot(
        fig,
        key="dist_plot",
        filename=file_stem,
        select=pair is None,
        own_frames=True,
        selection_key=f"{row.path}|{space}",
    )
    if not iterations:
        st.info("This run has real data but no generated snapshots yet (snapshots/<space>/iter_*.npz).")
    n_gen = len(proj.y_gen) + (len(proj_b.y_gen) if proj_b is not None else 0)
    st.caption(
        f"{len(proj.y_train)} train · {len(proj.y_test)} test · {n_gen} generated samples "
        f"over {len(iterations)} iteration(s); axes fixed from all points"
        + (" of both generators." if pair is not None else ".")
    )
    common.download_ui(fig, file_stem, key="dist_html")
    if highlight:
        masks, message = data.uncovered(row.path, space, iteration)
        if masks is None:
            st.warning(message)
        else:
            n_test = len(masks["outside"])
            st.caption(
                f"Rings at iteration {iteration}: {int(masks['outside'].sum())} of {n_test} test samples lie "
                f"outside every training ball (1 − test_in_train); {int(masks['reached'].sum())} of them lie in "
                f"a ball of this iteration's generated samples (test_gain = {masks['reached'].mean():.3f})."
            )
    trust, message = data.trust(row.path, space, method, iteration)
    if trust is None:
        st.caption(message)
    else:
        st.caption(
            f"How far to trust the plane at this frame ({trust['n']} points, k = {trust['k']}): "
            f"trustworthiness **{trust['trustworthiness']:.2f}** (1 = no false neighbours in the plane); "
            f"**{100 * trust['preserved']:.0f}%** of each point's full-space nearest neighbours stay its nearest "
            "in the plane."
        )
        if trust["warning"]:
            st.warning(trust["warning"])


def own_iteration(its, t):
    """A generator's recorded iteration shown at frame t: its latest one up to t."""
    own = [int(i) for i in its if t is not None and int(i) <= t]
    return own[-1] if own else None


with right:
    st.subheader("Coverage" + (f" · iteration {iteration}" if iteration is not None else ""))
    if pair is not None:
        # Two generators: one column of metrics each, at each one's own iteration shown in the frame.
        cov_b, cov_b_message = data.coverage(pair[0].path, pair[1])
        table, notes = {}, []
        for name, c, its, msg in (
            (names[0], cov, proj.iterations, cov_message),
            (names[1], cov_b, proj_b.iterations, cov_b_message),
        ):
            own = own_iteration(its, iteration)
            if c is None or own is None or c[c["iteration"] == own].empty:
                notes.append(f"{name}: {msg or 'no metrics at this frame'}")
                continue
            at = c[c["iteration"] == own].iloc[0]
            table[f"{name} · {own}"] = {m: at[m] for m in METRIC_HELP if m in at and pd.notna(at[m])}
        st.caption(
            "Full feature space, k = 5; each column is a generator's samples of the iteration it "
            "shows (name · iteration)."
        )
        if table:
            st.dataframe(pd.DataFrame(table).round(3), key="dist_pair_metrics")
        for note in notes:
            st.info(note)
    elif cov is None:
        st.info(cov_message)
    else:
        st.caption(
            "Full feature space, this iteration's samples only, k = 5. The iteration slider sets this "
            "panel; while ▶ Play runs, each frame's title shows its own numbers."
        )
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
    # --- calib: oracle reference scale (what new real rows reach; stored by `labkit coverage`, read only)
    if pair is None:
        st.markdown(reference_view.summary_markdown(row.path, space, cov, iteration))
    # ---


# ---------------------------------------------------------------------------------------- inspector
st.subheader("Inspect points")
if pair is not None:
    st.info("Choose (nothing) in **Beside it** to select and inspect points of one generator.")
    st.stop()
picked = selected_codes(event)
typed = st.text_input(
    "…or name points",
    key="dist_keys",
    placeholder="e.g. test:3, gen:20:5",
    help="point keys: train:<row>, test:<row>, gen:<iteration>:<row>; or utterance ids",
)
meta, meta_message = data.utterances(row.path, space)
for text in [t.strip() for t in typed.split(",") if t.strip()]:
    try:
        picked.append(inspect_code(proj, meta, text))
    except LabkitError as err:
        st.warning(str(err))
picked = list(dict.fromkeys(picked))
if not picked:
    st.caption(
        "Draw a lasso or a box on the plot (toolbar, top right) to list the points inside it; then choose one "
        "to hear it, see its spectrogram and, for a generated sample, its nearest real samples in the full space."
    )
    st.stop()
if meta is None and meta_message:
    st.caption(f"Utterances unknown: {meta_message}")
n_picked = len(picked)
picked = picked[:MAX_LISTED]  # a lasso over a 20,000-point plane: list (and offer) the first ones only
table = data.point_table(row.path, space, method, tuple(picked))
st.dataframe(table.drop(columns=["x", "y"]), hide_index=True, height=250, key="dist_selected")
st.caption(
    f"{n_picked} point(s) selected."
    + (f" The first {MAX_LISTED} are listed; draw a smaller lasso to see the others." if n_picked > MAX_LISTED else "")
)
playable = data.playable_keys(row.path, space, method, tuple(picked))
options = playable + [k for k in table["key"] if k not in set(playable)]
choice = st.selectbox(
    "Point to inspect",
    options,
    key="dist_point",
    help="points that can be heard come first (real utterances, generated spectrograms the run stored)",
)
if choice:
    chosen_card, message = data.card(row.path, space, method, inspect_code(proj, meta, choice))
    if chosen_card is None:
        st.warning(message)
    else:
        common.card_ui(chosen_card)
