"""The learned-the-data gate of a comparison, as the dashboard's Comparison page shows it.

``labkit compare`` writes a ``gate`` table (`labkit.runs.compare.gate_table`): per generating
augmenter, its gate (`labkit.metrics.gate`) combined over folds and seeds, pass/fail, and the verdict
for an augmenter that did not beat "none". This module only reads and lays it out (it computes
nothing); runs made before the gate have no such table, and `gate_rows` returns None for them.
"""

from __future__ import annotations

import pandas as pd

# displayed column -> (gate table column, format)
COLUMNS = {
    "fidelity": ("fidelity", "{:.0%}"),
    "real rows": ("real_accuracy", "{:.0%}"),
    "chance": ("chance", "{:.0%}"),
    "C2ST AUC": ("c2st_auc", "{:.2f}"),
    "precision": ("precision", "{:.2f}"),
    "recall": ("recall", "{:.2f}"),
    "spread": ("spread", "{:.2f}"),
}


def gate_view(gate: pd.DataFrame | None) -> pd.DataFrame | None:
    """The gate table laid out for reading: augmenter (and run), gate (pass / FAIL: criteria), the numbers
    as text, folds, and the verdict; None for no table or an empty one."""
    if gate is None or not len(gate) or "augmenter" not in gate.columns:
        return None
    rows = []
    for r in gate.to_dict("records"):
        if not r.get("gated", True):
            status = "not gated"
        elif r["passed"]:
            status = "pass"
        else:
            status = f"FAIL: {str(r.get('failed') or '').replace(',', ', ')}"
        row = {"run": r["run"]} if "run" in r else {}
        row.update(augmenter=r["augmenter"], gate=status)
        for label, (column, fmt) in COLUMNS.items():
            value = r.get(column)
            row[label] = fmt.format(value) if value is not None and pd.notna(value) else ""
        row["folds"] = int(r.get("n_tasks") or 0)
        row["verdict"] = r.get("claim") or r.get("verdict") or ""
        rows.append(row)
    return pd.DataFrame(rows)


def gate_rows(run) -> pd.DataFrame | None:
    """`gate_view` of a run's ``gate`` table (a `labkit.runstore.Run`); None when the run has none."""
    if not run.has_table("gate"):
        return None
    return gate_view(run.read_table("gate"))
