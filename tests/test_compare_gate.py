"""`labkit compare`: tuned baselines by default (one inner CV per seed x fold, cached) and the learned-the-data gate."""

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit.augment import register_augmenter
from labkit.augment.base import Augmenter
from labkit.cli import main
from labkit.configfile import RUN_CONFIG
from labkit.experiment.toy import toy_features
from labkit.features.core import Features
from labkit.runstore import open_run

pytestmark = pytest.mark.filterwarnings("ignore:.*(using SMOTE|using k=).*:UserWarning")


class Collapsed(Augmenter):
    """A generator that learned nothing but its class means: rows within 0.01 sd of them (the gate's spread fails)."""

    def _fit(self, X, y):
        self.means_ = {c: X[y == c].mean(axis=0) for c in self.classes_}

    def _generate(self, n_per_class):
        X = np.concatenate(
            [self.means_[c] + 0.01 * self._rng_.normal(size=(k, len(self.means_[c]))) for c, k in n_per_class.items()]
        )
        return X, np.concatenate([np.full(k, c) for c, k in n_per_class.items()])


register_augmenter("collapsed-test", f"{__name__}:Collapsed")


@pytest.fixture(scope="module")
def features_file(tmp_path_factory):
    meta, X = toy_features(n_speakers=4, n_per=6, dim=6, seed=2)
    path = tmp_path_factory.mktemp("gate") / "toy.parquet"
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(6)], feature_set="toy", settings={}).to_parquet(path)
    return path


def _argv(features_file, out, augmenters="none,noise,smote", *extra):
    return ["compare", str(features_file), "--augmenters", augmenters, "--seeds", "2", "--out", str(out), *extra]


@pytest.fixture
def inner_cvs(monkeypatch):
    """Counts the inner cross-validations (`tune_pipeline` calls) the comparison runs."""
    from labkit.experiment import classifiers

    calls = []
    real = classifiers.tune_pipeline

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(classifiers, "tune_pipeline", counting)
    return calls


# --------------------------------------------------------------------------- tuned by default
def test_compare_tunes_by_default_once_per_seed_and_fold(features_file, tmp_path, capsys, inner_cvs):
    n_folds, n_seeds = 4, 2
    out = tmp_path / "tuned"
    assert main(_argv(features_file, out)) == 0
    printed = capsys.readouterr().out
    assert len(inner_cvs) == n_folds * n_seeds  # 3 augmenters, one inner CV per (seed, fold)
    assert "tuned per fold (inner CV on real rows, cached per seed x fold)" in printed
    assert "chosen (per fold)" in printed
    run = open_run(out)
    assert run.config["tune"] is True and run.config["tuning"] == "real rows, once per (seed, fold)"
    assert run.config["tune_grid"] == {"C": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]}
    tasks = [run.load_task(k) for k in run.task_keys()]
    assert sum(not t["tuning_cached"] for t in tasks) == n_folds * n_seeds  # the others read the cache
    for seed in range(n_seeds):
        for fold in range(n_folds):
            mine = [t for t in tasks if (t["seed"], t["fold"]) == (seed, fold)]
            assert len(mine) == 3 and len({json.dumps(t["tuned"]) for t in mine}) == 1  # one choice per fold
            cache = json.loads((run.path / "cache" / f"tuning-s{seed}-f{fold}.json").read_text())
            assert cache["chosen"] == mine[0]["tuned"] and cache["inner_uar"] == mine[0]["inner_uar"]

    # a rerun computes nothing; a fresh run over the same folds with more augmenters, only its new tasks
    inner_cvs.clear()
    assert main(_argv(features_file, out)) == 0
    assert "0 tasks computed, 24 reused" in capsys.readouterr().err and inner_cvs == []
    for key in run.task_keys():
        if key.startswith("smote"):
            (run.path / "tasks" / f"{key}.json").unlink()
    assert main(_argv(features_file, out)) == 0
    assert "8 tasks computed, 16 reused" in capsys.readouterr().err and inner_cvs == []  # read from the cache


def test_no_tune_keeps_the_fixed_classifier_and_says_so(features_file, tmp_path, capsys, inner_cvs):
    out = tmp_path / "fixed"
    assert main(_argv(features_file, out, "none,smote", "--no-tune")) == 0
    printed = capsys.readouterr().out
    assert inner_cvs == [] and "fixed classifier (--no-tune)" in printed and "chosen (per fold)" not in printed
    config = open_run(out).config
    assert config["tune"] is False and config["tune_grid"] == {} and "tuning" not in config  # an old run's identity
    # --clf-param fixing every tuned parameter leaves nothing to tune: the classifier is fixed, and it is said
    assert main(_argv(features_file, tmp_path / "c", "none", "--clf-param", "C=0.1")) == 0
    assert "not tuned" in capsys.readouterr().err and open_run(tmp_path / "c").config["tune"] is False


def test_an_untuned_run_from_before_the_default_resumes_and_reruns_untuned(features_file, tmp_path, capsys, inner_cvs):
    out = tmp_path / "old"
    assert main(_argv(features_file, out, "none,smote", "--no-tune")) == 0
    # as a run made before tuning was the default: config.toml without the tune key
    cfg = out / RUN_CONFIG
    cfg.write_text("\n".join(line for line in cfg.read_text().splitlines() if not line.startswith("tune")) + "\n")
    capsys.readouterr()
    assert main(_argv(features_file, out, "none,smote", "--no-tune")) == 0  # same identity: resumed
    assert "0 tasks computed" in capsys.readouterr().err
    assert main(_argv(features_file, out, "none,smote")) == 2  # the new default would tune: refused, with the way out
    assert "resume it with --no-tune" in capsys.readouterr().err
    assert main(["rerun", str(out), "--out", str(tmp_path / "again")]) == 0
    err = capsys.readouterr().err
    assert "--no-tune" in err and "same results as" in err and inner_cvs == []
    assert open_run(tmp_path / "again").config == open_run(out).config


def test_tuned_comparison_in_worker_processes_equals_the_single_process_run(features_file, tmp_path, capsys):
    argv = ["compare", str(features_file), "--augmenters", "none,noise,smote", "--seeds", "1", "--json"]
    assert main([*argv, "--out", str(tmp_path / "one")]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main([*argv, "--out", str(tmp_path / "two"), "--jobs", "2"]) == 0  # fold caches shared by two workers
    assert json.loads(capsys.readouterr().out) == one
    for name in ("one", "two"):
        caches = sorted(p.name for p in (tmp_path / name / "cache").glob("tuning-*.json"))
        assert caches == [f"tuning-s0-f{f}.json" for f in range(4)]
        assert all(json.loads((tmp_path / name / "cache" / c).read_text())["chosen"] for c in caches)


def test_concurrent_tuning_of_one_fold_leaves_a_whole_cache(tmp_path):
    from labkit.experiment.classifiers import tuning_grid
    from labkit.runs.compare import fold_tuning

    meta, X = toy_features(n_speakers=4, n_per=6, dim=6, seed=3)
    y, groups = meta["emotion"].to_numpy(), meta["speaker"].astype(str).to_numpy()
    config = {"classifier": "svm-linear", "classifier_params": {}, "tune_grid": tuning_grid("svm-linear")}
    results = []

    def work():
        results.append(fold_tuning(str(tmp_path), 0, 0, X, y, groups, config, 7))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and len({json.dumps(r[1]) for r in results}) == 1  # one choice, however many wrote it
    stored = json.loads((tmp_path / "cache" / "tuning-s0-f0.json").read_text())
    assert stored["chosen"] == results[0][1]
    assert not list((tmp_path / "cache").glob(".tmp-*"))  # no torn or stray file
    assert fold_tuning(str(tmp_path), 0, 0, X, y, groups, config, 7)[3] is True  # read back


# --------------------------------------------------------------------------- the gate
def test_gate_lines_json_and_table(features_file, tmp_path, capsys):
    out = tmp_path / "gated"
    argv = _argv(features_file, out, "none,smote,collapsed-test", "--no-tune")
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "Gate · smote: pass: fidelity" in printed and "C2ST AUC" in printed and "spread" in printed
    assert "Gate · collapsed-test: FAIL (" in printed and "spread" in printed.split("Gate · collapsed-test")[1]
    assert "Gate · none" not in printed  # the baseline generates nothing
    run = open_run(out)
    gate = run.read_table("gate")
    assert list(gate["augmenter"]) == ["smote", "collapsed-test"]
    row = gate.set_index("augmenter")
    assert bool(row.loc["smote", "passed"]) and not bool(row.loc["collapsed-test", "passed"])
    assert "spread" in row.loc["collapsed-test", "failed"] and row.loc["collapsed-test", "spread"] < 0.25
    assert (gate["n_tasks"] == 8).all()  # 4 folds x 2 seeds each
    for name in ("smote", "collapsed-test"):
        if not row.loc[name, "beat_baseline"]:
            line = f"Verdict · {name} raises UAR over none: "
            assert line in printed
            expected = "claim not reproduced by generators that learned the data" if name == "smote" else "inconclusive"
            assert expected in printed.split(line)[1].splitlines()[0]
    task = run.load_task("smote__a1__s0__f000")
    assert set(task["gate"]) == {"smote"} and task["gate"]["smote"]["fold"] == 0

    # what the dashboard's Comparison page and the report show: a small table with pass / FAIL
    from labkit.viz.gate import gate_rows
    from labkit.viz.report import build_report

    view = gate_rows(run).set_index("augmenter")
    assert view.loc["smote", "gate"] == "pass" and view.loc["collapsed-test", "gate"].startswith("FAIL: spread")
    assert view.loc["smote", "fidelity"].endswith("%") and (view["folds"] == 8).all()
    assert "Did the generators learn the data?" in build_report(run)

    assert main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result) == ["none", "smote", "collapsed-test"] and "gate" not in result["none"]
    assert result["smote"]["gate"]["passed"] is True and result["collapsed-test"]["gate"]["failed"] == ["spread"]
    assert result["smote"]["uar"]["mean"] == pytest.approx(
        run.read_table("summary").query("augmenter == 'smote' and metric == 'uar'")["mean"].iloc[0]
    )


def test_gate_changes_no_score_and_no_gate_skips_it(features_file, tmp_path, capsys):
    assert main(_argv(features_file, tmp_path / "a", "none,noise", "--no-tune")) == 0
    assert main(_argv(features_file, tmp_path / "b", "none,noise", "--no-tune", "--no-gate")) == 0
    printed = capsys.readouterr().out
    a, b = open_run(tmp_path / "a"), open_run(tmp_path / "b")
    pd.testing.assert_frame_equal(a.read_table("summary"), b.read_table("summary"))
    assert a.has_table("gate") and not b.has_table("gate") and "gate" not in b.read_table("tasks").columns
    assert printed.count("Gate · noise") == 1
    assert a.config == b.config  # the gate is not part of the run's identity


def test_a_run_without_gate_records_renders_without_a_gate_section(features_file, tmp_path):
    from labkit.runs.compare import CompareConfig, render, with_gate
    from labkit.viz.gate import gate_rows

    assert main(_argv(features_file, tmp_path / "a", "none,smote", "--no-tune", "--no-gate")) == 0
    run = open_run(tmp_path / "a")
    config = CompareConfig(**{**run.config})
    tables = {name: run.read_table(name) for name in ("summary", "paired", "tasks")}
    summary = json.loads((run.path / "results" / "summary.json").read_text())
    text = render(summary, tables, config)
    assert "Gate ·" not in text and "Verdict ·" not in text and "fixed classifier (--no-tune)" in text
    assert with_gate(summary, None) == summary
    assert gate_rows(run) is None

    from labkit.viz.report import build_report

    assert "Did the generators learn the data?" not in build_report(run)


def test_comparison_page_shows_the_gate_with_pass_and_fail(features_file, tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    assert main(_argv(features_file, tmp_path / "gated", "none,smote,collapsed-test", "--no-tune")) == 0
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path))
    st.cache_data.clear()
    app = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    at.switch_page("pages/comparison.py").run()
    st.cache_data.clear()
    assert not at.exception
    assert "Did the generators learn the data? (the gate)" in [s.value for s in at.subheader]
    gate = next(d.value for d in at.dataframe if "gate" in getattr(d.value, "columns", []))
    assert list(gate["augmenter"]) == ["smote", "collapsed-test"]
    assert gate["gate"].iloc[0] == "pass" and gate["gate"].iloc[1].startswith("FAIL")
