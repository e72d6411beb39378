"""The reproduction framework: every ``labkit reproduce <paper>-<experiment>`` runs through here.

A paper's experiment is an `Experiment`: a name (``aaec-table1``), its options, and three functions

* ``plan(args) -> Plan``: check the options, load the data once, and list the *tasks* (one dict per
  configuration × seed × fold × ..., each with a unique ``key``) plus the run's identity (``config``:
  what must stay the same when a run is resumed; seeds and subsets that may grow later stay out);
* ``run_task(task, context, run_path) -> dict``: compute one task (train, fit, score) and return a
  JSON-able row of scores; a module-level function, so the tasks can go to worker processes;
* ``summarize(tasks, plan) -> Report``: from the table of finished tasks, the paper's table(s) as
  `labkit.experiment.tables.PaperTable` (our means and CIs from `labkit.experiment.stats`, the
  paper's numbers beside them), the ``--json`` output, and the tables the dashboard reads.

`run_experiment` does the rest, the same way for every paper: create or reopen the run directory,
run the pending tasks with the one resume loop (`labkit.experiment.tasks.run_tasks`), write the
``tasks`` and ``summary`` tables and ``results/<experiment>.json``, set the run's status, and print
the table (``--format text|markdown|csv|latex``) or JSON (``--json``). Every run also gets
``config.toml``, the options that reproduce it (`labkit.configfile`; ``labkit rerun RUNDIR``), and
``--log mlflow|tensorboard`` mirrors it to an experiment tracker (`labkit.tracking`).

Experiments live in ``labkit/reproductions/<paper>.py``; each module lists its experiments in
``EXPERIMENTS``. `experiments()` finds them all (``labkit reproduce --list``); a module must not
import torch or load data at import time, so listing stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time

import pandas as pd

from labkit.errors import LabkitError
from labkit.reproductions.base import Experiment, Plan, Report, slug, summary_by, summary_frame  # noqa: F401  (re-exported)

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
    """Options every experiment has: where the run goes, seeds, workers, output form."""
    g = p.add_argument_group("common to every experiment")
    g.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="run directory; rerunning into it resumes (default: <run store>/<experiment>-<data>-...)",
    )
    if exp.seeds_option:
        g.add_argument(
            "--seeds",
            type=int,
            default=exp.default_seeds,
            metavar="N",
            help="seeds 0..N-1; may grow on a later run into the same --out (default: %(default)s)",
        )
    else:
        p.set_defaults(seeds=1)
    g.add_argument(
        "--jobs",
        type=int,
        default=exp.default_jobs,
        metavar="N",
        help="tasks computed in parallel worker processes, -1 = all cores (default: %(default)s)",
    )
    g.add_argument(
        "--max-tasks",
        type=int,
        default=None,
        metavar="N",
        help="compute at most N pending tasks, then stop (the run resumes later)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|local",
        help="run the tasks on a Dask cluster: a scheduler address such as tcp://10.0.0.5:8786, or "
        "'local' for a LocalCluster of --jobs workers on this machine",
    )
    if exp.tunable:
        g.add_argument(
            "--tune",
            action="store_true",
            help="choose the classifier's hyperparameters inside every training fold by a speaker-"
            "independent inner CV (labkit.experiment.classifiers.TUNING_GRIDS)",
        )
    else:
        p.set_defaults(tune=False)
    from labkit.configfile import add_config_argument
    from labkit.experiment.tables import FORMATS
    from labkit.tracking import add_log_arguments

    g.add_argument(
        "--format",
        default="text",
        choices=FORMATS,
        help="how the table is printed; csv and latex print only the table(s) (default: %(default)s)",
    )
    add_config_argument(g)
    add_log_arguments(g)
    g.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")


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
    """Plan, run (resuming), summarise, write and print one experiment (see the module docstring)."""
    from labkit.experiment.tasks import check_scheduler, run_tasks
    from labkit.runstore import Run, check_run_dir, default_root

    if args.seeds < 1:
        raise LabkitError(f"--seeds must be at least 1, got {args.seeds}")
    if args.jobs == 0 or args.jobs < -1:
        raise LabkitError(f"--jobs must be a positive number or -1 (all cores), got {args.jobs}")
    if args.max_tasks is not None and args.max_tasks < 0:
        raise LabkitError(f"--max-tasks must be >= 0, got {args.max_tasks}")
    check_common_values(args)  # every check before the data is loaded and before a run directory exists
    from labkit.configfile import write_run_config
    from labkit.tracking import check_trackers, push_run

    trackers = check_trackers(getattr(args, "log", None))

    def track() -> None:  # mirror the run to the trackers of --log (labkit.tracking)
        for line in push_run(run, trackers, getattr(args, "log_uri", None)) if trackers else []:
            print(f"logged to {line}", file=sys.stderr)

    if args.out:
        check_run_dir(args.out)
    scheduler = check_scheduler(getattr(args, "scheduler", None))
    quiet = bool(getattr(args, "json", False))
    t0 = time.perf_counter()
    plan = exp.plan(args)  # validates everything and loads the data before a run directory exists
    out = args.out or str(default_root() / plan.default_out)
    run = Run.create(out, plan.run_kind or exp.name, plan.config, name=plan.name)
    write_run_config(run.path, args)  # the TOML that reproduces this run (labkit rerun)
    in_tasks = False  # run_tasks records its own failures; anything else after Run.create is recorded here
    try:
        run.write_json("data", {"description": plan.data, "experiment": exp.name, "paper": exp.paper})

        on_result = None
        if exp.on_task_done is not None:
            on_result = lambda task, result: exp.on_task_done(task, result, run)  # noqa: E731
        in_tasks = True
        outcome = run_tasks(
            run,
            plan.tasks,
            exp.run_task,
            (plan.context, str(run.path)),
            n_jobs=args.jobs,
            progress=not quiet,
            max_tasks=args.max_tasks,
            desc=exp.name,
            on_result=on_result,
            scheduler=scheduler,
            resources=exp.resources,
        )
        in_tasks = False
        if not outcome.finished:
            run.set_status(
                "running",
                f"stopped after {outcome.n_done} of {outcome.n_tasks} tasks (--max-tasks); rerun to resume",
                n_tasks=outcome.n_tasks,
                n_done=outcome.n_done,
            )
            if quiet:  # --json promises JSON on stdout, also for a run that is not finished yet
                print(
                    json.dumps(
                        {"finished": False, "n_done": outcome.n_done, "n_tasks": outcome.n_tasks, "run": str(run.path)}
                    )
                )
            else:
                print(
                    f"{outcome.n_done} of {outcome.n_tasks} tasks done; rerun the same command to finish. "
                    f"Run: {run.path}"
                )
            track()
            return 0

        tasks = pd.DataFrame(outcome.results)
        run.write_table("tasks", _tabular(tasks))
        report = exp.summarize(tasks, plan)
        for name, df in report.frames.items():
            run.write_table(name, df)
        seconds = time.perf_counter() - t0
        payload = {
            "experiment": exp.name,
            "paper": exp.paper,
            "data": plan.data,
            "config": plan.config,
            "seeds": int(args.seeds),
            "n_tasks": outcome.n_tasks,
            "n_computed": outcome.n_computed,
            "seconds": seconds,
            "result": report.json,
            "tables": [t.to_dict() for t in report.tables],
            "findings": report.findings,
        }
        run.write_json(exp.name, payload)
    except BaseException as err:
        if not in_tasks:
            reason = "interrupted" if isinstance(err, KeyboardInterrupt) else f"{type(err).__name__}: {err}"
            run.set_status("failed", reason)
        raise
    run.set_status(
        "finished",
        f"{outcome.n_tasks} tasks ({outcome.n_computed} computed now) in {seconds:.0f} s",
        n_tasks=outcome.n_tasks,
        n_done=outcome.n_tasks,
    )
    track()
    if args.json:
        print(json.dumps(report.json, indent=2, default=_json_default))
        return 0
    if args.format in ("csv", "latex"):  # only the table(s) on stdout, ready for a file
        print("\n".join(table.render(args.format) for table in report.tables))
        return 0
    if not any(plan.data in note for t in report.tables for note in t.notes):
        print(f"Data: {plan.data}\n")
    for table in report.tables:
        print(table.render(args.format))
        print()
    for line in report.findings:
        print(line)
    print(f"Run: {run.path}  ({outcome.n_computed} of {outcome.n_tasks} tasks computed now, {seconds:.0f} s)")
    return 0


def _tabular(df: pd.DataFrame) -> pd.DataFrame:
    """The task table with nested values (lists, dicts) as JSON text, so Parquet can hold it."""
    out = df.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (list, dict))).any():
            out[col] = out[col].map(
                lambda v: json.dumps(v, default=_json_default) if isinstance(v, (list, dict)) else v
            )
    return out


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


__all__ = [
    "Experiment",
    "Plan",
    "Report",
    "experiments",
    "get_experiment",
    "list_text",
    "add_common_arguments",
    "run_experiment",
    "summary_by",
    "summary_frame",
    "slug",
]
