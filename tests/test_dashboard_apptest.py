"""Every dashboard page under Streamlit's AppTest: full, empty, partly written and odd run stores."""

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from dashboard_fixtures import make_broken_run, make_compare_run, make_partial_run, make_store, make_training_run
from streamlit.testing.v1 import AppTest

from labkit.runstore import RunStore
from labkit.viz import figures
from labkit.viz import projection as P

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = ["pages/distribution.py", "pages/comparison.py", "pages/training.py"]


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches():
    """AppTest runs in this process, so Streamlit's caches would carry over between tests."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def full_store(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("apptest-store"))


def open_app(monkeypatch, store) -> AppTest:
    monkeypatch.setenv("LABKIT_RUNS", str(store))
    return AppTest.from_file(APP, default_timeout=60).run()


def texts(at) -> str:
    return " ".join(str(e.value) for e in [*at.info, *at.warning, *at.error])


def test_distribution_page(monkeypatch, full_store):
    at = open_app(monkeypatch, full_store)
    assert not at.exception
    assert at.title[0].value == "Distribution of generated samples"
    metrics = {m.label: m.value for m in at.metric}
    assert {"precision", "recall", "density", "coverage", "frechet", "mmd", "c2st_auc", "test_gain"} <= set(metrics)
    # It opens on the last iteration (what the training reached), not the first.
    assert at.subheader[0].value == "Coverage · iteration 40"
    # The broken run is reported in the sidebar, not as a traceback.
    assert any("cannot be read" in e.label for e in at.sidebar.expander)

    slider = at.select_slider(key="dist_iter")
    assert slider.options == ["0", "10", "20", "30", "40"]
    slider.set_value(0).run()
    assert not at.exception
    assert at.subheader[0].value == "Coverage · iteration 0"
    assert {m.label: m.value for m in at.metric}["test_gain"] != metrics["test_gain"]

    at.radio(key="dist_view").set_value("per iteration").run()
    at.radio(key="dist_color").set_value("class").run()
    assert not at.exception
    at.radio(key="dist_color").set_value("origin").run()
    assert not at.exception
    at.multiselect(key="dist_classes").set_value([]).run()
    assert "No class selected" in texts(at)


def test_slider_never_recomputes_a_projection(monkeypatch, tmp_path):
    store = tmp_path / "store"
    make_training_run(store)
    calls = []
    real = P.compute_projection

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(P, "compute_projection", counting)
    at = open_app(monkeypatch, store)
    assert len(calls) == 1  # first view of the run: computed once, written to <run>/cache
    for value in (10, 20, 40):
        at.select_slider(key="dist_iter").set_value(value).run()
    at.radio(key="dist_view").set_value("per iteration").run()
    assert not at.exception and len(calls) == 1
    # A new session (fresh Streamlit caches) reads the run's cache instead of computing.
    st.cache_resource.clear()
    st.cache_data.clear()
    AppTest.from_file(APP, default_timeout=60).run()
    assert len(calls) == 1


def test_comparison_page(monkeypatch, full_store):
    at = open_app(monkeypatch, full_store)
    at.switch_page("pages/comparison.py").run()
    assert not at.exception
    assert at.title[0].value == "Augmenter comparison"
    table = at.dataframe[0].value
    assert set(table.columns) >= {"uar", "wa", "f1"} and len(table) == 4
    assert "[" in str(table["uar"].iloc[0])  # mean [ci_low, ci_high]
    assert [s.value for s in at.subheader][1:] == [
        "uar by augmenter",
        "Per-class recall",
        "uar against amount of synthetic data",
    ]
    at.selectbox(key="cmp_metric").set_value("f1").run()
    assert not at.exception and at.subheader[1].value == "f1 by augmenter"


def test_comparison_of_two_runs_and_missing_tables(monkeypatch, tmp_path):
    make_compare_run(tmp_path, "cmp-a")
    make_compare_run(tmp_path, "cmp-b", tables=("summary",), seed=1)
    at = open_app(monkeypatch, tmp_path)
    at.switch_page("pages/comparison.py").run()
    at.multiselect(key="cmp_runs").set_value(at.multiselect(key="cmp_runs").options).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 8  # 4 augmenters × 2 runs
    assert "no 'per_class' table" in texts(at) or "no 'sweep' table" in texts(at)


def test_comparison_with_a_malformed_summary(monkeypatch, tmp_path):
    run = RunStore(tmp_path).create("compare", {}, run_id="odd")
    run.write_table("summary", pd.DataFrame({"augmenter": ["none"], "metric": ["uar"], "mean": [0.5]}))
    at = open_app(monkeypatch, tmp_path)
    at.switch_page("pages/comparison.py").run()
    assert not at.exception
    assert "lacks column(s) ci_low, ci_high" in texts(at)


def test_training_page(monkeypatch, full_store):
    at = open_app(monkeypatch, full_store)
    at.switch_page("pages/training.py").run()
    assert not at.exception
    assert at.title[0].value == "Training curves"
    assert at.subheader[0].value == "Coverage of the real data by generated samples"
    cov = at.dataframe[0].value
    assert list(cov["iteration"]) == [0, 10, 20, 30, 40] and "test_gain" in cov.columns


def test_training_page_with_history_only_and_snapshots_only(monkeypatch, tmp_path):
    run = RunStore(tmp_path).create("aaec", {}, run_id="history-only")
    run.write_table("history", pd.DataFrame({"iteration": [0, 1], "loss_d": [1.0, 0.5]}))
    at = open_app(monkeypatch, tmp_path)
    at.switch_page("pages/training.py").run()
    assert not at.exception and "no generated snapshots" in texts(at).lower()

    make_training_run(tmp_path, "snapshots-only", history=False, iterations=(0, 5))
    st.cache_data.clear()
    at.selectbox(key="train_run").set_value(at.selectbox(key="train_run").options[0]).run()
    for option in at.selectbox(key="train_run").options:
        at.selectbox(key="train_run").set_value(option).run()
        assert not at.exception


@pytest.mark.parametrize("page", PAGES)
def test_empty_store(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "does-not-exist")
    at.switch_page(page).run()
    assert not at.exception and "has no runs yet" in texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_partly_written_store(monkeypatch, tmp_path, page):
    make_partial_run(tmp_path)
    make_broken_run(tmp_path)
    # A run whose reference exists but whose snapshots are not written yet.
    run = make_training_run(tmp_path, "starting", iterations=(0,), history=False)
    for p in (run.path / "snapshots").rglob("*.npz"):
        p.unlink()
    at = open_app(monkeypatch, tmp_path)
    at.switch_page(page).run()
    assert not at.exception
    if page.endswith("distribution.py"):
        assert "no generated snapshots yet" in texts(at)
    else:
        assert "None of the" in texts(at)


def test_paper_runs_and_generator_histories(monkeypatch, tmp_path):
    # An aaec-table1 run's summary (configuration/head/metric) on the comparison page.
    table1 = RunStore(tmp_path).create("aaec-table1", {}, run_id="table1")
    table1.write_table(
        "summary",
        pd.DataFrame(
            {
                "configuration": ["AAEC", "Classifier"],
                "head": ["arousal", "arousal"],
                "metric": ["uar", "uar"],
                "mean": [0.4, 0.35],
                "ci_low": [None, None],
                "ci_high": [None, None],
            }
        ),
    )
    # A compare run that recorded an iterative generator: history-<name> and an aug-<name> space.
    gen = make_training_run(tmp_path, "cmp-gen", history=False, iterations=(0, 5), spaces=("aug-gan",))
    gen.write_table("history-gan", pd.DataFrame({"iteration": [0, 5], "loss_g": [1.0, 0.5], "seconds": [1, 2]}))
    at = open_app(monkeypatch, tmp_path)
    assert not at.exception and at.selectbox(key="dist_space").value == "aug-gan"
    at.switch_page("pages/comparison.py").run()
    assert not at.exception
    assert at.selectbox(key="cmp_metric").value == "arousal_uar"
    assert list(at.dataframe[0].value.index) == ["AAEC", "Classifier"]
    at.switch_page("pages/training.py").run()
    assert not at.exception
    assert at.dataframe[0].value["iteration"].tolist() == [0, 5]


# ------------------------------------------------------------------------------------ `labkit dashboard`
def test_labkit_dashboard_command(monkeypatch, tmp_path, capsys):
    import labkit
    import labkit.commands.dashboard as dashboard_command
    from labkit.cli import main

    seen = {}

    def fake_call(cmd, env):
        seen["cmd"], seen["env"] = cmd, env
        return 0

    monkeypatch.setattr(dashboard_command, "supervise", fake_call)  # runs and reaps the Streamlit child
    assert main(["dashboard", "--runs", str(tmp_path), "--no-browser", "--port", "8600"]) == 0
    cmd = seen["cmd"]
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == APP
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"  # localhost only by default
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[cmd.index("--server.showEmailPrompt") + 1] == "false"  # never blocks on a prompt
    # The committed dashboard/.streamlit/config.toml travels as flags: no Deploy button, no statistics.
    assert cmd[cmd.index("--client.toolbarMode") + 1] == "minimal"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    # ... and Streamlit's promotional "install skills" card stays away from non-headless servers too.
    assert cmd[cmd.index("--logger.hideWelcomeMessage") + 1] == "true"
    assert seen["env"]["LABKIT_RUNS"] == str(tmp_path.resolve())

    assert main(["dashboard", "--runs", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    monkeypatch.setattr(labkit, "__file__", str(tmp_path / "site" / "labkit" / "__init__.py"))
    assert main(["dashboard", "--runs", str(tmp_path)]) == 2
    assert "dashboard app is missing" in capsys.readouterr().err


def test_unusable_snapshot_shows_a_note(monkeypatch, tmp_path):
    import numpy as np

    run = make_training_run(tmp_path, iterations=(0, 10))
    run.save_snapshot("spectrum", 20, np.zeros((3, 8)), ["angry"] * 3)
    at = open_app(monkeypatch, tmp_path)
    at.select_slider(key="dist_iter").set_value(20).run()
    assert not at.exception
    assert "iter_0000020.npz" in texts(at) and len(at.metric) == 0


def test_switching_between_runs_with_other_classes_and_iterations(monkeypatch, tmp_path):
    make_training_run(tmp_path, "three-classes", n_classes=3, iterations=(0, 10, 20))
    make_training_run(tmp_path, "two-classes", n_classes=2, iterations=(0, 7), seed=1)
    at = open_app(monkeypatch, tmp_path)
    picker = at.selectbox(key="dist_run")
    for label in picker.options + picker.options:
        at.selectbox(key="dist_run").set_value(label).run()
        assert not at.exception
        n_classes = 3 if label.startswith("three") else 2
        assert len(at.multiselect(key="dist_classes").options) == n_classes
        # A selection made on another run's classes starts again from all of this run's classes.
        assert len(at.multiselect(key="dist_classes").value) == n_classes
        at.select_slider(key="dist_iter").set_value(at.select_slider(key="dist_iter").options[-1]).run()
        assert not at.exception


def test_store_fingerprint_follows_new_snapshots_and_tables(tmp_path):
    import numpy as np

    from labkit.viz import data

    run = make_training_run(tmp_path, iterations=(0,))
    before = data.store_fingerprint(tmp_path)
    run.save_snapshot("spectrum", 99, np.zeros((6, 8)), ["angry"] * 6)
    after_snapshot = data.store_fingerprint(tmp_path)
    run.write_table("extra", pd.DataFrame({"a": [1]}))
    assert len({before, after_snapshot, data.store_fingerprint(tmp_path)}) == 3
    assert data.store_fingerprint(tmp_path / "missing") == "missing"


# ------------------------------------------------------------------------------------ side by side
def test_two_augmenters_side_by_side_in_one_plane(monkeypatch, tmp_path):
    from dashboard_fixtures import make_augmenter_run

    make_augmenter_run(tmp_path)
    make_training_run(tmp_path, "other-data", iterations=(0, 5))  # other real data: never offered beside
    at = open_app(monkeypatch, tmp_path)
    at.selectbox(key="dist_run").set_value(
        next(o for o in at.selectbox(key="dist_run").options if o.startswith("compare-gens"))
    ).run()
    at.selectbox(key="dist_space").set_value("aug-smote").run()
    pair = at.selectbox(key="dist_pair")
    assert pair.options == ["(nothing)", "compare-gens · aug-gan"]
    pair.set_value("compare-gens · aug-gan").run()
    assert not at.exception
    # The slider runs over both generators' iterations; the metrics table has one column per generator.
    assert at.select_slider(key="dist_iter").options == ["0", "5", "10", "15"]
    table = at.dataframe[0].value
    # Opening on the last frame: SMOTE's single frame stays shown beside the GAN's last one.
    assert list(table.columns) == ["smote · 0", "gan · 15"] and "test_gain" in table.index
    at.select_slider(key="dist_iter").set_value(0).run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["smote · 0", "gan · 0"]
    at.radio(key="dist_gen_as").set_value("density").run()
    at.radio(key="dist_view").set_value("per iteration").run()
    assert not at.exception


# ------------------------------------------------------------------------------------ the inspector
def test_inspector_table_card_rings_and_trust(monkeypatch, tmp_path):
    """Named points fill the table; a test utterance gets audio; a generated sample its neighbours and a
    Griffin-Lim reconstruction; the uncovered-test rings name the set behind test_gain; trust is printed."""
    from dashboard_fixtures import make_audio_run

    from labkit.metrics.coverage import coverage_for_run

    run = make_audio_run(tmp_path / "runs", tmp_path / "corpus", n_speakers=4, per_speaker=4, iterations=(1, 2))
    at = open_app(monkeypatch, tmp_path / "runs")
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "How far to trust the plane at this frame" in captions and "trustworthiness" in captions

    at.toggle(key="dist_outside").set_value(True).run()
    at.toggle(key="dist_reached").set_value(True).run()
    assert not at.exception
    last = coverage_for_run(run, "spectrum", show_progress=False)[-1]
    ring = next(c.value for c in at.caption if c.value.startswith("Rings at iteration 2"))
    assert f"test_gain = {last['test_gain']:.3f}" in ring

    at.text_input(key="dist_keys").set_value("gen:2:10, test:1, gen:2:0, nonsense").run()
    assert not at.exception
    assert any("neither a point key" in w.value for w in at.warning)
    table = next(d.value for d in at.dataframe if "source" in d.value.columns)
    assert table["key"].tolist() == ["gen:2:10", "test:1", "gen:2:0"]
    assert table.loc[1, "utterance"] != "" and table.loc[1, "speaker"] != ""
    point = at.selectbox(key="dist_point")
    assert point.options == ["test:1", "gen:2:0", "gen:2:10"]  # what can be heard comes first
    assert point.value == "test:1"
    assert len(at.get("audio")) == 1
    point.set_value("gen:2:0").run()
    assert not at.exception
    assert len(at.get("audio")) == 1 + 5  # the reconstruction and every neighbour
    assert any("Griffin-Lim" in c.value for c in at.caption)
    neighbours = next(d.value for d in at.dataframe if "distance" in d.value.columns)
    assert len(neighbours) == 5 and neighbours["distance"].is_monotonic_increasing


def test_comparison_opens_on_the_newest_comparison_and_a_differing_metric(monkeypatch, tmp_path):
    import json

    make_compare_run(tmp_path, "compare-old")
    newest = make_compare_run(tmp_path, "compare-new", metrics=("wa", "uar"))
    summary = newest.read_table("summary")
    summary.loc[summary["metric"] == "uar", "mean"] = 0.5  # equal for every augmenter: a flat chart
    newest.write_table("summary", summary)
    paper = RunStore(tmp_path).create("aaec", {"fake": 1}, run_id="zz-aaec-newer")
    paper.write_table(
        "summary",
        pd.DataFrame(
            {"augmenter": ["AAEC"], "metric": ["uar"], "mean": [0.4], "ci_low": [0.3], "ci_high": [0.5], "n": [1]}
        ),
    )
    for run_id, when in (
        ("compare-old", "2026-01-01T00:00:00+00:00"),
        ("compare-new", "2026-01-02T00:00:00+00:00"),
        ("zz-aaec-newer", "2026-01-03T00:00:00+00:00"),
    ):
        meta_path = tmp_path / run_id / "run.json"
        meta = json.loads(meta_path.read_text())
        meta["created"] = when
        meta_path.write_text(json.dumps(meta))
    at = open_app(monkeypatch, tmp_path)
    at.switch_page("pages/comparison.py").run()
    assert not at.exception
    assert at.multiselect(key="cmp_runs").value == ["compare-new [compare]"]
    assert at.selectbox(key="cmp_metric").value == "wa"  # uar is equal for every row: wa differs


def test_training_puts_counts_on_their_own_axis():
    history = pd.DataFrame({"iteration": [1, 2, 3], "val_uar": [0.3, 0.4, 0.5], "steps": [32, 32, 32]})
    fig = figures.curves_figure(history, ["val_uar", "steps"], split_axes=True)
    assert [t.yaxis for t in fig.data] == ["y", "y2"]
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.title.text == "steps"
    assert [t.yaxis for t in figures.curves_figure(history, ["val_uar"], split_axes=True).data] == ["y"]
