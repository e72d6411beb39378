"""Figure builders: frames, traces, fixed axis ranges, error bars, and clear errors for bad tables."""

import re

import numpy as np
import pandas as pd
import pytest
from dashboard_fixtures import make_compare_run, make_training_run

from labkit.errors import LabkitError
from labkit.viz import figures as F
from labkit.viz.projection import Projection, load_or_compute


@pytest.fixture(scope="module")
def proj(tmp_path_factory):
    run = make_training_run(tmp_path_factory.mktemp("fig"), n_train=60, n_test=30, n_gen=20, iterations=(0, 10, 20))
    return load_or_compute(run)


def _n(trace) -> int:
    return 0 if trace.x is None else len(trace.x)


def test_frames_traces_and_fixed_axes(proj):
    fig = F.distribution_figure(proj, cumulative=True)
    assert [t.name for t in fig.data] == ["generated", "train", "test"]  # real points drawn on top
    assert [f.name for f in fig.frames] == ["0", "10", "20"]
    # Frames replace the generated trace only; cumulative frames grow by one snapshot each.
    assert all(list(f.traces) == [0] for f in fig.frames)
    assert [_n(f.data[0]) for f in fig.frames] == [20, 40, 60]
    assert _n(fig.data[0]) == 20 and _n(fig.data[1]) == 60 and _n(fig.data[2]) == 30
    # Axis ranges are fixed and hold every point of every frame.
    x_range, y_range = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert fig.layout.xaxis.autorange is False and fig.layout.yaxis.autorange is False
    every = np.concatenate([proj.xy_train, proj.xy_test, proj.xy_gen])
    assert x_range[0] < every[:, 0].min() and every[:, 0].max() < x_range[1]
    assert y_range[0] < every[:, 1].min() and every[:, 1].max() < y_range[1]
    # Play/Pause buttons animate the frames; the slider has one step per iteration.
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in label for label in labels) and any("Pause" in label for label in labels)
    assert all(b.method == "animate" for b in fig.layout.updatemenus[0].buttons)
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "10", "20"]


def test_per_iteration_view_and_opening_frame(proj):
    fig = F.distribution_figure(proj, cumulative=False, iteration=10)
    assert [_n(f.data[0]) for f in fig.frames] == [20, 20, 20]
    gen_x = np.asarray(fig.data[0].x)
    assert np.allclose(np.sort(gen_x), np.sort(proj.xy_gen[proj.iter_gen == 10, 0]))
    assert fig.layout.sliders[0].active == 1
    assert fig.layout.title.text.startswith("iteration 10")


def test_colour_by_class_and_class_filter(proj):
    fig = F.distribution_figure(proj, color_by="class")
    classes = proj.classes
    assert len(fig.data) == 3 * len(classes)
    assert len(fig.frames[0].data) == len(classes)  # one generated trace per class
    # Colour is the class, symbol the source.
    by_name = {t.name: t for t in fig.data}
    c = classes[0]
    assert by_name[f"{c} · train"].marker.color == by_name[f"{c} · generated"].marker.color
    assert by_name[f"{c} · train"].marker.symbol != by_name[f"{c} · generated"].marker.symbol

    only = F.distribution_figure(proj, color_by="class", classes=[classes[1]])
    assert len(only.data) == 3
    assert _n(only.data[1]) == int((proj.y_train == classes[1]).sum())  # [generated, train, test]
    # Filtering does not change the axes: frames stay comparable across filters.
    assert list(only.layout.xaxis.range) == list(fig.layout.xaxis.range)


def test_colour_by_origin(proj):
    fig = F.distribution_figure(proj, color_by="origin")
    assert [t.name for t in fig.data] == ["generated · code", "generated · noise", "train", "test"]
    assert all(list(f.traces) == [0, 1] for f in fig.frames)
    assert _n(fig.frames[-1].data[0]) == int((proj.origin_gen == "code").sum())
    assert fig.data[0].marker.color != fig.data[1].marker.color


def test_metrics_in_frame_titles(proj):
    metrics = {
        0: {"precision": 0.1, "recall": 0.2, "coverage": 0.3, "test_gain": 0.0},
        20: {"precision": 0.9, "recall": 0.8, "coverage": 0.7, "test_gain": 0.55},
    }
    fig = F.distribution_figure(proj, metrics=metrics)
    titles = [f.layout.title.text for f in fig.frames]
    assert "precision 0.10" in titles[0] and "test_gain 0.55" in titles[2]
    assert titles[1] == "iteration 10 (cumulative)"  # no metrics for that iteration


def test_large_figures_use_webgl_and_cap_points():
    rng = np.random.default_rng(0)
    n = F.WEBGL_ABOVE
    proj = Projection(
        xy_train=rng.normal(size=(n, 2)),
        y_train=np.full(n, "a"),
        xy_test=rng.normal(size=(10, 2)),
        y_test=np.full(10, "a"),
        xy_gen=rng.normal(size=(100, 2)),
        y_gen=np.full(100, "a"),
        iter_gen=np.repeat([0, 1], 50),
        origin_gen=np.full(100, "noise"),
        iterations=np.array([0, 1]),
    )
    fig = F.distribution_figure(proj, max_points=1000)
    assert fig.data[1].name == "train" and fig.data[1].type == "scattergl" and _n(fig.data[1]) == 1000


def test_no_snapshots_gives_a_still_figure():
    rng = np.random.default_rng(0)
    proj = Projection(
        xy_train=rng.normal(size=(5, 2)),
        y_train=np.full(5, "a"),
        xy_test=rng.normal(size=(3, 2)),
        y_test=np.full(3, "a"),
        xy_gen=np.zeros((0, 2)),
        y_gen=np.zeros(0, str),
        iter_gen=np.zeros(0, int),
        origin_gen=np.zeros(0, str),
        iterations=np.zeros(0, int),
    )
    fig = F.distribution_figure(proj)
    assert len(fig.frames) == 0 and "no generated samples" in fig.layout.title.text


def test_bad_colour_option(proj):
    with pytest.raises(LabkitError, match="color_by"):
        F.distribution_figure(proj, color_by="speaker")


# ------------------------------------------------------------------------------------ comparisons
@pytest.fixture(scope="module")
def compare_tables(tmp_path_factory):
    run = make_compare_run(tmp_path_factory.mktemp("cmp"))
    return {name: run.read_table(name) for name in run.tables()}


def test_comparison_bar_error_bars_are_the_cis(compare_tables):
    summary = compare_tables["summary"]
    fig = F.comparison_bar(summary, "uar")
    bar = fig.data[0]
    rows = summary[summary["metric"] == "uar"].set_index("augmenter").loc[list(bar.x)]
    assert np.allclose(bar.y, rows["mean"])
    assert np.allclose(bar.error_y.array, rows["ci_high"] - rows["mean"])
    assert np.allclose(bar.error_y.arrayminus, rows["mean"] - rows["ci_low"])
    assert list(bar.y) == sorted(bar.y, reverse=True)


def test_comparison_of_several_runs_labels_bars_by_run(compare_tables):
    summary = compare_tables["summary"]
    both = pd.concat([summary.assign(run="r1"), summary.assign(run="r2")])
    fig = F.comparison_bar(both, "wa")
    assert len(fig.data[0].x) == 2 * summary["augmenter"].nunique()
    assert all(" · " in label for label in fig.data[0].x)


def test_per_class_and_sweep(compare_tables):
    per_class = F.per_class_figure(compare_tables["per_class"])
    assert len(per_class.data) == compare_tables["per_class"]["augmenter"].nunique()
    sweep = compare_tables["sweep"]
    fig = F.sweep_figure(sweep, "uar")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(lines) == sweep["augmenter"].nunique() and len(fig.data) == 2 * len(lines)
    assert list(lines[0].x) == sorted(lines[0].x)


def test_missing_columns_and_metrics_are_named(compare_tables):
    with pytest.raises(LabkitError, match="ci_low"):
        F.comparison_bar(compare_tables["summary"].drop(columns=["ci_low"]), "uar")
    with pytest.raises(LabkitError, match="no rows for metric 'auc'"):
        F.comparison_bar(compare_tables["summary"], "auc")
    with pytest.raises(LabkitError, match="no 'sweep' table"):
        F.sweep_figure(None, "uar")
    with pytest.raises(LabkitError, match="recall"):
        F.per_class_figure(compare_tables["per_class"].drop(columns=["recall"]))


def test_training_curves():
    history = pd.DataFrame(
        {
            "iteration": [2, 0, 1],
            "loss_d": [0.3, 0.1, 0.2],
            "recon_loss": [1, 3, 2],
            "val_uar": [0.5, 0.3, 0.4],
            "note": ["a", "b", "c"],
        }
    )
    losses, others = F.split_history_columns(history)
    assert losses == ["loss_d", "recon_loss"] and others == ["val_uar"]
    fig = F.curves_figure(history, losses, title="losses", log_y=True)
    assert [t.name for t in fig.data] == losses
    assert list(fig.data[0].x) == [0, 1, 2] and list(fig.data[0].y) == [0.1, 0.2, 0.3]
    assert fig.layout.yaxis.type == "log"


def test_paper_run_summary_and_text_amounts_are_understood():
    # `labkit reproduce aaec-table1` writes configuration/head/metric rows (one seed: no interval).
    table1 = pd.DataFrame(
        {
            "configuration": ["AAEC", "AAEC", "Classifier"],
            "head": ["arousal", "mean", "arousal"],
            "metric": ["uar", "combined", "uar"],
            "mean": [0.4, 0.41, 0.35],
            "ci_low": [None, None, 0.3],
            "ci_high": [None, None, 0.4],
        }
    )
    summary = F.normalize_summary(table1)
    assert list(summary["augmenter"]) == ["AAEC", "AAEC", "Classifier"]
    assert list(summary["metric"]) == ["arousal_uar", "mean_combined", "arousal_uar"]
    assert F.default_metric(summary["metric"].unique()) == "arousal_uar"
    bar = F.comparison_bar(summary, "arousal_uar").data[0]
    assert list(bar.x) == ["AAEC", "Classifier"]
    assert list(bar.error_y.array) == pytest.approx([0.0, 0.05])  # no interval -> no error bar

    # The compare runner stores amounts as text plus a numeric amount_value.
    sweep = pd.DataFrame(
        {
            "augmenter": ["smote"] * 4,
            "amount": ["2", "0.5", "10", "balance"],
            "amount_value": [2.0, 0.5, 10.0, np.nan],
            "metric": "uar",
            "mean": [0.5, 0.4, 0.6, 0.45],
            "ci_low": 0.3,
            "ci_high": 0.7,
        }
    )
    line = [t for t in F.sweep_figure(sweep, "uar").data if t.mode == "lines+markers"][0]
    assert list(line.x) == [0.5, 2.0, 10.0] and list(line.y) == [0.4, 0.5, 0.6]


# ------------------------------------------------------------------------------------ readability, pairs, HTML
def test_generated_points_fade_as_they_crowd_and_real_points_stay_on_top():
    assert F.generated_opacity(100) == 0.8 and F.generated_opacity(400) == 0.8
    assert F.generated_opacity(5000) == pytest.approx(np.sqrt(400 / 5000))
    assert F.generated_opacity(10**7) == 0.08
    rng = np.random.default_rng(0)
    n = 6000
    proj = Projection(
        xy_train=rng.normal(size=(300, 2)),
        y_train=np.full(300, "a"),
        xy_test=rng.normal(size=(100, 2)),
        y_test=np.full(100, "a"),
        xy_gen=rng.normal(size=(n, 2)),
        y_gen=np.full(n, "a"),
        iter_gen=np.repeat([0, 1], n // 2),
        origin_gen=np.full(n, "g"),
        iterations=np.array([0, 1]),
    )
    fig = F.distribution_figure(proj)
    gen, train, test = fig.data
    assert gen.type == "scattergl" and [gen.name, train.name, test.name] == ["generated", "train", "test"]
    # The largest (cumulative) frame holds 6,000 points: faint, small markers; real ones opaque, outlined.
    assert gen.marker.opacity == pytest.approx(F.generated_opacity(n)) and gen.marker.size == 4
    assert train.marker.opacity >= 0.7 and test.marker.opacity >= 0.9 and train.marker.line.width > 0


def test_density_view_draws_contours_per_frame(proj):
    fig = F.distribution_figure(proj, generated_as="density")
    assert fig.data[0].type == "histogram2dcontour" and [t.type for t in fig.data[1:]] == ["scatter", "scatter"]
    assert all(f.data[0].type == "histogram2dcontour" for f in fig.frames)
    assert [_n(f.data[0]) for f in fig.frames] == [20, 40, 60]
    with pytest.raises(LabkitError, match="generated_as"):
        F.distribution_figure(proj, generated_as="hexbins")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    from dashboard_fixtures import make_augmenter_run

    run = make_augmenter_run(tmp_path_factory.mktemp("pair"))
    return load_or_compute(run, "aug-smote"), load_or_compute(run, "aug-gan")


def test_pair_figure_shares_plane_axes_and_frames(pair):
    smote, gan = pair
    # One reference, one seeded fit: both spaces' real points land on the same coordinates.
    assert np.allclose(smote.xy_train, gan.xy_train) and np.allclose(smote.xy_test, gan.xy_test)
    metrics_gan = {15: {"precision": 0.5, "recall": 0.4, "coverage": 0.3, "test_gain": 0.25}}
    fig = F.distribution_pair_figure(smote, gan, ("smote", "gan"), metrics_b=metrics_gan)
    assert list(fig.layout.xaxis.range) == list(fig.layout.xaxis2.range)
    assert list(fig.layout.yaxis.range) == list(fig.layout.yaxis2.range)
    x_range, y_range = F.shared_ranges(smote, gan)
    every = np.concatenate([smote.xy_gen, gan.xy_gen, smote.xy_train, smote.xy_test])
    assert x_range[0] < every[:, 0].min() and every[:, 0].max() < x_range[1]
    # Generated traces first (one per side), then real points of each side on top.
    assert [(t.name, t.xaxis) for t in fig.data] == [
        ("generated", "x"),
        ("gan: generated", "x2"),
        ("train", "x"),
        ("test", "x"),
        ("gan: train", "x2"),
        ("gan: test", "x2"),
    ]
    # Frames run over the union of iterations; SMOTE's one frame (iteration 0) stays on every frame.
    assert [f.name for f in fig.frames] == ["0", "5", "10", "15"]
    assert all(list(f.traces) == [0, 1] for f in fig.frames)
    assert [_n(f.data[0]) for f in fig.frames] == [150] * 4
    assert [_n(f.data[1]) for f in fig.frames] == [60, 120, 180, 240]  # cumulative GAN samples
    last = fig.frames[-1].layout.annotations
    assert "smote</b> · iteration 0" in last[0].text and "gan</b> · iteration 15" in last[1].text
    assert "test_gain 0.25" in last[1].text
    per_it = F.distribution_pair_figure(smote, gan, ("smote", "gan"), cumulative=False)
    assert [_n(f.data[0]) for f in per_it.frames] == [150] * 4 and [_n(f.data[1]) for f in per_it.frames] == [60] * 4


def test_figure_html_is_offline_and_animated(proj):
    html = F.figure_html(F.distribution_figure(proj))
    assert "<html>" in html[:100] and "Plotly.newPlot" in html and "addFrames" in html
    assert re.findall(r"<script[^>]*\bsrc=", html) == []  # nothing loaded from a network
    assert len(html) > 1_000_000  # plotly.js itself is inside
    div = F.figure_html(F.distribution_figure(proj), include_plotlyjs=False, full_html=False, div_id="f1")
    assert div.startswith("<div") and 'id="f1"' in div and len(div) < 200_000
