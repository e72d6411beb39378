"""An example paper: the template for a fifth reproduction, run end to end by tests/test_example_paper.py.

"Noise helps a linear SVM" is a MADE-UP paper: its claim and its numbers (`PAPER_TABLE`) are
invented for this example and come from no publication. It asks whether Gaussian-noise copies of
the training rows help a linear SVM recognise emotions on openSMILE functionals.

* ``example-table1 SOURCE``: rows "No augmentation" and "Add noise", leave-one-speaker-out; WA and
  UAR with 95 % intervals over seeds, the paired difference of noise from none, and the made-up
  numbers under ours.

One task = one method x seed x fold: scaler -> augmenter -> classifier (`build_pipeline`) fitted on
the fold's training rows only, scored on its held-out speaker.

To add a paper, copy this file to ``labkit/reproductions/<paper>.py`` and replace what is the paper's:
its numbers, options, plan, task and summary. The corpus options, the emotion set, the features, the
long table, the paired column and the tuning note come from `labkit.reproductions.common`; what goes
in ``config``, ``context`` and ``info`` is written in `labkit.reproductions.base.Plan`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit.experiment.tables import Column, PaperTable, ci_note
from labkit.reproductions.base import Experiment, Plan, Report, slug, summary_by, summary_frame
from labkit.reproductions.common import (
    add_corpus_arguments,
    add_max_folds_argument,
    check_options,
    describe,
    emotion_counts,
    load_features,
    long_table,
    paired_column,
    parse_emotions,
    task_grid,
    tuning_note,
)

if TYPE_CHECKING:
    import numpy as np

PAPER = "An example paper, MADE UP for labkit's tests: noise augmentation vs none with a linear SVM"
METHODS = {"none": "No augmentation", "noise": "Add noise"}  # method -> table row
METRICS = ["uar", "wa", "f1"]
# EXAMPLE ONLY: invented numbers (WA, UAR in %) that no publication printed; they show where a paper's go.
PAPER_TABLE = {"No augmentation": {"wa": 52.0, "uar": 50.0}, "Add noise": {"wa": 54.0, "uar": 53.0}}
PAPER_LABEL = "made-up example"
PAIRED_HEADER = "Δ UAR vs none (p)"


# --------------------------------------------------------------------------- options
def _arguments(p: argparse.ArgumentParser) -> None:
    add_corpus_arguments(p, features="egemaps")
    p.add_argument("--emotions", default="anger,happiness,sadness,neutral", help="the classes (default: %(default)s)")
    p.add_argument("--noise-scale", type=float, default=0.1, help="noise std in feature stds (default: %(default)s)")
    p.add_argument("--amount", type=float, default=1.0, help="noise rows per class / its rows (default: %(default)s)")
    add_max_folds_argument(p)


@dataclass(frozen=True, eq=False)
class ExampleContext:
    """What every method x seed x fold task needs (`Plan.context`; pickled to the workers)."""

    X: np.ndarray  # (N, D) float32 functionals, unscaled (each pipeline scales its own training fold)
    y: np.ndarray  # (N,) emotion names: the classes
    folds: list  # one labkit.experiment.protocols.Fold per fold index of the tasks
    noise_scale: float  # noise std in units of each standardised feature's std (--noise-scale)
    amount: float  # noise rows per class as a multiple of the class's training rows (--amount)
    tune: bool  # choose the SVM's C in every fold by an inner CV on its real training rows (--tune)
    speakers: np.ndarray  # (N,) speaker ids: the inner CV's groups


# --------------------------------------------------------------------------- plan
def _plan(args) -> Plan:
    import numpy as np

    from labkit.errors import LabkitError
    from labkit.experiment.protocols import make_folds

    check_options(args)
    emotions = parse_emotions(args.emotions)
    if not (args.noise_scale > 0 and args.amount > 0):
        raise LabkitError(f"--noise-scale and --amount must be > 0, got {args.noise_scale} and {args.amount}")
    feats = load_features(args.source, emotions, args.features, args.skip_bad, not args.json)
    folds = make_folds(feats.meta, "loso")[: args.max_folds]
    tune = bool(getattr(args, "tune", False))
    context = ExampleContext(
        X=feats.X.astype(np.float32),
        y=feats.meta["emotion"].astype(str).to_numpy(),
        folds=folds,
        noise_scale=float(args.noise_scale),
        amount=float(args.amount),
        tune=tune,
        speakers=feats.meta["speaker"].astype(str).to_numpy(),
    )
    # the identity: what changes a saved task's numbers (seeds and --max-folds may grow later)
    config = {"source": args.source, "features": feats.feature_set, "emotions": emotions}
    config.update(noise_scale=context.noise_scale, amount=context.amount, **({"tune": True} if tune else {}))
    tasks = task_grid("{method}_s{seed}_f{fold:02d}", seed=range(args.seeds), fold=range(len(folds)), method=[*METHODS])
    return Plan(
        config=config,
        tasks=tasks,
        context=context,
        data=f"{describe(args.source, feats, emotion_counts(feats.meta, emotions))}; leave-one-speaker-out "
        f"({len(folds)} folds run)",
        default_out=f"example-table1-{slug(args.source)}",
        name=f"Example paper, Table 1 ({args.source})",
        run_kind="example-table1",
    )


# --------------------------------------------------------------------------- one task
def method_task(task: dict, context: ExampleContext, run_path: str) -> dict:
    """Fit scaler -> augmenter -> linear SVM on one fold's training rows; score its held-out speaker."""
    from labkit.augment import make_augmenter
    from labkit.experiment.classifiers import make_classifier, tune_on_real
    from labkit.experiment.metrics import scores
    from labkit.experiment.pipeline import build_pipeline, task_seed

    seed, k = int(task["seed"]), int(task["fold"])
    fold, rs = context.folds[k], task_seed(seed, k)
    Xtr, ytr = context.X[fold.train_idx], context.y[fold.train_idx]
    params, tuned = {}, {}
    if context.tune:  # on the fold's real training rows only; both methods of the fold use the result
        params, tuned["SVM"] = tune_on_real("svm-linear", Xtr, ytr, context.speakers[fold.train_idx], rs)
    if task["method"] == "none":
        augmenter = make_augmenter("none")
    else:
        augmenter = make_augmenter(
            "noise", scale=context.noise_scale, sampling_strategy=context.amount, random_state=rs
        )
    pipe = build_pipeline(augmenter, make_classifier("svm-linear", random_state=rs, **params)).fit(Xtr, ytr)
    s = scores(context.y[fold.test_idx], pipe.predict(context.X[fold.test_idx]), labels=sorted(set(context.y)))
    row = {"row": METHODS[task["method"]], **{m: float(s[m]) for m in METRICS}}
    return {
        "method": task["method"],
        "seed": seed,
        "fold": k,
        "n_train": int(len(fold.train_idx)),
        "n_synthetic": int(getattr(pipe.named_steps["augment"], "n_synthetic_", 0)),
        "rows": [row],
        **({"tuned": tuned} if tuned else {}),
    }


# --------------------------------------------------------------------------- summary
def _summary(tasks, plan: Plan) -> Report:
    from labkit.experiment.stats import paired_vs

    long = long_table(tasks, METRICS, row_fields={"configuration": "row"})
    summary = summary_by(long, "configuration", METRICS, order=list(METHODS.values()))
    paired = paired_vs(long.rename(columns={"configuration": "augmenter"}), ["uar"], baseline=METHODS["none"])
    extra, paired_js = paired_column(paired, PAIRED_HEADER)
    notes = [
        f"Data: {plan.data}.",
        ci_note([s["uar"]["n"] for s in summary.values()]),
        f"{PAIRED_HEADER}: mean paired difference in UAR points, two-sided Wilcoxon over folds of the seed-averaged "
        "differences (labkit.experiment.stats.paired_vs).",
        tuning_note(
            tasks,
            untuned="Linear SVM with C = 1 (--no-tune); by default C is chosen inside every training fold.",
            tuned="Tuned: the SVM's C chosen in every fold by a speaker-grouped inner CV on its real rows",
        ),
        f"{PAPER_LABEL}: INVENTED numbers for this example; no paper printed them.",
    ]
    table = PaperTable(
        title="Example paper (made up), Table 1: noise augmentation vs none, linear SVM, WA and UAR (%)",
        columns=[Column("wa", "WA"), Column("uar", "UAR")],
        ours=summary,
        paper={r: v for r, v in PAPER_TABLE.items() if r in summary},
        row_header="Training data",
        paper_label=PAPER_LABEL,
        extra_columns=[PAIRED_HEADER] if extra else [],
        extra=extra,
        notes=notes,
    )
    js = {"rows": summary, "paired_vs_none": paired_js, "data": plan.data}
    return Report(tables=[table], json=js, frames={"summary": summary_frame(summary), "scores": long})


EXPERIMENT = Experiment(
    name="example-table1",
    paper=PAPER,
    summary="Table 1 of a made-up paper: noise vs none, linear SVM, LOSO",
    description="An example reproduction (tests/example_paper.py): noise augmentation vs none, linear SVM.",
    add_arguments=_arguments,
    plan=_plan,
    run_task=method_task,
    summarize=_summary,
    default_seeds=2,
    tunable=True,
)
EXPERIMENTS = [EXPERIMENT]
