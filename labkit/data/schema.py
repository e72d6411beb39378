"""The utterance table and the emotion → arousal / valence mapping shared by every corpus.

Utterance table
---------------
One row per utterance, columns (in this order):

=========  =========================================================================
id         unique within the corpus, stable across runs (e.g. EMO-DB's ``03a01Fa``)
path       absolute path of the audio file (str)
corpus     corpus name: ``synthetic``, ``emodb``, ``ravdess``, ``cremad``, ``iemocap``, ``csv``
speaker    speaker id, prefixed by the corpus (``emodb:03``) so corpora can be pooled
gender     ``f``, ``m`` or ``""`` when unknown
emotion    canonical category name, one of `EMOTIONS` (lower case)
arousal    arousal class: 0 low, 1 medium, 2 high
valence    valence class: 0 negative, 1 neutral, 2 positive
duration   seconds (float)
context    recording context / session (synthetic context name, IEMOCAP session, ...) or ""
=========  =========================================================================

Optional columns (`OPTIONAL_COLUMNS`), after those, only where a corpus has them:

==============  ====================================================================
arousal_rating  raw mean activation rating (float; IEMOCAP: mean of the raters' 1-5
                scores, NaN when a label line has none)
valence_rating  raw mean valence rating (float; as above)
==============  ====================================================================

The 3-level classes lose where a mean rating lies within its band; the code-vector paper
(`labkit.reproductions.codevector`) binarises IEMOCAP's raw means at 3, so `load_iemocap` keeps them.

Arousal and valence classes
---------------------------
The categorical corpora carry no dimensional labels, so each category is mapped to a 3-level arousal
and a 3-level valence class with the circumplex placements usual in the SER literature (anger and
fear high-arousal/negative, sadness and boredom low-arousal/negative, happiness high/positive,
neutral medium/neutral). Choices where the literature varies, and why:

* disgust: medium arousal (it is less activated than anger or fear in most rating studies).
* boredom: low arousal, negative valence (EMO-DB's "Langeweile" is an unpleasant low-energy state).
* calm (RAVDESS): low arousal, neutral valence (RAVDESS describes it as a relaxed neutral).
* surprise (RAVDESS): high arousal, neutral valence (surprise can be either sign; neutral is fair).
* frustration and excitement (IEMOCAP, outside the 4-class set): only used when a loader keeps them.

A CSV manifest may give its own arousal/valence columns; they override this table.
"""

from __future__ import annotations

UTTERANCE_COLUMNS = [
    "id",
    "path",
    "corpus",
    "speaker",
    "gender",
    "emotion",
    "arousal",
    "valence",
    "duration",
    "context",
]

# Extra columns a loader may add after UTTERANCE_COLUMNS (see the module docstring).
OPTIONAL_COLUMNS = ["arousal_rating", "valence_rating"]

# Arousal: 0 low, 1 medium, 2 high.  Valence: 0 negative, 1 neutral, 2 positive.
AROUSAL_NAMES = ["low", "medium", "high"]
VALENCE_NAMES = ["negative", "neutral", "positive"]

EMOTION_AV: dict[str, tuple[int, int]] = {
    "anger": (2, 0),
    "boredom": (0, 0),
    "disgust": (1, 0),
    "fear": (2, 0),
    "happiness": (2, 2),
    "sadness": (0, 0),
    "neutral": (1, 1),
    "calm": (0, 1),
    "surprise": (2, 1),
    "frustration": (1, 0),
    "excitement": (2, 2),
}

# The embedded corpus' default categories (EMO-DB's seven).
DEFAULT_EMOTIONS = ["anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral"]
EMOTIONS = list(EMOTION_AV)


def arousal_valence(emotion: str) -> tuple[int, int]:
    """(arousal class, valence class) for a canonical emotion name."""
    from labkit.errors import LabkitError

    try:
        return EMOTION_AV[emotion]
    except KeyError:
        raise LabkitError(
            f"unknown emotion {emotion!r}; known: {', '.join(EMOTIONS)} "
            "(a CSV manifest may give arousal/valence columns for other labels)"
        ) from None


LABEL_COLUMNS = ["emotion", "arousal", "valence"]
