"""The embedded synthetic emotional-speech corpus: a procedural source–filter speech synthesizer.

labkit ships no real emotional-speech corpus (none may be redistributed), so every experiment can run
on this one. It writes real 16 kHz waveforms, not feature vectors, so every feature extractor and
every model sees audio just as it would from EMO-DB or IEMOCAP.

How one utterance is made (top to bottom in `synthesize_utterance`):

1. **Text.** Sentence ``index % n_sentences`` is a fixed sequence of syllables (onset consonant +
   vowel), with stressed syllables and phrase breaks. Like EMO-DB, every speaker says the same
   sentences in every emotion.
2. **Timing.** Syllable durations follow the speaking rate; stressed syllables and phrase-final ones
   are longer; phrase breaks are pauses.
3. **F0 contour** (in semitones around the speaker's baseline): declination over the utterance, a
   pitch accent on each stressed syllable, a final fall, and slow random drift.
4. **Glottal source.** A Rosenberg glottal-flow pulse train follows the F0 contour, with per-cycle
   jitter (period perturbation) and shimmer (amplitude perturbation); its derivative (lip radiation)
   goes through a one-pole low-pass whose corner sets the spectral tilt (breathy/soft voices are
   steeper, pressed/loud ones flatter). Aspiration noise, gated by the glottal opening, adds
   breathiness.
5. **Vocal tract.** Five formant resonators in cascade (unity gain at DC, as in Klatt's cascade
   synthesizer) set to each voiced segment's targets, scaled by the speaker's vocal-tract length and
   pulled towards a neutral vowel when articulation is lax; neighbouring segments cross-fade over
   30 ms. Fricatives and stop bursts are band-passed noise.
6. **Recording context.** Channel colouring (microphone / telephone band), reverberation (a decaying
   noise impulse response) and background noise at a context-specific SNR.

Emotions differ in the acoustic correlates the literature reports (see `EMOTION_PROFILES`); speakers
differ in F0 baseline, vocal-tract length, voice quality, speaking rate and expressiveness, and each
speaker has its own way of expressing each emotion (``speaker_emotion_spread``), so held-out speakers
lie partly outside the training distribution. Classes overlap on purpose: a linear SVM on eGeMAPS
under leave-one-speaker-out lands well above chance and well below perfect (measured on the default
corpus: see "Measured difficulty" below).

Measured difficulty
-------------------
Default corpus (700 utterances, mean 2.7 s), eGeMAPSv02 functionals + StandardScaler + linear SVC
(C=1), leave-one-speaker-out, 7 classes (chance 14 %): UAR 0.64 for seed 0 (the default; per
held-out speaker accuracy 0.43–0.94), 0.75 for seed 1, 0.57 for seed 2. The seed matters because
ten speakers are few. Figure-1 check (AAEC): per held-out speaker, the share of its samples whose
nearest training neighbour is farther than the median training sample's nearest neighbour is
0.37–0.93 (mean 0.69; about 0.5 if the held-out speaker were distributed like the training
samples); beyond the 95th percentile: 0.12 on average (0.05 expected in-distribution), up to 0.29
for one speaker. So held-out speakers lie partly, not wholly, outside the training distribution.
``emotion_strength``, ``speaker_spread`` and ``speaker_emotion_spread`` move both figures.

Scenarios
---------
`SCENARIOS` names presets usable as sources ``synthetic:<name>`` (ids and speakers prefixed by the
name). Each is chosen for the situation a paper's claim is about and none is tuned to make an
augmenter win. Measured with ``labkit corpus measure synthetic:<name>`` (`labkit.metrics.difficulty`):
eGeMAPS, StandardScaler + linear SVC (C=1), leave one speaker out; "outside" is the share of a
held-out speaker's samples in no training sample's 5-NN ball (standardised with the training fold);
mean [95 % t interval over the held-out speakers], in %:

============  =====  ========  =======  ======  ===================  ===================
scenario      utts   speakers  classes  chance  UAR                  outside
============  =====  ========  =======  ======  ===================  ===================
balanced        700        10        7    14.3  63.7 [52.4, 75.0]    19.3 [10.6, 28.0]
imbalanced      408        10        5    20.0  67.3 [55.9, 78.8]    16.5 [ 9.3, 23.8]
scarce          210        10        7    14.3  57.6 [46.0, 69.2]    17.1 [ 7.8, 26.5]
shifted         700        10        7    14.3  35.9 [26.5, 45.2]    48.6 [34.2, 62.9]
incontext       168         6        7    14.3  59.5 [43.0, 76.1]    12.5 [ 0.0, 28.5]
outofcontext   1120        20        7    14.3  72.1 [64.9, 79.4]    13.5 [ 8.8, 18.2]
============  =====  ========  =======  ======  ===================  ===================

``shifted`` leaves about half of a held-out speaker's samples outside the training data (7–76 % per
speaker), the Figure-1 situation; the others leave 12–19 %. ``scarce`` is harder (fewer training
samples) but not more "outside": with fewer samples every k-NN ball is larger. ``imbalanced`` has
EMO-DB's five class sizes, so chance is 20 % and its UAR is not comparable with the 7-class ones.

Limitations: the voices are buzzy and robotic, the "language" is random syllables, formant
transitions are cross-fades, and emotions differ only through the profile fields below (no
hesitations, laughter, sobbing or emotion-specific phrasing). It stands in for a real corpus's
statistics for method development, not for claims about human emotional speech.

Determinism: each utterance has its own ``numpy.random.Generator`` seeded from
(seed, speaker, emotion, index), and the recording context has its own generator seeded from
(seed, context, speaker, emotion, index). The dry speech therefore does not depend on the context
(speaker ``s03`` in ``studio`` and in ``phone`` is the same voice saying the same thing), and parallel
generation gives byte-identical files.

Layout written by `synthesize_corpus`::

    <out>/wav/<id>.wav       16-bit PCM, mono, ``sr`` Hz
    <out>/synth_config.json  the SynthConfig that made the corpus (provenance)
    <out>/manifest.csv       CSV manifest (path relative to <out>, emotion, speaker, id, gender,
                             arousal, valence, context); written atomically and last
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from labkit.data.schema import DEFAULT_EMOTIONS, EMOTION_AV, UTTERANCE_COLUMNS
from labkit.errors import CorpusError, LabkitError
from labkit.utils import atomic_path, write_json_atomic

# Bump when the synthesizer's output changes, so `default_corpus` rebuilds its cache.
GENERATOR_VERSION = 1

MANIFEST_COLUMNS = ["path", "emotion", "speaker", "id", "gender", "arousal", "valence", "context"]


# ----------------------------------------------------------------------------------------------
# Emotion profiles
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmotionProfile:
    """How one emotion changes the voice, relative to the speaker's neutral voice.

    Additive fields are 0 and multiplicative fields 1 for neutral speech.
    """

    f0_st: float = 0.0  # F0 level shift, semitones
    f0_range: float = 1.0  # multiplier on pitch-accent height and declination (F0 range/variability)
    loudness_db: float = 0.0  # level change, dB (vocal effort)
    rate: float = 1.0  # speaking-rate multiplier (syllables per second)
    tilt_oct: float = 0.0  # spectral tilt: shift of the source low-pass corner, octaves (+ = flatter, brighter)
    breath: float = 0.0  # extra aspiration noise (breathiness), relative to the voiced source
    jitter: float = 1.0  # multiplier on the speaker's jitter (F0 period perturbation)
    shimmer: float = 1.0  # multiplier on the speaker's shimmer (amplitude perturbation)
    articulation: float = 1.0  # vowel-target precision: < 1 pulls formants towards a neutral vowel
    pause: float = 1.0  # multiplier on phrase-break pause durations


# Directions of change follow the reviews of vocal emotion expression: Scherer (2003, Speech
# Communication 40, Table 2 "synthetic compilation"), Juslin & Laukka (2003, Psychological Bulletin
# 129, Table 7) and Banse & Scherer (1996, JPSP 70). Those papers give directions (up/down), not
# magnitudes; the magnitudes below are our choice, set so that the classes overlap.
#   anger (hot):  F0 up, F0 range up, intensity up, rate up, high-frequency energy up (flatter tilt).
#   fear:         F0 up most, range mixed (kept near neutral), rate up most, more irregularity (jitter).
#   happiness:    F0 up, range up most, intensity up, rate slightly up, flatter tilt.
#   sadness:      F0 down, range down, intensity down, rate down, steeper tilt, breathier, laxer vowels.
#   boredom:      F0 down, range down most (monotone), intensity down, rate down, lax articulation.
#   disgust:      F0 down, rate down (longer, slower), harsher voice (jitter/shimmer up).
#   calm, surprise, frustration, excitement (other corpora's categories): placed between the above by
#   their arousal/valence (surprise: high F0 and wide range; frustration: a mild anger).
EMOTION_PROFILES: dict[str, EmotionProfile] = {
    "neutral": EmotionProfile(),
    "anger": EmotionProfile(
        f0_st=3.5,
        f0_range=1.5,
        loudness_db=7.0,
        rate=1.12,
        tilt_oct=1.1,
        breath=0.0,
        jitter=1.3,
        shimmer=1.3,
        articulation=1.1,
        pause=0.8,
    ),
    "fear": EmotionProfile(
        f0_st=5.0,
        f0_range=0.95,
        loudness_db=2.5,
        rate=1.25,
        tilt_oct=0.5,
        breath=0.12,
        jitter=1.8,
        shimmer=1.4,
        articulation=0.95,
        pause=0.9,
    ),
    "happiness": EmotionProfile(
        f0_st=3.5,
        f0_range=1.7,
        loudness_db=4.5,
        rate=1.08,
        tilt_oct=0.7,
        breath=0.04,
        jitter=1.1,
        shimmer=1.1,
        articulation=1.05,
        pause=0.9,
    ),
    "sadness": EmotionProfile(
        f0_st=-1.5,
        f0_range=0.6,
        loudness_db=-5.0,
        rate=0.78,
        tilt_oct=-0.9,
        breath=0.18,
        jitter=1.4,
        shimmer=1.3,
        articulation=0.8,
        pause=1.6,
    ),
    "boredom": EmotionProfile(
        f0_st=-2.0,
        f0_range=0.45,
        loudness_db=-2.5,
        rate=0.86,
        tilt_oct=-0.5,
        breath=0.06,
        jitter=1.0,
        shimmer=1.1,
        articulation=0.8,
        pause=1.3,
    ),
    "disgust": EmotionProfile(
        f0_st=-1.5,
        f0_range=1.1,
        loudness_db=1.0,
        rate=0.8,
        tilt_oct=0.3,
        breath=0.04,
        jitter=1.5,
        shimmer=1.5,
        articulation=1.0,
        pause=1.3,
    ),
    "calm": EmotionProfile(
        f0_st=-1.0,
        f0_range=0.8,
        loudness_db=-2.0,
        rate=0.9,
        tilt_oct=-0.4,
        breath=0.05,
        jitter=0.9,
        articulation=0.9,
        pause=1.2,
    ),
    "surprise": EmotionProfile(
        f0_st=5.5,
        f0_range=1.9,
        loudness_db=4.0,
        rate=1.0,
        tilt_oct=0.6,
        breath=0.04,
        jitter=1.1,
        shimmer=1.1,
        articulation=1.05,
    ),
    "frustration": EmotionProfile(
        f0_st=1.5, f0_range=1.2, loudness_db=3.5, rate=1.05, tilt_oct=0.6, breath=0.04, jitter=1.3, shimmer=1.3
    ),
    "excitement": EmotionProfile(
        f0_st=4.5,
        f0_range=1.6,
        loudness_db=5.5,
        rate=1.18,
        tilt_oct=0.9,
        breath=0.04,
        jitter=1.2,
        shimmer=1.2,
        articulation=1.05,
        pause=0.8,
    ),
}


# ----------------------------------------------------------------------------------------------
# Recording contexts
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextProfile:
    """One recording context: channel colouring, reverberation and background noise."""

    band: tuple[float, float]  # channel pass band (Hz): high-pass and low-pass corners of the microphone/line
    rt60: tuple[float, float]  # reverberation time range (s), drawn per utterance; 0 = dry
    drr_db: tuple[float, float]  # direct-to-reverberant ratio range (dB)
    snr_db: tuple[float, float]  # speech-to-noise ratio range (dB), drawn per utterance
    noise_colour: float  # noise spectrum: 0 white, towards 1 more low-frequency (ventilation, traffic)
    mulaw: bool  # 8-bit mu-law companding (a G.711 telephone codec's quantisation noise)
    drive: float  # soft-clipping drive of the channel (0 = linear)


# Three contexts, so that two of them can serve as two corpora (cross-corpus, in-/out-of-context).
CONTEXTS: dict[str, ContextProfile] = {
    # Close microphone in a treated room: wide band, nearly dry, very quiet.
    "studio": ContextProfile(
        band=(50.0, 7600.0),
        rt60=(0.10, 0.20),
        drr_db=(14.0, 20.0),
        snr_db=(42.0, 50.0),
        noise_colour=0.3,
        mulaw=False,
        drive=0.0,
    ),
    # Handset over a telephone line: 300–3400 Hz band, codec quantisation, a little saturation, line noise.
    "phone": ContextProfile(
        band=(300.0, 3400.0),
        rt60=(0.0, 0.0),
        drr_db=(30.0, 30.0),
        snr_db=(22.0, 30.0),
        noise_colour=0.5,
        mulaw=True,
        drive=1.5,
    ),
    # Distant microphone in a reverberant room with ambient noise; air absorption dulls the top end.
    "farfield": ContextProfile(
        band=(90.0, 5500.0),
        rt60=(0.45, 0.80),
        drr_db=(-3.0, 3.0),
        snr_db=(10.0, 18.0),
        noise_colour=0.8,
        mulaw=False,
        drive=0.0,
    ),
}


# ----------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------


@dataclass
class SynthConfig:
    """What corpus to synthesize. Same config (seed included) → byte-identical wav files."""

    seed: int = 0  # master seed: speakers, sentences and every utterance derive from it
    n_speakers: int = 10  # number of speakers (half female, half male; ids s01, s02, ...)
    n_utterances: int = 10  # utterances per speaker × emotion
    n_per_emotion: dict[str, int] = field(default_factory=dict)  # total utterances of an emotion over all
    # ^ speakers, spread as evenly as they go (EMO-DB-like class sizes); emotions not named get n_utterances each
    emotions: list[str] = field(default_factory=lambda: list(DEFAULT_EMOTIONS))  # categories (EMOTION_AV names)
    context: str = "studio"  # recording context, one of CONTEXTS ("studio", "phone", "farfield")
    sr: int = 16000  # sample rate of the written files (Hz, >= 16000 so the formants do not alias)
    duration: tuple[float, float] = (1.5, 3.5)  # range of sentence durations (s) spoken neutrally at the mean rate
    n_sentences: int = 10  # distinct sentences (texts); utterance i says sentence i % n_sentences
    emotion_strength: float = 1.4  # scales every emotion's deviation from neutral (lower → more overlap)
    # ^ 1.4 puts the default corpus mid-way in the 50–80 % LOSO UAR target (linear SVM on eGeMAPS)
    speaker_spread: float = 1.0  # scales between-speaker differences (F0, vocal-tract length, voice quality)
    speaker_emotion_spread: float = 1.0  # scales each speaker's own way of expressing each emotion
    utterance_spread: float = 1.0  # scales utterance-to-utterance variation within a speaker × emotion
    profiles: dict[str, EmotionProfile] = field(default_factory=lambda: dict(EMOTION_PROFILES), repr=False)
    # ^ per-emotion acoustic profiles; override to change how an emotion sounds

    def validate(self) -> "SynthConfig":
        """Raise LabkitError naming the first bad value; return self when all are fine."""
        for name in ("n_speakers", "n_utterances", "n_sentences"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise LabkitError(f"SynthConfig.{name} must be a positive integer, got {value!r}")
        for emotion, total in dict(self.n_per_emotion).items():
            if emotion not in self.emotions:
                raise LabkitError(
                    f"SynthConfig.n_per_emotion names {emotion!r}, which is not in emotions {self.emotions!r}"
                )
            if not isinstance(total, (int, np.integer)) or isinstance(total, bool) or total < 1:
                raise LabkitError(f"SynthConfig.n_per_emotion[{emotion!r}] must be a positive integer, got {total!r}")
        if isinstance(self.emotions, str) or len(self.emotions) == 0:
            raise LabkitError(f"SynthConfig.emotions must be a non-empty list of names, got {self.emotions!r}")
        if len(set(self.emotions)) != len(self.emotions):
            raise LabkitError(f"SynthConfig.emotions has duplicates: {self.emotions!r}")
        for emotion in self.emotions:
            if emotion not in EMOTION_AV:
                raise LabkitError(
                    f"unknown emotion {emotion!r} in SynthConfig.emotions; known: {', '.join(EMOTION_AV)}"
                )
            if emotion not in self.profiles:
                raise LabkitError(f"SynthConfig.profiles has no profile for emotion {emotion!r}")
        if self.context not in CONTEXTS:
            raise LabkitError(f"unknown recording context {self.context!r}; known: {', '.join(CONTEXTS)}")
        if not isinstance(self.sr, (int, np.integer)) or self.sr < 16000 or self.sr > 96000:
            raise LabkitError(f"SynthConfig.sr must be an integer sample rate in 16000..96000 Hz, got {self.sr!r}")
        try:
            lo, hi = (float(v) for v in self.duration)
        except (TypeError, ValueError):
            raise LabkitError(
                f"SynthConfig.duration must be a (min, max) pair of seconds, got {self.duration!r}"
            ) from None
        if not (0.3 <= lo <= hi <= 30.0):
            raise LabkitError(f"SynthConfig.duration must satisfy 0.3 <= min <= max <= 30 s, got {self.duration!r}")
        for name in ("emotion_strength", "speaker_spread", "speaker_emotion_spread", "utterance_spread"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not np.isfinite(value) or not (0 <= value <= 5):
                raise LabkitError(f"SynthConfig.{name} must be a number in [0, 5], got {value!r}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise LabkitError(f"SynthConfig.seed must be a non-negative integer, got {self.seed!r}")
        return self

    def to_dict(self) -> dict:
        """A JSON-able dict of the config (profiles included)."""
        d = dataclasses.asdict(self)
        d["duration"] = list(d["duration"])
        if not d["n_per_emotion"]:
            del d["n_per_emotion"]  # absent when unused, so earlier corpora keep their cache key
        return d

    def group_size(self, speaker: int, emotion: str) -> int:
        """Utterances speaker number `speaker` says in `emotion` (n_utterances, or a share of n_per_emotion)."""
        if emotion not in self.n_per_emotion:
            return self.n_utterances
        base, extra = divmod(int(self.n_per_emotion[emotion]), self.n_speakers)
        offset = self.emotions.index(emotion)  # which speakers get one more rotates with the emotion
        return base + (1 if (speaker - offset) % self.n_speakers < extra else 0)


# Named scenarios of the embedded corpus, usable as sources `synthetic:<name>` (labkit.data.loaders).
# Speaker and utterance ids of a scenario are prefixed by its name, so scenarios pool without clashes.
# Each is chosen for the situation a paper's claim is about, never to make an augmenter win; their
# measured difficulty is in the module docstring ("Scenarios").
SCENARIOS: dict[str, dict] = {
    # today's default: 10 speakers x 7 emotions x 10 utterances, studio
    "balanced": dict(),
    # EMO-DB's five classes with EMO-DB's class sizes (Shilandari et al.'s setting): anger 127, fear 69,
    # happiness 71, sadness 62, neutral 79 utterances over 10 speakers
    "imbalanced": dict(
        emotions=["anger", "fear", "happiness", "sadness", "neutral"],
        n_per_emotion={"anger": 127, "fear": 69, "happiness": 71, "sadness": 62, "neutral": 79},
    ),
    # scarce labels (the code-vector paper's Exp 2): the default voices, 3 utterances per speaker x
    # emotion (the first 3 of `balanced`'s 10, byte for byte), 210 in all
    "scarce": dict(n_utterances=3),
    # held-out speakers well outside the training distribution (AAEC's Figure 1): the default corpus
    # with twice the between-speaker spread and twice each speaker's own way of showing each emotion
    "shifted": dict(speaker_spread=2.0, speaker_emotion_spread=2.0),
    # the code-vector paper's pair: a small in-context corpus (6 speakers x 7 emotions x 4, studio) ...
    "incontext": dict(seed=11, n_speakers=6, n_utterances=4, context="studio"),
    # ... and a larger out-of-context one (20 speakers x 7 emotions x 8, telephone channel), other voices
    "outofcontext": dict(seed=12, n_speakers=20, n_utterances=8, context="phone"),
}

# One line per scenario, for `labkit corpus --help`, `labkit corpus scenarios` and the dashboard.
SCENARIO_HELP: dict[str, str] = {
    "balanced": "the default corpus: 10 speakers x 7 emotions x 10 utterances, studio",
    "imbalanced": "EMO-DB's five classes and class sizes (anger 127 ... sadness 62), 10 speakers",
    "scarce": "few labels: 10 speakers x 7 emotions x 3 utterances (a subset of balanced)",
    "shifted": "held-out speakers outside the training distribution (2x speaker and style spread)",
    "incontext": "small in-context corpus: 6 speakers x 7 emotions x 4 utterances, studio",
    "outofcontext": "larger out-of-context corpus: 20 other speakers x 7 emotions x 8, telephone",
}


def scenario_config(name: str) -> SynthConfig:
    """The `SynthConfig` of scenario `name` (see `SCENARIOS`)."""
    if name not in SCENARIOS:
        raise LabkitError(f"unknown synthetic scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return SynthConfig(**SCENARIOS[name]).validate()


# ----------------------------------------------------------------------------------------------
# Seeding: one generator per purpose, derived from stable integers (never from list positions)
# ----------------------------------------------------------------------------------------------

_TAG_TEXT, _TAG_SPEAKER, _TAG_GENDER, _TAG_SPK_EMO, _TAG_UTT, _TAG_CTX = 11, 12, 13, 14, 15, 16


def _code(name: str) -> int:
    """A stable integer for a name (crc32), so seeds do not depend on the order of a list."""
    return zlib.crc32(name.encode("utf-8"))


def _rng(*keys: int) -> np.random.Generator:
    return np.random.default_rng([int(k) for k in keys])


# ----------------------------------------------------------------------------------------------
# Text: sentences as syllable sequences
# ----------------------------------------------------------------------------------------------

# Vowel formant targets F1–F3 (Hz) of adult male speakers: rounded averages in the range of the
# classic American-English measurements (Peterson & Barney 1952; Hillenbrand et al. 1995).
VOWELS: dict[str, tuple[float, float, float]] = {
    "i": (280.0, 2250.0, 2900.0),
    "I": (400.0, 1950.0, 2550.0),
    "e": (530.0, 1800.0, 2500.0),
    "ae": (660.0, 1700.0, 2400.0),
    "a": (720.0, 1100.0, 2450.0),
    "o": (560.0, 850.0, 2400.0),
    "U": (450.0, 1050.0, 2250.0),
    "u": (310.0, 880.0, 2250.0),
}
NEUTRAL_VOWEL = (500.0, 1500.0, 2500.0)  # schwa: the target lax articulation drifts towards
HIGH_FORMANTS = (3500.0, 4500.0)  # F4, F5 of an adult male (fixed targets)
BANDWIDTHS = np.array([70.0, 90.0, 120.0, 200.0, 260.0])  # B1..B5 (Hz) of modal voice

# Onset consonant classes and what the synthesizer does with each.
#   stop:      closure silence then a short noise burst (band by place)
#   fricative: band-passed noise (band by place), unvoiced
#   nasal:     voiced, weak, nasal formants
#   approx:    voiced, glide from its own formant targets into the vowel
CONSONANTS: dict[str, tuple[str, tuple[float, float]]] = {
    "p": ("stop", (500.0, 3000.0)),
    "t": ("stop", (2500.0, 7000.0)),
    "k": ("stop", (1500.0, 4000.0)),
    "s": ("fricative", (4000.0, 7500.0)),
    "S": ("fricative", (2000.0, 5500.0)),
    "f": ("fricative", (1200.0, 7000.0)),
    "m": ("nasal", (250.0, 1100.0)),
    "n": ("nasal", (250.0, 1500.0)),
    "l": ("approx", (350.0, 1100.0)),
    "w": ("approx", (300.0, 700.0)),
    "j": ("approx", (280.0, 2200.0)),
    "": ("none", (0.0, 0.0)),
}
NEUTRAL_RATE = 4.5  # syllables per second of neutral read speech (a typical value for read sentences)


@dataclass
class Syllable:
    onset: str  # consonant key in CONSONANTS ("" for none)
    vowel: str  # vowel key in VOWELS
    stressed: bool  # carries a pitch accent, and is longer and louder
    phrase_end: bool  # last syllable of a phrase: lengthened, followed by a pause (unless last)


def make_sentence(seed: int, index: int, duration: tuple[float, float]) -> list[Syllable]:
    """Sentence (text) number `index`: a syllable sequence, the same for every speaker and emotion.

    The syllable count is chosen so that the sentence spoken at the neutral rate lasts within
    `duration` (seconds); emotions that slow speech down make it longer, as in real speech.
    """
    rng = _rng(seed, _TAG_TEXT, index)
    target = rng.uniform(duration[0], duration[1]) - 0.35  # minus the leading/trailing silence
    n_syl = max(2, int(round(target * NEUTRAL_RATE * 0.92)))  # 0.92: stress lengthening and pauses
    onsets = list(CONSONANTS)
    vowels = list(VOWELS)
    # Phrase breaks: one per ~6 syllables, never at the very start.
    n_breaks = (n_syl - 1) // 6
    breaks = set(rng.choice(np.arange(2, n_syl - 1), size=n_breaks, replace=False).tolist()) if n_breaks else set()
    syllables = []
    for k in range(n_syl):
        syllables.append(
            Syllable(
                onset=str(onsets[rng.integers(len(onsets))]),
                vowel=str(vowels[rng.integers(len(vowels))]),
                stressed=bool(rng.random() < 0.3 or k == 0),
                phrase_end=(k in breaks) or (k == n_syl - 1),
            )
        )
    return syllables


# ----------------------------------------------------------------------------------------------
# Speakers
# ----------------------------------------------------------------------------------------------


@dataclass
class Speaker:
    """One synthetic voice; drawn from (seed, speaker number) only, so it is the same in every context."""

    id: str  # "s01", "s02", ...
    gender: str  # "f" or "m"
    f0: float  # F0 baseline of neutral speech (Hz)
    vtl: float  # formant scale factor (1/relative vocal-tract length): male ~1.0, female ~1.16
    oq: float  # open quotient of the glottal pulse (higher → breathier, steeper)
    breath: float  # aspiration noise level of neutral voice
    jitter: float  # relative period perturbation (sd), e.g. 0.006 = 0.6 %
    shimmer: float  # relative amplitude perturbation (sd)
    tilt_oct: float  # the speaker's own spectral tilt offset (octaves)
    rate: float  # the speaker's speaking-rate multiplier
    loudness_db: float  # the speaker's level offset (voice strength and microphone distance)
    expressiveness: float  # multiplier on every emotion's deviation from neutral


def make_speaker(config: SynthConfig, number: int) -> Speaker:
    """Speaker `number` (0-based) of the corpus with `config.seed`.

    Gender alternates within pairs (s01/s02 are one f and one m, in an order drawn from the seed),
    so any even number of speakers is balanced and speaker k's gender does not depend on n_speakers.
    Baselines: F0 about 115 Hz (male) and 210 Hz (female), formants about 16 % higher for female
    speakers, female voices slightly breathier (higher open quotient) — the usual sex differences.
    """
    s = config.speaker_spread
    flip = _rng(config.seed, _TAG_GENDER, number // 2).random() < 0.5
    female = (number % 2 == 0) != flip
    rng = _rng(config.seed, _TAG_SPEAKER, number)
    z = rng.standard_normal(10)
    f0_mean = 210.0 if female else 115.0
    return Speaker(
        id=f"s{number + 1:02d}",
        gender="f" if female else "m",
        f0=float(f0_mean * 2 ** (s * 2.6 * z[0] / 12)),  # sd 2.6 semitones within a sex
        vtl=float((1.16 if female else 1.0) * np.exp(s * 0.06 * z[1])),  # sd ~6 %
        oq=float(np.clip((0.62 if female else 0.52) + s * 0.065 * z[2], 0.35, 0.8)),
        breath=float(np.clip((0.08 if female else 0.04) * np.exp(s * 0.5 * z[3]), 0.0, 0.4)),
        jitter=float(0.006 * np.exp(s * 0.4 * z[4])),
        shimmer=float(0.04 * np.exp(s * 0.4 * z[5])),
        tilt_oct=float(s * 0.45 * z[6]),
        rate=float(np.exp(s * 0.1 * z[7])),
        loudness_db=float(s * 3.25 * z[8]),
        expressiveness=float(np.exp(s * 0.33 * z[9])),
    )


def speaker_profile(config: SynthConfig, speaker: Speaker, number: int, emotion: str) -> EmotionProfile:
    """How this speaker expresses this emotion: the table profile, scaled and personalised.

    The deviation from neutral is scaled by ``emotion_strength`` × the speaker's expressiveness, then
    every field gets a speaker × emotion offset (``speaker_emotion_spread``): people differ in how
    they show an emotion, which is what makes held-out speakers hard.
    """
    base = config.profiles[emotion]
    g = config.emotion_strength * speaker.expressiveness
    e = config.speaker_emotion_spread if emotion != "neutral" else 0.5 * config.speaker_emotion_spread
    z = _rng(config.seed, _TAG_SPK_EMO, number, _code(emotion)).standard_normal(10)
    return EmotionProfile(
        f0_st=g * base.f0_st + e * 1.0 * z[0],
        f0_range=float(np.exp(g * np.log(base.f0_range) + e * 0.15 * z[1])),
        loudness_db=g * base.loudness_db + e * 1.5 * z[2],
        rate=float(np.exp(g * np.log(base.rate) + e * 0.05 * z[3])),
        tilt_oct=g * base.tilt_oct + e * 0.25 * z[4],
        breath=max(0.0, g * base.breath + e * 0.03 * z[5]),
        jitter=float(np.exp(g * np.log(base.jitter) + e * 0.15 * z[6])),
        shimmer=float(np.exp(g * np.log(base.shimmer) + e * 0.15 * z[7])),
        articulation=float(np.clip(1 + g * (base.articulation - 1) + e * 0.04 * z[8], 0.5, 1.3)),
        pause=float(np.exp(g * np.log(base.pause) + e * 0.15 * z[9])),
    )


# ----------------------------------------------------------------------------------------------
# Signal helpers
# ----------------------------------------------------------------------------------------------


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving average over `n` samples along the last axis (edges held), shape kept."""
    if n <= 1:
        return x
    pad = n // 2
    xp = np.concatenate([np.repeat(x[..., :1], pad, -1), x, np.repeat(x[..., -1:], n - pad, -1)], -1)
    c = np.cumsum(xp, axis=-1)
    return (c[..., n:] - c[..., :-n])[..., : x.shape[-1]] / n


def _one_pole_lowpass(x: np.ndarray, fc: float, sr: int) -> np.ndarray:
    """First-order low-pass at `fc` Hz (6 dB/octave above it): our spectral-tilt control."""
    from scipy.signal import lfilter

    a = float(np.exp(-2 * np.pi * min(fc, 0.45 * sr) / sr))
    return lfilter([1 - a], [1, -a], x)


@functools.lru_cache(maxsize=64)
def _band_sos(lo: float, hi: float, sr: int, order: int) -> np.ndarray:
    """Butterworth band-pass design, cached: designing is slower than filtering a short segment."""
    from scipy.signal import butter

    return butter(order, [lo, min(hi, 0.45 * sr)], btype="band", fs=sr, output="sos")


def _bandpass(x: np.ndarray, lo: float, hi: float, sr: int, order: int = 2) -> np.ndarray:
    from scipy.signal import sosfilt

    return sosfilt(_band_sos(float(lo), float(hi), int(sr), order), x)


def _rosenberg(p: np.ndarray, oq: float, table_size: int = 4096) -> np.ndarray:
    """Rosenberg glottal flow at cycle phase p in [0, 1), shape of p.

    Opening over 65 % of the open phase (raised cosine), closing over 35 % (quarter cosine), closed
    for the rest of the cycle. Evaluated through a lookup table of one cycle (4096 points), which is
    several times faster than evaluating the cosines at every sample.
    """
    q = (np.arange(table_size) + 0.5) / table_size
    tp, tn = 0.65 * oq, 0.35 * oq
    rise = 0.5 * (1 - np.cos(np.pi * np.minimum(q / tp, 1.0)))
    fall = np.cos(0.5 * np.pi * np.clip((q - tp) / tn, 0.0, 1.0))
    cycle = np.where(q < tp, rise, np.where(q < tp + tn, fall, 0.0))  # (table_size,)
    return cycle[np.minimum((p * table_size).astype(np.int64), table_size - 1)]


# ----------------------------------------------------------------------------------------------
# One utterance
# ----------------------------------------------------------------------------------------------


def synthesize_dry(config: SynthConfig, speaker_number: int, emotion: str, index: int) -> np.ndarray:
    """The dry (context-free) speech of one utterance, before the recording context.

    Parameters
    ----------
    config : SynthConfig
    speaker_number : int
        0-based speaker number (speaker id ``s{n+1:02d}``).
    emotion : str
        A key of ``config.profiles``.
    index : int
        Utterance number within speaker × emotion; it says sentence ``index % n_sentences``.

    Returns
    -------
    np.ndarray
        float64 waveform, shape (n_samples,), at ``config.sr``, at the speaker's and emotion's level
        (about -26 dBFS RMS for neutral speech).
    """
    from scipy.signal import sosfilt

    sr = config.sr
    speaker = make_speaker(config, speaker_number)
    prof = speaker_profile(config, speaker, speaker_number, emotion)
    rng = _rng(config.seed, _TAG_UTT, speaker_number, _code(emotion), index)
    u = config.utterance_spread
    zu = rng.standard_normal(6)
    sentence = make_sentence(config.seed, index % config.n_sentences, config.duration)

    # ---- utterance-level parameters: speaker + emotion + this utterance's variation ----
    rate = NEUTRAL_RATE * speaker.rate * prof.rate * np.exp(u * 0.05 * zu[0])  # syllables / s
    f0_base = speaker.f0 * 2 ** ((prof.f0_st + u * 0.8 * zu[1]) / 12)  # Hz
    f0_range = prof.f0_range * np.exp(u * 0.15 * zu[2])
    level_db = -26.0 + speaker.loudness_db + prof.loudness_db + u * 1.2 * zu[3]
    tilt_oct = speaker.tilt_oct + prof.tilt_oct + u * 0.15 * zu[4]
    jitter = speaker.jitter * prof.jitter
    shimmer = speaker.shimmer * prof.shimmer
    breath = speaker.breath + prof.breath
    # Pressed (flatter-tilt) voices close faster: shorter open phase; breathy voices the opposite.
    oq = float(np.clip(speaker.oq - 0.05 * tilt_oct + 0.3 * prof.breath, 0.3, 0.85))

    # ---- timing: the sentence as a list of segments (kind, n samples, syllable number) ----
    syl_dur = 1.0 / rate
    lead = int(sr * rng.uniform(0.12, 0.22))
    trail = int(sr * rng.uniform(0.18, 0.28))
    segments = []
    for k, syl in enumerate(sentence):
        d = syl_dur * (1.3 if syl.stressed else 0.9) * (1.35 if syl.phrase_end else 1.0)
        d *= np.exp(u * 0.12 * rng.standard_normal())  # segmental timing variation
        kind = CONSONANTS[syl.onset][0]
        c_frac = {"stop": 0.3, "fricative": 0.35, "nasal": 0.3, "approx": 0.25, "none": 0.0}[kind]
        if c_frac:
            segments.append((kind, int(sr * d * c_frac), k))
        segments.append(("vowel", int(sr * d * (1 - c_frac)), k))
        if syl.phrase_end and k < len(sentence) - 1:
            pause = 0.18 * prof.pause * np.exp(u * 0.25 * rng.standard_normal())
            segments.append(("pause", int(sr * pause), k))
    n = lead + sum(seg[1] for seg in segments) + trail

    # Per-sample tracks: voicing amplitude, noise amplitude; voiced segments with their formant
    # targets (F1–F3); accent centres.
    voice_amp = np.zeros(n)
    voiced = []  # (start sample, n samples, (F1, F2, F3))
    noise_src = np.zeros(n)
    accents = []  # (centre sample, relative accent height)
    pos = lead
    noise_rng = rng.standard_normal(n)  # one white-noise draw reused by fricatives and bursts
    for kind, m, k in segments:
        syl = sentence[k]
        seg = slice(pos, pos + m)
        stress_gain = 1.4 if syl.stressed else 1.0
        if kind == "vowel":
            target = np.array(VOWELS[syl.vowel])
            # Lax articulation pulls vowel targets towards schwa (vowel-space reduction).
            target = NEUTRAL_VOWEL + prof.articulation * (target - NEUTRAL_VOWEL)
            voiced.append((pos, m, tuple(target)))
            voice_amp[seg] = stress_gain * np.exp(u * 0.1 * rng.standard_normal())
            if syl.stressed:
                accents.append((pos + m // 3, rng.uniform(0.6, 1.2)))
        elif kind in ("nasal", "approx"):
            f1, f2 = CONSONANTS[syl.onset][1]
            voiced.append((pos, m, (f1, f2, 2500.0)))
            voice_amp[seg] = 0.35 if kind == "nasal" else 0.6
        elif kind == "fricative":
            lo, hi = CONSONANTS[syl.onset][1]
            band = _bandpass(noise_rng[seg], lo, hi, sr)
            noise_src[seg] = 0.25 * band * np.hanning(m)  # ~10 dB below the vowels
        elif kind == "stop":
            lo, hi = CONSONANTS[syl.onset][1]
            b = min(m, int(0.015 * sr))
            burst = _bandpass(noise_rng[pos + m - b : pos + m], lo, hi, sr) * np.hanning(b)
            noise_src[pos + m - b : pos + m] = 0.4 * burst
        pos += m

    # ---- F0 contour (semitones around f0_base) ----
    t = np.arange(n) / sr
    dur = n / sr
    st = -2.5 * f0_range * (t / dur - 0.5)  # declination: a fall over the utterance
    width = 0.09 * sr  # pitch-accent width (samples, ~90 ms sd)
    for centre, height in accents:
        lo, hi = max(0, int(centre - 3 * width)), min(n, int(centre + 3 * width))
        st[lo:hi] += 3.0 * f0_range * height * np.exp(-0.5 * ((np.arange(lo, hi) - centre) / width) ** 2)
    # Final fall over the last 300 ms of speech (statement intonation).
    end = n - trail
    fall = np.clip((t - (end / sr - 0.3)) / 0.3, 0, 1)
    st -= 2.0 * f0_range * fall
    # Slow drift: a few low-frequency sinusoids (0.5–3 Hz) of random phase, ~0.4 st.
    for _ in range(3):
        st += 0.25 * np.sin(2 * np.pi * rng.uniform(0.5, 3.0) * t + rng.uniform(0, 2 * np.pi))
    f0 = np.clip(f0_base * 2 ** (st / 12), 50.0, 600.0)  # (n,) Hz

    # ---- glottal source with jitter and shimmer, per glottal cycle ----
    n_cycles = int(np.sum(f0) / sr) + 2
    cycle_jit = 1 + jitter * rng.standard_normal(n_cycles + 16)  # period perturbation per cycle
    cycle_shim = np.exp(shimmer * rng.standard_normal(n_cycles + 16))  # amplitude perturbation per cycle
    phase0 = np.cumsum(f0) / sr
    f0j = f0 / cycle_jit[np.minimum(phase0.astype(int), n_cycles + 15)]
    phase = np.cumsum(f0j) / sr
    cycle = np.minimum(phase.astype(int), n_cycles + 15)
    flow = _rosenberg(phase - np.floor(phase), oq) * cycle_shim[cycle]  # (n,)
    voice_env = _smooth(voice_amp, int(0.015 * sr))  # 15 ms ramps between segments
    dflow = np.diff(flow * voice_env, prepend=0.0)  # lip radiation: flow derivative
    source = _one_pole_lowpass(dflow, 3000.0 * 2**tilt_oct, sr)
    source /= np.sqrt(np.mean(source[voice_env > 0.5] ** 2) + 1e-12)  # unit RMS while voiced
    # Aspiration: high-passed noise, louder while the glottis is open.
    asp = _bandpass(rng.standard_normal(n), 1000.0, 7000.0, sr)
    asp *= (0.4 + flow) * voice_env / (np.std(asp) + 1e-12)
    source = source + breath * asp

    # ---- vocal tract: one cascade of five formant resonators per voiced segment ----
    # Each segment is filtered with its own fixed vocal-tract filter and neighbouring segments
    # cross-fade over 30 ms (coarticulation). Chosen over a sample-by-sample time-varying filter
    # because it needs a few filter calls per utterance instead of one per 5 ms block (several times
    # faster in scipy), and feature extractors see the same formant targets.
    half = int(0.015 * sr)  # cross-fade half-width
    warm = int(0.02 * sr)  # filter warm-up before the window (resonances decay within ~5 ms)
    bw = BANDWIDTHS * (1 + 0.6 * breath)  # breathy voices have damped (wider) formants
    r = np.exp(-np.pi * bw / sr)  # (5,) pole radii
    speech = np.zeros(n)
    weight = np.zeros(n)
    for start, m, targets in voiced:
        freqs = np.minimum(np.array([*targets, *HIGH_FORMANTS]) * speaker.vtl, 0.45 * sr)  # (5,) Hz
        a1 = -2 * r * np.cos(2 * np.pi * freqs / sr)
        a2 = r**2
        sos = np.zeros((5, 6))  # five second-order sections in cascade, unity gain at DC
        sos[:, 0] = 1 + a1 + a2
        sos[:, 3] = 1.0
        sos[:, 4] = a1
        sos[:, 5] = a2
        lo, hi = max(0, start - half), min(n, start + m + half)
        w = np.zeros(hi - lo)
        w[start - lo : start - lo + m] = 1.0
        w = _smooth(w, 2 * half)
        f_lo = max(0, lo - warm)
        y = sosfilt(sos, source[f_lo:hi])[lo - f_lo :]
        speech[lo:hi] += w * y
        weight[lo:hi] += w
    speech = np.divide(speech, weight, out=np.zeros(n), where=weight > 1e-6)

    # Unvoiced consonants bypass the cascade (their spectra are set by their own band).
    rms = np.sqrt(np.mean(speech[voice_env > 0.5] ** 2) + 1e-12)
    speech = speech / rms + 2.0 * noise_src
    return speech * 10 ** (level_db / 20)


def apply_context(x: np.ndarray, context: str, rng: np.random.Generator, sr: int) -> np.ndarray:
    """Record dry speech `x` (n_samples,) in `context`: reverberation, noise, codec, channel band.

    Returns a float64 array of the same shape.
    """
    from scipy.signal import oaconvolve

    ctx = CONTEXTS[context]
    n = len(x)
    speech_rms = np.sqrt(np.mean(x[np.abs(x) > 1e-4 * np.max(np.abs(x))] ** 2))
    y = x
    rt60 = rng.uniform(*ctx.rt60)
    if rt60 > 0:
        # Room: a direct path plus exponentially decaying (60 dB over rt60) low-passed noise.
        m = int(rt60 * sr)
        tail = rng.standard_normal(m) * np.exp(-6.91 * np.arange(m) / m)
        tail = _one_pole_lowpass(tail, 4000.0, sr)
        drr = 10 ** (rng.uniform(*ctx.drr_db) / 10)
        tail *= np.sqrt(1.0 / (drr * np.sum(tail**2)))  # energy ratio direct : reverberant = drr
        ir = np.concatenate([[1.0], np.zeros(int(0.002 * sr)), tail])
        y = oaconvolve(y, ir)[:n]  # overlap-add: faster than one long FFT for a short response
    # Background noise: white mixed with a low-frequency (brown-ish) component.
    white = rng.standard_normal(n)
    brown = _one_pole_lowpass(rng.standard_normal(n), 150.0, sr)
    noise = (1 - ctx.noise_colour) * white / np.std(white) + ctx.noise_colour * brown / np.std(brown)
    noise *= speech_rms * 10 ** (-rng.uniform(*ctx.snr_db) / 20) / np.std(noise)
    y = y + noise
    if ctx.drive > 0:
        y = np.tanh(ctx.drive * y / 0.5) * 0.5 / ctx.drive  # gentle saturation above ~-6 dBFS
    if ctx.mulaw:
        mu = 255.0
        c = np.sign(y) * np.log1p(mu * np.minimum(np.abs(y), 1.0)) / np.log1p(mu)
        c = np.round(c * 127) / 127  # 8-bit code words
        y = np.sign(c) * np.expm1(np.abs(c) * np.log1p(mu)) / mu
    # Channel colouring last: the microphone / line pass band shapes speech, noise and codec noise
    # alike (a telephone line's decoder output is band-limited too).
    return _bandpass(y, ctx.band[0], ctx.band[1], sr, order=3)


def synthesize_utterance(config: SynthConfig, speaker_number: int, emotion: str, index: int) -> np.ndarray:
    """One utterance as recorded in ``config.context``.

    Returns
    -------
    np.ndarray
        float32 waveform, shape (n_samples,), at ``config.sr``, peak <= 0.98.
    """
    dry = synthesize_dry(config, speaker_number, emotion, index)
    rng = _rng(config.seed, _TAG_CTX, _code(config.context), speaker_number, _code(emotion), index)
    y = apply_context(dry, config.context, rng, config.sr)
    peak = np.max(np.abs(y))
    if peak > 0.98:  # a recordist would have lowered the gain: scale, never clip
        y = y * (0.98 / peak)
    return y.astype(np.float32)


# ----------------------------------------------------------------------------------------------
# The corpus
# ----------------------------------------------------------------------------------------------


def utterance_id(context: str, speaker_id: str, emotion: str, index: int) -> str:
    """``<context>_<speaker>_<emotion>_<index>``: unique when contexts are pooled."""
    return f"{context}_{speaker_id}_{emotion}_{index:02d}"


def _write_group(config: SynthConfig, out_dir: Path, number: int, emotion: str, indices=None) -> list[dict]:
    """Synthesize and write the utterances of one speaker × emotion; return their table rows.

    `indices` (utterance numbers) defaults to the corpus's own, ``range(config.group_size(...))``;
    the oracle pools (`synthesize_pool`) pass others.
    """
    import soundfile as sf

    speaker = make_speaker(config, number)
    arousal, valence = EMOTION_AV[emotion]
    rows = []
    for index in range(config.group_size(number, emotion)) if indices is None else indices:
        uid = utterance_id(config.context, speaker.id, emotion, index)
        y = synthesize_utterance(config, number, emotion, index)
        path = out_dir / "wav" / f"{uid}.wav"
        with atomic_path(path) as tmp:
            sf.write(tmp, y, config.sr, subtype="PCM_16", format="WAV")
        rows.append(
            {
                "id": uid,
                "path": str(path.resolve()),
                "corpus": "synthetic",
                "speaker": f"synthetic:{speaker.id}",
                "gender": speaker.gender,
                "emotion": emotion,
                "arousal": arousal,
                "valence": valence,
                "duration": len(y) / config.sr,
                "context": config.context,
            }
        )
    return rows


def _synthesize_groups(
    config: SynthConfig, out_dir: Path, groups: list, n_utterances: int, progress: bool, n_jobs, desc: str
) -> list[list[dict]]:
    """Write the (speaker number, emotion, indices or None) groups into ``out_dir/wav``; their rows per group."""
    from labkit.utils import progress as progress_bar

    (out_dir / "wav").mkdir(parents=True, exist_ok=True)
    if n_jobs is None:
        # Starting worker processes costs a second or more (they import scipy); worth it only for
        # corpora that take longer than that to synthesize in one process.
        n_jobs = (os.cpu_count() or 1) if n_utterances >= 150 else 1
    n_jobs = max(1, min(n_jobs, len(groups)))
    bar = progress_bar(total=len(groups), desc=desc, disable=None if progress else True)
    results = []
    if n_jobs == 1:
        for s, e, idx in groups:
            results.append(_write_group(config, out_dir, s, e, idx))
            bar.update(1)
    else:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=n_jobs, return_as="generator")
        for rows in parallel(delayed(_write_group)(config, out_dir, s, e, idx) for s, e, idx in groups):
            results.append(rows)
            bar.update(1)
    bar.close()
    return results


def synthesize_corpus(
    out_dir, config: SynthConfig | None = None, progress: bool = True, n_jobs: int | None = None
) -> pd.DataFrame:
    """Synthesize a corpus into `out_dir` and return its utterance table.

    Parameters
    ----------
    out_dir : str or Path
        Created if missing. Gets ``wav/<id>.wav`` (16-bit PCM, mono, ``config.sr``),
        ``synth_config.json`` and, last and atomically, ``manifest.csv``.
    config : SynthConfig, optional
        Defaults to ``SynthConfig()`` (10 speakers × 7 emotions × 10 utterances, studio).
    progress : bool
        Show a progress bar (also silenced by LABKIT_QUIET=1).
    n_jobs : int, optional
        Worker processes (joblib); None = all cores for corpora of 150 utterances or more, else 1
        (in this process). The files do not depend on it.

    Returns
    -------
    pd.DataFrame
        The utterance table (`labkit.data.schema.UTTERANCE_COLUMNS`), one row per utterance,
        ordered by speaker, emotion, index; absolute paths; corpus ``"synthetic"``.
    """
    config = (config or SynthConfig()).validate()
    out_dir = Path(out_dir)
    groups = [(s, e, None) for s in range(config.n_speakers) for e in config.emotions]
    n_utterances = sum(config.group_size(s, e) for s, e, _ in groups)
    results = _synthesize_groups(
        config, out_dir, groups, n_utterances, progress, n_jobs, desc=f"synthesizing {config.context} corpus"
    )
    table = pd.DataFrame([row for rows in results for row in rows], columns=UTTERANCE_COLUMNS)

    write_json_atomic(out_dir / "synth_config.json", {"generator_version": GENERATOR_VERSION, **config.to_dict()})
    manifest = table.copy()
    manifest["path"] = "wav/" + manifest["id"] + ".wav"
    with atomic_path(out_dir / "manifest.csv") as tmp:
        manifest[MANIFEST_COLUMNS].to_csv(tmp, index=False)
    return table


def read_synthetic(out_dir) -> pd.DataFrame:
    """The utterance table of a corpus written by `synthesize_corpus` (reads its manifest).

    Durations come from the wav headers. Raises CorpusError when the manifest is missing.
    """
    import soundfile as sf

    out_dir = Path(out_dir)
    manifest = out_dir / "manifest.csv"
    if not manifest.is_file():
        raise CorpusError(f"{manifest}: no manifest; is {out_dir} a synthetic corpus folder?")
    table = pd.read_csv(manifest, dtype={"id": str, "speaker": str, "gender": str, "context": str})
    table["path"] = [str((out_dir / p).resolve()) for p in table["path"]]
    table["corpus"] = "synthetic"
    table["duration"] = [sf.info(p).duration for p in table["path"]]
    table["gender"] = table["gender"].fillna("")
    table["context"] = table["context"].fillna("")
    return table[UTTERANCE_COLUMNS]


def config_hash(config: SynthConfig) -> str:
    """Short hash of a config and the generator version: the name of its cache folder."""
    blob = json.dumps({"v": GENERATOR_VERSION, **config.to_dict()}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:10]


def _build_cached(final: Path, build) -> None:
    """Run ``build(tmp_dir)`` in a temporary folder beside `final` and rename it into place.

    A killed build leaves no half-corpus that a later call would take for a finished one; when
    another process finishes the same folder first, theirs is used.
    """
    if (final / "manifest.csv").is_file():
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}.", dir=final.parent))
    try:
        build(tmp)
        os.rename(tmp, final)
    except OSError:
        if not (final / "manifest.csv").is_file():
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def default_corpus(config: SynthConfig | None = None, progress: bool = True) -> pd.DataFrame:
    """The embedded corpus, built once under ``cache_root()/corpora/synthetic-<hash>/`` and reused.

    The corpus is built in a temporary folder beside the final one and renamed into place, so a
    killed build leaves no half-corpus that a later call would take for a finished one.
    """
    from labkit.paths import cache_root

    config = (config or SynthConfig()).validate()
    final = cache_root() / "corpora" / f"synthetic-{config_hash(config)}"
    _build_cached(final, lambda tmp: synthesize_corpus(tmp, config, progress=progress))
    return read_synthetic(final)


# ----------------------------------------------------------------------------------------------
# Oracle pools: new real samples from the same source (labkit.augment.oracle)
# ----------------------------------------------------------------------------------------------
# The synthesizer is the known source of the embedded corpus, so it can draw what a perfect
# generator would: new utterances of a corpus speaker (same voice and personal emotion style, new
# utterance seeds), or utterances of new speakers drawn from the same speaker population. Neither
# changes anything the corpora produce: a corpus uses speaker numbers 0 .. n_speakers-1 and utterance
# numbers 0 .. group size-1, the pools numbers from 1000 on, and every random draw is keyed by those
# numbers (see "Determinism"), so corpus files stay byte-identical.

POOL_FIRST_INDEX = 1000  # first utterance number of a corpus speaker's new utterances
POPULATION_FIRST_SPEAKER = 1000  # first speaker number of the population's new speakers
POOL_KINDS = ("speakers", "population")


def pool_groups(config: SynthConfig, kind: str, n_per_group: int, n_speakers: int | None = None) -> list:
    """The (speaker number, emotion, utterance numbers) groups of an oracle pool.

    Parameters
    ----------
    kind : "speakers" (each corpus speaker × emotion gets `n_per_group` new utterances, numbers
        ``POOL_FIRST_INDEX ..``) or "population" (`n_speakers` new speakers, numbers
        ``POPULATION_FIRST_SPEAKER ..``, default as many as the corpus has, each saying `n_per_group`
        utterances per emotion). Sentence texts are the corpus's (utterance i says sentence
        ``i % n_sentences``), so only voices, styles and utterance variation are new.
    """
    config = config.validate()
    if kind not in POOL_KINDS:
        raise LabkitError(f"unknown oracle pool kind {kind!r}; known: {', '.join(POOL_KINDS)}")
    if not isinstance(n_per_group, (int, np.integer)) or isinstance(n_per_group, bool) or n_per_group < 1:
        raise LabkitError(
            f"oracle pool: utterances per speaker and emotion must be a positive integer, got {n_per_group!r}"
        )
    biggest = max(config.group_size(s, e) for s in range(config.n_speakers) for e in config.emotions)
    if config.n_speakers > POPULATION_FIRST_SPEAKER or biggest > POOL_FIRST_INDEX:
        raise LabkitError(
            f"oracle pool: the corpus uses speaker or utterance numbers from {POOL_FIRST_INDEX} on "
            f"({config.n_speakers} speakers, groups up to {biggest}); the pools cannot be told apart from it"
        )
    if kind == "speakers":
        indices = list(range(POOL_FIRST_INDEX, POOL_FIRST_INDEX + int(n_per_group)))
        return [(s, e, indices) for s in range(config.n_speakers) for e in config.emotions]
    n_new = config.n_speakers if n_speakers is None else n_speakers
    if not isinstance(n_new, (int, np.integer)) or isinstance(n_new, bool) or n_new < 1:
        raise LabkitError(f"oracle pool: the number of new speakers must be a positive integer, got {n_new!r}")
    indices = list(range(int(n_per_group)))
    first = POPULATION_FIRST_SPEAKER
    return [(s, e, indices) for s in range(first, first + int(n_new)) for e in config.emotions]


def pool_corpus(
    config: SynthConfig, kind: str, n_per_group: int, n_speakers: int | None = None, progress: bool = True
) -> pd.DataFrame:
    """An oracle pool (see `pool_groups`), synthesized once under ``cache_root()/corpora/`` and reused.

    Returns its utterance table, laid out like a corpus's (speaker ``synthetic:s1001``, ids
    ``<context>_<speaker>_<emotion>_<index>``); the folder holds ``pool.json`` (what made it).
    """
    from labkit.paths import cache_root

    config = config.validate()
    groups = pool_groups(config, kind, n_per_group, n_speakers)
    spec = {"corpus": config_hash(config), "kind": kind, "n_per_group": int(n_per_group)}
    if kind == "population":
        spec["n_speakers"] = len({s for s, _, _ in groups})
    key = hashlib.sha1(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()[:10]
    final = cache_root() / "corpora" / f"oracle-{kind}-{key}"

    def build(tmp: Path) -> None:
        n = sum(len(idx) for _, _, idx in groups)
        results = _synthesize_groups(config, tmp, groups, n, progress, None, desc=f"synthesizing oracle pool ({kind})")
        table = pd.DataFrame([row for rows in results for row in rows], columns=UTTERANCE_COLUMNS)
        write_json_atomic(
            tmp / "pool.json", {"generator_version": GENERATOR_VERSION, **spec, "config": config.to_dict()}
        )
        manifest = table.copy()
        manifest["path"] = "wav/" + manifest["id"] + ".wav"
        with atomic_path(tmp / "manifest.csv") as out:
            manifest[MANIFEST_COLUMNS].to_csv(out, index=False)

    _build_cached(final, build)
    return read_synthetic(final)


def config_from_dict(d: dict) -> SynthConfig:
    """A `SynthConfig` from `SynthConfig.to_dict()` output (e.g. a corpus folder's synth_config.json)."""
    d = {k: v for k, v in dict(d).items() if k != "generator_version"}
    names = {f.name for f in dataclasses.fields(SynthConfig)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise LabkitError(f"synthesizer config has unknown field(s) {', '.join(unknown)}")
    if "profiles" in d:
        d["profiles"] = {k: EmotionProfile(**v) if isinstance(v, dict) else v for k, v in d["profiles"].items()}
    if "duration" in d:
        d["duration"] = tuple(d["duration"])
    return SynthConfig(**d).validate()


@dataclass
class SourcePart:
    """One synthesizer config behind a `synthetic...` source, and how its table names speakers and ids."""

    config: SynthConfig
    speaker_prefix: str  # a speaker column value is speaker_prefix + "s01"
    id_prefix: str  # an id column value is id_prefix + utterance_id(...)


def source_parts(source: str) -> list[SourcePart]:
    """The synthesizer configs behind a corpus source, as `labkit.data.loaders.load_synthetic` builds them.

    ``synthetic`` (the default corpus), ``synthetic:<scenario>``, ``synthetic:<context>+<context>``
    (one part per context) and ``synthetic:DIR`` (its ``synth_config.json``). Anything else raises a
    LabkitError: only the embedded synthesizer can draw new samples of its own corpus.
    """
    source = str(source or "")
    kind, sep, location = source.partition(":")
    if kind != "synthetic":
        raise LabkitError(
            f"source {source!r} is not a synthetic corpus: the oracles draw new utterances from labkit's "
            "synthesizer, so they only work on synthetic, synthetic:<scenario> or synthetic:DIR sources"
        )
    if not location:
        return [SourcePart(SynthConfig().validate(), "synthetic:", "")]
    directory = Path(os.path.expanduser(location))
    if location in SCENARIOS and not directory.exists():
        return [SourcePart(scenario_config(location), f"synthetic:{location}-", f"{location}-")]
    contexts = location.split("+")
    if not directory.exists() and all(c in CONTEXTS for c in contexts):
        return [
            SourcePart(SynthConfig(context=c, seed=k).validate(), f"synthetic:{c}-", "") for k, c in enumerate(contexts)
        ]
    config_file = directory / "synth_config.json"
    if not config_file.is_file():
        raise LabkitError(
            f"source {source!r}: {config_file} is missing, so labkit cannot tell which synthesizer config "
            "made this corpus (a folder written by `labkit corpus synth` has one)"
        )
    try:
        stored = json.loads(config_file.read_text())
    except (OSError, ValueError) as err:
        raise LabkitError(f"{config_file}: unreadable synthesizer config ({err})") from None
    if stored.get("generator_version") != GENERATOR_VERSION:
        raise LabkitError(
            f"{config_file}: written by synthesizer version {stored.get('generator_version')!r}, this is version "
            f"{GENERATOR_VERSION}; new samples would not come from the same source"
        )
    return [SourcePart(config_from_dict(stored), "synthetic:", "")]


def speaker_number(speaker_id: str) -> int:
    """The 0-based speaker number of a synthesizer speaker id (``s01`` -> 0, ``s1001`` -> 1000)."""
    if not (speaker_id.startswith("s") and speaker_id[1:].isdigit()):
        raise LabkitError(f"{speaker_id!r} is not a synthesizer speaker id (s01, s02, ...)")
    return int(speaker_id[1:]) - 1
