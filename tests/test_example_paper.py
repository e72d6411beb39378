"""The example paper (tests/example_paper.py) runs end to end through the lifecycle of `labkit reproduce`.

It is the template for a fifth paper, so it must stay short (under 200 lines) and really work: a
tiny corpus from the embedded synthesizer, egemaps features, two methods x two seeds x three
leave-one-speaker-out folds, the printed table, the results JSON and the run store's tables.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import example_paper as paper
import numpy as np
import pytest


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory):
    """3 speakers x 4 emotions x 3 short utterances from the embedded synthesizer (`synthetic:DIR`)."""
    from labkit.data.synthetic import SynthConfig, synthesize_corpus

    out = tmp_path_factory.mktemp("example-corpus")
    config = SynthConfig(
        n_speakers=3, n_utterances=3, emotions=["anger", "happiness", "sadness", "neutral"], duration=(0.6, 0.9)
    )
    synthesize_corpus(out, config, progress=False, n_jobs=1)
    return f"synthetic:{out}"


def _args(argv: list[str]) -> argparse.Namespace:
    """The options as `labkit reproduce example-table1 ...` parses them: the paper's, then the shared ones."""
    from labkit.runs.reproduce import add_common_arguments

    p = argparse.ArgumentParser(prog="labkit reproduce example-table1")
    paper.EXPERIMENT.add_arguments(p)
    add_common_arguments(p, paper.EXPERIMENT)
    return p.parse_args(argv)


def _run(argv: list[str]) -> int:
    from labkit.runs.reproduce import run_experiment

    return run_experiment(paper.EXPERIMENT, _args(argv))


def test_the_example_paper_is_under_200_lines():
    n = len(Path(paper.__file__).read_text(encoding="utf-8").splitlines())
    assert n < 200, f"tests/example_paper.py has {n} lines; the template for a new paper must stay under 200"


def test_the_example_paper_runs_end_to_end_and_resumes(tiny_source, tmp_path, capsys):
    from labkit.runstore import open_run

    out = tmp_path / "run"
    argv = [tiny_source, "--seeds", "2", "--no-tune", "--out", str(out)]
    assert _run(argv + ["--max-tasks", "5"]) == 0
    assert "5 of 12 tasks done" in capsys.readouterr().out
    assert _run(argv) == 0
    printed = capsys.readouterr().out
    # the table: both rows, ours with intervals and the made-up numbers under them, the paired column, the notes
    assert "Example paper (made up), Table 1" in printed
    assert "No augmentation" in printed and "Add noise" in printed and "made-up example" in printed
    assert "53.00" in printed and "52.00" in printed  # the invented numbers, as "printed by the paper"
    assert "Δ UAR vs none (p)" in printed and " ± " in printed
    assert "36 utterances, 3 speakers (anger 9, happiness 9, sadness 9, neutral 9); egemaps (88 features)" in printed
    assert "leave-one-speaker-out (3 folds run)" in printed and "Linear SVM with C = 1" in printed

    run = open_run(out)
    config = dict(run.config)
    data_hash = config.pop("data_hash")  # the lifecycle adds the data's content hash to every identity
    assert len(data_hash) == 16 and int(data_hash, 16) >= 0
    assert config == {
        "source": tiny_source,
        "features": "egemaps",
        "emotions": ["anger", "happiness", "sadness", "neutral"],
        "noise_scale": 0.1,
        "amount": 1.0,
    }
    tasks = run.read_table("tasks")
    assert len(tasks) == 2 * 2 * 3  # methods x seeds x folds
    noise, none = tasks[tasks["method"] == "noise"], tasks[tasks["method"] == "none"]
    assert (none["n_synthetic"] == 0).all() and (noise["n_synthetic"] == noise["n_train"]).all()  # amount 1

    # results/<experiment>.json: the summary is the seed-averaged mean of the scores table (fractions)
    result = run.read_json("example-table1")
    assert result["n_tasks"] == 12 and result["seeds"] == 2
    rows = result["result"]["rows"]
    assert list(rows) == ["No augmentation", "Add noise"]
    scores = run.read_table("scores")
    assert len(scores) == 12 and set(scores.columns) >= {"configuration", "seed", "fold", "uar", "wa", "f1"}
    for name, row in rows.items():
        part = scores[scores["configuration"] == name]
        assert row["uar"]["n"] == 2 and row["uar"]["ci_low"] <= row["uar"]["mean"] <= row["uar"]["ci_high"]
        assert row["uar"]["mean"] == pytest.approx(part.groupby("seed")["uar"].mean().mean())
        assert 0.0 <= row["wa"]["mean"] <= 1.0
    paired = result["result"]["paired_vs_none"]["Add noise"]
    diff = scores.pivot_table(index=["seed", "fold"], columns="configuration", values="uar")
    assert paired["mean_diff"] == pytest.approx((diff["Add noise"] - diff["No augmentation"]).mean())
    assert paired["n_pairs"] == 3
    table = result["tables"][0]
    assert [r["row"] for r in table["rows"]] == ["No augmentation", "Add noise"]
    assert table["rows"][1]["paper"] == {"wa": 54.0, "uar": 53.0}
    assert run.read_table("summary")["metric"].tolist().count("uar") == 2

    # a finished run recomputes nothing and prints the same result
    assert _run(argv + ["--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["rows"] == rows and run.read_json("example-table1")["n_computed"] == 0


def test_the_example_context_pickles_and_is_frozen(tiny_source):
    import dataclasses
    import pickle

    plan = paper.EXPERIMENT.plan(_args([tiny_source, "--seeds", "1", "--max-folds", "1", "--json"]))
    ctx = pickle.loads(pickle.dumps(plan.context))
    np.testing.assert_array_equal(ctx.X, plan.context.X)
    assert [t["key"] for t in plan.tasks] == ["none_s0_f00", "noise_s0_f00"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.context.amount = 2.0
    result = paper.method_task(plan.tasks[1], ctx, run_path="/nonexistent")
    assert result["rows"][0]["row"] == "Add noise" and 0.0 <= result["rows"][0]["uar"] <= 1.0


def test_bad_options_are_refused_before_any_work(tiny_source, tmp_path, capsys):
    from labkit.errors import LabkitError

    for extra, message in (
        (["--emotions", "anger"], "at least two distinct emotions"),
        (["--amount", "0"], "--amount must be > 0"),
        (["--max-folds", "0"], "--max-folds must be at least 1"),
        (["--threads", "0"], "--threads must be at least 1"),
    ):
        with pytest.raises(LabkitError, match=message):
            _run([tiny_source, "--out", str(tmp_path / "x"), *extra])
    assert not (tmp_path / "x").exists()
