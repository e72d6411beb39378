"""The one run lifecycle (`labkit.runs.lifecycle`): compare and reproduce share it, a run's own config.toml
is not trusted with where work goes, --jobs is clamped, SIGTERM ends a run "interrupted", and a run's
identity does not depend on how its SOURCE path was typed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit.cli import main
from labkit.configfile import RUN_CONFIG, read_run_config
from labkit.experiment.toy import toy_features
from labkit.features import Features
from labkit.reproductions.base import Experiment, Plan, Report, summary_by, summary_frame
from labkit.runstore import Run, open_run

COMPARE = ["--augmenters", "none,noise", "--protocol", "split", "--test-fraction", "0.34", "--seeds", "1", "--no-tune"]


def _features(path: Path, **kw) -> Path:
    meta, X = toy_features(**{"n_speakers": 6, "n_per": 6, "dim": 8, "seed": 0, **kw})
    path.parent.mkdir(parents=True, exist_ok=True)
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(X.shape[1])], feature_set="toy", settings={}).to_parquet(
        path
    )
    return path


@pytest.fixture(scope="module")
def features_file(tmp_path_factory):
    return _features(tmp_path_factory.mktemp("lifecycle") / "toy.parquet")


# ------------------------------------------------------------------ a toy reproduce experiment
def _toy_arguments(p):
    p.add_argument("source")
    p.add_argument("--stop-at", type=int, default=-1, help="the task that sends this process SIGTERM")


def _toy_plan(args) -> Plan:
    tasks = [{"key": f"t{i}", "seed": i, "stop": i == args.stop_at} for i in range(4)]
    return Plan(config={"source": args.source}, tasks=tasks, context=None, data="toy data", default_out="toy")


def _toy_task(task, context, run_path):
    if task["stop"]:
        os.kill(os.getpid(), signal.SIGTERM)  # what `timeout` and SLURM send
        time.sleep(5)  # the handler raises before this ends
    return {"seed": task["seed"], "model": "toy", "score": 0.5 + 0.01 * task["seed"]}


def _toy_summary(tasks, plan) -> Report:
    s = summary_by(tasks, "model", ["score"])
    return Report(tables=[], json=s, frames={"summary": summary_frame(s)})


TOY = Experiment(
    name="toy-life",
    paper="Nobody 2026",
    summary="a toy",
    description="a toy experiment",
    add_arguments=_toy_arguments,
    plan=_toy_plan,
    run_task=_toy_task,
    summarize=_toy_summary,
)


@pytest.fixture
def toy_registry(monkeypatch):
    import labkit.runs.reproduce as reproduce

    monkeypatch.setattr(reproduce, "experiments", lambda: {"toy-life": TOY})


# ------------------------------------------------------------------ one lifecycle
def test_compare_and_reproduce_run_through_the_one_lifecycle(
    features_file, toy_registry, tmp_path, monkeypatch, capsys
):
    import labkit.runs.lifecycle as lifecycle

    seen = []
    real = lifecycle.execute

    def spy(run, job, **kw):
        seen.append(job.kind)
        return real(run, job, **kw)

    monkeypatch.setattr(lifecycle, "execute", spy)
    assert main(["compare", str(features_file), *COMPARE, "--out", str(tmp_path / "cmp")]) == 0
    assert main(["reproduce", "toy-life", "x", "--out", str(tmp_path / "toy")]) == 0
    assert seen == ["compare", "toy-life"]
    for name in ("cmp", "toy"):  # the same steps for both: config.toml, a finished status with counts
        run = open_run(tmp_path / name)
        assert (run.path / RUN_CONFIG).is_file()
        assert run.status["state"] == "finished" and run.status["n_computed"] == run.status["n_tasks"]
        assert run.has_table("summary")
    err = capsys.readouterr().err
    assert "labkit compare: 2 tasks computed, 0 reused" in err
    assert "labkit reproduce toy-life: 4 tasks computed, 0 reused" in err


def test_max_tasks_prints_json_for_compare_too(features_file, tmp_path, capsys):
    out = tmp_path / "cut"
    assert main(["compare", str(features_file), *COMPARE, "--out", str(out), "--max-tasks", "1", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"finished": False, "n_done": 1, "n_tasks": 2, "run": str(out)}
    assert open_run(out).status["state"] == "running"


# ------------------------------------------------------------------ a run's config.toml is not trusted
def test_rerun_and_resume_ignore_a_planted_scheduler_log_and_out(features_file, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(["compare", str(features_file), *COMPARE, "--out", str(out)]) == 0
    elsewhere, planted_out = tmp_path / "elsewhere", tmp_path / "planted-out"
    with open(out / RUN_CONFIG, "a") as f:  # what a hostile user of a shared store could add
        f.write(
            'scheduler = "tcp://203.0.113.9:8786"\nlog = "tensorboard"\n'
            f'log_uri = "{elsewhere}"\nout = "{planted_out}"\nmax_tasks = 1\n'
        )
    import labkit.runs.tasks as tasks

    def no_cluster(*a, **k):
        raise AssertionError("a Dask client was opened from a planted config.toml")

    monkeypatch.setattr(tasks, "get_client", no_cluster)
    capsys.readouterr()

    assert main(["rerun", str(out), "--out", str(tmp_path / "again")]) == 0
    err = capsys.readouterr().err
    assert "ignored" in err and "scheduler" in err and "log_uri" in err
    assert "same results as" in err
    assert open_run(tmp_path / "again").status["state"] == "finished"  # max_tasks = 1 was not obeyed either

    # resuming with the run's own file as --config: the same
    assert main(["compare", "--config", str(out / RUN_CONFIG), "--out", str(out)]) == 0
    assert "0 tasks computed, 2 reused" in capsys.readouterr().err
    assert main(["compare", "--config", str(out / RUN_CONFIG)]) == 0  # no --out: a new run in the store
    assert not elsewhere.exists() and not planted_out.exists()

    # a config file of your own may still set them (here: a tracker folder)
    pytest.importorskip("tensorboard")
    mine = tmp_path / "mine.toml"
    mine.write_text(f'log = "tensorboard"\nlog_uri = "{elsewhere}"\n')
    assert main(["compare", str(features_file), *COMPARE, "--config", str(mine), "--out", str(out)]) == 0
    assert elsewhere.is_dir()


# ------------------------------------------------------------------ --jobs
def _pid_task(task):
    time.sleep(0.05)
    return {"pid": os.getpid()}


def test_jobs_are_clamped_to_the_pending_tasks_and_cores_and_the_clamp_is_said(tmp_path):
    from labkit.runs.tasks import run_tasks, worker_count

    assert worker_count(100_000, 3) == min(3, os.cpu_count() or 1)
    assert worker_count(-1, 1) == 1 and worker_count(1, 50) == 1
    notes = []
    run = Run.create(tmp_path / "run", "toy", {})
    tasks = [{"key": f"t{i}"} for i in range(3)]
    t0 = time.perf_counter()
    outcome = run_tasks(run, tasks, _pid_task, n_jobs=100_000, progress=False, note=notes.append)
    assert outcome.finished and time.perf_counter() - t0 < 60
    assert len({r["pid"] for r in outcome.results}) <= 3
    assert len(notes) == 1 and "--jobs 100000 clamped to" in notes[0] and "3 pending tasks" in notes[0]
    assert not (run.path / "locks").exists()


def test_compare_with_absurd_jobs_finishes_and_says_so(features_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["compare", str(features_file), *COMPARE, "--jobs", "100000", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"--jobs 100000 clamped to {os.cpu_count() or 1} (the cores of this machine)" in err
    assert open_run(out).status["state"] == "finished"
    assert not (out / "locks").exists()


# ------------------------------------------------------------------ SIGTERM
def test_sigterm_ends_a_run_interrupted_with_its_locks_released(toy_registry, tmp_path, capsys):
    out = tmp_path / "run"
    before = signal.getsignal(signal.SIGTERM)
    assert main(["reproduce", "toy-life", "x", "--stop-at", "2", "--out", str(out)]) == 128 + signal.SIGTERM
    assert "stopped by signal" in capsys.readouterr().err
    run = open_run(out)
    assert run.status["state"] == "interrupted" and "2 of 4 tasks done" in run.status["message"]
    assert run.task_keys() == ["t0", "t1"]
    assert not (out / "locks").exists() or not any((out / "locks").iterdir())
    assert signal.getsignal(signal.SIGTERM) is before  # the handler does not outlive the run

    # the next invocation (without the stop; --stop-at is not part of the identity) resumes the run
    assert main(["reproduce", "toy-life", "x", "--out", str(out)]) == 0
    assert "2 tasks computed, 2 reused" in capsys.readouterr().err
    assert run.status["state"] == "finished"


def _children(pid: int) -> list[int]:
    """The child processes of `pid`, started by any of its threads (Linux; empty elsewhere)."""
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


@pytest.mark.slow
def test_sigterm_to_a_compare_subprocess_leaves_it_interrupted_and_resumable(tmp_path):
    """What `timeout` and SLURM do: the run ends "interrupted", its locks freed and its worker processes gone."""
    features = _features(tmp_path / "big.parquet", n_per=40, dim=100, separation=0.3)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "labkit", "compare", str(features), "--augmenters", "none,smote"]
    cmd += [
        "--protocol",
        "loso",
        "--seeds",
        "1",
        "--classifier",
        "svm-rbf",
        "--jobs",
        "2",
        "--no-tune",
        "--out",
        str(out),
    ]
    env = {**os.environ, "LABKIT_QUIET": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and len(list(out.glob("tasks/*.json"))) < 2:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert workers or not Path("/proc/self/task").exists(), "--jobs 2 should have started worker processes"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    done_before = len(list((out / "tasks").glob("*.json")))
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()
    assert 2 <= done_before < 12, "the run should be stopped part-way"
    run = open_run(out)
    assert run.status["state"] == "interrupted"
    assert not (out / "locks").exists() or not any((out / "locks").iterdir())
    deadline = time.time() + 20
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()], "worker processes outlived the run"
    finished = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"{12 - done_before} tasks computed, {done_before} reused" in finished.stderr


# ------------------------------------------------------------------ identity by resolved path
def test_a_relative_source_and_its_absolute_form_are_one_run(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    _features(project / "tables" / "good.parquet")
    monkeypatch.chdir(project)
    assert main(["compare", "tables/good.parquet", *COMPARE, "--out", "runs/r"]) == 0
    run = open_run(project / "runs" / "r")
    assert run.config["source"] == str((project / "tables" / "good.parquet").resolve())

    # from another working directory, with the absolute path: the same run, resumed
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    capsys.readouterr()
    assert main(["compare", str(project / "tables" / "good.parquet"), *COMPARE, "--out", str(run.path)]) == 0
    assert "0 tasks computed, 2 reused" in capsys.readouterr().err
    # ... and rerun of a relative-path run does not report a difference
    assert main(["rerun", str(run.path), "--out", str(tmp_path / "again")]) == 0
    assert "same results as" in capsys.readouterr().err


def test_a_run_made_with_a_relative_source_before_resolving_still_resumes_and_reruns(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    _features(project / "tables" / "good.parquet")
    monkeypatch.chdir(project)
    assert main(["compare", "tables/good.parquet", *COMPARE, "--out", "runs/r"]) == 0
    meta_path = project / "runs" / "r" / "run.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["source"] = "tables/good.parquet"  # as runs of earlier labkit versions stored it
    meta_path.write_text(json.dumps(meta))
    capsys.readouterr()

    assert main(["compare", "tables/good.parquet", *COMPARE, "--out", "runs/r"]) == 0  # from the same folder
    assert "0 tasks computed, 2 reused" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert main(["rerun", str(project / "runs" / "r"), "--out", str(tmp_path / "again")]) == 0
    err = capsys.readouterr().err
    assert "same results as" in err and "DIFFER" not in err
    command, values = read_run_config(project / "runs" / "r")
    assert command == "compare" and Path(values["source"]).is_absolute()


def test_experiment_holds_only_primitives():
    """Nothing in labkit/experiment imports the layers that run experiments (runs, reproductions, augment)."""
    import ast

    import labkit.experiment as pkg

    above = ("labkit.augment", "labkit.reproductions", "labkit.runs", "labkit.commands", "labkit.tracking")
    found = []
    for path in Path(pkg.__path__[0]).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.startswith(above)]
    assert not found


def test_identity_resolves_only_paths_that_exist():
    from labkit.runs.lifecycle import identity

    here = Path.cwd()
    config = {"source": ".", "test_source": "synthetic:phone", "other": ".", "n": 1}
    resolved = identity(config)
    assert resolved == {"source": str(here.resolve()), "test_source": "synthetic:phone", "other": ".", "n": 1}
    assert identity(resolved) == resolved  # idempotent


def test_a_reproduction_identity_holds_the_data_by_content():
    """`data_fingerprint` (added to every reproduction's run identity as ``data_hash``) changes when
    any array or table the tasks read changes, and only then."""
    from dataclasses import dataclass, replace

    import numpy as np
    import pandas as pd

    from labkit.runs.reproduce import data_fingerprint

    @dataclass(frozen=True)
    class Feats:  # shaped like labkit.features.Features
        meta: pd.DataFrame
        X: np.ndarray

    @dataclass(frozen=True)
    class Context:
        feats: Feats
        folds: dict
        preset: str

    meta = pd.DataFrame({"speaker": ["a", "a", "b"], "emotion": ["anger", "neutral", "anger"]})
    base = Context(Feats(meta, np.arange(6.0).reshape(3, 2)), {"loso": [np.array([0, 1])]}, "small")
    same = Context(Feats(meta.copy(), np.arange(6.0).reshape(3, 2)), {"loso": [np.array([0, 1])]}, "other preset")
    assert data_fingerprint(base) == data_fingerprint(same)  # options are not data (they are in config already)
    X = base.feats.X.copy()
    X[2, 1] += 1e-3
    assert data_fingerprint(replace(base, feats=Feats(meta, X))) != data_fingerprint(base)
    relabelled = meta.assign(emotion=["anger", "anger", "anger"])
    assert data_fingerprint(replace(base, feats=Feats(relabelled, base.feats.X))) != data_fingerprint(base)
    assert data_fingerprint(replace(base, folds={"loso": [np.array([0, 2])]})) != data_fingerprint(base)


def test_sigterm_before_the_run_starts_stops_cleanly(monkeypatch, capsys):
    """A SIGTERM while a command still loads its data (before the lifecycle's own handler) exits 143 with a
    message, like one mid-run, instead of killing the process outright."""
    import argparse

    import labkit.cli as cli

    def loading(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal arrives here, as it would while features are extracted
        raise AssertionError("SIGTERM did not stop the command")

    def build_parser():
        parser = argparse.ArgumentParser(prog="labkit")
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("load").set_defaults(func=loading)
        return parser

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(cli, "build_parser", build_parser)
    assert cli.main(["load"]) == 128 + signal.SIGTERM
    assert "labkit load: stopped by signal 15" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is put back
