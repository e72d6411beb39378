"""Corpus loaders: EMO-DB, RAVDESS, CREMA-D, IEMOCAP, a CSV manifest and the embedded corpus.

Each loader walks a corpus folder as distributed, parses the official file names or label files,
reads every file's header (for ``duration``) and returns one utterance table
(`labkit.data.schema.UTTERANCE_COLUMNS`). `load_corpus(source)` is the one entry point::

    synthetic          the default embedded corpus (built once under cache_root()/corpora/)
    synthetic:DIR      a corpus written by `labkit corpus synth --out DIR` (DIR/manifest.csv)
    synthetic:A+B      the default corpus in recording contexts A and B (e.g. studio+phone), pooled
                       as two corpora with their own speakers (seeds 0, 1, ...), for cross-corpus
                       experiments (protocol `cross`, corpora named by the `context` column)
    synthetic:NAME     a named scenario (`labkit.data.synthetic.SCENARIOS`: balanced, imbalanced,
                       scarce, shifted, incontext, outofcontext); built once and cached like the
                       default corpus; ids and speakers prefixed by NAME (``synthetic:shifted-s01``)
    emodb:PATH         Berlin EMO-DB: PATH or PATH/wav holding 03a01Fa.wav ...
    ravdess:PATH       RAVDESS speech: PATH/Actor_01/03-01-05-01-01-01-01.wav ...
    cremad:PATH        CREMA-D: PATH/AudioWAV/1001_DFA_ANG_XX.wav ... (+ PATH/VideoDemographics.csv)
    iemocap:PATH       IEMOCAP: PATH/Session1..5/dialog/EmoEvaluation/*.txt + sentences/wav/
    csv:PATH           a CSV manifest (see `load_csv`)

Tables carry two summaries in ``table.attrs``:

* ``attrs["skipped"]``: files that could not be used (unreadable or empty header, missing), as a
  list of ``{"path", "reason"}``; only with ``skip_bad=True``, otherwise the first one raises.
* ``attrs["dropped"]``: files or utterances left out on purpose (RAVDESS song and video files,
  IEMOCAP labels outside the 4-class set, names that do not follow the corpus' pattern), as a
  list of ``{"reason", "count", "examples"}`` (up to 3 example paths per reason). It is a summary,
  not every path, because pandas deep-copies ``attrs`` on every operation and IEMOCAP alone drops
  about 4500 utterances.

``attrs["expected"]`` holds the sizes of the unmodified corpus so `labkit corpus info` can say
when a copy is incomplete.

Category → arousal / valence (0 low / 1 medium / 2 high; 0 negative / 1 neutral / 2 positive)
------------------------------------------------------------------------------------------
Unless stated, a category's classes come from `labkit.data.schema.EMOTION_AV` (its docstring says
why each one was chosen).

EMO-DB (letter in the file name → emotion → arousal, valence)::

    W Wut        anger      (2, 0)             L Langeweile boredom    (0, 0)
    E Ekel       disgust    (1, 0)             A Angst      fear       (2, 0)
    F Freude     happiness  (2, 2)             T Trauer     sadness    (0, 0)
    N Neutral    neutral    (1, 1)

RAVDESS (third field → emotion → arousal, valence)::

    01 neutral   neutral    (1, 1)             02 calm      calm       (0, 1)
    03 happy     happiness  (2, 2)             04 sad       sadness    (0, 0)
    05 angry     anger      (2, 0)             06 fearful   fear       (2, 0)
    07 disgust   disgust    (1, 0)             08 surprised surprise   (2, 1)

The intensity field (normal/strong) is not used for arousal: "strong" sadness is still sadness,
and mixing a production instruction into a perceptual class would make corpora disagree.

CREMA-D (third field → emotion → arousal, valence)::

    ANG anger (2, 0)   DIS disgust (1, 0)   FEA fear (2, 0)   HAP happiness (2, 2)
    NEU neutral (1, 1) SAD sadness (0, 0)

IEMOCAP (majority label → emotion; 4-class set of Sahu et al. 2018, 5531 utterances)::

    ang anger   hap happiness   exc happiness (merged "combined happy")   sad sadness   neu neutral
    dropped by default: fru, sur, fea, dis, oth, xxx (no majority)

With ``label_set="all"``: fru frustration, exc excitement (not merged), sur surprise, fea fear,
dis disgust; ``oth`` and ``xxx`` are still dropped (no canonical emotion). IEMOCAP gives
dimensional ratings (mean of the raters' 1–5 scores, in the label line as ``[V, A, D]``), so by
default (``av="ratings"``) arousal and valence come from them, not from the category:
``< 2.5`` → 0, ``2.5 … 3.5`` → 1, ``> 3.5`` → 2. The middle band is centred on the scale's
midpoint 3; for the means that occur (steps of 1/2 and 1/3) these cuts give the same classes as
splitting 1–5 into equal thirds, and the frequent "2.5" of a neutral turn stays medium.
``av="category"`` uses the table above instead. The raw mean ratings are kept as the extra columns
``arousal_rating`` and ``valence_rating`` (1-5; NaN where a line has none), so a binary high/low
split at 3 (as in the code-vector paper) can be made from them.

CSV manifest: the ``emotion`` (or ``label``) column's names are normalised through
`EMOTION_ALIASES` (``angry`` → ``anger``, ``hap`` → ``happiness``, ...); ``arousal`` / ``valence``
columns, when present, override the category mapping.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from labkit.data.audio import audio_info
from labkit.data.schema import (
    AROUSAL_NAMES,
    EMOTION_AV,
    UTTERANCE_COLUMNS,
    VALENCE_NAMES,
    arousal_valence,
)
from labkit.errors import AudioError, CorpusError, LabkitError
from labkit.utils import progress

SOURCES = [
    "synthetic",
    "synthetic:DIR",
    "synthetic:studio+phone",
    "synthetic:balanced|imbalanced|scarce|shifted|incontext|outofcontext",
    "emodb:PATH",
    "ravdess:PATH",
    "cremad:PATH",
    "iemocap:PATH",
    "csv:PATH",
]


# Emotion names accepted in a CSV manifest → canonical names (schema.EMOTIONS).
EMOTION_ALIASES: dict[str, str] = {
    **{name: name for name in EMOTION_AV},
    "angry": "anger",
    "ang": "anger",
    "anger": "anger",
    "wut": "anger",
    "bored": "boredom",
    "bor": "boredom",
    "langeweile": "boredom",
    "disgusted": "disgust",
    "dis": "disgust",
    "ekel": "disgust",
    "fearful": "fear",
    "afraid": "fear",
    "fea": "fear",
    "angst": "fear",
    "happy": "happiness",
    "hap": "happiness",
    "joy": "happiness",
    "freude": "happiness",
    "sad": "sadness",
    "trauer": "sadness",
    "neu": "neutral",
    "surprised": "surprise",
    "sur": "surprise",
    "frustrated": "frustration",
    "fru": "frustration",
    "excited": "excitement",
    "exc": "excitement",
}

EMODB_EMOTIONS = {
    "W": "anger",
    "L": "boredom",
    "E": "disgust",
    "A": "fear",
    "F": "happiness",
    "T": "sadness",
    "N": "neutral",
}
EMODB_GENDERS = {
    "03": "m",
    "08": "f",
    "09": "f",
    "10": "m",
    "11": "m",
    "12": "m",
    "13": "f",
    "14": "f",
    "15": "m",
    "16": "f",
}
RAVDESS_EMOTIONS = {
    "01": "neutral",
    "02": "calm",
    "03": "happiness",
    "04": "sadness",
    "05": "anger",
    "06": "fear",
    "07": "disgust",
    "08": "surprise",
}
CREMAD_EMOTIONS = {
    "ANG": "anger",
    "DIS": "disgust",
    "FEA": "fear",
    "HAP": "happiness",
    "NEU": "neutral",
    "SAD": "sadness",
}
IEMOCAP_4CLASS = {"ang": "anger", "hap": "happiness", "exc": "happiness", "sad": "sadness", "neu": "neutral"}
IEMOCAP_ALL = {
    "ang": "anger",
    "hap": "happiness",
    "exc": "excitement",
    "sad": "sadness",
    "neu": "neutral",
    "fru": "frustration",
    "sur": "surprise",
    "fea": "fear",
    "dis": "disgust",
}

# Sizes of the unmodified corpora, so `labkit corpus info` can flag an incomplete copy.
EXPECTED = {
    "emodb": {"n_utterances": 535, "n_speakers": 10, "n_emotions": 7},
    "ravdess": {"n_utterances": 1440, "n_speakers": 24, "n_emotions": 8},
    "cremad": {"n_utterances": 7442, "n_speakers": 91, "n_emotions": 6},
    "iemocap": {"n_utterances": 5531, "n_speakers": 10, "n_emotions": 4},  # 4-class set
}

_EMODB_RE = re.compile(r"^(\d{2})([a-z]\d{2})([WLEAFTN])([a-z])\.wav$", re.IGNORECASE)
_RAVDESS_RE = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.(wav|mp4)$", re.IGNORECASE)
_CREMAD_RE = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.wav$", re.IGNORECASE)
_IEMOCAP_LINE = re.compile(r"^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]")
_AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif"}


def _named_files(folder: Path, pattern: re.Pattern, example: str, dropped):
    """(path, match) for each file in `folder` named like `pattern`, sorted by name.

    Audio files with other names are counted in `dropped` ("name not like <example>"); hidden and
    non-audio files are passed over.
    """
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        m = pattern.match(path.name)
        if m is None:
            if path.suffix.lower() in _AUDIO_SUFFIXES:
                dropped.add(f"name not like {example}", path)
            continue
        yield path, m


class _Dropped:
    """Collects deliberately dropped files as {reason: (count, first example paths)}."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.examples: dict[str, list[str]] = {}

    def add(self, reason: str, path) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < 3:
            examples.append(str(path))

    def summary(self) -> list[dict]:
        return [{"reason": r, "count": n, "examples": self.examples[r]} for r, n in self.counts.items()]


def _finish(
    rows: list[dict],
    corpus: str,
    *,
    skip_bad: bool,
    dropped: _Dropped | None = None,
    skipped: list[dict] | None = None,
    expected: dict | None = None,
    sort: bool = True,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Read each row's header for its duration and build the utterance table.

    Rows whose header is unreadable or empty raise `AudioError` (naming the file), or with
    `skip_bad` go to ``attrs["skipped"]``. Folder corpora are sorted by id (file listings come in
    no fixed order); a manifest keeps its own row order (`sort=False`).
    """
    skipped = list(skipped or [])
    kept = []
    for row in progress(rows, desc=f"reading {corpus} headers", disable=None if show_progress else True):
        try:
            row["duration"] = audio_info(row["path"]).duration
        except AudioError as err:
            if not skip_bad:
                raise
            skipped.append({"path": err.path, "reason": err.reason})
            continue
        kept.append(row)
    if not kept:
        first = f" (first: {skipped[0]['path']}: {skipped[0]['reason']})" if skipped else ""
        raise CorpusError(f"no usable {corpus} files: {len(skipped)} skipped as unusable{first}")
    table = pd.DataFrame(kept, columns=UTTERANCE_COLUMNS)
    if sort:
        table = table.sort_values("id", kind="stable").reset_index(drop=True)
    table["arousal"] = table["arousal"].astype("int64")
    table["valence"] = table["valence"].astype("int64")
    table["duration"] = table["duration"].astype("float64")
    table.attrs["corpus"] = corpus
    table.attrs["skipped"] = skipped
    table.attrs["dropped"] = dropped.summary() if dropped is not None else []
    if expected is not None:
        table.attrs["expected"] = dict(expected)
    return table


def _existing_dir(path, what: str, example: str) -> Path:
    path = Path(os.path.expanduser(str(path)))
    if not path.is_dir():
        raise CorpusError(f"{what} folder not found: {path} (expected files like {example})")
    return Path(os.path.normpath(path.absolute()))  # absolute, so table paths work from any folder


def _row(uid, path, corpus, speaker, gender, emotion, av=None, context="") -> dict:
    arousal, valence = av if av is not None else arousal_valence(emotion)
    return {
        "id": str(uid),
        "path": str(path),
        "corpus": corpus,
        "speaker": f"{corpus}:{speaker}",
        "gender": gender,
        "emotion": emotion,
        "arousal": int(arousal),
        "valence": int(valence),
        "duration": float("nan"),
        "context": context,
    }


# --------------------------------------------------------------------------------------- EMO-DB
def load_emodb(root, skip_bad: bool = False, show_progress: bool = True) -> pd.DataFrame:
    """Berlin EMO-DB (Burkhardt et al. 2005).

    File names ``03a01Fa.wav``: speaker (2 digits), text code (3 chars), emotion letter, version
    letter. Genders come from the corpus documentation (`EMODB_GENDERS`); an unknown speaker
    number gets ``""``. Wav files whose names do not follow the pattern are dropped and counted.

    Parameters
    ----------
    root : path
        The corpus folder (holding ``wav/``) or the ``wav`` folder itself.
    skip_bad : bool
        List unreadable/empty files in ``attrs["skipped"]`` instead of raising.

    Returns
    -------
    pd.DataFrame
        The utterance table; ids are the file stems; context ``""``.
    """
    root = _existing_dir(root, "EMO-DB", "wav/03a01Fa.wav")
    wav_dir = root / "wav" if (root / "wav").is_dir() else root
    rows, dropped = [], _Dropped()
    for path, m in _named_files(wav_dir, _EMODB_RE, "03a01Fa.wav", dropped):
        speaker, _text, letter, _version = m.groups()
        emotion = EMODB_EMOTIONS[letter.upper()]
        rows.append(_row(path.stem, path, "emodb", speaker, EMODB_GENDERS.get(speaker, ""), emotion))
    if not rows:
        raise CorpusError(f"no EMO-DB files like wav/03a01Fa.wav under {root}")
    return _finish(
        rows, "emodb", skip_bad=skip_bad, dropped=dropped, expected=EXPECTED["emodb"], show_progress=show_progress
    )


# -------------------------------------------------------------------------------------- RAVDESS
def load_ravdess(root, skip_bad: bool = False, show_progress: bool = True) -> pd.DataFrame:
    """RAVDESS speech (Livingstone & Russo 2018).

    File names ``03-01-05-01-01-01-01.wav``: modality (01 audio-video, 02 video-only,
    03 audio-only) - vocal channel (01 speech, 02 song) - emotion - intensity - statement -
    repetition - actor. Only audio-only speech files are kept; video and song files found under
    `root` are dropped and counted in ``attrs["dropped"]`` (so pointing at a folder holding both
    downloads works). Actor odd = male, even = female. Files are searched recursively
    (``Actor_01/`` ... or any other layout). Some real files are stereo: `read_audio` averages.

    Parameters
    ----------
    root : path
        The folder holding ``Actor_01`` ... ``Actor_24``.
    skip_bad : bool
        List unreadable/empty files in ``attrs["skipped"]`` instead of raising.
    """
    root = _existing_dir(root, "RAVDESS", "Actor_01/03-01-05-01-01-01-01.wav")
    rows, dropped = [], _Dropped()
    for path in sorted(root.rglob("*")):
        if path.name.startswith(".") or not path.is_file():
            continue
        m = _RAVDESS_RE.match(path.name)
        if m is None:
            continue
        modality, channel, emo, _intensity, _statement, _rep, actor = m.groups()[:7]
        if modality != "03" or m.group(8).lower() != "wav":
            dropped.add(
                {"01": "video file (modality 01, audio-video)", "02": "video file (modality 02, video-only)"}.get(
                    modality, f"unknown modality {modality}"
                ),
                path,
            )
            continue
        if channel != "01":
            dropped.add("song (vocal channel 02)" if channel == "02" else f"unknown vocal channel {channel}", path)
            continue
        if emo not in RAVDESS_EMOTIONS:
            dropped.add(f"unknown emotion code {emo}", path)
            continue
        gender = "m" if int(actor) % 2 == 1 else "f"
        rows.append(_row(path.stem, path, "ravdess", actor, gender, RAVDESS_EMOTIONS[emo]))
    if not rows:
        raise CorpusError(
            f"no RAVDESS speech files like Actor_01/03-01-05-01-01-01-01.wav under {root}"
            + (f" ({sum(dropped.counts.values())} song/video files were found and left out)" if dropped.counts else "")
        )
    return _finish(
        rows, "ravdess", skip_bad=skip_bad, dropped=dropped, expected=EXPECTED["ravdess"], show_progress=show_progress
    )


# -------------------------------------------------------------------------------------- CREMA-D
def _cremad_genders(csv_path: Path) -> dict[str, str]:
    """ActorID → "m"/"f" from CREMA-D's VideoDemographics.csv."""
    try:
        demo = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    except Exception as err:
        raise CorpusError(f"{csv_path}: cannot read the demographics table ({err})") from None
    if "ActorID" not in demo.columns or "Sex" not in demo.columns:
        raise CorpusError(f"{csv_path}: expected columns ActorID and Sex, found {', '.join(demo.columns)}")
    sexes = {"male": "m", "female": "f", "m": "m", "f": "f"}
    return {a.strip(): sexes.get(s.strip().lower(), "") for a, s in zip(demo["ActorID"], demo["Sex"])}


def load_cremad(root, skip_bad: bool = False, show_progress: bool = True) -> pd.DataFrame:
    """CREMA-D (Cao et al. 2014).

    File names ``1001_DFA_ANG_XX.wav``: actor (1001-1091), sentence, emotion, level
    (LO/MD/HI/XX). Genders from ``VideoDemographics.csv`` (columns ActorID, Sex) next to
    ``AudioWAV/`` when present, else ``""``.

    Parameters
    ----------
    root : path
        The folder holding ``AudioWAV/`` (or ``AudioWAV`` itself).
    skip_bad : bool
        List unreadable/empty files in ``attrs["skipped"]`` instead of raising.
    """
    root = _existing_dir(root, "CREMA-D", "AudioWAV/1001_DFA_ANG_XX.wav")
    wav_dir = root / "AudioWAV" if (root / "AudioWAV").is_dir() else root
    genders: dict[str, str] = {}
    for candidate in (wav_dir.parent / "VideoDemographics.csv", root / "VideoDemographics.csv"):
        if candidate.is_file():
            genders = _cremad_genders(candidate)
            break
    rows, dropped = [], _Dropped()
    for path, m in _named_files(wav_dir, _CREMAD_RE, "1001_DFA_ANG_XX.wav", dropped):
        actor, _sentence, emo, _level = m.groups()
        if emo.upper() not in CREMAD_EMOTIONS:
            dropped.add(f"unknown emotion code {emo}", path)
            continue
        rows.append(_row(path.stem, path, "cremad", actor, genders.get(actor, ""), CREMAD_EMOTIONS[emo.upper()]))
    if not rows:
        raise CorpusError(f"no CREMA-D files like AudioWAV/1001_DFA_ANG_XX.wav under {root}")
    return _finish(
        rows, "cremad", skip_bad=skip_bad, dropped=dropped, expected=EXPECTED["cremad"], show_progress=show_progress
    )


# -------------------------------------------------------------------------------------- IEMOCAP
def _rating_class(value: float) -> int:
    """IEMOCAP's mean 1-5 rating → 0/1/2 (see the module docstring for the cut points)."""
    if value < 2.5:
        return 0
    if value > 3.5:
        return 2
    return 1


def load_iemocap(
    root,
    skip_bad: bool = False,
    label_set: str = "4class",
    av: str = "ratings",
    show_progress: bool = True,
) -> pd.DataFrame:
    """IEMOCAP (Busso et al. 2008), utterance level.

    Labels come from ``SessionN/dialog/EmoEvaluation/<dialog>.txt`` lines like
    ``[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]`` (the
    majority label and the mean valence, activation, dominance ratings); audio is
    ``SessionN/sentences/wav/<dialog>/<utterance>.wav``. The speaker is the session plus the
    utterance's own gender letter (``Ses01F_impro01_M003`` → ``iemocap:Ses01M``): the letter in
    the dialog name only says who wore the markers. context = ``"Session1"`` ... so
    leave-one-session-out is ``logo`` on ``context``.

    Parameters
    ----------
    root : path
        The release folder holding ``Session1`` ... ``Session5``.
    skip_bad : bool
        Missing or unreadable audio goes to ``attrs["skipped"]`` instead of raising.
    label_set : {"4class", "all"}
        "4class": ang, hap+exc, sad, neu (Sahu et al. 2018); others dropped and counted.
        "all": every label with a canonical emotion (exc kept apart as excitement).
    av : {"ratings", "category"}
        Where arousal/valence come from: the annotators' ratings (default) or the category.
    """
    if label_set not in ("4class", "all"):
        raise LabkitError(f"label_set must be '4class' or 'all', got {label_set!r}")
    if av not in ("ratings", "category"):
        raise LabkitError(f"av must be 'ratings' or 'category', got {av!r}")
    label_map = IEMOCAP_4CLASS if label_set == "4class" else IEMOCAP_ALL
    root = _existing_dir(root, "IEMOCAP", "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt")
    sessions = sorted(p for p in root.glob("Session*") if (p / "dialog" / "EmoEvaluation").is_dir())
    label_files = [
        f
        for s in sessions
        for f in sorted((s / "dialog" / "EmoEvaluation").glob("*.txt"))
        if not f.name.startswith(".")
    ]
    if not label_files:
        raise CorpusError(f"no IEMOCAP label files like Session1/dialog/EmoEvaluation/Ses01F_impro01.txt under {root}")

    rows, dropped, skipped = [], _Dropped(), []
    raw_ratings: dict[str, tuple[float, float]] = {}  # utterance -> (mean activation, mean valence), 1-5
    for label_file in label_files:
        session_dir = label_file.parents[2]
        context = session_dir.name  # "Session1"
        for line_no, line in enumerate(label_file.read_text(errors="replace").splitlines(), start=1):
            m = _IEMOCAP_LINE.match(line.strip())
            if m is None:
                continue  # annotator lines (C-E1:, A-E2:), headers, blank lines
            _start, _end, utt, label, ratings = m.groups()
            dialog = utt.rsplit("_", 1)[0]  # Ses01F_script01_1_F000 → Ses01F_script01_1
            wav = session_dir / "sentences" / "wav" / dialog / f"{utt}.wav"
            if label not in label_map:
                reason = {"xxx": "label xxx (no majority)"}.get(label, f"label {label} outside the {label_set} set")
                dropped.add(reason, wav)
                continue
            gender_letter = utt.rsplit("_", 1)[1][:1].upper()
            if gender_letter not in ("F", "M"):
                raise CorpusError(f"{label_file}:{line_no}: cannot read the speaker's gender from {utt!r}")
            emotion = label_map[label]
            try:
                v, a = [float(x) for x in ratings.split(",")][:2]
            except ValueError:
                if av == "ratings":
                    raise CorpusError(
                        f"{label_file}:{line_no}: expected ratings like [2.5000, 2.5000, 2.5000], got [{ratings}]"
                    ) from None
                v = a = float("nan")  # av="category": the classes come from the label; no rating to keep
            if av == "ratings":
                arousal_valence_pair = (_rating_class(a), _rating_class(v))
            else:
                arousal_valence_pair = arousal_valence(emotion)
            raw_ratings[utt] = (a, v)
            if not wav.is_file():
                if not skip_bad:
                    raise AudioError(wav, f"file not found (labelled in {label_file})")
                skipped.append({"path": str(wav), "reason": "file not found"})
                continue
            speaker = f"{utt[:5]}{gender_letter}"  # Ses01 + F
            rows.append(
                _row(
                    utt,
                    wav,
                    "iemocap",
                    speaker,
                    gender_letter.lower(),
                    emotion,
                    av=arousal_valence_pair,
                    context=context,
                )
            )
    if not rows:
        raise CorpusError(f"no IEMOCAP utterances in the {label_set} set under {root}")
    expected = EXPECTED["iemocap"] if label_set == "4class" else None
    table = _finish(
        rows,
        "iemocap",
        skip_bad=skip_bad,
        dropped=dropped,
        skipped=skipped,
        expected=expected,
        show_progress=show_progress,
    )
    # The raw mean ratings beside the 3-level classes (schema.OPTIONAL_COLUMNS): the code-vector
    # paper splits them at 3 into high/low activation and valence, which the classes cannot give back.
    table["arousal_rating"] = table["id"].map(lambda u: raw_ratings[u][0]).astype("float64")
    table["valence_rating"] = table["id"].map(lambda u: raw_ratings[u][1]).astype("float64")
    return table


# ---------------------------------------------------------------------------------- CSV manifest
def _class_value(text: str, names: list[str], column: str, where: str) -> int:
    """Parse an arousal/valence cell: 0/1/2 or a name from `names`."""
    t = text.strip().lower()
    if t in names:
        return names.index(t)
    try:
        number = float(t)
    except ValueError:
        number = None
    if number is not None and number in (0.0, 1.0, 2.0):
        return int(number)
    raise LabkitError(f"{where}: {column} must be 0, 1, 2 or one of {', '.join(names)}; got {text!r}")


def load_csv(path, skip_bad: bool = False, corpus: str = "csv", show_progress: bool = True) -> pd.DataFrame:
    """A CSV manifest.

    Columns: ``path`` (absolute, or relative to the manifest's folder), ``emotion`` (or
    ``label``), ``speaker``; optional ``id`` (default: the file stem, or the relative path
    without suffix when stems repeat), ``gender`` (m/f/male/female/empty), ``arousal`` and
    ``valence`` (0/1/2 or low/medium/high, negative/neutral/positive) and ``context``. Other
    columns are ignored.

    Emotion names go through `EMOTION_ALIASES`. A name that is not known needs arousal and valence
    columns (then it is kept as written, lower case); otherwise `LabkitError` names the value and
    the line. Speakers are prefixed with ``<corpus>:`` unless they already hold a ``:`` (a
    manifest pooling corpora keeps ``emodb:03``).

    Parameters
    ----------
    path : path
        The manifest file.
    skip_bad : bool
        Missing or unreadable files go to ``attrs["skipped"]`` instead of raising.
    corpus : str
        Value of the ``corpus`` column (``"synthetic"`` for `synthetic:DIR`).
    """
    path = Path(os.path.expanduser(str(path)))
    if not path.is_file():
        raise CorpusError(f"manifest not found: {path} (expected a CSV with columns path, emotion, speaker)")
    try:
        manifest = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as err:
        raise CorpusError(f"{path}: cannot read the manifest as CSV ({err})") from None
    manifest.columns = [str(c).strip().lower() for c in manifest.columns]
    if "emotion" not in manifest.columns and "label" in manifest.columns:
        manifest = manifest.rename(columns={"label": "emotion"})
    missing = [c for c in ("path", "emotion", "speaker") if c not in manifest.columns]
    if missing:
        raise CorpusError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(manifest.columns) or 'none'} "
            "(needed: path, emotion or label, speaker)"
        )
    if len(manifest) == 0:
        raise CorpusError(f"{path}: the manifest has no rows")
    has_av = "arousal" in manifest.columns and "valence" in manifest.columns
    if not has_av and ("arousal" in manifest.columns or "valence" in manifest.columns):
        raise CorpusError(f"{path}: give both arousal and valence columns, or neither")
    base = path.parent.absolute()

    # Ids: explicit, else file stems, else relative paths (when stems repeat).
    rel_paths = [p.strip() for p in manifest["path"]]
    if "id" in manifest.columns:
        ids = [i.strip() for i in manifest["id"]]
    else:
        ids = [Path(p).stem for p in rel_paths]
        if len(set(ids)) < len(ids):
            ids = [str(Path(p).with_suffix("")).replace(os.sep, "/") for p in rel_paths]
    seen: dict[str, int] = {}
    for i, uid in enumerate(ids):
        if not uid:
            raise LabkitError(f"{path} line {i + 2}: empty id")
        if uid in seen:
            raise LabkitError(f"{path} line {i + 2}: id {uid!r} repeats line {seen[uid] + 2}")
        seen[uid] = i

    genders = {"": "", "m": "m", "f": "f", "male": "m", "female": "f"}
    rows, skipped, missing_files = [], [], []
    for i, rec in enumerate(manifest.to_dict("records")):
        where = f"{path} line {i + 2}"
        if not rel_paths[i]:
            raise LabkitError(f"{where}: empty path")
        file_path = Path(os.path.expanduser(rel_paths[i]))
        file_path = file_path if file_path.is_absolute() else base / file_path
        file_path = Path(os.path.normpath(file_path))

        raw_emotion = rec["emotion"].strip()
        emotion = EMOTION_ALIASES.get(raw_emotion.lower())
        arousal = valence = None
        if has_av and rec["arousal"].strip() and rec["valence"].strip():
            arousal = _class_value(rec["arousal"], AROUSAL_NAMES, "arousal", where)
            valence = _class_value(rec["valence"], VALENCE_NAMES, "valence", where)
        if emotion is None:
            if not raw_emotion:
                raise LabkitError(f"{where}: empty emotion")
            if arousal is None:
                raise LabkitError(
                    f"{where}: unknown emotion {raw_emotion!r} (known: {', '.join(EMOTION_AV)}); "
                    "give arousal and valence columns to use other labels"
                )
            emotion = raw_emotion.lower()
        if arousal is None:
            arousal, valence = arousal_valence(emotion)

        speaker = rec["speaker"].strip()
        if not speaker:
            raise LabkitError(f"{where}: empty speaker")
        gender_text = rec.get("gender", "").strip().lower()
        if gender_text not in genders:
            raise LabkitError(f"{where}: gender must be m, f or empty; got {rec['gender']!r}")

        if not file_path.is_file():
            if skip_bad:
                skipped.append({"path": str(file_path), "reason": "file not found"})
                continue
            missing_files.append(str(file_path))
            continue
        row = _row(
            ids[i],
            file_path,
            corpus,
            speaker,
            genders[gender_text],
            emotion,
            av=(arousal, valence),
            context=rec.get("context", "").strip(),
        )
        if ":" in speaker:
            row["speaker"] = speaker  # already prefixed by its corpus
        rows.append(row)
    if missing_files:
        listed = ", ".join(missing_files[:5])
        if len(missing_files) > 5:
            listed += f" and {len(missing_files) - 5} more"
        raise CorpusError(f"{path}: {len(missing_files)} file(s) listed in the manifest do not exist: {listed}")
    return _finish(rows, corpus, skip_bad=skip_bad, skipped=skipped, sort=False, show_progress=show_progress)


# ------------------------------------------------------------------------------------ synthetic
def _is_context(name: str) -> bool:
    from labkit.data.synthetic import CONTEXTS

    return name in CONTEXTS


def load_synthetic(directory=None, skip_bad: bool = False, show_progress: bool = True) -> pd.DataFrame:
    """The embedded corpus: the default one (built once and cached) or one written to `directory`."""
    if directory is None:
        from labkit.data.synthetic import default_corpus

        return default_corpus()
    from labkit.data.synthetic import SCENARIOS

    if str(directory) in SCENARIOS and not Path(os.path.expanduser(str(directory))).exists():
        # `synthetic:<scenario>`: a named preset, built once and cached like the default corpus
        from labkit.data.synthetic import default_corpus, scenario_config

        name = str(directory)
        t = default_corpus(scenario_config(name)).copy()
        t["speaker"] = t["speaker"].str.replace("synthetic:", f"synthetic:{name}-", regex=False)
        t["id"] = name + "-" + t["id"].astype(str)
        return t
    contexts = str(directory).split("+")
    if not Path(os.path.expanduser(str(directory))).exists() and all(_is_context(c) for c in contexts):
        # `synthetic:studio+phone`: the default corpus once per recording context, pooled, as two
        # corpora. Each context gets its own speakers (seed 0, 1, ...; ids prefixed by the context), so
        # a cross-corpus fold stays speaker-independent, as it is between real corpora. (The same
        # voices in two contexts: `labkit corpus synth --seed S --context C` twice, then csv: sources.)
        from labkit.data.synthetic import SynthConfig, default_corpus

        tables = []
        for k, c in enumerate(contexts):
            t = default_corpus(SynthConfig(context=c, seed=k)).copy()
            t["speaker"] = t["speaker"].str.replace("synthetic:", f"synthetic:{c}-", regex=False)
            tables.append(t)
        return pd.concat(tables, ignore_index=True)
    directory = Path(os.path.expanduser(str(directory)))
    manifest = directory / "manifest.csv"
    if not manifest.is_file():
        named = (
            ""
            if directory.exists()
            else (
                f"; or name a scenario: {', '.join(f'synthetic:{n}' for n in SCENARIOS)}, or contexts such as "
                "synthetic:studio+phone"
            )
        )
        raise CorpusError(
            f"no synthetic corpus in {directory}: expected {manifest} (write one with "
            f"`labkit corpus synth --out {directory}`){named}"
        )
    return load_csv(manifest, skip_bad=skip_bad, corpus="synthetic", show_progress=show_progress)


_LOADERS = {
    "emodb": load_emodb,
    "ravdess": load_ravdess,
    "cremad": load_cremad,
    "iemocap": load_iemocap,
    "csv": load_csv,
}


def load_corpus(source: str, skip_bad: bool = False, **options) -> pd.DataFrame:
    """Load any corpus from a source string (see the module docstring).

    Parameters
    ----------
    source : str
        ``synthetic``, ``synthetic:DIR``, ``emodb:PATH``, ``ravdess:PATH``, ``cremad:PATH``,
        ``iemocap:PATH`` or ``csv:PATH``.
    skip_bad : bool
        Unusable files are listed in ``attrs["skipped"]`` instead of raising.
    **options
        Passed to the loader (e.g. ``label_set="all"`` for IEMOCAP).

    Returns
    -------
    pd.DataFrame
        The utterance table; ``attrs["source"]`` is `source`.
    """
    source = str(source).strip()
    kind, sep, location = source.partition(":")
    kind = kind.lower()
    if kind == "synthetic":
        table = load_synthetic(location if sep and location else None, skip_bad=skip_bad, **options)
    elif kind in _LOADERS and sep and location:
        table = _LOADERS[kind](location, skip_bad=skip_bad, **options)
    else:
        hint = " (a path needs a prefix, e.g. csv:PATH)" if (not sep and kind not in _LOADERS) else ""
        raise LabkitError(f"unknown corpus source {source!r}{hint}; expected one of: {', '.join(SOURCES)}")
    table.attrs["source"] = source
    return table
