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
* Readers must cope with a partly written run (no status, no tables yet): `RunStore.list_runs` never
  raises for one broken run, it reports it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
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


def _read_json(path: Path) -> Any:
    with open(path) as f:
        return json.load(f)


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

    # ---------------------------------------------------------------- creation and metadata
    @classmethod
    def create(cls, path: str | os.PathLike, kind: str, config: dict, name: str = "", exist_ok: bool = True) -> "Run":
        """Create (or, with exist_ok, reopen for resuming) a run directory.

        Reopening keeps finished tasks; if the stored config differs from `config`, a LabkitError is
        raised rather than mixing results of two different experiments in one run.
        """
        run = cls(path)
        meta_path = run.path / "run.json"
        if meta_path.exists():
            if not exist_ok:
                raise LabkitError(f"run directory {run.path} already exists")
            old = _read_json(meta_path)
            if old.get("kind") != kind or _canonical(old.get("config")) != _canonical(config):
                raise LabkitError(
                    f"{run.path} holds a different experiment ({old.get('kind')}, config differs); "
                    "choose another --out directory or delete it"
                )
            return run
        run.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            meta_path,
            {"kind": kind, "name": name or run.path.name, "created": _now(), "labkit_version": __version__,
             "config": config},
        )
        run.set_status("running")
        return run

    @property
    def meta(self) -> dict:
        path = self.path / "run.json"
        if not path.exists():
            raise LabkitError(f"{self.path} is not a labkit run (no run.json)")
        return _read_json(path)

    @property
    def kind(self) -> str:
        return self.meta.get("kind", "")

    @property
    def config(self) -> dict:
        return self.meta.get("config", {})

    def set_status(self, state: str, message: str = "", **extra: Any) -> None:
        write_json_atomic(self.path / "status.json", {"state": state, "updated": _now(), "message": message, **extra})

    @property
    def status(self) -> dict:
        path = self.path / "status.json"
        return _read_json(path) if path.exists() else {"state": "unknown"}

    # ---------------------------------------------------------------- tasks (resumability)
    def _task_path(self, key: str) -> Path:
        return self.path / "tasks" / f"{_check_key(key, 'task key')}.json"

    def has_task(self, key: str) -> bool:
        return self._task_path(key).exists()

    def save_task(self, key: str, result: dict) -> None:
        write_json_atomic(self._task_path(key), result)

    def load_task(self, key: str) -> dict:
        return _read_json(self._task_path(key))

    def task_keys(self) -> list[str]:
        folder = self.path / "tasks"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []

    # ---------------------------------------------------------------- JSON results and tables
    def write_json(self, name: str, obj: Any) -> Path:
        path = self.path / "results" / f"{_check_key(name, 'result name')}.json"
        write_json_atomic(path, obj)
        return path

    def read_json(self, name: str) -> Any:
        path = self.path / "results" / f"{name}.json"
        if not path.exists():
            raise LabkitError(f"{self.path}: no result {name!r} yet")
        return _read_json(path)

    def has_json(self, name: str) -> bool:
        return (self.path / "results" / f"{name}.json").exists()

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        path = self.path / "tables" / f"{_check_key(name, 'table name')}.parquet"
        with atomic_path(path) as tmp:
            df.to_parquet(tmp, index=False)
        return path

    def read_table(self, name: str) -> pd.DataFrame:
        path = self.path / "tables" / f"{name}.parquet"
        if not path.exists():
            raise LabkitError(f"{self.path}: no table {name!r} yet")
        return pd.read_parquet(path)

    def has_table(self, name: str) -> bool:
        return (self.path / "tables" / f"{name}.parquet").exists()

    def tables(self) -> list[str]:
        folder = self.path / "tables"
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []

    # ---------------------------------------------------------------- NPZ arrays
    def write_npz(self, relpath: str, **arrays: np.ndarray) -> Path:
        """Write arrays to ``<run>/<relpath>.npz`` atomically (no object arrays: no pickles)."""
        path = self.path / f"{relpath}.npz"
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
        path = self.path / f"{relpath}.npz"
        if not path.exists():
            raise LabkitError(f"{self.path}: no array file {relpath}.npz")
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

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
        self.write_npz(f"reference/{space}", X_train=X_train, y_train=np.asarray(y_train),
                       X_test=X_test, y_test=np.asarray(y_test), **extra)

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
        self.write_npz(f"snapshots/{space}/iter_{int(iteration):07d}", X=X, y=np.asarray(y), origin=origin,
                       iteration=np.int64(iteration))

    def spaces(self) -> list[str]:
        folder = self.path / "reference"
        return sorted(p.stem for p in folder.glob("*.npz")) if folder.exists() else []

    def snapshot_iterations(self, space: str) -> list[int]:
        folder = self.path / "snapshots" / space
        if not folder.exists():
            return []
        return sorted(int(p.stem.split("_")[1]) for p in folder.glob("iter_*.npz"))

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
            parts.append(pd.DataFrame({"iteration": it, "origin": snap["origin"], "y": snap["y"],
                                       "X": list(snap["X"])}))
        return pd.concat(parts, ignore_index=True)

    # ---------------------------------------------------------------- checkpoints
    def checkpoint_path(self, name: str = "last") -> Path:
        return self.path / "checkpoints" / f"{_check_key(name, 'checkpoint name')}.pt"

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
        return torch.load(path, map_location=map_location, weights_only=True)

    # ---------------------------------------------------------------- derived caches
    def cache_path(self, name: str) -> Path:
        return self.path / "cache" / name

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


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
        run = Run(self.root / run_id)
        if not (run.path / "run.json").exists():
            raise LabkitError(f"no run {run_id!r} in {self.root}")
        return run

    def list_runs(self, kind: str | None = None) -> list[RunInfo]:
        """Every run in the store, newest first. A run that cannot be read is listed with `error` set."""
        if not self.root.exists():
            return []
        infos = []
        for d in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            info = RunInfo(run_id=d.name, path=d)
            try:
                run = Run(d)
                meta = run.meta
                info.kind, info.name = meta.get("kind", ""), meta.get("name", d.name)
                info.created, info.config = meta.get("created", ""), meta.get("config", {})
                info.state = run.status.get("state", "unknown")
            except (LabkitError, OSError, ValueError) as err:
                info.error = str(err)
            if kind is None or info.kind == kind:
                infos.append(info)
        infos.sort(key=lambda i: i.created, reverse=True)
        return infos


def open_run(path: str | os.PathLike) -> Run:
    """Open a run by its directory path (what `labkit compare --out` and friends were given)."""
    run = Run(path)
    if not (run.path / "run.json").exists():
        raise LabkitError(f"{run.path} is not a labkit run directory (no run.json)")
    return run
