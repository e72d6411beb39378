"""`labkit corpus`: build the embedded corpus (`synth`) and inspect any corpus (`info`).

``labkit corpus synth --out DIR`` writes ``DIR/wav/*.wav`` and ``DIR/manifest.csv`` with the
embedded source-filter synthesizer; ``labkit corpus info SOURCE`` loads a corpus the way every
experiment does (`labkit.data.loaders.load_corpus`) and prints counts per speaker and emotion,
byte-identical duplicates, skipped and dropped files, and whether the sizes match the unmodified
corpus; ``labkit corpus measure SOURCE`` says how hard the corpus is and how far its held-out
speakers lie outside the training data (`labkit.metrics.difficulty`). ``--json`` prints the same as one
JSON object for scripts and notebooks.
"""

from __future__ import annotations

import argparse
import json
import sys

# Here rather than in labkit.data.loaders so `labkit --help` does not import pandas; other commands
# taking a SOURCE can reuse it.
SOURCE_HELP = """\
SOURCE forms:
  synthetic          the embedded corpus (built once into the cache, then reused)
  synthetic:DIR      a corpus written by `labkit corpus synth --out DIR`
  synthetic:A+B      the embedded corpus in contexts A and B (studio, phone, farfield) as two
                     corpora with their own speakers: e.g. synthetic:studio+phone for cross-corpus
  synthetic:SCENARIO a named scenario of the embedded corpus (built once, then reused):
    balanced         the default corpus: 10 speakers x 7 emotions x 10 utterances, studio
    imbalanced       EMO-DB's five classes and class sizes (anger 127 ... sadness 62), 10 speakers
    scarce           few labels: 10 speakers x 7 emotions x 3 utterances (a subset of balanced)
    shifted          held-out speakers outside the training distribution (2x speaker spread)
    incontext        small in-context corpus: 6 speakers x 7 emotions x 4 utterances, studio
    outofcontext     larger out-of-context corpus: 20 other speakers x 7 x 8, telephone
  emodb:PATH         Berlin EMO-DB folder (PATH/wav/03a01Fa.wav, or the wav folder itself)
  ravdess:PATH       RAVDESS speech folder (PATH/Actor_01/03-01-05-01-01-01-01.wav); song and
                     video files are left out and counted
  cremad:PATH        CREMA-D folder (PATH/AudioWAV/1001_DFA_ANG_XX.wav, optional
                     PATH/VideoDemographics.csv for genders)
  iemocap:PATH       IEMOCAP release folder (PATH/Session1/dialog/EmoEvaluation/*.txt and
                     PATH/Session1/sentences/wav/...); the 4-class set of Sahu et al. 2018
                     (ang, hap+exc, sad, neu) unless --all-labels
  csv:PATH           a CSV manifest with columns path, emotion (or label), speaker and optional
                     id, gender, arousal, valence, context (paths relative to the CSV's folder)"""

INFO_DESCRIPTION = f"""\
Load a corpus and print what is in it: utterances per speaker and emotion, genders, total duration,
byte-identical duplicate files (a train/test leak if they land on both sides), files skipped as
unusable (with --skip-bad) and files left out on purpose (RAVDESS song, IEMOCAP labels outside the
4-class set).

Without --skip-bad the first unreadable or empty file stops the command with its name. Headers are
always read; --check-audio also decodes every file to find corrupt, silent or NaN audio.

{SOURCE_HELP}

examples:
  labkit corpus info synthetic
  labkit corpus info emodb:~/data/emodb --check-audio
  labkit corpus info csv:my_corpus/manifest.csv --json
"""

SYNTH_DESCRIPTION = """\
Write an embedded synthetic emotional-speech corpus: DIR/wav/*.wav (16 kHz mono) and DIR/manifest.csv.
Each speaker has its own voice (pitch, vocal tract); each emotion changes pitch, energy, rate and voice
quality. Load it afterwards with the source synthetic:DIR (or csv:DIR/manifest.csv). Options left out
take the synthesizer's defaults (labkit.data.synthetic.SynthConfig).

examples:
  labkit corpus synth --out corpora/studio --seed 0
  labkit corpus synth --out corpora/phone --seed 1 --context phone --speakers 6 --utterances 5
  labkit corpus synth --out corpora/shifted --scenario shifted   # a named scenario's corpus
"""

MEASURE_DESCRIPTION = f"""\
How hard a corpus is before any augmentation, and how far its held-out speakers lie outside the
training data (AAEC's Figure 1 situation). Extracts the features (cached) and runs leave one speaker
out with a linear SVM (C=1) on standardised features; per fold it also takes the share of the
held-out speaker's samples that lie in no training sample's k-NN ball. Both figures are printed as
a mean with the 95 % t interval over the folds (held-out speakers).

A corpus where almost every test sample lies inside the training data leaves an augmenter nothing
to reach that the training data does not already cover.

{SOURCE_HELP}

examples:
  labkit corpus measure synthetic:shifted
  labkit corpus measure synthetic:imbalanced --features is10 --json
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "corpus",
        help="build the embedded corpus or inspect any corpus",
        description="Build the embedded synthetic corpus (synth) or inspect any corpus (info).\n\n" + SOURCE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    s = actions.add_parser(
        "synth",
        help="write a synthetic corpus (wavs + manifest.csv) to a folder",
        description=SYNTH_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    s.add_argument("--seed", type=int, default=None, help="random seed (same seed, same corpus)")
    s.add_argument("--speakers", type=int, default=None, metavar="N", help="number of speakers")
    s.add_argument("--utterances", type=int, default=None, metavar="N", help="utterances per speaker and emotion")
    s.add_argument(
        "--context",
        default=None,
        metavar="NAME",
        help="recording context (channel, noise, reverberation), e.g. studio or phone",
    )
    s.add_argument(
        "--scenario",
        default=None,
        metavar="NAME",
        help="start from a named scenario (balanced, imbalanced, scarce, shifted, incontext, "
        "outofcontext); the options above override it",
    )
    s.set_defaults(func=run_synth)

    i = actions.add_parser(
        "info",
        help="counts per speaker and emotion, duplicates, skipped files",
        description=INFO_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    i.add_argument("source", metavar="SOURCE", help="which corpus (forms listed above)")
    i.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    i.add_argument(
        "--skip-bad", action="store_true", help="list unusable files as skipped instead of stopping at the first one"
    )
    i.add_argument(
        "--check-audio",
        action="store_true",
        help="decode every file to find corrupt, silent or non-finite audio (slower)",
    )
    i.add_argument(
        "--all-labels",
        action="store_true",
        help="IEMOCAP: keep labels outside the 4-class set (fru, exc apart, sur, fea, dis)",
    )
    i.set_defaults(func=run_info)

    m = actions.add_parser(
        "measure",
        help="no-augmentation LOSO UAR and the test share outside the training data",
        description=MEASURE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    m.add_argument("source", metavar="SOURCE", help="which corpus (forms listed above)")
    m.add_argument(
        "--features",
        default="egemaps",
        metavar="SET",
        help="functional feature set: egemaps (default), is10, compare, emobase",
    )
    m.add_argument(
        "--target",
        default="emotion",
        choices=["emotion", "arousal", "valence"],
        help="the label to classify (default emotion)",
    )
    m.add_argument("--k", type=int, default=5, help="neighbours that define a training sample's ball (default 5)")
    m.add_argument("--json", action="store_true", help="print one JSON object (with per-fold figures)")
    m.set_defaults(func=run_measure)


# ------------------------------------------------------------------------------------------ synth
def run_synth(args: argparse.Namespace) -> int:
    from labkit.data.synthetic import SynthConfig, synthesize_corpus
    from labkit.errors import LabkitError, os_errors
    from labkit.utils import check_writable

    overrides = {
        "seed": args.seed,
        "n_speakers": args.speakers,
        "n_utterances": args.utterances,
        "context": args.context,
    }
    for name in ("n_speakers", "n_utterances"):
        if overrides[name] is not None and overrides[name] < 1:
            raise LabkitError(f"--{name[2:]} must be at least 1, got {overrides[name]}")
    base = {}
    if getattr(args, "scenario", None):
        from labkit.data.synthetic import SCENARIOS

        if args.scenario not in SCENARIOS:
            raise LabkitError(f"unknown scenario {args.scenario!r}; known: {', '.join(SCENARIOS)}")
        base = dict(SCENARIOS[args.scenario])
    config = SynthConfig(**{**base, **{k: v for k, v in overrides.items() if v is not None}})
    check_writable(args.out, folder=True)  # an existing file, a read-only place: refused before synthesis
    with os_errors(f"--out {args.out}"):
        table = synthesize_corpus(args.out, config, progress=True)
    print(f"wrote {len(table)} utterances to {args.out}")
    print(f"  speakers: {table['speaker'].nunique()}  emotions: {', '.join(sorted(table['emotion'].unique()))}")
    print(f"  total duration: {table['duration'].sum() / 60:.1f} min")
    print(f"  load it with: labkit corpus info synthetic:{args.out}")
    return 0


# ------------------------------------------------------------------------------------------- info
def corpus_summary(table, duplicates: list[list[str]]) -> dict:
    """The JSON summary of an utterance table (what `labkit corpus info --json` prints)."""
    emotions = table["emotion"].value_counts()
    speakers = table["speaker"].value_counts()
    summary = {
        "source": table.attrs.get("source", ""),
        "corpus": sorted(table["corpus"].unique().tolist()),
        "n_utterances": int(len(table)),
        "n_speakers": int(table["speaker"].nunique()),
        "n_emotions": int(table["emotion"].nunique()),
        "emotions": {str(k): int(emotions[k]) for k in sorted(emotions.index)},
        "speakers": {str(k): int(speakers[k]) for k in sorted(speakers.index)},
        "genders": {str(k) or "unknown": int(v) for k, v in table["gender"].value_counts().sort_index().items()},
        "contexts": {str(k): int(v) for k, v in table["context"].value_counts().sort_index().items() if str(k)},
        "duration_total_s": round(float(table["duration"].sum()), 3),
        "duplicates": duplicates,
        "skipped": list(table.attrs.get("skipped", [])),
        "dropped": list(table.attrs.get("dropped", [])),
        "warnings": [],
    }
    expected = table.attrs.get("expected")
    if expected:
        got = {
            "n_utterances": summary["n_utterances"],
            "n_speakers": summary["n_speakers"],
            "n_emotions": summary["n_emotions"],
        }
        differ = [f"{k[2:]} {got[k]} (expected {v})" for k, v in expected.items() if got[k] != v]
        if differ:
            summary["warnings"].append(
                "not the unmodified corpus: "
                + ", ".join(differ)
                + ". Fine for a subset; otherwise check the copy (or the skipped files)."
            )
    offsets = list(table.attrs.get("dc_offset", []))
    summary["dc_offset"] = offsets
    if offsets:
        worst = max(offsets, key=lambda o: abs(o["offset"]))
        summary["warnings"].append(
            f"{len(offsets)} file(s) carry a DC offset above 0.01 (largest {worst['offset']:+.3f} in "
            f"{worst['path']}): a recorder or converter fault. labkit removes it when it reads the audio "
            "(the mean of each file is subtracted), so features are computed without it; other tools may not"
        )
    if duplicates:
        summary["warnings"].append(
            f"{len(duplicates)} group(s) of byte-identical files: keep each group on one side of a split"
        )
    return summary


def run_info(args: argparse.Namespace) -> int:
    import pandas as pd

    from labkit.data.audio import check_audio, duplicate_groups
    from labkit.data.loaders import load_corpus

    options = {}
    if args.all_labels:
        if not args.source.lower().startswith("iemocap:"):
            from labkit.errors import LabkitError

            raise LabkitError("--all-labels only applies to iemocap:PATH sources")
        options["label_set"] = "all"
    table = load_corpus(args.source, skip_bad=args.skip_bad, **options)
    if args.check_audio:
        table, _ = check_audio(table, skip_bad=args.skip_bad, progress=not args.json)
        table.attrs["source"] = args.source
    duplicates = duplicate_groups(table, progress=not args.json)
    summary = corpus_summary(table, duplicates)

    if args.json:
        print(json.dumps(summary, indent=2))
        return 0

    out = sys.stdout
    print(
        f"corpus {args.source}: {summary['n_utterances']} utterances, {summary['n_speakers']} speakers, "
        f"{summary['n_emotions']} emotions, {summary['duration_total_s'] / 60:.1f} min",
        file=out,
    )
    genders = ", ".join(f"{k} {v}" for k, v in summary["genders"].items())
    print(f"genders (utterances): {genders}", file=out)
    if summary["contexts"]:
        print("contexts: " + ", ".join(f"{k} {v}" for k, v in summary["contexts"].items()), file=out)
    print("\nutterances per speaker (rows) and emotion (columns):", file=out)
    crosstab = pd.crosstab(table["speaker"], table["emotion"], margins=True, margins_name="total")
    print(crosstab.to_string(), file=out)

    print(f"\nduplicates (byte-identical files): {len(duplicates) or 'none'}", file=out)
    for group in duplicates[:20]:
        print("  " + ", ".join(group), file=out)
    if len(duplicates) > 20:
        print(f"  ... and {len(duplicates) - 20} more groups (see --json)", file=out)

    skipped = summary["skipped"]
    print(f"skipped (unusable files): {len(skipped) or 'none'}", file=out)
    for item in skipped[:20]:
        print(f"  {item['path']}: {item['reason']}", file=out)
    if len(skipped) > 20:
        print(f"  ... and {len(skipped) - 20} more (see --json)", file=out)

    dropped = summary["dropped"]
    print(f"left out on purpose: {sum(d['count'] for d in dropped) or 'none'}", file=out)
    for item in dropped:
        print(f"  {item['count']:6d}  {item['reason']}  (e.g. {item['examples'][0]})", file=out)
    for warning in summary["warnings"]:
        print(f"\nnote: {warning}", file=out)
    return 0


# ---------------------------------------------------------------------------------------- measure
def run_measure(args: argparse.Namespace) -> int:
    from labkit.data.loaders import load_corpus
    from labkit.errors import LabkitError
    from labkit.features import FRAME_SETS, extract
    from labkit.metrics.difficulty import measure

    if args.features in FRAME_SETS:
        raise LabkitError(
            f"--features {args.features}: measure needs a functional set (egemaps, is10, compare, emobase)"
        )
    if args.k < 1:
        raise LabkitError(f"--k must be at least 1, got {args.k}")
    table = load_corpus(args.source)
    feats = extract(table, args.features, progress=not args.json)
    result = measure(feats.meta, feats.X, target=args.target, k=args.k, show_progress=not args.json)
    result = {"source": args.source, "features": args.features, "target": args.target, **result}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0

    def fmt(d):
        return f"{100 * d['mean']:.1f} % [{100 * d['ci_low']:.1f}, {100 * d['ci_high']:.1f}]"

    print(
        f"corpus {args.source}: {result['n_utterances']} utterances, {result['n_speakers']} speakers, "
        f"{len(result['classes'])} classes (chance {100 * result['chance']:.1f} %)"
    )
    print(f"no augmentation, linear SVM on {args.features}, leave one speaker out:")
    print(f"  UAR                                            {fmt(result['uar'])}")
    print(f"  test samples outside every training {args.k}-NN ball   {fmt(result['outside'])}")
    print("  (mean [95 % t interval over the held-out speakers])")
    print("per held-out speaker (UAR, outside share):")
    for row in result["folds"]:
        print(f"  {row['fold']:<40s} {100 * row['uar']:5.1f} %  {100 * row['outside']:5.1f} %")
    return 0
