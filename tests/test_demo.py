"""`labkit demo`: the plan it runs, and the whole quick demo end to end on a tiny scenario."""

import argparse

import pytest

from labkit.commands import demo


def _args(**kw):
    base = dict(runs="runs", seeds=1, iterations=20, sweep=False, jobs=2, quick=False, no_dashboard=True, port=8501)
    return argparse.Namespace(**{**base, **kw})


def test_the_demo_asks_its_question_on_the_shifted_scenario(monkeypatch):
    monkeypatch.setattr(demo, "model_augmenters", lambda: ["cgan"])
    plan = dict(demo.steps(_args()))
    argv = [a for _, a in demo.steps(_args())]
    assert all(a[0] != "compare" or a[1] == "synthetic:shifted" for a in argv)
    compare = next(a for a in argv if a[0] == "compare")
    assert compare[compare.index("--augmenters") + 1] == "none,noise,smote,cgan"
    assert "--record-every" in compare and "cgan.epochs=60" in compare and "--sweep" not in compare
    assert "cgan.preset=pretrained" in compare
    assert "--no-tune" not in compare and "tuned in every fold" in next(t for t in plan if t.startswith("augmenter"))
    aaec = next(a for a in argv if a[:2] == ["reproduce", "aaec-train"])
    assert aaec[2] == "synthetic:shifted" and aaec[aaec.index("--configuration") + 1] == "AAEC"
    assert aaec[aaec.index("--preset") + 1] == "small" and aaec[aaec.index("--iterations") + 1] == "20"
    assert [a[0] for a in argv] == ["corpus", "corpus", "compare", "reproduce", "coverage", "report"]
    assert len(plan) == 6

    quick = [a for _, a in demo.steps(_args(quick=True, sweep=True))]
    compare = next(a for a in quick if a[0] == "compare")
    assert compare[compare.index("--augmenters") + 1] == "none,noise,smote" and "--sweep" not in compare
    assert "--no-tune" in compare  # the tests' demo keeps a fixed classifier, and its step title says so
    assert "--no-tune, quick demo" in next(t for t, a in demo.steps(_args(quick=True)) if a[0] == "compare")
    assert next(a for a in quick if a[0] == "reproduce")[-3] == "3"  # --iterations 3
    with_sweep = next(a for _, a in demo.steps(_args(sweep=True)) if a[0] == "compare")
    assert with_sweep[with_sweep.index("--sweep") + 1] == "0.5,1,2"


def test_model_augmenters_that_do_not_exist_are_left_out(monkeypatch):
    monkeypatch.setattr(demo, "MODELS", ["smote", "not-an-augmenter"])
    assert demo.model_augmenters() == ["smote"]


def test_the_demo_silences_joblibs_worker_warning(monkeypatch):
    import warnings

    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        demo.quiet_library_warnings()
        warnings.warn(
            "A worker stopped while some jobs were given to the executor. This can be caused by a too short "
            "worker timeout or by a memory leak.",
            UserWarning,
        )
        warnings.warn("another warning", UserWarning)
    assert [str(w.message) for w in caught] == ["another warning"]
    import os

    assert "A worker stopped" in os.environ["PYTHONWARNINGS"]


def test_bad_demo_options_exit_2(capsys):
    from labkit.cli import main

    assert main(["demo", "--seeds", "0", "--no-dashboard"]) == 2
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_demo_end_to_end(tmp_path, monkeypatch, capsys):
    """`labkit demo --quick --no-dashboard` on a tiny `shifted` scenario: every step runs, the runs it
    leaves are what the dashboard shows (two augmenters on one fold, AAEC's snapshots), and the
    report is written."""
    from labkit.cli import main
    from labkit.data import synthetic
    from labkit.runstore import open_run

    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    tiny = dict(
        synthetic.SCENARIOS["shifted"],
        n_speakers=4,
        n_utterances=2,
        emotions=["anger", "sadness", "neutral"],
        duration=(0.8, 1.2),
    )
    monkeypatch.setitem(synthetic.SCENARIOS, "shifted", tiny)
    runs = tmp_path / "runs"
    assert main(["demo", "--quick", "--no-dashboard", "--runs", str(runs), "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "test samples outside every training" in out and "Demo experiments finished" in out
    # How far to trust each run's plane, printed for every space of both runs.
    assert "how far to trust the dashboard's PCA planes" in out
    for line in ("demo-compare · aug-smote: trustworthiness", "demo-aaec · spectrum: trustworthiness"):
        assert line in out
    assert "A worker stopped" not in captured.err and "UserWarning" not in captured.err
    compare = open_run(runs / "demo-compare")
    assert compare.spaces() == ["aug-noise", "aug-smote"] and compare.has_table("summary")
    assert compare.config["tune"] is False and "fixed classifier (--no-tune)" in out
    assert list(compare.read_table("gate")["augmenter"]) == ["noise", "smote"] and "Gate · smote:" in out
    aaec = open_run(runs / "demo-aaec")
    assert aaec.snapshot_iterations("spectrum") == [1, 2, 3]
    assert sorted(p.name for p in (runs / "demo-aaec" / "spectrograms").iterdir())[-1] == "iter_0000003.npz"
    assert (runs / "demo-compare" / "report.html").stat().st_size > 1_000_000
