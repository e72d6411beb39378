"""Config files and `labkit rerun`: options from TOML, the command line wins, every run writes the TOML
that reproduces it, and a rerun gives identical tables (compare runs and reproduce runs alike)."""

import argparse

import numpy as np
import pandas as pd
import pytest

from labkit.cli import main
from labkit.configfile import RUN_CONFIG, parse_args, read_config, read_run_config
from labkit.experiment.tables import Column, PaperTable
from labkit.experiment.toy import toy_features
from labkit.features import Features
from labkit.reproductions.base import Experiment, Plan, Report, summary_by, summary_frame
from labkit.runstore import open_run


@pytest.fixture(scope="module")
def features_file(tmp_path_factory):
    meta, X = toy_features(n_speakers=4, n_per=5, dim=6, seed=1)
    path = tmp_path_factory.mktemp("cfg") / "toy.parquet"
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(6)], feature_set="toy", settings={}).to_parquet(path)
    return path


def _compare_argv(features_file, out, *extra):
    return [
        "compare",
        str(features_file),
        "--augmenters",
        "none,noise,smote",
        "--protocol",
        "loso",
        "--seeds",
        "2",
        "--param",
        "noise.scale=0.3",
        "--out",
        str(out),
        *extra,
    ]


# ------------------------------------------------------------------ compare
@pytest.mark.slow
def test_compare_run_writes_its_config_and_rerun_gives_identical_tables(features_file, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(_compare_argv(features_file, out, "--json")) == 0
    command, values = read_run_config(out)
    assert command == "compare"
    assert values["augmenters"] == "none,noise,smote" and values["seeds"] == 2 and values["protocol"] == "loso"
    assert values["param"] == ["noise.scale=0.3"] and values["source"] == str(features_file.resolve())
    assert "out" not in values and "max_tasks" not in values and "config" not in values
    capsys.readouterr()

    assert main(["rerun", str(out), "--out", str(tmp_path / "again")]) == 0
    err = capsys.readouterr().err
    assert "same results as" in err and "summary table identical" in err
    old, new = open_run(out), open_run(tmp_path / "again")
    assert new.config == old.config  # the same experiment (data fingerprint included)
    assert old.config["tune"] is True and "--tune" in err  # tuned by default, and the rerun carries it
    for name in ("summary", "tasks", "paired", "per_class"):
        pd.testing.assert_frame_equal(old.read_table(name), new.read_table(name))

    # default destination: RUNDIR-rerun
    assert main(["rerun", str(out)]) == 0
    assert open_run(tmp_path / "cmp-rerun").status["state"] == "finished"


@pytest.mark.slow
def test_rerun_of_a_comparison_without_config_toml_rebuilds_it_from_run_json(features_file, tmp_path, capsys):
    out = tmp_path / "old"
    assert main(_compare_argv(features_file, out, "--json", "--sweep", "0,0.5", "--clf-param", "C=0.5")) == 0
    (out / RUN_CONFIG).unlink()  # as a run from before labkit wrote config.toml
    capsys.readouterr()
    assert main(["rerun", str(out), "--out", str(tmp_path / "again")]) == 0
    err = capsys.readouterr().err
    assert "rebuilt from its run.json" in err and "same results as" in err
    assert open_run(tmp_path / "again").config == open_run(out).config
    pd.testing.assert_frame_equal(open_run(out).read_table("sweep"), open_run(tmp_path / "again").read_table("sweep"))


def test_rerun_reports_different_results(features_file, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(_compare_argv(features_file, out, "--json")) == 0
    run = open_run(out)
    summary = run.read_table("summary")
    summary.loc[0, "mean"] += 0.05  # as if the original had scored otherwise
    run.write_table("summary", summary)
    capsys.readouterr()
    assert main(["rerun", str(out), "--out", str(tmp_path / "again")]) == 1
    assert "results DIFFER" in capsys.readouterr().err


def test_config_file_gives_the_options_and_the_command_line_wins(features_file, tmp_path, capsys):
    cfg = tmp_path / "cmp.toml"
    cfg.write_text(
        f'source = "{features_file}"\naugmenters = ["none", "smote"]\nprotocol = "split"\n'
        'test-fraction = 0.5\nseeds = 3\nparam = ["smote.k_neighbors=3"]\n'
    )
    out = tmp_path / "run"
    assert main(["compare", "--config", str(cfg), "--seeds", "1", "--out", str(out), "--json"]) == 0
    config = open_run(out).config
    assert config["augmenters"] == ["none", "smote"] and config["protocol"] == "split"
    assert config["protocol_params"] == {"test_fraction": 0.5}
    assert config["seeds"] == 1  # typed on the command line: wins over the file's 3
    assert config["augmenter_params"] == {"smote": {"k_neighbors": 3}}
    written = read_config(out / RUN_CONFIG)
    assert written["seeds"] == 1 and written["test_fraction"] == 0.5 and written["command"] == "compare"
    assert "out" not in written  # where a run went is not part of what it computes

    # a config you write may say where the run goes (the run's own config.toml never does)
    cfg.write_text(cfg.read_text() + f'out = "{tmp_path / "from-file"}"\n')
    assert main(["compare", "--config", str(cfg), "--seeds", "1", "--json"]) == 0
    assert open_run(tmp_path / "from-file").config["protocol"] == "split"


@pytest.mark.parametrize(
    "text, message",
    [
        ('protocl = "loso"', "has no option 'protocl'"),
        ('protocol = "lso"', "choose one of"),
        ('seeds = "three"', "not a valid value"),
        ('json = "yes"', "true or false"),
        ('command = "augment"', "this config is for `labkit augment`"),
        ("[compare]\nseeds = 2", "tables"),
        ("seeds = ", "not a valid TOML file"),
        ('config = "other.toml"', "cannot name another config file"),
    ],
)
def test_bad_config_files_exit_2_naming_the_file(features_file, tmp_path, capsys, text, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text + "\n")
    assert main(["compare", str(features_file), "--config", str(cfg), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and message in err
    assert not (tmp_path / "r").exists()


def test_missing_config_and_rerun_without_config(tmp_path, capsys):
    assert main(["compare", "x.parquet", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in capsys.readouterr().err
    assert main(["rerun", str(tmp_path)]) == 2
    assert "run.json" in capsys.readouterr().err


def test_a_config_file_false_turns_a_boolean_optional_flag_off(tmp_path):
    """``tune = false`` in a config file means --no-tune (it once became the truthy string "false")."""
    p = argparse.ArgumentParser(prog="x")
    sub = p.add_subparsers(dest="command")
    a = sub.add_parser("a")
    a.add_argument("--tune", action=argparse.BooleanOptionalAction, default=True)
    a.add_argument("--config")
    cfg = tmp_path / "c.toml"
    cfg.write_text("tune = false\n")
    assert parse_args(p, ["a", "--config", str(cfg)]).tune is False
    assert parse_args(p, ["a", "--config", str(cfg), "--tune"]).tune is True  # the command line wins
    cfg.write_text('tune = "no"\n')
    from labkit.errors import LabkitError

    with pytest.raises(LabkitError, match="use true or false"):
        parse_args(p, ["a", "--config", str(cfg)])


def test_parse_args_records_the_sub_command():
    p = argparse.ArgumentParser(prog="x")
    sub = p.add_subparsers(dest="command")
    a = sub.add_parser("a")
    a.add_argument("thing")
    a.add_argument("--n", type=int, default=1)
    a.add_argument("--config")
    args = parse_args(p, ["a", "t", "--n", "4"])
    from labkit.configfile import run_options

    assert run_options(args) == ("a", {"thing": "t", "n": 4})


# ------------------------------------------------------------------ a reproduce experiment (a toy one)
def _toy_arguments(p):
    p.add_argument("source", help="toy data seed, as text")
    p.add_argument("--C", type=float, default=1.0)


def _toy_plan(args) -> Plan:
    meta, X = toy_features(n_speakers=4, n_per=4, dim=6, seed=int(args.source))
    tasks = [{"key": f"seed{s}", "seed": s} for s in range(args.seeds)]
    context = {"X": X, "y": meta["emotion"].to_numpy(), "test": (meta["speaker"] == "toy:03").to_numpy(), "C": args.C}
    return Plan(
        config={"source": args.source, "C": args.C}, tasks=tasks, context=context, data="toy data", default_out="toy"
    )


def _toy_task(task, context, run_path):
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.svm import LinearSVC

    X, y, test = context["X"], context["y"], context["test"]
    rng = np.random.default_rng(task["seed"])
    Xn = X + 0.3 * rng.standard_normal(X.shape)  # the seed matters
    clf = LinearSVC(C=context["C"], random_state=task["seed"]).fit(Xn[~test], y[~test])
    return {"seed": task["seed"], "model": "svm", "uar": balanced_accuracy_score(y[test], clf.predict(X[test]))}


def _toy_summary(tasks, plan) -> Report:
    s = summary_by(tasks, "model", ["uar"])
    return Report(
        tables=[PaperTable("Toy table_1", [Column("uar", "UAR")], s, paper={"svm": {"uar": 50.0}})],
        json=s,
        frames={"summary": summary_frame(s)},
    )


TOY = Experiment(
    name="toy-table",
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

    monkeypatch.setattr(reproduce, "experiments", lambda: {"toy-table": TOY})


def test_reproduce_run_writes_config_reruns_identically_and_exports_latex(toy_registry, tmp_path, capsys):
    out = tmp_path / "toy"
    assert (
        main(["reproduce", "toy-table", "7", "--C", "0.5", "--seeds", "2", "--out", str(out), "--format", "latex"]) == 0
    )
    tex = capsys.readouterr().out
    assert tex.startswith(r"\begin{table}") and r"Toy table\_1" in tex and r"\bottomrule" in tex
    command, values = read_run_config(out)
    assert command == "reproduce toy-table" and values["source"] == "7" and values["C"] == 0.5
    assert values["seeds"] == 2 and values["format"] == "latex"

    assert main(["rerun", str(out), "--out", str(tmp_path / "again")]) == 0
    assert "same results as" in capsys.readouterr().err
    pd.testing.assert_frame_equal(
        open_run(out).read_table("summary"), open_run(tmp_path / "again").read_table("summary")
    )

    # the config with one option changed on the command line: more seeds, the rest from the file
    assert (
        main(
            [
                "reproduce",
                "toy-table",
                "--config",
                str(out / RUN_CONFIG),
                "--seeds",
                "3",
                "--out",
                str(tmp_path / "more"),
                "--format",
                "csv",
            ]
        )
        == 0
    )
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].startswith("Model,UAR,UAR CI low,UAR CI high,UAR paper,n")
    assert len(open_run(tmp_path / "more").task_keys()) == 3
    config = dict(open_run(tmp_path / "more").config)
    assert len(config.pop("data_hash")) == 16  # the data by content, added by the lifecycle
    assert config == {"source": "7", "C": 0.5}
