"""The one resume loop: run the pending tasks of a plan, save each one as it finishes.

Every experiment in labkit (the augmenter comparison, every ``labkit reproduce`` table) is a list of
*tasks*: plain dicts with a unique ``"key"`` (letters, digits and ``. _ = + , @ -``) and whatever
parameters the task needs (configuration, seed, fold, amount, ...). A task is computed by a
module-level function ``fn(task, *shared) -> dict`` whose result is JSON-able; `run_tasks`

1. skips every task whose ``tasks/<key>.json`` is already in the run (a killed run resumes, a finished
   one recomputes nothing),
2. runs the rest through joblib (``n_jobs`` workers, results in completion order),
3. saves each result at once with `Run.save_task` (atomic: a kill loses only the tasks in flight),
4. keeps ``status.json`` up to date (running / failed with the reason), and
5. returns the results of every finished task in plan order.

``fn`` and ``shared`` must be picklable when ``n_jobs > 1`` (joblib sends them to worker processes;
a cluster backend would do the same). With ``n_jobs=1`` everything runs in this process, which is
what model trainers with their own progress bars want.

This is the only place in labkit that decides which work is pending; the comparison runner and the
reproduction framework (`labkit.experiment.reproduce`) both call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from labkit.errors import LabkitError


@dataclass
class TaskOutcome:
    """What `run_tasks` returns."""

    results: list[dict]  # results of every finished task, in plan order (the pending ones are missing)
    n_tasks: int  # tasks in the plan
    n_computed: int  # tasks computed by this call
    n_reused: int  # tasks found finished in the run store
    finished: bool = True  # False when max_tasks stopped the loop before the plan was done
    missing: list[str] = field(default_factory=list)  # keys of the tasks still pending

    @property
    def n_done(self) -> int:
        return len(self.results)


def check_plan(tasks: list[dict]) -> None:
    """Refuse a plan whose tasks lack a key or repeat one (two tasks would overwrite one file)."""
    seen: set[str] = set()
    for t in tasks:
        key = t.get("key") if isinstance(t, dict) else None
        if not key:
            raise LabkitError(f"every task needs a 'key'; got {t!r}")
        if key in seen:
            raise LabkitError(f"two tasks share the key {key!r}; task keys must be unique within a run")
        seen.add(key)


def run_tasks(run, tasks: list[dict], fn: Callable[..., dict], shared: tuple = (), *, n_jobs: int = 1,
              progress: bool | None = None, max_tasks: int | None = None, desc: str = "tasks",
              on_result: Callable[[dict, dict], None] | None = None) -> TaskOutcome:
    """Compute the pending tasks of `tasks` into `run` and return every finished result.

    Parameters
    ----------
    run : labkit.runstore.Run
        The run directory; ``tasks/<key>.json`` marks a finished task.
    tasks : list of dict
        The plan, each with a unique ``"key"``; order is the order results come back in.
    fn : callable ``fn(task, *shared) -> dict``
        Computes one task; a module-level function (picklable) when ``n_jobs > 1``.
    shared : tuple
        Arguments every task gets after the task itself (data, configuration, the run path, ...).
    n_jobs : int
        joblib workers; 1 runs in this process.
    progress : bool or None
        Show a progress bar over tasks (None: unless LABKIT_QUIET=1).
    max_tasks : int or None
        Compute at most this many pending tasks, then return with ``finished=False`` (tests of
        resuming use it; so can a user who wants to stop after a budget).
    desc : str
        The progress bar's label.
    on_result : callable ``on_result(task, result)`` or None
        Called in this process after each result is saved (e.g. to clean up a task's checkpoint).

    Raises
    ------
    Whatever `fn` raises; the run's status is set to "failed" with the reason first, and the tasks
    finished before the failure stay saved.
    """
    from joblib import Parallel, delayed

    from labkit.utils import progress as progress_bar

    if n_jobs is None or n_jobs == 0 or n_jobs < -1:
        raise LabkitError(f"n_jobs must be a positive number of workers or -1 (all cores), got {n_jobs}")
    check_plan(tasks)
    by_key = {t["key"]: t for t in tasks}
    pending = [t for t in tasks if not run.has_task(t["key"])]
    n_reused = len(tasks) - len(pending)
    if max_tasks is not None:
        pending = pending[:max(0, int(max_tasks))]
    run.set_status("running", f"{len(pending)} of {len(tasks)} tasks to compute", n_tasks=len(tasks),
                   n_done=n_reused)

    n_computed = 0
    if pending:
        jobs = (delayed(_keyed)(fn, t, shared) for t in pending)
        try:
            with Parallel(n_jobs=n_jobs, return_as="generator_unordered") as parallel:
                bar = progress_bar(parallel(jobs), total=len(pending), desc=desc,
                                   disable=None if progress is None else not progress)
                for key, result in bar:
                    run.save_task(key, result)  # saved at once: a kill loses only tasks in flight
                    n_computed += 1
                    if on_result is not None:
                        on_result(by_key[key], result)
                    run.set_status("running", f"{n_reused + n_computed} of {len(tasks)} tasks done",
                                   n_tasks=len(tasks), n_done=n_reused + n_computed)
        except BaseException as err:
            reason = "interrupted" if isinstance(err, KeyboardInterrupt) else f"{type(err).__name__}: {err}"
            run.set_status("failed", f"{reason} ({n_reused + n_computed} of {len(tasks)} tasks done; "
                                     "rerun the same command to resume)",
                           n_tasks=len(tasks), n_done=n_reused + n_computed)
            raise

    results, missing = [], []
    for t in tasks:
        if run.has_task(t["key"]):
            results.append(run.load_task(t["key"]))
        else:
            missing.append(t["key"])
    return TaskOutcome(results, len(tasks), n_computed, n_reused, finished=not missing, missing=missing)


def _keyed(fn: Callable[..., dict], task: dict, shared: tuple) -> tuple[str, dict]:
    """Run one task and return (key, result), so unordered results can be matched to their task."""
    result = fn(task, *shared)
    if not isinstance(result, dict):
        raise LabkitError(f"task {task['key']!r} returned {type(result).__name__}, not a dict")
    return task["key"], result


__all__ = ["TaskOutcome", "check_plan", "run_tasks"]
