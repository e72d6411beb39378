"""Tracker logging: a labkit run mirrored to MLflow (read back with MLflow's own API) and TensorBoard."""

import numpy as np
import pandas as pd
import pytest

from labkit.cli import main
from labkit.errors import LabkitError
from labkit.runs.tracking import check_trackers, curves, final_scores, push_run
from labkit.runstore import Run

# MLflow's own SQLAlchemy models warn about a deprecated loader option: not labkit's to fix
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _training_run(path) -> Run:
    """A run as a trainer leaves it: a loss history, generated samples at 3 iterations, a summary."""
    run = Run.create(path, kind="toy-train", config={"lr": 0.001, "protocol_params": {"train_corpus": "studio"}})
    run.write_table(
        "history",
        pd.DataFrame(
            {"iteration": [1, 2, 3], "loss_d": [1.0, 0.8, 0.7], "loss_g": [2.0, 1.5, np.nan], "phase": ["a", "b", "c"]}
        ),
    )
    rng = np.random.default_rng(0)
    run.save_reference(
        "embedding",
        rng.standard_normal((40, 4)),
        np.repeat([0, 1], 20),
        rng.standard_normal((20, 4)),
        np.repeat([0, 1], 10),
    )
    for it in (1, 2, 3):
        run.save_snapshot("embedding", it, rng.standard_normal((12, 4)) * it, np.repeat([0, 1], 6))
    return run


def _finish(run):
    run.write_table(
        "summary",
        pd.DataFrame(
            {
                "configuration": ["AAE+C", "AAE+C"],
                "metric": ["uar", "f1"],
                "mean": [0.61, 0.55],
                "ci_low": [0.58, np.nan],
                "ci_high": [0.64, np.nan],
                "n": [3, 1],
            }
        ),
    )
    run.set_status("finished", "done")


def test_what_a_run_holds_becomes_curves_and_final_scores(tmp_path):
    run = _training_run(tmp_path / "r")
    c = curves(run)
    assert c["history/loss_d"] == [(1, 1.0), (2, 0.8), (3, 0.7)] and c["history/loss_g"] == [(1, 2.0), (2, 1.5)]
    assert "history/phase" not in c and [s for s, _ in c["coverage-embedding/precision"]] == [1, 2, 3]
    assert final_scores(run) == {}  # no summary yet
    _finish(run)
    assert final_scores(run) == {
        "AAE-plus-C/uar": 0.61,
        "AAE-plus-C/uar_ci_low": 0.58,
        "AAE-plus-C/uar_ci_high": 0.64,
        "AAE-plus-C/f1": 0.55,
    }


def test_unknown_or_missing_tracker_is_refused(monkeypatch):
    import sys

    with pytest.raises(LabkitError, match="choose from mlflow, tensorboard"):
        check_trackers("wandb")
    assert check_trackers(None) == [] and check_trackers("") == []
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if the extra were not installed
    with pytest.raises(LabkitError, match=r"pip install 'labkit\[tensorboard\]'"):
        check_trackers("TensorBoard")


@pytest.mark.slow
def test_mlflow_run_is_readable_with_mlflow_and_pushes_are_incremental(tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run = _training_run(tmp_path / "r")
    run.write_table("history", run.read_table("history").iloc[:2])  # a training still going: 2 iterations
    push_run(run, ["mlflow"], uri)
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("labkit-toy-train")
    (found,) = client.search_runs([exp.experiment_id], filter_string=f"tags.`labkit.run_dir` = '{run.path.resolve()}'")
    assert found.info.status == "RUNNING" and found.data.params["protocol_params.train_corpus"] == "studio"
    assert [m.step for m in client.get_metric_history(found.info.run_id, "history/loss_d")] == [1, 2]

    run.write_table("history", _training_run(tmp_path / "full").read_table("history"))  # iteration 3 arrives
    _finish(run)
    push_run(run, "mlflow", uri)
    push_run(run, "mlflow", uri)  # nothing new: nothing sent twice
    got = client.get_run(found.info.run_id)
    assert got.info.status == "FINISHED"
    history = client.get_metric_history(found.info.run_id, "history/loss_d")
    assert [(m.step, m.value) for m in history] == [(1, 1.0), (2, 0.8), (3, 0.7)]
    assert got.data.metrics["AAE-plus-C/uar"] == pytest.approx(0.61)
    assert len(client.get_metric_history(found.info.run_id, "coverage-embedding/coverage")) == 3
    artifacts = {a.path for a in client.list_artifacts(found.info.run_id)}
    assert "run.json" in artifacts and (tmp_path / "mlartifacts").exists()  # beside the database


@pytest.mark.slow
def test_compare_log_tensorboard_writes_event_files(tmp_path, capsys):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from labkit.experiment.toy import toy_features
    from labkit.features import Features

    meta, X = toy_features(n_speakers=3, n_per=4, dim=4)
    path = tmp_path / "toy.parquet"
    Features(meta=meta, X=X, names=list("abcd"), feature_set="toy", settings={}).to_parquet(path)
    assert (
        main(
            [
                "compare",
                str(path),
                "--augmenters",
                "none,noise",
                "--seeds",
                "1",
                "--no-tune",
                "--out",
                str(tmp_path / "cmp"),
                "--log",
                "tensorboard",
                "--log-uri",
                str(tmp_path / "tb"),
                "--json",
            ]
        )
        == 0
    )
    assert "TensorBoard events in" in capsys.readouterr().err
    acc = EventAccumulator(str(tmp_path / "tb" / "cmp")).Reload()
    scalars = acc.Tags()["scalars"]
    assert "final/noise/uar" in scalars and "final/none/uar_ci_low" in scalars
    assert acc.Scalars("final/none/uar")[0].value == pytest.approx(
        Run(tmp_path / "cmp").read_json("summary")["none"]["uar"]["mean"], rel=1e-6
    )
