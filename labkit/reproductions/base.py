"""The types every paper's experiment is built from: `Experiment`, `Plan`, `Report`, and summary helpers.

A paper module in ``labkit/reproductions/`` lists its experiments in ``EXPERIMENTS``; the run lifecycle
(``labkit reproduce``) plans, runs and summarises them. These types live here, below the lifecycle, so
that a paper module never imports the layer that runs it.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from labkit.experiment.tables import PaperTable


@dataclass
class Plan:
    """What one invocation of an experiment will compute: `Experiment.plan(args)` returns it.

    The options reach the work through three containers with one job each. A value goes into every
    container that needs it, and each says what it is for:

    ``config`` (dict): the run's identity
        Plain JSON values, written to ``run.json``. A rerun into the same ``--out`` with a different
        config is refused, so it holds everything that changes the number a finished task saved:
        the source(s), feature set, emotion set, protocol, model preset and its overrides, amounts,
        how task seeds are drawn. It leaves out what may grow later in the same run (``--seeds``,
        ``--max-folds``, a subset of configurations) and what does not change a result (``--device``,
        ``--threads``, ``--jobs``, progress bars). A key introduced after runs exist is written only
        when it differs from the old behaviour (e.g. ``"tune": True``), so those runs keep their
        identity and resume. Its keys are part of the run-store format: rename one and old runs no
        longer resume.
    ``context`` (a frozen dataclass of the paper module, one comment per field): what ``run_task`` needs
        The loaded arrays (features, labels, speakers), the folds, the checked and resolved options
        (model configs, device, threads, recording). ``run_task(task, context, run_path)`` reads it,
        nothing else does (``summarize`` never sees it). It must pickle: tasks go to joblib worker
        processes (``--jobs``) and to Dask workers (``--scheduler``, scattered once), so it is a
        module-level class holding numpy arrays, lists, dicts, strings and numbers, and no open
        files, locks, lambdas or torch modules. Frozen, because one context serves every task:
        a task that changed it would change the tasks after it.
    ``info`` (dict): what ``summarize`` needs beyond the task table
        Row order and labels, texts for the notes (budget, protocol, amount), the device, where the
        run's figures go. Plain values; ``run_task`` never reads it, and it is not the identity.

    Option names stay the same all the way down: ``--epochs N`` is ``args.epochs``, the key
    ``"epochs"`` of the model's overrides, the model config's ``epochs`` field and ``cfg.epochs`` in
    the training loop; a per-model option is ``--<model>-epochs``, which is ``epochs`` in that model's
    overrides. Containers are named for what they hold: ``overrides`` (option values that replace a
    preset's), ``preset`` / ``budget`` (the name of a set of defaults), ``configs`` (complete model
    configs as dicts). One identity key predates this rule and stays, because runs resume by it:
    Sahu et al.'s ``config["budget"]`` holds that paper's per-model overrides.

    The shared pieces a plan is built from (corpus options, emotion set, features, task grid) are in
    `labkit.reproductions.common`; ``tests/example_paper.py`` is a whole small paper to copy.
    """

    config: dict  # the run's identity (run.json); a rerun with another config into the same --out is refused
    tasks: list[dict]  # every task, each with a unique "key"; finished ones are skipped
    context: Any  # what every task needs: the paper's frozen context dataclass, passed to run_task (picklable)
    data: str  # one line saying which data this ran on (printed with the table)
    default_out: str  # run directory name under the run store when --out is not given
    name: str = ""  # a human-readable run name (the dashboard shows it)
    run_kind: str = ""  # run.json "kind" ("" = the experiment's name)
    info: dict = field(default_factory=dict)  # what summarize needs beyond the task table (never run_task)


@dataclass
class Report:
    """What `Experiment.summarize` returns."""

    tables: list[PaperTable]  # printed in order
    json: dict  # printed by --json and written to results/<experiment>.json
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # run-store tables (summary, sweep, ...)
    findings: list[str] = field(default_factory=list)  # plain sentences printed after the tables


@dataclass
class Experiment:
    """One ``labkit reproduce`` entry (see the module docstring)."""

    name: str  # "<paper>-<experiment>", the sub-command
    paper: str  # who and where, e.g. "Fu et al., MuSe 2020 (AAEC)"
    summary: str  # one line for --list and the parent --help
    description: str  # the sub-command's --help text
    add_arguments: Callable[[argparse.ArgumentParser], None]  # the experiment's own options
    plan: Callable[[argparse.Namespace], Plan]
    run_task: Callable[..., dict]  # run_task(task, context, run_path) -> dict (module level)
    summarize: Callable[[pd.DataFrame, Plan], Report]
    default_seeds: int = 3  # --seeds default
    seeds_option: bool = True  # False: the experiment has no --seeds (e.g. one training run with --seed)
    default_jobs: int = 1  # --jobs default (model trainers: 1, they use the cores themselves)
    on_task_done: Callable[[dict, dict, Any], None] | None = None  # (task, result, run) after each save
    tunable: bool = (
        False  # fits an SVM / DNN: offer --tune (args.tune; see labkit.experiment.classifiers.tune_pipeline)
    )
    resources: dict | None = None  # Dask resources one task needs on --scheduler, e.g. {"GPU": 1} for model training


def slug(text: str) -> str:
    """A run-directory-safe rendering of a source or configuration name."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", str(text).replace("'", "-prime")).strip("-.") or "x"


def summary_by(
    tasks: pd.DataFrame, by: str, metrics: list[str], order: list[str] | None = None
) -> dict[str, dict[str, dict]]:
    """{row: {metric: {"mean", "ci_low", "ci_high", "n"}}} over the task table, rows in first-seen order
    (or in `order`, which leaves out the rows that did not run and the ones it does not name).

    The CI rule is `labkit.experiment.stats.seed_fold_ci` (per-seed means when a seed has several
    folds); a task table without a ``seed`` column is one seed.
    """
    from labkit.experiment.stats import summarize

    df = tasks if "seed" in tasks.columns else tasks.assign(seed=0)
    long = summarize(df, metrics, by=(by,))
    out: dict[str, dict[str, dict]] = {}
    for row in long.itertuples(index=False):
        out.setdefault(str(getattr(row, by)), {})[row.metric] = {
            "mean": _none_if_nan(row.mean),
            "ci_low": _none_if_nan(row.ci_low),
            "ci_high": _none_if_nan(row.ci_high),
            "n": int(row.n),
        }
    return out if order is None else {r: out[r] for r in order if r in out}


def summary_frame(summary: dict[str, dict[str, dict]], row_column: str = "configuration") -> pd.DataFrame:
    """The run-store ``summary`` table (row, metric, mean, ci_low, ci_high, n) the dashboard reads."""
    rows = [
        {row_column: row, "metric": metric, **{k: (float("nan") if v is None else v) for k, v in s.items()}}
        for row, per in summary.items()
        for metric, s in per.items()
    ]
    return pd.DataFrame(rows, columns=[row_column, "metric", "mean", "ci_low", "ci_high", "n"])


def _none_if_nan(v):
    import math

    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


__all__ = ["Experiment", "Plan", "Report", "slug", "summary_by", "summary_frame"]
