"""The one table formatter: our means with confidence intervals, the paper's numbers beside them.

Every summary labkit prints (an augmenter comparison, every ``labkit reproduce`` table) is a
`PaperTable`: rows (models, augmenters, configurations) × columns (metrics), each of our cells a
``{"mean", "ci_low", "ci_high", "n"}`` dict from `labkit.experiment.stats` (fractions), and, where the
paper printed a number for that row and column, the paper's value (in the paper's units, usually %)
on a line of its own right under ours. The same object renders as plain text (the terminal), Markdown
(the README) and a JSON-able dict.

>>> t = PaperTable("Table 1", [Column("uar", "UAR")], {"SVM": {"uar": {"mean": .61, "ci_low": .58,
...                "ci_high": .64, "n": 3}}}, paper={"SVM": {"uar": 55.0}})
>>> print(t.to_text())                                             # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Column:
    """One metric column of a table."""

    key: str  # the metric's key in `PaperTable.ours` / `PaperTable.paper` rows (e.g. "arousal_uar")
    label: str  # the column header as the paper prints it (e.g. "Ar UAR")
    percent: bool = True  # our values are fractions shown x 100 (the paper's numbers are given in %)


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


@dataclass
class PaperTable:
    """A table of our results with the paper's numbers beside them (see the module docstring)."""

    title: str  # first line, e.g. "Fu et al. 2020, Table 1: ..."
    columns: list[Column]  # metric columns in print order
    ours: dict[str, dict[str, dict]]  # row -> column key -> {"mean", "ci_low", "ci_high", "n"}; row order kept
    paper: dict[str, dict[str, float]] = field(default_factory=dict)  # row -> column key -> value as printed
    row_header: str = "Model"  # header of the row-label column
    info: dict[str, str] = field(default_factory=dict)  # row -> text of a descriptive column (e.g. players)
    info_header: str = ""  # header of that column ("" hides it)
    extra_columns: list[str] = field(default_factory=list)  # headers of text columns after the metrics
    extra: dict[str, dict[str, str]] = field(default_factory=dict)  # row -> extra column -> text (ours only)
    paper_label: str = "paper"  # the label of the paper's rows (e.g. "paper (MuSe-Topic)")
    notes: list[str] = field(default_factory=list)  # printed under the table: data, metric and CI definitions
    ci: str = "pm"  # "pm": mean ± half-width of the interval; "bracket": mean [low, high]
    decimals: int = 1  # decimals of our values (the paper's are printed as given, see paper_decimals)
    paper_decimals: int = 2  # decimals of the paper's values

    # ------------------------------------------------------------------ cells
    def cell(self, row: str, col: Column) -> str:
        """Our value of `row` in column `col` as text: ``mean ± half`` / ``mean [lo, hi]`` / ``mean`` / ``–``."""
        s = self.ours.get(row, {}).get(col.key)
        if not s or not _finite(s.get("mean")):
            return "–"
        k = 100.0 if col.percent else 1.0
        d = self.decimals
        m = k * s["mean"]
        lo, hi = s.get("ci_low"), s.get("ci_high")
        if not (_finite(lo) and _finite(hi)):
            return f"{m:.{d}f}"
        if self.ci == "bracket":
            return f"{m:.{d}f} [{k * lo:.{d}f}, {k * hi:.{d}f}]"
        return f"{m:.{d}f} ± {k * (hi - lo) / 2:.{d}f}"

    def paper_cell(self, row: str, col: Column) -> str:
        v = self.paper.get(row, {}).get(col.key)
        return f"{v:.{self.paper_decimals}f}" if _finite(v) else ""

    def _grid(self) -> tuple[list[str], list[list[str]], list[int]]:
        """Header, body rows, and for each body row the index of the model it belongs to."""
        with_paper = any(self.paper.get(r) for r in self.ours)
        header = [self.row_header] + (["source"] if with_paper else []) + \
                 ([self.info_header] if self.info_header else []) + [c.label for c in self.columns] + \
                 list(self.extra_columns)
        body, owner = [], []
        for i, row in enumerate(self.ours):
            line = [row] + (["ours"] if with_paper else []) + ([self.info.get(row, "")] if self.info_header else [])
            line += [self.cell(row, c) for c in self.columns]
            line += [self.extra.get(row, {}).get(e, "") for e in self.extra_columns]
            body.append(line)
            owner.append(i)
            if with_paper and self.paper.get(row):
                pline = ["", self.paper_label] + ([""] if self.info_header else [])
                pline += [self.paper_cell(row, c) for c in self.columns] + [""] * len(self.extra_columns)
                body.append(pline)
                owner.append(i)
        return header, body, owner

    # ------------------------------------------------------------------ renderings
    def to_text(self) -> str:
        """Aligned plain text for a terminal: title, header, rows (paper rows under ours), notes."""
        header, body, _ = self._grid()
        widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]

        def line(r):
            cells = [str(c).ljust(w) if i == 0 or i < len(header) - len(self.columns) - len(self.extra_columns)
                     else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
            return "  ".join(cells).rstrip()

        out = [self.title] if self.title else []
        out += [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in body]
        out += [f"  {n}" for n in self.notes]
        return "\n".join(out)

    def to_markdown(self) -> str:
        """A Markdown table (as in the README), the title in bold above it and the notes below."""
        header, body, _ = self._grid()
        esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        out = [f"**{self.title}**", ""] if self.title else []
        out += ["| " + " | ".join(esc(h) for h in header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
        out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in body]
        if self.notes:
            out += [""] + [f"* {n}" for n in self.notes]
        return "\n".join(out)

    def to_dict(self) -> dict:
        """JSON-able: title, columns, and per row our summaries, the paper's values, info and extras."""
        return {
            "title": self.title, "notes": list(self.notes),
            "columns": [{"key": c.key, "label": c.label, "percent": c.percent} for c in self.columns],
            "rows": [{"row": row, "info": self.info.get(row, ""), "ours": {c.key: self.ours[row].get(c.key)
                                                                            for c in self.columns},
                      "paper": {c.key: self.paper.get(row, {}).get(c.key) for c in self.columns
                                if self.paper.get(row, {}).get(c.key) is not None},
                      "extra": dict(self.extra.get(row, {}))} for row in self.ours],
        }

    def render(self, fmt: str = "text") -> str:
        """`fmt` "text" or "markdown"."""
        if fmt == "markdown":
            return self.to_markdown()
        if fmt == "text":
            return self.to_text()
        raise ValueError(f"unknown table format {fmt!r}; use text or markdown")


def ci_note(ns) -> str:
    """What the ± means, given the n of each row's interval (from `labkit.experiment.stats`)."""
    ns = sorted({int(n) for n in ns if n})
    if not ns or ns == [1]:
        return "One value per cell (n = 1): no confidence interval."
    return (f"Ours: mean and 95 % Student t interval over seeds (per-seed means when a seed has several folds; "
            f"over folds when there is a single seed), n = {', '.join(map(str, ns))}.")


__all__ = ["Column", "PaperTable", "ci_note"]
