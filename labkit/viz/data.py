"""Cached readers of the run store for the dashboard (Streamlit's cache around labkit.viz).

The dashboard reads runs only through these functions. Each takes a cheap *fingerprint* of the
files it depends on (sizes and modification times) as an argument, so Streamlit's cache returns the
stored answer until a run writes something new, and a running training shows up without a restart.

* `st.cache_resource` holds projections and figures: large, read-only, shared between sessions
  and returned without a copy, so a slider move only indexes into arrays already in memory.
* `st.cache_data` holds tables and metric rows (small; a copy per call keeps callers apart).

A projection or coverage table that a run does not have cached yet is computed once, through
`labkit.viz.projection.load_or_compute` / `labkit.metrics.coverage.coverage_for_run`, which write it
to ``<run>/cache/`` atomically; every later call (and every other session) reads it.

Nothing here raises for a partly written run: readers return None or an empty result together with
a message the page shows instead of a traceback.

Importing this module imports streamlit; only the dashboard and its tests import it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from labkit.errors import LabkitError
from labkit.metrics.coverage import CoverageConfig, coverage_for_run, file_fingerprint
from labkit.runstore import Run, RunStore, default_root
from labkit.viz.projection import ProjectionConfig, load_or_compute, run_fingerprint


def runs_root() -> Path:
    """The run store the dashboard shows: $LABKIT_RUNS (set by `labkit dashboard --runs`), else ./runs."""
    return default_root()


@dataclass
class RunRow:
    """One run as the run pickers show it."""

    run_id: str
    path: str
    kind: str
    name: str
    created: str
    state: str
    error: str
    spaces: list
    tables: list
    n_snapshots: int

    @property
    def label(self) -> str:
        bits = [self.run_id]
        if self.kind:
            bits.append(f"[{self.kind}]")
        if self.state not in ("finished", ""):
            bits.append(f"({self.state})")
        return " ".join(bits)


def store_fingerprint(root: Path) -> str:
    """Changes when a run directory or its status/tables/snapshots change (cheap: stats only)."""
    if not root.exists():
        return "missing"
    parts = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        # Folder times change when a file is added or replaced in them (writes are atomic renames).
        subs = ["run.json", "status.json", "tables", "reference", "snapshots"]
        if (d / "snapshots").is_dir():
            subs += [f"snapshots/{s.name}" for s in (d / "snapshots").iterdir() if s.is_dir()]
        for sub in subs:
            p = d / sub
            if p.exists():
                # The entry count catches additions within one tick of the file system's clock.
                count = len(os.listdir(p)) if p.is_dir() else 0
                parts.append(f"{d.name}/{sub}:{p.stat().st_mtime_ns}:{count}")
    return "|".join(parts)


@st.cache_data(show_spinner=False, max_entries=32)
def list_runs(root: str, fingerprint: str) -> list[RunRow]:
    """Every run in the store (newest first) with what it holds; broken runs carry `error`."""
    rows = []
    for info in RunStore(root).list_runs():
        spaces, tables, n_snap = [], [], 0
        if not info.error:
            run = Run(info.path)
            try:
                spaces = run.spaces()
                tables = run.tables()
                n_snap = sum(len(run.snapshot_iterations(s)) for s in spaces)
            except OSError as err:
                info.error = str(err)
        rows.append(
            RunRow(
                run_id=info.run_id,
                path=str(info.path),
                kind=info.kind,
                name=info.name,
                created=info.created,
                state=info.state,
                error=info.error,
                spaces=spaces,
                tables=tables,
                n_snapshots=n_snap,
            )
        )
    return rows


def runs() -> list[RunRow]:
    """`list_runs` of the current store, re-read whenever the store changes."""
    root = runs_root()
    return list_runs(str(root), store_fingerprint(root))


@st.cache_resource(show_spinner="Projecting the run's samples (once per run)…", max_entries=16)
def _projection(run_path: str, space: str, method: str, fingerprint: str):
    return load_or_compute(Run(run_path), space, ProjectionConfig(method=method))


def projection(run_path: str, space: str, method: str = "pca"):
    """(Projection or None, message). Read from the run's cache; computed once if absent.

    With a projection, the message is its notes (damaged snapshots left out), else empty."""
    run = Run(run_path)
    try:
        fp = run_fingerprint(run, space)
        proj = _projection(run_path, space, method, fp)
        return proj, "; ".join(proj.notes)  # the projection, with a note for each snapshot left out
    except (LabkitError, OSError, ValueError, KeyError) as err:
        return None, f"Cannot project run {run.id!r} ({space}): {err}"


@st.cache_data(show_spinner="Computing coverage metrics (once per run)…", max_entries=32)
def _coverage(run_path: str, space: str, k: int, fingerprint: str) -> list[dict]:
    return coverage_for_run(Run(run_path), space, CoverageConfig(k=k), show_progress=False)


def coverage(run_path: str, space: str, k: int = 5) -> tuple[pd.DataFrame | None, str]:
    """(metrics per iteration as a DataFrame, or None, message)."""
    run = Run(run_path)
    try:
        rows = _coverage(run_path, space, k, run_fingerprint(run, space))
    except (LabkitError, OSError, ValueError, KeyError) as err:
        return None, f"Cannot compute coverage metrics for {run.id!r} ({space}): {err}"
    if not rows:
        return None, "No generated snapshots recorded yet, so no coverage metrics."
    return pd.DataFrame(rows), ""


@st.cache_data(show_spinner=False, max_entries=64)
def _table(run_path: str, name: str, fingerprint: str) -> pd.DataFrame:
    return Run(run_path).read_table(name)


def table(run_path: str, name: str) -> tuple[pd.DataFrame | None, str]:
    """(table or None, message) for table `name` of the run at `run_path`."""
    path = Path(run_path) / "tables" / f"{name}.parquet"
    if not path.exists():
        return None, f"Run {Path(run_path).name!r} has no {name!r} table (yet)."
    try:
        return _table(run_path, name, file_fingerprint(path)), ""
    except Exception as err:  # noqa: BLE001 - a damaged parquet file must not crash the page
        return None, f"Cannot read table {name!r} of {Path(run_path).name!r}: {err}"


@st.cache_resource(show_spinner=False, max_entries=32)
def distribution_figure(
    run_path: str,
    space: str,
    method: str,
    fingerprint: str,
    cumulative: bool,
    color_by: str,
    classes: tuple | None,
    iteration: int | None,
    with_metrics: bool,
    k: int = 5,
    generated_as: str = "points",
    highlight: tuple = (),
):
    """The animated distribution figure, built once per set of options (see figures.distribution_figure).

    Cached as a resource: the figure is never changed after it is built. `iteration` is part of
    the key because it is the frame the figure opens on; the projection under it is shared.
    `highlight` names the rings drawn around test samples ("outside", "reached"; `uncovered`) at
    `iteration`. The figure opens in lasso mode, for selecting points.
    """
    from labkit.viz.figures import distribution_figure as build

    proj = _projection(run_path, space, method, fingerprint)
    metrics = None
    if with_metrics:
        rows = _coverage(run_path, space, k, fingerprint)
        metrics = {int(r["iteration"]): r for r in rows}
    masks = _uncovered(run_path, space, iteration, k, fingerprint) if highlight else {}
    return build(
        proj,
        cumulative=cumulative,
        color_by=color_by,
        classes=None if classes is None else list(classes),
        iteration=iteration,
        metrics=metrics,
        generated_as=generated_as,
        highlight={name: masks[name] for name in highlight},
        dragmode="lasso",
    )


# ------------------------------------------------------------------------------------ the inspector
@st.cache_resource(show_spinner=False, max_entries=8)
def _full_space(run_path: str, space: str, fingerprint: str):
    from labkit.viz.inspect import full_space

    return full_space(Run(run_path), space)


@st.cache_resource(show_spinner="Matching the points to their utterances (once per run)…", max_entries=16)
def _utterances(run_path: str, space: str, fingerprint: str):
    from labkit.viz.inspect import matched_utterances, utterances

    run = Run(run_path)
    table, message = utterances(run)
    if table is None:
        return None, message
    return matched_utterances(run, space, table)


def utterances(run_path: str, space: str) -> tuple[pd.DataFrame | None, str]:
    """(the reference rows' utterance table or None, message): see `labkit.viz.inspect.utterances`."""
    run = Run(run_path)
    try:
        return _utterances(run_path, space, run_fingerprint(run, space) + "|" + _run_json_fp(run))
    except (LabkitError, OSError, ValueError, KeyError) as err:
        return None, f"Cannot match {run.id!r}'s points to utterances: {err}"


def _run_json_fp(run) -> str:
    path = run.path / "run.json"
    return file_fingerprint(path) if path.exists() else "-"


@st.cache_data(show_spinner=False, max_entries=64)
def _uncovered(run_path: str, space: str, iteration, k: int, fingerprint: str) -> dict:
    from labkit.viz.inspect import uncovered_test

    return uncovered_test(_full_space(run_path, space, fingerprint), iteration, k)


def uncovered(run_path: str, space: str, iteration, k: int = 5) -> tuple[dict | None, str]:
    """({"outside": mask, "reached": mask} over test rows, or None, message) at `iteration`."""
    run = Run(run_path)
    try:
        return _uncovered(run_path, space, iteration, k, run_fingerprint(run, space)), ""
    except (LabkitError, OSError, ValueError, KeyError) as err:
        return None, f"Cannot find the uncovered test samples of {run.id!r} ({space}): {err}"


@st.cache_data(show_spinner="Measuring how well the plane keeps neighbourhoods…", max_entries=64)
def _trust(run_path: str, space: str, method: str, iteration, k: int, fingerprint: str) -> dict:
    from labkit.viz.inspect import frame_trust

    return frame_trust(
        _projection(run_path, space, method, fingerprint), _full_space(run_path, space, fingerprint), iteration, k
    )


def trust(run_path: str, space: str, method: str, iteration, k: int = 5) -> tuple[dict | None, str]:
    """(`labkit.viz.inspect.frame_trust` of the frame, or None, message)."""
    run = Run(run_path)
    try:
        return _trust(run_path, space, method, iteration, k, run_fingerprint(run, space)), ""
    except (LabkitError, OSError, ValueError, KeyError) as err:
        return None, f"Cannot measure the plane's trustworthiness: {err}"


def point_table(run_path: str, space: str, method: str, codes: tuple) -> pd.DataFrame:
    """The inspector's table of the points `codes` (see `labkit.viz.inspect.point_table`)."""
    from labkit.viz.inspect import point_table as build

    run = Run(run_path)
    proj = _projection(run_path, space, method, run_fingerprint(run, space))
    meta, _ = utterances(run_path, space)
    return build(proj, list(codes), meta)


@st.cache_resource(show_spinner="Preparing the point (audio, spectrogram, neighbours)…", max_entries=64)
def _card(run_path: str, space: str, method: str, code: int, k: int, fingerprint: str):
    from labkit.viz.inspect import card as build

    meta, _ = utterances(run_path, space)
    return build(
        Run(run_path),
        _projection(run_path, space, method, fingerprint),
        _full_space(run_path, space, fingerprint),
        code,
        meta,
        k,
    )


def card(run_path: str, space: str, method: str, code: int, k: int = 5):
    """(`labkit.viz.inspect.Card` of point `code`, or None, message): cached, so a rerun does not redo Griffin-Lim."""
    run = Run(run_path)
    try:
        return _card(run_path, space, method, int(code), k, run_fingerprint(run, space)), ""
    except (LabkitError, OSError, ValueError, KeyError) as err:
        return None, f"Cannot inspect point {code} of {run.id!r}: {err}"


@st.cache_data(show_spinner=False, max_entries=256)
def _reference_digest(run_path: str, space: str, fingerprint: str) -> str:
    from labkit.viz.projection import reference_digest

    return reference_digest(Run(run_path), space)


def reference_key(run_path: str, space: str) -> str | None:
    """The digest of a space's real data (cached by file fingerprint); None when it cannot be read."""
    path = Path(run_path) / "reference" / f"{space}.npz"
    try:
        return _reference_digest(run_path, space, file_fingerprint(path))
    except (LabkitError, OSError, ValueError, KeyError):
        return None


def partners(rows: list, run_path: str, space: str) -> list[tuple]:
    """Every other (RunRow, space) with recorded snapshots and the same real data as `space` of `run_path`:
    the generators that can be drawn beside it in the same plane."""
    key = reference_key(run_path, space)
    if key is None:
        return []
    out = []
    for row in rows:
        for other in row.spaces:
            if (row.path, other) == (run_path, space) or not row.n_snapshots:
                continue
            if reference_key(row.path, other) == key:
                out.append((row, other))
    return out


def metrics_by_iteration(run_path: str, space: str, k: int = 5) -> dict | None:
    """{iteration: coverage row} of a space, or None when there are none."""
    run = Run(run_path)
    try:
        rows = _coverage(run_path, space, k, run_fingerprint(run, space))
    except (LabkitError, OSError, ValueError, KeyError):
        return None
    return {int(r["iteration"]): r for r in rows} or None


@st.cache_resource(show_spinner=False, max_entries=16)
def pair_figure(
    path_a: str,
    space_a: str,
    path_b: str,
    space_b: str,
    method: str,
    fingerprint: str,
    names: tuple,
    cumulative: bool,
    color_by: str,
    classes: tuple | None,
    iteration: int | None,
    generated_as: str,
    k: int = 5,
):
    """Two generators side by side (see figures.distribution_pair_figure), built once per set of options.

    `fingerprint` joins both runs' fingerprints, so the figure is rebuilt when either run writes.
    """
    from labkit.viz.figures import distribution_pair_figure

    fp_a, fp_b = fingerprint.split("||", 1)
    proj_a = _projection(path_a, space_a, method, fp_a)
    proj_b = _projection(path_b, space_b, method, fp_b)
    return distribution_pair_figure(
        proj_a,
        proj_b,
        names,
        cumulative=cumulative,
        color_by=color_by,
        classes=None if classes is None else list(classes),
        iteration=iteration,
        metrics_a=metrics_by_iteration(path_a, space_a, k),
        metrics_b=metrics_by_iteration(path_b, space_b, k),
        generated_as=generated_as,
    )


def html_bytes(fig) -> bytes:
    """The figure as a standalone offline HTML file (for a download button)."""
    from labkit.viz.figures import figure_html

    return figure_html(fig).encode("utf-8")


def playable_keys(run_path: str, space: str, method: str, codes: tuple) -> list[str]:
    """Keys of the points among `codes` that can be heard (`labkit.viz.inspect.playable`)."""
    from labkit.viz.inspect import playable

    run = Run(run_path)
    try:
        proj = _projection(run_path, space, method, run_fingerprint(run, space))
        meta, _ = utterances(run_path, space)
        return playable(run, proj, list(codes), meta)
    except (LabkitError, OSError, ValueError, KeyError):
        return []
