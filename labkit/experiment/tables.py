"""The one table formatter: our means with confidence intervals, the paper's numbers beside them.

Every summary labkit prints (an augmenter comparison, every ``labkit reproduce`` table) is a
`PaperTable`: rows (models, augmenters, configurations) × columns (metrics), each of our cells a
``{"mean", "ci_low", "ci_high", "n"}`` dict from `labkit.experiment.stats` (fractions), and, where the
paper printed a number for that row and column, the paper's value (in the paper's units, usually %)
on a line of its own right under ours. The same object renders as plain text (the terminal), Markdown
(the README), CSV (spreadsheets, pandas), LaTeX (a booktabs ``table`` for a paper) and a JSON-able
dict; `render(fmt)` picks one of `FORMATS`.

>>> t = PaperTable("Table 1", [Column("uar", "UAR")], {"SVM": {"uar": {"mean": .61, "ci_low": .58,
...                "ci_high": .64, "n": 3}}}, paper={"SVM": {"uar": 55.0}})
>>> print(t.to_text())                                             # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field

# What `PaperTable.render` accepts (and every ``--format`` option offers).
FORMATS = ("text", "markdown", "csv", "latex")


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

    @classmethod
    def from_frame(
        cls, frame, rows=("augmenter",), title: str = "", labels: dict | None = None, **kwargs
    ) -> "PaperTable":
        """A table from a long summary frame (the run store's ``summary``: row column(s), metric, mean,
        ci_low, ci_high, n), as the dashboard holds it; several `rows` columns are joined with " · ".

        `labels` maps metric keys to column headers; values are fractions shown in %; the interval is
        printed as ``mean [low, high]`` unless ``ci=`` says otherwise.
        """
        rows = [rows] if isinstance(rows, str) else list(rows)
        ours: dict[str, dict[str, dict]] = {}
        for rec in frame.to_dict(orient="records"):
            name = " · ".join(str(rec[r]) for r in rows)
            ours.setdefault(name, {})[str(rec["metric"])] = {k: rec.get(k) for k in ("mean", "ci_low", "ci_high", "n")}
        metrics = list(dict.fromkeys(str(m) for m in frame["metric"]))
        columns = [Column(m, (labels or {}).get(m, m)) for m in metrics]
        kwargs.setdefault("ci", "bracket")
        return cls(title=title, columns=columns, ours=ours, row_header=" · ".join(rows), **kwargs)

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
        header = (
            [self.row_header]
            + (["source"] if with_paper else [])
            + ([self.info_header] if self.info_header else [])
            + [c.label for c in self.columns]
            + list(self.extra_columns)
        )
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
            cells = [
                str(c).ljust(w)
                if i == 0 or i < len(header) - len(self.columns) - len(self.extra_columns)
                else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(r, widths))
            ]
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
            "title": self.title,
            "notes": list(self.notes),
            # the layout, so that `from_dict` prints the same table again (docs, reports)
            "layout": {
                "row_header": self.row_header,
                "info_header": self.info_header,
                "extra_columns": list(self.extra_columns),
                "paper_label": self.paper_label,
                "ci": self.ci,
                "decimals": self.decimals,
                "paper_decimals": self.paper_decimals,
            },
            "columns": [{"key": c.key, "label": c.label, "percent": c.percent} for c in self.columns],
            "rows": [
                {
                    "row": row,
                    "info": self.info.get(row, ""),
                    "ours": {c.key: self.ours[row].get(c.key) for c in self.columns},
                    "paper": {
                        c.key: self.paper.get(row, {}).get(c.key)
                        for c in self.columns
                        if self.paper.get(row, {}).get(c.key) is not None
                    },
                    "extra": dict(self.extra.get(row, {})),
                }
                for row in self.ours
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "PaperTable":
        """The table back from its `to_dict` form (what ``results/<experiment>.json`` holds).

        A dict written before the layout was stored gets the defaults (row header "Model", ± intervals)
        and its extra columns in the order the rows first name them.
        """
        rows = d.get("rows", [])
        layout = dict(d.get("layout") or {})
        if "extra_columns" not in layout:
            layout["extra_columns"] = list(dict.fromkeys(k for r in rows for k in (r.get("extra") or {})))
        if "info_header" not in layout and any(r.get("info") for r in rows):
            layout["info_header"] = "info"
        return cls(
            title=d.get("title", ""),
            columns=[Column(c["key"], c["label"], c.get("percent", True)) for c in d.get("columns", [])],
            ours={r["row"]: r.get("ours", {}) for r in rows},
            paper={r["row"]: r["paper"] for r in rows if r.get("paper")},
            info={r["row"]: r["info"] for r in rows if r.get("info")},
            extra={r["row"]: r["extra"] for r in rows if r.get("extra")},
            notes=list(d.get("notes", [])),
            **layout,
        )

    def to_csv(self) -> str:
        """CSV for spreadsheets and pandas: numbers, not formatted cells.

        One line per row of ours; per metric column ``<label>`` (our mean), ``<label> CI low``,
        ``<label> CI high`` and, where the paper printed numbers, ``<label> paper``; then ``n`` (the
        largest n of the row's cells), the info and extra columns, and no notes. Percent columns are
        in % like the printed table; values keep 4 decimals; an empty field is a missing value.
        """
        with_paper = any(self.paper.get(r) for r in self.ours)
        header = [self.row_header] + ([self.info_header] if self.info_header else [])
        for c in self.columns:
            header += [c.label, f"{c.label} CI low", f"{c.label} CI high"] + (
                [f"{c.label} paper"] if with_paper else []
            )
        header += ["n"] + list(self.extra_columns)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        for row in self.ours:
            line = [row] + ([self.info.get(row, "")] if self.info_header else [])
            ns = []
            for c in self.columns:
                s = self.ours[row].get(c.key) or {}
                k = 100.0 if c.percent else 1.0
                line += [_number(s.get(key), k) for key in ("mean", "ci_low", "ci_high")]
                if with_paper:
                    line.append(_number(self.paper.get(row, {}).get(c.key), 1.0))
                if _finite(s.get("n")):
                    ns.append(int(s["n"]))
            line += [max(ns) if ns else ""] + [self.extra.get(row, {}).get(e, "") for e in self.extra_columns]
            writer.writerow(line)
        return buf.getvalue()

    def to_latex(self, label: str | None = None) -> str:
        """A LaTeX ``table`` with a booktabs ``tabular`` (needs ``\\usepackage{booktabs}``).

        The same grid as `to_text` (the paper's rows under ours); the title is the caption, the notes
        a footnote-size paragraph under the tabular. Every cell is escaped (``AAE_C`` becomes
        ``AAE\\_C``; ±, –, −, Δ become math). `label` is the ``\\label`` (default ``tab:`` + a slug of
        the title).
        """
        header, body, owner = self._grid()
        n_text = len(header) - len(self.columns) - len(self.extra_columns)
        spec = "l" * n_text + "r" * len(self.columns) + "l" * len(self.extra_columns)
        # "{}" keeps a first cell starting with "[" from being read as the optional argument of the "\\" before it
        row = lambda cells: "{}" * str(cells[0]).startswith("[") + " & ".join(latex_escape(c) for c in cells) + r" \\"  # noqa: E731
        label = label or "tab:" + (re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:40] or "results")
        out = [r"\begin{table}[htbp]", r"\centering"]
        if self.title:
            out.append(r"\caption{" + latex_escape(self.title) + "}")
        out += [r"\label{" + label + "}", r"\begin{tabular}{" + spec + "}", r"\toprule", row(header), r"\midrule"]
        for i, cells in enumerate(body):
            if i > 0 and owner[i] != owner[i - 1] and any(self.paper.get(r) for r in self.ours):
                out.append(r"\addlinespace")  # a little air between one model's ours/paper pair and the next
            out.append(row(cells))
        out += [r"\bottomrule", r"\end{tabular}"]
        if self.notes:
            out.append(r"\par\smallskip{\footnotesize " + " ".join(latex_escape(n) for n in self.notes) + "}")
        out.append(r"\end{table}")
        return "\n".join(out)

    def render(self, fmt: str = "text") -> str:
        """`fmt` one of `FORMATS`: "text", "markdown", "csv" or "latex"."""
        renderers = {"text": self.to_text, "markdown": self.to_markdown, "csv": self.to_csv, "latex": self.to_latex}
        if fmt not in renderers:
            raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
        return renderers[fmt]()


def _number(v, scale: float):
    """A CSV field: the value times `scale`, 4 decimals; "" when missing or not finite."""
    return round(scale * float(v), 4) if _finite(v) else ""


# LaTeX's special characters, and the few non-ASCII characters labkit's tables print.
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
    "–": "--",
    "—": "---",
    "−": "$-$",
    "Δ": r"$\Delta$",
    "×": r"$\times$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "·": r"$\cdot$",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text) -> str:
    """`text` safe inside a LaTeX table cell or caption (special characters escaped)."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], str(text))


def ci_note(ns) -> str:
    """What the ± means, given the n of each row's interval (from `labkit.experiment.stats`)."""
    ns = sorted({int(n) for n in ns if n})
    if not ns or ns == [1]:
        return "One value per cell (n = 1): no confidence interval."
    return (
        f"Ours: mean and 95 % Student t interval over seeds (per-seed means when a seed has several folds; "
        f"over folds when there is a single seed), n = {', '.join(map(str, ns))}."
    )


__all__ = ["FORMATS", "Column", "PaperTable", "ci_note", "latex_escape"]
