"""Issue 12's failure reproductions: one regression test per failure found by trying to break the lab.

Each test below reproduces one failure exactly as it was reported (a malformed run, a 0600 file, a
damaged cache entry, a wrong-scale WAV, a bad option value, two processes on one run, ...) and
checks the behaviour that replaced the traceback: a `LabkitError` naming the file or value (exit 2),
no run directory left behind, or the correct result. The statistics regression (seeds as
pseudo-replicates) is here too.
"""

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from fixtures_corpora import make_manifest, tone, write_tone

from labkit.cli import main
from labkit.errors import AudioError, LabkitError
from labkit.experiment.toy import toy_features
from labkit.features import Features, extract
from labkit.runstore import Run, RunStore, open_run

pytestmark = pytest.mark.filterwarnings("ignore:.*(using SMOTE|using k=).*:UserWarning")


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory):
    meta, X = toy_features(n_speakers=6, n_per=8, dim=10, seed=0)
    path = tmp_path_factory.mktemp("robust") / "toy.parquet"
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(10)], feature_set="toy", settings={}).to_parquet(path)
    return path


# --------------------------------------------------------------------------- malformed runs
def _malformed_store(root: Path) -> Path:
    """A good run beside each malformed run of the issue (and a stray snapshot file)."""
    rng = np.random.default_rng(0)
    good = RunStore(root).create("aaec", {"a": 1}, run_id="good")
    good.save_reference(
        "spectrum", rng.normal(size=(20, 4)), np.arange(20) % 3, rng.normal(size=(8, 4)), np.arange(8) % 3
    )
    for it in (0, 1):
        good.save_snapshot("spectrum", it, rng.normal(size=(8, 4)), np.arange(8) % 3)

    def make(name, run_json=None, status=None):
        d = root / name
        d.mkdir()
        if run_json is not None:
            (d / "run.json").write_text(run_json)
        if status is not None:
            (d / "status.json").write_text(status)

    meta = {"kind": "compare", "name": "x", "created": "2026-01-01T00:00:00+00:00", "config": {}}
    make("run-json-list", "[1, 2, 3]")
    make("created-int", json.dumps({**meta, "created": 5}))
    make("status-string", json.dumps(meta), '"finished"')
    make("deep-nesting", "[" * 200_000 + "]" * 200_000)
    stray = RunStore(root).create("aaec", {"b": 2}, run_id="stray-snapshot")
    stray.save_reference(
        "spectrum", rng.normal(size=(20, 4)), np.arange(20) % 3, rng.normal(size=(8, 4)), np.arange(8) % 3
    )
    stray.save_snapshot("spectrum", 3, rng.normal(size=(8, 4)), np.arange(8) % 3)
    (stray.path / "snapshots" / "spectrum" / "iter_abc.npz").write_bytes(b"not an npz")
    return root


def test_malformed_runs_are_listed_as_unreadable_with_the_reason(tmp_path):
    store = RunStore(_malformed_store(tmp_path))
    infos = {i.run_id: i for i in store.list_runs()}  # used to raise TypeError / RecursionError
    assert set(infos) == {"good", "run-json-list", "created-int", "status-string", "deep-nesting", "stray-snapshot"}
    assert "expected a JSON object, found a list" in infos["run-json-list"].error
    assert "'created' is a number" in infos["created-int"].error
    assert "status.json" in infos["status-string"].error and "found a string" in infos["status-string"].error
    assert "nested too deeply" in infos["deep-nesting"].error
    for bad in ("run-json-list", "created-int", "status-string", "deep-nesting"):
        assert infos[bad].state == "unreadable"
        with pytest.raises(LabkitError, match=bad):  # open_run names the file, never a traceback
            open_run(tmp_path / bad)
    # a stray snapshot file is not labkit's: ignored, and the run stays readable
    assert infos["stray-snapshot"].error == "" and infos["good"].error == ""
    assert Run(tmp_path / "stray-snapshot").snapshot_iterations("spectrum") == [3]


def test_coverage_command_on_a_malformed_store(tmp_path, capsys):
    root = _malformed_store(tmp_path)
    for name in ("good", "stray-snapshot"):
        assert (
            main(["coverage", str(root / name), "--k", "2", "--max-samples", "50", "--projections", "none", "--json"])
            == 0
        )
        rows = json.loads(capsys.readouterr().out)
        assert rows and all(r["precision"] is not None for r in rows)
    for bad in ("run-json-list", "created-int", "status-string", "deep-nesting"):
        assert main(["coverage", str(root / bad)]) == 2
        assert bad in capsys.readouterr().err
    # a damaged snapshot with a proper name gets a note; the other iterations keep their numbers
    (root / "good" / "snapshots" / "spectrum" / "iter_0000001.npz").write_bytes(b"damaged")
    assert (
        main(
            [
                "coverage",
                str(root / "good"),
                "--k",
                "2",
                "--max-samples",
                "50",
                "--projections",
                "none",
                "--json",
                "--no-cache",
            ]
        )
        == 0
    )
    rows = {r["iteration"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[0]["precision"] is not None and rows[1]["precision"] is None and "iter_0000001" in rows[1]["note"]


@pytest.mark.slow
def test_every_dashboard_page_survives_a_malformed_store(tmp_path, monkeypatch):
    import streamlit as st
    from dashboard_fixtures import make_compare_run
    from streamlit.testing.v1 import AppTest

    root = _malformed_store(tmp_path)
    make_compare_run(root)
    monkeypatch.setenv("LABKIT_RUNS", str(root))
    app = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
    for page in ("pages/distribution.py", "pages/comparison.py", "pages/training.py"):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(app, default_timeout=120).run()
        if page != "pages/distribution.py":
            at.switch_page(page).run()
        assert not at.exception, page
        assert any("4 run(s) cannot be read" in e.label for e in at.sidebar.expander), page
    st.cache_data.clear()
    st.cache_resource.clear()


# --------------------------------------------------------------------------- file modes
def test_atomic_writes_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        run = RunStore(tmp_path).create("compare", {}, run_id="r")
        run.save_task("t", {"x": 1})
        run.write_table("summary", pd.DataFrame({"a": [1]}))
        run.write_npz("cache/arr", a=np.arange(3))
        files = [
            run.path / "run.json",
            run.path / "status.json",
            run.path / "tasks" / "t.json",
            run.path / "tables" / "summary.parquet",
            run.path / "cache" / "arr.npz",
        ]
        assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}  # was 0o600 (mkstemp)
        os.umask(0o077)
        run.save_task("private", {"x": 2})
        assert (run.path / "tasks" / "private.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- the feature cache
@pytest.fixture
def tiny_corpus(tmp_path):
    rows = [
        {"path": f"wav/s{s}_{e}.wav", "emotion": e, "speaker": f"s{s}"} for s in (1, 2) for e in ("anger", "neutral")
    ]
    manifest = make_manifest(tmp_path / "corpus", rows)
    from labkit.data.loaders import load_corpus

    return load_corpus(f"csv:{manifest}")


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "features").rglob("*.npy"))


def test_zero_byte_cache_entry_is_a_miss_and_is_repaired(tiny_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    first = extract(tiny_corpus, "logmel", n_jobs=1, max_seconds=0.5)
    entry = _entries(tmp_path / "cache")[0]
    entry.write_bytes(b"")  # used to raise EOFError on every rerun
    again = extract(tiny_corpus, "logmel", n_jobs=1, max_seconds=0.5)
    assert (again.stats["cache_hits"], again.stats["computed"]) == (3, 1)
    np.testing.assert_array_equal(first.X, again.X)
    assert entry.stat().st_size > 0  # repaired
    assert extract(tiny_corpus, "logmel", n_jobs=1, max_seconds=0.5).stats["cache_hits"] == 4


@pytest.mark.parametrize("names", [["a", "b", "c"], {"not": "a list"}, ["x"] * 64, "garbage{"])
def test_wrong_names_json_is_ignored_and_rewritten(tiny_corpus, tmp_path, monkeypatch, names):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    first = extract(tiny_corpus, "logmel", n_jobs=1, max_seconds=0.5)
    names_json = next((tmp_path / "cache" / "features").rglob("names.json"))
    names_json.write_text(names if isinstance(names, str) else json.dumps(names))  # used to raise ValueError
    again = extract(tiny_corpus, "logmel", n_jobs=1, max_seconds=0.5)
    assert again.names == first.names and again.stats["cache_hits"] == 4
    np.testing.assert_array_equal(first.X, again.X)
    _entries(tmp_path / "cache")[0].unlink()  # the next miss writes the right names back
    extract(tiny_corpus, "logmel", n_jobs=1, max_seconds=0.5)
    assert json.loads(names_json.read_text()) == first.names


@pytest.mark.slow
def test_unwritable_cache_warns_once_and_computes(tiny_corpus, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder cannot be created under a file (unwritable, even for root)")
    monkeypatch.setenv("LABKIT_CACHE", str(blocker / "cache"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feats = extract(tiny_corpus, "logmel", n_jobs=2, max_seconds=0.5)  # used to raise OSError
    assert feats.stats["computed"] == 4 and len(feats) == 4
    about_cache = [w for w in caught if "cannot be written" in str(w.message)]
    assert len(about_cache) == 1 and str(blocker) in str(about_cache[0].message)


def test_no_cache_option(tiny_corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    manifest = Path(tiny_corpus["path"].iloc[0]).parents[1] / "manifest.csv"
    out = tmp_path / "f.parquet"
    assert (
        main(
            [
                "features",
                f"csv:{manifest}",
                "--set",
                "logmel",
                "--max-seconds",
                "0.5",
                "--out",
                str(out),
                "--no-cache",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    assert not (tmp_path / "cache" / "features").exists()
    with pytest.raises(SystemExit) as info:
        main(["compare", "--help"])
    assert info.value.code == 0 and "--no-cache" in capsys.readouterr().out


# --------------------------------------------------------------------------- features --out
def test_features_out_equal_to_an_input_is_refused(tiny_corpus, tmp_path, capsys):
    manifest = Path(tiny_corpus["path"].iloc[0]).parents[1] / "manifest.csv"
    before = manifest.read_bytes()
    for source in (f"csv:{manifest}", f"synthetic:{manifest.parent}"):
        assert main(["features", source, "--set", "logmel", "--out", str(manifest)]) == 2
        assert "one of the inputs" in capsys.readouterr().err
    wav = tiny_corpus["path"].iloc[0]
    wav_bytes = Path(wav).read_bytes()
    assert main(["features", f"csv:{manifest}", "--set", "logmel", "--out", str(wav)]) == 2
    assert manifest.read_bytes() == before and Path(wav).read_bytes() == wav_bytes  # nothing overwritten


# --------------------------------------------------------------------------- audio
def test_float_wav_with_an_absurd_peak_is_rejected(tmp_path):
    from labkit.data.audio import read_audio

    path = tmp_path / "loud.wav"
    sf.write(path, tone(0.2) * 4e5 / 0.3, 16000, subtype="FLOAT")  # peak near 4e5
    with pytest.raises(AudioError, match="loud.wav.*wrong scale"):
        read_audio(path)
    ok = tmp_path / "ok.wav"
    sf.write(ok, tone(0.2) * 3.0, 16000, subtype="FLOAT")  # a little over full scale is still audio
    assert len(read_audio(ok)) == 3200


def test_dc_only_file_is_rejected(tmp_path):
    from labkit.data.audio import check_audio, read_audio

    for subtype in ("FLOAT", "PCM_16"):
        path = tmp_path / f"dc-{subtype}.wav"
        sf.write(path, np.full(3200, 0.25, np.float32), 16000, subtype=subtype)
        with pytest.raises(AudioError, match=f"dc-{subtype}.wav.*DC level"):
            read_audio(path)
    table = pd.DataFrame({"id": ["a", "b"], "path": [str(write_tone(tmp_path / "good.wav")), str(path)]})
    good, skipped = check_audio(table, skip_bad=True, progress=False)
    assert list(good["id"]) == ["a"] and "DC level" in skipped["reason"].iloc[0]


def test_truncated_wav_is_rejected(tmp_path):
    from labkit.data.audio import read_audio

    full = write_tone(tmp_path / "full.wav", seconds=1.0)
    cut = tmp_path / "cut.wav"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 3])  # used to read silently as a 0.33 s file
    with pytest.raises(AudioError, match=r"cut.wav.*truncated.*1\.00 s.*0\.33 s"):
        read_audio(cut)
    assert len(read_audio(full)) == 16000


# --------------------------------------------------------------------------- bad option values
COMPARE_BAD = {
    "--jobs 0": ["--jobs", "0"],
    "--clf-param C=-1": ["--clf-param", "C=-1"],
    "mlp max_epochs=-1": ["--classifier", "mlp", "--clf-param", "max_epochs=-1"],
    "mlp device=bogus": ["--classifier", "mlp", "--clf-param", "device=bogus"],
    "--amount 1e7": ["--amount", "1e7"],
    "--scheduler bogus": ["--scheduler", "not an address"],
    "--max-tasks -1": ["--max-tasks", "-1"],
    "--param typo": ["--param", "noise.scal=0.2"],
    "--param for an absent augmenter": ["--param", "smote.k_neighbors=3"],
    "imblearn's sampling_strategy": ["--param", "noise.sampling_strategy=0.5"],
}


@pytest.mark.parametrize("case", list(COMPARE_BAD))
def test_bad_compare_options_exit_2_and_leave_no_run(case, toy_file, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["compare", str(toy_file), "--augmenters", "none,noise", "--seeds", "1", "--no-tune", "--out", str(out)]
    assert main(argv + COMPARE_BAD[case]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert not out.exists()  # validated before the run directory is created


def test_out_that_cannot_be_a_run_directory(toy_file, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    someones_folder = tmp_path / "data"
    someones_folder.mkdir()
    (someones_folder / "notes.txt").write_text("keep me")
    for out, message in (
        (a_file, "not a folder"),
        (a_file / "run", "is a file"),
        (someones_folder, "not a labkit run"),
    ):
        assert (
            main(["compare", str(toy_file), "--augmenters", "none", "--seeds", "1", "--no-tune", "--out", str(out)])
            == 2
        )
        assert message in capsys.readouterr().err
    assert a_file.read_text() == "x" and sorted(p.name for p in someones_folder.iterdir()) == ["notes.txt"]


def test_param_typo_then_the_corrected_command_into_the_same_out(toy_file, tmp_path, capsys):
    out = tmp_path / "run"
    base = ["compare", str(toy_file), "--augmenters", "none,noise", "--seeds", "1", "--no-tune", "--out", str(out)]
    assert main(base + ["--param", "noise.scal=0.2"]) == 2
    assert not out.exists()
    assert main(base + ["--param", "noise.scale=0.2"]) == 0  # used to be refused as "a different experiment"
    assert open_run(out).status["state"] == "finished"
    # a failed run with no finished task holds nothing to mix up: it may take another config
    failed = RunStore(tmp_path).create("compare", {"a": 1}, run_id="failed")
    failed.set_status("failed", "typo")
    assert Run.create(failed.path, "compare", {"a": 2}).config == {"a": 2}
    # so may one interrupted (Ctrl-C, SIGTERM) before its first task finished; not one with a task
    stopped = RunStore(tmp_path).create("compare", {"a": 1}, run_id="stopped")
    stopped.set_status("interrupted", "SIGTERM")
    assert Run.create(stopped.path, "compare", {"a": 3}).config == {"a": 3}


def _toy_experiment(run_task, summarize=None):
    """A `labkit reproduce` experiment with --device and --split-seed, running `run_task` twice."""
    import argparse

    from labkit.reproductions.base import Experiment, Plan, Report, summary_by, summary_frame

    def add_arguments(p):
        p.add_argument("--device", default=None)
        p.add_argument("--split-seed", type=int, default=0)

    def plan(args):
        return Plan(
            config={"toy": 1},
            tasks=[{"key": f"t{i}", "seed": i} for i in range(2)],
            context={},
            data="toy",
            default_out="toy",
        )

    def default_summary(tasks, plan):
        s = summary_by(tasks, "name", ["score"])
        return Report(tables=[], json=s, frames={"summary": summary_frame(s)})

    exp = Experiment(
        name="toy-exp",
        paper="toy",
        summary="toy",
        description="toy",
        add_arguments=add_arguments,
        plan=plan,
        run_task=run_task,
        summarize=summarize or default_summary,
    )
    parser = argparse.ArgumentParser()
    from labkit.runs.reproduce import add_common_arguments

    exp.add_arguments(parser)
    add_common_arguments(parser, exp)
    return exp, parser


def _ok_task(task, context, run_path):
    return {"name": "toy", "seed": task["seed"], "score": 0.5}


def _diverging_task(task, context, run_path):
    from labkit.trainers.common import check_finite

    if task["seed"] == 1:
        check_finite({"loss_g": float("inf"), "loss_d": 0.3}, "iteration 2")
    return _ok_task(task, context, run_path)


@pytest.mark.parametrize(
    "option",
    [["--device", "bogus"], ["--split-seed", "-5"], ["--jobs", "0"], ["--scheduler", "nowhere"]]
    + ([["--device", "cuda"]] if not __import__("torch").cuda.is_available() else []),
)
def test_bad_reproduce_options_exit_2_and_leave_no_run(option, tmp_path):
    from labkit.runs.reproduce import run_experiment

    exp, parser = _toy_experiment(_ok_task)
    args = parser.parse_args(["--out", str(tmp_path / "run"), *option])
    with pytest.raises(LabkitError):
        run_experiment(exp, args)
    assert not (tmp_path / "run").exists()


def test_a_diverging_task_leaves_the_run_failed_with_the_reason(tmp_path, capsys):
    from labkit.runs.reproduce import run_experiment

    exp, parser = _toy_experiment(_diverging_task)
    with pytest.raises(LabkitError, match="diverged"):
        run_experiment(exp, parser.parse_args(["--out", str(tmp_path / "run")]))
    status = open_run(tmp_path / "run").status
    assert status["state"] == "failed" and "loss_g = inf" in status["message"]

    def broken_summary(tasks, plan):
        raise ValueError("summary cannot be formed")

    exp, parser = _toy_experiment(_ok_task, broken_summary)
    with pytest.raises(ValueError):
        run_experiment(exp, parser.parse_args(["--out", str(tmp_path / "run2")]))
    status = open_run(tmp_path / "run2").status  # used to stay "running"
    assert status["state"] == "failed" and "summary cannot be formed" in status["message"]


def test_a_one_sample_class_run_ends_failed(toy_file, tmp_path, capsys):
    meta, X = toy_features(n_speakers=6, n_per=8, dim=10, seed=0)
    keep = np.ones(len(meta), bool)
    keep[np.flatnonzero(meta["emotion"] == "anger")[1:]] = False  # one anger utterance in the corpus
    path = tmp_path / "one.parquet"
    Features(
        meta=meta[keep].reset_index(drop=True),
        X=X[keep],
        names=[f"f{j}" for j in range(10)],
        feature_set="toy",
        settings={},
    ).to_parquet(path)
    out = tmp_path / "run"
    assert (
        main(["compare", str(path), "--augmenters", "none,smote", "--seeds", "1", "--no-tune", "--out", str(out)]) == 2
    )
    assert "only 1 training sample" in capsys.readouterr().err
    status = open_run(out).status
    assert status["state"] == "failed" and "smote" in status["message"].lower()


# --------------------------------------------------------------------------- signals
def test_sigterm_to_the_dashboard_reaps_the_streamlit_child(tmp_path):
    """`labkit dashboard` used to die on SIGTERM and leave Streamlit listening (an orphan)."""
    child_pid = tmp_path / "child.pid"
    (tmp_path / "runs").mkdir()
    script = (
        "import sys\n"
        "import labkit.commands.dashboard as d\n"
        # a stand-in Streamlit: writes its pid and sleeps (the real one takes seconds to start)
        "d.streamlit_command = lambda *a: [sys.executable, '-c', "
        "'import os, sys, time; open(sys.argv[1], \"w\").write(str(os.getpid())); time.sleep(300)', sys.argv[1]]\n"
        "from labkit.cli import main\n"
        "sys.exit(main(['dashboard', '--runs', sys.argv[2], '--no-browser']))\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(child_pid), str(tmp_path / "runs")], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not (child_pid.exists() and child_pid.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int(child_pid.read_text())
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=30) == 0
        with pytest.raises(ProcessLookupError):  # reaped: not running, not a zombie
            os.kill(pid, 0)
    finally:
        if parent.poll() is None:
            parent.kill()
        if child_pid.exists() and child_pid.read_text():
            try:
                os.kill(int(child_pid.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass


# --------------------------------------------------------------------------- two processes, one run
def _slow_task(task, marker_dir):
    Path(marker_dir, f"{task['key']}.{os.getpid()}").write_text("computed")
    time.sleep(0.15)
    return {"key": task["key"], "value": task["i"] * 2}


def _compute_into(run_path, marker_dir, result_file):
    from labkit.runs.tasks import run_tasks

    tasks = [{"key": f"t{i}", "i": i} for i in range(10)]
    outcome = run_tasks(Run(run_path), tasks, _slow_task, (marker_dir,), progress=False)
    Path(result_file).write_text(json.dumps([r["value"] for r in outcome.results]))


def test_two_processes_on_one_run_compute_each_task_once(tmp_path):
    run = RunStore(tmp_path).create("toy", {}, run_id="shared")
    markers = tmp_path / "markers"
    markers.mkdir()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_compute_into, args=(run.path, markers, tmp_path / f"out{k}.json")) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    computed = sorted(m.name.split(".")[0] for m in markers.iterdir())
    assert computed == sorted(f"t{i}" for i in range(10))  # each task once (used to be twice)
    for k in range(2):  # both processes return every result, in plan order
        assert json.loads((tmp_path / f"out{k}.json").read_text()) == [2 * i for i in range(10)]
    assert len({m.name.split(".")[1] for m in markers.iterdir()}) == 2  # and both did work
    assert not (run.path / "locks").exists()


def test_a_dead_holders_lock_is_taken_over(tmp_path):
    """A process killed while holding a task's lock does not block the task forever (flock dies with it)."""
    run = RunStore(tmp_path).create("toy", {}, run_id="r")
    ctx = mp.get_context("fork")
    ready = ctx.Event()

    def hold():
        lock = run.lock_task("t0")
        assert lock is not None
        ready.set()
        time.sleep(60)

    holder = ctx.Process(target=hold)
    holder.start()
    assert ready.wait(30)
    assert run.lock_task("t0") is None  # held
    holder.kill()
    holder.join()
    lock = run.lock_task("t0")
    assert lock is not None
    lock.release(remove=True)


def test_a_damaged_task_file_is_computed_again(tmp_path):
    from labkit.runs.tasks import run_tasks

    run = RunStore(tmp_path).create("toy", {}, run_id="r")
    tasks = [{"key": f"t{i}", "i": i} for i in range(3)]
    markers = tmp_path / "m"
    markers.mkdir()
    run_tasks(run, tasks, _slow_task, (markers,), progress=False)
    (run.path / "tasks" / "t1.json").write_text("[1, 2")  # cut short by a full disk, say
    with pytest.warns(UserWarning, match="t1.json"):
        again = run_tasks(run, tasks, _slow_task, (markers,), progress=False)
    assert (again.n_computed, again.n_reused) == (1, 2) and [r["value"] for r in again.results] == [0, 2, 4]


# --------------------------------------------------------------------------- statistics
def _null_world(rng, n_seeds: int, n_folds: int = 10) -> pd.DataFrame:
    """Task scores of "none" (the same for every seed) and a seed-dependent augmenter that does nothing
    on average: each fold (speaker) has its own fixed effect, and each seed adds its own noise."""
    base = 0.6 + rng.normal(0, 0.1, n_folds)
    fold_effect = rng.normal(0, 0.02, n_folds)  # mean zero over speakers: no effect in expectation
    rows = []
    for s in range(n_seeds):
        for f in range(n_folds):
            rows.append({"augmenter": "none", "seed": s, "fold": f, "uar": base[f]})
            rows.append(
                {"augmenter": "jitter", "seed": s, "fold": f, "uar": base[f] + fold_effect[f] + rng.normal(0, 0.01)}
            )
    return pd.DataFrame(rows)


def test_adding_seeds_does_not_shrink_the_p_value_of_a_null_augmenter():
    """Seeds are pseudo-replicates: with seed x fold pairs pooled, 20 seeds gave a median p of 0.002 and
    rejected a useless augmenter 65 % of the time; averaged within folds, p stays where 2 seeds put it."""
    from labkit.experiment.stats import paired_vs

    p = {}
    for n_seeds in (2, 20):
        rng = np.random.default_rng(1)
        p[n_seeds] = np.array([paired_vs(_null_world(rng, n_seeds), ["uar"])["p_value"].iloc[0] for _ in range(60)])
    assert np.median(p[20]) > 0.3 and np.median(p[20]) >= 0.75 * np.median(p[2])
    assert (p[20] < 0.05).mean() <= 0.1  # about the nominal 5 % false positives, not 65 %


def test_paired_table_has_raw_and_bh_adjusted_p_values():
    from scipy.stats import false_discovery_control

    from labkit.experiment.stats import paired_vs

    rng = np.random.default_rng(0)
    rows = []
    for f in range(8):
        base = rng.uniform(0.4, 0.8)
        for name, shift in (("none", 0.0), ("good", 0.05), ("meh", 0.0), ("noisy", 0.01)):
            rows.append({"augmenter": name, "seed": 0, "fold": f, "uar": base + shift + rng.normal(0, 0.01)})
    paired = paired_vs(pd.DataFrame(rows), ["uar"])
    assert list(paired["augmenter"]) == ["good", "meh", "noisy"]
    expected = false_discovery_control(paired["p_value"].to_numpy(), method="bh")
    np.testing.assert_allclose(paired["p_adjusted"], expected)
    assert (paired["p_adjusted"] >= paired["p_value"]).all()
    assert paired.loc[paired["augmenter"] == "good", "p_adjusted"].iloc[0] < 0.05


def test_task_seeds_do_not_collide_past_1000_folds():
    from labkit.experiment.pipeline import task_seed

    # the old rule seed * 1000 + fold gave (0, 1000) and (1, 0) the same random state
    seeds = {task_seed(s, f) for s in range(3) for f in range(1500)}
    assert len(seeds) == 3 * 1500
    assert task_seed(0, 1000) != task_seed(1, 0) and task_seed(2, 5) == task_seed(2, 5)


def test_joblib_floor_supports_the_unordered_generator():
    import joblib
    from joblib import Parallel, delayed

    assert tuple(int(x) for x in joblib.__version__.split(".")[:2]) >= (1, 4)
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"joblib>=1.4"' in text and "dask[distributed]" in text
    assert sorted(Parallel(n_jobs=1, return_as="generator_unordered")(delayed(abs)(-i) for i in range(3))) == [0, 1, 2]


# =========================================================================== issue 22
# A shared run store nobody can abuse, one damaged file that never hides a run, clean exits on every
# OS error, and data-quality guards. (The run-lifecycle items of the issue, rerun's trust of
# config.toml, --jobs, SIGTERM and run identity, are tested with the lifecycle code.)


# --------------------------------------------------------------------------- a planted store
def _planted_store(root: Path, outside: Path) -> Path:
    """A store holding a good run and a planted one whose files lead out of the store."""
    from dashboard_fixtures import make_training_run

    make_training_run(root, "good", iterations=(0, 10))
    secret = outside / "secret"
    secret.mkdir(parents=True)
    (secret / "run.json").write_text(json.dumps({"kind": "compare", "name": "x", "created": "2026", "config": {}}))
    (secret / "data.json").write_text(json.dumps({"password": "hunter2"}))
    (secret / "tasks").mkdir()
    (secret / "tasks" / "t.json").write_text(json.dumps({"uar": 0.5}))
    # a run folder that is a link out of the store
    os.symlink(secret, root / "linked-run")
    # a run whose files are links out of the run
    planted = RunStore(root).create("compare", {"a": 1}, run_id="planted")
    (planted.path / "results").mkdir()
    os.symlink(secret / "data.json", planted.path / "results" / "summary.json")
    os.symlink(secret / "tasks", planted.path / "tasks")
    os.symlink(secret, planted.path / "reference")
    return root


def test_planted_store_ids_and_links_out_of_the_store_are_refused(tmp_path, capsys):
    from labkit.runstore import RunStore

    root = _planted_store(tmp_path / "store", tmp_path / "elsewhere")
    store = RunStore(root)
    # ids as create checks them: ../elsewhere/run, an absolute path, a hidden name
    for bad in ("../elsewhere/secret", str(tmp_path / "elsewhere" / "secret"), ".hidden", "a/b"):
        with pytest.raises(LabkitError, match="invalid run id"):
            store.open(bad)
    # a run folder that is a link to outside the store: refused by open, listed with the reason
    with pytest.raises(LabkitError, match="symbolic link out of the run store"):
        store.open("linked-run")
    infos = {i.run_id: i for i in store.list_runs()}
    assert infos["linked-run"].state == "unreadable" and "symbolic link" in infos["linked-run"].error
    assert infos["good"].error == "" and infos["planted"].error == ""
    # files of a run that link out of it: never read, a clear message naming the file
    planted = store.open("planted")
    with pytest.raises(LabkitError, match=r"results/summary.json: a symbolic link out of the run"):
        planted.read_json("summary")
    with pytest.raises(LabkitError, match="symbolic link out of the run"):
        planted.load_task("t")
    with pytest.raises(LabkitError, match="symbolic link out of the run"):  # writers do not follow it either
        planted.save_task("t", {"uar": 0.1})
    assert json.loads((tmp_path / "elsewhere" / "secret" / "tasks" / "t.json").read_text()) == {"uar": 0.5}
    assert planted.task_keys() == [] and planted.spaces() == []  # linked folders list nothing
    # a good run keeps working; links inside a run are followed
    good = store.open("good")
    os.symlink(good.path / "reference" / "spectrum.npz", good.path / "reference" / "copy.npz")
    assert set(good.load_reference("copy")) >= {"X_train", "X_test"}
    # a planted config.toml: the readers of this change (report, coverage, the store listing) never
    # act on it (rerun and resume ignoring it is the lifecycle change's part, tested there)
    planted_uri = tmp_path / "planted-log"
    for run_dir in (root / "planted", root / "good"):
        (run_dir / "config.toml").write_text(
            f'command = "compare"\nscheduler = "tcp://127.0.0.1:1"\nlog = "tensorboard"\nlog_uri = "{planted_uri}"\n'
            f'out = "{tmp_path / "planted-out"}"\n'
        )
    assert main(["coverage", str(root / "good"), "--space", "spectrum", "--k", "2", "--max-samples", "50"]) == 0
    assert not planted_uri.exists() and not (tmp_path / "planted-out").exists()
    # the report of the planted run shows none of the outside file
    assert main(["report", str(root / "planted"), "--out", str(tmp_path / "planted.html")]) == 0
    assert not planted_uri.exists() and not (tmp_path / "planted-out").exists()
    page = (tmp_path / "planted.html").read_text()
    assert "hunter2" not in page and "symbolic link out of the run" in page
    capsys.readouterr()


def test_open_run_refuses_a_run_json_that_links_out(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"kind": "compare", "name": "x", "created": "2026", "config": {"stolen": 1}}))
    run_dir = tmp_path / "store" / "r"
    run_dir.mkdir(parents=True)
    os.symlink(outside, run_dir / "run.json")
    with pytest.raises(LabkitError, match="run.json: a symbolic link out of the run"):
        open_run(run_dir)
    infos = RunStore(tmp_path / "store").list_runs()
    assert infos[0].state == "unreadable" and "symbolic link" in infos[0].error and infos[0].config == {}


# --------------------------------------------------------------------------- one bad file, one note
def _run_with_a_damaged_snapshot(root: Path, n_iterations: int = 60, damaged: int = 17):
    from dashboard_fixtures import make_training_run

    run = make_training_run(root, "sixty", iterations=tuple(range(n_iterations)), n_gen=12, n_train=60, n_test=30)
    (run.path / "snapshots" / "spectrum" / f"iter_{damaged:07d}.npz").write_bytes(b"garbage, not a zip")
    return run


def test_one_garbage_snapshot_among_60_is_one_note_in_projection_and_coverage(tmp_path, capsys):
    from labkit.metrics.coverage import CoverageConfig, coverage_for_run
    from labkit.viz.projection import load_or_compute

    run = _run_with_a_damaged_snapshot(tmp_path)
    proj = load_or_compute(run, "spectrum")  # used to raise LabkitError: "Cannot project run"
    assert len(proj.iterations) == 59 and 17 not in proj.iterations.tolist()
    assert len(proj.notes) == 1 and "iter_0000017.npz" in proj.notes[0]
    again = load_or_compute(run, "spectrum")  # from the cache, notes included
    assert again.notes == proj.notes and len(again.iterations) == 59
    rows = coverage_for_run(run, "spectrum", CoverageConfig(k=2, max_samples=50), show_progress=False)
    assert len(rows) == 60 and rows[17]["precision"] is None and "iter_0000017" in rows[17]["note"]
    assert all(r["precision"] is not None for i, r in enumerate(rows) if i != 17)
    # the command: exit 0 (it used to exit 2 after computing the metrics, in the projection)
    assert main(["coverage", str(run.path), "--k", "2", "--max-samples", "50"]) == 0
    out = capsys.readouterr().out
    assert "note: iteration 17" in out and out.count("note:") == 1


def test_dashboard_projection_of_a_run_with_a_damaged_snapshot(tmp_path):
    from labkit.viz import data

    run = _run_with_a_damaged_snapshot(tmp_path)
    proj, message = data.projection(str(run.path), "spectrum")
    assert proj is not None and len(proj.iterations) == 59  # a plot, not "Cannot project run"
    assert "iter_0000017.npz" in message  # the note the page can show beside the plot
    coverage, message = data.coverage(str(run.path), "spectrum", k=2)
    assert message == "" and len(coverage) == 60 and coverage["precision"].isna().sum() == 1


def test_report_of_a_run_with_a_damaged_snapshot_and_a_garbage_table(tmp_path, capsys):
    from dashboard_fixtures import make_compare_run

    run = _run_with_a_damaged_snapshot(tmp_path, n_iterations=8, damaged=3)
    assert main(["report", str(run.path), "--out", str(tmp_path / "r.html")]) == 0  # used to exit 2
    err = capsys.readouterr().err
    assert "iter_0000003.npz" in err and "warning" in err
    page = (tmp_path / "r.html").read_text()
    assert "iter_0000003.npz left out" in page and "Generated samples: spectrum" in page
    # a garbage tables/summary.parquet: a warning, not pyarrow.lib.ArrowInvalid
    cmp = make_compare_run(tmp_path)
    (cmp.path / "tables" / "summary.parquet").write_bytes(b"PAR1 not really parquet")
    assert main(["report", str(cmp.path), "--out", str(tmp_path / "c.html")]) == 0
    err = capsys.readouterr().err
    assert err.count("labkit report: warning") == 1 and "summary.parquet: not a readable Parquet table" in err
    page = (tmp_path / "c.html").read_text()
    assert "table &#x27;summary&#x27; left out" in page and "Per-class recall" in page


# --------------------------------------------------------------------------- OS errors exit 2 naming them
def _read_only(monkeypatch, folder: Path) -> None:
    """Make `folder` behave as a read-only file system: creating anything in it raises EROFS.

    The tests run as root, for whom a chmod 0555 folder is writable, and mounting a read-only file
    system needs privileges; so the OSError the kernel raises (errno 30) is raised at the two system
    calls labkit creates files and folders with, for paths under `folder` only.
    """
    import errno

    real_open, real_mkdir = os.open, os.mkdir
    inside = str(folder.resolve())

    def guarded_open(path, flags, *args, **kwargs):
        if str(Path(path).resolve()).startswith(inside) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if str(Path(path).resolve()).startswith(inside):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)


def test_read_only_out_exits_2_before_the_work_in_augment_features_report_and_synth(
    toy_file, tiny_corpus, tmp_path, monkeypatch, capsys
):
    from dashboard_fixtures import make_training_run

    import labkit.features

    ro = tmp_path / "ro"
    ro.mkdir()
    run = make_training_run(tmp_path / "store", "r", iterations=(0,))
    manifest = Path(tiny_corpus["path"].iloc[0]).parents[1] / "manifest.csv"
    _read_only(monkeypatch, ro)

    def no_extraction(*args, **kwargs):
        raise AssertionError("features were extracted although --out cannot be written")

    monkeypatch.setattr(labkit.features, "extract", no_extraction)
    commands = [
        ["augment", str(toy_file), "--augmenter", "noise", "--out", str(ro / "aug.csv")],
        ["features", f"csv:{manifest}", "--set", "logmel", "--out", str(ro / "f.parquet")],
        ["report", str(run.path), "--out", str(ro / "sub" / "r.html")],
        ["corpus", "synth", "--out", str(ro / "corpus"), "--speakers", "1", "--utterances", "1"],
    ]
    for argv in commands:
        assert main(argv) == 2, argv  # used to be OSError tracebacks
        err = capsys.readouterr().err
        assert "read-only" in err and str(ro) in err and "Errno 30" in err, (argv, err)
        assert "Traceback" not in err
    assert list(ro.iterdir()) == []


def test_full_disk_while_the_report_is_written_exits_2(tmp_path, monkeypatch, capsys):
    import errno

    from dashboard_fixtures import make_training_run

    run = make_training_run(tmp_path / "store", "r", iterations=(0,))
    real_write_text = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.startswith(".tmp-r.html"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # what a full disk raises mid-write
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    assert main(["report", str(run.path), "--out", str(tmp_path / "r.html")]) == 2  # used to be OSError 28
    err = capsys.readouterr().err
    assert "no space left on the device" in err and "r.html" in err and "Errno 28" in err
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.iterdir())  # no half-written page left


def test_not_a_directory_outs_exit_2(toy_file, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    # corpus synth --out at an existing file used to raise NotADirectoryError
    assert main(["corpus", "synth", "--out", str(a_file), "--speakers", "1", "--utterances", "1"]) == 2
    assert "exists and is a file, not a folder" in capsys.readouterr().err
    for argv in (
        ["augment", str(toy_file), "--augmenter", "noise", "--out", str(a_file / "aug.csv")],
        ["report", str(tmp_path), "--out", str(a_file / "r.html")],
    ):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err, argv
    assert main(["augment", str(toy_file), "--augmenter", "noise", "--out", str(a_file / "aug.csv")]) == 2
    assert f"{a_file} is a file, not a folder" in capsys.readouterr().err
    assert a_file.read_text() == "not a folder"


def test_augment_amount_0_behaves_as_in_compare(toy_file, tmp_path, capsys):
    out = tmp_path / "zero.csv"
    assert main(["augment", str(toy_file), "--augmenter", "smote", "--amount", "0", "--out", str(out)]) == 0
    assert "0 synthetic" in capsys.readouterr().err  # used to raise ValueError
    table = pd.read_csv(out)
    assert len(table) == 144 and set(table["origin"]) == {"real"}  # 6 speakers x 3 emotions x 8
    # compare accepts amount 0: its augmenters add nothing, the no-augmentation baseline runs
    argv = ["compare", str(toy_file), "--augmenters", "none,smote", "--amount", "0", "--seeds", "1", "--no-tune"]
    assert main([*argv, "--out", str(tmp_path / "c")]) == 0
    # without "none" in the list too (it planned no task and raised KeyError: 'augmenter')
    argv = ["compare", str(toy_file), "--augmenters", "smote", "--amount", "0", "--seeds", "1", "--no-tune", "--json"]
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "c2")]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"none"}


# --------------------------------------------------------------------------- data-quality guards
def test_dc_offset_is_removed_at_load_and_noted_by_check_audio(tmp_path, capsys):
    from labkit.data.audio import read_audio
    from labkit.features.smile import functionals

    x = tone(0.5, seed=3)
    clean, offset = tmp_path / "clean.wav", tmp_path / "offset.wav"
    sf.write(clean, x, 16000, subtype="FLOAT")
    sf.write(offset, x + 0.05, 16000, subtype="FLOAT")  # accepted without a word before
    a, b = read_audio(clean), read_audio(offset)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert abs(float(b.mean())) < 1e-6
    fa, _ = functionals(a, sr=16000, feature_set="egemaps")
    fb, _ = functionals(b, sr=16000, feature_set="egemaps")
    changed = np.abs(fb - fa) > 0.1 * np.maximum(np.abs(fa), 1e-12)
    assert changed.sum() == 0  # without the removal, 40-58 of the 88 functionals move by > 10 %
    # corpus info --check-audio names the file with the offset
    manifest = make_manifest(
        tmp_path / "corpus",
        [{"path": f"wav/{s}_{e}.wav", "emotion": e, "speaker": s} for s in ("s1", "s2") for e in ("anger", "neutral")],
    )
    wav = tmp_path / "corpus" / "wav" / "s1_anger.wav"
    data, sr = sf.read(wav, dtype="float32")
    sf.write(wav, data + 0.05, sr, subtype="FLOAT")
    assert main(["corpus", "info", f"csv:{manifest}", "--check-audio"]) == 0
    out = capsys.readouterr().out
    assert "1 file(s) carry a DC offset" in out and "s1_anger.wav" in out and "removes it" in out
    assert main(["corpus", "info", f"csv:{manifest}", "--check-audio", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [Path(o["path"]).name for o in summary["dc_offset"]] == ["s1_anger.wav"]
    assert abs(summary["dc_offset"][0]["offset"] - 0.05) < 0.01


def _table_csv(path: Path, X: np.ndarray, **extra) -> Path:
    n = len(X)
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    df.insert(0, "speaker", [f"s{i % 6}" for i in range(n)])
    df.insert(0, "emotion", [("anger", "joy", "neutral")[i % 3] for i in range(n)])
    for k, v in extra.items():
        df[k] = v
    df.to_csv(path, index=False)
    return path


def test_all_constant_feature_columns_are_an_error_and_some_a_warning(tmp_path, capsys):
    from labkit.features.core import read_table

    flat = _table_csv(tmp_path / "flat.csv", np.ones((36, 4)))
    out = tmp_path / "run"
    # used to print "UAR 14.3 [14.3, 14.3]" and exit 0
    assert main(["compare", str(flat), "--augmenters", "none", "--seeds", "1", "--no-tune", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "flat.csv: all 4 feature column(s) are constant" in err and not out.exists()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(36, 4))
    X[:, 1] = 7.0
    X[:, 3] = 1e5 + rng.normal(size=36) * 1e-3  # varies in the 9th digit only: near-constant
    with pytest.warns(UserWarning, match=r"2 of 4 feature column\(s\) are constant or nearly so.*'f1', 'f3'"):
        feats = read_table(_table_csv(tmp_path / "some.csv", X))
    assert feats.X.shape == (36, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_table(_table_csv(tmp_path / "fine.csv", rng.normal(size=(36, 4))))  # no warning when all vary


def test_non_numeric_cell_is_quoted_as_it_is(tmp_path):
    from labkit.features.core import read_table

    X = np.random.default_rng(0).normal(size=(12, 3)).round(3).astype(object)
    X[7, 1] = "1,25"  # a decimal comma in row 7 (the others are valid numbers)
    path = _table_csv(tmp_path / "comma.csv", X)
    with pytest.raises(LabkitError, match=r"first bad cell: f1 = '1,25' at row 7"):
        read_table(path)


def test_augment_exports_fill_the_users_own_id_and_speaker_columns(tmp_path, capsys):
    from labkit.features.core import read_table

    rng = np.random.default_rng(0)
    n = 36
    df = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"f{j}" for j in range(5)])
    df.insert(0, "spk", [f"p{i % 6}" for i in range(n)])
    df.insert(0, "utt", [f"u{i:03d}" for i in range(n)])
    df.insert(0, "label", [("anger", "joy", "neutral")[i % 3] for i in range(n)])
    src = tmp_path / "mine.csv"
    df.to_csv(src, index=False)
    options = ["--label-column", "label", "--id-column", "utt", "--speaker-column", "spk"]
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"aug{suffix}"
        assert main(["augment", str(src), "--augmenter", "noise", "--amount", "0.5", "--out", str(out), *options]) == 0
        capsys.readouterr()
        back = read_table(out, label_column="label", id_column="utt", speaker_column="spk")  # used to fail
        synthetic = back.meta[back.meta["origin"] == "synthetic"]
        assert len(synthetic) == 18 and len(back) == n + 18
        assert synthetic["utt"].notna().all() and synthetic["utt"].is_unique
        assert (synthetic["spk"] == "synthetic").all() and (synthetic["speaker"] == "synthetic").all()
        assert not back.meta["utt"].isin(["", "nan"]).any()


def test_check_task_result_names_an_edited_task(toy_file, tmp_path):
    from labkit.experiment.metrics import check_task_result

    out = tmp_path / "run"
    assert main(["compare", str(toy_file), "--augmenters", "none", "--seeds", "1", "--no-tune", "--out", str(out)]) == 0
    task_file = sorted((out / "tasks").glob("*.json"))[0]
    row = json.loads(task_file.read_text())
    assert check_task_result(row) is row  # a real task passes, re-scored from its y_true / y_pred
    with pytest.raises(LabkitError, match=r"k.json: uar = 5.0 is outside \[0, 1\]"):
        check_task_result({**row, "uar": 5.0}, "k.json")
    wrong = min(1.0, row["uar"] + 0.1) if row["uar"] < 0.95 else row["uar"] - 0.1
    with pytest.raises(LabkitError, match=r"uar = .* does not match its stored predictions"):
        check_task_result({**row, "uar": wrong})
    with pytest.raises(LabkitError, match="not a number"):
        check_task_result({**row, "wa": "high"})
    assert check_task_result({"emotion:svm:uar": 0.4, "uar": None})  # reproduction keys, not computed ones
    with pytest.raises(LabkitError, match="emotion:svm:uar = 1.4"):
        check_task_result({"emotion:svm:uar": 1.4})


def test_an_edited_task_is_named_and_computed_again_on_resume(toy_file, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["compare", str(toy_file), "--augmenters", "none", "--seeds", "1", "--no-tune", "--out", str(out), "--json"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    task_file = sorted((out / "tasks").glob("*.json"))[0]
    row = json.loads(task_file.read_text())
    task_file.write_text(json.dumps({**row, "uar": 5.0}))  # used to be reused: a mean UAR of 107 %
    with pytest.warns(UserWarning, match=rf"{task_file.name}.*uar = 5.0 is outside"):
        assert main(argv) == 0
    assert capsys.readouterr().out == first and json.loads(task_file.read_text())["uar"] == row["uar"]


def test_a_damaged_checkpoint_is_a_clear_error_naming_the_file_and_the_choice(tmp_path):
    import torch

    run = RunStore(tmp_path).create("aaec", {"a": 1}, run_id="r")
    run.save_checkpoint({"w": torch.ones(3), "epoch": 4})
    assert run.load_checkpoint()["epoch"] == 4
    data = run.checkpoint_path().read_bytes()
    run.checkpoint_path().write_bytes(data[: len(data) // 2])  # a copy cut short
    # used to be "RuntimeError: PytorchStreamReader failed reading zip archive" with a traceback
    with pytest.raises(LabkitError, match=r"checkpoints/last.pt: not a loadable checkpoint.*Delete it and run"):
        run.load_checkpoint()


def test_report_draws_the_other_spaces_when_one_reference_is_damaged(tmp_path, capsys):
    from dashboard_fixtures import make_training_run

    run = make_training_run(tmp_path, "two", iterations=(0, 10), spaces=("embedding", "spectrum"))
    (run.path / "reference" / "embedding.npz").write_bytes(b"not an npz")
    assert main(["report", str(run.path), "--out", str(tmp_path / "r.html")]) == 0
    assert "embedding.npz: not a readable array file" in capsys.readouterr().err
    page = (tmp_path / "r.html").read_text()
    assert "space &#x27;embedding&#x27; left out" in page and "Generated samples: spectrum" in page
    assert main(["coverage", str(run.path), "--space", "embedding"]) == 2
    assert "embedding.npz" in capsys.readouterr().err


def test_rerun_does_not_follow_a_config_toml_linked_out_of_the_run(tmp_path):
    from labkit.configfile import read_run_config

    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('command = "compare"\nsource = "planted.csv"\n')
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").symlink_to(elsewhere)
    with pytest.raises(LabkitError, match="symbolic link out of the run"):
        read_run_config(run)
    (run / "config.toml").unlink()
    (run / "config.toml").write_text('command = "compare"\nsource = "mine.csv"\n')
    assert read_run_config(run) == ("compare", {"source": "mine.csv"})
