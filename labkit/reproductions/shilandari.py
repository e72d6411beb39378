"""Shilandari, Marvi, Khosravi, Wang (SIVP 2022) on the reproduction framework: Table 1 and Figures 5-9.

* ``shilandari-table1 SOURCE``: the paper's five classes (anger, fear, happiness, sadness, neutral);
  rows no augmentation, add noise, SMOTE, cycle-GAN, cycle-GAN + Wasserstein, each with the DNN
  (two hidden layers of 800, leaky ReLU, L2: `labkit.experiment.classifiers` ``mlp``) and the linear
  SVM; WA and UAR with 95 % intervals over seeds, the paired difference of every row from no
  augmentation with the same classifier, and the paper's numbers under ours.
* ``shilandari-sweep SOURCE``: UAR against the amount of added data (Figures 5-9): real only, noise
  at several levels, SMOTE, cycle-GAN and cycle-GAN + Wasserstein, both classifiers. Writes the
  run-store ``sweep`` table the dashboard's Comparison page plots and ``results/sweep-uar.html``.

One task = one method x seed x fold. On the fold's training rows only, the comparison runner's
leak-proof pipeline (`labkit.experiment.pipeline.build_pipeline`: scaler -> augmenter -> classifier)
is fitted with the first classifier, which trains the generator once; every other classifier (and,
in the sweep, every other amount) reuses that trained generator through
`labkit.augment.cyclegan.FittedSampler` in a pipeline of its own. The cycle-GANs are the
``cyclegan`` / ``cyclegan-w`` augmenters (`labkit.augment.cyclegan`), which call
`labkit.trainers.cyclegan.train`.

Protocol. The paper does not say how EMO-DB was split ("each experiment was repeated three times");
its numbers match speaker-dependent evaluation on EMO-DB better than speaker-independent. The
default here is leave-one-speaker-out (``--protocol loso``); ``--protocol random`` is the paper's
likely setting: stratified k-fold cross-validation over utterances, shuffled anew for every seed,
with every speaker on both sides. The output says which one ran.

The classifiers keep labkit's defaults (linear SVM C = 1; the DNN's L2 1e-4) unless ``--tune``: then
the SVM's C and the DNN's L2 are chosen in every fold by a speaker-grouped inner CV on the fold's
*real* training rows (`labkit.experiment.classifiers.tune_on_real`), and every method of that fold
uses the chosen values (chosen once per (seed, fold), kept in the run's cache, read by the fold's other
methods). Not each augmented set's own optimum: an inner CV over augmented sets would
train every cycle-GAN again in every inner fold; the same values for every method keep the
comparison about the data, not about the tuning.

The gate (`labkit.metrics.gate`). After every classifier of a task is fitted (so no score changes),
the task's fitted generator (cycle-GAN, noise or SMOTE; "none" has nothing to judge) is gated
against the fold's scaled real training rows, speakers as groups (`gate_augmenter`), and stored as
the task's ``gate`` entry. The summary combines each generator over its folds, prints one gate line
per generator, puts them in the json (``gate``) and reads every claim's verdict through the gate
(`gated_verdict`): a claim that did not reproduce is a finding only when its generators learned the
data. The gate replaces the earlier ``fidelity`` / ``nn_ratio`` diagnostics (the same kind of
measure: the gate's fidelity is the same linear-SVM test, with speaker-grouped held-out real
accuracy beside it, and its C2ST, precision and spread take the place of the nearest-neighbour
ratio); ``diagnostics`` keeps only the cycle-GANs' training numbers (losses, C's accuracy, seconds).

Long runs. Every cycle-GAN task checkpoints its training (``--checkpoint-every``, default every 5
adversarial epochs; ``checkpoints/<task key>.pt``, deleted once the task is saved), so a killed task
resumes mid-training. ``--stack-folds`` trains a seed's folds of each cycle-GAN method as one stacked
network (`labkit.trainers.cyclegan.train_stack`, see `_stacked_training`): the tasks stay one per
method x seed x fold (the same keys, rows and summaries), the stack is the unit of training with its
own checkpoint, and each fold's result equals its own training to floating-point tolerance. Because
it is not bit for bit, the run's config records ``stack_folds`` (only when on).

The first task of each cycle-GAN method (seed 0, first fold) records for the dashboard: the loss
history (table ``history-<method>``, Training page) and, with ``--record-every``, the real rows of
the fold (``reference/aug-<method>``) and the generated rows every few epochs
(``snapshots/aug-<method>``, Distribution page).
"""

from __future__ import annotations

import argparse
import json
import math
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
    gate_json,
    gate_lines,
    gate_record,
    gate_summary,
    gated_verdict,
    load_features,
    long_table,
    p_text,
    paired_column,
    parse_emotions,
    task_grid,
    tuning_note,
)

if TYPE_CHECKING:
    import numpy as np

PAPER = "Shilandari, Marvi, Khosravi, Wang, SIVP 2022: cycle-GAN data augmentation for SER"

EMOTIONS = "anger,fear,happiness,sadness,neutral"
METHODS = ("none", "noise", "smote", "cyclegan", "cyclegan-w")
GAN_METHODS = ("cyclegan", "cyclegan-w")
LABELS = {
    "none": "No augmentation",
    "noise": "Add noise",
    "smote": "SMOTE",
    "cyclegan": "Cycle-GAN",
    "cyclegan-w": "Cycle-GAN + Wasserstein",
}
CLASSIFIERS = {"dnn": ("DNN", "mlp"), "svm": ("SVM", "svm-linear")}  # option -> (label, labkit classifier)
METRICS = ["uar", "wa", "f1"]

# The paper's Table 1 (EMO-DB, 5 classes, %), as printed: (WA, UAR).
PAPER_TABLE1 = {
    ("noise", "DNN"): (82.06, 82.73),
    ("noise", "SVM"): (81.12, 80.25),
    ("smote", "DNN"): (82.43, 81.51),
    ("smote", "SVM"): (80.93, 79.51),
    ("cyclegan", "DNN"): (83.55, 82.50),
    ("cyclegan", "SVM"): (81.50, 80.30),
    ("cyclegan-w", "DNN"): (84.49, 83.33),
    ("cyclegan-w", "SVM"): (81.07, 80.08),
}
PAIRED_HEADER = "Δ UAR vs none (p)"


def row_label(method: str, classifier: str) -> str:
    """Table 1's row name, e.g. "Cycle-GAN + Wasserstein · DNN"."""
    return f"{LABELS.get(method, method)} · {classifier}"


def gate_label(method: str) -> str:
    """The gate's name for a method's generator: Table 1's method name ("Cycle-GAN + Wasserstein"), or
    "Add noise σ=0.1" for a sweep's noise level (one generator per task, whatever the classifier)."""
    if method.startswith("noise-"):
        return f"{LABELS['noise']} σ={method.split('-', 1)[1]}"
    return LABELS.get(method, method)


# --------------------------------------------------------------------------- options
def _add_common(p: argparse.ArgumentParser) -> None:
    add_corpus_arguments(
        p,
        source_help="corpus: synthetic:imbalanced (EMO-DB's five class sizes), emodb:PATH, synthetic, "
        "synthetic:DIR, ravdess:PATH, cremad:PATH, csv:PATH",
        features_help="openSMILE functionals; the paper's 2185-d set is no standard configuration, IS10 (1582) "
        "is the closest (see labkit.models.cyclegan) (default: %(default)s)",
    )
    p.add_argument(
        "--emotions",
        default=EMOTIONS,
        help="the classes; must include neutral, the source every emotion is translated from "
        "(default: %(default)s, the paper's five)",
    )
    p.add_argument(
        "--protocol",
        default="loso",
        choices=["loso", "random"],
        help="loso: leave one speaker out; random: speaker-dependent stratified k-fold over utterances, "
        "reshuffled per seed (the paper's likely setting) (default: %(default)s)",
    )
    p.add_argument(
        "--folds", type=int, default=5, metavar="K", help="folds of --protocol random (default: %(default)s)"
    )
    add_max_folds_argument(p)
    p.add_argument(
        "--classifiers",
        default="dnn,svm",
        help="dnn (2 x 800 leaky ReLU, L2) and / or svm (linear) (default: %(default)s)",
    )
    g = p.add_argument_group("cycle-GAN (defaults: labkit.models.cyclegan)")
    g.add_argument(
        "--budget",
        default="small",
        choices=["small", "paper"],
        help="small: 2 x 256 units, 60 epochs (a CPU); paper: 2 x 800 units, 200 epochs, lr reduced "
        "every 50 (a GPU job) (default: %(default)s)",
    )
    g.add_argument("--epochs", type=int, default=None, metavar="N", help="adversarial epochs (default: the budget's)")
    g.add_argument(
        "--hidden", type=int, default=None, metavar="H", help="units per hidden layer (default: the budget's)"
    )
    g.add_argument(
        "--jitter",
        type=float,
        default=0.05,
        help="std of the Gaussian jitter on neutral rows before translation (default: %(default)s)",
    )
    p.add_argument(
        "--stack-folds",
        action="store_true",
        help="train all folds of a seed of each cycle-GAN method as one stacked network "
        "(labkit.trainers.cyclegan.train_stack; each fold's result equals its own training to "
        "floating-point tolerance; fewer, larger kernels: faster, most of all on a GPU). Use with --jobs 1",
    )
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=5,
        metavar="N",
        help="checkpoint each cycle-GAN every N adversarial epochs, so a killed task resumes mid-training "
        "(deleted once the task is saved); 0 = off (default: %(default)s)",
    )
    p.add_argument(
        "--record-every",
        type=int,
        default=5,
        metavar="N",
        help="first task of each cycle-GAN: record generated rows every N epochs for the dashboard; "
        "0 = off (the loss history is always kept) (default: %(default)s)",
    )


def _table1_arguments(p: argparse.ArgumentParser) -> None:
    _add_common(p)
    p.add_argument(
        "--methods",
        default=",".join(METHODS),
        help="rows, a subset of %(default)s (none is always run: the paired tests need it)",
    )
    p.add_argument(
        "--amount",
        default="1",
        help="synthetic rows per class: a ratio r adds r x n_c to every class c (1 doubles the fold), "
        "'balance' tops every class up to the largest (default: %(default)s)",
    )
    p.add_argument(
        "--noise-scale",
        type=float,
        default=0.1,
        help="noise std in units of each standardised feature's std (default: %(default)s)",
    )


def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    _add_common(p)
    p.add_argument(
        "--augmenters",
        default="noise,smote,cyclegan,cyclegan-w",
        help="curves besides real only, a subset of %(default)s",
    )
    p.add_argument(
        "--amounts",
        default="0.5,1,2,4",
        help="ratios r of added data (r x n_c rows per class c) (default: %(default)s)",
    )
    p.add_argument(
        "--noise-scales",
        default="0.05,0.1,0.3",
        help="noise levels, one curve each (the paper's Figure 6) (default: %(default)s)",
    )


# --------------------------------------------------------------------------- checking options
def _list(text: str, allowed, what: str) -> list[str]:
    from labkit.errors import LabkitError

    items = list(dict.fromkeys(s.strip() for s in str(text).split(",") if s.strip()))
    bad = [s for s in items if s not in allowed]
    if bad or not items:
        raise LabkitError(f"{what}: unknown {bad or text!r}; choose from {', '.join(allowed)}")
    return items


def _floats(text: str, what: str, positive: bool = True) -> list[float]:
    from labkit.errors import LabkitError

    try:
        values = [float(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        raise LabkitError(f"{what}: numbers separated by commas, got {text!r}") from None
    if not values or any(not math.isfinite(v) or (v <= 0 if positive else v < 0) for v in values):
        raise LabkitError(f"{what}: {'positive ' if positive else ''}numbers separated by commas, got {text!r}")
    return list(dict.fromkeys(values))


def _emotions(text: str) -> list[str]:
    """The emotion set (`parse_emotions`), which must hold neutral: the cycle-GANs' source class."""
    from labkit.errors import LabkitError

    out = parse_emotions(text)
    if "neutral" not in out:
        raise LabkitError(
            f"--emotions must include neutral: every cycle-GAN translates neutral rows into its emotion "
            f"(got {', '.join(out)})"
        )
    return out


def _gan_overrides(args) -> dict:
    from labkit.errors import LabkitError
    from labkit.models.cyclegan import make_config

    over = {}
    for name in ("epochs", "hidden"):
        v = getattr(args, name)
        if v is not None:
            if v < 1:
                raise LabkitError(f"--{name} must be at least 1, got {v}")
            over[name] = int(v)
    if not (math.isfinite(args.jitter) and args.jitter >= 0):
        raise LabkitError(f"--jitter must be >= 0, got {args.jitter}")
    for preset in GAN_METHODS:
        make_config(preset, args.budget, **over)  # bad values fail before any data is loaded
    return over


def _check_common(args) -> None:
    from labkit.errors import LabkitError

    if args.protocol == "random" and args.folds < 2:
        raise LabkitError(f"--folds must be at least 2, got {args.folds}")
    if args.record_every < 0:
        raise LabkitError(f"--record-every must be >= 0, got {args.record_every}")
    if args.checkpoint_every < 0:
        raise LabkitError(f"--checkpoint-every must be >= 0, got {args.checkpoint_every}")
    check_options(args)


# --------------------------------------------------------------------------- data and folds
def _load(args, emotions: list[str]):
    """The source's utterances of `emotions` and their functionals (`labkit.features.Features`)."""
    return load_features(
        args.source,
        emotions,
        args.features,
        args.skip_bad,
        not args.json,
        hint="choose the classes with --emotions (neutral must be among them)",
    )


def _folds(meta, args) -> tuple[dict, str]:
    """({seed: [Fold]} (key None: the same folds for every seed), one sentence naming the protocol)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from labkit.errors import LabkitError
    from labkit.experiment.protocols import Fold, make_folds

    if args.protocol == "loso":
        folds = make_folds(meta, "loso")  # checked: no speaker on both sides
        if args.max_folds:
            folds = folds[: args.max_folds]
        return {None: folds}, f"leave-one-speaker-out ({len(folds)} folds{' run' if args.max_folds else ''})"
    y = meta["emotion"].astype(str).to_numpy()
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if smallest < args.folds:
        raise LabkitError(
            f"--protocol random: the smallest class has {smallest} utterances, fewer than --folds {args.folds}"
        )
    out = {}
    for seed in range(args.seeds):
        split = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
        folds = [Fold(f"random {k + 1}/{args.folds}", tr, te) for k, (tr, te) in enumerate(split)]
        out[seed] = folds[: args.max_folds] if args.max_folds else folds
    n = len(next(iter(out.values())))
    return out, (
        f"SPEAKER-DEPENDENT stratified {args.folds}-fold CV over utterances, reshuffled per seed "
        f"({n} folds{' run' if args.max_folds else ''}; the paper's likely setting: speakers on both sides)"
    )


@dataclass(frozen=True, eq=False)
class ShilandariContext:
    """What every method x seed x fold task needs (`Plan.context`; pickled to the workers)."""

    X: np.ndarray  # (N, D) float32 functionals of every utterance, unscaled (each pipeline scales its fold)
    y: np.ndarray  # (N,) emotion names (str): the classes
    folds: dict  # {seed: [Fold]} under --protocol random; {None: [Fold]} (the same for every seed) under loso
    classifiers: list[str]  # CLASSIFIERS keys in --classifiers order ("dnn", "svm"); the first one trains the GAN
    overrides: dict  # cycle-GAN config fields from the options that replace the budget's ({"epochs", "hidden"})
    budget: str  # the cycle-GAN budget name, "small" or "paper" (labkit.models.cyclegan.BUDGETS)
    jitter: float  # std of the Gaussian jitter on neutral rows before translation (--jitter)
    device: str  # the torch device every cycle-GAN trains on, resolved once by the plan
    threads: int  # torch CPU threads per task (--threads)
    record_every: int  # the first task of each cycle-GAN records generated rows every N epochs; 0 = off
    progress: bool  # progress bars (off under --json)
    tune: bool  # choose each classifier's hyperparameters per fold by an inner CV on its real rows (--tune)
    speakers: np.ndarray | None  # (N,) speaker ids: the inner CV's groups (needed with tune only)
    amounts: list[str]  # amounts every generator is sampled at ("1", "0.5", "balance"); method "none" runs "0"
    noise_scale: float  # the noise std of method "noise" (a "noise-<scale>" method names its own)
    checkpoint_every: int = 0  # checkpoint each cycle-GAN every N adversarial epochs (a killed task resumes); 0 = off
    stack_folds: bool = False  # train a seed's folds of each cycle-GAN method as one stacked network (--stack-folds)


def _fold(context: ShilandariContext, seed: int, k: int):
    folds = context.folds
    return (folds[None] if None in folds else folds[seed])[k]


def _base_plan(args, experiment: str, amounts: list[str], noise_scale: float):
    """What both experiments check and load: (n_folds, data line, context, config)."""
    import numpy as np

    from labkit.utils import pick_device

    _check_common(args)
    emotions = _emotions(args.emotions)
    classifiers = _list(args.classifiers, list(CLASSIFIERS), "--classifiers")
    overrides = _gan_overrides(args)
    device = str(pick_device(args.device))
    feats = _load(args, emotions)
    folds, protocol = _folds(feats.meta, args)
    data = f"{describe(args.source, feats, emotion_counts(feats.meta, emotions))}; {protocol}"
    context = ShilandariContext(
        X=feats.X.astype(np.float32),
        y=feats.meta["emotion"].astype(str).to_numpy(),
        folds=folds,
        classifiers=classifiers,
        overrides=overrides,
        budget=args.budget,
        jitter=float(args.jitter),
        device=device,
        threads=int(args.threads),
        record_every=int(args.record_every),
        progress=not args.json,
        tune=bool(getattr(args, "tune", False)),
        speakers=feats.meta["speaker"].astype(str).to_numpy(),
        amounts=list(amounts),
        noise_scale=float(noise_scale),
        checkpoint_every=int(args.checkpoint_every),
        stack_folds=bool(args.stack_folds),
    )
    config = {
        "experiment": experiment,
        "source": args.source,
        "emotions": emotions,
        "features": feats.feature_set,
        "protocol": args.protocol,
        "folds": args.folds if args.protocol == "random" else None,
        "classifiers": classifiers,
        "budget": args.budget,
        "overrides": overrides,
        "jitter": float(args.jitter),
    }
    if context.tune:  # only then: runs made before --tune existed keep their identity and resume
        config["tune"] = True
    if context.stack_folds:  # the same trainings to fp tolerance, not bit for bit: a run of its own
        config["stack_folds"] = True
    n_folds = len(next(iter(folds.values())))
    return n_folds, data, context, config


def _out_path(args, default_out: str) -> str:
    """Where run_experiment will put the run (the sweep writes its figure there)."""
    from labkit.runstore import default_root

    return str(args.out) if args.out else str(default_root() / default_out)


# --------------------------------------------------------------------------- one task
def _augmenter(method: str, amount, context: ShilandariContext, rs: int, record: bool):
    """The augmenter of `method` ("noise-0.1" = Gaussian noise of scale 0.1) at `amount`."""
    from labkit.augment import make_augmenter

    strategy = "balance" if amount == "balance" else float(amount)
    if method == "none":
        return make_augmenter("none")
    if method.startswith("noise"):
        scale = float(method.split("-", 1)[1]) if "-" in method else context.noise_scale
        return make_augmenter("noise", scale=scale, sampling_strategy=strategy, random_state=rs)
    if method == "smote":
        return make_augmenter("smote", sampling_strategy=strategy, random_state=rs)
    over = context.overrides
    return make_augmenter(
        method,
        sampling_strategy=strategy,
        random_state=rs,
        budget=context.budget,
        epochs=over.get("epochs"),
        hidden=over.get("hidden"),
        jitter=context.jitter,
        device=context.device,
        threads=context.threads,
        record_every=context.record_every if record else 0,
    )


def _recorder(run, space: str):
    def callback(kind: str, record: dict) -> None:
        if kind == "snapshot":
            run.save_snapshot(space, record["iteration"], record["X"], record["y"], record["origin"])

    return callback


def method_task(task: dict, context: ShilandariContext, run_path: str) -> dict:
    """Train one method's augmenter on one fold's training rows; score every classifier x amount (module level)."""
    import time
    import warnings

    import numpy as np
    import pandas as pd
    import torch
    from sklearn.preprocessing import StandardScaler

    from labkit.augment.cyclegan import FittedSampler
    from labkit.experiment.classifiers import make_classifier
    from labkit.experiment.metrics import scores
    from labkit.experiment.pipeline import build_pipeline, task_seed
    from labkit.metrics.gate import gate_augmenter
    from labkit.runstore import Run
    from labkit.trainers.common import Checkpoint

    torch.set_num_threads(context.threads)
    t_start = time.perf_counter()
    method, seed, k = task["method"], int(task["seed"]), int(task["fold"])
    fold = _fold(context, seed, k)
    X, y = context.X, context.y
    Xtr, ytr, Xte, yte = X[fold.train_idx], y[fold.train_idx], X[fold.test_idx], y[fold.test_idx]
    labels = sorted(np.unique(y).tolist())
    rs = task_seed(seed, k)  # the augmenter and every classifier of this (seed, fold) share it, as in labkit compare
    amounts = ["0"] if method == "none" else list(context.amounts)
    record = method in GAN_METHODS and seed == 0 and k == 0
    run = Run(run_path)
    space = f"aug-{method}"
    augmenter = _augmenter(method, amounts[0], context, rs, record and context.record_every > 0)
    if record and context.record_every > 0:
        scaler = StandardScaler().fit(Xtr)  # the pipeline's scaler, refitted here for the reference rows
        run.save_reference(space, scaler.transform(Xtr), ytr, scaler.transform(Xte), yte)
        augmenter.set_recorder(_recorder(run, space))
    if method in GAN_METHODS and context.stack_folds:  # this fold's replica of the seed's stack
        augmenter.set_trained(_stacked_training(run, context, method, seed, k, amounts[0]))
    elif method in GAN_METHODS and context.checkpoint_every > 0:  # dropped once the task is saved (on_task_done)
        augmenter.set_checkpoint(Checkpoint.in_run(run, task["key"], context.checkpoint_every))

    rows, fitted, t_gen = [], None, 0.0
    params: dict = {name: {} for name in context.classifiers}
    tuned: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if context.tune:  # on the fold's real training rows only; every method of the fold uses them
            params, tuned = _tuned_for_fold(run, context, seed, k, Xtr, ytr, context.speakers[fold.train_idx], rs)
        for amount in amounts:
            for name in context.classifiers:
                label, clf_name = CLASSIFIERS[name]
                clf = make_classifier(clf_name, random_state=rs, **params[name])
                if fitted is None:  # the first pipeline trains the generator
                    pipe = fitted_pipe = build_pipeline(augmenter, clf)
                    t0 = time.perf_counter()
                    pipe.fit(Xtr, ytr)
                    fitted = pipe.named_steps["augment"]
                    t_gen = getattr(fitted, "seconds_", time.perf_counter() - t0)
                else:  # the same trained generator, another classifier or amount
                    strategy = "balance" if amount == "balance" else float(amount)
                    aug = FittedSampler(fitted, sampling_strategy=strategy) if fitted.generates else fitted
                    pipe = build_pipeline(aug, clf).fit(Xtr, ytr)
                s = scores(yte, pipe.predict(Xte), labels=labels)
                rows.append(
                    {
                        "classifier": label,
                        "amount": amount,
                        "n_synthetic": int(getattr(pipe.named_steps["augment"], "n_synthetic_", 0)),
                        **{m: float(s[m]) for m in METRICS},
                    }
                )
    # The gate, after every classifier is fitted (no score changes): the generator's rows against the
    # fold's scaled real training rows, speakers as groups (labkit.metrics.gate)
    gated = None
    if fitted.generates:
        groups = None if context.speakers is None else context.speakers[fold.train_idx]
        gated = gate_augmenter(
            fitted, pipe_scaled(fitted_pipe, Xtr), ytr, groups=groups, generator=gate_label(method), fold=k, seed=rs
        )
    diagnostics: dict = {}
    if method in GAN_METHODS:
        hist = pd.DataFrame(fitted.history_)
        if record:
            run.write_table(f"history-{method}", hist)
        tail = hist.tail(5)
        diagnostics.update({c: float(tail[c].mean()) for c in tail.columns if c not in ("iteration", "lr")})
        diagnostics.update(
            epochs=int(hist["iteration"].max()),
            gan_seconds=float(t_gen),
            cls_train_acc=float(fitted.pretrain_.get("cls_train_acc", float("nan"))),
        )
    return {
        "method": method,
        "seed": seed,
        "fold": k,
        "fold_name": fold.name,
        "n_train": int(len(fold.train_idx)),
        "n_test": int(len(fold.test_idx)),
        "seconds": time.perf_counter() - t_start,
        "rows": rows,
        "diagnostics": diagnostics,
        "gate": gate_record({gate_label(method): gated}),
        "warnings": sorted({str(w.message) for w in caught})[:5],
        **({"tuned": tuned} if tuned else {}),
    }


def _stack_file(method: str, seed: int, fold: int) -> str:
    return f"stack-{method}-s{seed}-f{fold:02d}.pt"


def _stacked_training(run, context: ShilandariContext, method: str, seed: int, k: int, amount):
    """Fold k's cycle-GANs trained in one stack with every other fold of `seed` still to do (--stack-folds).

    The unit of work is the stack: the first task of (method, seed) that runs trains the replicas of
    every fold whose task is not saved yet and whose trained replica is not in the run's cache
    (`labkit.trainers.cyclegan.train_stack`, checkpointed every ``checkpoint_every`` epochs under a
    name that lists its folds, so a killed stack resumes), keeps each replica in
    ``cache/stack-<method>-s<seed>-f<k>.pt`` and the other folds' tasks read theirs (a task drops its
    file once saved). Each replica is exactly what the fold's own augmenter would train
    (`CycleGANAugmenter.training_job`: the same scaled rows, classes and seed), which the augmenter
    checks when it is given the result (`set_trained`). Two tasks of one stack running at the same
    time (--jobs > 1) may both train it: the same result, twice the work.
    """
    from dataclasses import replace

    from sklearn.preprocessing import StandardScaler

    from labkit.errors import LabkitError
    from labkit.experiment.pipeline import task_seed
    from labkit.trainers.common import Checkpoint
    from labkit.trainers.cyclegan import load_result, save_result, train_stack
    from labkit.utils import pick_device

    device = pick_device(context.device)
    path = run.cache_path(_stack_file(method, seed, k))
    if not path.is_file():
        folds = context.folds[None] if None in context.folds else context.folds[seed]
        todo = [
            j
            for j in range(len(folds))
            if j == k
            or not (
                run.has_task(f"{method}_s{seed}_f{j:02d}") or run.cache_path(_stack_file(method, seed, j)).is_file()
            )
        ]
        replicas, hooks, cfgs = [], [], []
        for j in todo:
            fold = _fold(context, seed, j)
            Xs = StandardScaler().fit_transform(context.X[fold.train_idx])  # the pipeline's scaler
            record = seed == 0 and j == 0 and context.record_every > 0  # as method_task records
            aug = _augmenter(method, amount, context, task_seed(seed, j), record)
            if record:
                aug.set_recorder(_recorder(run, f"aug-{method}"))
            replica, cfg, hook = aug.training_job(Xs, context.y[fold.train_idx])
            replicas.append(replica)
            hooks.append(hook)
            cfgs.append(cfg)
        shared = replace(cfgs[0], seed=0)
        if any(replace(c, seed=0) != shared for c in cfgs):
            raise LabkitError(f"--stack-folds: the folds of seed {seed} need cycle-GANs of different shapes")
        every = context.checkpoint_every
        name = f"stack-{method}-s{seed}-f{'.'.join(str(j) for j in todo)}"
        ckpt = Checkpoint.in_run(run, name, every) if every > 0 else None
        results = train_stack(
            replicas, shared, device=device, on_epoch=hooks, checkpoint=ckpt, progress=context.progress, desc=method
        )
        for j, res in zip(todo, results):
            save_result(res, run.cache_path(_stack_file(method, seed, j)))
        if ckpt is not None:
            ckpt.path.unlink(missing_ok=True)  # every replica is kept: the stack's optimiser states are done
    return load_result(path, device)


def _drop_task_files(task: dict, result: dict, run) -> None:
    """`Experiment.on_task_done`: a saved task no longer needs its cycle-GAN's checkpoint or stacked replica."""
    run.checkpoint_path(task["key"]).unlink(missing_ok=True)
    run.cache_path(_stack_file(task["method"], int(task["seed"]), int(task["fold"]))).unlink(missing_ok=True)


def _tuned_for_fold(run, context, seed: int, fold: int, Xtr, ytr, groups, rs) -> tuple[dict, dict]:
    """({classifier: params}, {label: record}) chosen by one inner CV per classifier on the fold's real rows.

    Every method of a (seed, fold) classifies with the same values, so the choice is made once per
    (seed, fold) and kept in the run (``cache/tuning-s<seed>-f<fold>.json``, written atomically); the
    other methods' tasks read it. Two tasks of one fold running at the same time may both compute
    it: the rows, grid and seed are the same, so is the result.
    """
    import json

    from labkit.experiment.classifiers import tune_on_real
    from labkit.utils import write_json_atomic

    path = run.cache_path(f"tuning-s{seed}-f{fold}.json")
    wanted = sorted(context.classifiers)
    if path.is_file():
        try:
            cached = json.loads(path.read_text())
            if cached.get("classifiers") == wanted:
                return cached["params"], cached["tuned"]
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: computed again and rewritten
    params, tuned = {}, {}
    for name in context.classifiers:
        label, clf_name = CLASSIFIERS[name]
        params[name], tuned[label] = tune_on_real(clf_name, Xtr, ytr, groups, rs)
    plain = json.loads(json.dumps({"params": params, "tuned": tuned}, default=float))
    write_json_atomic(path, {"classifiers": wanted, **plain})
    return plain["params"], plain["tuned"]


def _tuning_note(tasks) -> str:
    """The table note on the classifiers' hyperparameters: defaults, or what --tune chose per fold."""
    return tuning_note(
        tasks,
        untuned="Classifiers with labkit's defaults (linear SVM C = 1, DNN L2 1e-4); --tune chooses them inside "
        "every training fold.",
        tuned="--tune: each classifier's hyperparameters chosen in every fold by a speaker-grouped inner CV on the "
        "fold's real training rows, then used by every method (counts over tasks)",
    )


def pipe_scaled(pipe, X):
    """X through a fitted pipeline's scaler: the space its augmenter worked in."""
    return pipe.named_steps["scale"].transform(X).astype("float32")


# --------------------------------------------------------------------------- summaries
def _long(tasks):
    """One row per method x classifier x amount x seed x fold with uar, wa, f1."""
    long = long_table(
        tasks,
        METRICS,
        task_fields=("method", "seed", "fold"),
        row_fields={"classifier": "classifier", "amount": "amount"},
        columns=["method", "classifier", "amount", "seed", "fold", *METRICS],
    )
    return long.assign(amount=long["amount"].astype(str))


def _diagnostics(tasks) -> dict:
    """{method: mean of each diagnostic over its tasks} for the cycle-GAN methods."""
    import pandas as pd

    out = {}
    for t in tasks.itertuples(index=False):
        d = json.loads(t.diagnostics) if isinstance(t.diagnostics, str) else t.diagnostics
        if isinstance(d, dict) and d:
            out.setdefault(t.method, []).append(d)
    return {m: pd.DataFrame(ds).mean(numeric_only=True).to_dict() for m, ds in out.items()}


def _paired(long, classifier: str, baseline: str = "none"):
    """paired_vs of every method against `baseline` with one classifier (uar, wa); None without the baseline."""
    from labkit.experiment.stats import paired_vs

    part = long[long["classifier"] == classifier].rename(columns={"method": "augmenter"})
    if baseline not in set(part["augmenter"]):
        return None
    return paired_vs(part, ["uar", "wa"], baseline=baseline)


def _table1_summary(tasks, plan: Plan) -> Report:
    import pandas as pd

    long = _long(tasks)
    long["configuration"] = [row_label(m, c) for m, c in zip(long["method"], long["classifier"])]
    order = [row_label(m, CLASSIFIERS[c][0]) for m in plan.info["methods"] for c in plan.info["classifiers"]]
    summary = summary_by(long, "configuration", METRICS, order=order)
    extra, paired_js, paired_frames = {}, {}, []
    for c in plan.info["classifiers"]:
        label = CLASSIFIERS[c][0]
        paired = _paired(long, label)
        if paired is None:
            continue
        paired_frames.append(paired.assign(classifier=label))
        cells, records = paired_column(paired, PAIRED_HEADER, label=lambda a, c=label: row_label(a, c), count="n_folds")
        extra.update(cells)
        paired_js.update(records)
    info = plan.info
    n_seeds, n_folds = int(long["seed"].nunique()), int(long["fold"].nunique())
    notes = [
        f"Data: {plan.data}.",
        f"Amount: {info['amount_text']}; noise std {info['noise_scale']:g} (standardised units). "
        f"Cycle-GANs: {info['budget_text']}; {n_seeds} seed(s) x {n_folds} fold(s); device {info['device']}.",
        "WA = accuracy, UAR = mean per-class recall, computed per fold and averaged over folds (under loso "
        "every test speaker weighs the same).",
        ci_note([s["uar"]["n"] for s in summary.values()]),
    ]
    if extra:
        notes.append(
            f"{PAIRED_HEADER}: mean paired difference in UAR points from no augmentation with the same "
            "classifier; two-sided Wilcoxon over folds of the seed-averaged differences "
            "(labkit.experiment.stats.paired_vs; Benjamini-Hochberg-adjusted p in --json)."
        )
    notes.append(_tuning_note(tasks))
    notes.append(
        "Paper: EMO-DB, 5 classes, 2185 openSMILE features, split not stated, 3 repetitions; printed for "
        "reference, not for a direct comparison."
    )
    paper = {row_label(m, c): {"wa": wa, "uar": uar} for (m, c), (wa, uar) in PAPER_TABLE1.items()}
    table = PaperTable(
        title="Shilandari et al. 2022, Table 1: data augmentation x classifier, WA and UAR (%)",
        columns=[Column("wa", "WA"), Column("uar", "UAR")],
        ours=summary,
        paper={r: v for r, v in paper.items() if r in summary},
        row_header="Method · classifier",
        extra_columns=[PAIRED_HEADER] if extra else [],
        extra=extra,
        notes=notes,
    )
    diag, gates = _diagnostics(tasks), gate_summary(tasks)
    findings = _table1_findings(summary, long, paired_js, diag, gates)
    js = {
        "rows": summary,
        "paired_vs_none": paired_js,
        "diagnostics": diag,
        "gate": gate_json(gates),
        "data": plan.data,
        "protocol": info["protocol"],
        "budget": info["budget_text"],
    }
    frames = {"summary": summary_frame(summary), "scores": long}
    if paired_frames:
        frames["paired"] = pd.concat(paired_frames, ignore_index=True)
    return Report(tables=[table], json=js, frames=frames, findings=findings)


def _table1_findings(summary: dict, long, paired: dict, diag: dict, gates: dict) -> list[str]:
    """Plain sentences about the paper's claims, from our numbers, each verdict read through the gate
    (`gated_verdict`: a claim that did not reproduce is a finding only when its generators passed)."""
    out = []
    w, js_label = gate_label("cyclegan-w"), gate_label("cyclegan")

    def uar(row):
        s = summary.get(row, {}).get("uar")
        return None if not s or s["mean"] is None else 100 * s["mean"]

    ranked = sorted((r for r in summary if uar(r) is not None), key=uar, reverse=True)
    if ranked:
        claim = row_label("cyclegan-w", "DNN")
        where = (
            "as in the paper"
            if ranked[0] == claim
            else f"the paper's best, {claim}, is {ranked.index(claim) + 1} of {len(ranked)} at {uar(claim):.1f} %"
            if claim in ranked
            else "the paper's best row did not run"
        )
        out.append(f"Highest mean UAR: {ranked[0]} ({uar(ranked[0]):.1f} %); {where}.")
        if claim in ranked:
            out.append(gated_verdict(ranked[0] == claim, f"{claim} is the best row", gates, [w]))
    for label in ("DNN", "SVM"):
        row = row_label("cyclegan-w", label)
        if row in paired:
            p = paired[row]
            sig = p["p_value"] is not None and p["p_value"] < 0.05
            out.append(
                f"Cycle-GAN + Wasserstein vs no augmentation ({label}): {100 * p['mean_diff']:+.1f} UAR points "
                f"over {p['n_folds']} folds (p = {p_text(p['p_value'])}, {'significant' if sig else 'not significant'}); "
                "the paper's gain over its baselines is about +1 point."
            )
            claim = f"Cycle-GAN + Wasserstein raises UAR over no augmentation ({label})"
            out.append(gated_verdict(bool(sig and p["mean_diff"] > 0), claim, gates, [w]))
    dnn = long[long["classifier"] == "DNN"]
    if {"cyclegan", "cyclegan-w"} <= set(dnn["method"]):
        from labkit.experiment.stats import paired_vs

        part = dnn[dnn["method"].isin(["cyclegan", "cyclegan-w"])].rename(columns={"method": "augmenter"})
        p = paired_vs(part, ["uar"], baseline="cyclegan").iloc[0]
        out.append(
            f"Wasserstein vs JS cycle-GAN (DNN): {100 * p.mean_diff:+.1f} UAR points (p = {p_text(p.p_value)}); "
            "the paper: +0.83."
        )
        sig = p.p_value is not None and math.isfinite(p.p_value) and p.p_value < 0.05
        claim = "The Wasserstein divergence raises UAR over the JS cycle-GAN (DNN)"
        out.append(gated_verdict(bool(sig and p.mean_diff > 0), claim, gates, [w, js_label]))
    out += gate_lines(gates)
    for method in GAN_METHODS:
        d = diag.get(method)
        if d and "cls_acc" in d:
            out.append(
                f"{LABELS[method]}: after {d['epochs']:.0f} epochs the auxiliary classifier assigns "
                f"{100 * d['cls_acc']:.0f} % of G_i(neutral) to emotion i (its training accuracy on real rows: "
                f"{100 * d['cls_train_acc']:.0f} %); cycle loss {d['loss_cyc']:.2f}; training "
                f"{d['gan_seconds']:.0f} s per fold."
            )
    return out


# --------------------------------------------------------------------------- shilandari-table1
def _table1_plan(args) -> Plan:
    from labkit.errors import LabkitError
    from labkit.experiment.pipeline import amount_str

    methods = _list(args.methods, list(METHODS), "--methods")
    methods = ["none"] + [m for m in methods if m != "none"]
    amount = amount_str(args.amount)
    if amount == "0":
        raise LabkitError("--amount must add something: a ratio > 0 or 'balance'")
    if not (math.isfinite(args.noise_scale) and args.noise_scale >= 0):
        raise LabkitError(f"--noise-scale must be >= 0, got {args.noise_scale}")
    n_folds, data, context, config = _base_plan(args, "table1", [amount], args.noise_scale)
    config.update(amount=amount, noise_scale=float(args.noise_scale))
    amount_text = (
        "balance (every class topped up to the largest)" if amount == "balance" else f"{amount} x each class's rows"
    )
    info = {"amount_text": amount_text, "noise_scale": float(args.noise_scale)}
    return _plan(args, "table1", "Table 1", methods, n_folds, data, context, config, info)


def _plan(args, experiment: str, title: str, methods, n_folds: int, data: str, context, config: dict, info: dict):
    """The Plan of either experiment: one task per seed x fold x method; `info` adds the experiment's own."""
    config.update(methods=methods)
    default_out = f"shilandari-{experiment}-{slug(args.source)}-{args.features}-{args.protocol}-{args.budget}"
    return Plan(
        config=config,
        tasks=task_grid("{method}_s{seed}_f{fold:02d}", seed=range(args.seeds), fold=range(n_folds), method=methods),
        context=context,
        data=data,
        default_out=default_out,
        name=f"Shilandari et al. {title} ({args.source}, {args.protocol})",
        run_kind=f"shilandari-{experiment}",
        info={
            "methods": methods,
            "classifiers": context.classifiers,
            "device": context.device,
            "protocol": args.protocol,
            "out": _out_path(args, default_out),
            "budget_text": _budget_text(args.budget, context.overrides),
            **info,
        },
    )


def _budget_text(budget: str, overrides: dict) -> str:
    from labkit.models.cyclegan import make_config

    cfg = make_config("cyclegan", budget, **overrides)
    return (
        f"budget {budget} (2 x {cfg.hidden} units, {cfg.pretrain_epochs} pre-training + {cfg.epochs} adversarial "
        f"epochs, lr {cfg.lr:g} x {cfg.lr_decay:g} every {cfg.lr_decay_every})"
    )


TABLE1_DESCRIPTION = """\
Table 1 of Shilandari et al.: no augmentation, added noise, SMOTE, cycle-GAN and cycle-GAN with the
Wasserstein divergence, each with the DNN (2 x 800 leaky ReLU, L2) and the linear SVM, on the
paper's five classes. WA and UAR as mean ± 95 % interval over seeds, the paired difference from no
augmentation (same classifier, same folds) with its Wilcoxon p-value, the paper's numbers under ours.

Per fold, on its training rows only: features standardised, the augmenter fitted (one cycle-GAN per
emotion translating neutral rows, labkit.augment.cyclegan), synthetic rows added (--amount), each
classifier trained; the test speakers score it. Each generator is trained once per fold and serves
both classifiers. The first fold of seed 0 records the cycle-GANs' training for the dashboard.
Finished method x seed x fold tasks are saved; rerunning the same command resumes, and --seeds can
grow later.

examples:
  labkit reproduce shilandari-table1 synthetic:imbalanced --seeds 3 --out runs/shilandari-table1
  labkit reproduce shilandari-table1 emodb:~/data/emodb --protocol random --budget paper --device cuda
  labkit reproduce shilandari-table1 synthetic:imbalanced --max-folds 2 --seeds 1 --epochs 10   # a quick look
"""


# --------------------------------------------------------------------------- shilandari-sweep
def _sweep_plan(args) -> Plan:
    augmenters = _list(args.augmenters, ["noise", "smote", "cyclegan", "cyclegan-w"], "--augmenters")
    amounts = [f"{a:g}" for a in _floats(args.amounts, "--amounts")]
    scales = _floats(args.noise_scales, "--noise-scales")
    n_folds, data, context, config = _base_plan(args, "sweep", amounts, scales[0])
    methods = ["none"]
    for a in augmenters:
        methods += [f"noise-{s:g}" for s in scales] if a == "noise" else [a]
    config.update(amounts=amounts)
    info = {"amounts": amounts, "main_amount": "1" if "1" in amounts else amounts[0]}
    return _plan(args, "sweep", "Figures 5-9", methods, n_folds, data, context, config, info)


def curve_label(method: str, classifier: str) -> str:
    """A sweep curve's name on the dashboard, e.g. "cyclegan-w (DNN)", "noise σ=0.1 (SVM)", "real only (DNN)"."""
    if method == "none":
        name = "real only"
    elif method.startswith("noise-"):
        name = f"noise σ={method.split('-', 1)[1]}"
    else:
        name = method
    return f"{name} ({classifier})"


def sweep_long(long, amounts: list[str]):
    """The task rows as sweep curves: each augmenter's amounts plus amount 0 (real only), and real only
    itself repeated at every amount (a flat reference line); columns augmenter, amount, seed, fold, metrics."""
    import pandas as pd

    parts = []
    for clf, part in long.groupby("classifier", sort=False):
        base = part[part["method"] == "none"]
        for method, rows in part.groupby("method", sort=False):
            label = curve_label(method, clf)
            if method == "none":
                parts += [base.assign(augmenter=label, amount=a) for a in ["0", *amounts]]
            else:
                parts += [base.assign(augmenter=label, amount="0"), rows.assign(augmenter=label)]
    return pd.concat(parts, ignore_index=True) if parts else long.iloc[:0]


def _sweep_summary(tasks, plan: Plan) -> Report:
    import numpy as np

    from labkit.experiment.stats import paired_vs, summarize

    info = plan.info
    long = _long(tasks)
    curves = sweep_long(long, info["amounts"])
    sweep = summarize(curves, METRICS, by=("augmenter", "amount"))
    sweep["amount_value"] = sweep["amount"].astype(float)
    sweep = sweep.sort_values(["augmenter", "amount_value", "metric"], kind="stable").reset_index(drop=True)

    # The printed table: UAR per curve and amount; the extra column: the best amount vs real only.
    order = [curve_label(m, CLASSIFIERS[c][0]) for c in info["classifiers"] for m in info["methods"]]
    ours: dict = {}
    for r in sweep[sweep["metric"] == "uar"].itertuples(index=False):
        ours.setdefault(r.augmenter, {})[f"a{r.amount}"] = {
            "mean": r.mean,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n": r.n,
        }
    ours = {k: ours[k] for k in order if k in ours}
    header = "best amount: Δ UAR vs real only (p)"
    extra, best_js = {}, {}
    for label in ours:
        if label.startswith("real only"):
            continue
        cells = {a: ours[label].get(f"a{a}", {}).get("mean") for a in info["amounts"]}
        cells = {a: v for a, v in cells.items() if v is not None and np.isfinite(v)}
        if not cells:
            continue
        best = max(cells, key=cells.get)
        clf = label.rsplit("(", 1)[1].rstrip(")")
        part = curves[(curves["augmenter"] == label) & (curves["amount"].isin(["0", best]))]
        part = part.assign(augmenter=np.where(part["amount"] == "0", "real", "aug"))
        p = paired_vs(part, ["uar"], baseline="real").iloc[0]
        extra[label] = {header: f"x{best}: {100 * p.mean_diff:+.1f} (p = {p_text(p.p_value)})"}
        best_js[label] = {"amount": best, "mean_diff": p.mean_diff, "p_value": p.p_value, "classifier": clf}
    columns = [Column(f"a{a}", f"x{a}") for a in info["amounts"]]
    n_seeds, n_folds = int(long["seed"].nunique()), int(long["fold"].nunique())
    notes = [
        f"Data: {plan.data}.",
        f"UAR (%) with r x n_c synthetic rows added to every class c (x0 = real only in every curve). Cycle-GANs: "
        f"{info['budget_text']}; {n_seeds} seed(s) x {n_folds} fold(s); device {info['device']}.",
        ci_note([v["n"] for row in ours.values() for v in row.values()]),
        f"{header}: the amount with the highest mean UAR, its paired difference from real only (same classifier "
        "and folds) and the Wilcoxon p over folds; choosing the best of several amounts favours the curve.",
        _tuning_note(tasks),
        "Paper: Figures 5-9 plot UAR against the number of added samples on EMO-DB (no numbers printed).",
    ]
    table = PaperTable(
        title="Shilandari et al. 2022, Figures 5-9: UAR (%) against the amount of added data",
        columns=columns,
        ours=ours,
        row_header="Curve",
        extra_columns=[header] if extra else [],
        extra=extra,
        notes=notes,
        decimals=1,
    )
    main = info["main_amount"]
    at_main = curves[curves["amount"] == main]
    main_summary = summarize(at_main, METRICS, by=("augmenter",))
    figure = _write_sweep_figure(sweep, info)
    gates = gate_summary(tasks)
    findings = _sweep_findings(best_js, gates) + gate_lines(gates)
    if figure:
        findings.append(f"Figure: {figure}")
    js = {
        "sweep": {k: v for k, v in ours.items()},
        "best_amount": best_js,
        "data": plan.data,
        "protocol": info["protocol"],
        "budget": info["budget_text"],
        "figure": figure,
        "gate": gate_json(gates),
    }
    frames = {"sweep": sweep, "summary": main_summary, "scores": long}
    return Report(tables=[table], json=js, frames=frames, findings=findings)


def _write_sweep_figure(sweep, info) -> str | None:
    """results/sweep-uar.html in the run: one plotly panel per classifier (the dashboard draws the same table)."""
    from pathlib import Path

    from labkit.utils import atomic_path
    from labkit.viz.figures import sweep_figure

    out = Path(info["out"]) / "results" / "sweep-uar.html"
    if not out.parent.is_dir():
        return None
    parts = []
    for i, c in enumerate(info["classifiers"]):
        label = CLASSIFIERS[c][0]
        rows = sweep[sweep["augmenter"].str.endswith(f"({label})")]
        if not len(rows):
            continue
        fig = sweep_figure(rows, "uar")
        fig.update_layout(title=f"UAR against added data, {label}")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Shilandari et al. Figures 5-9</title></head>"
        "<body>" + "".join(parts) + "</body></html>"
    )
    with atomic_path(out) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return str(out)


def _sweep_findings(best: dict, gates: dict) -> list[str]:
    """Per classifier: the largest gain over real only, and each cycle-GAN curve's claim ("it beats real
    only at its best amount") read through the gate."""
    out = []
    for clf in ("DNN", "SVM"):
        mine = {k: v for k, v in best.items() if v["classifier"] == clf}
        if not mine:
            continue
        top = max(mine, key=lambda k: mine[k]["mean_diff"])
        helped = [k for k, v in mine.items() if v["mean_diff"] > 0 and v["p_value"] is not None and v["p_value"] < 0.05]
        out.append(
            f"{clf}: the largest gain over real only is {top} at x{mine[top]['amount']} "
            f"({100 * mine[top]['mean_diff']:+.1f} UAR points, p = {p_text(mine[top]['p_value'])}); "
            + (
                f"significant gains (p < 0.05, unadjusted): {', '.join(helped)}."
                if helped
                else "no curve beats real only significantly at its best amount."
            )
        )
        for method in GAN_METHODS:
            curve = curve_label(method, clf)
            if curve in mine:
                claim = f"{LABELS[method]} beats real only at its best amount ({clf})"
                out.append(gated_verdict(curve in helped, claim, gates, [gate_label(method)]))
    return out


SWEEP_DESCRIPTION = """\
Figures 5-9 of Shilandari et al.: UAR against the amount of added data (r x n_c synthetic rows for
every class c, --amounts) for real only, Gaussian noise at several levels (--noise-scales), SMOTE,
cycle-GAN and cycle-GAN with the Wasserstein divergence, each with the DNN and the linear SVM.
Every generator is trained once per fold and sampled at every amount. Writes the run-store table
`sweep` (the dashboard's Comparison page plots it; summary = the amount 1 comparison) and the figure
results/sweep-uar.html, and prints UAR per curve and amount with 95 % intervals over seeds.

examples:
  labkit reproduce shilandari-sweep synthetic:imbalanced --seeds 2 --out runs/shilandari-sweep
  labkit reproduce shilandari-sweep emodb:~/data/emodb --protocol random --amounts 0.25,0.5,1,2
  labkit dashboard --runs runs
"""


EXPERIMENTS = [
    Experiment(
        name="shilandari-table1",
        paper=PAPER,
        summary="Table 1: none / noise / SMOTE / cycle-GAN / cycle-GAN + W x DNN, SVM (5 classes)",
        description=TABLE1_DESCRIPTION,
        add_arguments=_table1_arguments,
        plan=_table1_plan,
        run_task=method_task,
        summarize=_table1_summary,
        default_seeds=3,
        resources={"GPU": 1},
        tunable=True,
        on_task_done=_drop_task_files,
    ),
    Experiment(
        name="shilandari-sweep",
        paper=PAPER,
        summary="Figures 5-9: UAR against the amount of added data, every augmenter x DNN, SVM",
        description=SWEEP_DESCRIPTION,
        add_arguments=_sweep_arguments,
        plan=_sweep_plan,
        run_task=method_task,
        summarize=_sweep_summary,
        default_seeds=2,
        resources={"GPU": 1},
        tunable=True,
        on_task_done=_drop_task_files,
    ),
]
