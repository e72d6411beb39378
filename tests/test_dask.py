"""Sweeps on Dask: a LocalCluster of 2 workers gives the single-machine results and survives a dead worker.

One cluster (2 single-threaded worker processes) serves every test of this module, so the start-up
cost is paid once; the whole module takes well under a minute on 2 cores.
"""

import json
import os
import signal
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from labkit.cli import main  # noqa: E402
from labkit.experiment.toy import toy_features  # noqa: E402
from labkit.features import Features  # noqa: E402
from labkit.runs.compare import CompareConfig, run_comparison  # noqa: E402
from labkit.runs.tasks import run_tasks  # noqa: E402
from labkit.runstore import Run, RunStore  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*(using SMOTE|using k=).*:UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50) as lc,
        Client(lc) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        yield lc, client


@pytest.fixture(scope="module")
def table():
    return toy_features(n_speakers=6, n_per=8, dim=10, seed=0)


def test_a_comparison_on_the_cluster_equals_the_single_machine_run(cluster, table, tmp_path):
    lc, client = cluster
    meta, X = table
    config = CompareConfig(augmenters=["none", "noise", "smote"], protocol="loso", seeds=2)
    here = run_comparison(meta, X, config, Run.create(tmp_path / "here", "compare", config.to_dict()), progress=False)
    there = run_comparison(
        meta,
        X,
        config,
        Run.create(tmp_path / "there", "compare", config.to_dict()),
        progress=False,
        scheduler=lc.scheduler_address,
    )  # an address, as --scheduler takes
    assert there.n_computed == there.n_tasks == here.n_tasks
    assert there.summary == here.summary
    pd.testing.assert_frame_equal(
        there.tables["tasks"].sort_values(["augmenter", "seed", "fold"]).reset_index(drop=True),
        here.tables["tasks"].sort_values(["augmenter", "seed", "fold"]).reset_index(drop=True),
    )
    for key in here.run.task_keys():  # the same per-task files, written by this process
        assert there.run.load_task(key) == here.run.load_task(key)
    again = run_comparison(meta, X, config, there.run, progress=False, scheduler=client)  # resumes the same way
    assert (again.n_computed, again.n_reused) == (0, here.n_tasks)


def test_compare_command_with_a_scheduler(cluster, table, tmp_path, capsys):
    lc, _ = cluster
    meta, X = table
    path = tmp_path / "toy.parquet"
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(X.shape[1])], feature_set="toy", settings={}).to_parquet(
        path
    )
    argv = ["compare", str(path), "--augmenters", "none,ros", "--seeds", "1", "--no-tune", "--json"]
    assert main(argv + ["--out", str(tmp_path / "a"), "--scheduler", lc.scheduler_address]) == 0
    on_cluster = json.loads(capsys.readouterr().out)
    assert main(argv + ["--out", str(tmp_path / "b")]) == 0
    assert json.loads(capsys.readouterr().out) == on_cluster


def _slow_square(task, marker_dir):
    """A task that takes a while and leaves a marker each time it is computed (to count computations)."""
    Path(marker_dir, f"{task['key']}.{uuid.uuid4().hex}").write_text(str(os.getpid()))
    time.sleep(0.4)
    return {"key": task["key"], "square": task["i"] ** 2}


def test_killing_a_worker_mid_sweep_loses_no_finished_task(cluster, tmp_path):
    lc, client = cluster
    run = RunStore(tmp_path).create("toy", {}, run_id="sweep")
    markers = tmp_path / "markers"
    markers.mkdir()
    tasks = [{"key": f"t{i:02d}", "i": i} for i in range(12)]
    pids = client.run(os.getpid)  # {worker address: pid}
    finished_before_kill: list[str] = []

    def on_result(task, result):
        finished_before_kill.append(task["key"]) if not killed else None
        if len(finished_before_kill) == 3 and not killed:
            os.kill(next(iter(pids.values())), signal.SIGKILL)  # a worker dies mid-sweep (its nanny restarts it)
            killed.append(True)

    killed: list = []
    outcome = run_tasks(
        run,
        tasks,
        _slow_square,
        (str(markers),),
        scheduler=client,
        on_result=on_result,
        progress=False,
        resources={"GPU": 1},
    )  # no worker offers a GPU: asked for, then ignored
    assert killed
    assert outcome.finished and [r["square"] for r in outcome.results] == [i * i for i in range(12)]
    assert sorted(run.task_keys()) == [t["key"] for t in tasks]
    counts = pd.Series([m.name.split(".")[0] for m in markers.iterdir()]).value_counts()
    assert set(counts.index) == {t["key"] for t in tasks}
    assert all(counts[k] == 1 for k in finished_before_kill)  # finished tasks were never computed again
    # at most two tasks ran twice: the killed worker's task in flight (one thread), and one it had finished
    # whose result was still in its memory, not yet fetched (under load the second happens too)
    assert counts.sum() <= len(tasks) + 2
    rerun = run_tasks(run, tasks, _slow_square, (str(markers),), scheduler=client, progress=False)
    assert (rerun.n_computed, rerun.n_reused) == (0, len(tasks))
    client.wait_for_workers(2, timeout=60)  # the nanny has restarted it


PICKLED = []  # one entry each time a Payload is pickled in this process


class Payload:
    """A shared argument that counts how often it is pickled (i.e. sent) by the calling process."""

    def __init__(self, data):
        self.data = data

    def __reduce__(self):
        PICKLED.append(1)
        return (Payload, (self.data,))


def _sum_with(task, payload):
    return {"total": float(payload.data.sum()) + task["i"]}


def test_shared_arguments_are_scattered_once(cluster, tmp_path):
    """The shared arguments travel to the cluster once, not once per task."""
    _, client = cluster
    run = RunStore(tmp_path).create("toy", {}, run_id="scatter")
    payload = Payload(np.arange(200_000, dtype=np.float64))
    tasks = [{"key": f"t{i}", "i": i} for i in range(8)]
    PICKLED.clear()
    outcome = run_tasks(run, tasks, _sum_with, (payload,), scheduler=client, progress=False)
    assert [r["total"] for r in outcome.results] == [float(payload.data.sum()) + i for i in range(8)]
    assert 1 <= len(PICKLED) <= 2  # scatter (and at most one broadcast copy), never once per task
    deadline = time.monotonic() + 10  # nothing of the sweep stays on the cluster afterwards
    while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) == 0


def test_every_model_training_experiment_asks_dask_for_a_gpu():
    """Every paper experiment trains a model per task, so on a cluster it asks for a worker offering a GPU
    (ignored where none does, as the test above shows)."""
    from labkit.runs.reproduce import experiments

    found = experiments()
    assert {"aaec-table1", "codevector-exp1", "sahu-table1", "shilandari-table1"} <= set(found)
    missing = [name for name, exp in found.items() if (exp.resources or {}).get("GPU") != 1]
    assert not missing, f"experiments without resources={{'GPU': 1}}: {missing}"
