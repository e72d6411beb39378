"""What every paper module shares: the corpus options, emotion sets, feature loading, the data line,
the long table of task rows, the paired-test column and the tuning note.

A paper module (``labkit/reproductions/<paper>.py``) keeps only what is that paper's: its numbers,
its options, its plan, its task and its summary (see `labkit.reproductions.base.Plan` for what goes
where). What is the same for every paper is here, once. The tables are
`labkit.experiment.tables.PaperTable` (the one formatter) and every interval and paired test comes
from `labkit.experiment.stats` (the one stats module): this module only arranges their inputs and
their outputs.

Like the paper modules it is light at import time (no torch, no data): `labkit reproduce --list`
imports them all.
"""

from __future__ import annotations

import argparse
import json
import math

SOURCE_HELP = "corpus: synthetic, synthetic:DIR, emodb:PATH, ravdess:PATH, cremad:PATH, iemocap:PATH or csv:PATH"
FUNCTIONALS = ("is10", "egemaps", "emobase", "compare")  # the openSMILE sets a vector-based paper can use
DEVICE_HELP = "torch device: cpu, cuda, cuda:1 (default: CUDA when available)"


# --------------------------------------------------------------------------- corpus options
def add_corpus_arguments(
    p: argparse.ArgumentParser,
    *,
    source_metavar: str = "SOURCE",
    source_help: str = SOURCE_HELP,
    source_kwargs: dict | None = None,
    features: str | None = "is10",
    features_help: str | None = None,
    features_choices: tuple[str, ...] | None = FUNCTIONALS,
    threads: int | None = 1,
    threads_help: str | None = None,
    skip_bad: bool = True,
) -> None:
    """The options every paper reads its data with: SOURCE, ``--features``, ``--device``, ``--threads``
    and ``--skip-bad`` (`check_corpus_options` checks them).

    `features` is the ``--features`` default (None: the paper has no such option, e.g. AAEC's
    spectrograms); `features_choices` None leaves the check to the paper. `threads` is the
    ``--threads`` default (None: torch's own choice unless the paper decides). `source_kwargs`
    passes e.g. ``nargs="?"`` and a default to the positional SOURCE.
    """
    p.add_argument("source", metavar=source_metavar, help=source_help, **(source_kwargs or {}))
    if features is not None:
        p.add_argument(
            "--features",
            default=features,
            metavar=None if features_choices else "SET",
            choices=list(features_choices) if features_choices else None,
            help=features_help or "openSMILE functionals (default: %(default)s)",
        )
    p.add_argument("--device", default=None, help=DEVICE_HELP)
    p.add_argument(
        "--threads",
        type=int,
        default=threads,
        help=threads_help or "torch CPU threads per task (use --jobs for parallel tasks) (default: %(default)s)",
    )
    if skip_bad:
        p.add_argument(
            "--skip-bad", action="store_true", help="leave out unreadable / silent files instead of stopping"
        )


def add_max_folds_argument(p: argparse.ArgumentParser) -> None:
    """``--max-folds N``: a quick look at the first folds (tasks of later folds can be added later)."""
    p.add_argument(
        "--max-folds",
        type=int,
        default=None,
        metavar="N",
        help="run only the first N folds (a quick look; may grow later in the same --out)",
    )


def check_options(args: argparse.Namespace) -> None:
    """Refuse a bad ``--threads`` or ``--max-folds`` before any data is loaded (`LabkitError`: exit 2)."""
    from labkit.errors import LabkitError

    for name in ("threads", "max_folds"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise LabkitError(f"--{name.replace('_', '-')} must be at least 1, got {value}")


def drop_checkpoints(*suffixes: str):
    """An `Experiment.on_task_done` that deletes the checkpoints ``<task key><suffix>`` of a task just
    saved: a finished task no longer needs its optimiser states (no suffix: the checkpoint ``<key>``)."""

    def drop(task: dict, result: dict, run) -> None:
        for suffix in suffixes or ("",):
            run.checkpoint_path(f"{task['key']}{suffix}").unlink(missing_ok=True)

    return drop


def task_grid(key: str, **axes) -> list[dict]:
    """One task per combination of the `axes` (keyword order; the first varies slowest), its ``key``
    the format string `key` filled with them: ``task_grid("s{seed}_f{fold:02d}", seed=range(2),
    fold=range(5))`` is s0_f00, s0_f01, ... s1_f04. A key names a saved task: changing the format
    orphans the tasks of existing runs."""
    import itertools

    names = list(axes)
    combos = (dict(zip(names, values)) for values in itertools.product(*axes.values()))
    return [{"key": key.format(**c), **c} for c in combos]


# --------------------------------------------------------------------------- emotion sets and features
def parse_emotions(text: str, option: str = "--emotions") -> list[str]:
    """The emotion set of ``--emotions a,b,c``: canonical names (`labkit.data.schema.EMOTION_AV`;
    aliases such as ``angry`` are accepted), in the order given, at least two and no repeats."""
    from labkit.data.loaders import EMOTION_ALIASES
    from labkit.data.schema import EMOTION_AV
    from labkit.errors import LabkitError

    out = []
    for e in (s.strip() for s in str(text).split(",") if s.strip()):
        canon = e if e in EMOTION_AV else EMOTION_ALIASES.get(e.lower())
        if canon is None:
            raise LabkitError(f"unknown emotion {e!r} in {option}; known: {', '.join(EMOTION_AV)}")
        out.append(canon)
    if len(set(out)) < 2 or len(set(out)) != len(out):
        raise LabkitError(f"{option} needs at least two distinct emotions, got {text!r}")
    return out


def load_features(
    source: str,
    emotions: list[str] | None = None,
    feature_set: str = "is10",
    skip_bad: bool = False,
    progress: bool = True,
    *,
    hint: str = "pick the shared emotions with --emotions",
):
    """The corpus `source` (its utterances of `emotions` only, when given) and their features
    (`labkit.features.Features`, rows in the corpus's order).

    A missing emotion is a `LabkitError` naming the source, what it has, and `hint`.
    """
    from labkit.data.loaders import load_corpus
    from labkit.errors import LabkitError
    from labkit.features import extract

    table = load_corpus(source, skip_bad=skip_bad)
    if emotions is not None:
        present = sorted(set(table["emotion"].astype(str)))
        missing = [e for e in emotions if e not in present]
        if missing:
            raise LabkitError(f"{source}: no utterances of {', '.join(missing)} (it has {', '.join(present)}); {hint}")
        table = table[table["emotion"].isin(emotions)].reset_index(drop=True)
    return extract(table, feature_set, progress=progress, skip_bad=skip_bad)


def emotion_counts(meta, emotions) -> str:
    """``"anger 12, sadness 9"``: utterances per emotion, in the order of `emotions`."""
    counts = meta["emotion"].value_counts()
    return ", ".join(f"{e} {int(counts.get(e, 0))}" for e in emotions)


def describe(source: str, feats, counts: str) -> str:
    """The data line of a plan: source, utterances, speakers, `counts` (e.g. `emotion_counts`), features."""
    meta = feats.meta
    return (
        f"{source}: {len(meta)} utterances, {meta['speaker'].nunique()} speakers ({counts}); "
        f"{feats.feature_set} ({feats.X.shape[1]} features)"
    )


# --------------------------------------------------------------------------- summaries
def long_table(
    tasks,
    metrics: list[str],
    *,
    task_fields: tuple[str, ...] = ("seed", "fold"),
    row_fields: dict[str, str] | None = None,
    columns: list[str] | None = None,
):
    """One row per entry of every task's ``rows`` list (a task's table rows; JSON text once the run
    store has read them back): `task_fields` copied from the task (``seed`` and ``fold`` as ints),
    ``row_fields`` {new name: key in the row} and the `metrics` from the row.

    `columns` orders the frame (default: row fields, task fields, metrics). This is the table that
    `labkit.reproductions.base.summary_by` and `labkit.experiment.stats.paired_vs` read.
    """
    import pandas as pd

    row_fields = row_fields or {}
    columns = columns or [*row_fields, *task_fields, *metrics]
    out = []
    for t in tasks.to_dict("records"):
        rows = json.loads(t["rows"]) if isinstance(t["rows"], str) else t["rows"]
        base = {f: int(t[f]) if f in ("seed", "fold") else t[f] for f in task_fields}
        for r in rows:
            out.append({**base, **{new: r[old] for new, old in row_fields.items()}, **{m: r[m] for m in metrics}})
    return pd.DataFrame(out, columns=columns)


def p_text(p) -> str:
    """A p-value as printed in every table: two significant digits, ``n/a`` when there is none."""
    return "n/a" if p is None or not math.isfinite(float(p)) else f"{p:.2g}"


def paired_record(p, count: str | None = "n_pairs") -> dict:
    """The --json record of one row of `labkit.experiment.stats.paired_vs` (`count`: which count to keep)."""
    out = {"mean_diff": p.mean_diff, "p_value": p.p_value, "p_adjusted": p.p_adjusted}
    if count:
        out[count] = int(getattr(p, count))
    return out


def paired_column(
    paired,
    header: str,
    *,
    label=None,
    adjusted: bool = False,
    count: str | None = "n_pairs",
    skip: tuple[str, ...] = (),
    metric: str = "uar",
) -> tuple[dict, dict]:
    """The paired column of a long table: ``(extra, js)`` from `labkit.experiment.stats.paired_vs`.

    ``extra[row][header]`` is ``"+1.2 (p = 0.031)"`` (the mean paired difference of `metric` in
    points, the raw Wilcoxon p; with `adjusted` also the Benjamini-Hochberg p after a slash), for
    `PaperTable`'s ``extra``; ``js[row]`` the numbers (`paired_record`). `label(augmenter)` names the
    table row (default: the augmenter itself); rows in `skip` are left out.
    """
    extra, js = {}, {}
    if paired is None:
        return extra, js
    if "metric" in paired.columns:
        paired = paired[paired["metric"] == metric]
    for p in paired.itertuples(index=False):
        if p.augmenter in skip:
            continue
        row = label(p.augmenter) if label else p.augmenter
        text = f"{100 * p.mean_diff:+.1f} (p = {p_text(p.p_value)}"
        extra[row] = {header: text + (f" / {p_text(p.p_adjusted)})" if adjusted else ")")}
        js[row] = paired_record(p, count)
    return extra, js


def tuning_note(tasks, untuned: str, tuned: str, spaces: dict[str, str] | None = None) -> str:
    """The table note on the classifiers' hyperparameters.

    `untuned` when the run did not ``--tune``; else `tuned` followed by what the inner CVs chose,
    counted over tasks, per entry of the tasks' ``tuned`` records (`spaces` {record key: printed
    name} orders and names them; default: every key, as it is).
    """
    from labkit.experiment.classifiers import chosen_summary, tuned_records

    records = tuned_records(tasks)
    if not records:
        return untuned
    keys = list(spaces) if spaces else list(dict.fromkeys(k for r in records for k in r))
    chosen = " | ".join(
        f"{(spaces or {}).get(k, k)}: {chosen_summary([r[k] for r in records if k in r])}" for k in keys
    )
    return f"{tuned}: {chosen}."


# --------------------------------------------------------------------------- the learned-the-data gate
def gate_record(results) -> dict:
    """A task's ``gate`` entry from its generators' per-fold `labkit.metrics.gate.GateResult` s.

    `results` is {generator label: GateResult or None} (None: that generator made nothing to judge,
    e.g. the "none" baseline); the entry is {label: ``GateResult.to_dict()``} with non-finite numbers
    as None, so it is plain JSON. A task that trains several generators (one fold of Sahu et al.'s
    Table 1) gates each under its own label; the table's rows use the same labels.
    """
    out = {}
    for name, r in results.items():
        if r is None:
            continue
        out[str(name)] = {k: _finite(v) for k, v in r.to_dict().items()}
    return out


def gate_summary(tasks, column: str = "gate") -> dict:
    """{generator label: `GateResult`} combined over folds (`labkit.metrics.gate.combine`) from the
    tasks' `gate_record` entries (dicts, or their JSON text as the run store gives them back)."""
    from dataclasses import fields

    from labkit.metrics.gate import GateResult, combine

    if column not in getattr(tasks, "columns", ()):
        return {}
    names = {f.name for f in fields(GateResult)}
    per: dict[str, list] = {}
    for entry in tasks[column]:
        if isinstance(entry, str):
            entry = json.loads(entry)
        if not isinstance(entry, dict):
            continue
        for label, d in entry.items():
            kw = {k: (float("nan") if v is None and k != "fold" else v) for k, v in d.items() if k in names}
            if kw.get("spread") is not None and math.isnan(kw["spread"]):
                kw["spread"] = float("inf")  # a non-finite spread was stored as None: rows blown up or NaN
            per.setdefault(label, []).append(GateResult(**kw))
    return {label: combine(rs) for label, rs in per.items()}


def gate_lines(summary: dict) -> list[str]:
    """One printed line per generator: its verdict and its numbers, fold means (`gate_summary`)."""
    lines = []
    for label, r in summary.items():
        status = "passed" if r.passed else f"FAILED ({', '.join(r.failed)})"
        lines.append(
            f"Gate · {label}: {status}: fidelity {100 * r.fidelity:.0f} % against {100 * r.real_accuracy:.0f} % "
            f"for real rows (chance {100 * r.chance:.0f} %), C2ST AUC {r.c2st_auc:.2f}, precision "
            f"{r.precision:.2f}, recall {r.recall:.2f}, spread {r.spread:.2f}."
        )
    return lines


def gate_json(summary: dict) -> dict:
    """The gate's part of a table's ``--json``: {"generators": {label: numbers}, "verdict": line}."""
    from labkit.metrics.gate import gate_verdict

    return {
        "generators": {label: {k: _finite(v) for k, v in r.to_dict().items()} for label, r in summary.items()},
        "verdict": gate_verdict(list(summary.values())) if summary else None,
    }


def gated_verdict(reproduced: bool, claim: str, summary: dict, generators=None) -> str:
    """A claim's verdict sentence read through the gate.

    `reproduced`: whether our numbers show the paper's claim; `claim`: the claim in a few words;
    `generators`: the labels of `summary` the claim rests on (default: all). A reproduced claim says
    so; one that did not reproduce says "claim not reproduced by generators that learned the data" or
    "inconclusive: <generator> failed the gate (...)" (`labkit.metrics.gate.gate_verdict`). Without
    gate numbers (nothing gated) it says that the verdict is not gated.
    """
    from labkit.metrics.gate import gate_verdict

    if reproduced:
        return f"{claim}: reproduced."
    chosen = [summary[g] for g in (generators if generators is not None else summary) if g in summary]
    if not chosen:
        return f"{claim}: not reproduced (no generator was gated)."
    return f"{claim}: {gate_verdict(chosen)}."


def _finite(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


__all__ = [
    "DEVICE_HELP",
    "FUNCTIONALS",
    "SOURCE_HELP",
    "add_corpus_arguments",
    "add_max_folds_argument",
    "check_options",
    "describe",
    "drop_checkpoints",
    "emotion_counts",
    "gate_json",
    "gate_lines",
    "gate_record",
    "gate_summary",
    "gated_verdict",
    "load_features",
    "long_table",
    "p_text",
    "paired_column",
    "paired_record",
    "parse_emotions",
    "task_grid",
    "tuning_note",
]
