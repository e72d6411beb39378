"""`labkit.reproductions.common`: the plumbing every paper module shares, and the typed contexts."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from labkit.errors import LabkitError
from labkit.reproductions import common as C


# --------------------------------------------------------------------------- options
def _parser(**kw) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    C.add_corpus_arguments(p, **kw)
    return p


def test_corpus_arguments_and_their_checks():
    args = _parser().parse_args(["synthetic"])
    assert (args.source, args.features, args.device, args.threads, args.skip_bad) == (
        "synthetic",
        "is10",
        None,
        1,
        False,
    )
    with pytest.raises(SystemExit):
        _parser().parse_args(["x", "--features", "spectrogram"])  # functionals only
    aaec = _parser(features=None, threads=None, skip_bad=False).parse_args(["x"])
    assert not hasattr(aaec, "features") and not hasattr(aaec, "skip_bad") and aaec.threads is None
    free = _parser(features="egemaps", features_choices=None).parse_args(["x", "--features", "anything"])
    assert free.features == "anything"  # the paper checks it (codevector names the bad value)
    C.check_options(argparse.Namespace(threads=None, max_folds=None))
    for name, option in (("threads", "--threads"), ("max_folds", "--max-folds")):
        with pytest.raises(LabkitError, match=f"{option} must be at least 1, got 0"):
            C.check_options(argparse.Namespace(**{name: 0}))


def test_parse_emotions_canonical_names_in_order():
    assert C.parse_emotions("angry, neutral,sadness") == ["anger", "neutral", "sadness"]
    with pytest.raises(LabkitError, match="unknown emotion 'joyful'"):
        C.parse_emotions("anger,joyful")
    for text in ("anger", "anger,angry", ""):
        with pytest.raises(LabkitError, match="at least two distinct emotions"):
            C.parse_emotions(text)


def test_load_features_keeps_the_emotion_set_and_names_what_is_missing(monkeypatch):
    import labkit.data.loaders as loaders
    import labkit.features as features

    table = pd.DataFrame({"id": list("abcd"), "emotion": ["anger", "fear", "neutral", "anger"]})
    seen = {}
    monkeypatch.setattr(loaders, "load_corpus", lambda source, skip_bad=False: table)
    monkeypatch.setattr(features, "extract", lambda t, fs, **kw: seen.update(table=t, fs=fs, **kw) or "feats")
    assert C.load_features("src", ["anger", "neutral"], "egemaps", skip_bad=True, progress=False) == "feats"
    assert seen["table"]["id"].tolist() == ["a", "c", "d"] and seen["fs"] == "egemaps" and seen["skip_bad"] is True
    C.load_features("src")  # no emotion set: every row
    assert len(seen["table"]) == 4
    with pytest.raises(LabkitError, match=r"src: no utterances of sadness \(it has anger, fear, neutral\); pick me"):
        C.load_features("src", ["anger", "sadness"], hint="pick me")


def test_describe_and_emotion_counts():
    meta = pd.DataFrame({"emotion": ["anger", "anger", "neutral"], "speaker": ["s1", "s2", "s1"]})
    feats = argparse.Namespace(meta=meta, X=np.zeros((3, 5)), feature_set="is10")
    counts = C.emotion_counts(meta, ["neutral", "anger", "fear"])
    assert counts == "neutral 1, anger 2, fear 0"
    assert (
        C.describe("src", feats, counts)
        == "src: 3 utterances, 2 speakers (neutral 1, anger 2, fear 0); is10 (5 features)"
    )


# --------------------------------------------------------------------------- tasks and summaries
def test_task_grid_orders_axes_and_fills_the_key():
    tasks = C.task_grid("{method}_s{seed}_f{fold:02d}", seed=range(2), fold=range(2), method=["none", "noise"])
    assert [t["key"] for t in tasks[:3]] == ["none_s0_f00", "noise_s0_f00", "none_s0_f01"]
    assert len(tasks) == 8 and tasks[-1] == {"key": "noise_s1_f01", "seed": 1, "fold": 1, "method": "noise"}


def test_long_table_reads_rows_as_lists_or_json_text():
    rows = [{"row": "A", "uar": 0.5, "wa": 0.6}, {"row": "B", "uar": 0.7, "wa": 0.8}]
    tasks = pd.DataFrame(
        [
            {"seed": 0, "fold": 1, "method": "m", "rows": rows},
            {"seed": 1, "fold": 1, "method": "m", "rows": json.dumps(rows)},
        ]
    )
    long = C.long_table(tasks, ["uar", "wa"], row_fields={"configuration": "row"})
    assert list(long.columns) == ["configuration", "seed", "fold", "uar", "wa"]
    assert long["configuration"].tolist() == ["A", "B", "A", "B"] and long["seed"].tolist() == [0, 0, 1, 1]
    cols = ["method", "configuration", "seed", "fold", "uar"]
    other = C.long_table(
        tasks, ["uar"], task_fields=("method", "seed", "fold"), row_fields={"configuration": "row"}, columns=cols
    )
    assert list(other.columns) == cols and other["method"].eq("m").all()


def _paired():
    from labkit.experiment.stats import paired_vs

    rng = np.random.default_rng(0)
    rows = []
    for seed in range(2):
        for fold in range(6):
            base = rng.uniform(0.4, 0.6)
            rows += [{"augmenter": "none", "seed": seed, "fold": fold, "uar": base}]
            rows += [{"augmenter": "noise", "seed": seed, "fold": fold, "uar": base + 0.05}]
            rows += [{"augmenter": "chance", "seed": seed, "fold": fold, "uar": 0.25}]
    return paired_vs(pd.DataFrame(rows), ["uar"], baseline="none")


def test_paired_column_text_and_records():
    paired = _paired()
    noise = paired[paired["augmenter"] == "noise"].iloc[0]
    extra, js = C.paired_column(paired, "Δ (p)", skip=("chance",), label=lambda a: a.upper())
    assert list(extra) == ["NOISE"] and extra["NOISE"] == {"Δ (p)": f"+5.0 (p = {noise.p_value:.2g})"}
    assert js["NOISE"] == {
        "mean_diff": pytest.approx(0.05),
        "p_value": noise.p_value,
        "p_adjusted": noise.p_adjusted,
        "n_pairs": 6,
    }
    extra, js = C.paired_column(paired, "Δ (p)", adjusted=True, count="n_folds")
    assert extra["noise"]["Δ (p)"].endswith(f" / {C.p_text(noise.p_adjusted)})") and js["chance"]["n_folds"] == 6
    assert C.paired_column(None, "Δ") == ({}, {})
    assert [C.p_text(p) for p in (None, float("nan"), np.float64(0.012345), 1.0)] == ["n/a", "n/a", "0.012", "1"]


def test_tuning_note_defaults_or_the_chosen_values():
    untuned = C.tuning_note(pd.DataFrame({"seed": [0]}), untuned="defaults.", tuned="--tune")
    assert untuned == "defaults."
    records = [{"SVM": {"C": 1.0, "inner_uar": 0.5}}, {"SVM": {"C": 10.0}}, {"SVM": {"C": 1.0}}]
    tasks = pd.DataFrame({"tuned": [json.dumps(r) for r in records] + [None]})
    assert C.tuning_note(tasks, untuned="x", tuned="--tune: C") == "--tune: C: SVM: C 1.0 ×2, 10.0 ×1."
    named = C.tuning_note(tasks, untuned="x", tuned="t", spaces={"SVM": "linear SVM"})
    assert named == "t: linear SVM: C 1.0 ×2, 10.0 ×1."


def test_drop_checkpoints_removes_only_the_finished_tasks(tmp_path):
    from labkit.runstore import Run

    run = Run.create(tmp_path / "r", "t", {})
    for name in ("a-aae", "a-gan", "b-aae", "a"):
        run.save_checkpoint({"x": 1}, name)
    C.drop_checkpoints("-aae", "-gan")({"key": "a"}, {}, run)
    assert [run.checkpoint_path(n).exists() for n in ("a-aae", "a-gan", "b-aae", "a")] == [False, False, True, True]
    C.drop_checkpoints()({"key": "a"}, {}, run)
    assert not run.checkpoint_path("a").exists()


def test_summary_by_keeps_the_given_row_order():
    from labkit.reproductions.base import summary_by

    long = pd.DataFrame({"configuration": ["B", "A", "C"] * 2, "seed": [0, 0, 0, 1, 1, 1], "uar": [0.5, 0.6, 0.7] * 2})
    assert list(summary_by(long, "configuration", ["uar"])) == ["B", "A", "C"]
    assert list(summary_by(long, "configuration", ["uar"], order=["C", "X", "A"])) == ["C", "A"]


# --------------------------------------------------------------------------- typed contexts
def _contexts():
    from labkit.reproductions import aaec, codevector, sahu, shilandari

    return [aaec.AAECContext, codevector.CodeVectorContext, sahu.SahuContext, shilandari.ShilandariContext]


@pytest.mark.parametrize("cls", _contexts(), ids=lambda c: c.__name__)
def test_every_paper_context_is_a_frozen_dataclass_with_a_comment_per_field_and_pickles(cls):
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    source = inspect.getsource(cls)
    for f in dataclasses.fields(cls):
        line = next(ln for ln in source.splitlines() if ln.strip().startswith(f"{f.name}:"))
        assert "  # " in line and len(line.split("  # ", 1)[1]) > 10, f"{cls.__name__}.{f.name} has no comment"
    values = {f.name: np.arange(3) if "np.ndarray" in str(f.type) else f"v-{f.name}" for f in dataclasses.fields(cls)}
    ctx = cls(**values)
    back = pickle.loads(pickle.dumps(ctx))  # tasks travel to joblib and Dask workers
    assert type(back) is cls and all(
        np.array_equal(getattr(back, k), v) if isinstance(v, np.ndarray) else getattr(back, k) == v
        for k, v in values.items()
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(ctx, dataclasses.fields(cls)[0].name, None)


def test_every_experiment_task_function_pickles():
    from labkit.runs.reproduce import experiments

    for exp in experiments().values():
        assert pickle.loads(pickle.dumps(exp.run_task)) is exp.run_task, exp.name


def test_paper_modules_stay_light_at_import():
    import subprocess
    import sys

    code = (
        "import sys, labkit.reproductions.common, labkit.reproductions.aaec, labkit.reproductions.codevector, "
        "labkit.reproductions.sahu, labkit.reproductions.shilandari; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_gate_helpers_combine_folds_and_name_the_failing_generator():
    import json

    import numpy as np
    import pandas as pd

    from labkit.metrics.gate import gate
    from labkit.reproductions.common import gate_json, gate_lines, gate_record, gate_summary, gated_verdict

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = np.repeat([0, 1, 2], 40)
    X[:, 0] += 2 * y
    good = gate(X, y, X + rng.normal(scale=0.3, size=X.shape), y, generator="good", fold=0)
    collapsed = gate(X, y, 0.01 * X, y, generator="collapsed", fold=0)
    # one task's record as a dict, the other's as the JSON text the run store gives back
    tasks = pd.DataFrame(
        {"gate": [gate_record({"good": good, "collapsed": collapsed, "none": None}),
                  json.dumps(gate_record({"good": good, "collapsed": collapsed}))]}
    )  # fmt: skip
    summary = gate_summary(tasks)
    assert set(summary) == {"good", "collapsed"}
    assert summary["good"].passed and not summary["collapsed"].passed
    assert summary["good"].n_real == 240  # two folds combined
    lines = gate_lines(summary)
    assert lines[0].startswith("Gate · good: passed") and "FAILED" in lines[1]
    js = gate_json(summary)
    json.dumps(js, allow_nan=False)
    assert js["verdict"].startswith("inconclusive: collapsed failed the gate (fidelity")
    assert gated_verdict(False, "GAN helps", summary, ["good"]) == (
        "GAN helps: claim not reproduced by generators that learned the data."
    )
    assert "collapsed failed the gate" in gated_verdict(False, "GAN helps", summary)
    assert gated_verdict(True, "GAN helps", summary) == "GAN helps: reproduced."
