"""Builders of tiny fixture corpora with the official file names (never real corpus audio).

Every file is a short noisy tone whose pitch and noise depend on its name, so no two files are
byte-identical unless a test makes them so. Other tests may import these builders::

    from fixtures_corpora import make_emodb
    root = make_emodb(tmp_path / "emodb")
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

EMODB_SPEAKERS = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]
EMODB_LETTERS = ["W", "L", "E", "A", "F", "T", "N"]


def tone(seconds: float = 0.1, sr: int = 16000, channels: int = 1, seed: int = 0, freq: float | None = None):
    """A noisy sine, (n,) for mono or (n, channels); frequency from the seed unless given."""
    rng = np.random.default_rng(seed)
    n = max(1, int(round(seconds * sr)))
    freq = freq if freq is not None else 150.0 + (seed % 200)
    t = np.arange(n) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.standard_normal(n)
    if channels == 1:
        return x.astype(np.float32)
    cols = [x * (1.0 - 0.2 * c) for c in range(channels)]  # different levels per channel
    return np.stack(cols, axis=1).astype(np.float32)  # (n, channels)


def write_tone(
    path, seconds: float = 0.1, sr: int = 16000, channels: int = 1, subtype: str = "PCM_16", freq: float | None = None
) -> Path:
    """Write a tone whose noise seed comes from the file name; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = zlib.crc32(path.name.encode())
    sf.write(str(path), tone(seconds, sr, channels, seed, freq), sr, subtype=subtype)
    return path


def make_emodb(root, speakers=EMODB_SPEAKERS, letters=EMODB_LETTERS, per_cell: int = 1) -> Path:
    """``root/wav/03a01Fa.wav`` ...: one file per speaker × emotion (× per_cell texts)."""
    root = Path(root)
    for sp in speakers:
        for letter in letters:
            for k in range(per_cell):
                write_tone(root / "wav" / f"{sp}a{k + 1:02d}{letter}a.wav")
    return root


def make_ravdess(
    root,
    actors=(1, 2),
    emotions=range(1, 9),
    song: bool = True,
    video: bool = True,
    stereo_actor: int | None = 1,
    sr: int = 48000,
) -> Path:
    """``root/Actor_01/03-01-05-01-01-01-01.wav`` ...: one speech file per actor × emotion.

    Adds one song file and one (fake) video file per actor when asked; the first file of
    `stereo_actor` is stereo, like a few real RAVDESS files.
    """
    root = Path(root)
    for actor in actors:
        folder = root / f"Actor_{actor:02d}"
        for i, emo in enumerate(emotions):
            intensity = 1 if emo == 1 else 2
            name = f"03-01-{emo:02d}-{intensity:02d}-01-01-{actor:02d}.wav"
            write_tone(folder / name, sr=sr, channels=2 if (actor == stereo_actor and i == 0) else 1)
        if song:
            write_tone(folder / f"03-02-03-01-01-01-{actor:02d}.wav", sr=sr)
        if video:
            (folder / f"01-01-03-01-01-01-{actor:02d}.mp4").write_bytes(b"not a real video")
    return root


def make_cremad(
    root, actors=(1001, 1002, 1091), emotions=("ANG", "DIS", "FEA", "HAP", "NEU", "SAD"), demographics: bool = True
) -> Path:
    """``root/AudioWAV/1001_DFA_ANG_XX.wav`` ... and ``root/VideoDemographics.csv``."""
    root = Path(root)
    for actor in actors:
        for emo in emotions:
            write_tone(root / "AudioWAV" / f"{actor}_DFA_{emo}_XX.wav")
    if demographics:
        sexes = ["Male" if a % 2 else "Female" for a in actors]
        pd.DataFrame(
            {"ActorID": list(actors), "Age": 30, "Sex": sexes, "Race": "Other", "Ethnicity": "Not Hispanic"}
        ).to_csv(root / "VideoDemographics.csv", index=False)
    return root


# (dialog suffix, utterance suffix, label, [V, A, D])
IEMOCAP_LINES = [
    ("impro01", "F000", "neu", "2.5000, 2.5000, 2.5000"),
    ("impro01", "M000", "ang", "1.5000, 4.0000, 4.0000"),
    ("impro01", "F001", "hap", "4.0000, 3.5000, 3.0000"),
    ("impro01", "M001", "exc", "4.5000, 4.5000, 3.5000"),
    ("impro01", "F002", "sad", "1.0000, 2.0000, 2.0000"),
    ("impro01", "M002", "fru", "2.0000, 3.5000, 3.5000"),
    ("script01_1", "F000", "xxx", "2.5000, 3.0000, 3.0000"),
    ("script01_1", "M000", "sur", "3.5000, 4.0000, 3.0000"),
    ("script01_1", "F001", "neu", "3.0000, 2.0000, 2.5000"),
]


def make_iemocap(root, sessions=(1, 2), lines=IEMOCAP_LINES) -> Path:
    """``root/SessionN/dialog/EmoEvaluation/<dialog>.txt`` and ``sentences/wav/<dialog>/<utt>.wav``.

    The label files mimic the real layout: a header line, one summary line per utterance
    (the only lines a loader should use) followed by per-annotator lines.
    """
    root = Path(root)
    for s in sessions:
        session = root / f"Session{s}"
        by_dialog: dict[str, list[str]] = {}
        for k, (dialog_suffix, utt_suffix, label, vad) in enumerate(lines):
            dialog = f"Ses{s:02d}F_{dialog_suffix}"
            utt = f"{dialog}_{utt_suffix}"
            write_tone(session / "sentences" / "wav" / dialog / f"{utt}.wav")
            start = 1.0 + 3 * k
            by_dialog.setdefault(dialog, []).append(
                f"[{start:.4f} - {start + 2.5:.4f}]\t{utt}\t{label}\t[{vad}]\n"
                f"C-E1:\tNeutral state;\t()\nA-E2:\tval 3; act 2; dom  3;\t()\n\n"
            )
        for dialog, blocks in by_dialog.items():
            path = session / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n" + "".join(blocks))
    return root


def make_manifest(root, rows: list[dict], name: str = "manifest.csv", write_audio: bool = True) -> Path:
    """A CSV manifest at ``root/name``; writes a tone for each relative ``path`` unless told not to."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if write_audio:
        for row in rows:
            p = Path(row["path"])
            write_tone(p if p.is_absolute() else root / p)
    pd.DataFrame(rows).to_csv(root / name, index=False)
    return root / name
