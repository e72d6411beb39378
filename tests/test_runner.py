"""The comparison runner: no test row ever reaches a fitted part, resumption, tables and statistics."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from labkit.augment import register_augmenter
from labkit.augment.base import Augmenter
from labkit.errors import LabkitError
from labkit.experiment.pipeline import build_pipeline
from labkit.experiment.stats import mean_ci, wilcoxon_p
from labkit.experiment.toy import toy_features
from labkit.runs.compare import CompareConfig, folds_by_seed, plan_tasks, run_comparison
from labkit.runstore import Run, RunStore

pytestmark = pytest.mark.filterwarnings("ignore:.*(using SMOTE|using k=).*:UserWarning")

PROTOCOLS = {
    "loso": {},
    "logo": {"group": "context"},
    "split": {"test_fraction": 0.34},
    "cross": {"train_corpus": "studio", "test_corpus": "phone"},
    "reduced": {"n_train": 40, "test_fraction": 0.34},
}


@pytest.fixture(scope="module")
def table():
    return toy_features(n_speakers=6, n_per=8, dim=10, seed=0)


class Spies:
    """A pipeline factory that records the rows every fitted part was fitted on."""

    def __init__(self):
        self.records = []  # one dict per pipeline built, in task order

    def __call__(self, augmenter, classifier, frames):
        rec = {}
        pipe = build_pipeline(augmenter, classifier, frames)

        class SpyScaler(StandardScaler):
            def fit(self, X, y=None, **kw):
                rec["scale"] = np.array(X, copy=True)
                return super().fit(X, y, **kw)

        pipe.steps[0] = ("scale", SpyScaler())
        fit_resample, fit = augmenter.fit_resample, classifier.fit

        def spy_resample(X, y, **kw):
            rec["augment"] = np.array(X, copy=True)
            return fit_resample(X, y, **kw)

        def spy_fit(X, y, **kw):
            rec["classify"] = np.array(X, copy=True)
            return fit(X, y, **kw)

        augmenter.fit_resample, classifier.fit = spy_resample, spy_fit
        rec["pipe"] = pipe
        self.records.append(rec)
        return pipe


def _nearest(A, B):
    """For each row of A (m, d): (index of the nearest row of B (n, d), its distance)."""
    d2 = ((A[:, None, :].astype(np.float64) - B[None, :, :]) ** 2).sum(-1)  # (m, n)
    idx = d2.argmin(axis=1)
    return idx, np.sqrt(d2[np.arange(len(A)), idx])


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_no_test_row_or_speaker_reaches_any_fitted_part(protocol, table, tmp_path):
    meta, X = table
    config = CompareConfig(
        augmenters=["none", "noise", "ros", "smote", "adasyn"],
        protocol=protocol,
        protocol_params=PROTOCOLS[protocol],
        seeds=2 if protocol == "reduced" else 1,
    )
    run = Run.create(tmp_path / "run", "compare", config.to_dict())
    spies = Spies()
    run_comparison(meta, X, config, run, pipeline_factory=spies, progress=False)

    folds = folds_by_seed(meta, config)
    tasks = plan_tasks(config, len(folds[0]))
    assert len(spies.records) == len(tasks)
    speakers = meta["speaker"].to_numpy()
    for task, rec in zip(tasks, spies.records):  # n_jobs=1 runs tasks in plan order
        fold = folds[task["seed"]][task["fold"]]
        test_speakers = set(speakers[fold.test_idx])
        # the scaler saw exactly the training rows
        idx, dist = _nearest(rec["scale"], X)
        assert dist.max() < 1e-6
        assert sorted(idx.tolist()) == sorted(fold.train_idx.tolist())
        assert not set(idx) & set(fold.test_idx.tolist())
        assert not set(speakers[idx]) & test_speakers
        # augmenter and classifier work on scaled rows: map them back to the raw table
        scaler = rec["pipe"].named_steps["scale"]
        for part in ("augment", "classify"):
            raw = scaler.inverse_transform(rec[part])
            n_real = len(fold.train_idx)
            idx, dist = _nearest(raw[:n_real], X)
            assert dist.max() < 1e-3 and set(idx.tolist()) == set(fold.train_idx.tolist())
            assert not set(speakers[idx]) & test_speakers
            if len(raw) > n_real:  # synthetic rows are never a test row
                _, dist_to_test = _nearest(raw[n_real:], X[fold.test_idx])
                assert dist_to_test.min() > 1e-3
        # the classifier got the augmented fold: real rows plus the promised synthetic ones
        n_added = 0 if task["augmenter"] == "none" else len(fold.train_idx)
        assert len(rec["classify"]) == len(fold.train_idx) + n_added


def test_resume_after_a_crash_recomputes_nothing_finished(table, tmp_path):
    meta, X = table
    config = CompareConfig(augmenters=["none", "noise", "smote"], protocol="loso", seeds=2)
    run = Run.create(tmp_path / "run", "compare", config.to_dict())
    n_tasks = 3 * 2 * 6

    calls = {"n": 0}

    def crashing(aug, clf, frames):
        calls["n"] += 1
        if calls["n"] > 7:
            raise RuntimeError("simulated crash")
        return build_pipeline(aug, clf, frames)

    with pytest.raises(RuntimeError, match="simulated crash"):
        run_comparison(meta, X, config, run, pipeline_factory=crashing, progress=False)
    assert len(run.task_keys()) == 7
    # the store stays readable; the run says it failed, why, and how to resume
    info = RunStore(tmp_path).list_runs()[0]
    assert info.state == "failed" and not info.error
    assert "simulated crash" in run.status["message"] and "resume" in run.status["message"]
    with pytest.raises(LabkitError, match="no table"):
        run.read_table("summary")

    partial = run_comparison(meta, X, config, run, progress=False, max_tasks=5)
    assert (partial.n_computed, partial.n_reused, partial.finished) == (5, 7, False)
    assert run.status["state"] == "running"

    done = run_comparison(meta, X, config, run, progress=False)
    assert (done.n_computed, done.n_reused, done.n_tasks) == (n_tasks - 12, 12, n_tasks)
    assert run.status["state"] == "finished"
    again = run_comparison(meta, X, config, run, progress=False)
    assert (again.n_computed, again.n_reused) == (0, n_tasks)

    # resuming gives the same numbers as one uninterrupted run
    fresh = run_comparison(meta, X, config, Run.create(tmp_path / "fresh", "compare", config.to_dict()), progress=False)
    assert fresh.summary == done.summary


def test_a_different_config_does_not_mix_into_a_run(table, tmp_path):
    config = CompareConfig(augmenters=["none", "ros"], seeds=1)
    Run.create(tmp_path / "run", "compare", config.to_dict())
    with pytest.raises(LabkitError, match="different experiment"):
        Run.create(tmp_path / "run", "compare", CompareConfig(augmenters=["none", "smote"], seeds=1).to_dict())


def test_tables_and_summary_agree_with_the_task_scores(table, tmp_path):
    meta, X = table
    config = CompareConfig(augmenters=["none", "noise", "ros"], protocol="loso", seeds=2, sweep=[0, 0.5, 2])
    run = Run.create(tmp_path / "run", "compare", config.to_dict())
    res = run_comparison(meta, X, config, run, progress=False)
    assert set(run.tables()) == {"tasks", "summary", "per_class", "paired", "sweep", "gate"}
    tasks = run.read_table("tasks")
    assert len(tasks) == res.n_tasks == 6 * 2 * (1 + 2 * 3)  # none once, others at amounts 1, 0.5, 2

    main = tasks[(tasks["amount"] == "1") | (tasks["augmenter"] == "none")]
    summary = run.read_table("summary")
    for name in ("none", "noise", "ros"):
        row = summary[(summary["augmenter"] == name) & (summary["metric"] == "uar")].iloc[0]
        per_seed = main[main["augmenter"] == name].groupby("seed")["uar"].mean()
        assert row["mean"] == pytest.approx(per_seed.mean())  # mean over folds, then over seeds
        assert row["n"] == 2
        if per_seed.nunique() > 1:
            assert row["ci_low"] < row["mean"] < row["ci_high"]
        js = run.read_json("summary")[name]
        assert set(js) >= {"uar", "wa", "f1", "combined"}
        assert js["uar"]["mean"] == pytest.approx(row["mean"])

    sweep = run.read_table("sweep")
    uar = sweep[sweep["metric"] == "uar"]
    assert sorted(uar["amount_value"].unique()) == [0.0, 0.5, 2.0]
    none_mean = summary[(summary["augmenter"] == "none") & (summary["metric"] == "uar")]["mean"].iloc[0]
    assert (uar[uar["amount"] == "0"]["mean"] - none_mean).abs().max() < 1e-12  # amount 0 is "none"

    paired = run.read_table("paired")
    assert set(paired["augmenter"]) == {"noise", "ros"}
    assert (paired["n_folds"] == 6).all() and (paired["n_seeds"] == 2).all()  # seeds averaged within folds
    diffs = main.pivot_table(index=["seed", "fold"], columns="augmenter", values="uar")
    noise = paired[(paired["augmenter"] == "noise") & (paired["metric"] == "uar")].iloc[0]
    assert noise["mean_diff"] == pytest.approx((diffs["noise"] - diffs["none"]).mean())

    per_class = run.read_table("per_class")
    assert set(per_class["class"]) == set(meta["emotion"]) and per_class["recall"].between(0, 1).all()
    confusion = run.read_json("confusion")["none"]
    assert np.sum(confusion["matrix"]) == len(meta) * 2  # every utterance tested once per seed


def test_targets_arousal_and_valence(table, tmp_path):
    meta, X = table
    config = CompareConfig(
        augmenters=["none", "ros"], protocol="split", protocol_params={"test_fraction": 0.34}, seeds=1, target="arousal"
    )
    res = run_comparison(meta, X, config, Run.create(tmp_path / "a", "compare", config.to_dict()), progress=False)
    labels = run_labels = res.run.load_task(res.run.task_keys()[0])["labels"]
    assert run_labels == sorted(meta["arousal"].unique().tolist()) and all(isinstance(v, int) for v in labels)


def test_bad_input_is_reported(table, tmp_path):
    meta, X = table
    config = CompareConfig(augmenters=["none", "gan9"], seeds=1)
    run = Run.create(tmp_path / "r", "compare", config.to_dict())
    with pytest.raises(LabkitError, match="gan9"):
        run_comparison(meta, X, config, run)
    with pytest.raises(LabkitError, match="rows"):
        run_comparison(meta, X[:-1], CompareConfig(seeds=1), run)
    with pytest.raises(LabkitError, match="'mood'"):
        run_comparison(meta, X, CompareConfig(seeds=1, target="mood"), run)


LIVE = []  # snapshot files on disk each time Iterative records one


class Iterative(Augmenter):
    """A stand-in iterative generator that records samples every `record_every` iterations."""

    def __init__(self, sampling_strategy="balance", record_every=0, random_state=None):
        self.sampling_strategy = sampling_strategy
        self.record_every = record_every
        self.random_state = random_state

    def _fit(self, X, y):
        self.means_ = {c: X[y == c].mean(axis=0) for c in self.classes_}
        for it in range(1, 5):
            self._log(it, loss=1.0 / it)
            if self._should_record(it):
                X_s, y_s = self._generate({c: 3 for c in self.classes_})
                self._record_snapshot(it, X_s, y_s, origin=np.full(len(y_s), "noise"))
                recorder = getattr(self, "_recorder", None)
                LIVE.append(len(list(Path(recorder.run_path).glob("snapshots/*/iter_*.npz"))) if recorder else None)

    def _generate(self, n_per_class):
        X = np.concatenate(
            [self.means_[c] + 0.1 * self._rng_.normal(size=(k, len(self.means_[c]))) for c, k in n_per_class.items()]
        )
        return X, np.concatenate([np.full(k, c) for c, k in n_per_class.items()])


def test_snapshots_of_iterative_generators_reach_the_run_store(table, tmp_path):
    meta, X = table
    register_augmenter("iter-test", f"{__name__}:Iterative")
    config = CompareConfig(
        augmenters=["none", "iter-test"],
        protocol="split",
        protocol_params={"test_fraction": 0.34},
        seeds=1,
        record_every=2,
    )
    run = Run.create(tmp_path / "r", "compare", config.to_dict())
    LIVE.clear()
    run_comparison(meta, X, config, run, progress=False)
    assert LIVE[:2] == [1, 2]  # written while training, not after
    assert run.spaces() == ["aug-iter-test"]
    assert run.snapshot_iterations("aug-iter-test") == [2, 4]
    ref = run.load_reference("aug-iter-test")
    snap = run.load_snapshot("aug-iter-test", 2)
    assert snap["X"].shape == (9, X.shape[1]) and ref["X_train"].shape[1] == X.shape[1]
    assert len(ref["X_train"]) + len(ref["X_test"]) == len(meta)
    assert list(run.read_table("history-iter-test")["iteration"]) == [1, 2, 3, 4]


def test_mean_ci_and_wilcoxon():
    m, lo, hi = mean_ci([0.5, 0.6, 0.7])
    assert m == pytest.approx(0.6) and lo < 0.6 < hi
    assert hi - lo == pytest.approx(2 * 4.302653 * 0.1 / np.sqrt(3), rel=1e-4)  # t(0.975, 2) * sd / sqrt(n)
    assert np.isnan(mean_ci([0.5])[1])
    assert mean_ci([0.1, 0.9], bounds=(0, 1))[1] == 0.0
    assert wilcoxon_p(np.zeros(5)) == 1.0
    assert wilcoxon_p(np.arange(1, 11) / 100) < 0.01  # ten positive differences: clearly better


class FrameNoise(Augmenter):
    """A stand-in spectrogram augmenter: noisy copies of (T, F) frames."""

    input_kind = "frames"

    def _fit(self, X, y):
        self._X_, self._y_ = X, y

    def _generate(self, n_per_class):
        parts = [self._X_[self._rng_.choice(np.flatnonzero(self._y_ == c), size=k)] for c, k in n_per_class.items()]
        X = np.concatenate(parts)  # (n, T, F)
        y = np.concatenate([np.full(k, c) for c, k in n_per_class.items()])
        return X + 0.1 * self._rng_.normal(size=X.shape), y


def test_frame_features_go_through_a_frame_augmenter(table, tmp_path):
    meta, X = table
    frames = np.repeat(X[:, None, :], 4, axis=1)  # (n, T=4, F=10): a stand-in spectrogram
    register_augmenter("frames-test", f"{__name__}:FrameNoise")
    config = CompareConfig(
        augmenters=["none", "frames-test"], protocol="split", protocol_params={"test_fraction": 0.34}, seeds=1
    )
    res = run_comparison(meta, frames, config, Run.create(tmp_path / "f", "compare", config.to_dict()), progress=False)
    tasks = res.tables["tasks"]
    assert set(tasks["augmenter"]) == {"none", "frames-test"}
    assert (tasks.loc[tasks["augmenter"] == "frames-test", "n_synthetic"] == tasks["n_train"].iloc[0]).all()
    assert res.summary["frames-test"]["uar"]["mean"] > 0.5
    with pytest.raises(LabkitError, match="frame augmenters"):
        run_comparison(meta, frames, CompareConfig(augmenters=["none", "smote"], seeds=1), res.run)


@pytest.mark.slow
def test_parallel_jobs_give_the_same_results(table, tmp_path):
    meta, X = table
    config = CompareConfig(augmenters=["none", "smote"], protocol="loso", seeds=1)
    one = run_comparison(meta, X, config, Run.create(tmp_path / "a", "compare", config.to_dict()), progress=False)
    two = run_comparison(
        meta, X, config, Run.create(tmp_path / "b", "compare", config.to_dict()), n_jobs=2, progress=False
    )
    assert one.summary == two.summary


# --------------------------------------------------------------------------- nested tuning (--tune)
class RecordingCV:
    """Wraps the inner splitter and records what it was asked to split: the rows and their speakers."""

    calls: list = []

    def __init__(self, inner):
        self.inner = inner

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.inner.get_n_splits(X, y, groups)

    def split(self, X, y=None, groups=None):
        RecordingCV.calls.append((np.array(X, copy=True), np.asarray(groups).copy()))
        return self.inner.split(X, y, groups)


def test_tuning_never_shows_a_test_speaker_to_the_inner_cv(table, tmp_path, monkeypatch):
    from labkit.experiment import classifiers

    meta, X = table
    real = classifiers.inner_cv
    monkeypatch.setattr(classifiers, "inner_cv", lambda groups, n_folds=3: RecordingCV(real(groups, n_folds)))
    monkeypatch.setitem(classifiers.TUNING_GRIDS, "svm-linear", {"C": [0.01, 1.0]})  # a small grid: a fast test
    RecordingCV.calls = []
    config = CompareConfig(augmenters=["smote"], protocol="loso", seeds=1, tune=True)
    res = run_comparison(meta, X, config, Run.create(tmp_path / "r", "compare", config.to_dict()), progress=False)
    folds = folds_by_seed(meta.reset_index(drop=True), config)[0]
    speakers = meta["speaker"].astype(str).to_numpy()
    assert len(RecordingCV.calls) == len(folds)
    for (X_inner, groups), task in zip(RecordingCV.calls, res.tables["tasks"].itertuples()):
        fold = folds[task.fold]
        idx, dist = _nearest(X_inner, X)
        assert dist.max() < 1e-9 and sorted(idx.tolist()) == sorted(fold.train_idx.tolist())  # the raw training rows
        assert (groups == speakers[idx]).all()  # split by their own speakers
        assert not set(groups) & set(speakers[fold.test_idx])  # no test speaker anywhere in the inner CV

    # the chosen values are in every task file, the tuning table and the printed table
    for key in res.run.task_keys():
        task = res.run.load_task(key)
        assert set(task["tuned"]) == {"C"} and task["tuned"]["C"] in classifiers.TUNING_GRIDS["svm-linear"]["C"]
        assert 0 <= task["inner_uar"] <= 1
    tuning = res.run.read_table("tuning")
    assert len(tuning) == len(folds) and set(tuning["param"]) == {"C"}
    from labkit.runs.compare import chosen_values, format_table

    text = format_table(res.summary, chosen=chosen_values(tuning, config))
    assert "chosen (per fold)" in text and "C " in text


def test_tuning_ignores_what_the_test_speakers_hold(table, tmp_path):
    """Garbage in the test speakers' features changes nothing the inner CV chooses."""
    meta, X = table
    config = CompareConfig(
        augmenters=["none"],
        protocol="split",
        protocol_params={"test_speakers": ["s0", "s1"]},
        seeds=1,
        tune=True,
        classifier="svm-rbf",
    )
    meta = meta.assign(speaker=meta["speaker"].astype(str))
    if not set(config.protocol_params["test_speakers"]) <= set(meta["speaker"]):
        config.protocol_params["test_speakers"] = sorted(meta["speaker"].unique())[:2]
    test_rows = meta["speaker"].isin(config.protocol_params["test_speakers"]).to_numpy()
    spoiled = X.copy()
    spoiled[test_rows] = np.random.default_rng(0).normal(0, 100, size=(test_rows.sum(), X.shape[1]))
    a = run_comparison(meta, X, config, Run.create(tmp_path / "a", "compare", config.to_dict()), progress=False)
    b = run_comparison(meta, spoiled, config, Run.create(tmp_path / "b", "compare", config.to_dict()), progress=False)
    ta, tb = a.run.load_task(a.run.task_keys()[0]), b.run.load_task(b.run.task_keys()[0])
    assert ta["tuned"] == tb["tuned"] and set(ta["tuned"]) == {"C", "gamma"}
    assert ta["inner_uar"] == tb["inner_uar"]


def test_tune_refuses_a_fold_with_one_training_speaker(table, tmp_path):
    meta, X = table
    two = meta["speaker"].isin(sorted(meta["speaker"].unique())[:2]).to_numpy()
    config = CompareConfig(augmenters=["none"], protocol="loso", seeds=1, tune=True)
    with pytest.raises(LabkitError, match="at least 2 training speakers"):
        run_comparison(
            meta[two], X[two], config, Run.create(tmp_path / "r", "compare", config.to_dict()), progress=False
        )
    with pytest.raises(LabkitError, match="fixed"):
        run_comparison(
            meta,
            X,
            CompareConfig(seeds=1, tune=True, classifier_params={"C": 0.1}),
            Run.create(tmp_path / "r2", "compare", {}),
            progress=False,
        )


def test_pooled_uar_is_reported_next_to_the_mean_of_folds(table, tmp_path):
    from labkit.experiment.metrics import scores

    meta, X = table
    config = CompareConfig(augmenters=["none", "noise"], protocol="loso", seeds=2)
    res = run_comparison(meta, X, config, Run.create(tmp_path / "r", "compare", config.to_dict()), progress=False)
    y = meta["emotion"].astype(str).to_numpy()
    for name in ("none", "noise"):
        per_seed = []
        for seed in (0, 1):
            parts = [
                res.run.load_task(k) for k in res.run.task_keys() if k.startswith(f"{name}__") and f"__s{seed}__" in k
            ]
            rows = np.concatenate([p["test_rows"] for p in parts])
            pred = np.concatenate([p["y_pred"] for p in parts])
            per_seed.append(scores(y[rows], pred)["uar"])
        assert res.summary[name]["uar_pooled"]["mean"] == pytest.approx(np.mean(per_seed))
        assert res.summary[name]["uar_pooled"]["n"] == 2
    from labkit.runs.compare import format_table

    text = format_table(res.summary)
    assert "UAR (mean of folds)" in text and "UAR (pooled)" in text


def test_format_table_carries_the_paired_test_and_the_sweep_goes_through_the_one_formatter():
    import pandas as pd

    from labkit.runs.compare import format_sweep, format_table

    cell = {"mean": 0.60, "ci_low": 0.55, "ci_high": 0.65, "n": 3}
    summary = {"none": {"uar": cell}, "smote": {"uar": {**cell, "mean": 0.62}}}
    paired = pd.DataFrame(
        [
            {
                "augmenter": "smote",
                "metric": "uar",
                "mean_diff": 0.02,
                "p_value": 0.031,
                "p_adjusted": 0.062,
                "n_folds": 10,
                "n_seeds": 3,
            }
        ]
    )
    text = format_table(summary, metrics=["uar"], paired=paired)
    assert "Δ UAR vs none (p / p_adj)" in text and "+2.0 (p = 0.031 / 0.062)" in text
    csv_text = format_table(summary, metrics=["uar"], fmt="csv", paired=paired)
    assert "0.031" in csv_text.splitlines()[-1] or "0.031" in csv_text
    sweep = pd.DataFrame(
        [
            {
                "augmenter": "smote",
                "amount": a,
                "amount_value": float(a),
                "metric": "uar",
                "mean": m,
                "ci_low": m - 0.01,
                "ci_high": m + 0.01,
                "n": 3,
            }
            for a, m in (("2", 0.63), ("0.5", 0.61))
        ]
    )
    lines = format_sweep(sweep).splitlines()
    assert lines[0].split()[1:] == ["x0.5", "x2"]  # amounts in numeric order
    assert "61.0 [60.0, 62.0]" in lines[2] and "63.0 [62.0, 64.0]" in lines[2]
