"""openSMILE functionals (one vector per utterance) through the `opensmile` Python package.

Feature sets and the counts we get with opensmile 2.6 (checked by tests/test_features.py):

===========  ==============================  =====  ============================================
labkit name  opensmile.FeatureSet            D      notes
===========  ==============================  =====  ============================================
egemaps      eGeMAPSv02                      88     extended Geneva minimalistic set
is10         IS10 (IS10_paraling_compat)     1582   the INTERSPEECH 2010 paralinguistic set, i.e.
                                                    openSMILE's ``emobase2010``: same 1582
                                                    features (38 LLDs + deltas x 21 functionals,
                                                    plus F0 onsets and duration)
compare      ComParE_2016                    6373   INTERSPEECH 2016 ComParE set
emobase      emobase                         988    openSMILE's emobase
===========  ==============================  =====  ============================================

Every file is read with `labkit.data.audio.read_audio` (16 kHz mono float32 by default) and the
signal is passed to ``Smile.process_signal``, so every corpus goes through the same reader whatever
its original rate or channel count. One ``Smile`` object is built per worker process and reused
for all its files (building one costs a few hundred milliseconds).

Missing values: on very short audio (under about 75 ms for eGeMAPS, IS10 and ComParE, 50 ms for
emobase) openSMILE returns an all-NaN row ("Segment too short"). labkit then raises
`AudioError` naming the file ("too short for openSMILE ...") so the caller sees it, or skips it with
``skip_bad``: an all-zero row would be a fake utterance. If only *some* values are NaN or infinite
(a functional undefined on this file, e.g. no voiced frame for a pitch statistic), they are replaced
by 0.0 with a warning naming the file and the count; X never holds a NaN.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from labkit.errors import AudioError, LabkitError

# labkit name -> opensmile.FeatureSet member name
SMILE_SETS = {"egemaps": "eGeMAPSv02", "is10": "IS10", "compare": "ComParE_2016", "emobase": "emobase"}
SMILE_DEFAULTS = {"sr": 16000}


def check_settings(feature_set: str, s: dict) -> None:
    if not (isinstance(s["sr"], int) and s["sr"] > 0):
        raise LabkitError(f"{feature_set}: sr must be a positive integer, got {s['sr']!r}")


@functools.lru_cache(maxsize=None)
def get_smile(feature_set: str):
    """The ``opensmile.Smile`` of `feature_set`, built once per process and reused for every file."""
    import opensmile

    return opensmile.Smile(
        feature_set=getattr(opensmile.FeatureSet, SMILE_SETS[feature_set]),
        feature_level=opensmile.FeatureLevel.Functionals,
    )


def names(feature_set: str) -> list[str]:
    """openSMILE's names of the functionals of `feature_set`, in output order."""
    return list(get_smile(feature_set).feature_names)


def functionals(y: np.ndarray, *, sr: int, feature_set: str, path: str = "") -> tuple[np.ndarray, int]:
    """The functionals of one utterance.

    Parameters
    ----------
    y : np.ndarray
        (n,) float32 mono waveform at `sr`.
    path : str
        The file `y` came from, for error and warning messages.

    Returns
    -------
    x : np.ndarray
        (D,) float32, finite.
    n_replaced : int
        How many NaN / infinite values were replaced by 0.0 (see the module docstring).
    """
    smile = get_smile(feature_set)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Segment too short": handled below, by file name
        x = smile.process_signal(y, sr).to_numpy(dtype=np.float32).reshape(-1)  # (1, D) -> (D,)
    bad = ~np.isfinite(x)
    if bad.all():
        raise AudioError(
            path, f"too short for openSMILE {feature_set} ({y.shape[0] / sr:.3f} s): it returned no features"
        )
    n_bad = int(bad.sum())
    if n_bad:  # counted here, warned about by the main process (a worker's warnings would be lost)
        x = np.where(bad, np.float32(0.0), x)
    return x, n_bad
