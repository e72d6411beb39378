"""The reference scale of coverage metrics: what the oracles' rows reach, read from the run store.

On a synthetic corpus the oracle augmenters draw new *real* rows for a comparison's recorded fold
(`labkit.augment.oracle.coverage_reference`); ``labkit coverage RUN`` computes their coverage metrics
with the generator's settings and keeps them in the run's table ``coverage-reference``
(`labkit.metrics.coverage.REFERENCE_TABLE`). This module only reads that table (the dashboard never
computes, and viz never imports labkit.augment) and words it: "oracle-population reaches test_gain
0.27; this generator 0.01". A run without the table gets a message saying why there is no reference
and how to make one.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from labkit.errors import LabkitError
from labkit.metrics.coverage import REFERENCE_TABLE

# The metrics the dashboard's reference table shows, in this order (test_gain first: AAEC's claim).
SHOWN = ["test_gain", "recall", "coverage", "precision", "density", "c2st_auc"]


def load(run_path: str | Path, space: str) -> tuple[pd.DataFrame | None, str]:
    """(the oracles' rows of `space`: one per oracle, or None; a message when None)."""
    from labkit.runstore import Run

    run = Run(run_path)
    if not run.has_table(REFERENCE_TABLE):
        return None, (
            "No oracle reference stored for this run. For a comparison on a synthetic corpus, "
            f"`labkit coverage {run.path} --space {space}` computes and keeps it; other sources have none "
            "(there is nothing to draw new real samples from)."
        )
    try:
        table = run.read_table(REFERENCE_TABLE)
    except LabkitError as err:
        return None, f"Cannot read the oracle reference: {err}"
    if "space" not in table.columns or "oracle" not in table.columns:
        return None, f"{run.path}: table {REFERENCE_TABLE!r} has no space/oracle columns; run `labkit coverage` again"
    mine = table[table["space"] == space]
    if mine.empty:
        return None, f"No oracle reference for space {space!r} yet: run `labkit coverage {run.path} --space {space}`."
    return mine.reset_index(drop=True), ""


def _value(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def reference_sentence(reference: list[dict], generator: list[dict] | dict | None, metric: str = "test_gain") -> str:
    """The reference in words: ``oracle-population reaches test_gain 0.267, oracle-speakers 0.127; this
    generator 0.012 (iteration 20).``

    `reference` are the oracles' rows (dicts with ``oracle``, ``iteration`` and the metrics); `generator`
    the generator's row, or its rows per iteration (the one at the reference's matched iteration is used).
    """
    refs = sorted(reference, key=lambda r: r["oracle"] != "oracle-population")  # population first
    parts = [
        f"{r['oracle']} reaches {metric} {_fmt(r.get(metric))}" if i == 0 else f"{r['oracle']} {_fmt(r.get(metric))}"
        for i, r in enumerate(refs)
    ]
    text = ", ".join(parts)
    row = generator
    if isinstance(generator, list):
        at = [g for g in generator if refs and g.get("iteration") == refs[0].get("iteration")]
        row = at[0] if at else (generator[-1] if generator else None)
    if row is not None:
        text += f"; this generator {_fmt(row.get(metric))} (iteration {row.get('iteration')})"
    return text + "."


def _fmt(v) -> str:
    f = _value(v)
    return "–" if f is None else f"{f:.3f}"


def summary_markdown(run_path: str | Path, space: str, coverage: pd.DataFrame | None, iteration) -> str:
    """The reference panel of the Distribution page: a small table (metric × this generator at `iteration`
    and each oracle) and the sentence, or the message saying why there is no reference."""
    ref, message = load(run_path, space)
    if ref is None:
        return f"**Reference scale.** {message}"
    generator = None
    if coverage is not None and iteration is not None and "iteration" in coverage.columns:
        at = coverage[coverage["iteration"] == iteration]
        generator = None if at.empty else at.iloc[0].to_dict()
    oracles = ref.to_dict(orient="records")
    names = [r["oracle"] for r in oracles]
    head = ["metric", *(["this generator"] if generator else []), *names]
    lines = ["| " + " | ".join(head) + " |", "| --- " * len(head) + "|"]
    for m in [m for m in SHOWN if m in ref.columns]:
        cells = [m, *([_fmt(generator.get(m))] if generator else []), *[_fmt(r.get(m)) for r in oracles]]
        lines.append("| " + " | ".join(cells) + " |")
    amount = int(oracles[0].get("n_generated") or 0)
    return (
        f"**Reference scale**: new real rows for the same fold from the oracles, {amount} of them (as many per "
        f"class as iteration {oracles[0].get('iteration')}), same metrics and settings.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + reference_sentence(oracles, generator)
    )
