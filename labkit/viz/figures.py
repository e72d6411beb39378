"""Plotly figure builders for the dashboard and the notebooks: plain functions, data in, figure out.

* `distribution_figure`: the Figure-5 style animation: real train/test points and generated samples
  in a fixed 2-D projection, one plotly frame per recorded iteration, play/pause buttons and a
  slider, fixed axis ranges computed from all points (so frames do not jump), cumulative or
  per-iteration view, colour by source or by class, class filter, the frame's coverage metrics in
  its title. Generated samples are drawn as markers that fade as they crowd, or as filled density
  contours (``generated_as="density"``); real points are drawn above them, outlined.
* `distribution_pair_figure`: two generators side by side in one plane with the same axes, played
  together over the union of their iterations (e.g. SMOTE's single frame beside a GAN's training).
* `figure_html`: any figure as offline interactive HTML (plotly.js inlined).
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
# Real points are drawn above generated ones, outlined in white; generated points fade as they crowd
# (`generated_opacity`), so real train/test points stay readable over 5,000+ generated ones.
SOURCE_STYLE = {
    "train": {"color": "#0072B2", "symbol": "circle", "opacity": 0.75, "size": 6},
    "test": {"color": "#E69F00", "symbol": "diamond", "opacity": 0.9, "size": 7},
    "generated": {"color": "#009E73", "symbol": "x", "opacity": 0.8, "size": 6},
}
# Class colours when colouring by class (cycled when there are more classes).
CLASS_COLORS = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#999999",
    "#8C564B",
]
# What the distribution figure can colour by: source (train/test/generated), class, or the
# generated samples' origin (AAEC: "noise" = Decoder(E), "code" = Decoder(Z), "mixed" = X').
COLOR_BY = ["source", "class", "origin"]
ORIGIN_COLORS = ["#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"]
# How generated samples are drawn: markers (fading as they crowd) or filled density contours.
GENERATED_AS = ["points", "density"]
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


class _Panel:
    """The traces of one projection in one plot area: real points, and generated points per frame.

    Shared by the single figure and the side-by-side figure, so both draw exactly the same way.
    Groups of points are traces: (name, source, class or None, mask over that source's rows).
    """

    def __init__(
        self,
        proj,
        *,
        color_by,
        shown,
        all_classes,
        cumulative,
        max_points,
        scatter,
        generated_as,
        x_range,
        y_range,
        axes=("x", "y"),
        showlegend=True,
        prefix="",
    ):
        self.proj, self.color_by, self.all_classes = proj, color_by, all_classes
        self.cumulative, self.max_points, self.scatter = cumulative, max_points, scatter
        self.generated_as, self.x_range, self.y_range = generated_as, x_range, y_range
        self.axes, self.showlegend, self.prefix = axes, showlegend, prefix
        self.iterations = [int(i) for i in proj.iterations]
        keep_train = np.isin(proj.y_train, shown)
        keep_test = np.isin(proj.y_test, shown)
        keep_gen = np.isin(proj.y_gen, shown)
        self.origins = sorted(set(proj.origin_gen.tolist()))
        if color_by == "source":
            groups = [
                ("train", "train", None, keep_train),
                ("test", "test", None, keep_test),
                ("generated", "generated", None, keep_gen),
            ]
        elif color_by == "origin":
            groups = [("train", "train", None, keep_train), ("test", "test", None, keep_test)]
            groups += [(f"generated · {o}", "generated", None, keep_gen & (proj.origin_gen == o)) for o in self.origins]
        else:
            groups = []
            for source, y, keep in (
                ("train", proj.y_train, keep_train),
                ("test", proj.y_test, keep_test),
                ("generated", proj.y_gen, keep_gen),
            ):
                for c in shown:
                    groups.append((f"{c} · {source}", source, c, keep & (y == c)))
        self.groups = groups
        # The largest frame decides how faint generated points are, so the fade stays put while playing.
        largest = max((int(self.mask_at(it).sum()) for it in self.iterations), default=0)
        self.gen_opacity = generated_opacity(min(largest, max_points or largest))
        self.gen_size = 6 if largest <= 1000 else 4

    def mask_at(self, t) -> np.ndarray:
        """Generated rows shown at frame `t`: this panel's samples up to t (cumulative), or those of its
        latest recorded iteration <= t (a one-shot augmenter's single frame stays on every frame)."""
        if t is None:
            return np.zeros(len(self.proj.iter_gen), bool)
        if self.cumulative:
            return self.proj.iter_gen <= t
        own = [i for i in self.iterations if i <= t]
        return self.proj.iter_gen == own[-1] if own else np.zeros(len(self.proj.iter_gen), bool)

    def own_iteration(self, t) -> int | None:
        """The panel's own recorded iteration shown at frame `t` (None before its first)."""
        own = [i for i in self.iterations if t is not None and i <= t]
        return own[-1] if own else None

    def color(self, source, cls, name) -> str:
        if self.color_by == "origin" and source == "generated":
            names = [f"generated · {o}" for o in self.origins]
            return ORIGIN_COLORS[names.index(name) % len(ORIGIN_COLORS)]
        if cls is not None:
            return CLASS_COLORS[self.all_classes.index(cls) % len(CLASS_COLORS)]
        return SOURCE_STYLE[source]["color"]

    def _points(self, name, source, cls, idx, xy):
        style = SOURCE_STYLE[source]
        idx = _cap(idx, self.max_points)
        if source == "generated":
            marker = {
                "color": self.color(source, cls, name),
                "symbol": style["symbol"],
                "size": self.gen_size,
                "opacity": self.gen_opacity,
            }
        else:
            # Real points: opaque enough to read and outlined in white, so they stand out above a dense
            # generated cloud (they are drawn after it).
            marker = {
                "color": self.color(source, cls, name),
                "symbol": style["symbol"],
                "size": style["size"],
                "opacity": style["opacity"],
                "line": {"width": 0.6, "color": "white"},
            }
        return self.scatter(
            x=xy[idx, 0],
            y=xy[idx, 1],
            customdata=point_codes(self.proj, source, idx),
            mode="markers",
            name=self.prefix + name,
            marker=marker,
            legendgroup=cls or name,
            showlegend=self.showlegend,
            xaxis=self.axes[0],
            yaxis=self.axes[1],
            hovertemplate=f"{self.prefix}{name}<extra></extra>",
        )

    def _density(self, name, cls, idx):
        import plotly.graph_objects as go

        rgb = _rgb(self.color("generated", cls, name))
        xy = self.proj.xy_gen[_cap(idx, self.max_points)]
        bins = 60
        return go.Histogram2dContour(
            x=xy[:, 0],
            y=xy[:, 1],
            name=self.prefix + name,
            legendgroup=cls or name,
            showlegend=self.showlegend,
            xaxis=self.axes[0],
            yaxis=self.axes[1],
            showscale=False,
            hoverinfo="skip",
            ncontours=10,
            autobinx=False,
            autobiny=False,
            xbins={
                "start": self.x_range[0],
                "end": self.x_range[1],
                "size": (self.x_range[1] - self.x_range[0]) / bins,
            },
            ybins={
                "start": self.y_range[0],
                "end": self.y_range[1],
                "size": (self.y_range[1] - self.y_range[0]) / bins,
            },
            colorscale=[[0.0, f"rgba({rgb},0)"], [0.15, f"rgba({rgb},0.25)"], [1.0, f"rgba({rgb},0.85)"]],
            contours={"coloring": "fill", "showlines": False},
            line={"width": 0},
        )

    def generated_traces(self, t) -> list:
        """The generated traces of frame `t` (empty ones when t is None or before the first frame)."""
        shown_now = self.mask_at(t)
        out = []
        for name, source, cls, mask in self.groups:
            if source != "generated":
                continue
            idx = np.flatnonzero(mask & shown_now)
            out.append(
                self._density(name, cls, idx)
                if self.generated_as == "density"
                else self._points(name, source, cls, idx, self.proj.xy_gen)
            )
        return out

    def real_traces(self) -> list:
        out = []
        for name, source, cls, mask in self.groups:
            if source == "train":
                out.append(self._points(name, source, cls, np.flatnonzero(mask), self.proj.xy_train))
            elif source == "test":
                out.append(self._points(name, source, cls, np.flatnonzero(mask), self.proj.xy_test))
        return out


def point_codes(proj, source: str, idx: np.ndarray) -> np.ndarray:
    """Integer codes naming points across sources (train rows, then test rows, then generated rows);
    every marker carries its code as ``customdata``, so a selection says which points it holds
    (`labkit.viz.inspect.decode` turns a code back into a source and row)."""
    base = {"train": 0, "test": len(proj.y_train), "generated": len(proj.y_train) + len(proj.y_test)}[source]
    return (np.asarray(idx, np.int64) + base).astype(np.int32)


# How highlighted test samples are drawn (rings above every other point), by highlight name.
HIGHLIGHT_STYLE = {
    "outside": {"color": "#D55E00", "size": 13, "name": "test · outside every training ball"},
    "reached": {"color": "#000000", "size": 17, "name": "test · outside, reached by this frame's generated"},
}


def highlight_traces(proj, highlight: dict | None, scatter) -> list:
    """Rings around test samples: {"outside": mask (n_test,), "reached": mask (n_test,)} (either optional)."""
    out = []
    for name, mask in (highlight or {}).items():
        style = HIGHLIGHT_STYLE[name]
        idx = np.flatnonzero(np.asarray(mask, bool))
        out.append(
            scatter(
                x=proj.xy_test[idx, 0],
                y=proj.xy_test[idx, 1],
                customdata=point_codes(proj, "test", idx),
                mode="markers",
                name=f"{style['name']} ({idx.size})",
                marker={
                    "symbol": "circle-open",
                    "size": style["size"],
                    "color": style["color"],
                    "line": {"width": 2, "color": style["color"]},
                },
                hovertemplate=f"{style['name']}<extra></extra>",
            )
        )
    return out


def generated_opacity(n: int) -> float:
    """Marker opacity of generated points when a frame holds up to `n` of them.

    0.8 up to 400 points, then falling as 1/sqrt(n) (0.28 at 5,000, 0.14 at 20,000, never below 0.08):
    thousands of faint points read as a density, and the real points above them stay visible.
    """
    return float(np.clip(np.sqrt(400.0 / max(int(n), 1)), 0.08, 0.8))


def _rgb(color: str) -> str:
    """'#RRGGBB' -> 'R,G,B' (for rgba() colour scales)."""
    c = color.lstrip("#")
    return ",".join(str(int(c[i : i + 2], 16)) for i in (0, 2, 4))


def _check_options(color_by: str, generated_as: str) -> None:
    if color_by not in COLOR_BY:
        raise LabkitError(f"color_by must be one of {', '.join(COLOR_BY)}, got {color_by!r}")
    if generated_as not in GENERATED_AS:
        raise LabkitError(f"generated_as must be one of {', '.join(GENERATED_AS)}, got {generated_as!r}")


def _animation_controls(fig, iterations: list[int], active: int, frame_ms: int) -> None:
    """Play/Pause buttons and an iteration slider that step through the figure's frames."""
    step_args = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate", "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "showactive": False,
                "x": 0.0,
                "y": 0.0,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"r": 10, "t": 75},
                "buttons": [
                    {
                        "label": "▶ Play",
                        "method": "animate",
                        "args": [
                            None,
                            {
                                "frame": {"duration": frame_ms, "redraw": True},
                                "fromcurrent": True,
                                "transition": {"duration": 0},
                            },
                        ],
                    },
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], step_args]},
                ],
            }
        ],
        sliders=[
            {
                "active": active,
                # Starts well right of Play/Pause: in a narrow plot the first step sat under Pause.
                "x": 0.3,
                "len": 0.7,
                "y": 0.0,
                "xanchor": "left",
                "yanchor": "top",
                "currentvalue": {"prefix": "iteration ", "xanchor": "right"},
                "pad": {"t": 55},
                "steps": [{"label": str(it), "method": "animate", "args": [[str(it)], step_args]} for it in iterations],
            }
        ],
        margin={"b": 150},
    )


def distribution_figure(
    proj,
    *,
    cumulative: bool = True,
    color_by: str = "source",
    classes=None,
    iteration: int | None = None,
    metrics: dict | None = None,
    max_points: int | None = 20000,
    frame_ms: int = 600,
    height: int = 620,
    generated_as: str = "points",
    x_range=None,
    y_range=None,
    highlight: dict | None = None,
    dragmode: str | None = None,
):
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
    generated_as : "points" (markers that fade as they crowd, `generated_opacity`) or "density"
        (filled contours of a 2-D histogram: readable at any number of generated samples).
    x_range, y_range : fixed axis ranges; default `axis_ranges(proj)` (every point of every frame).
    highlight : rings around test samples, {"outside": mask, "reached": mask} (`highlight_traces`);
        drawn above everything and not animated.
    dragmode : plotly's drag mode on opening (the dashboard opens on "lasso" for selecting points).

    Returns
    -------
    plotly.graph_objects.Figure with one frame per iteration (named by the iteration), a
    Play/Pause menu and a slider, and fixed axis ranges. Generated traces come first, so the real
    train/test points are drawn above them.
    """
    import plotly.graph_objects as go

    _check_options(color_by, generated_as)
    all_classes = proj.classes
    shown = list(all_classes) if classes is None else [str(c) for c in classes]
    iterations = [int(i) for i in proj.iterations]
    if iteration is None or int(iteration) not in iterations:
        iteration = iterations[0] if iterations else None
    n_points = int(
        np.isin(proj.y_train, shown).sum() + np.isin(proj.y_test, shown).sum() + np.isin(proj.y_gen, shown).sum()
    )
    auto_x, auto_y = axis_ranges(proj)
    x_range, y_range = list(x_range or auto_x), list(y_range or auto_y)
    panel = _Panel(
        proj,
        color_by=color_by,
        shown=shown,
        all_classes=all_classes,
        cumulative=cumulative,
        max_points=max_points,
        scatter=go.Scattergl if n_points > WEBGL_ABOVE else go.Scatter,
        generated_as=generated_as,
        x_range=x_range,
        y_range=y_range,
    )

    # Generated traces come first, so the real train/test points are drawn on top of them: cumulative
    # frames hold thousands of generated points, which would otherwise hide the real data.
    data = panel.generated_traces(iteration)
    gen_index = list(range(len(data)))
    data += panel.real_traces()
    data += highlight_traces(proj, highlight, panel.scatter)

    x_label, y_label = proj.axis_labels()
    fig = go.Figure(data=data)
    fig.update_layout(
        height=height,
        template="plotly_white",
        margin={"l": 50, "r": 20, "t": 60, "b": 40},
        title={
            "text": _title(iteration, metrics, cumulative) if iteration is not None else "no generated samples yet",
            "font": {"size": 14},
        },
        xaxis={"range": x_range, "autorange": False, "title": x_label, "zeroline": False},
        yaxis={"range": y_range, "autorange": False, "title": y_label, "zeroline": False},
        legend={"itemsizing": "constant"},
        uirevision=f"{proj.space}-{proj.method}",
        **({"dragmode": dragmode} if dragmode else {}),
    )
    if not iterations:
        return fig

    # One frame per iteration; a frame replaces only the generated traces (`traces=gen_index`).
    fig.frames = [
        go.Frame(
            name=str(it),
            data=panel.generated_traces(it),
            traces=gen_index,
            layout={"title": {"text": _title(it, metrics, cumulative)}},
        )
        for it in iterations
    ]
    _animation_controls(fig, iterations, iterations.index(int(iteration)), frame_ms)
    return fig


def shared_ranges(*projs, pad: float = 0.05) -> tuple[list[float], list[float]]:
    """x and y ranges holding every point of every projection: one set of axes for all of them."""
    ranges = [axis_ranges(p, pad=0.0) for p in projs]
    lo = np.array([[r[0][0], r[1][0]] for r in ranges]).min(axis=0)
    hi = np.array([[r[0][1], r[1][1]] for r in ranges]).max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad * span, hi + pad * span
    return [float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]


def _pair_title(name: str, own, metrics: dict | None, cumulative: bool) -> str:
    if own is None:
        return f"<b>{name}</b> · no samples yet"
    text = f"<b>{name}</b> · iteration {own}" + (" (cumulative)" if cumulative else "")
    row = (metrics or {}).get(int(own))
    if row:
        # Two metrics a line: half a figure's width holds no more.
        parts = [f"{m} {row[m]:.2f}" for m in TITLE_METRICS if row.get(m) is not None]
        text += "".join(("<br>" if i % 2 == 0 else "  ") + part for i, part in enumerate(parts))
    return text


def distribution_pair_figure(
    proj_a,
    proj_b,
    names=("A", "B"),
    *,
    cumulative: bool = True,
    color_by: str = "source",
    classes=None,
    iteration: int | None = None,
    metrics_a: dict | None = None,
    metrics_b: dict | None = None,
    max_points: int | None = 20000,
    frame_ms: int = 600,
    height: int = 620,
    generated_as: str = "points",
):
    """Two generators side by side in the same plane, with the same axes, played together.

    `proj_a` and `proj_b` must be projections of the same real data in the same basis
    (`labkit.viz.projection.same_real_data` checks that their references are identical; a projection
    fitted once on those data is then one plane). The frames run over the union of both iteration
    lists; at frame t each side shows its own samples up to t (cumulative), or those of its latest
    recorded iteration <= t, so a one-shot augmenter (SMOTE: one frame at iteration 0) stays visible
    beside a GAN that is still training. Each side's title carries its own iteration and metrics.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    _check_options(color_by, generated_as)
    all_classes = sorted(set(proj_a.classes) | set(proj_b.classes))
    shown = list(all_classes) if classes is None else [str(c) for c in classes]
    iterations = sorted({int(i) for i in proj_a.iterations} | {int(i) for i in proj_b.iterations})
    if iteration is None or int(iteration) not in iterations:
        iteration = iterations[0] if iterations else None
    n_points = max(len(p.y_train) + len(p.y_test) + len(p.y_gen) for p in (proj_a, proj_b))
    scatter = go.Scattergl if n_points > WEBGL_ABOVE else go.Scatter
    x_range, y_range = shared_ranges(proj_a, proj_b)
    panels = [
        _Panel(
            p,
            color_by=color_by,
            shown=shown,
            all_classes=all_classes,
            cumulative=cumulative,
            max_points=max_points,
            scatter=scatter,
            generated_as=generated_as,
            x_range=x_range,
            y_range=y_range,
            axes=axes,
            showlegend=first,
            prefix="" if first else f"{name}: ",
        )
        for p, axes, first, name in ((proj_a, ("x", "y"), True, names[0]), (proj_b, ("x2", "y2"), False, names[1]))
    ]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.03)
    gen = panels[0].generated_traces(iteration) + panels[1].generated_traces(iteration)
    gen_index = list(range(len(gen)))
    for trace in gen + panels[0].real_traces() + panels[1].real_traces():
        fig.add_trace(trace)

    def titles(t):
        out = []
        for panel, name, metrics, domain in (
            (panels[0], names[0], metrics_a, fig.layout.xaxis.domain),
            (panels[1], names[1], metrics_b, fig.layout.xaxis2.domain),
        ):
            out.append(
                {
                    "text": _pair_title(name, panel.own_iteration(t), metrics, cumulative),
                    "x": (domain[0] + domain[1]) / 2,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 12},
                }
            )
        return out

    x_label, y_label = proj_a.axis_labels()
    axis = {"range": x_range, "autorange": False, "title": x_label, "zeroline": False}
    fig.update_layout(
        height=height,
        template="plotly_white",
        margin={"l": 50, "r": 20, "t": 95, "b": 40},
        xaxis=axis,
        xaxis2=axis,
        annotations=titles(iteration),
        yaxis={"range": y_range, "autorange": False, "title": y_label, "zeroline": False},
        yaxis2={"range": y_range, "autorange": False, "zeroline": False},
        legend={"itemsizing": "constant"},
        uirevision=f"pair-{proj_a.space}-{proj_b.space}-{proj_a.method}",
    )
    if not iterations:
        return fig
    fig.frames = [
        go.Frame(
            name=str(it),
            data=panels[0].generated_traces(it) + panels[1].generated_traces(it),
            traces=gen_index,
            layout={"annotations": titles(it)},
        )
        for it in iterations
    ]
    _animation_controls(fig, iterations, iterations.index(int(iteration)), frame_ms)
    return fig


def figure_html(fig, *, include_plotlyjs=True, full_html: bool = True, div_id: str | None = None) -> str:
    """A figure as interactive HTML that works offline (plotly.js inlined, no MathJax, no CDN).

    With ``include_plotlyjs=False`` and ``full_html=False`` it is a ``<div>`` for a page that
    already carries plotly.js once (`labkit.viz.report`).
    """
    return fig.to_html(
        include_plotlyjs=include_plotlyjs,
        full_html=full_html,
        include_mathjax=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
        auto_play=False,
    )


# ------------------------------------------------------------------------------------ comparisons
def require_columns(df: pd.DataFrame | None, columns, table: str) -> pd.DataFrame:
    """`df` if it has every column in `columns`; else a LabkitError naming what is missing."""
    if df is None:
        raise LabkitError(f"no {table!r} table")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LabkitError(
            f"table {table!r} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}"
        )
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


def opening_metric(summary: pd.DataFrame) -> str:
    """The metric a comparison opens on: `default_metric` among those whose means differ between rows.

    A metric that is equal for every augmenter (or shown for one row only) makes a flat, uninformative
    chart; the first metric that does differ wins, in `default_metric`'s order (uar first).
    """
    metrics = [str(m) for m in dict.fromkeys(summary["metric"].astype(str))]
    labels = _label_column(summary) if "augmenter" in summary.columns else pd.Series("", index=summary.index)
    differing = []
    for m in metrics:
        rows = summary[summary["metric"].astype(str) == m]
        means = pd.to_numeric(rows["mean"], errors="coerce")
        if labels[rows.index].nunique() > 1 and means.nunique(dropna=True) > 1:
            differing.append(m)
    return default_metric(differing or metrics)


def comparison_bar(summary: pd.DataFrame, metric: str = "uar", height: int = 420):
    """Bars of `metric`'s mean per augmenter with its confidence interval as error bars.

    summary: columns augmenter, metric, mean, ci_low, ci_high (and optionally n, run).
    """
    import plotly.graph_objects as go

    require_columns(summary, ["augmenter", "metric", "mean", "ci_low", "ci_high"], "summary")
    rows = summary[summary["metric"] == metric].copy()
    if rows.empty:
        raise LabkitError(
            f"table 'summary' has no rows for metric {metric!r}; it has {sorted(summary['metric'].unique())}"
        )
    rows["label"] = _label_column(rows)
    rows = rows.sort_values("mean", ascending=False)
    fig = go.Figure(
        go.Bar(
            x=rows["label"],
            y=rows["mean"],
            marker_color="#0072B2",
            # A single seed has no interval (NaN bounds): those bars get no error bar.
            error_y={
                "type": "data",
                "array": (rows["ci_high"] - rows["mean"]).fillna(0).to_numpy(),
                "arrayminus": (rows["mean"] - rows["ci_low"]).fillna(0).to_numpy(),
                "visible": True,
            },
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        template="plotly_white",
        height=height,
        yaxis_title=f"{metric} (mean, 95% CI)",
        xaxis_title="augmenter",
        margin={"t": 30},
    )
    return fig


def per_class_figure(per_class: pd.DataFrame, height: int = 420):
    """Grouped bars of per-class recall, one colour per augmenter (columns augmenter, class, recall)."""
    import plotly.graph_objects as go

    require_columns(per_class, ["augmenter", "class", "recall"], "per_class")
    df = per_class.copy()
    df["label"] = _label_column(df)
    fig = go.Figure()
    for i, (label, rows) in enumerate(df.groupby("label", sort=False)):
        fig.add_bar(
            x=rows["class"].astype(str), y=rows["recall"], name=label, marker_color=CLASS_COLORS[i % len(CLASS_COLORS)]
        )
    fig.update_layout(
        template="plotly_white",
        barmode="group",
        height=height,
        yaxis_title="recall",
        xaxis_title="class",
        yaxis_range=[0, 1],
        margin={"t": 30},
    )
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
        fig.add_scatter(
            x=np.r_[r["amount"], r["amount"][::-1]],
            y=np.r_[r["ci_high"], r["ci_low"][::-1]],
            fill="toself",
            fillcolor=color,
            opacity=0.15,
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
            legendgroup=label,
        )
        fig.add_scatter(
            x=r["amount"], y=r["mean"], mode="lines+markers", name=label, line={"color": color}, legendgroup=label
        )
    fig.update_layout(
        template="plotly_white",
        height=height,
        xaxis_title="amount of synthetic data",
        yaxis_title=f"{metric} (mean, 95% CI)",
        margin={"t": 30},
    )
    return fig


def is_score(values) -> bool:
    """Whether a column holds scores or shares (every finite value within [0, 1]) rather than counts."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
    v = v[np.isfinite(v)]
    return v.size > 0 and bool((v >= 0).all() and (v <= 1).all())


def curves_figure(
    df: pd.DataFrame,
    columns,
    *,
    x: str = "iteration",
    title: str = "",
    height: int = 380,
    log_y: bool = False,
    split_axes: bool = False,
):
    """One line per column of `df` against `x` (losses or metrics over training).

    With ``split_axes=True`` scores (columns within [0, 1], `is_score`) keep the left axis and every
    other column (counts such as ``steps``) goes to a right axis, so a count of 32 does not flatten
    UARs between 0 and 1.
    """
    import plotly.graph_objects as go

    require_columns(df, [x, *columns], title or "history")
    df = df.sort_values(x)
    right = [c for c in columns if split_axes and not is_score(df[c])]
    if len(right) == len(columns):
        right = []  # nothing left for the left axis: one axis is enough
    fig = go.Figure()
    for i, col in enumerate(columns):
        fig.add_scatter(
            x=df[x],
            y=df[col],
            mode="lines+markers" if len(df) < 60 else "lines",
            name=str(col) + (" (right axis)" if col in right else ""),
            line={"color": CLASS_COLORS[i % len(CLASS_COLORS)], "dash": "dot" if col in right else "solid"},
            yaxis="y2" if col in right else "y",
        )
    fig.update_layout(
        template="plotly_white",
        height=height,
        title=title,
        xaxis_title=x,
        margin={"t": 40},
        yaxis_type="log" if log_y else "linear",
    )
    if right:
        fig.update_layout(
            yaxis_title="score",
            yaxis2={"title": ", ".join(map(str, right)), "overlaying": "y", "side": "right", "showgrid": False},
            legend={"orientation": "h", "y": -0.2},
        )
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
