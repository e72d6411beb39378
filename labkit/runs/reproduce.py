"""``labkit reproduce``: the registry of paper experiments and their way into the one run lifecycle.

A paper's experiment is an `Experiment`: a name (``aaec-table1``), its options, and three functions

* ``plan(args) -> Plan``: check the options, load the data once, and list the *tasks* (one dict per
  configuration × seed × fold × ..., each with a unique ``key``) plus the run's identity (``config``:
  what must stay the same when a run is resumed; seeds and subsets that may grow later stay out);
* ``run_task(task, context, run_path) -> dict``: compute one task (train, fit, score) and return a
  JSON-able row of scores; a module-level function, so the tasks can go to worker processes;
* ``summarize(tasks, plan) -> Report``: from the table of finished tasks, the paper's table(s) as
  `labkit.experiment.tables.PaperTable` (our means and CIs from `labkit.experiment.stats`, the
  paper's numbers beside them), the ``--json`` output, and the tables the dashboard reads.

The types are in `labkit.reproductions.base`. `run_experiment` hands the experiment to the one run
lifecycle (`labkit.runs.lifecycle.run_command`, the same one ``labkit compare`` uses) as a `Job`
(`experiment_job`): create or reopen the run directory, run the pending tasks with the one resume
loop (`labkit.runs.tasks.run_tasks`), write the ``tasks`` table, the report's frames (at least
``summary``) and ``results/<experiment>.json``, set the run's status, and print the table
(``--format text|markdown|csv|latex``) or JSON (``--json``). Every run also gets ``config.toml``,
the options that reproduce it (`labkit.configfile`; ``labkit rerun RUNDIR``), and ``--log
mlflow|tensorboard`` mirrors it to an experiment tracker (`labkit.runs.tracking`).

Experiments live in ``labkit/reproductions/<paper>.py``; each module lists its experiments in
``EXPERIMENTS``. `experiments()` finds them all (``labkit reproduce --list``); a module must not
import torch or load data at import time, so listing stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import time

import pandas as pd

from labkit.errors import LabkitError
from labkit.reproductions.base import Experiment, Plan, Report
from labkit.runs.lifecycle import Output, json_default

# --------------------------------------------------------------------------- registry
_PACKAGE = "labkit.reproductions"


def experiments() -> dict[str, Experiment]:
    """Every experiment of every ``labkit/reproductions/*.py`` module, by name, in module order."""
    import labkit.reproductions as pkg

    found: dict[str, Experiment] = {}
    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if m.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_PACKAGE}.{m.name}")
        for exp in getattr(module, "EXPERIMENTS", []):
            if exp.name in found:
                raise LabkitError(f"two experiments are named {exp.name!r}")
            found[exp.name] = exp
    return found


def get_experiment(name: str) -> Experiment:
    exps = experiments()
    if name not in exps:
        raise LabkitError(f"unknown experiment {name!r}; `labkit reproduce --list` lists: {', '.join(exps)}")
    return exps[name]


def list_text() -> str:
    """The --list output: one line per experiment, grouped by paper."""
    lines, last = [], None
    for exp in experiments().values():
        if exp.paper != last:
            lines.append(("" if last is None else "\n") + exp.paper)
            last = exp.paper
        lines.append(f"  {exp.name:<22} {exp.summary}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- command-line glue
def add_common_arguments(p: argparse.ArgumentParser, exp: Experiment) -> None:
    """Options every experiment has: the run options of the lifecycle, and --tune where it applies."""
    from labkit.runs.lifecycle import add_run_arguments

    add_run_arguments(
        p,
        seeds=exp.default_seeds if exp.seeds_option else None,
        jobs=exp.default_jobs,
        out_default="<run store>/<experiment>-<data>-...",
    )
    if exp.tunable:
        p.add_argument(
            "--tune",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="choose the classifier's hyperparameters inside every training fold by a speaker-"
            "independent inner CV on its real rows, once per (seed, fold) (labkit.experiment.classifiers."
            "TUNING_GRIDS); the default. --no-tune keeps the fixed classifier (quicker; the table says which ran)",
        )
    else:
        p.set_defaults(tune=False)


def check_common_values(args: argparse.Namespace) -> None:
    """Refuse option values that experiments share before any data is loaded (`LabkitError`, exit 2).

    ``--device`` must name a device this machine has (`labkit.utils.pick_device`); every ``--*seed``
    option must be a whole number >= 0 (numpy's generators refuse negative seeds, deep inside a run).
    """
    device = getattr(args, "device", None)
    if device not in (None, "", "auto"):
        from labkit.utils import pick_device

        pick_device(device)
    for name, value in vars(args).items():
        if (name == "seed" or name.endswith("_seed")) and value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise LabkitError(f"--{name.replace('_', '-')} must be a whole number >= 0, got {value!r}")


def run_experiment(exp: Experiment, args: argparse.Namespace) -> int:
    """Plan, run (resuming), summarise, write and print one experiment, through the one run lifecycle."""
    from labkit.runs.lifecycle import run_command

    return run_command(args, lambda opts: experiment_job(exp, args, opts), prog=f"labkit reproduce {exp.name}")


def data_fingerprint(context, depth: int = 4) -> str:
    """A content hash of the data a plan's tasks read: every array (and table) in `context`.

    `context` is a paper's frozen context dataclass; its arrays are found by walking dataclass
    fields, dicts, lists and tuples (and objects with an ``X`` / ``meta``, such as
    `labkit.features.Features`) down to `depth` levels, in field order. Two runs whose options match
    but whose data differ (a corpus folder edited between runs) therefore have different identities,
    whatever path spelled the source.
    """
    import dataclasses
    import hashlib

    import numpy as np

    h = hashlib.sha1()

    def visit(obj, level: int) -> None:
        if isinstance(obj, np.ndarray):
            h.update(str((obj.dtype.str, obj.shape)).encode())
            h.update(np.ascontiguousarray(obj).tobytes() if obj.dtype != object else repr(obj.tolist()).encode())
        elif isinstance(obj, pd.DataFrame):
            h.update(pd.util.hash_pandas_object(obj.astype(str), index=False).to_numpy().tobytes())
        elif level >= depth or obj is None or isinstance(obj, (str, bytes, int, float, bool)):
            return
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                visit(getattr(obj, f.name), level + 1)
        elif isinstance(obj, dict):
            for k in sorted(obj, key=str):
                visit(obj[k], level + 1)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                visit(v, level + 1)
        else:
            for name in ("X", "meta"):
                if isinstance(getattr(obj, name, None), (np.ndarray, pd.DataFrame)):
                    visit(getattr(obj, name), level + 1)

    visit(context, 0)
    return h.hexdigest()[:16]


def experiment_job(exp: Experiment, args: argparse.Namespace, opts):
    """The `labkit.runs.lifecycle.Job` of one experiment: its options checked, its plan made (data loaded)."""
    from labkit.runs.lifecycle import Job

    check_common_values(args)  # every check before the data is loaded and before a run directory exists
    t0 = time.perf_counter()
    plan = exp.plan(args)  # validates everything and loads the data before a run directory exists

    def setup(run) -> None:
        run.write_json("data", {"description": plan.data, "experiment": exp.name, "paper": exp.paper})

    def finish(run, outcome):
        tasks = pd.DataFrame(outcome.results)
        run.write_table("tasks", _tabular(tasks))
        report = exp.summarize(tasks, plan)
        for name, df in report.frames.items():
            run.write_table(name, df)
        payload = {
            "experiment": exp.name,
            "paper": exp.paper,
            "data": plan.data,
            "config": plan.config,
            "seeds": int(opts.seeds),
            "n_tasks": outcome.n_tasks,
            "n_computed": outcome.n_computed,
            "seconds": time.perf_counter() - t0,
            "result": report.json,
            "tables": [t.to_dict() for t in report.tables],
            "findings": report.findings,
        }
        run.write_json(exp.name, payload)
        return Output(json=report.json, frames=report.frames, render=lambda fmt, only: _render(report, plan, fmt, only))

    on_result = None
    if exp.on_task_done is not None:
        on_result = lambda run, task, result: exp.on_task_done(task, result, run)  # noqa: E731
    return Job(
        kind=plan.run_kind or exp.name,
        # the run's identity holds what defines its results: the options, and the data by content
        config={**plan.config, "data_hash": data_fingerprint(plan.context)},
        tasks=plan.tasks,
        run_task=exp.run_task,
        shared=lambda run: (plan.context, str(run.path)),
        finish=finish,
        name=plan.name,
        default_out=plan.default_out,
        desc=exp.name,
        resources=exp.resources,
        setup=setup,
        on_result=on_result,
    )


def _render(report: Report, plan: Plan, fmt: str, table_only: bool) -> str:
    """What ``labkit reproduce`` prints: the data line, the paper's table(s) and the findings."""
    if table_only:
        return "\n".join(table.render(fmt) for table in report.tables)
    lines = []
    if not any(plan.data in note for t in report.tables for note in t.notes):
        lines.append(f"Data: {plan.data}\n")
    for table in report.tables:
        lines += [table.render(fmt), ""]
    lines += report.findings
    return "\n".join(lines)


def _tabular(df: pd.DataFrame) -> pd.DataFrame:
    """The task table with nested values (lists, dicts) as JSON text, so Parquet can hold it."""
    out = df.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (list, dict))).any():
            out[col] = out[col].map(lambda v: json.dumps(v, default=json_default) if isinstance(v, (list, dict)) else v)
    return out


__all__ = [
    "experiments",
    "get_experiment",
    "list_text",
    "add_common_arguments",
    "check_common_values",
    "experiment_job",
    "run_experiment",
]
