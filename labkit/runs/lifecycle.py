"""The one run lifecycle: `labkit compare` and every `labkit reproduce <paper>-<experiment>` run through here.

A command hands `run_command` its parsed options and a *planner*; everything else happens here, the
same way for every experiment:

1. **options** (`check_options`): ``--out`` (`labkit.runstore.check_run_dir`), ``--jobs`` (clamped to
   this machine's cores, the clamp printed), ``--max-tasks``, ``--seeds``, ``--scheduler`` (a reachable
   Dask scheduler) and ``--log`` (an installed tracker), all before any data is read;
2. **plan**: the command's planner loads the data, checks everything else and returns a `Job` (the
   run's identity, its tasks and how to compute and summarise them); no run directory exists yet, so
   a typo never leaves one behind;
3. **run**: the run directory is created or reopened (`labkit.runstore.Run.create`) and its identity
   checked. Source paths in the identity are resolved (`labkit.configfile.resolve_source`), so a
   SOURCE typed relative and its absolute form are the same run, from any working directory;
4. **config.toml**: the options that reproduce the run (`labkit.configfile.write_run_config`);
5. **tasks**: `Job.setup`, then the pending tasks through the one resume loop
   (`labkit.runs.tasks.run_tasks`, ``--jobs`` further clamped to the pending tasks);
6. **results**: `Job.finish` writes the tables and ``results/*.json`` from the finished tasks;
7. **status**: ``finished``; ``running`` when ``--max-tasks`` stopped it (rerun to resume);
   ``failed`` with the reason; ``interrupted`` on Ctrl-C or SIGTERM (what ``timeout`` and SLURM send),
   with every task lock released and the finished tasks kept;
8. **trackers**: ``--log mlflow|tensorboard`` mirrors the run (`labkit.runs.tracking.push_run`), also
   after a stop or a failure;
9. **print**: ``--json`` (JSON only on stdout, also for an unfinished run), ``--format csv|latex`` (the
   table only, ready for a file), or the text with the run's path.

`execute` is steps 5 to 7 on its own, for library callers that already hold a run
(`labkit.runs.compare.run_comparison`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from labkit.errors import LabkitError
from labkit.runs.tasks import TaskOutcome, check_jobs, failure_status, run_tasks


@dataclass
class Options:
    """The options every experiment command shares, checked (`check_options`)."""

    prog: str  # how messages start: "labkit compare", "labkit reproduce aaec-table1"
    out: str | None  # --out: the run directory (None: the command's default under the run store)
    jobs: int  # --jobs: worker processes, clamped to this machine's cores (-1 = all of them)
    max_tasks: int | None  # --max-tasks: compute at most this many pending tasks, then stop
    seeds: int  # --seeds: repetitions 0 .. seeds-1
    scheduler: str | None  # --scheduler: None, "local" or a Dask scheduler address (checked, reachable)
    trackers: list[str] = field(default_factory=list)  # --log: the trackers, checked as installed
    log_uri: str | None = None  # --log-uri: where the trackers write (None: their defaults)
    json: bool = False  # --json: only JSON on stdout
    format: str = "text"  # --format: text | markdown | csv | latex

    def note(self, message: str) -> None:
        """One line for the user on stderr, after the command's name."""
        print(f"{self.prog}: {message}", file=sys.stderr)


@dataclass
class Output:
    """What `Job.finish` returns once every task has finished."""

    json: Any  # what --json prints
    frames: dict[str, pd.DataFrame]  # the tables written to the run (name -> DataFrame)
    render: Callable[[str, bool], str]  # render(format, table_only) -> the text printed on stdout


@dataclass
class Job:
    """One run of an experiment, as a command's planner describes it to the lifecycle."""

    kind: str  # run.json "kind" (compare, aaec-table1, ...)
    config: dict  # the run's identity (run.json); a different one into the same --out is refused
    tasks: list[dict]  # the plan: every task, each with a unique "key"; finished ones are skipped
    run_task: Callable[..., dict]  # run_task(task, *shared(run)) -> dict, module level (picklable)
    shared: Callable[[Any], tuple]  # shared(run): the arguments every task gets after itself
    finish: Callable[[Any, TaskOutcome], Output]  # finish(run, outcome): tables and results from the tasks
    name: str = ""  # a human-readable run name (the dashboard shows it)
    default_out: str = ""  # run directory under the run store without --out ("": a new dated one)
    desc: str = "tasks"  # the progress bar's label
    resources: dict | None = None  # Dask resources one task needs (e.g. {"GPU": 1})
    setup: Callable[[Any], None] | None = None  # setup(run): after the run exists, before the tasks
    on_result: Callable[[Any, dict, dict], None] | None = None  # on_result(run, task, result) after each save


@dataclass
class Result:
    """What `execute` returns."""

    run: Any  # labkit.runstore.Run
    outcome: TaskOutcome  # the resume loop's counts and the finished results
    output: Output | None  # None when --max-tasks stopped the run before every task finished
    seconds: float  # wall time of this call

    @property
    def finished(self) -> bool:
        return self.output is not None


# --------------------------------------------------------------------------- 1. options
def add_run_arguments(
    parser: argparse.ArgumentParser,
    *,
    seeds: int | None = 3,
    jobs: int = 1,
    out_default: str = "a new run under $LABKIT_RUNS or ./runs",
    json_help: str = "print the results as JSON instead of the table",
    scheduler_help: str = "the tasks",
) -> None:
    """The options every experiment command shares, in one group: where the run goes and how it runs.

    ``--out``, ``--seeds`` (left out with `seeds` None: the command has one run, ``seeds`` = 1),
    ``--jobs``, ``--max-tasks``, ``--scheduler``, ``--format``, ``--json``, ``--config``, ``--log`` and
    ``--log-uri``. `check_options` checks their values.
    """
    from labkit.configfile import add_config_argument
    from labkit.experiment.tables import FORMATS
    from labkit.runs.tracking import add_log_arguments

    g = parser.add_argument_group("run options (every experiment command)")
    g.add_argument(
        "--out",
        default=None,
        metavar="RUNDIR",
        help=f"run directory; an existing one with the same settings is resumed (default: {out_default})",
    )
    if seeds is None:
        parser.set_defaults(seeds=1)
    else:
        g.add_argument(
            "--seeds",
            type=int,
            default=seeds,
            metavar="N",
            help="repetitions with seeds 0..N-1; may grow on a later run into the same --out (default: %(default)s)",
        )
    g.add_argument(
        "--jobs",
        type=int,
        default=jobs,
        metavar="N",
        help="tasks computed in parallel worker processes, -1 = all cores; clamped to the cores and the "
        "pending tasks (default: %(default)s)",
    )
    g.add_argument(
        "--max-tasks",
        type=int,
        default=None,
        metavar="N",
        help="compute at most N pending tasks, then stop (resume later with the same command)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|local",
        help=f"run {scheduler_help} on a Dask cluster: a scheduler address such as tcp://10.0.0.5:8786, "
        "or 'local' for a LocalCluster of --jobs workers on this machine",
    )
    g.add_argument(
        "--format",
        default="text",
        choices=FORMATS,
        help="how the table is printed; csv and latex print only the table(s) (default: %(default)s)",
    )
    g.add_argument("--json", action="store_true", help=json_help)
    add_config_argument(g)
    add_log_arguments(g)


def check_options(args: argparse.Namespace, prog: str) -> Options:
    """The shared options of `args`, checked before any data is read (`LabkitError`, exit 2)."""
    from labkit.runs.tasks import check_scheduler
    from labkit.runs.tracking import check_trackers
    from labkit.runstore import check_run_dir

    seeds = getattr(args, "seeds", 1)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise LabkitError(f"--seeds must be a whole number >= 1, got {seeds!r}")
    jobs = check_jobs(getattr(args, "jobs", 1))
    max_tasks = getattr(args, "max_tasks", None)
    if max_tasks is not None and (isinstance(max_tasks, bool) or not isinstance(max_tasks, int) or max_tasks < 0):
        raise LabkitError(f"--max-tasks must be >= 0, got {max_tasks!r}")
    out = getattr(args, "out", None) or None
    if out:
        check_run_dir(out)
    trackers = check_trackers(getattr(args, "log", None))
    scheduler = check_scheduler(getattr(args, "scheduler", None))
    opts = Options(
        prog=prog,
        out=out,
        jobs=jobs,
        max_tasks=max_tasks,
        seeds=seeds,
        scheduler=scheduler,
        trackers=trackers,
        log_uri=getattr(args, "log_uri", None),
        json=bool(getattr(args, "json", False)),
        format=getattr(args, "format", "text") or "text",
    )
    cores = os.cpu_count() or 1
    if jobs > cores and scheduler in (None, "local"):  # a remote cluster's size is its own
        opts.note(f"--jobs {jobs} clamped to {cores} (the cores of this machine)")
        opts.jobs = cores
    return opts


# --------------------------------------------------------------------------- 3. the run's identity
def is_source_key(key: str) -> bool:
    """Whether an identity key holds a data source (``source``, ``test_source``, ...), which is resolved."""
    return key == "source" or key.endswith("_source")


def identity(config: dict) -> dict:
    """`config` with its source paths resolved, so that how a path was typed does not make another run."""
    from labkit.configfile import resolve_source

    return {k: resolve_source(v) if is_source_key(k) and isinstance(v, str) else v for k, v in config.items()}


def _stored_spelling(path: Path, kind: str, config: dict) -> dict:
    """`config`, with the source spelling of the run already at `path` where it names the same data.

    Runs made before identities were resolved hold a source as it was typed (``tables/good.csv``).
    When the stored run differs from `config` only in source keys, and each stored source resolves
    here to the same path (or its config.toml, written with the resolved path, names it), the stored
    spelling is kept, so such a run still resumes.
    """
    from labkit.configfile import read_run_config, resolve_source
    from labkit.runstore import Run

    if not (path / "run.json").is_file():
        return config
    try:
        run = Run(path)
        old = run.meta.get("config") or {}
        if run.meta.get("kind") != kind or set(old) != set(config):
            return config
        try:
            recorded = read_run_config(path)[1]
        except LabkitError:
            recorded = {}
    except (LabkitError, OSError):
        return config  # Run.create says what is wrong with it
    merged = dict(config)
    for key, value in config.items():
        if old[key] == value:
            continue
        if not (is_source_key(key) and isinstance(old[key], str)):
            return config
        if value not in (resolve_source(old[key]), resolve_source(str(recorded.get(key, "")))):
            return config
        merged[key] = old[key]
    return merged


def open_job_run(job: Job, opts: Options):
    """Create the run of `job`, or reopen it to resume (its identity checked by `Run.create`)."""
    from labkit.runstore import Run, RunStore, default_root

    config = identity(job.config)
    if not opts.out and not job.default_out:
        return RunStore().create(job.kind, config, name=job.name)
    path = Path(opts.out) if opts.out else default_root() / job.default_out
    return Run.create(path, job.kind, _stored_spelling(path, job.kind, config), name=job.name)


# --------------------------------------------------------------------------- 5-7. tasks, results, status
def execute(
    run,
    job: Job,
    *,
    n_jobs: int = 1,
    max_tasks: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    note: Callable[[str], None] | None = None,
) -> Result:
    """Set up `run`, compute `job`'s pending tasks, write its results and set the run's status.

    Whatever goes wrong after the run exists (a task's error, a summary that cannot be formed)
    leaves the run "failed" with the reason; Ctrl-C or SIGTERM leaves it "interrupted". Never
    "running", except when `max_tasks` stopped it on purpose.
    """
    t0 = time.perf_counter()
    in_tasks = False  # run_tasks records its own failures (with how many tasks were done)
    try:
        if job.setup is not None:
            job.setup(run)
        on_result = None
        if job.on_result is not None:
            on_result = lambda task, result: job.on_result(run, task, result)  # noqa: E731
        in_tasks = True
        outcome = run_tasks(
            run,
            job.tasks,
            job.run_task,
            job.shared(run),
            n_jobs=n_jobs,
            progress=progress,
            max_tasks=max_tasks,
            desc=job.desc,
            on_result=on_result,
            scheduler=scheduler,
            resources=job.resources,
            note=note,
        )
        in_tasks = False
        counts = {"n_tasks": outcome.n_tasks, "n_computed": outcome.n_computed, "n_reused": outcome.n_reused}
        if not outcome.finished:
            run.set_status(
                "running",
                f"stopped after {outcome.n_done} of {outcome.n_tasks} tasks (--max-tasks); rerun to resume",
                n_done=outcome.n_done,
                **counts,
            )
            return Result(run, outcome, None, time.perf_counter() - t0)
        output = job.finish(run, outcome)
    except BaseException as err:
        if not in_tasks:
            run.set_status(*failure_status(err))
        raise
    seconds = time.perf_counter() - t0
    run.set_status(
        "finished",
        f"{outcome.n_tasks} tasks ({outcome.n_computed} computed now) in {seconds:.0f} s",
        n_done=outcome.n_tasks,
        **counts,
    )
    return Result(run, outcome, output, seconds)


# --------------------------------------------------------------------------- SIGTERM
class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C (status "interrupted", locks freed)."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(f"signal {signum}")
        self.signum = signum


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` in the main thread (the previous handler comes back)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- the whole lifecycle
def run_command(args: argparse.Namespace, plan: Callable[[Options], Job], prog: str) -> int:
    """Steps 1 to 9 of the module docstring for one command; returns the exit status.

    `plan(options) -> Job` is the command's own part: load the data and check everything, before a
    run directory exists.
    """
    from labkit.configfile import write_run_config

    with sigterm_as_interrupt():
        opts = check_options(args, prog)
        job = plan(opts)
        run = open_job_run(job, opts)
        try:
            write_run_config(run.path, args)  # the TOML that reproduces this run (labkit rerun)
        except BaseException as err:
            run.set_status(*failure_status(err))
            raise
        if not opts.json:
            opts.note(f"run {run.path}")
        try:
            result = execute(
                run,
                job,
                n_jobs=opts.jobs,
                max_tasks=opts.max_tasks,
                scheduler=opts.scheduler,
                progress=False if opts.json else None,
                note=opts.note,
            )
        except BaseException:
            _track(run, opts, quiet=True)
            raise
        outcome = result.outcome
        opts.note(
            f"{outcome.n_computed} tasks computed, {outcome.n_reused} reused from {run.path} ({outcome.n_tasks} in all)"
        )
        _track(run, opts)
        warned = sorted({str(w) for r in outcome.results if isinstance(r.get("warnings"), list) for w in r["warnings"]})
        for w in warned[:5]:
            opts.note(f"warning (in some tasks): {w}")
        _print(result, opts)
    return 0


def _track(run, opts: Options, quiet: bool = False) -> None:
    """Mirror the run to the trackers of --log; after a failure (quiet) a tracker's own error is only noted."""
    from labkit.runs.tracking import push_run

    if not opts.trackers:
        return
    try:
        for line in push_run(run, opts.trackers, opts.log_uri):
            opts.note(f"logged to {line}")
    except Exception as err:  # noqa: BLE001 - the run's own error is the one to report
        if not quiet:
            raise
        opts.note(f"could not log the failed run to {', '.join(opts.trackers)} ({type(err).__name__}: {err})")


def _print(result: Result, opts: Options) -> None:
    run, outcome = result.run, result.outcome
    if result.output is None:  # stopped by --max-tasks
        if opts.json:  # --json promises JSON on stdout, also for a run that is not finished yet
            print(
                json.dumps(
                    {"finished": False, "n_done": outcome.n_done, "n_tasks": outcome.n_tasks, "run": str(run.path)}
                )
            )
        else:
            print(
                f"{outcome.n_done} of {outcome.n_tasks} tasks done; rerun the same command to finish. Run: {run.path}"
            )
        return
    if opts.json:
        print(json.dumps(result.output.json, indent=2, default=json_default))
        return
    if opts.format in ("csv", "latex"):  # only the table(s) on stdout, ready for a file
        print(result.output.render(opts.format, True))
        return
    print(result.output.render(opts.format, False))
    print(f"Run: {run.path}  ({outcome.n_computed} of {outcome.n_tasks} tasks computed now, {result.seconds:.0f} s)")


def json_default(obj):
    """`json.dumps` for numpy values (scalars and arrays) in results."""
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


__all__ = [
    "Job",
    "add_run_arguments",
    "Options",
    "Output",
    "Result",
    "Terminated",
    "check_options",
    "execute",
    "identity",
    "is_source_key",
    "json_default",
    "open_job_run",
    "run_command",
    "sigterm_as_interrupt",
]
