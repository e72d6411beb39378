"""`labkit compare`: augmenters × seeds × folds on one feature table, written to the run store."""

from __future__ import annotations

import argparse
import json
import sys

DESCRIPTION = """\
Compare data augmenters for speech emotion recognition on one corpus.

For every augmenter, seed and fold of the protocol, a pipeline is fitted on the fold's training
utterances only: standardisation -> augmentation (synthetic samples added to the training fold) ->
classifier; then the fold's test utterances (other speakers) are predicted. The run directory gets
one file per finished task, so an interrupted comparison resumes where it stopped (rerun the same
command with the same --out) and a finished one recomputes nothing.

Printed: per augmenter the mean and 95 % confidence interval of UAR (unweighted average recall; the
mean of per-fold UARs and, labelled "pooled", one UAR of all folds' predictions), WA (accuracy),
macro-F1 and AAEC's combined score (0.66 F1 + 0.34 UAR), in %; then each augmenter's paired
difference from "none" (seeds averaged within each fold, Wilcoxon signed-rank p over folds, raw and
Benjamini-Hochberg adjusted across the augmenters), and with --sweep the UAR for each amount of
synthetic data; then, per generating augmenter, the learned-the-data gate (labkit.metrics.gate:
fidelity against real rows, C2ST, precision, recall, spread; pass/FAIL) and, for an augmenter that
did not beat "none", whether that rests on generators that learned the data ("claim not reproduced
by generators that learned the data") or not ("inconclusive: ... failed the gate"). --no-gate skips it.

The classifier is tuned by default: in every training fold a speaker-grouped inner CV on the fold's
real rows chooses its hyperparameters (C for SVMs, weight decay for mlp), once per (seed, fold),
cached in the run and reused by every augmenter and amount of that fold; the chosen values are
printed. --no-tune keeps the fixed classifier (quicker); the notes say which ran.

SOURCE is a corpus (synthetic, synthetic:DIR, emodb:PATH, ravdess:PATH, cremad:PATH, iemocap:PATH,
csv:PATH; features are extracted with --features, cached), a features file written by
`labkit features` (FILE.parquet), or a table of your own features (FILE.csv, .tsv, .parquet: one row
per utterance, numeric feature columns, --label-column C --speaker-column S [--id-column I]).

Options can come from a TOML file (--config FILE.toml, keys as the options: protocol = "cross"); the
command line overrides it, and the run directory gets the config.toml that reproduces the run
(`labkit rerun RUNDIR`). --format csv|latex prints the summary table ready for a file; --log
mlflow|tensorboard mirrors the run to an experiment tracker.

Protocols (--protocol):
  loso     leave one speaker out (one fold per speaker)
  logo     leave one group out; --group COLUMN (default: context, e.g. IEMOCAP sessions)
  split    one speaker-independent split: --test-speakers A,B or --test-fraction F (default 0.2)
  cross    train on one corpus, test on another: --train-corpus A --test-corpus B (read from the
           corpus column, else from context: the embedded corpus' studio/phone contexts)
  reduced  training side cut to --n-train N utterances (code-vector paper's Exp 2: 100, 200, 500)
           from the folds of --base (split or loso)

Augmenters (--augmenters): none, noise (Gaussian noise in feature space), ros (random
oversampling), smote, adasyn, model augmenters (aaec, ...), and waveform augmenters that change the
training utterances' audio before feature extraction (wav-noise, wav-band, wav-reverb, wav-speed;
corpus SOURCE only; see labkit.augment.waveform). --amount sets how much
synthetic data: a ratio r adds r x n_c samples to each class c (1.0 doubles the training fold);
"balance" tops every class up to the largest. Parameters: --param noise.scale=0.2 --param smote.k_neighbors=3.

examples:
  labkit compare synthetic --features egemaps --augmenters none,noise,ros,smote,adasyn \\
      --protocol loso --seeds 3 --classifier svm-linear --out runs/cmp-egemaps
  labkit compare egemaps.parquet --protocol split --test-fraction 0.3 --sweep 0,0.5,1,2 --json
  labkit compare synthetic --protocol cross --train-corpus studio --test-corpus phone --classifier mlp
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="compare augmenters (none, noise, ros, smote, adasyn, ...) under a protocol",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "source", metavar="SOURCE", help="corpus source (synthetic, emodb:PATH, csv:PATH, ...) or FILE.parquet"
    )
    p.add_argument(
        "--features",
        default="egemaps",
        metavar="SET",
        help="feature set for a corpus SOURCE: egemaps | is10 | compare | emobase (default: %(default)s); "
        "spectrogram / logmel need frame augmenters",
    )
    p.add_argument(
        "--augmenters",
        default="none,noise,ros,smote,adasyn",
        metavar="A,B,...",
        help="comma-separated augmenter names (default: %(default)s)",
    )
    p.add_argument(
        "--protocol",
        default="loso",
        choices=["loso", "logo", "split", "cross", "reduced"],
        help="evaluation protocol (default: %(default)s)",
    )
    p.add_argument(
        "--group", default=None, metavar="COLUMN", help="logo: column whose values are the groups (default: context)"
    )
    p.add_argument("--test-speakers", default=None, metavar="A,B", help="split: the test speakers")
    p.add_argument(
        "--test-fraction",
        type=float,
        default=None,
        metavar="F",
        help="split: share of speakers to test on (default 0.2)",
    )
    p.add_argument("--train-corpus", default=None, metavar="NAME", help="cross: corpus (or context) to train on")
    p.add_argument("--test-corpus", default=None, metavar="NAME", help="cross: corpus (or context) to test on")
    p.add_argument("--n-train", type=int, default=None, metavar="N", help="reduced: training utterances per fold")
    p.add_argument(
        "--base",
        default=None,
        choices=["split", "loso", "logo", "cross"],
        help="reduced: protocol whose training sides are cut (default: split)",
    )
    p.add_argument(
        "--classifier",
        default="svm-linear",
        choices=["svm-linear", "svm-rbf", "mlp"],
        help="classifier (default: %(default)s); mlp = Shilandari et al.'s DNN, 2 x 800 leaky ReLU",
    )
    p.add_argument(
        "--target",
        default="emotion",
        choices=["emotion", "arousal", "valence"],
        help="label to predict (default: %(default)s)",
    )
    p.add_argument(
        "--amount",
        default="1.0",
        metavar="R|balance",
        help="synthetic data per class: ratio r adds r x n_c samples to every class c (not "
        "imbalanced-learn's minority/majority ratio), or 'balance' (default: %(default)s)",
    )
    p.add_argument(
        "--sweep",
        default=None,
        metavar="R1,R2,...",
        help="also run every augmenter at these ratios, e.g. 0,0.5,1,2 "
        "(UAR against amount, Shilandari et al. Figs. 5-9)",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="AUG.KEY=VALUE",
        help="augmenter parameter, e.g. noise.scale=0.2 (repeatable)",
    )
    p.add_argument(
        "--clf-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="classifier parameter, e.g. C=0.1 or max_epochs=50 (repeatable)",
    )
    p.add_argument(
        "--record-every",
        type=int,
        default=0,
        metavar="N",
        help="iterative generators: record generated samples every N iterations (first seed and fold)",
    )
    p.add_argument("--skip-bad", action="store_true", help="corpus SOURCE: skip unusable audio files")
    # two flags on one dest (not BooleanOptionalAction): a config file's `tune = false` then reads as False
    p.add_argument(
        "--tune",
        dest="tune",
        action="store_true",
        default=True,
        help="choose the classifier's hyperparameters (C for SVMs, weight decay for mlp) in every training "
        "fold by a speaker-grouped inner CV on its real rows, once per (seed, fold), cached in the run and "
        "reused by every augmenter; the chosen values are printed and stored per fold (grids: "
        "labkit.experiment.classifiers.TUNING_GRIDS). The default",
    )
    p.add_argument(
        "--no-tune",
        dest="tune",
        action="store_false",
        help="keep the fixed classifier (labkit's defaults and --clf-param): quicker; the notes say which ran",
    )
    p.add_argument(
        "--no-gate",
        dest="gate",
        action="store_false",
        default=True,
        help="skip the learned-the-data gate of each generating augmenter (it changes no score; it costs "
        "a few classifier fits per task)",
    )
    p.add_argument("--no-cache", action="store_true", help="corpus SOURCE: neither read nor fill the feature cache")
    t = p.add_argument_group("a feature table of your own as SOURCE (FILE.csv, .tsv or .parquet)")
    t.add_argument(
        "--label-column",
        default=None,
        metavar="C",
        help="the column of class labels, predicted instead of --target (default: emotion, else label)",
    )
    t.add_argument("--speaker-column", default=None, metavar="S", help="the speaker column (default: speaker)")
    t.add_argument("--id-column", default=None, metavar="I", help="a column of unique row ids (default: id, if any)")
    t.add_argument(
        "--meta-columns",
        default=None,
        metavar="A,B",
        help="further non-feature columns (every other column must be a numeric feature)",
    )
    from labkit.runs.lifecycle import add_run_arguments

    add_run_arguments(
        p,
        json_help='print only JSON: {augmenter: {metric: {"mean", "ci_low", "ci_high", "n"}, "gate": {...}}} '
        "(gate: the augmenter's gate numbers, pass/fail and verdict, when it was gated)",
        scheduler_help="the tasks (and feature extraction)",
    )
    p.set_defaults(func=run)


def _value(text: str):
    """A command-line value: JSON when it parses (numbers, true, null, lists), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _parse_params(items: list[str], with_owner: bool) -> dict:
    from labkit.errors import LabkitError

    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise LabkitError(f"parameter {item!r}: expected {'AUG.KEY' if with_owner else 'KEY'}=VALUE")
        if with_owner:
            owner, dot, name = key.partition(".")
            if not dot or not name:
                raise LabkitError(f"parameter {item!r}: name the augmenter, e.g. noise.scale=0.2")
            out.setdefault(owner, {})[name] = _value(value)
        else:
            out[key] = _value(value)
    return out


def _protocol_params(args) -> dict:
    params = {}
    if args.group is not None:
        params["group"] = args.group
    if args.test_speakers is not None:
        params["test_speakers"] = [s for s in args.test_speakers.split(",") if s]
    if args.test_fraction is not None:
        params["test_fraction"] = args.test_fraction
    if args.train_corpus is not None:
        params["train_corpus"] = args.train_corpus
    if args.test_corpus is not None:
        params["test_corpus"] = args.test_corpus
    if args.n_train is not None:
        params["n_train"] = args.n_train
    if args.base is not None:
        params["base"] = args.base
    return params


def _load(args):
    """(meta, X, table or None): features from a table file (labkit's or yours), or extracted from a corpus."""
    from labkit.features.core import is_table_source, read_table

    if is_table_source(args.source):  # labkit's features file, or a table of your own
        meta_cols = [c for c in (getattr(args, "meta_columns", None) or "").split(",") if c]
        feats = read_table(
            args.source,
            label_column=getattr(args, "label_column", None),
            meta_columns=meta_cols,
            speaker_column=getattr(args, "speaker_column", None),
            id_column=getattr(args, "id_column", None),
        )
        args.feature_settings = feats.settings
        return feats.meta, feats.X, None, feats.feature_set
    if getattr(args, "label_column", None) or getattr(args, "speaker_column", None):
        from labkit.errors import LabkitError

        raise LabkitError("--label-column / --speaker-column are for a feature table SOURCE (.csv, .tsv, .parquet)")
    from labkit.data.loaders import load_corpus
    from labkit.features import extract

    table = load_corpus(args.source, skip_bad=args.skip_bad)
    feats = extract(table, args.features, skip_bad=args.skip_bad, cache=not getattr(args, "no_cache", False))
    args.feature_settings = feats.settings
    return feats.meta, feats.X, feats.meta, args.features


def _warn_duplicates(table, folds, err) -> None:
    """Warn when byte-identical audio files sit on both sides of a fold (an inflated score)."""
    from labkit.data.audio import cross_split_duplicates, duplicate_groups

    groups = duplicate_groups(table, progress=False)
    if not groups:
        return
    crossing = sum(len(cross_split_duplicates(table, f.train_idx, f.test_idx, groups)) for f in folds)
    if crossing:
        print(
            f"labkit compare: warning: {crossing} groups of byte-identical audio files cross a train/test "
            "split (the test score may be inflated); see labkit.data.audio.duplicate_groups",
            file=err,
        )


def _tune_setting(args, clf_params: dict, err) -> bool:
    """Whether the comparison tunes: ``--tune`` (the default) unless ``--no-tune``, or unless --clf-param
    fixes every parameter the classifier's grid would tune (then nothing is left to tune; said on `err`)."""
    from labkit.experiment.classifiers import TUNING_GRIDS

    if not args.tune:
        return False
    grid = TUNING_GRIDS.get(args.classifier, {})
    if grid and all(k in clf_params for k in grid):
        print(
            f"labkit compare: --clf-param fixes every tuned parameter of {args.classifier} ({', '.join(grid)}); "
            "the classifier is not tuned (as with --no-tune)",
            file=err,
        )
        return False
    return True


def _refuse_tuning_an_untuned_run(out) -> None:
    """A clear refusal when --out holds a comparison with a fixed classifier and this one would tune.

    Runs made before tuning became the default did not tune; the same command now tunes, which is
    another experiment. Say how to resume it (``--no-tune``) instead of only listing the keys that differ.
    """
    import json
    from pathlib import Path

    from labkit.errors import LabkitError

    if not out:
        return
    try:
        meta = json.loads((Path(out) / "run.json").read_text())
    except (OSError, ValueError):
        return  # no run there (or one the run store will refuse with its own message)
    config = meta.get("config") if isinstance(meta, dict) else None
    if meta.get("kind") == "compare" and isinstance(config, dict) and not config.get("tune", False):
        raise LabkitError(
            f"{out} holds a comparison with a fixed classifier (tune: false; every run made before tuning "
            "became the default is one); resume it with --no-tune, or choose another --out to tune"
        )


def run(args: argparse.Namespace) -> int:
    from labkit.runs.lifecycle import run_command

    return run_command(args, lambda opts: _plan(args, opts), prog="labkit compare")


def _plan(args: argparse.Namespace, opts):
    """The comparison's `labkit.runs.lifecycle.Job`: options read, data loaded, everything checked."""
    import hashlib

    import numpy as np

    from labkit.errors import LabkitError
    from labkit.experiment.pipeline import amount_str
    from labkit.runs.compare import CompareConfig, comparison_job, prepare
    from labkit.runs.tasks import joblib_on

    augmenters = [a.strip() for a in args.augmenters.split(",") if a.strip()]
    if not augmenters:
        raise LabkitError("--augmenters is empty")
    sweep = [float(amount_str(a)) for a in args.sweep.split(",") if a.strip()] if args.sweep else []
    amount = amount_str(args.amount)
    if args.record_every < 0:
        raise LabkitError(f"--record-every must be >= 0, got {args.record_every}")
    clf_params = _parse_params(args.clf_param, with_owner=False)
    tune = _tune_setting(args, clf_params, sys.stderr)
    if tune:
        _refuse_tuning_an_untuned_run(getattr(args, "out", None))
    with joblib_on(opts.scheduler, opts.jobs):  # feature extraction of a large corpus runs on the cluster too
        meta, X, table, feature_set = _load(args)
    config = CompareConfig(
        augmenters=augmenters,
        protocol=args.protocol,
        protocol_params=_protocol_params(args),
        seeds=args.seeds,
        classifier=args.classifier,
        classifier_params=clf_params,
        target=args.label_column or args.target,
        amount=amount if amount == "balance" else float(amount),
        sweep=sweep,
        augmenter_params=_parse_params(args.param, with_owner=True),
        record_every=args.record_every,
        source=args.source,
        features=feature_set,
        tune=tune,
        # the data's fingerprint: resuming a run on different features would mix two experiments
        data_hash=hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()[:16],
    )
    from labkit.augment.waveform import audio_augmenters, check_audio, prepare_run

    # every check before the run directory exists: a typo must not leave a run behind
    prepared = prepare(meta, X, config)
    check_audio(augmenters, meta, feature_set)  # waveform augmenters need the audio behind the rows
    if table is not None:
        _warn_duplicates(table, prepared[4][0], sys.stderr)
    setup = None
    if audio_augmenters(augmenters):
        setup = lambda run: prepare_run(run, meta, feature_set, args.feature_settings)  # noqa: E731
    return comparison_job(
        meta,
        X,
        config,
        prepared=prepared,
        setup=setup,
        name=f"{args.protocol}-{feature_set}",
        gate=getattr(args, "gate", True),
    )
