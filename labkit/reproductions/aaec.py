"""AAEC (Fu et al., MuSe 2020) on the reproduction framework: Table 1 and one Figure 5 training.

* ``aaec-table1``: the five configurations of Table 1 × seeds. One task = one configuration and seed,
  trained with Algorithm 1 (`labkit.trainers.aaec.train`) and scored on the held-out speakers.
* ``aaec-train``: one configuration, one seed, recording generated samples for Figure 5
  (`labkit.trainers.figure5.Figure5Recorder`); what the demo and the dashboard's Distribution page use.

The metric is MuSe 2020's: the paper's scores are "identical with the baseline", and the baseline's F1
is *micro* F1 (for single-label classes that is plain accuracy), so Combined = 0.66 · micro-F1 + 0.34 ·
UAR (`labkit.experiment.metrics.scores`). Macro F1 is kept beside it in the task table and the JSON
(``f1``) because it is the F1 most SER papers mean.

The gate (``aaec-table1``)
--------------------------
Table 1's claims are about what X' does to the classifier, so before they are read each generating
configuration's X' is checked against the data (`labkit.metrics.gate`: class fidelity, C2ST AUC,
precision, spread). Per task (configuration x seed; Table 1 has one speaker-independent split, fold
0), after the classifier has been fine-tuned and scored, `gate_generator` draws one X' of each
training utterance (Eq. (1) with fresh noise E, the samples the classifier was trained on) and gates
them against those training utterances, in the space the classifier sees: the standardised log
spectrogram frames (T x F, flattened; `gate_rows` subsamples beyond 600 utterances or 5e7 numbers).
The class is the (arousal, valence) pair, which Algorithm 1 asks X' to keep; the speakers are the
groups of the held-out accuracy. The Classifier generates nothing and has no gate. The gate draws
its own noise after scoring, so every score is what it was without it. The summary combines each
configuration's seeds (`gate_summary`), prints a line per configuration, and reads Table 1's two
claims (AAEC is best; every augmenting configuration beats the Classifier) through it
(`gated_verdict`): a claim that did not reproduce is "not reproduced by generators that learned the
data" only when every generating configuration passed. On the embedded corpus the `small` preset's
AAEC fails the gate; what was measured and why is in the docstring of `labkit.models.aaec`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from labkit.experiment.tables import Column, PaperTable, ci_note
from labkit.reproductions.base import Experiment, Plan, Report, slug, summary_by, summary_frame
from labkit.reproductions.common import (
    add_corpus_arguments,
    check_options,
    drop_checkpoints,
    gate_json,
    gate_lines,
    gate_record,
    gate_summary,
    gated_verdict,
)

PAPER = "Fu et al., MuSe 2020: AAEC (adversarial autoencoder + classifier)"

# The paper's Table 1 (MuSe-Topic test set, %) as printed: (F1, UAR, Combined) per head, then the mean.
# Its AAEC' valence Combined, 38.11, does not follow from its own F1 and UAR (0.66 * 37.77 + 0.34 * 37.78 = 37.77).
PAPER_TABLE1 = {
    "AAEC": {"arousal": (39.80, 40.06, 39.89), "valence": (40.72, 40.89, 40.78), "combined": 40.33},
    "AAE_C": {"arousal": (38.88, 38.86, 38.87), "valence": (39.25, 39.23, 39.24), "combined": 39.05},
    "AAE+C": {"arousal": (38.15, 38.41, 38.24), "valence": (37.69, 39.01, 38.14), "combined": 38.19},
    "AAEC'": {"arousal": (38.48, 38.56, 38.51), "valence": (37.77, 37.78, 38.11), "combined": 38.31},
    "Classifier": {"arousal": (34.66, 34.81, 34.71), "valence": (35.92, 36.16, 36.00), "combined": 35.36},
}

HEADS = ("arousal", "valence")
SCORES = ("f1", "f1_micro", "uar", "combined")  # per head, as fractions
TABLE_COLUMNS = [
    Column("arousal_f1_micro", "Ar F1"),
    Column("arousal_uar", "Ar UAR"),
    Column("arousal_combined", "Ar Comb."),
    Column("valence_f1_micro", "Va F1"),
    Column("valence_uar", "Va UAR"),
    Column("valence_combined", "Va Comb."),
    Column("combined", "Combined"),
]


def task_key(configuration: str, seed: int) -> str:
    """Run-store task key of one configuration x seed ("AAEC'" -> "AAEC-prime": keys avoid quotes)."""
    return f"{configuration.replace(chr(39), '-prime')}_seed{seed}"


def paper_rows() -> dict[str, dict[str, float]]:
    """PAPER_TABLE1 keyed by our column keys."""
    out = {}
    for name, p in PAPER_TABLE1.items():
        row = {"combined": p["combined"]}
        for head in HEADS:
            for key, value in zip(("f1_micro", "uar", "combined"), p[head]):
                row[f"{head}_{key}"] = value
        out[name] = row
    return out


# --------------------------------------------------------------------------- options shared by both
def _add_data_and_model(p: argparse.ArgumentParser) -> None:
    add_corpus_arguments(
        p,
        features=None,  # AAEC reads power spectrograms (labkit.data.aaec), no functionals
        threads=None,
        threads_help="torch CPU threads (default: 1 for --preset small, whose narrow layers gain nothing from "
        "more and lose a lot on a busy machine; torch's own choice for --preset paper)",
        skip_bad=False,
    )
    p.add_argument(
        "--preset",
        default="small",
        choices=["small", "paper"],
        help="sizes and budget: 'small' (3 s, 129 bins, narrow layers, K1=K2=K3=1, 25 iterations; CPU "
        "minutes) or 'paper' (15 s, Section 3.2 sizes, K=10/20/20, 500 iterations; a GPU job) "
        "(default: %(default)s)",
    )
    p.add_argument("--iterations", type=int, default=None, help="Algorithm 1 iterations (default: the preset's)")
    p.add_argument(
        "--balanced",
        dest="balanced",
        action="store_true",
        default=None,
        help="weight the class losses by inverse class frequency (default: on for 'small', off for "
        "'paper'; the paper does not, see labkit.models.aaec)",
    )
    p.add_argument("--no-balanced", dest="balanced", action="store_false", help="plain cross-entropy, as in the paper")
    p.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="cut / pad utterances to this many seconds (default: the preset's, 3 or 15)",
    )
    p.add_argument(
        "--test-fraction", type=float, default=0.3, help="share of speakers held out for testing (default: %(default)s)"
    )
    p.add_argument(
        "--split-seed", type=int, default=0, help="seed choosing the held-out speakers (default: %(default)s)"
    )
    p.add_argument("--compile", action="store_true", help="torch.compile the four modules (worth it on a GPU)")


def _overrides(args) -> dict:
    from labkit.errors import LabkitError

    out = {}
    if args.iterations is not None:
        if args.iterations < 1:
            raise LabkitError(f"--iterations must be at least 1, got {args.iterations}")
        out["iterations"] = args.iterations
    if args.max_seconds is not None:
        if not (0 < args.max_seconds < 3600):
            raise LabkitError(f"--max-seconds must be between 0 and 3600, got {args.max_seconds}")
        out["max_seconds"] = args.max_seconds
    if args.balanced is not None:
        out["balanced_classes"] = args.balanced
    return out


def _load(args, overrides: dict):
    """Threads, then the data at the preset's utterance length (the config and the data agree).

    Returns the `AAECData` of the split and the speaker of each training utterance (a tuple of str,
    the gate's groups)."""
    import torch

    from labkit.errors import LabkitError
    from labkit.experiment.protocols import make_folds
    from labkit.features.aaec import load_spectrograms, split
    from labkit.models.aaec import PRESETS

    if not (0 < args.test_fraction < 1):
        raise LabkitError(f"--test-fraction must be between 0 and 1, got {args.test_fraction}")
    check_options(args)
    threads = args.threads if args.threads is not None else (1 if args.preset == "small" else None)
    if threads is not None:
        torch.set_num_threads(threads)
    max_seconds = overrides.get("max_seconds", PRESETS[args.preset]["max_seconds"])
    feats = load_spectrograms(args.source, max_seconds=max_seconds, show_progress=not args.json)
    fold = make_folds(feats.meta, "split", test_fraction=args.test_fraction, seed=args.split_seed)[0]
    speakers = tuple(str(s) for s in feats.meta["speaker"].to_numpy()[fold.train_idx])
    return split(feats, fold.train_idx, fold.test_idx, args.source), speakers


def evaluate(model, data, device, amp: bool = False) -> dict:
    """{"arousal"|"valence": {"f1", "f1_micro", "uar", "combined"}} of a trained AAEC on the test speakers."""
    import numpy as np

    from labkit.experiment.metrics import scores
    from labkit.trainers.aaec import predict

    pa, pv = predict(model, data.X_test, device, amp)
    out = {}
    for head, y_true, y_pred in (("arousal", data.arousal_test, pa), ("valence", data.valence_test, pv)):
        s = scores(np.asarray(y_true), np.asarray(y_pred), labels=[0, 1, 2])
        out[head] = {k: float(s[k]) for k in SCORES}
    return out


def _test_scores(data, device, amp: bool):
    """The trainer's ``on_epoch`` hook that adds test scores to every iteration that trained the
    classifier (monitoring only: no model is selected on them)."""

    def hook(iteration: int, model, row: dict) -> None:
        if row["stage"] == "aae":
            return
        ev = evaluate(model, data, device, amp)
        row["test_uar_arousal"] = ev["arousal"]["uar"]
        row["test_uar_valence"] = ev["valence"]["uar"]
        row["test_combined"] = 0.5 * (ev["arousal"]["combined"] + ev["valence"]["combined"])

    return hook


# --------------------------------------------------------------------------- the gate
# At most this many training utterances are gated per task (a seeded subsample beyond it), and at most
# GATE_VALUES numbers per set: the `small` preset's 94 x 129 frames keep 600 rows, the `paper` preset's
# 469 x 513 frames about 200 (the gate works in float64: 400 MB per set).
GATE_ROWS = 600
GATE_VALUES = 50_000_000


def gate_rows(n: int, row_size: int, seed: int):
    """Indices (sorted) of the training utterances a task gates: all n, or a seeded subsample."""
    import numpy as np

    cap = max(10, min(GATE_ROWS, GATE_VALUES // max(row_size, 1)))
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).permutation(n)[:cap])


def gate_classes(arousal, valence):
    """The gate's class of an utterance: its (arousal, valence) pair as one label 3 * arousal + valence."""
    import numpy as np

    return 3 * np.asarray(arousal, dtype=np.int64) + np.asarray(valence, dtype=np.int64)


def gate_generator(model, data, cfg, device, speakers, label: str, fold: int = 0):
    """The gate (`labkit.metrics.gate.gate`) of one trained configuration's X', or None when it generates nothing.

    The space is the one the classifier sees: standardised log spectrograms (T, F), flattened. The
    real rows are the task's training utterances (`gate_rows`), the generated rows one X' of each
    (`labkit.trainers.aaec.generate_like`: Eq. (1), the samples the classifier is trained on, with
    noise E of their own), labelled with their original's (arousal, valence) pair (`gate_classes`):
    Algorithm 1 asks X' to keep both. `speakers` (one per training utterance) are the groups.
    """
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    from labkit.metrics.gate import gate
    from labkit.trainers.aaec import generate_like

    if not cfg.augment:
        return None
    X = data.X_train
    idx = gate_rows(len(X), int(np.prod(X.shape[1:])), cfg.seed)
    X_real = X[idx].numpy()
    X_gen = generate_like(model, X[idx], device, seed=cfg.seed + 7919, amp=cfg.mixed_precision)
    y = gate_classes(data.arousal_train.numpy()[idx], data.valence_train.numpy()[idx])
    groups = None if speakers is None else np.asarray(speakers)[idx]
    # As many BLAS threads as torch was given (--threads): on a busy machine an unbounded BLAS pool
    # made one gate of the `small` preset take minutes instead of about 10 s of CPU.
    with threadpool_limits(limits=torch.get_num_threads()):
        return gate(X_real, y, X_gen, y, groups=groups, generator=label, fold=fold, seed=cfg.seed)


def _train_and_score(
    context: "AAECContext",
    cfg,
    run,
    checkpoint_name: str,
    history_table: str,
    checkpoint_every: int,
    desc: str,
    figure5=None,
    gate_label: str | None = None,
) -> dict:
    """One training (`labkit.trainers.aaec.train`, resuming its checkpoint) and its test scores.

    With `gate_label`, the trained configuration's X' is then gated (`gate_generator`) and the result
    has a ``gate`` entry (`gate_record`; empty for a configuration that generates nothing). The gate
    runs after the scores, on its own random streams, so it changes no score."""
    from labkit.features.aaec import prepare
    from labkit.trainers.aaec import TrainOptions, train
    from labkit.trainers.common import Checkpoint, HistoryWriter, hooks
    from labkit.utils import pick_device

    device = pick_device(context.device)  # chosen once per task, passed down
    data, cfg = prepare(context.data, cfg)
    if figure5 is not None:
        figure5.data = data
    options = TrainOptions(progress=context.progress, desc=desc, compile=context.compile)
    res = train(
        data,
        cfg,
        device=device,
        options=options,
        on_epoch=hooks(_test_scores(data, device, cfg.mixed_precision), figure5, HistoryWriter(run, history_table)),
        checkpoint=Checkpoint.in_run(run, checkpoint_name, checkpoint_every),
    )
    metrics = evaluate(res.model, data, device)  # after the fine-tuning, in fp32
    combined = 0.5 * (metrics["arousal"]["combined"] + metrics["valence"]["combined"])
    out = {"metrics": metrics, "combined": combined, "seconds": res.seconds, "device": res.device}
    if gate_label is not None:
        result = gate_generator(res.model, data, res.config, device, context.train_speakers, gate_label)
        out["gate"] = gate_record({gate_label: result})
    return out


@dataclass(frozen=True, eq=False)
class AAECContext:
    """What a task of ``aaec-table1`` or ``aaec-train`` needs (`Plan.context`; pickled to the workers)."""

    data: Any  # labkit.data.aaec.AAECData: spectrograms and labels of the speaker-independent split
    preset: str  # "small" or "paper" (labkit.models.aaec.PRESETS)
    overrides: dict  # config fields from the options that replace the preset's (iterations, max_seconds, ...)
    device: str | None  # torch device (--device; None: the trainer picks CUDA when available)
    progress: bool  # progress bars (off under --json)
    compile: bool  # torch.compile the four modules (--compile)
    record_every: int = 0  # aaec-train: record Figure 5 samples every N iterations (0: off)
    n_record: int = 0  # aaec-train: training utterances whose generated versions are recorded
    checkpoint_every: int = 0  # aaec-train: checkpoint every N iterations (aaec-table1 keeps the trainer's default)
    # A tuple of str, which the run's data fingerprint does not hash (it hashes arrays), so runs made
    # before the gate keep their identity.
    train_speakers: tuple | None = None  # the speaker of each training utterance: the gate's groups

    @classmethod
    def from_args(cls, args, data, overrides: dict, **train) -> "AAECContext":
        """The context of both experiments from their shared options; `train`: aaec-train's three fields
        (and ``train_speakers``)."""
        return cls(data, args.preset, overrides, args.device, not args.json, args.compile, **train)


def _config(args, overrides: dict, **more) -> dict:
    """The run's identity (`Plan.config`): the data, its split and the model's preset and overrides."""
    keep = {"source": args.source, **more, "preset": args.preset, "overrides": overrides}
    return {**keep, "test_fraction": args.test_fraction, "split_seed": args.split_seed}


def _task_row(res: dict) -> dict:
    row = {"seconds": res["seconds"], "device": res["device"], "combined": res["combined"]}
    for head in HEADS:
        for metric in SCORES:
            row[f"{head}_{metric}"] = res["metrics"][head][metric]
    return row


def _notes(data: str, ns) -> list[str]:
    return [
        f"Data: {data}.",
        "F1 is micro-F1 (= accuracy), as in the MuSe 2020 baseline the paper follows; Combined = 0.66 F1 + "
        "0.34 UAR per head, and the last column is the mean of the two heads' Combined. Macro F1 is in the "
        "task table and --json (f1).",
        ci_note(ns),
        "Paper: MuSe-Topic audio, 4207 train / 1335 test, 500 iterations; a different corpus and budget, "
        "printed for reference, not for a direct comparison.",
    ]


# --------------------------------------------------------------------------- aaec-table1
TABLE1_DESCRIPTION = """\
Train the five configurations of AAEC's Table 1 for every seed and print the table: F1 (micro), UAR
and Combined (0.66 F1 + 0.34 UAR) of the 3-class arousal and valence heads on held-out speakers, and
the mean Combined, as mean ± 95% t-interval over seeds, with the paper's numbers under ours.

  AAEC        D, C, G      the proposed model: X' = average(Decoder(E), Decoder(Z))
  AAE_C       C, G         without the discriminator on Z
  AAE+C       D, G         the classifier is trained after the autoencoder, on its samples
  AAEC'       D, C, G_ori  the original AAE decoder: X' = Decoder(Z)
  Classifier  -            the classifier alone, no augmentation

MuSe-CaR / MuSe-Topic cannot be had here; the table says which data it ran on. The split is
speaker-independent and fixed (--split-seed); seeds vary the training only. Finished
configuration x seed pairs are run-store tasks and are not recomputed; --seeds can grow later.

examples:
  labkit reproduce aaec-table1 synthetic --preset small --seeds 3 --out runs/aaec-table1
  labkit reproduce aaec-table1 emodb:~/data/emodb --preset small --seeds 2 --json
"""


def _table1_arguments(p: argparse.ArgumentParser) -> None:
    _add_data_and_model(p)
    p.add_argument(
        "--configs",
        default=None,
        help="comma-separated subset of AAEC,AAE_C,AAE+C,AAEC',Classifier (default: all five)",
    )


def _table1_plan(args) -> Plan:
    from labkit.errors import LabkitError
    from labkit.models.aaec import CONFIGURATIONS, make_config

    configs = (
        list(CONFIGURATIONS) if args.configs is None else [c.strip() for c in args.configs.split(",") if c.strip()]
    )
    unknown = [c for c in configs if c not in CONFIGURATIONS]
    if unknown or not configs:
        raise LabkitError(
            f"unknown configuration(s) {unknown or args.configs!r}; choose from {', '.join(CONFIGURATIONS)}"
        )
    overrides = _overrides(args)
    make_config(args.preset, configs[0], **overrides)  # bad values fail before any data is loaded
    data, speakers = _load(args, overrides)
    tasks = [{"key": task_key(c, s), "configuration": c, "seed": s} for s in range(args.seeds) for c in configs]
    # Seeds and the list of configurations are not part of the run's identity: both can grow later.
    config = _config(args, overrides)
    context = AAECContext.from_args(args, data, overrides, train_speakers=speakers)
    return Plan(
        config=config,
        tasks=tasks,
        context=context,
        data=data.description,
        default_out=f"aaec-table1-{slug(args.source)}-{args.preset}",
        name=f"AAEC Table 1 ({args.preset})",
        info={"configurations": configs},
    )


def table1_task(task: dict, context: AAECContext, run_path: str) -> dict:
    """Train one configuration x seed (resuming its checkpoint if a previous call was killed) and score it."""
    from labkit.models.aaec import make_config
    from labkit.runstore import Run

    key = task["key"]
    cfg = make_config(context.preset, task["configuration"], seed=int(task["seed"]), **context.overrides)
    name = task["configuration"]
    res = _train_and_score(context, cfg, Run(run_path), key, f"history_{key}", 5, name, gate_label=name)
    return {"configuration": name, "seed": int(task["seed"]), **_task_row(res), "gate": res["gate"]}


def _table1_summary(tasks, plan: Plan) -> Report:
    from labkit.models.aaec import PLAYERS

    metrics = [f"{h}_{m}" for h in HEADS for m in SCORES] + ["combined"]
    summary = summary_by(tasks, "configuration", metrics, order=plan.info["configurations"])
    table = PaperTable(
        title="AAEC, Table 1: F1 (micro), UAR and Combined of 3-class arousal and valence (%)",
        columns=TABLE_COLUMNS,
        ours=summary,
        paper={c: r for c, r in paper_rows().items() if c in summary},
        info=PLAYERS,
        info_header="Players",
        paper_label="paper",
        notes=_notes(plan.data, [s["combined"]["n"] for s in summary.values()]),
    )
    # --json keeps the layout of earlier labkit versions: {configuration: {head: {metric: mean}}}, and
    # adds "gate" (the generators' gate numbers and verdict) and "verdicts" (the claims read through it).
    js = {c: {h: {m: s[f"{h}_{m}"]["mean"] for m in SCORES} for h in HEADS} for c, s in summary.items()}
    for c, s in summary.items():
        js[c]["combined"] = s["combined"]["mean"]
    gates = gate_summary(tasks)
    verdicts = _table1_verdicts(summary, gates)
    js["gate"] = gate_json(gates)
    js["verdicts"] = verdicts
    findings = gate_lines(gates) + verdicts
    return Report(tables=[table], json=js, frames={"summary": summary_frame(summary)}, findings=findings)


def _table1_verdicts(summary: dict, gates: dict) -> list[str]:
    """Table 1's two claims, by mean Combined over seeds, each read through the gate (`gated_verdict`).

    1. AAEC has the best Combined score of the configurations that ran (needs AAEC and another one).
    2. Every configuration that augments beats the plain Classifier (needs the Classifier and another).
    A claim that did not reproduce is "not reproduced by generators that learned the data" only when
    every generating configuration passed the gate; otherwise it is inconclusive, naming the failures.
    """
    mean = {c: s["combined"]["mean"] for c, s in summary.items() if s["combined"]["mean"] is not None}
    n = max((s["combined"]["n"] for s in summary.values()), default=0)
    by = f"by mean Combined over {n} seed(s)"
    out = []
    others = [c for c in mean if c != "AAEC"]
    if "AAEC" in mean and others:
        best = max(mean, key=mean.get)
        claim = f"Claim 'AAEC has the best Combined score of Table 1' ({by}; best here: {best})"
        out.append(gated_verdict(best == "AAEC", claim, gates))
    augmenting = [c for c in mean if c != "Classifier"]
    if "Classifier" in mean and augmenting:
        below = [c for c in augmenting if not mean[c] > mean["Classifier"]]
        exceptions = f"; not: {', '.join(below)}" if below else ""
        claim = f"Claim 'every augmenting configuration beats the plain Classifier' ({by}{exceptions})"
        out.append(gated_verdict(not below, claim, gates))
    return out


# --------------------------------------------------------------------------- aaec-train
TRAIN_DESCRIPTION = """\
Train one AAEC configuration with Algorithm 1 and record Figure 5: every iteration, Decoder(E),
Decoder(Z) and X' of a fixed set of training utterances go to the run store, with the real train and
test utterances once, in two spaces ("spectrum": mean/std over time of log power in 32 mel bands;
"embedding": a frozen reference classifier's penultimate layer). The history table holds the losses
and the test UAR per iteration. An interrupted run resumes from its last checkpoint.

examples:
  labkit reproduce aaec-train synthetic --configuration AAEC --preset small --iterations 40 --out runs/aaec
  labkit coverage runs/aaec; labkit dashboard --runs runs
"""


def _train_arguments(p: argparse.ArgumentParser) -> None:
    _add_data_and_model(p)
    p.add_argument(
        "--configuration",
        default="AAEC",
        metavar="NAME",
        help="AAEC, AAE_C, AAE+C, AAEC' or Classifier (default: %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0, help="training seed (default: %(default)s)")
    p.add_argument(
        "--record-every",
        type=int,
        default=1,
        help="record generated samples every N iterations; 0 turns recording off (default: %(default)s)",
    )
    p.add_argument(
        "--n-record",
        type=int,
        default=48,
        help="training utterances whose generated versions are recorded (default: %(default)s)",
    )
    p.add_argument(
        "--checkpoint-every", type=int, default=5, help="checkpoint every N iterations (default: %(default)s)"
    )


def _train_plan(args) -> Plan:
    from labkit.errors import LabkitError
    from labkit.models.aaec import make_config

    make_config(args.preset, args.configuration, seed=args.seed)  # validates the names before loading data
    if args.record_every < 0 or args.n_record < 1 or args.checkpoint_every < 1:
        raise LabkitError("--record-every must be >= 0, --n-record and --checkpoint-every >= 1")
    overrides = _overrides(args)
    cfg = make_config(args.preset, args.configuration, seed=args.seed, **overrides)
    data, speakers = _load(args, overrides)
    config = _config(args, overrides, configuration=args.configuration, seed=args.seed)
    config.update(record_every=args.record_every, n_record=args.n_record, model=cfg.to_dict())
    context = AAECContext.from_args(
        args,
        data,
        overrides,
        record_every=args.record_every,
        n_record=args.n_record,
        checkpoint_every=args.checkpoint_every,
    )
    return Plan(
        config=config,
        tasks=[{"key": "train", "configuration": args.configuration, "seed": args.seed}],
        context=context,
        data=data.description,
        run_kind="aaec",
        default_out=f"aaec-{slug(args.configuration)}-{slug(args.source)}-{args.preset}-s{args.seed}",
        name=f"AAEC {args.configuration} ({args.preset}, seed {args.seed})",
        info={"configuration": args.configuration},
    )


def train_task(task: dict, context: AAECContext, run_path: str) -> dict:
    """One training with Figure 5 recording; the final scores also go to results/final.json."""
    from labkit.models.aaec import make_config
    from labkit.runstore import Run
    from labkit.trainers.figure5 import Figure5Recorder

    run = Run(run_path)
    cfg = make_config(context.preset, task["configuration"], seed=int(task["seed"]), **context.overrides)
    recorder = (
        Figure5Recorder(run, every=context.record_every, n_record=context.n_record)
        if context.record_every > 0 and cfg.augment
        else None
    )
    res = _train_and_score(
        context, cfg, run, "last", "history", context.checkpoint_every, task["configuration"], figure5=recorder
    )
    final = {
        "configuration": task["configuration"],
        "metrics": res["metrics"],
        "combined": res["combined"],
        "seconds": res["seconds"],
        "device": res["device"],
        "data": context.data.description,
    }
    run.write_json("final", final)
    return {"configuration": task["configuration"], "seed": int(task["seed"]), **_task_row(res)}


def _train_summary(tasks, plan: Plan) -> Report:
    from labkit.models.aaec import PLAYERS

    name = plan.info["configuration"]
    summary = summary_by(tasks, "configuration", [f"{h}_{m}" for h in HEADS for m in SCORES] + ["combined"])
    table = PaperTable(
        title=f"AAEC configuration {name}, one training (%)",
        columns=TABLE_COLUMNS,
        ours=summary,
        paper={k: v for k, v in paper_rows().items() if k == name},
        info=PLAYERS,
        info_header="Players",
        notes=_notes(plan.data, [1]),
    )
    row = tasks.iloc[0]
    js = {
        "configuration": name,
        "metrics": {h: {m: float(row[f"{h}_{m}"]) for m in SCORES} for h in HEADS},
        "combined": float(row["combined"]),
        "seconds": float(row["seconds"]),
        "device": str(row["device"]),
        "data": plan.data,
    }
    return Report(tables=[table], json=js, frames={"summary": summary_frame(summary)})


EXPERIMENTS = [
    Experiment(
        name="aaec-table1",
        paper=PAPER,
        summary="Table 1: AAEC, AAE_C, AAE+C, AAEC', Classifier x seeds",
        description=TABLE1_DESCRIPTION,
        add_arguments=_table1_arguments,
        plan=_table1_plan,
        run_task=table1_task,
        summarize=_table1_summary,
        default_seeds=3,
        on_task_done=drop_checkpoints(),  # 15 optimiser states would be large
        resources={"GPU": 1},
    ),
    Experiment(
        name="aaec-train",
        paper=PAPER,
        summary="one AAEC training with Figure 5 recording (dashboard)",
        description=TRAIN_DESCRIPTION,
        add_arguments=_train_arguments,
        plan=_train_plan,
        run_task=train_task,
        summarize=_train_summary,
        seeds_option=False,
        resources={"GPU": 1},
    ),
]
