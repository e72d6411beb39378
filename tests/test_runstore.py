"""The run store: atomic writes, resumable tasks, readers that survive partly written runs, no pickles."""

import json
import multiprocessing as mp

import numpy as np
import pandas as pd
import pytest

from labkit.errors import LabkitError
from labkit.runstore import Run, RunStore, open_run


def test_create_reopen_and_config_guard(tmp_path):
    store = RunStore(tmp_path)
    run = store.create("compare", {"a": 1}, run_id="r1")
    assert run.status["state"] == "running"
    assert open_run(tmp_path / "r1").config == {"a": 1}
    # Reopening with the same config resumes; another config is refused rather than mixed in.
    Run.create(tmp_path / "r1", "compare", {"a": 1})
    with pytest.raises(LabkitError, match="different experiment"):
        Run.create(tmp_path / "r1", "compare", {"a": 2})


def test_tasks_tables_json_npz_round_trip(tmp_path):
    run = RunStore(tmp_path).create("compare", {}, run_id="r")
    assert not run.has_task("none__s0__f1")
    run.save_task("none__s0__f1", {"uar": 0.5})
    assert run.has_task("none__s0__f1") and run.load_task("none__s0__f1") == {"uar": 0.5}
    assert run.task_keys() == ["none__s0__f1"]

    df = pd.DataFrame({"augmenter": ["none", "smote"], "uar": [0.5, 0.6]})
    run.write_table("summary", df)
    pd.testing.assert_frame_equal(run.read_table("summary"), df)
    run.write_json("summary", {"x": np.float32(1.5), "arr": np.arange(2)})
    assert run.read_json("summary") == {"x": 1.5, "arr": [0, 1]}

    run.write_npz("cache/thing", a=np.arange(3), names=np.array(["x", "y"], dtype=object))
    back = run.read_npz("cache/thing")
    assert back["a"].tolist() == [0, 1, 2] and back["names"].tolist() == ["x", "y"]


def test_snapshots_and_reference(tmp_path):
    run = RunStore(tmp_path).create("aaec", {}, run_id="r")
    rng = np.random.default_rng(0)
    run.save_reference(
        "spectrum", rng.normal(size=(10, 4)), np.arange(10) % 3, rng.normal(size=(5, 4)), np.arange(5) % 3
    )
    for it in (0, 1, 2):
        run.save_snapshot(
            "spectrum", it, rng.normal(size=(6, 4)), np.zeros(6, int), origin=["noise"] * 3 + ["code"] * 3
        )
    assert run.spaces() == ["spectrum"]
    assert run.snapshot_iterations("spectrum") == [0, 1, 2]
    long = run.load_snapshots("spectrum")
    assert len(long) == 18 and set(long["origin"]) == {"noise", "code"}
    with pytest.raises(ValueError):
        run.save_reference("bad", np.zeros((3, 4)), [0, 0, 0], np.zeros((3, 5)), [0, 0, 0])


def test_invalid_keys_are_refused(tmp_path):
    run = RunStore(tmp_path).create("compare", {}, run_id="r")
    for bad in ("../escape", "a/b", ".hidden", ""):
        with pytest.raises(LabkitError):
            run.save_task(bad, {})


def test_list_runs_survives_broken_and_partial_runs(tmp_path):
    store = RunStore(tmp_path)
    assert store.list_runs() == []
    store.create("compare", {}, run_id="good")
    (tmp_path / "empty-dir").mkdir()  # a run killed before run.json was written
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "run.json").write_text("{not json")
    infos = {i.run_id: i for i in store.list_runs()}
    assert infos["good"].error == "" and infos["good"].kind == "compare"
    assert "no run.json" in infos["empty-dir"].error
    assert infos["corrupt"].error


def _writer(path, n):
    run = Run(path)
    big = pd.DataFrame({"x": np.arange(20000)})
    for i in range(n):
        run.write_table("metrics", big.assign(i=i))
        run.write_json("summary", {"i": i, "pad": list(range(2000))})


def test_readers_never_see_half_written_files(tmp_path):
    """A writer rewriting files in a loop, killed at a random moment, never leaves an unreadable file."""
    run = RunStore(tmp_path).create("compare", {}, run_id="r")
    _writer(run.path, 1)
    ctx = mp.get_context("fork")
    proc = ctx.Process(target=_writer, args=(run.path, 10_000))
    proc.start()
    reads = 0
    while reads < 40:
        assert len(run.read_table("metrics")) == 20000
        assert "i" in run.read_json("summary")
        reads += 1
    proc.kill()
    proc.join()
    assert len(run.read_table("metrics")) == 20000
    json.loads((run.path / "results" / "summary.json").read_text())


def test_checkpoints_load_with_weights_only(tmp_path):
    torch = pytest.importorskip("torch")
    run = RunStore(tmp_path).create("aaec", {}, run_id="r")
    assert run.load_checkpoint() is None
    state = {"model": torch.nn.Linear(2, 2).state_dict(), "iteration": 3, "rng": torch.get_rng_state()}
    run.save_checkpoint(state)
    back = run.load_checkpoint()
    assert back["iteration"] == 3 and torch.equal(back["model"]["weight"], state["model"]["weight"])


def test_no_pickle_loading_anywhere_in_labkit():
    """The store is shared between people: nothing in labkit may unpickle from disk."""
    import pathlib

    import labkit

    root = pathlib.Path(labkit.__file__).parent
    unpickle, allow, tload = "pickle" + ".load", "allow_pickle" + "=True", "torch" + ".load("  # not spelt out here
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        if unpickle in text or allow in text:
            offenders.append(str(path))
        for line in text.splitlines():
            if tload in line and "weights_only=True" not in line:
                offenders.append(f"{path}: {line.strip()}")
    assert offenders == []


def test_a_refused_config_says_what_differs(tmp_path):
    Run.create(tmp_path / "r", "compare", {"seeds": 2, "classifier": "svm-linear"})
    with pytest.raises(LabkitError, match=r"classifier: \"svm-linear\" -> \"mlp\""):
        Run.create(tmp_path / "r", "compare", {"seeds": 2, "classifier": "mlp"})


def test_task_locks_exclude_each_other_and_are_released(tmp_path):
    run = RunStore(tmp_path).create("compare", {}, run_id="r")
    first = run.lock_task("a")
    assert first is not None
    assert run.lock_task("a") is None  # held (flock is per open file: also within one process)
    other = run.lock_task("b")
    assert other is not None
    first.release(remove=True)
    assert not (run.path / "locks" / "a.lock").exists()
    again = run.lock_task("a")
    assert again is not None
    again.release()
    other.release()
    with pytest.raises(LabkitError):
        run.lock_task("../escape")


def test_check_run_dir(tmp_path):
    from labkit.runstore import check_run_dir

    assert check_run_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    (tmp_path / "empty").mkdir()
    check_run_dir(tmp_path / "empty")
    RunStore(tmp_path).create("compare", {}, run_id="existing-run")
    check_run_dir(tmp_path / "existing-run")  # resuming is fine
    (tmp_path / "file").write_text("x")
    for bad in (tmp_path / "file", tmp_path / "file" / "sub", tmp_path):  # tmp_path holds other things
        with pytest.raises(LabkitError, match="--out"):
            check_run_dir(bad)
