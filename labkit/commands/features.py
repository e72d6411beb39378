"""`labkit features`: extract one feature set for a corpus and write it to a Parquet file."""

from __future__ import annotations

import argparse
import sys
import warnings

DESCRIPTION = """\
Extract one feature set for every utterance of a corpus and write one Parquet row per utterance:
the utterance-table columns (id, path, corpus, speaker, gender, emotion, arousal, valence, ...)
followed by the features.

Feature sets (--set):
  egemaps      openSMILE eGeMAPSv02 functionals, 88 columns
  is10         openSMILE IS10 paralinguistic (= emobase2010) functionals, 1582 columns
  compare      openSMILE ComParE_2016 functionals, 6373 columns
  emobase      openSMILE emobase functionals, 988 columns
  spectrogram  AAEC's power spectrogram: 16 kHz, FFT 1024, hop 512, padded/cut to --max-seconds
               (default 15 s -> 469 frames x 513 bins), stored flattened in one list column "x"
  logmel       log-mel spectrogram (dB), same framing, --n-mels bands (default 64), column "x"

Extraction runs over all cores (--jobs) and is cached under $LABKIT_CACHE/features (default
~/.cache/labkit), keyed by each file's bytes and the settings: a second run is a cache hit.
Read the file back with labkit.features.Features.from_parquet(FILE).

SOURCE is a corpus as for `labkit corpus`: synthetic, synthetic:DIR, emodb:PATH, ravdess:PATH,
cremad:PATH, iemocap:PATH or csv:PATH.

example:
  labkit features synthetic --set egemaps --out egemaps.parquet
  labkit features emodb:~/data/emodb --set spectrogram --max-seconds 8 --out emodb-spec.parquet
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "features",
        help="extract spectrogram, log-mel or openSMILE features to a Parquet file",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="SOURCE", help="corpus: synthetic, synthetic:DIR, emodb:PATH, csv:PATH, ...")
    p.add_argument(
        "--set",
        dest="feature_set",
        required=True,
        metavar="SET",
        help="egemaps | is10 | compare | emobase | spectrogram | logmel",
    )
    p.add_argument("--out", required=True, metavar="FILE.parquet", help="the Parquet file to write")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: all cores; 1 = no worker processes)",
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        metavar="S",
        help="spectrogram/logmel: pad or cut every utterance to S seconds (default: 15.0, as in AAEC)",
    )
    p.add_argument("--n-mels", type=int, default=None, metavar="M", help="logmel: mel bands (default: 64)")
    p.add_argument("--log", action="store_true", help="spectrogram: power in dB instead of linear power")
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unusable audio files (listed at the end) instead of stopping at the first one",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor fill the feature cache")
    p.set_defaults(func=run)


def check_out_is_not_an_input(out: str, source: str, table) -> None:
    """Refuse an ``--out`` that would overwrite what was read: the manifest or an audio file (data loss)."""
    import os
    from pathlib import Path

    from labkit.errors import LabkitError

    out_path = Path(out).expanduser()
    if out_path.is_dir():
        raise LabkitError(f"--out {out}: is a folder; give a file name such as {out_path / 'features.parquet'}")
    if not out_path.exists():
        return
    _, _, where = source.partition(":")
    inputs = [Path(where).expanduser()] if where else []
    if inputs and inputs[0].is_dir():
        inputs = [inputs[0] / "manifest.csv"]
    inputs += [Path(p) for p in table["path"]] if "path" in table.columns else []
    for p in inputs:
        try:
            same = p.exists() and os.path.samefile(p, out_path)
        except OSError:
            same = False
        if same:
            raise LabkitError(
                f"--out {out} is one of the inputs ({p}); writing Parquet there would destroy it. "
                "Choose another file name"
            )


def run(args: argparse.Namespace) -> int:
    from labkit.data.loaders import load_corpus
    from labkit.errors import os_errors
    from labkit.features import extract
    from labkit.utils import check_writable

    settings = {}
    if args.max_seconds is not None:
        settings["max_seconds"] = args.max_seconds
    if args.n_mels is not None:
        settings["n_mels"] = args.n_mels
    if args.log:
        settings["log"] = True

    table = load_corpus(args.source, skip_bad=args.skip_bad)
    check_out_is_not_an_input(args.out, args.source, table)  # before hours of extraction, not after
    check_writable(args.out)  # a read-only place or a file in the path: refused before extraction too
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feats = extract(
            table, args.feature_set, n_jobs=args.jobs, cache=not args.no_cache, skip_bad=args.skip_bad, **settings
        )
    with os_errors(f"--out {args.out}"):
        feats.to_parquet(args.out)

    for w in caught:
        if "see Features.skipped" not in str(w.message):  # skipped files are listed below instead
            print(f"labkit features: warning: {w.message}", file=sys.stderr)
    skipped = list(table.attrs.get("skipped", [])) + feats.skipped[["path", "reason"]].to_dict(orient="records")
    for row in skipped[:10]:
        print(f"labkit features: skipped {row['path']}: {row['reason']}", file=sys.stderr)
    if len(skipped) > 10:
        print(f"labkit features: ... and {len(skipped) - 10} more skipped files", file=sys.stderr)

    s = feats.stats
    shape = " x ".join(str(d) for d in feats.X.shape[1:])
    print(
        f"wrote {args.out}: {len(feats)} utterances, {args.feature_set} features {shape} "
        f"(cache: {s['cache_hits']} hits, {s['computed']} computed; {len(skipped)} skipped) "
        f"in {s['seconds']:.1f} s with {s['n_jobs']} worker(s)"
    )
    return 0
