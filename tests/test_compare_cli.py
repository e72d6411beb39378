"""`labkit compare`: help, JSON output, resuming (also after a real kill), clear errors."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from labkit.cli import main
from labkit.experiment.toy import toy_features
from labkit.features import Features
from labkit.runstore import RunStore, open_run


@pytest.fixture(scope="module")
def features_file(tmp_path_factory):
    meta, X = toy_features(n_speakers=6, n_per=8, dim=10, seed=0)
    path = tmp_path_factory.mktemp("cmp") / "toy.parquet"
    names = [f"f{j}" for j in range(X.shape[1])]
    Features(meta=meta, X=X, names=names, feature_set="toy", settings={}).to_parquet(path)
    return path


def test_help_lists_protocols_and_augmenters(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for word in ("loso", "logo", "split", "cross", "reduced", "smote", "adasyn", "--sweep", "--json", "--out"):
        assert word in out


def test_json_output_then_a_rerun_recomputes_nothing(features_file, tmp_path, capsys):
    argv = [
        "compare",
        str(features_file),
        "--augmenters",
        "none,noise,ros,smote,adasyn",
        "--protocol",
        "loso",
        "--seeds",
        "2",
        "--classifier",
        "svm-linear",
        "--no-tune",
        "--out",
        str(tmp_path / "run"),
        "--json",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)  # stdout holds only JSON
    assert list(result) == ["none", "noise", "ros", "smote", "adasyn"]
    for per_metric in result.values():
        for metric in ("uar", "wa", "f1"):
            cell = per_metric[metric]
            assert set(cell) >= {"mean", "ci_low", "ci_high"}
            assert cell["ci_low"] <= cell["mean"] <= cell["ci_high"] and 0 <= cell["mean"] <= 1
    assert "60 tasks computed, 0 reused" in captured.err
    assert open_run(tmp_path / "run").status["state"] == "finished"

    assert main(argv) == 0
    again = capsys.readouterr()
    assert "0 tasks computed, 60 reused" in again.err
    assert json.loads(again.out) == result


def test_table_output_sweep_and_default_run_store(features_file, capsys):
    argv = [
        "compare",
        str(features_file),
        "--augmenters",
        "none,smote",
        "--protocol",
        "split",
        "--test-fraction",
        "0.34",
        "--seeds",
        "1",
        "--sweep",
        "0,0.5,1",
        "--param",
        "smote.k_neighbors=3",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "augmenter" in out and "smote" in out and "UAR (%) against the amount" in out
    runs = RunStore().list_runs(kind="compare")  # no --out: a new run under $LABKIT_RUNS
    assert runs and runs[0].config["augmenter_params"] == {"smote": {"k_neighbors": 3}}


def test_bad_arguments_exit_2_with_a_message(features_file, tmp_path, capsys):
    base = ["compare", str(features_file), "--out", str(tmp_path / "r"), "--seeds", "1"]
    assert main(base + ["--augmenters", "none,gan9"]) == 2
    assert "gan9" in capsys.readouterr().err
    assert main(base + ["--param", "k_neighbors=3"]) == 2
    assert "noise.scale" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "missing.parquet")]) == 2
    assert "missing.parquet" in capsys.readouterr().err
    assert main(base + ["--protocol", "reduced"]) == 2
    assert "n_train" in capsys.readouterr().err
    assert main(base + ["--clf-param", "C2=1"]) == 2
    assert "C2" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # refused before a run directory was made


@pytest.mark.slow
def test_killing_compare_mid_run_then_resuming(tmp_path):
    # tasks of ~0.1-0.3 s (RBF SVM on 720 x 100) so that the kill lands part-way: 2 augmenters x 6 speakers
    meta, X = toy_features(n_speakers=6, n_per=40, dim=100, separation=0.3)
    features = tmp_path / "big.parquet"
    names = [f"f{j}" for j in range(X.shape[1])]
    Features(meta=meta, X=X, names=names, feature_set="toy", settings={}).to_parquet(features)
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "labkit",
        "compare",
        str(features),
        "--augmenters",
        "none,smote",
        "--protocol",
        "loso",
        "--seeds",
        "1",
        "--classifier",
        "svm-rbf",
        "--no-tune",  # quick tasks, so that the kill lands part-way
        "--out",
        str(out),
    ]
    env = {**os.environ, "LABKIT_QUIET": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and len(list(out.glob("tasks/*.json"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = len(list((out / "tasks").glob("*.json")))
    assert 2 <= done_before < 12, "the run should be killed part-way"

    # the store is readable after the kill
    run = open_run(out)
    assert run.status["state"] == "running"
    assert all(run.load_task(k)["key"] == k for k in run.task_keys())
    assert [i.state for i in RunStore(tmp_path).list_runs()] == ["running"]

    finished = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"{12 - done_before} tasks computed, {done_before} reused" in finished.stderr
    assert run.status["state"] == "finished" and len(run.read_table("tasks")) == 12
