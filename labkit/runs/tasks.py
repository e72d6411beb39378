"""The one resume loop: run the pending tasks of a plan, save each one as it finishes.

Every experiment in labkit (the augmenter comparison, every ``labkit reproduce`` table) is a list of
*tasks*: plain dicts with a unique ``"key"`` (letters, digits and ``. _ = + , @ -``) and whatever
parameters the task needs (configuration, seed, fold, amount, ...). A task is computed by a
module-level function ``fn(task, *shared) -> dict`` whose result is JSON-able; `run_tasks`

1. skips every task whose ``tasks/<key>.json`` is already in the run and readable (a killed run
   resumes, a finished one recomputes nothing; a damaged task file is computed again),
2. takes each remaining task's lock (``locks/<key>.lock``, `labkit.runstore.Run.lock_task`) just
   before handing it out, so a second process computing into the same run skips the tasks the
   first one holds and, at the end, waits for their results (or computes a task itself when its
   holder died: the operating system drops a dead process's locks),
3. runs the tasks it holds on a *backend*: in this process (``n_jobs=1``), on joblib worker
   processes (``n_jobs > 1``) or on a Dask cluster (``scheduler=``), results in completion order,
4. saves each result at once with `Run.save_task` (atomic: a kill loses only the tasks in flight),
5. keeps ``status.json`` up to date (running / failed with the reason), and
6. returns the results of every finished task in plan order.

``fn`` and ``shared`` must be picklable when ``n_jobs > 1`` or on a cluster (they travel to worker
processes). With ``n_jobs=1`` and no scheduler everything runs in this process, which is what model
trainers with their own progress bars want.

Dask
----
``scheduler="local"`` starts a `distributed.LocalCluster` on this machine (``n_jobs`` single-threaded
worker processes, -1 = one per core); ``scheduler="tcp://host:8786"`` (or ``host:8786``) uses a
running ``dask scheduler`` with its workers. ``shared`` is scattered to the workers once (not once
per task); each task is one ``client.submit``; results come back with ``as_completed`` and are saved
here, in the calling process, exactly as with joblib, so the run directory only needs to be on a file
system the *calling* machine can write (a task that writes files of its own, such as a trainer's
checkpoints, needs the run directory on a file system the workers share). When a worker dies, the
scheduler hands its tasks to another worker; finished tasks are already saved. ``resources`` (e.g.
``{"GPU": 1}`` for tasks that train a model) are requested only when some worker of the cluster
offers them (``dask worker ... --resources GPU=1``), so the same command runs on a CPU-only cluster.

This is the only place in labkit that decides which work is pending; the one run lifecycle
(`labkit.runs.lifecycle`, behind ``labkit compare`` and ``labkit reproduce``) calls it.

Workers
-------
``n_jobs`` is clamped to the pending tasks and this machine's cores (-1 = every core): three tasks
never start a hundred thousand workers. `note` hears the clamp, so the lifecycle can print it.

Interruptions
-------------
A ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM turned into one by `labkit.runs.lifecycle`) leaves the run
"interrupted", any other error "failed" with the reason (`failure_status`); either way every lock this
process holds is released and the finished tasks stay saved.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from labkit.errors import LabkitError

POLL_SECONDS = 0.5  # how often a process waiting for another one's tasks looks again


@dataclass
class TaskOutcome:
    """What `run_tasks` returns."""

    results: list[dict]  # results of every finished task, in plan order (the pending ones are missing)
    n_tasks: int  # tasks in the plan
    n_computed: int  # tasks computed by this call
    n_reused: int  # tasks found finished in the run store (also those another process finished meanwhile)
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


def check_jobs(n_jobs) -> int:
    """`n_jobs` as an int: a positive number of workers or -1 (all cores); `LabkitError` otherwise."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise LabkitError(f"--jobs must be a positive number of workers or -1 (all cores), got {n_jobs}")
    return n_jobs


def failure_status(err: BaseException, done: str = "") -> tuple[str, str]:
    """(state, message) of a run stopped by `err`: "interrupted" for Ctrl-C / SIGTERM, else "failed" with the reason.

    `done` (e.g. "3 of 10 tasks done") is added to the message with how to resume.
    """
    if isinstance(err, KeyboardInterrupt):
        state, reason = "interrupted", "interrupted"
    else:
        state, reason = "failed", f"{type(err).__name__}: {err}"
    return state, (f"{reason} ({done}; rerun the same command to resume)" if done else reason)


def worker_count(n_jobs: int, n_pending: int) -> int:
    """Worker processes for `n_pending` tasks: `n_jobs` (-1 = every core), at most one per core and per pending task."""

    cores = os.cpu_count() or 1
    wanted = cores if n_jobs == -1 else n_jobs
    return max(1, min(wanted, cores, n_pending))


def run_tasks(
    run,
    tasks: list[dict],
    fn: Callable[..., dict],
    shared: tuple = (),
    *,
    n_jobs: int = 1,
    progress: bool | None = None,
    max_tasks: int | None = None,
    desc: str = "tasks",
    on_result: Callable[[dict, dict], None] | None = None,
    scheduler: Any = None,
    resources: dict | None = None,
    note: Callable[[str], None] | None = None,
) -> TaskOutcome:
    """Compute the pending tasks of `tasks` into `run` and return every finished result.

    Parameters
    ----------
    run : labkit.runstore.Run
        The run directory; ``tasks/<key>.json`` marks a finished task.
    tasks : list of dict
        The plan, each with a unique ``"key"``; order is the order results come back in.
    fn : callable ``fn(task, *shared) -> dict``
        Computes one task; a module-level function (picklable) when ``n_jobs > 1`` or on a cluster.
    shared : tuple
        Arguments every task gets after the task itself (data, configuration, the run path, ...).
    n_jobs : int
        joblib workers (1 runs in this process); with ``scheduler="local"`` the LocalCluster's workers.
    progress : bool or None
        Show a progress bar over tasks (None: unless LABKIT_QUIET=1).
    max_tasks : int or None
        Compute at most this many pending tasks, then return with ``finished=False`` (tests of
        resuming use it; so can a user who wants to stop after a budget).
    desc : str
        The progress bar's label.
    on_result : callable ``on_result(task, result)`` or None
        Called in this process after each result is saved (e.g. to clean up a task's checkpoint).
    scheduler : None, "local", an address such as "tcp://10.0.0.5:8786", or a distributed.Client
        Run the tasks on Dask instead of joblib (see the module docstring).
    resources : dict or None
        Dask worker resources each task needs, e.g. ``{"GPU": 1}``; ignored without a scheduler and
        when no worker offers them.
    note : callable ``note(message)`` or None
        Hears what the user should know, such as ``n_jobs`` clamped to the pending tasks.

    Raises
    ------
    Whatever `fn` raises; the run's status is set first ("failed" with the reason, or "interrupted";
    `failure_status`), the tasks finished before stay saved and every lock taken is released.
    """
    from labkit.utils import progress as progress_bar

    n_jobs = check_jobs(n_jobs)
    check_plan(tasks)
    by_key = {t["key"]: t for t in tasks}
    done: dict[str, dict] = {}
    pending = []
    for t in tasks:
        result = _load_result(run, t["key"])
        if result is None:
            pending.append(t)
        else:
            done[t["key"]] = result
    n_reused = len(done)
    if max_tasks is not None:
        pending = pending[: max(0, int(max_tasks))]
    run.set_status("running", f"{len(pending)} of {len(tasks)} tasks to compute", n_tasks=len(tasks), n_done=n_reused)

    n_computed = 0
    if pending and scheduler is None and n_jobs != 1:
        workers = worker_count(n_jobs, len(pending))
        if n_jobs > workers and note is not None:  # -1 asked for "as many as useful": no note
            note(f"--jobs {n_jobs} clamped to {workers} ({len(pending)} pending tasks, {os.cpu_count() or 1} cores)")
        n_jobs = workers
    if pending:
        locks: dict[str, Any] = {}
        bar = progress_bar(total=len(pending), desc=desc, disable=None if progress is None else not progress)
        try:
            waiting = pending
            while waiting:
                busy: list[dict] = []

                def claim(todo=waiting, busy=busy) -> Iterator[dict]:
                    """The tasks of `todo` this process holds the lock of (lazily: only as workers free up)."""
                    for t in todo:
                        key = t["key"]
                        lock = run.lock_task(key)
                        if lock is None:  # another process is computing it
                            busy.append(t)
                            continue
                        late = _load_result(run, key)
                        if late is not None:  # another process finished it since we looked
                            lock.release(remove=True)
                            done[key] = late
                            bar.update(1)
                            continue
                        locks[key] = lock
                        yield t

                for key, result in _backend(claim(), fn, shared, n_jobs, scheduler, resources):
                    run.save_task(key, result)  # saved at once: a kill loses only tasks in flight
                    locks.pop(key).release(remove=True)
                    done[key] = result
                    n_computed += 1
                    bar.update(1)
                    if on_result is not None:
                        on_result(by_key[key], result)
                    run.set_status(
                        "running", f"{len(done)} of {len(tasks)} tasks done", n_tasks=len(tasks), n_done=len(done)
                    )
                waiting = []
                for t in busy:
                    late = _load_result(run, t["key"])
                    if late is None:
                        waiting.append(t)
                    else:
                        done[t["key"]] = late
                        bar.update(1)
                if waiting:  # held by another process: wait for its results, or for its locks to free
                    run.set_status(
                        "running",
                        f"{len(done)} of {len(tasks)} tasks done; waiting for "
                        f"{len(waiting)} that another process is computing",
                        n_tasks=len(tasks),
                        n_done=len(done),
                    )
                    time.sleep(POLL_SECONDS)
        except BaseException as err:
            state, message = failure_status(err, f"{len(done)} of {len(tasks)} tasks done")
            run.set_status(state, message, n_tasks=len(tasks), n_done=len(done))
            raise
        finally:
            for lock in locks.values():  # tasks in flight when a failure stopped the loop
                lock.release(remove=True)
            bar.close()
            try:
                (run.path / "locks").rmdir()  # only when empty: another process may hold locks there
            except OSError:
                pass

    results, missing = [], []
    for t in tasks:
        result = done.get(t["key"])
        if result is None:
            result = _load_result(run, t["key"])  # finished by another process after our last look
        if result is None:
            missing.append(t["key"])
        else:
            results.append(result)
    n_reused = len(results) - n_computed
    return TaskOutcome(results, len(tasks), n_computed, n_reused, finished=not missing, missing=missing)


def _load_result(run, key: str) -> dict | None:
    """The saved result of `key`, or None when there is none or its file is damaged (computed again)."""
    if not run.has_task(key):
        return None
    from labkit.experiment.metrics import check_task_result

    try:  # a stored result is range-checked and re-scored from its predictions before it is reused
        return check_task_result(run.load_task(key), f"{run.path}/tasks/{key}.json")
    except (LabkitError, OSError) as err:
        warnings.warn(f"{err}; the task is computed again", stacklevel=3)
        return None


def _keyed(fn: Callable[..., dict], task: dict, shared: tuple) -> tuple[str, dict]:
    """Run one task and return (key, result), so unordered results can be matched to their task."""
    result = fn(task, *shared)
    if not isinstance(result, dict):
        raise LabkitError(f"task {task['key']!r} returned {type(result).__name__}, not a dict")
    return task["key"], result


# --------------------------------------------------------------------------- backends
def _backend(todo: Iterable[dict], fn, shared: tuple, n_jobs: int, scheduler, resources) -> Iterator[tuple[str, dict]]:
    """(key, result) pairs of the tasks of `todo`, in completion order, on the chosen backend."""
    if scheduler is None:
        yield from _joblib_backend(todo, fn, shared, n_jobs)
    else:
        yield from _dask_backend(todo, fn, shared, get_client(scheduler, n_jobs), resources)


def _joblib_backend(todo: Iterable[dict], fn, shared: tuple, n_jobs: int) -> Iterator[tuple[str, dict]]:
    from joblib import Parallel, delayed

    if n_jobs == 1:  # in this process, one task at a time (trainers with their own progress bars)
        for t in todo:
            yield _keyed(fn, t, shared)
        return
    with Parallel(n_jobs=n_jobs, return_as="generator_unordered") as parallel:
        yield from parallel(delayed(_keyed)(fn, t, shared) for t in todo)


def _dask_backend(todo: Iterable[dict], fn, shared: tuple, client, resources) -> Iterator[tuple[str, dict]]:
    """Submit tasks to a Dask cluster, at most a few per worker thread ahead, and yield as they finish."""
    from distributed import as_completed

    todo = iter(todo)
    # One future holds the shared arguments on every worker: scattered once, not once per task (a
    # list around the tuple, because scatter would unpack a bare dict or list into many futures).
    [shared_future] = client.scatter([shared], broadcast=True, hash=False)
    wanted = _offered_resources(client, resources)
    window = max(4, 2 * _total_threads(client))  # in flight at once: keeps the locks held few

    def submit_next(ac) -> bool:
        t = next(todo, None)
        if t is None:
            return False
        ac.add(
            client.submit(
                _keyed,
                fn,
                t,
                shared_future,
                key=f"labkit-{t['key']}-{time.monotonic_ns()}",
                pure=False,
                resources=wanted,
            )
        )
        return True

    ac = as_completed()
    try:
        for _ in range(window):
            if not submit_next(ac):
                break
        for future in ac:
            key, result = future.result()  # re-raises the task's own exception here
            future.release()
            submit_next(ac)
            yield key, result
    finally:
        for future in list(ac.futures):
            future.cancel()
        shared_future.release()


def _total_threads(client) -> int:
    workers = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


def _offered_resources(client, resources: dict | None) -> dict | None:
    """`resources` when some worker offers all of them, else None (tasks then run on any worker)."""
    if not resources:
        return None
    for w in client.scheduler_info().get("workers", {}).values():
        offered = w.get("resources") or {}
        if all(offered.get(name, 0) >= amount for name, amount in resources.items()):
            return dict(resources)
    return None


# --------------------------------------------------------------------------- Dask clients
_ADDRESS_RE = re.compile(r"^(?:(tcp|tls|ucx|inproc|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")
_CLIENTS: dict[tuple, Any] = {}  # one client (and LocalCluster) per scheduler and process, closed at exit


def check_scheduler(scheduler: str | None, connect: bool = True) -> str | None:
    """Validate a ``--scheduler`` value before a run starts: None, "local" or a reachable address.

    `connect` also opens the connection (cached for the run that follows), so an unreachable
    scheduler is a `LabkitError` before any run directory exists.
    """
    if scheduler is None:
        return None
    spec = str(scheduler).strip()
    if spec != "local" and not _ADDRESS_RE.match(spec):
        raise LabkitError(
            f"--scheduler {scheduler!r}: use 'local' or a Dask scheduler address such as tcp://10.0.0.5:8786"
        )
    try:
        import distributed  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency of labkit
        raise LabkitError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    if connect and spec != "local":
        get_client(spec, 1)
    return spec


def get_client(scheduler: Any, n_jobs: int = -1):
    """A `distributed.Client` for `scheduler` ("local", an address, or a Client, returned as is)."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler
    spec = str(scheduler)
    if spec == "local":
        cores = os.cpu_count() or 1
        n_workers = cores if n_jobs == -1 else min(int(n_jobs), cores)  # never more workers than cores
        cache_key = ("local", n_workers)
        if cache_key not in _CLIENTS or _CLIENTS[cache_key].status != "running":
            from distributed import LocalCluster

            # silence_logs: Dask's shutdown chatter ("worker still alive, killing") is not the user's business
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            _CLIENTS[cache_key] = Client(cluster)
        return _CLIENTS[cache_key]
    address = spec if "://" in spec else f"tcp://{spec}"
    try:  # a client this process already holds for that scheduler (e.g. opened by the caller) is reused
        current = Client.current(allow_global=True)
        if current.status == "running" and current.scheduler.address == address:
            return current
    except ValueError:
        pass
    cache_key = ("address", address)
    if cache_key not in _CLIENTS or _CLIENTS[cache_key].status != "running":
        try:
            _CLIENTS[cache_key] = Client(address, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise LabkitError(f"--scheduler {spec}: cannot reach a Dask scheduler there ({err})") from None
    return _CLIENTS[cache_key]


@contextmanager
def joblib_on(scheduler: Any, n_jobs: int = -1):
    """Route joblib calls inside the block (e.g. feature extraction) to the Dask cluster, if any."""
    if scheduler is None:
        yield
        return
    from joblib import parallel_config

    get_client(scheduler, n_jobs)  # the dask backend uses the current (most recent) client
    with parallel_config(backend="dask"):
        yield


@atexit.register
def _close_clients() -> None:  # pragma: no cover - process exit
    for client in _CLIENTS.values():
        cluster = getattr(client, "cluster", None)
        try:
            client.close()
            if cluster is not None:
                cluster.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    _CLIENTS.clear()


__all__ = [
    "TaskOutcome",
    "check_jobs",
    "check_plan",
    "check_scheduler",
    "failure_status",
    "get_client",
    "joblib_on",
    "run_tasks",
    "worker_count",
]
