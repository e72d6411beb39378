"""One self-contained HTML page of a run: its tables and figures, animation included, offline.

`build_report(run)` reads a run the way the dashboard does (the run store only; projections and
coverage metrics through their per-run caches) and returns one HTML document:

* **Run**: kind, state and its message, when it was made, the config (run.json) folded away.
* **Results**: every table a reproduction printed (`results/<experiment>.json`, rebuilt as the
  `labkit.experiment.tables.PaperTable` it was: our mean and CI with the paper's numbers beside them),
  and its findings; a comparison's summary as a `PaperTable`, its paired differences, its
  learned-the-data gate (`labkit.viz.gate`, when the run has a ``gate`` table) and per-class recall.
* **Figures**: the comparison bar, per-class recall and the UAR-vs-amount sweep; the losses of
  every training history; for every space with generated snapshots the animated distribution
  figure (real train/test points over generated ones, ▶ Play, a slider), its coverage metrics per
  iteration and their curves; and, where two generators were recorded on the same real data (a
  comparison's ``aug-<name>`` spaces), the two side by side in one plane.

plotly.js is inlined once in the page's head (no CDN, no MathJax), so the file opens without a
network, e-mails as one attachment and plays its animations anywhere. Tables are rendered by their
own formatters (`PaperTable.to_text`, pandas for plain frames); nothing is computed here that the
run store or `labkit.viz` does not already compute.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone

import pandas as pd

from labkit.errors import LabkitError

STYLE = """
body { font-family: -apple-system, "Segoe UI", "Liberation Sans", Arial, sans-serif; margin: 2rem auto;
       max-width: 1250px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h3 { margin-top: 1.6rem; } .meta { color: #555; } .note { color: #555; font-size: .92rem; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; font-size: .85rem; }
table.frame { border-collapse: collapse; font-size: .88rem; margin: .5rem 0 1rem; }
table.frame th, table.frame td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
table.frame th { background: #f3f3f3; } details { margin: .6rem 0; }
"""


def _esc(text) -> str:
    return html.escape(str(text))


def _frame_html(df: pd.DataFrame, decimals: int = 3) -> str:
    """A plain DataFrame as an HTML table (pandas' renderer), floats rounded."""
    return df.to_html(classes="frame", index=False, border=0, na_rep="–", float_format=lambda v: f"{v:.{decimals}f}")


def _paper_table(d: dict):
    """A `PaperTable` back from its `to_dict()` form (what `results/<experiment>.json` holds)."""
    from labkit.experiment.tables import Column, PaperTable

    columns = [Column(c["key"], c["label"], c.get("percent", True)) for c in d.get("columns", [])]
    rows = d.get("rows", [])
    return PaperTable(
        title=d.get("title", ""),
        columns=columns,
        notes=list(d.get("notes", [])),
        ours={r["row"]: r.get("ours", {}) for r in rows},
        paper={r["row"]: r["paper"] for r in rows if r.get("paper")},
        info={r["row"]: r["info"] for r in rows if r.get("info")},
        info_header="" if not any(r.get("info") for r in rows) else "info",
    )


class _Page:
    """Collects sections; figures become divs that use the page's one copy of plotly.js."""

    def __init__(self):
        self.parts: list[str] = []
        self.n_figures = 0
        self.warnings: list[str] = []
        self._tables: dict[str, pd.DataFrame | None] = {}

    def add(self, text: str) -> None:
        self.parts.append(text)

    def heading(self, text: str, level: int = 2) -> None:
        self.add(f"<h{level}>{_esc(text)}</h{level}>")

    def note(self, text: str) -> None:
        self.add(f'<p class="note">{_esc(text)}</p>')

    def warning(self, text: str) -> None:
        """A damaged file of the run: one line on the page (and on stderr), the rest of the page stays."""
        import sys

        self.warnings.append(text)
        print(f"labkit report: warning: {text}", file=sys.stderr)
        self.add(f'<p class="note warning">&#9888; {_esc(text)}</p>')

    def table(self, run, name: str) -> pd.DataFrame | None:
        """Table `name` of `run`, or None (with a warning) when it is absent or cannot be read."""
        if name not in self._tables:  # read once: a damaged table is warned about once
            try:
                self._tables[name] = run.read_table(name) if run.has_table(name) else None
            except (LabkitError, OSError) as err:
                self.warning(f"table {name!r} left out: {err}")
                self._tables[name] = None
        return self._tables[name]

    def figure(self, fig) -> None:
        from labkit.viz.figures import figure_html

        self.n_figures += 1
        self.add(figure_html(fig, include_plotlyjs=False, full_html=False, div_id=f"figure-{self.n_figures}"))


def _results_section(page: _Page, run) -> None:
    from labkit.experiment.tables import PaperTable
    from labkit.viz.figures import normalize_summary

    shown = False
    for path in sorted((run.path / "results").glob("*.json")):
        try:
            payload = run.read_json(path.stem)  # through the run store: no link out of the run is followed
        except (LabkitError, OSError) as err:
            page.warning(f"result {path.name} left out: {err}")
            continue
        if not isinstance(payload, dict) or not payload.get("tables"):
            continue
        for d in payload["tables"]:
            try:
                page.add(f"<pre>{_esc(_paper_table(d).to_text())}</pre>")
                shown = True
            except (KeyError, TypeError, ValueError):
                continue
        if payload.get("findings"):
            page.add("<ul>" + "".join(f"<li>{_esc(f)}</li>" for f in payload["findings"]) + "</ul>")
    summary = page.table(run, "summary") if not shown else None
    if summary is not None:
        summary = normalize_summary(summary)
        rows = ["augmenter"] + (["amount"] if "amount" in summary.columns and summary["amount"].nunique() > 1 else [])
        table = PaperTable.from_frame(summary, rows=rows, title="Summary: mean [95 % CI] in %")
        page.add(f"<pre>{_esc(table.to_text())}</pre>")
        shown = True
    paired = page.table(run, "paired")
    if paired is not None:
        page.heading("Paired differences against no augmentation", 3)
        page.add(_frame_html(paired))
        shown = True
    from labkit.viz.gate import gate_view

    gate = gate_view(page.table(run, "gate"))  # comparisons made before the gate have none: no section
    if gate is not None:
        page.heading("Did the generators learn the data? (the gate)", 3)
        page.add(_frame_html(gate))
        shown = True
    if not shown:
        page.note("This run has no result tables (yet).")


def _comparison_figures(page: _Page, run) -> None:
    from labkit.viz import figures as F

    summary = page.table(run, "summary")
    if summary is not None:
        summary = F.normalize_summary(summary)
        metric = F.default_metric(summary["metric"].unique())
        try:
            page.heading(f"{metric} by augmenter", 3)
            page.figure(F.comparison_bar(summary, metric))
        except LabkitError as err:
            page.note(f"No comparison chart: {err}")
        sweep = page.table(run, "sweep")
        if sweep is not None:
            try:
                fig = F.sweep_figure(sweep, metric)
                page.heading(f"{metric} against the amount of synthetic data", 3)
                page.figure(fig)
            except LabkitError as err:
                page.note(f"No sweep chart: {err}")
    per_class = page.table(run, "per_class")  # drawn even when the summary cannot be read
    if per_class is not None:
        page.heading("Per-class recall", 3)
        page.figure(F.per_class_figure(per_class))
    for name in run.tables():
        if name == "history" or name.startswith(("history-", "history_")):
            history = page.table(run, name)
            if history is None:
                continue
            losses, others = F.split_history_columns(history)
            x = next((c for c in ("iteration", "epoch", "step") if c in history.columns), None)
            if x is None or not (losses or others):
                continue
            page.heading(f"Training: {name}", 3)
            if losses:
                page.figure(F.curves_figure(history, losses, x=x, title="losses"))
            if others:
                page.figure(F.curves_figure(history, others, x=x, title="metrics"))


def _distribution_figures(page: _Page, run, method: str, max_points: int, pair) -> None:
    from labkit.metrics.coverage import METRICS, coverage_for_run
    from labkit.viz import figures as F
    from labkit.viz.projection import ProjectionConfig, load_or_compute, reference_digest

    spaces = [s for s in run.spaces() if run.snapshot_iterations(s)]
    if not spaces:
        page.note("No generated samples were recorded in this run (snapshots/<space>/).")
        return
    projections, metrics = {}, {}
    for space in spaces:
        page.heading(f"Generated samples: {space}", 3)
        try:
            proj = load_or_compute(run, space, ProjectionConfig(method=method))
        except (LabkitError, OSError) as err:  # e.g. a damaged reference file: this space only is left out
            page.warning(f"space {space!r} left out: {err}")
            continue
        projections[space] = proj
        for note in proj.notes:
            page.warning(f"{space}: {note}")
        try:
            rows = coverage_for_run(run, space, show_progress=False)
        except (LabkitError, OSError):
            rows = []
        metrics[space] = {int(r["iteration"]): r for r in rows}
        page.figure(F.distribution_figure(proj, metrics=metrics[space], max_points=max_points))
        page.note(
            f"{len(proj.y_train)} train · {len(proj.y_test)} test · {len(proj.y_gen)} generated samples over "
            f"{len(proj.iterations)} iteration(s), {method.upper()} fitted once on the real data; "
            "▶ Play steps through the iterations. Metrics in the full feature space, k = 5."
        )
        if rows:
            table = pd.DataFrame(rows)[["iteration", *[m for m in METRICS if m in rows[0]], "n_generated"]]
            if len(table) > 1:
                shares = [m for m in ("precision", "recall", "coverage", "test_gain", "test_in_train") if m in table]
                page.figure(F.curves_figure(table, shares, title=f"coverage of the real data · {space}"))
            with_details = len(table) > 12
            page.add("<details>" if with_details else "<div>")
            if with_details:
                page.add(f"<summary>coverage metrics of {len(table)} iterations</summary>")
            page.add(_frame_html(table))
            page.add("</details>" if with_details else "</div>")

    # Two generators recorded on the same real data: side by side in one plane.
    if pair is None:
        digests = {}
        for space in projections:
            digests.setdefault(reference_digest(run, space), []).append(space)
        pair = next((tuple(group[:2]) for group in digests.values() if len(group) >= 2), None)
    if pair is not None:
        a, b = pair
        for s in (a, b):
            if s not in projections:
                raise LabkitError(f"{run.path}: no space {s!r} with snapshots; it has {', '.join(spaces)}")
        if reference_digest(run, a) != reference_digest(run, b):
            raise LabkitError(f"spaces {a!r} and {b!r} hold different real data, so they share no plane")
        names = tuple(s[4:] if s.startswith("aug-") else s for s in (a, b))
        page.heading(f"Side by side: {names[0]} and {names[1]}", 3)
        page.figure(
            F.distribution_pair_figure(
                projections[a], projections[b], names, metrics_a=metrics[a], metrics_b=metrics[b], max_points=max_points
            )
        )
        page.note(
            "The same real data, one plane, the same axes; each side shows its own samples up to the "
            "frame's iteration (a one-shot augmenter's single frame stays on every frame)."
        )


def build_report(
    run, *, method: str = "pca", max_points: int = 4000, pair: tuple[str, str] | None = None, title: str | None = None
) -> str:
    """The whole report of `run` (a `labkit.runstore.Run`) as one HTML document (a str).

    Parameters
    ----------
    method : projection of the distribution figures, "pca" or "umap"
    max_points : cap on points per trace per frame (a seeded subsample) to keep the file small
    pair : two spaces to put side by side; default the first two recorded on the same real data
    title : page title; default "labkit report: <run id>"
    """
    from plotly.offline import get_plotlyjs

    from labkit import __version__

    meta = run.meta
    status = run.status
    page = _Page()
    title = title or f"labkit report: {run.id}"
    page.add(f"<h1>{_esc(title)}</h1>")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page.add(
        f'<p class="meta">run <b>{_esc(run.id)}</b> · kind <b>{_esc(meta.get("kind", ""))}</b> · '
        f"created {_esc(meta.get('created', ''))} · state <b>{_esc(status.get('state', ''))}</b>"
        + (f" ({_esc(status.get('message'))})" if status.get("message") else "")
        + f" · report made {stamp} by labkit {_esc(__version__)}</p>"
    )
    page.add(
        "<details><summary>configuration (run.json)</summary><pre>"
        + _esc(json.dumps(meta.get("config", {}), indent=2, default=str))
        + "</pre></details>"
    )

    page.heading("Results")
    _results_section(page, run)
    page.heading("Figures")
    _comparison_figures(page, run)
    _distribution_figures(page, run, method, max_points, pair)

    head = (
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>{head}</head>\n<body>\n'
        + "\n".join(page.parts)
        + "\n</body>\n</html>\n"
    )


def write_report(run, out, **options) -> dict:
    """Write `build_report(run, **options)` to `out` atomically; returns {"path", "bytes", "figures"}."""
    from pathlib import Path

    from labkit.errors import os_errors
    from labkit.utils import atomic_path

    text = build_report(run, **options)
    out = Path(out)
    with os_errors(f"report {out}"):  # a full disk or a read-only place: a LabkitError naming it (exit 2)
        with atomic_path(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return {"path": str(out), "bytes": len(text.encode("utf-8")), "figures": text.count('class="plotly-graph-div"')}


__all__ = ["build_report", "write_report"]
