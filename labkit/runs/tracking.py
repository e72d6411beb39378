"""Experiment-tracker logging: a labkit run, pushed to a local MLflow store or TensorBoard event files.

    labkit compare synthetic --augmenters none,smote --log mlflow            # runs/mlflow.db
    labkit reproduce aaec-train synthetic --log tensorboard,mlflow          # both
    mlflow ui --backend-store-uri sqlite:///runs/mlflow.db ; tensorboard --logdir runs/tensorboard

Design: the run store stays the one place experiments write to; a tracker is a *mirror* of it.
After a command has run (finished, stopped by ``--max-tasks`` or failed), `push_run` reads the run
directory and sends what the tracker has not seen yet, so pushing twice sends nothing twice and a
resumed run continues its tracker run:

* parameters: ``run.json``'s config, flattened (``protocol_params.train_corpus``), with kind and name;
* training curves: every ``history*`` table (``history``, ``history-<augmenter>``,
  ``history_<task>``), each numeric column a metric ``<table>/<column>`` at step ``iteration``;
* coverage per iteration: for runs that recorded generated samples (``reference/<space>``), the
  metrics of `labkit.metrics.coverage.coverage_for_run` as ``coverage-<space>/<metric>``;
* final scores, once the run is finished: the ``summary`` table, ``<row>/<metric>`` (the mean) with
  ``_ci_low`` / ``_ci_high`` beside it; MLflow also gets ``config.toml``, ``run.json`` and
  ``results/*.json`` as artifacts and the run's state (FINISHED / FAILED / KILLED / RUNNING).

What was sent is remembered in ``<run>/cache/tracking-<tracker>-<hash of the destination>.json``.

Where it goes (``--log-uri``): MLflow, a tracking URI (default: ``$MLFLOW_TRACKING_URI``, else
``sqlite:///<run store>/mlflow.db``, a local database beside the run directories; MLflow 3 keeps
the old ``./mlruns`` folder store only in maintenance mode), one MLflow experiment per run kind
(``labkit-compare``, ``labkit-aaec-table1``, ...); TensorBoard, a folder (default
``<run store>/tensorboard``) with one sub-folder per run. Both are optional extras:
``pip install 'labkit[mlflow]'`` / ``'labkit[tensorboard]'``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import time
from pathlib import Path

import pandas as pd

from labkit.errors import LabkitError

TRACKERS = ("mlflow", "tensorboard")
_EXTRA = {"mlflow": ("mlflow", "mlflow"), "tensorboard": ("tensorboard", "tensorboard")}  # import, pip extra


def add_log_arguments(parser: argparse.ArgumentParser) -> None:
    """``--log mlflow|tensorboard`` and ``--log-uri`` on an experiment command."""
    parser.add_argument(
        "--log",
        default=None,
        metavar="mlflow|tensorboard",
        help="also send training losses, per-iteration coverage metrics and final scores to MLflow "
        "and/or TensorBoard (comma-separated); optional extras: pip install 'labkit[mlflow]'",
    )
    parser.add_argument(
        "--log-uri",
        default=None,
        metavar="URI|DIR",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///<run store>/mlflow.db)"
        " or TensorBoard folder (default: <run store>/tensorboard)",
    )


def check_trackers(text: str | None) -> list[str]:
    """The trackers named in ``--log`` (LabkitError for an unknown one or one not installed)."""
    if not text:
        return []
    names = [t.strip().lower() for t in str(text).split(",") if t.strip()]
    for name in names:
        if name not in TRACKERS:
            raise LabkitError(f"--log {name!r}: choose from {', '.join(TRACKERS)}")
        module, extra = _EXTRA[name]
        try:
            __import__(module)
        except ImportError:
            raise LabkitError(f"--log {name}: {module} is not installed; pip install 'labkit[{extra}]'") from None
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- what a run holds
def _key(text: str) -> str:
    """A metric or parameter name both trackers accept (letters, digits, _ - . / and spaces)."""
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", str(text).replace("'", "-prime").replace("+", "-plus-"))


def _flatten(obj, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        text = json.dumps(obj, default=str) if not isinstance(obj, str) else obj
        out[_key(prefix)] = text[:500]
    return out


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def curves(run) -> dict[str, list[tuple[int, float]]]:
    """{metric: [(step, value), ...]} from the run's history tables and coverage per iteration."""
    out: dict[str, list[tuple[int, float]]] = {}
    for name in run.tables():
        if not name.startswith("history"):
            continue
        df = run.read_table(name)
        step_col = next((c for c in ("iteration", "step", "epoch") if c in df.columns), None)
        steps = df[step_col].tolist() if step_col else list(range(1, len(df) + 1))
        for col in df.columns:
            if col == step_col or not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
                continue
            points = [(int(s), float(v)) for s, v in zip(steps, df[col].tolist()) if _finite(v)]
            if points:
                out[f"{_key(name)}/{_key(col)}"] = points
    if run.spaces():
        from labkit.metrics.coverage import METRICS, coverage_for_run

        for space in run.spaces():
            if not run.snapshot_iterations(space):
                continue
            for row in coverage_for_run(run, space, show_progress=False):
                for m in METRICS:
                    if _finite(row.get(m)):
                        out.setdefault(f"coverage-{_key(space)}/{m}", []).append((int(row["iteration"]), float(row[m])))
    return out


def final_scores(run) -> dict[str, float]:
    """{<row>/<metric>: mean, <row>/<metric>_ci_low: ..., ...} from the run's ``summary`` table."""
    if not run.has_table("summary"):
        return {}
    df = run.read_table("summary")
    if not {"metric", "mean"} <= set(df.columns):
        return {}
    row_col = next((c for c in df.columns if c not in ("metric", "mean", "ci_low", "ci_high", "n")), None)
    out = {}
    for rec in df.to_dict(orient="records"):
        base = f"{_key(rec[row_col]) if row_col else 'all'}/{_key(rec['metric'])}"
        for field, suffix in (("mean", ""), ("ci_low", "_ci_low"), ("ci_high", "_ci_high")):
            if _finite(rec.get(field)):
                out[base + suffix] = float(rec[field])
    return out


# --------------------------------------------------------------------------- the two trackers
def _state_path(run, tracker: str, where: str) -> Path:
    return run.cache_path(f"tracking-{tracker}-{hashlib.sha1(where.encode()).hexdigest()[:10]}.json")


def _load_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text())
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _new_points(run, state: dict) -> list[tuple[str, int, float]]:
    """(metric, step, value) not sent yet: steps beyond the last one sent for that metric."""
    sent = state.setdefault("steps", {})
    todo = []
    for key, points in curves(run).items():
        last = sent.get(key, -math.inf)
        new = [(key, s, v) for s, v in points if s > last]
        if new:
            todo += new
            sent[key] = max(s for _, s, _ in new)
    return todo


def default_uri(run, tracker: str) -> str:
    """Where `tracker` writes for `run` when ``--log-uri`` is not given (see the module docstring)."""
    store = Path(run.path).resolve().parent
    if tracker == "mlflow":
        return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{store / 'mlflow.db'}"
    return str(store / "tensorboard")


def _push_mlflow(run, uri: str) -> str:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    state_path = _state_path(run, "mlflow", uri)
    state = _load_state(state_path)
    client = MlflowClient(tracking_uri=uri)
    meta, status = run.meta, run.status
    run_id = state.get("run_id")
    if run_id:
        try:
            client.get_run(run_id)
        except Exception:  # deleted in MLflow, or another store behind the same name: start afresh
            run_id, state = None, {}
    if not run_id:
        name = f"labkit-{meta.get('kind', 'run')}"
        exp = client.get_experiment_by_name(name)
        if exp is None:
            location = None
            if uri.startswith("sqlite:///"):  # artifacts beside the database, not in the current folder
                location = (Path(uri[len("sqlite:///") :]).parent / "mlartifacts").resolve().as_uri()
            exp_id = client.create_experiment(name, artifact_location=location)
        else:
            exp_id = exp.experiment_id
        tags = {
            "labkit.run_dir": str(Path(run.path).resolve()),
            "labkit.kind": str(meta.get("kind", "")),
            "labkit.version": str(meta.get("labkit_version", "")),
        }
        run_id = client.create_run(exp_id, run_name=str(meta.get("name") or run.id), tags=tags).info.run_id
        state = {"run_id": run_id}
        params = {"kind": str(meta.get("kind", "")), **_flatten(meta.get("config", {}))}
        items = [Param(k, v) for k, v in params.items()]
        for i in range(0, len(items), 100):  # MLflow takes at most 100 parameters per batch
            client.log_batch(run_id, params=items[i : i + 100])
    now = int(time.time() * 1000)
    metrics = [Metric(k, v, now, s) for k, s, v in _new_points(run, state)]
    finished = status.get("state") == "finished"
    scores = final_scores(run) if finished else {}
    digest = hashlib.sha1(json.dumps(scores, sort_keys=True).encode()).hexdigest()
    if scores and state.get("final") != digest:
        metrics += [Metric(k, v, now, 0) for k, v in scores.items()]
        state["final"] = digest
        for name in ("config.toml", "run.json"):
            if (run.path / name).exists():
                client.log_artifact(run_id, str(run.path / name))
        if (run.path / "results").exists():
            client.log_artifacts(run_id, str(run.path / "results"), artifact_path="results")
    for i in range(0, len(metrics), 1000):  # and at most 1000 metrics
        client.log_batch(run_id, metrics=metrics[i : i + 1000])
    client.log_batch(run_id, tags=[RunTag("labkit.state", str(status.get("state", "unknown")))])
    mlflow_state = {"finished": "FINISHED", "failed": "FAILED", "interrupted": "KILLED"}.get(
        status.get("state"), "RUNNING"
    )
    client.update_run(run_id, status=mlflow_state)
    _save_state(state_path, state)
    return f"MLflow run {run_id} in {uri} ({len(metrics)} new metric values)"


def _push_tensorboard(run, folder: str) -> str:
    from torch.utils.tensorboard import SummaryWriter

    log_dir = Path(folder).expanduser() / run.id
    state_path = _state_path(run, "tensorboard", str(log_dir.resolve()))
    state = _load_state(state_path)
    writer = SummaryWriter(log_dir=str(log_dir))
    try:
        if not state.get("config"):
            toml = run.path / "config.toml"
            text = toml.read_text() if toml.exists() else json.dumps(run.meta.get("config", {}), indent=2)
            writer.add_text("labkit/config", "```\n" + text + "\n```", 0)
            state["config"] = True
        points = _new_points(run, state)
        for key, step, value in points:
            writer.add_scalar(key, value, step)
        n = len(points)
        if run.status.get("state") == "finished":
            scores = final_scores(run)
            digest = hashlib.sha1(json.dumps(scores, sort_keys=True).encode()).hexdigest()
            if scores and state.get("final") != digest:
                for key, value in scores.items():
                    writer.add_scalar(f"final/{key}", value, 0)
                state["final"] = digest
                n += len(scores)
    finally:
        writer.close()
    _save_state(state_path, state)
    return f"TensorBoard events in {log_dir} ({n} new values)"


def _save_state(path: Path, state: dict) -> None:
    from labkit.utils import write_json_atomic

    try:
        write_json_atomic(path, state)
    except OSError:
        pass  # a read-only run store: the next push sends everything again, which trackers tolerate


def push_run(run, trackers: list[str] | str | None, uri: str | None = None) -> list[str]:
    """Send what `run` holds and `trackers` have not seen yet; one line per tracker saying where it went.

    Parameters
    ----------
    run : labkit.runstore.Run (or its path)
    trackers : names from `TRACKERS` (a list, or ``--log``'s comma-separated text)
    uri : the destination (``--log-uri``); default `default_uri`. With several trackers it applies
        to MLflow only when it looks like a URI, to TensorBoard only when it does not.
    """
    from labkit.runstore import Run

    run = run if isinstance(run, Run) else Run(run)
    names = check_trackers(",".join(trackers) if isinstance(trackers, (list, tuple)) else trackers)
    lines = []
    for name in names:
        looks_like_uri = bool(uri) and "://" in uri
        where = uri if uri and (len(names) == 1 or looks_like_uri == (name == "mlflow")) else default_uri(run, name)
        lines.append(_push_mlflow(run, where) if name == "mlflow" else _push_tensorboard(run, where))
    return lines


__all__ = ["TRACKERS", "add_log_arguments", "check_trackers", "curves", "default_uri", "final_scores", "push_run"]
