"""Results tables in the docs, rendered from committed result files: the one renderer, and its mkdocs hook.

Every results table on a docs page sits between two markers and is *rendered*, never typed:

    <!-- results demo-quick -->
    ...what `render` writes from docs/results/demo-quick.json...
    <!-- /results -->

``docs/results/NAME.json`` is a result file a run wrote, copied with where it came from (`collect`): the
command, the commit, labkit's version, when it ran. The tables are built by labkit's own formatters, so
a page shows what the command printed: `labkit.experiment.tables.PaperTable.from_dict` for a
reproduction's ``results/<experiment>.json``, `labkit.runs.compare.format_table` for a comparison's
summary and paired tests; `labkit corpus measure --json` and `labkit coverage --json` outputs get the
small tables defined here.

Use (from the repository root)::

    python docs/hooks/results.py collect RUNDIR NAME --command "labkit demo --quick"   # copy a run's results
    python docs/hooks/results.py collect-json NAME FILE... --kind measure --command "labkit corpus measure ..."
    python docs/hooks/results.py collect-reference RUNDIR NAME --command "labkit compare ...; labkit coverage ..."
    python docs/hooks/results.py collect-oracles oracles RUNDIR... --command "labkit compare synthetic:SCENARIO ..."
    python docs/hooks/results.py render            # rewrite every marked block of docs/*.md from its JSON
    python docs/hooks/results.py render --check    # exit 1, naming the pages, when a page differs

As an mkdocs hook it checks every page while the site is built: a page whose block differs from its
JSON is a warning, which fails the strict build (``./lab docs`` renders first, so it never fails there;
the test suite builds what is committed).

A marker may pick tables: ``<!-- results sahu-table1 tables=0 -->`` (indices of a reproduction's tables)
or ``<!-- results scenarios rows=balanced,shifted -->``; ``<!-- results oracles summary -->`` gives an ``oracles``
file's findings without its table (for README.md, which holds no results table). README.md's blocks are
rendered and checked as the pages' are.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
RESULTS = DOCS / "results"
MARKER = re.compile(r"<!-- results (?P<name>[A-Za-z0-9_.-]+)(?P<opts>[^>]*?)-->\n(?P<body>.*?)<!-- /results -->", re.S)
log = logging.getLogger("mkdocs.hooks.results")


# ---------------------------------------------------------------------------------------------- collecting
def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "labkit"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def _frame_records(run, name: str) -> list[dict] | None:
    if not run.has_table(name):
        return None
    return json.loads(run.read_table(name).to_json(orient="records"))


def collect_run(rundir: str | Path, name: str, command: str, commit: str | None = None) -> Path:
    """Copy what a run wrote (a comparison's summary and tests, or a reproduction's result JSON) to
    ``docs/results/<name>.json`` with its provenance; returns the path written."""
    from labkit.runstore import open_run
    from labkit.utils import write_json_atomic

    run = open_run(rundir)
    meta = json.loads((run.path / "run.json").read_text())
    payload = {
        "name": name,
        "command": command,
        "commit": commit or _git_commit(),
        "labkit_version": meta.get("labkit_version"),
        "created": meta.get("created"),
        "run_kind": meta.get("kind"),
        "config": meta.get("config"),
    }
    results = sorted(p.stem for p in (run.path / "results").glob("*.json"))
    if meta.get("kind") == "compare":
        payload["kind"] = "compare"
        payload["summary"] = json.loads((run.path / "results" / "summary.json").read_text())
        for table in ("paired", "tuning", "sweep", "oracle_share"):
            payload[table] = _frame_records(run, table)
    else:
        experiment = next((r for r in results if r not in ("data",)), None)
        if experiment is None:
            raise SystemExit(f"{run.path}: no results/<experiment>.json to collect (is the run finished?)")
        payload["kind"] = "reproduce"
        payload["result"] = json.loads((run.path / "results" / f"{experiment}.json").read_text())
    out = RESULTS / f"{name}.json"
    write_json_atomic(out, payload)
    return out


def collect_json(name: str, files: list[str], kind: str, command: str, commit: str | None = None) -> Path:
    """Wrap the ``--json`` outputs of a command (one file per item, keyed by the file's stem) as
    ``docs/results/<name>.json``."""
    from labkit import __version__
    from labkit.utils import write_json_atomic

    items = {Path(f).stem: json.loads(Path(f).read_text()) for f in files}
    payload = {
        "name": name,
        "kind": kind,
        "command": command,
        "commit": commit or _git_commit(),
        "labkit_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "items": items,
    }
    out = RESULTS / f"{name}.json"
    write_json_atomic(out, payload)
    return out


def oracle_item(rundir: str | Path) -> dict:
    """One comparison run with the oracle augmenters, as an item of an ``oracles`` result file.

    Per oracle: the UAR difference from ``none`` in points-as-fractions, seeds averaged within each fold
    (`labkit.experiment.stats` pairing rule), its mean with a Student t 95 % interval over the folds, the
    Wilcoxon p over the folds (raw and Benjamini-Hochberg adjusted, from the run's ``paired`` table), and
    the per-fold differences themselves, so that a reader can recompute everything.
    """
    import pandas as pd

    from labkit.experiment.stats import _fold_differences, mean_ci
    from labkit.runs.compare import BASELINE, ORACLES
    from labkit.runstore import open_run

    run = open_run(rundir)
    meta = json.loads((run.path / "run.json").read_text())
    config = meta.get("config") or {}
    if meta.get("kind") != "compare" or not run.has_table("tasks"):
        raise SystemExit(f"{run.path}: not a finished comparison (no tables/tasks.parquet)")
    tasks = run.read_table("tasks")
    tasks = tasks[(tasks["augmenter"] == BASELINE) | (tasks["amount"] == _amount(config))]
    paired = run.read_table("paired") if run.has_table("paired") else pd.DataFrame()
    summary = json.loads((run.path / "results" / "summary.json").read_text())
    oracles = {}
    for name in [a for a in config.get("augmenters", []) if a in ORACLES]:
        diffs, n_seeds = _fold_differences(tasks, name, BASELINE, "uar")
        m, lo, hi = mean_ci(diffs.to_numpy(dtype=float))
        row = paired[(paired["augmenter"] == name) & (paired["metric"] == "uar")] if len(paired) else paired
        oracles[name] = {
            "uar": summary[name]["uar"]["mean"],
            "mean_diff": m,
            "ci_low": lo,
            "ci_high": hi,
            "p_value": float(row["p_value"].iloc[0]) if len(row) else None,
            "p_adjusted": float(row["p_adjusted"].iloc[0]) if len(row) else None,
            "n_folds": int(diffs.size),
            "n_seeds": n_seeds,
            "fold_differences": [float(v) for v in diffs.to_numpy(dtype=float)],
        }
    if not oracles:
        raise SystemExit(f"{run.path}: the comparison ran no oracle augmenter ({', '.join(ORACLES)})")
    source = str(config.get("source", ""))
    return {
        "scenario": source.split(":", 1)[1] if source.startswith("synthetic:") else source,
        "source": source,
        "protocol": config.get("protocol"),
        "features": config.get("features"),
        "classifier": config.get("classifier"),
        "tune": bool(config.get("tune")),
        "seeds": config.get("seeds"),
        "amount": config.get("amount"),
        "none_uar": summary[BASELINE]["uar"]["mean"],
        "oracles": oracles,
        "config": config,
        "created": meta.get("created"),
    }


def _amount(config: dict) -> str:
    from labkit.runs.compare import amount_str

    return amount_str(config.get("amount", 1.0))


def collect_oracles(name: str, rundirs: list[str], command: str, commit: str | None = None) -> Path:
    """The oracle comparisons `rundirs` (one per scenario) as ``docs/results/<name>.json`` (kind ``oracles``,
    one item per scenario, in the order given)."""
    from labkit import __version__
    from labkit.utils import write_json_atomic

    items = {}
    for rundir in rundirs:
        item = oracle_item(rundir)
        items[item["scenario"]] = item
    payload = {
        "name": name,
        "kind": "oracles",
        "command": command,
        "commit": commit or _git_commit(),
        "labkit_version": __version__,
        "created": max(str(i["created"] or "") for i in items.values()) or None,
        "items": items,
    }
    out = RESULTS / f"{name}.json"
    write_json_atomic(out, payload)
    return out


def collect_reference(name: str, rundir: str, command: str, commit: str | None = None) -> Path:
    """A comparison recorded with ``--record-every`` after ``labkit coverage``: per ``aug-*`` space, the
    generator's coverage metrics at the iteration the reference matched and the oracles' rows of the run's
    ``coverage-reference`` table, as ``docs/results/<name>.json`` (kind ``coverage-reference``)."""
    from labkit import __version__
    from labkit.metrics.coverage import REFERENCE_TABLE, CoverageConfig, coverage_for_run
    from labkit.runstore import open_run
    from labkit.utils import write_json_atomic

    run = open_run(rundir)
    if not run.has_table(REFERENCE_TABLE):
        raise SystemExit(f"{run.path}: no {REFERENCE_TABLE} table; run `labkit coverage {run.path} --space aug-...`")
    table = run.read_table(REFERENCE_TABLE)
    items = {}
    for space in sorted(set(table["space"])):
        ref = table[table["space"] == space].sort_values("oracle", kind="stable")
        iteration = int(ref["iteration"].iloc[0])
        k, cap, seed = (int(ref[c].iloc[0]) for c in ("k", "max_samples", "seed"))
        rows = coverage_for_run(run, space, CoverageConfig(k=k, max_samples=cap, seed=seed), show_progress=False)
        generator = next(r for r in rows if r["iteration"] == iteration)
        keep = [c for c in ref.columns if c not in ("reference_file", "snapshot_file")]
        items[space] = {"generator": generator, "oracles": json.loads(ref[keep].to_json(orient="records"))}
    meta = json.loads((run.path / "run.json").read_text())
    payload = {
        "name": name,
        "kind": "coverage-reference",
        "command": command,
        "commit": commit or _git_commit(),
        "labkit_version": __version__,
        "created": meta.get("created"),
        "config": meta.get("config"),
        "items": items,
    }
    out = RESULTS / f"{name}.json"
    write_json_atomic(out, payload)
    return out


# ---------------------------------------------------------------------------------------------- rendering
def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path.relative_to(ROOT)}: no such result file (collect it first)")
    return json.loads(path.read_text())


def provenance(d: dict) -> str:
    day = str(d.get("created") or "")[:10]
    return (
        f"*Rendered from `docs/results/{d['name']}.json`, written by `{d['command']}` at commit "
        f"`{d.get('commit', 'unknown')}` (labkit {d.get('labkit_version', '?')}, {day}).*"
    )


def compare_table(d: dict, fmt: str = "markdown") -> str:
    """The comparison's summary exactly as `labkit compare` prints it (`format_table`), in `fmt`."""
    import pandas as pd

    from labkit.runs.compare import format_table

    paired = pd.DataFrame(d["paired"]) if d.get("paired") else None
    chosen = None
    if d.get("tuning"):
        from labkit.runs.compare import CompareConfig, chosen_values

        chosen = chosen_values(pd.DataFrame(d["tuning"]), CompareConfig(**_compare_config(d["config"])))
    shares = pd.DataFrame(d["oracle_share"]) if d.get("oracle_share") else None
    return format_table(d["summary"], fmt=fmt, chosen=chosen, paired=paired, shares=shares)


def _compare_config(config: dict) -> dict:
    import dataclasses

    from labkit.runs.compare import CompareConfig

    fields = {f.name for f in dataclasses.fields(CompareConfig)}
    return {k: v for k, v in config.items() if k in fields}


def reproduce_tables(d: dict, fmt: str = "markdown", tables: list[int] | None = None) -> list[str]:
    from labkit.experiment.tables import PaperTable

    dicts = d["result"].get("tables", [])
    picked = [dicts[i] for i in tables] if tables is not None else dicts
    return [PaperTable.from_dict(t).render(fmt) for t in picked]


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def measure_table(d: dict, rows: list[str] | None = None) -> str:
    """`labkit corpus measure --json`, one row per corpus: size, no-augmentation UAR, share outside."""
    lines = [
        "| corpus | utterances | speakers | classes (chance %) | UAR, no augmentation (%) | per speaker "
        "| test share outside every training ball (%) | per speaker |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key in rows or list(d["items"]):
        m = d["items"][key]
        u, o = m["uar"], m["outside"]
        per_uar = [f["uar"] for f in m["folds"]]
        per_out = [f["outside"] for f in m["folds"]]
        lines.append(
            f"| {m['source']} | {m['n_utterances']} | {m['n_speakers']} | {len(m['classes'])} ({_pct(m['chance'])}) "
            f"| {_pct(u['mean'])} [{_pct(u['ci_low'])}, {_pct(u['ci_high'])}] "
            f"| {_pct(min(per_uar))}–{_pct(max(per_uar))} "
            f"| {_pct(o['mean'])} [{_pct(o['ci_low'])}, {_pct(o['ci_high'])}] "
            f"| {_pct(min(per_out))}–{_pct(max(per_out))} |"
        )
    return "\n".join(lines)


COVERAGE_COLUMNS = ["precision", "recall", "density", "coverage", "frechet", "test_in_train", "test_gain"]


def _metric(name: str, v) -> str:
    if not isinstance(v, (int, float)):
        return "–"
    return f"{v:.1f}" if name == "frechet" else f"{v:.3f}"


def coverage_table(d: dict, rows: list[str] | None = None) -> str:
    """`labkit coverage --json`: one row per recorded iteration, the metrics of `COVERAGE_COLUMNS`."""
    lines = []
    for space, per in d["items"].items():
        records = per if isinstance(per, list) else per.get("iterations", per)
        cols = [c for c in COVERAGE_COLUMNS if any(c in r for r in records)]
        lines += [f"**{space}**", "", "| iteration | " + " | ".join(cols) + " |", "| --- " * (len(cols) + 1) + "|"]
        for r in records:
            if rows and str(r.get("iteration")) not in rows:
                continue
            cells = [_metric(c, r.get(c)) for c in cols]
            lines.append(f"| {r.get('iteration')} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip()


def _points(v, sign: bool = True) -> str:
    """A fraction as points: ``+8.8``; ``–`` when missing."""
    if not isinstance(v, (int, float)) or v != v:
        return "–"
    return f"{100 * v:+.1f}" if sign else f"{100 * v:.1f}"


def _p(v) -> str:
    return "–" if not isinstance(v, (int, float)) or v != v else f"{v:.2g}"


def _oracle_names(d: dict) -> list[str]:
    return list(dict.fromkeys(o for item in d["items"].values() for o in item["oracles"]))


def oracle_table(d: dict, rows: list[str] | None = None) -> str:
    """An ``oracles`` result file: one row per scenario, the UAR of ``none`` and each oracle's Δ UAR."""
    names = _oracle_names(d)
    head = ["scenario", "UAR, none (%)", *[f"Δ UAR {o} [95% CI] (p)" for o in names], "folds × seeds"]
    lines = ["| " + " | ".join(head) + " |", "| --- " * len(head) + "|"]
    for key in rows or list(d["items"]):
        item = d["items"][key]
        cells = [f"`{item['scenario']}`", _points(item["none_uar"], sign=False)]
        for o in names:
            r = item["oracles"].get(o)
            cells.append(
                "–"
                if r is None
                else f"{_points(r['mean_diff'])} [{_points(r['ci_low'])}, {_points(r['ci_high'])}] ({_p(r['p_value'])})"
            )
        first = next(iter(item["oracles"].values()))
        cells.append(f"{first['n_folds']} × {first['n_seeds']}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def oracle_findings(d: dict, rows: list[str] | None = None) -> list[str]:
    """What the file says, in sentences, computed from its numbers (never typed): where even the oracles
    gain nothing (no oracle's mean Δ UAR above 0: the rule under which `labkit compare`'s share column says
    n/a), where an oracle's gain is shown (its 95 % interval above 0), and, for the rest, the best mean."""
    nothing, shown, unclear = [], {}, []
    for key in rows or list(d["items"]):
        item = d["items"][key]
        gains = {o: r for o, r in item["oracles"].items() if isinstance(r.get("mean_diff"), (int, float))}
        above = [o for o, r in gains.items() if isinstance(r.get("ci_low"), (int, float)) and r["ci_low"] > 0]
        for o in above:
            shown.setdefault(o, []).append(item["scenario"])
        if all(r["mean_diff"] <= 0 for r in gains.values()):
            nothing.append(item["scenario"])
        elif not above:
            best = max(gains, key=lambda o: gains[o]["mean_diff"])
            unclear.append(f"`{item['scenario']}` ({best} {_points(gains[best]['mean_diff'])})")
    ticks = lambda names: ", ".join(f"`{n}`" for n in names)  # noqa: E731
    out = []
    if nothing:
        out.append(
            f"Even the oracles gain nothing on {ticks(nothing)} (no oracle's mean Δ UAR above 0): augmentation "
            "cannot help there, by construction."
        )
    else:
        out.append(
            "No scenario has every oracle's mean Δ UAR at or below 0, so none is shown to be one where augmentation "
            "cannot help by construction."
        )
    for o, names in shown.items():
        out.append(f"`{o}`'s gain is shown (95 % interval above 0) on {ticks(names)}.")
    if unclear:
        out.append(
            "No gain is shown (every interval includes 0 at these folds and seeds) on "
            + ", ".join(unclear)
            + " (the best oracle's mean Δ UAR in points)."
        )
    return out


REFERENCE_COLUMNS = ["precision", "recall", "density", "coverage", "test_in_train", "test_gain", "n_generated"]


def reference_table(d: dict, rows: list[str] | None = None) -> str:
    """A ``coverage-reference`` file: each recorded augmenter's coverage metrics, then the oracles' on the
    same fold, amount and settings (the reference scale; once when every space shares them)."""
    head = ["samples of", *REFERENCE_COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "| --- " * len(head) + "|"]
    spaces = rows or list(d["items"])
    cols = lambda r: [r.get(c) for c in REFERENCE_COLUMNS]  # noqa: E731
    refs = [[(o["oracle"], cols(o)) for o in d["items"][s]["oracles"]] for s in spaces]
    shared = all(r == refs[0] for r in refs)  # one fold, one amount: the oracles' rows are the same for all
    entries = []
    for space in spaces:
        item = d["items"][space]
        name = space.removeprefix("aug-")
        entries.append((f"`{name}` (iteration {item['generator']['iteration']})", item["generator"]))
        if not shared:
            entries += [(f"{o['oracle']} (reference for `{name}`)", o) for o in item["oracles"]]
    if shared:
        entries += [(f"**{o['oracle']}** (reference)", o) for o in d["items"][spaces[0]]["oracles"]]
    for label, r in entries:
        cells = [str(r.get(c)) if c == "n_generated" else _metric(c, r.get(c)) for c in REFERENCE_COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


BENCH_PARTS = [
    "features",
    "generator training",
    "generation",
    "classifier fits",
    "tuning",
    "diagnostics",
    "store I/O",
    "other",
]


def bench_reproduce_table(d: dict, rows: list[str] | None = None) -> str:
    """`benchmarks/bench_reproduce.py --json`, one row per experiment: CPU share of every part, the floor."""
    head = ["run", "tasks finished", "wall s", "CPU s", *[f"{p} % CPU" for p in BENCH_PARTS], "CPU / FLOP floor"]
    head.append("paper budget, projected CPU s")
    lines = ["| " + " | ".join(head) + " |", "| --- " * len(head) + "|"]
    for key in rows or list(d["items"]):
        f = d["items"][key]
        done = str(f.get("tasks_finished", "?"))
        if f.get("stopped_after_s"):
            done += f" (stopped at {f['stopped_after_s']:g} s)"
        shares = [_pct(f["parts"][p]["cpu_share"]) for p in BENCH_PARTS]
        ratio = f"{f['cpu_over_floor']:.0f}x" if f.get("cpu_over_floor") else "–"
        ratio += f" | {f['projected_cpu_s']:.0f}" if f.get("projected_cpu_s") else " | –"
        lines.append(
            f"| {key} | {done} | {f['wall_s']:.0f} | {f['cpu_s']:.0f} | " + " | ".join(shares) + f" | {ratio} |"
        )
    return "\n".join(lines)


def bench_dnn_table(d: dict) -> str:
    """`benchmarks/bench_dnn.py --json`: one row per classifier, then the stacked tuning grid."""
    item = next(iter(d["items"].values()))
    rows = item["classifiers"]
    base = rows["mlp"]["cpu_s"]
    lines = [
        "| classifier | CPU s | × mlp | epochs | CPU s / epoch | test accuracy | UAR | predictions = mlp's |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['cpu_s']:.1f} | {r['cpu_s'] / base:.2f} | {r['epochs']} | {r['cpu_s_per_epoch']:.2f} "
            f"| {r['accuracy']:.3f} | {r['uar']:.3f} | {_pct(r['agreement_with_mlp'])} % |"
        )
    g = item["grid"]
    lines += [
        "",
        f"Tuning grid weight_decay {g['weight_decays']}: three separate `dnn-torch` fits {g['separate_cpu_s']:.1f} CPU s, "
        f"one `fit_many` of three replicas {g['stacked_cpu_s']:.1f} CPU s (× {g['stacked_cpu_s'] / g['separate_cpu_s']:.2f}); "
        f"epochs {g['epochs']}; largest probability difference replica / separate fit {g['max_proba_difference']:.1e}.",
    ]
    return "\n".join(lines)


def _options(text: str) -> dict[str, list[str]]:
    out = {}
    for part in text.split():
        key, _, value = part.partition("=")
        out[key] = [v for v in value.split(",") if v]
    return out


def render_block(name: str, opts: str = "") -> str:
    """The text between the markers for result `name` (provenance line, tables)."""
    d = load(name)
    o = _options(opts)
    kind = d.get("kind")
    if kind == "compare":
        parts = [compare_table(d)]
    elif kind == "reproduce":
        tables = [int(i) for i in o["tables"]] if "tables" in o else None
        parts = reproduce_tables(d, tables=tables)
        if "findings" in o:
            parts += ["\n".join(f"* {f}" for f in d["result"].get("findings", []))]
    elif kind == "measure":
        parts = [measure_table(d, o.get("rows"))]
    elif kind == "coverage":
        parts = [coverage_table(d, o.get("rows"))]
    elif kind == "coverage-reference":
        parts = [reference_table(d, o.get("rows"))]
    elif kind == "oracles":
        findings = "\n".join(f"* {f}" for f in oracle_findings(d, o.get("rows")))
        parts = [findings] if "summary" in o else [oracle_table(d, o.get("rows")), findings]

    elif kind == "bench-reproduce":  # benchmarks/bench_reproduce.py --json (one item per experiment)
        parts = [bench_reproduce_table(d, o.get("rows"))]
    elif kind == "bench-dnn":  # benchmarks/bench_dnn.py --json
        parts = [bench_dnn_table(d)]
    else:
        raise ValueError(f"docs/results/{name}.json: unknown kind {kind!r}")
    return "\n\n".join([provenance(d), *parts]) + "\n"


FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)


def render_text(text: str) -> str:
    """`text` with every marked block rendered again from its JSON (markers inside code fences are examples
    and are left alone)."""

    def render(part: str) -> str:
        return MARKER.sub(
            lambda m: f"<!-- results {m['name']}{m['opts']}-->\n{render_block(m['name'], m['opts'])}<!-- /results -->",
            part,
        )

    out, pos = [], 0
    for fence in FENCE.finditer(text):
        out += [render(text[pos : fence.start()]), fence.group(0)]
        pos = fence.end()
    return "".join(out + [render(text[pos:])])


def markers(text: str) -> list[re.Match]:
    """The marked blocks of `text` outside code fences."""
    return list(MARKER.finditer(FENCE.sub("", text)))


def pages() -> list[Path]:
    """Every docs page, and README.md (a README block is rendered and checked like a page's)."""
    docs = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts and not p.is_symlink())
    readme = ROOT / "README.md"
    return docs + ([readme] if readme.is_file() and not readme.is_symlink() else [])


def render_pages(check: bool = False) -> list[Path]:
    """Render every page's blocks; return the pages that differed (rewritten unless `check`)."""
    changed = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        if "<!-- results " not in text:
            continue
        new = render_text(text)
        if new != text:
            changed.append(page)
            if not check:
                page.write_text(new, encoding="utf-8")
    return changed


# ---------------------------------------------------------------------------------------------- mkdocs hook
def on_page_markdown(markdown, page, config, files, **kwargs):
    try:
        fresh = render_text(markdown)
    except (OSError, ValueError, KeyError) as err:
        log.warning("%s: a results block cannot be rendered: %s", page.file.src_path, err)
        return markdown
    if fresh != markdown:
        log.warning(
            "%s: a results table differs from its JSON under docs/results/; run `python docs/hooks/results.py "
            "render` (./lab docs does) and commit the page",
            page.file.src_path,
        )
    return fresh


# ---------------------------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="docs/hooks/results.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect", help="copy a run's results to docs/results/NAME.json")
    c.add_argument("rundir")
    c.add_argument("name")
    c.add_argument("--command", required=True, help="the command that made the run, as a user types it")
    c.add_argument("--commit", default=None, help="the commit the run was made at (default: HEAD)")
    j = sub.add_parser("collect-json", help="wrap --json outputs (one file per item) as docs/results/NAME.json")
    j.add_argument("name")
    j.add_argument("files", nargs="+")
    j.add_argument("--kind", required=True, choices=["measure", "coverage", "bench-reproduce", "bench-dnn"])
    j.add_argument("--command", required=True)
    j.add_argument("--commit", default=None)
    o = sub.add_parser("collect-oracles", help="oracle comparisons (one run per scenario) as docs/results/NAME.json")
    o.add_argument("name")
    o.add_argument("rundirs", nargs="+")
    o.add_argument("--command", required=True)
    o.add_argument("--commit", default=None)
    f = sub.add_parser("collect-reference", help="a run's coverage-reference table as docs/results/NAME.json")
    f.add_argument("rundir")
    f.add_argument("name")
    f.add_argument("--command", required=True)
    f.add_argument("--commit", default=None)
    r = sub.add_parser("render", help="render every marked block of docs/*.md from its JSON")
    r.add_argument("--check", action="store_true", help="change nothing; exit 1 when a page differs")
    args = p.parse_args(argv)
    if args.cmd == "collect":
        print(collect_run(args.rundir, args.name, args.command, args.commit))
    elif args.cmd == "collect-oracles":
        print(collect_oracles(args.name, args.rundirs, args.command, args.commit))
    elif args.cmd == "collect-reference":
        print(collect_reference(args.name, args.rundir, args.command, args.commit))
    elif args.cmd == "collect-json":
        print(collect_json(args.name, args.files, args.kind, args.command, args.commit))
    else:
        changed = render_pages(check=args.check)
        for page in changed:
            print(f"{page.relative_to(ROOT)}: {'differs from its JSON' if args.check else 'rendered'}")
        return 1 if (args.check and changed) else 0
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
