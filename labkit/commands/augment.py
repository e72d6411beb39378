"""`labkit augment`: fit one augmenter on a corpus (or its training side) and export real + synthetic rows."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Fit one augmenter on a corpus, or on the training side of a speaker-independent split, and write the
real rows and the synthetic rows it generates to one table, for use in any other toolkit.

The output has the utterance-table columns (id, path, speaker, emotion, ...), then
  origin      real | synthetic
  partition   train | test   (test rows are real, never seen by the augmenter; only with --protocol)
  source_id   for waveform augmenters: the id of the utterance an augmented copy was made from
and then one column per feature (Parquet: labkit's own format, read back with
labkit.features.Features.from_parquet or `labkit compare FILE.parquet`; CSV: any tool).

The augmenter works as inside `labkit compare`: features are standardised with the training rows'
statistics, the augmenter is fitted on them and adds --amount synthetic samples per class, and the
synthetic rows are mapped back to the original feature units. Synthetic rows of feature-space
augmenters get the speaker "synthetic"; augmented copies of waveform augmenters (wav-noise, wav-band,
wav-reverb, wav-speed) keep their source utterance's speaker and metadata, and their path is the
augmented WAV file (in the labkit cache).

Train on synthetic, test on real is then one step away: train on origin == synthetic, test on
partition == test.

SOURCE is a corpus (synthetic, emodb:PATH, csv:PATH, ...; features extracted with --features) or a
feature table (FILE.parquet from `labkit features`, or any CSV/TSV/Parquet of numeric features with
--label-column and --speaker-column).

examples:
  labkit augment synthetic --augmenter smote --amount 1.0 --out smote.parquet
  labkit augment synthetic --augmenter wav-band --amount 1 --protocol split --test-fraction 0.3 --out band.csv
  labkit augment feats.csv --label-column label --speaker-column spk --augmenter noise --out aug.csv
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    from labkit.configfile import add_config_argument

    p = sub.add_parser(
        "augment",
        help="export real + synthetic rows of one augmenter to Parquet or CSV",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="SOURCE", help="corpus source (synthetic, emodb:PATH, ...) or a feature table")
    p.add_argument(
        "--augmenter",
        required=True,
        metavar="NAME",
        help="noise, ros, smote, adasyn, aaec, wav-noise, wav-band, wav-reverb, wav-speed, ...",
    )
    p.add_argument(
        "--amount",
        default="1.0",
        metavar="R|balance",
        help="synthetic samples per class: ratio r adds r x n_c to every class c, 'balance' tops every "
        "class up to the largest (default: %(default)s)",
    )
    p.add_argument("--out", required=True, metavar="FILE.parquet|FILE.csv", help="the table to write")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="augmenter parameter, e.g. k_neighbors=3 (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="the augmenter's random state (default: %(default)s)")
    p.add_argument(
        "--features", default="egemaps", metavar="SET", help="feature set for a corpus SOURCE (default: %(default)s)"
    )
    p.add_argument(
        "--target",
        default="emotion",
        metavar="COLUMN",
        help="the label the augmenter generates for (default: %(default)s, or --label-column)",
    )
    p.add_argument(
        "--protocol",
        default="all",
        choices=["all", "split", "cross"],
        help="'all': fit on every row; 'split' / 'cross': fit on the training side only and write the "
        "test side as real rows with partition = test (default: %(default)s)",
    )
    p.add_argument("--test-speakers", default=None, metavar="A,B", help="split: the test speakers")
    p.add_argument(
        "--test-fraction", type=float, default=None, metavar="F", help="split: share of speakers held out (default 0.2)"
    )
    p.add_argument("--split-seed", type=int, default=0, help="split: seed drawing the test speakers (default: 0)")
    p.add_argument("--train-corpus", default=None, metavar="NAME", help="cross: corpus (or context) to fit on")
    p.add_argument("--test-corpus", default=None, metavar="NAME", help="cross: corpus (or context) held out")
    p.add_argument("--label-column", default=None, metavar="C", help="feature table SOURCE: the label column")
    p.add_argument("--speaker-column", default=None, metavar="S", help="feature table SOURCE: the speaker column")
    p.add_argument("--id-column", default=None, metavar="I", help="feature table SOURCE: the id column")
    p.add_argument(
        "--meta-columns", default=None, metavar="A,B", help="feature table SOURCE: further non-feature columns to keep"
    )
    p.add_argument("--skip-bad", action="store_true", help="corpus SOURCE: skip unusable audio files")
    add_config_argument(p)
    p.set_defaults(func=run)


def _params(items: list[str], name: str) -> dict:
    from labkit.commands.compare import _value
    from labkit.errors import LabkitError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise LabkitError(f"parameter {item!r}: expected KEY=VALUE")
        owner, dot, rest = key.partition(".")
        if dot and owner == name:
            key = rest
        out[key] = _value(value)
    return out


def _fold(meta, args):
    """(train rows, test rows) of the protocol; every row trains with --protocol all."""
    import numpy as np

    from labkit.experiment.protocols import make_folds

    if args.protocol == "all":
        return np.arange(len(meta)), np.arange(0)
    params = {}
    if args.protocol == "split":
        params["seed"] = args.split_seed
        if args.test_speakers:
            params["test_speakers"] = [s for s in args.test_speakers.split(",") if s]
        if args.test_fraction is not None:
            params["test_fraction"] = args.test_fraction
    else:
        params.update(train_corpus=args.train_corpus, test_corpus=args.test_corpus)
    (fold,) = make_folds(meta, args.protocol, **params)
    return fold.train_idx, fold.test_idx


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    from labkit.augment import augmenter_class, make_augmenter
    from labkit.errors import LabkitError, os_errors
    from labkit.experiment.pipeline import FrameScaler, amount_str
    from labkit.features import FEATURE_SETS, Features, extract
    from labkit.features.core import is_table_source, read_table
    from labkit.utils import atomic_path, check_writable

    out = Path(args.out).expanduser()
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise LabkitError(f"--out {out}: write a .parquet or a .csv file")
    if out.exists() and out.is_dir():
        raise LabkitError(f"--out {out} is a folder; name the file to write")
    if out.resolve() == Path(args.source.partition(":")[2] or args.source).expanduser().resolve():
        raise LabkitError(f"--out {out} is the input; choose another file (labkit never overwrites its input)")
    check_writable(out)  # a read-only or missing place is refused before the augmenter trains
    amount = amount_str(args.amount)
    cls = augmenter_class(args.augmenter)
    params = _params(args.param, args.augmenter)
    names = cls._get_param_names()
    if "random_state" in names:
        params["random_state"] = args.seed
    if "sampling_strategy" in names:
        params["sampling_strategy"] = "balance" if amount == "balance" else float(amount)
    aug = make_augmenter(args.augmenter, **params)

    # ---- the data
    if is_table_source(args.source):
        meta_cols = [c for c in (args.meta_columns or "").split(",") if c]
        feats = read_table(
            args.source,
            label_column=args.label_column,
            speaker_column=args.speaker_column,
            id_column=args.id_column,
            meta_columns=meta_cols,
        )
    else:
        from labkit.data.loaders import load_corpus

        if args.label_column or args.speaker_column or args.id_column:
            raise LabkitError("--label-column / --speaker-column / --id-column are for feature tables (.csv, .parquet)")
        feats = extract(load_corpus(args.source, skip_bad=args.skip_bad), args.features, skip_bad=args.skip_bad)
    target = args.label_column or args.target
    meta = feats.meta.reset_index(drop=True)
    if target not in meta.columns:
        raise LabkitError(f"label column {target!r} not in the table (columns: {', '.join(map(str, meta.columns))})")
    if feats.is_frames and out.suffix.lower() == ".csv":
        raise LabkitError(f"{feats.feature_set} features are frames (N, T, F): write them to .parquet, not .csv")
    train, test = _fold(meta, args)
    y = meta[target].to_numpy()
    y = y.astype(str) if y.dtype == object else y

    # ---- fit on the training rows, as inside `labkit compare`: standardise, augment, map back
    X_train = feats.X[train]
    if getattr(cls, "needs_audio", False):
        if "path" not in meta.columns or feats.feature_set not in FEATURE_SETS:
            raise LabkitError(f"{args.augmenter} augments audio: SOURCE must be a corpus, not a feature table")
    if getattr(cls, "needs_audio", False) and amount != "0":
        aug.bind(meta.iloc[train], X_train, args.seed, feats.feature_set, feats.settings)
    scaler = (FrameScaler() if feats.is_frames else StandardScaler()).fit(X_train)
    n_real = len(train)
    if amount == "0":  # as in `labkit compare`: amount 0 is the no-augmentation baseline, nothing is fitted
        X_new, y_new = np.zeros((0, *X_train.shape[1:]), np.float32), y[train][:0]
    else:
        X_res, y_res = aug.fit_resample(scaler.transform(X_train), y[train])
        X_new, y_new = X_res[n_real:], y_res[n_real:]
    if not len(X_new):
        X_new = np.zeros((0, *X_train.shape[1:]), np.float32)
    elif feats.is_frames:  # FrameScaler: per-bin statistics, undone per bin
        X_new = (X_new * scaler.scale_ + scaler.mean_).astype(np.float32)
    else:
        X_new = scaler.inverse_transform(X_new).astype(np.float32)

    # ---- one table: real training rows, synthetic rows, real test rows
    real_train = meta.iloc[train].assign(origin="real", partition="train", source_id="")
    if getattr(cls, "needs_audio", False) and len(y_new):
        src = meta.iloc[train].iloc[aug.last_rows_].reset_index(drop=True)
        synth = src.assign(
            id=[f"{i}~{args.augmenter}~c{c}" for i, c in zip(src["id"], aug.last_copies_)],
            path=aug.last_paths_,
            origin="synthetic",
            partition="train",
            source_id=src["id"],
        )
    else:
        synth = pd.DataFrame(
            {
                "id": [f"synthetic-{k:06d}" for k in range(len(y_new))],
                "speaker": "synthetic",
                target: y_new,
                "origin": "synthetic",
                "partition": "train",
                "source_id": "",
            }
        )
    # The user's own id / speaker columns (--id-column utt --speaker-column spk) are filled on the
    # synthetic rows too, so the exported table reads back with the same options.
    for own, ours in ((args.id_column, "id"), (args.speaker_column, "speaker")):
        if own and own != ours and own in meta.columns:
            synth[own] = synth[ours].to_numpy()
    parts = [real_train, synth]
    if len(test):
        parts.append(meta.iloc[test].assign(origin="real", partition="test", source_id=""))
    table = pd.concat(parts, ignore_index=True)
    X_all = np.concatenate([X_train, X_new, feats.X[test]]).astype(np.float32)
    settings = {
        **feats.settings,
        "augmenter": args.augmenter,
        "augmenter_params": {k: v for k, v in params.items() if k != "audio"},
        "amount": amount,
        "seed": args.seed,
        "protocol": args.protocol,
        "source": args.source,
    }
    result = Features(meta=table, X=X_all, names=list(feats.names), feature_set=feats.feature_set, settings=settings)
    with os_errors(f"--out {out}"):  # a full disk or a file system gone read-only: exit 2 naming it
        if out.suffix.lower() == ".parquet":
            result.to_parquet(out)
        else:
            frame = pd.concat([table.reset_index(drop=True), pd.DataFrame(X_all, columns=list(feats.names))], axis=1)
            with atomic_path(out) as tmp:
                frame.to_csv(tmp, index=False)
    print(
        f"wrote {out}: {n_real} real training rows, {len(y_new)} synthetic ({args.augmenter}, amount {amount})"
        + (f", {len(test)} real test rows" if len(test) else "")
        + f"; {feats.feature_set} features, "
        f"{' x '.join(map(str, feats.X.shape[1:]))}",
        file=sys.stderr,
    )
    return 0
