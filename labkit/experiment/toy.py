"""A tiny synthetic feature table for tests, notebooks and quick trials of the experiment code.

No audio and no feature extraction: each class is a Gaussian around its own mean, each speaker
shifts all of its utterances by a speaker offset (so speaker independence matters), and speakers are
split over two recording contexts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def toy_features(
    n_speakers: int = 6,
    classes=("anger", "sadness", "neutral"),
    n_per: int = 8,
    dim: int = 10,
    separation: float = 1.0,
    speaker_spread: float = 0.3,
    seed: int = 0,
):
    """A feature table shaped like `labkit.features.Features`: (meta, X).

    Parameters
    ----------
    n_speakers : speakers; the first half is in context ``studio``, the rest in ``phone``
    classes : emotion names (the ``emotion`` column)
    n_per : utterances per speaker and class
    dim : feature dimension d
    separation : scale of the class means (larger = easier)
    speaker_spread : scale of the per-speaker offsets
    seed : seed of every draw

    Returns
    -------
    meta : DataFrame with id, speaker, emotion, arousal, valence, context, corpus (N rows)
    X : (N, d) float32, N = n_speakers * len(classes) * n_per
    """
    from labkit.data.schema import EMOTION_AV

    rng = np.random.default_rng(seed)
    means = separation * rng.standard_normal((len(classes), dim))  # (C, d)
    rows, X = [], []
    for s in range(n_speakers):
        offset = speaker_spread * rng.standard_normal(dim)  # (d,)
        context = "studio" if s < (n_speakers + 1) // 2 else "phone"
        for c, name in enumerate(classes):
            for k in range(n_per):
                arousal, valence = EMOTION_AV.get(name, (1, 1))
                rows.append(
                    {
                        "id": f"toy-s{s}-{name}-{k}",
                        "speaker": f"toy:{s:02d}",
                        "emotion": name,
                        "arousal": arousal,
                        "valence": valence,
                        "context": context,
                        "corpus": "toy",
                    }
                )
                X.append(means[c] + offset + rng.standard_normal(dim))
    return pd.DataFrame(rows), np.asarray(X, dtype=np.float32)
