"""Plotly figure builders for the dashboard and the notebooks: plain functions, data in, figure out.

* `distribution_figure`: the Figure-5 style animation: real train/test points and generated samples
  in a fixed 2-D projection, one plotly frame per recorded iteration, play/pause buttons and a
  slider, fixed axis ranges computed from all points (so frames do not jump), cumulative or
  per-iteration view, colour by source or by class, class filter, the frame's coverage metrics in
  its title.
* `comparison_bar`, `per_class_figure`, `sweep_figure`: augmenter comparisons with 95% CIs.
* `curves_figure`: losses or metrics against training iteration.

Play/pause is plotly's own animation (frames inside one figure) rather than a Streamlit rerun loop:
the browser steps through frames that are already there, so playing costs the server nothing and
stays smooth. Only the generated traces change between frames; the real points are drawn once.
Tables with a missing column raise `LabkitError` naming the column, so a UI can show a message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from labkit.errors import LabkitError

# Colours and marker symbols of the three sources (colour-blind safe Okabe-Ito hues).
SOURCE_STYLE = {
    "train": {"color": "#0072B2", "symbol": "circle", "opacity": 0.45},
    "test": {"color": "#E69F00", "symbol": "diamond", "opacity": 0.6},
    "generated": {"color": "#009E73", "symbol": "x", "opacity": 0.8},
}
# Class colours when colouring by class (cycled when there are more classes).
CLASS_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
                "#999999", "#8C564B"]
# What the distribution figure can colour by: source (train/test/generated), class, or the
# generated samples' origin (AAEC: "noise" = Decoder(E), "code" = Decoder(Z), "mixed" = X').
COLOR_BY = ["source", "class", "origin"]
ORIGIN_COLORS = ["#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"]
# Above this many points in a figure, WebGL traces (Scattergl) replace SVG ones, which would crawl.
WEBGL_ABOVE = 5000
# Metrics shown in each frame's title, in this order.
TITLE_METRICS = ["precision", "recall", "coverage", "test_gain"]


def axis_ranges(proj, pad: float = 0.05) -> tuple[list[float], list[float]]:
    """x and y ranges that hold every point of the projection (real and all generated), padded."""
    xy = np.concatenate([proj.xy_train, proj.xy_test, proj.xy_gen]).reshape(-1, 2)  # (n_all, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if xy.shape[0] == 0:
        return [-1.0, 1.0], [-1.0, 1.0]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad * span, hi + pad * span
    return [float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]


def frame_mask(iter_gen: np.ndarray, iteration: int, cumulative: bool) -> np.ndarray:
    """Which generated points a frame shows: that iteration's, or all up to it (Figure 5)."""
    return iter_gen <= iteration if cumulative else iter_gen == iteration


def _cap(idx: np.ndarray, cap: int | None, seed: int = 0) -> np.ndarray:
    """At most `cap` of the indices `idx`, a seeded choice so that redraws show the same points."""
    if cap is None or idx.size <= cap:
        return idx
    keep = np.random.default_rng(seed).permutation(idx.size)[:cap]
    return idx[np.sort(keep)]


def _title(iteration, metrics: dict | None, cumulative: bool) -> str:
    text = f"iteration {iteration}" + (" (cumulative)" if cumulative else "")
    row = (metrics or {}).get(int(iteration)) if iteration is not None else None
    if row:
        parts = [f"{m} {row[m]:.2f}" for m in TITLE_METRICS if row.get(m) is not None]
        text += "  ·  " + "  ".join(parts)
    return text


def distribution_figure(proj, *, cumulative: bool = True, color_by: str = "source", classes=None,
                        iteration: int | None = None, metrics: dict | None = None,
                        max_points: int | None = 20000, frame_ms: int = 600, height: int = 620):
    """The animated scatter of real and generated samples in the run's fixed projection.

    Parameters
    ----------
    proj : labkit.viz.projection.Projection (train/test/generated points, (n, 2) each).
    cumulative : frame t shows generated samples of every iteration <= t (as Figure 5 of AAEC);
        False shows iteration t's samples only.
    color_by : "source" (train / test / generated), "class" (colour = class, symbol = source) or
        "origin" (generated samples split by their origin, e.g. AAEC's noise / code / mixed).
    classes : class labels to show; None shows all.
    iteration : the frame shown first (the slider's position); default the first iteration.
    metrics : {iteration: {metric: value}} shown in each frame's title.
    max_points : cap on points per trace per frame (seeded subsample); None for no cap.
    frame_ms : milliseconds per frame when playing.

    Returns
    -------
    plotly.graph_objects.Figure with one frame per iteration (named by the iteration), a
    Play/Pause menu and a slider, and fixed axis ranges.
    """
    import plotly.graph_objects as go

    if color_by not in COLOR_BY:
        raise LabkitError(f"color_by must be one of {', '.join(COLOR_BY)}, got {color_by!r}")
    all_classes = proj.classes
    shown = list(all_classes) if classes is None else [str(c) for c in classes]
    keep_train = np.isin(proj.y_train, shown)
    keep_test = np.isin(proj.y_test, shown)
    keep_gen = np.isin(proj.y_gen, shown)
    iterations = [int(i) for i in proj.iterations]
    if iteration is None or int(iteration) not in iterations:
        iteration = iterations[0] if iterations else None
    n_points = int(keep_train.sum() + keep_test.sum() + keep_gen.sum())
    Scatter = go.Scattergl if n_points > WEBGL_ABOVE else go.Scatter

    # Groups of points, each one trace: (name, source, class or None, mask over the source's rows).
    origins = sorted(set(proj.origin_gen.tolist()))
    if color_by == "source":
        groups = [("train", "train", None, keep_train), ("test", "test", None, keep_test),
                  ("generated", "generated", None, keep_gen)]
    elif color_by == "origin":
        groups = [("train", "train", None, keep_train), ("test", "test", None, keep_test)]
        groups += [(f"generated · {o}", "generated", None, keep_gen & (proj.origin_gen == o)) for o in origins]
    else:
        groups = []
        for source, y, keep in (("train", proj.y_train, keep_train), ("test", proj.y_test, keep_test),
                                ("generated", proj.y_gen, keep_gen)):
            for c in shown:
                groups.append((f"{c} · {source}", source, c, keep & (y == c)))

    def marker(source, cls, name):
        style = SOURCE_STYLE[source]
        color = style["color"] if cls is None else CLASS_COLORS[all_classes.index(cls) % len(CLASS_COLORS)]
        if color_by == "origin" and source == "generated":
            color = ORIGIN_COLORS[[f"generated · {o}" for o in origins].index(name) % len(ORIGIN_COLORS)]
        return {"color": color, "symbol": style["symbol"], "size": 6 if source == "generated" else 5,
                "opacity": style["opacity"]}

    def trace(name, source, cls, idx, xy):
        idx = _cap(idx, max_points)
        return Scatter(x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=name, marker=marker(source, cls, name),
                       legendgroup=cls or source, showlegend=True,
                       hovertemplate=f"{name}<extra></extra>")

    def generated_traces(it):
        """The generated traces of the frame at iteration `it` (all empty when it is None)."""
        shown_now = frame_mask(proj.iter_gen, it, cumulative) if it is not None else np.zeros(len(proj.iter_gen), bool)
        return [trace(name, source, cls, np.flatnonzero(mask & shown_now), proj.xy_gen)
                for name, source, cls, mask in groups if source == "generated"]

    # Generated traces come first, so the real train/test points are drawn on top of them: cumulative
    # frames hold thousands of generated points, which would otherwise hide the real data.
    data = generated_traces(iteration)
    gen_index = list(range(len(data)))
    for name, source, cls, mask in groups:
        if source == "train":
            data.append(trace(name, source, cls, np.flatnonzero(mask), proj.xy_train))
        elif source == "test":
            data.append(trace(name, source, cls, np.flatnonzero(mask), proj.xy_test))

    x_range, y_range = axis_ranges(proj)
    x_label, y_label = proj.axis_labels()
    fig = go.Figure(data=data)
    fig.update_layout(
        height=height, template="plotly_white", margin={"l": 50, "r": 20, "t": 60, "b": 40},
        title={"text": _title(iteration, metrics, cumulative) if iteration is not None else "no generated samples yet",
               "font": {"size": 14}},
        xaxis={"range": x_range, "autorange": False, "title": x_label, "zeroline": False},
        yaxis={"range": y_range, "autorange": False, "title": y_label, "zeroline": False},
        legend={"itemsizing": "constant"}, uirevision=f"{proj.space}-{proj.method}",
    )
    if not iterations:
        return fig

    # One frame per iteration; a frame replaces only the generated traces (`traces=gen_index`).
    fig.frames = [
        go.Frame(name=str(it), data=generated_traces(it), traces=gen_index,
                 layout={"title": {"text": _title(it, metrics, cumulative)}})
        for it in iterations
    ]
    step_args = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate", "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[{
            "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0,
            "xanchor": "left", "yanchor": "top", "pad": {"r": 10, "t": 75},
            "buttons": [
                {"label": "▶ Play", "method": "animate",
                 "args": [None, {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True,
                                 "transition": {"duration": 0}}]},
                {"label": "❚❚ Pause", "method": "animate", "args": [[None], step_args]},
            ],
        }],
        sliders=[{
            "active": iterations.index(int(iteration)), "x": 0.2, "len": 0.8, "y": 0.0,
            "xanchor": "left", "yanchor": "top", "currentvalue": {"prefix": "iteration ", "xanchor": "right"},
            "pad": {"t": 55},
            "steps": [{"label": str(it), "method": "animate", "args": [[str(it)], step_args]} for it in iterations],
        }],
        margin={"b": 150},
    )
    return fig


# ------------------------------------------------------------------------------------ comparisons
def require_columns(df: pd.DataFrame | None, columns, table: str) -> pd.DataFrame:
    """`df` if it has every column in `columns`; else a LabkitError naming what is missing."""
    if df is None:
        raise LabkitError(f"no {table!r} table")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LabkitError(f"table {table!r} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}")
    return df


def _label_column(df: pd.DataFrame) -> pd.Series:
    """Bar labels: the augmenter, prefixed by the run when rows come from several runs."""
    if "run" in df.columns and df["run"].nunique() > 1:
        return df["run"].astype(str) + " · " + df["augmenter"].astype(str)
    return df["augmenter"].astype(str)


def normalize_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """A summary table in the `compare` layout (augmenter, metric, mean, ci_low, ci_high).

    `labkit reproduce aaec-table1` writes one row per configuration × head × metric (columns
    configuration, head, metric, ...): configurations become "augmenters" and head and metric are
    joined (``arousal_uar``, ``mean_combined``), so paper runs sit beside compare runs.
    """
    df = summary.copy()
    if "augmenter" not in df.columns and "configuration" in df.columns:
        df["augmenter"] = df["configuration"].astype(str)
    if "head" in df.columns and "metric" in df.columns:
        df["metric"] = df["head"].astype(str) + "_" + df["metric"].astype(str)
    for col in ("mean", "ci_low", "ci_high"):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce")  # None (one seed: no interval) -> NaN
    return df


def default_metric(metrics) -> str:
    """The metric a comparison opens on: ``uar`` if there, else the first naming UAR, else the first."""
    metrics = [str(m) for m in metrics]
    if "uar" in metrics:
        return "uar"
    return next((m for m in metrics if "uar" in m), metrics[0])


def comparison_bar(summary: pd.DataFrame, metric: str = "uar", height: int = 420):
    """Bars of `metric`'s mean per augmenter with its confidence interval as error bars.

    summary: columns augmenter, metric, mean, ci_low, ci_high (and optionally n, run).
    """
    import plotly.graph_objects as go

    require_columns(summary, ["augmenter", "metric", "mean", "ci_low", "ci_high"], "summary")
    rows = summary[summary["metric"] == metric].copy()
    if rows.empty:
        raise LabkitError(f"table 'summary' has no rows for metric {metric!r}; it has {sorted(summary['metric'].unique())}")
    rows["label"] = _label_column(rows)
    rows = rows.sort_values("mean", ascending=False)
    fig = go.Figure(go.Bar(
        x=rows["label"], y=rows["mean"], marker_color="#0072B2",
        # A single seed has no interval (NaN bounds): those bars get no error bar.
        error_y={"type": "data", "array": (rows["ci_high"] - rows["mean"]).fillna(0).to_numpy(),
                 "arrayminus": (rows["mean"] - rows["ci_low"]).fillna(0).to_numpy(), "visible": True},
        hovertemplate="%{x}: %{y:.3f}<extra></extra>",
    ))
    fig.update_layout(template="plotly_white", height=height, yaxis_title=f"{metric} (mean, 95% CI)",
                      xaxis_title="augmenter", margin={"t": 30})
    return fig


def per_class_figure(per_class: pd.DataFrame, height: int = 420):
    """Grouped bars of per-class recall, one colour per augmenter (columns augmenter, class, recall)."""
    import plotly.graph_objects as go

    require_columns(per_class, ["augmenter", "class", "recall"], "per_class")
    df = per_class.copy()
    df["label"] = _label_column(df)
    fig = go.Figure()
    for i, (label, rows) in enumerate(df.groupby("label", sort=False)):
        fig.add_bar(x=rows["class"].astype(str), y=rows["recall"], name=label,
                    marker_color=CLASS_COLORS[i % len(CLASS_COLORS)])
    fig.update_layout(template="plotly_white", barmode="group", height=height, yaxis_title="recall",
                      xaxis_title="class", yaxis_range=[0, 1], margin={"t": 30})
    return fig


def sweep_figure(sweep: pd.DataFrame, metric: str = "uar", height: int = 420):
    """`metric` against the amount of synthetic data, one line per augmenter with a CI band.

    sweep: columns augmenter, amount, metric, mean, ci_low, ci_high. The runner stores amounts as
    text ("0.5", "1", "balance") plus a numeric ``amount_value``; the x axis uses the numbers, and
    rows without one ("balance") are left out of the lines.
    """
    import plotly.graph_objects as go

    require_columns(sweep, ["augmenter", "amount", "metric", "mean", "ci_low", "ci_high"], "sweep")
    rows = sweep[sweep["metric"] == metric].copy()
    if rows.empty:
        raise LabkitError(f"table 'sweep' has no rows for metric {metric!r}")
    source = rows["amount_value"] if "amount_value" in rows.columns else rows["amount"]
    rows["amount"] = pd.to_numeric(source, errors="coerce")
    rows = rows[rows["amount"].notna()]
    if rows.empty:
        raise LabkitError("table 'sweep' has no numeric amounts to plot")
    rows["label"] = _label_column(rows)
    fig = go.Figure()
    for i, (label, r) in enumerate(rows.groupby("label", sort=False)):
        r = r.sort_values("amount")
        color = CLASS_COLORS[i % len(CLASS_COLORS)]
        # The band: upper edge left to right, then lower edge back, filled.
        fig.add_scatter(x=np.r_[r["amount"], r["amount"][::-1]], y=np.r_[r["ci_high"], r["ci_low"][::-1]],
                        fill="toself", fillcolor=color, opacity=0.15, line={"width": 0}, showlegend=False,
                        hoverinfo="skip", legendgroup=label)
        fig.add_scatter(x=r["amount"], y=r["mean"], mode="lines+markers", name=label, line={"color": color},
                        legendgroup=label)
    fig.update_layout(template="plotly_white", height=height, xaxis_title="amount of synthetic data",
                      yaxis_title=f"{metric} (mean, 95% CI)", margin={"t": 30})
    return fig


def curves_figure(df: pd.DataFrame, columns, *, x: str = "iteration", title: str = "", height: int = 380,
                  log_y: bool = False):
    """One line per column of `df` against `x` (losses or metrics over training)."""
    import plotly.graph_objects as go

    require_columns(df, [x, *columns], title or "history")
    df = df.sort_values(x)
    fig = go.Figure()
    for i, col in enumerate(columns):
        fig.add_scatter(x=df[x], y=df[col], mode="lines+markers" if len(df) < 60 else "lines", name=str(col),
                        line={"color": CLASS_COLORS[i % len(CLASS_COLORS)]})
    fig.update_layout(template="plotly_white", height=height, title=title, xaxis_title=x, margin={"t": 40},
                      yaxis_type="log" if log_y else "linear")
    return fig


def split_history_columns(history: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric columns of a training history: (losses, other metrics); `iteration` left out.

    A column is a loss when its name contains "loss" (``loss_d``, ``recon_loss``) or starts with
    ``L_``/``l_``; everything else numeric (accuracy, UAR, ...) is a metric.
    """
    losses, others = [], []
    for col in history.columns:
        # Bookkeeping columns (wall time) are not curves worth drawing.
        if col in ("iteration", "epoch", "step", "seconds", "time") or not pd.api.types.is_numeric_dtype(history[col]):
            continue
        name = str(col).lower()
        (losses if "loss" in name or name.startswith("l_") else others).append(col)
    return losses, others
