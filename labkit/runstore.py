"""The run store: one directory per run, written by every experiment and read by the dashboard.

Layout of a run directory ``<root>/<run_id>/``::

    run.json                 kind, name, created, labkit version and the run's config (JSON)
    status.json              {"state": "running" | "finished" | "failed", "updated": ..., "message": ...}
    tasks/<key>.json         one finished unit of work (e.g. one augmenter × seed × fold); resumability
    tables/<name>.parquet    tables: metrics, training history, per-class recall, ...
    results/<name>.json      small JSON results (summaries, printed tables)
    reference/<space>.npz    the real samples generated ones are compared with, in one representation
                             ("space"): X_train, y_train, X_test, y_test (+ optional extra arrays)
    snapshots/<space>/iter_<iteration:07d>.npz
                             generated samples recorded at one training iteration:
                             X (n, d), y (n,), origin (n,) strings such as "noise" / "code"
    checkpoints/<name>.pt    torch state dicts (loaded with weights_only=True)
    cache/<name>.npz|json    derived data computed once per run (projections, coverage metrics)

Rules
-----
* Only JSON, Parquet, NPZ (``allow_pickle=False``) and torch state dicts loaded with
  ``weights_only=True``: never a pickle from disk, because run stores are shared between people.
* Every file is written atomically (temporary file + ``os.replace``): a killed run never leaves a
  half-written file that breaks a reader; stray ``.tmp-*`` files are ignored.
* A run is resumable: `Run.has_task` / `Run.load_task` let a runner skip finished work.
* Readers must cope with a partly written run (no status, no tables yet) and with a malformed or
  hostile one (run.json a list, ``created`` a number, status.json a string, JSON nested a million
  deep, a stray ``snapshots/<space>/iter_abc.npz``): `RunStore.list_runs` never raises for one bad
  run, it lists it with ``error`` saying why; `open_run` refuses it with a `LabkitError` naming the
  file; snapshot files whose names are not ``iter_<digits>.npz`` are ignored.
* Nothing found in a run is followed out of it: `RunStore.open` checks ids as `RunStore.create` does
  (``../elsewhere/run`` is refused), a run folder that is a symbolic link out of the store is refused
  (and listed as unreadable), and every file a `Run` reads or writes is refused with a `LabkitError`
  naming it when it, or a folder on its way, is a link out of the run directory. The threat model of
  a shared store is in ``docs/robustness.md``.
* A table pyarrow cannot read and a checkpoint torch cannot load raise a `LabkitError` naming the file.
* Per-task locks (``locks/<key>.lock``, `Run.lock_task`): two processes computing into the same run
  never compute the same task; the second one waits for the first one's result or reuses it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import socket
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labkit import __version__
from labkit.errors import LabkitError
from labkit.utils import atomic_path, write_json_atomic

DEFAULT_ROOT_ENV = "LABKIT_RUNS"
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+,@-]*$")
_SNAPSHOT_RE = re.compile(r"^iter_(\d{1,12})\.npz$")  # iter_<iteration:07d>.npz; anything else is ignored
_META_MAX_BYTES = 16 << 20  # run.json / status.json beyond this are not a labkit run's (refused, not read)


def default_root() -> Path:
    """The run store used when none is given: $LABKIT_RUNS, else ./runs."""
    return Path(os.environ.get(DEFAULT_ROOT_ENV, "runs"))


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _check_key(key: str, what: str) -> str:
    if not _KEY_RE.match(key) or ".." in key:
        raise LabkitError(
            f"invalid {what} {key!r}: use letters, digits and . _ = + , @ - (no slashes, not starting with a dot)"
        )
    return key


def _read_json(path: Path, expect: type | None = None, max_bytes: int | None = None) -> Any:
    """Parse a JSON file; `LabkitError` naming the file when it is not JSON of the `expect`ed type.

    Hostile files (a run store is shared between people) end in the same error rather than a
    traceback: deep nesting (Python's parser recursion), invalid UTF-8, a file far too large for
    what it should hold (`max_bytes`).
    """
    try:
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise LabkitError(f"{path}: {path.stat().st_size} bytes, too large for a {path.name} (at most {max_bytes})")
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except RecursionError:
        raise LabkitError(f"{path}: JSON nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
        raise LabkitError(f"{path}: not valid JSON ({err})") from None
    except IsADirectoryError:
        raise LabkitError(f"{path}: a folder, expected a JSON file") from None
    if expect is not None and not isinstance(obj, expect):
        raise LabkitError(f"{path}: expected a JSON {_json_type(expect)}, found a {_json_type(type(obj))}")
    return obj


def _json_type(t: type) -> str:
    return {
        dict: "object",
        list: "list",
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
        type(None): "null",
    }.get(t, t.__name__)


def _check_fields(path: Path, obj: dict, fields: dict[str, type]) -> dict:
    """Refuse a JSON object whose present `fields` have the wrong type (missing ones are allowed)."""
    for name, t in fields.items():
        if name in obj and not isinstance(obj[name], t):
            raise LabkitError(f"{path}: {name!r} is a {_json_type(type(obj[name]))}, expected a {_json_type(t)}")
    return obj


def check_run_dir(path: str | os.PathLike) -> Path:
    """Refuse an ``--out`` that cannot become a run directory, before any work starts.

    Accepted: a path that does not exist yet (its nearest existing parent must be a writable folder),
    an empty folder, or an existing run (run.json present; its config is compared by `Run.create`).
    Refused with a `LabkitError`: an existing file, a non-empty folder that is not a run (labkit
    would scatter run files among someone's data), a parent that is a file or is not writable.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise LabkitError(f"--out {path}: exists and is not a folder; choose a new run directory")
        if not (path / "run.json").exists() and any(path.iterdir()):
            raise LabkitError(
                f"--out {path}: a folder with other files in it, not a labkit run (no run.json); "
                "choose a new or empty run directory"
            )
        if not os.access(path, os.W_OK | os.X_OK):
            raise LabkitError(f"--out {path}: the folder is not writable")
        return path
    parent = path.parent
    while not parent.exists():
        if parent.is_symlink() or parent == parent.parent:
            break
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise LabkitError(f"--out {path}: {parent} is a file, not a folder")
    if parent.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise LabkitError(f"--out {path}: cannot create it, {parent} is not writable")
    return path


@dataclass
class RunInfo:
    """What `RunStore.list_runs` reports of one run."""

    run_id: str
    path: Path
    kind: str = ""
    name: str = ""
    created: str = ""
    state: str = "unknown"
    error: str = ""  # why the run could not be read, if it could not
    config: dict = field(default_factory=dict)


class Run:
    """One run directory. Create with `RunStore.create` (or `Run.create`), open with `RunStore.open`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.id = self.path.name

    def _inside(self, path: Path) -> Path:
        """`path` (a file of this run), refused when it or a folder on the way is a link out of the run.

        A run store is shared: a planted ``tasks -> /home/someone`` or ``run.json -> /etc/shadow``
        must not make labkit read (or write) a file outside the run. Links that stay inside the run
        directory are followed. Nothing is resolved for a path that does not exist yet beyond its
        existing folders, so writers can create new files.
        """
        if not _has_link(self.path, path):
            return path
        base = os.path.realpath(self.path)
        real = os.path.realpath(path)
        if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
            raise LabkitError(f"{path}: a symbolic link out of the run (to {real}); labkit does not follow it")
        return path

    def _folder(self, relpath: str) -> Path | None:
        """The run's folder `relpath` to list, or None when it is absent or a link out of the run
        (a planted ``reference -> /somewhere`` lists nothing rather than someone else's file names)."""
        folder = self.path / relpath
        if not folder.is_dir():
            return None
        try:
            return self._inside(folder)
        except LabkitError:
            return None

    # ---------------------------------------------------------------- creation and metadata
    @classmethod
    def create(cls, path: str | os.PathLike, kind: str, config: dict, name: str = "", exist_ok: bool = True) -> "Run":
        """Create (or, with exist_ok, reopen for resuming) a run directory.

        Reopening keeps finished tasks; if the stored config differs from `config`, a LabkitError is
        raised rather than mixing results of two different experiments in one run.
        """
        run = cls(path)
        check_run_dir(run.path)
        meta_path = run.path / "run.json"
        if meta_path.exists():
            if not exist_ok:
                raise LabkitError(f"run directory {run.path} already exists")
            old = run.meta
            if old.get("kind") == kind and _canonical(old.get("config")) == _canonical(config):
                return run
            if run.task_keys() or run.status.get("state") not in ("failed", "interrupted", "unknown"):
                raise LabkitError(
                    f"{run.path} holds a different experiment ({_difference(old, kind, config)}); "
                    "choose another --out directory or delete it"
                )
            # A failed or interrupted run with no finished task holds nothing to mix up: it takes the
            # new config (e.g. the corrected command after a typo, or a Ctrl-C before any task finished).
        try:
            run.path.mkdir(parents=True, exist_ok=True)
            write_json_atomic(
                meta_path,
                {
                    "kind": kind,
                    "name": name or run.path.name,
                    "created": _now(),
                    "labkit_version": __version__,
                    "config": config,
                },
            )
            run.set_status("running")
        except OSError as err:
            raise LabkitError(f"cannot create the run directory {run.path}: {err.strerror or err}") from None
        return run

    @property
    def meta(self) -> dict:
        """run.json, checked: an object whose kind, name and created are strings and config an object."""
        path = self._inside(self.path / "run.json")
        if not path.exists():
            raise LabkitError(f"{self.path} is not a labkit run (no run.json)")
        meta = _read_json(path, expect=dict, max_bytes=_META_MAX_BYTES)
        return _check_fields(path, meta, {"kind": str, "name": str, "created": str, "config": dict})

    @property
    def kind(self) -> str:
        return self.meta.get("kind", "")

    @property
    def config(self) -> dict:
        return self.meta.get("config", {})

    def set_status(self, state: str, message: str = "", **extra: Any) -> None:
        write_json_atomic(
            self._inside(self.path / "status.json"), {"state": state, "updated": _now(), "message": message, **extra}
        )

    @property
    def status(self) -> dict:
        """status.json, checked (an object with a text ``state``); ``{"state": "unknown"}`` when absent."""
        path = self._inside(self.path / "status.json")
        if not path.exists():
            return {"state": "unknown"}
        status = _read_json(path, expect=dict, max_bytes=_META_MAX_BYTES)
        _check_fields(path, status, {"state": str, "message": str})
        return status if "state" in status else {**status, "state": "unknown"}

    # ---------------------------------------------------------------- tasks (resumability)
    def _task_path(self, key: str) -> Path:
        return self._inside(self.path / "tasks" / f"{_check_key(key, 'task key')}.json")

    def has_task(self, key: str) -> bool:
        return self._task_path(key).exists()

    def save_task(self, key: str, result: dict) -> None:
        write_json_atomic(self._task_path(key), result)

    def load_task(self, key: str) -> dict:
        """A finished task's result; `LabkitError` naming the file when it is not a JSON object."""
        return _read_json(self._task_path(key), expect=dict)

    def task_keys(self) -> list[str]:
        folder = self._folder("tasks")
        return sorted(p.stem for p in folder.glob("*.json") if not p.name.startswith(".")) if folder else []

    def lock_task(self, key: str) -> "TaskLock | None":
        """Take the lock of task `key` without waiting: a `TaskLock` (release it), or None when held.

        The lock is ``locks/<key>.lock`` held with ``flock``: the operating system drops it when its
        holder exits or is killed, so a crashed process never leaves a task locked. On a network
        file system flock maps to POSIX locks (NFS with lockd), which hold across machines.
        """
        return TaskLock.acquire(self._inside(self.path / "locks" / f"{_check_key(key, 'task key')}.lock"))

    # ---------------------------------------------------------------- JSON results and tables
    def write_json(self, name: str, obj: Any) -> Path:
        path = self._inside(self.path / "results" / f"{_check_key(name, 'result name')}.json")
        write_json_atomic(path, obj)
        return path

    def read_json(self, name: str) -> Any:
        path = self._inside(self.path / "results" / f"{name}.json")
        if not path.exists():
            raise LabkitError(f"{self.path}: no result {name!r} yet")
        return _read_json(path)

    def has_json(self, name: str) -> bool:
        return (self.path / "results" / f"{name}.json").exists()

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        path = self._inside(self.path / "tables" / f"{_check_key(name, 'table name')}.parquet")
        with atomic_path(path) as tmp:
            df.to_parquet(tmp, index=False)
        return path

    def read_table(self, name: str) -> pd.DataFrame:
        path = self._inside(self.path / "tables" / f"{name}.parquet")
        if not path.exists():
            raise LabkitError(f"{self.path}: no table {name!r} yet")
        try:
            return pd.read_parquet(path)
        except Exception as err:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ... for a damaged file
            raise LabkitError(f"{path}: not a readable Parquet table ({type(err).__name__}: {err})") from None

    def has_table(self, name: str) -> bool:
        return (self.path / "tables" / f"{name}.parquet").exists()

    def tables(self) -> list[str]:
        folder = self._folder("tables")
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder else []

    # ---------------------------------------------------------------- NPZ arrays
    def write_npz(self, relpath: str, **arrays: np.ndarray) -> Path:
        """Write arrays to ``<run>/<relpath>.npz`` atomically (no object arrays: no pickles)."""
        path = self._inside(self.path / f"{relpath}.npz")
        clean = {}
        for k, v in arrays.items():
            a = np.asarray(v)
            if a.dtype == object:
                a = a.astype(str)
            clean[k] = a
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **clean)
        return path

    def read_npz(self, relpath: str) -> dict[str, np.ndarray]:
        path = self._inside(self.path / f"{relpath}.npz")
        if not path.exists():
            raise LabkitError(f"{self.path}: no array file {relpath}.npz")
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
            raise LabkitError(f"{path}: not a readable array file ({type(err).__name__}: {err})") from None

    # ---------------------------------------------------------------- Figure-5 style recordings
    def save_reference(self, space: str, X_train, y_train, X_test, y_test, **extra: np.ndarray) -> None:
        """The real samples, in representation `space`, that generated samples are compared with.

        X_* are (n, d) float arrays in the same representation as the snapshots of `space`;
        y_* are (n,) class labels (ints or strings). `extra` may add e.g. ``label_names``.
        """
        _check_key(space, "space")
        X_train, X_test = np.asarray(X_train, np.float32), np.asarray(X_test, np.float32)
        if X_train.ndim != 2 or X_test.ndim != 2 or X_train.shape[1] != X_test.shape[1]:
            raise ValueError(f"reference arrays must be (n, d) with one d; got {X_train.shape} and {X_test.shape}")
        self.write_npz(
            f"reference/{space}",
            X_train=X_train,
            y_train=np.asarray(y_train),
            X_test=X_test,
            y_test=np.asarray(y_test),
            **extra,
        )

    def save_snapshot(self, space: str, iteration: int, X, y, origin=None) -> None:
        """Generated samples recorded at training `iteration`, in representation `space`.

        X: (n, d) in the same representation as `save_reference(space, ...)`; y: (n,) class labels
        the generator meant (or inherited); origin: (n,) strings naming where each came from
        (e.g. "noise" for Decoder(E), "code" for Decoder(Z), "mixed" for their average).
        """
        _check_key(space, "space")
        X = np.asarray(X, np.float32)
        n = X.shape[0]
        origin = np.full(n, "generated") if origin is None else np.asarray(origin).astype(str)
        self.write_npz(
            f"snapshots/{space}/iter_{int(iteration):07d}",
            X=X,
            y=np.asarray(y),
            origin=origin,
            iteration=np.int64(iteration),
        )

    def spaces(self) -> list[str]:
        folder = self._folder("reference")
        if folder is None:
            return []
        return sorted(p.stem for p in folder.glob("*.npz") if _KEY_RE.match(p.stem) and ".." not in p.stem)

    def snapshot_iterations(self, space: str) -> list[int]:
        folder = self._folder(f"snapshots/{space}")
        if folder is None:
            return []
        found = (_SNAPSHOT_RE.match(p.name) for p in folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)  # stray files (iter_abc.npz, .tmp-*) are ignored

    def load_reference(self, space: str) -> dict[str, np.ndarray]:
        return self.read_npz(f"reference/{space}")

    def load_snapshot(self, space: str, iteration: int) -> dict[str, np.ndarray]:
        return self.read_npz(f"snapshots/{space}/iter_{int(iteration):07d}")

    def load_snapshots(self, space: str) -> pd.DataFrame | None:
        """All snapshots of `space` in one long table: iteration, origin, y, and the arrays as rows.

        Returns (table, X) joined as a DataFrame with columns iteration, origin, y and an ``X``
        column holding each row's vector; None when nothing was recorded.
        """
        its = self.snapshot_iterations(space)
        if not its:
            return None
        parts = []
        for it in its:
            snap = self.load_snapshot(space, it)
            parts.append(
                pd.DataFrame({"iteration": it, "origin": snap["origin"], "y": snap["y"], "X": list(snap["X"])})
            )
        return pd.concat(parts, ignore_index=True)

    # ---------------------------------------------------------------- checkpoints
    def checkpoint_path(self, name: str = "last") -> Path:
        return self._inside(self.path / "checkpoints" / f"{_check_key(name, 'checkpoint name')}.pt")

    def save_checkpoint(self, state: dict, name: str = "last") -> Path:
        """Save a dict of tensors / state dicts / plain numbers atomically (torch.save)."""
        import torch

        path = self.checkpoint_path(name)
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
        return path

    def load_checkpoint(self, name: str = "last", map_location="cpu") -> dict | None:
        """Load a checkpoint with ``weights_only=True`` (no arbitrary pickles); None when absent."""
        import torch

        path = self.checkpoint_path(name)
        if not path.exists():
            return None
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except Exception as err:  # noqa: BLE001 - a damaged file: RuntimeError, UnpicklingError, EOFError, ...
            reason = " ".join(str(err).split())[:200] or type(err).__name__
            raise LabkitError(
                f"{path}: not a loadable checkpoint ({type(err).__name__}: {reason}). Delete it and run the "
                "same command again: that training restarts from its beginning, finished tasks are kept"
            ) from None

    # ---------------------------------------------------------------- derived caches
    def cache_path(self, name: str) -> Path:
        return self._inside(self.path / "cache" / name)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def _has_link(base: Path, path: Path) -> bool:
    """True when `path` or a folder between `base` and it is a symbolic link (cheap: lstat only)."""
    try:
        rel = path.relative_to(base)
    except ValueError:
        return True  # not under the run at all: let the caller's realpath check decide
    p = base
    for part in rel.parts:
        p = p / part
        if p.is_symlink():
            return True
    return False


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def _difference(old: dict, kind: str, config: dict) -> str:
    """What differs between a stored run and a new one, in a few words (for the refusal message)."""
    if old.get("kind") != kind:
        return f"kind {old.get('kind')!r}, not {kind!r}"
    before = old.get("config") if isinstance(old.get("config"), dict) else {}
    keys = sorted(k for k in set(before) | set(config) if _canonical(before.get(k)) != _canonical(config.get(k)))
    shown = ", ".join(f"{k}: {_short(before.get(k))} -> {_short(config.get(k))}" for k in keys[:4])
    return f"{old.get('kind')}; config differs in {shown}{' ...' if len(keys) > 4 else ''}"


def _short(value: Any) -> str:
    text = _canonical(value)
    return text if len(text) <= 40 else text[:37] + "..."


class TaskLock:
    """An exclusive lock on one task (see `Run.lock_task`); release it once the task is saved."""

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @classmethod
    def acquire(cls, path: Path) -> "TaskLock | None":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no inter-process exclusion, one process per run
            return cls(path, -1)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # BlockingIOError: another process holds it
            os.close(fd)
            return None
        try:  # who holds it, for people looking at a stuck run
            os.ftruncate(fd, 0)
            os.write(fd, f"{socket.gethostname()} {os.getpid()} {_now()}\n".encode())
        except OSError:  # pragma: no cover - informational only
            pass
        return cls(path, fd)

    def release(self, remove: bool = False) -> None:
        """Drop the lock; `remove` deletes the lock file first (the task is saved: no one needs it)."""
        if self._fd < 0:
            return
        if remove:
            self.path.unlink(missing_ok=True)  # a waiter holding the old file re-checks has_task
        os.close(self._fd)  # closing the descriptor releases the flock
        self._fd = -1


class RunStore:
    """A folder of runs. ``RunStore("runs").list_runs()`` is what the dashboard shows."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_root()

    def create(self, kind: str, config: dict, run_id: str | None = None, name: str = "") -> Run:
        """Create a run ``<root>/<run_id>``; the default id says what ran and when."""
        if run_id is None:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            run_id = f"{kind}-{name + '-' if name else ''}{stamp}"
        _check_key(run_id, "run id")
        return Run.create(self.root / run_id, kind=kind, config=config, name=name or run_id)

    def open(self, run_id: str) -> Run:
        """The run ``<root>/<run_id>``: the id is checked as `create` checks it (``../elsewhere/run``,
        ``/abs/path`` and ``.hidden`` are refused), and a run folder that is a link out of the store
        is refused too."""
        _check_key(run_id, "run id")
        run = Run(self.root / run_id)
        self._check_inside(run.path)
        if not (run.path / "run.json").exists():
            raise LabkitError(f"no run {run_id!r} in {self.root}")
        return run

    def _check_inside(self, path: Path) -> None:
        """Refuse a run folder of the store that is a symbolic link to somewhere outside the store."""
        if not path.is_symlink():
            return
        root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        if not real.startswith(root.rstrip(os.sep) + os.sep):
            raise LabkitError(f"{path}: a symbolic link out of the run store (to {real}); labkit does not follow it")

    def list_runs(self, kind: str | None = None) -> list[RunInfo]:
        """Every run in the store, newest first. A run that cannot be read is listed with `error` set.

        Never raises for one bad run (whatever its files hold); raises `LabkitError` only when the
        store itself is not a folder.
        """
        if not self.root.exists():
            return []
        if not self.root.is_dir():
            raise LabkitError(f"run store {self.root} is a file, not a folder")
        infos = []
        for d in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            info = RunInfo(run_id=d.name, path=d)
            try:
                self._check_inside(d)
                run = Run(d)
                meta = run.meta
                info.kind, info.name = meta.get("kind", ""), meta.get("name", d.name)
                info.created, info.config = meta.get("created", ""), meta.get("config", {})
                info.state = run.status["state"]
            except Exception as err:  # noqa: BLE001 - one bad run is reported, never fatal
                info.error = str(err) if isinstance(err, LabkitError) else f"{type(err).__name__}: {err}"
                info.kind = info.kind if isinstance(info.kind, str) else ""
                info.created = info.created if isinstance(info.created, str) else ""
                info.state = "unreadable"
            if kind is None or info.kind == kind:
                infos.append(info)
        infos.sort(key=lambda i: i.created, reverse=True)
        return infos


def open_run(path: str | os.PathLike) -> Run:
    """Open a run by its directory path (what `labkit compare --out` and friends were given)."""
    run = Run(path)
    if not (run.path / "run.json").exists():
        raise LabkitError(f"{run.path} is not a labkit run directory (no run.json)")
    run.meta  # a malformed run.json is refused here, naming the file, rather than deep inside a command
    run.status
    return run
