"""Waveform augmenters: change the training utterances' audio, then extract their features again.

==============  ==============================================  ===========================================
name            what it does to an utterance                    audiomentations transform (p = 1)
==============  ==============================================  ===========================================
``wav-noise``   white Gaussian noise at a target SNR (dB)       ``AddGaussianSNR``
``wav-band``    telephone band-pass, 300–3400 Hz by default     ``HighPassFilter`` + ``LowPassFilter``
``wav-reverb``  reverberation by a synthetic room response      ``ApplyImpulseResponse``
``wav-speed``   tempo 0.9–1.1×, pitch and length kept           ``TimeStretch``
==============  ==============================================  ===========================================

This is the first thing most SER practitioners try, and the natural baseline when the test corpus
was recorded differently from the training corpus (studio → telephone). The feature-space
augmenters (noise, SMOTE, GANs) cannot add a channel that the training features never saw.

How a waveform augmenter sits in a comparison
---------------------------------------------
It is an `Augmenter` like the others and stands in the same fold pipeline (scaler → augmenter →
classifier, `labkit.experiment.pipeline.build_pipeline`), so it is compared under exactly the same
conditions. What differs is where its samples come from:

1. Before the tasks, ``labkit compare`` records the utterance table (id, path, ...) and the feature
   set and settings in the run directory (`prepare_run`).
2. For each task the runner tells the augmenter which table rows its training fold is
   (`WaveformAugmenter.bind_fold`: the fold's *training* rows, their unscaled features and the
   seed; held in the ``audio`` parameter, so that `sklearn.base.clone`, and with it an inner
   cross-validation (``--tune``), keeps it). Test rows are never passed, so a test utterance's
   audio is never read, let alone augmented.
3. ``fit_resample`` (inside the pipeline, on the standardised training rows) finds which bound
   utterances the rows are (all of them, or an inner-CV subset standardised with its own
   statistics: each row goes to the nearest bound utterance, then the match is checked exactly, and
   a mismatch is an error, never a guess), picks which of them to augment, exactly as many per class
   as ``sampling_strategy`` says (ratio 1.0 = one augmented copy of every training utterance),
   augments their audio, extracts the same features from it, standardises them with the rows' own
   statistics, and appends them.

Caching: an augmented utterance is a function of (augmenter parameters, the source file's bytes,
seed, copy number) and nothing else (not the fold), so it is written once as a WAV file under
``cache_root()/waveform/<augmenter>-<parameter hash>/`` and its features land in the ordinary
feature cache; leave-one-speaker-out therefore augments each utterance once per seed, not once per
fold. The random draws of audiomentations (which uses Python's and NumPy's global generators) are
seeded per utterance and the global state is restored afterwards.

Choices where the literature leaves room (here so that readers of a number know what it means):

* ``wav-speed`` changes tempo, not pitch (Kaldi-style speed perturbation also shifts F0, which is
  itself an emotion cue), and keeps the length: a faster copy is padded with silence at the end,
  a slower one is cut (at 0.9× that drops the last ~10 %).
* ``wav-reverb`` draws from a bank of ``n_rooms`` synthetic impulse responses (a direct path plus
  exponentially decaying noise with RT60 in [min_rt60, max_rt60] s and the given direct-to-reverberant
  ratio), because real room responses cannot be shipped; the output is rescaled to the input's RMS
  level (audiomentations normalises the peak to 0.5, which would change loudness features).
* ``wav-band``'s corners are drawn within ±``jitter`` of 300 and 3400 Hz per copy, with 24 dB/octave
  Butterworth slopes; no codec is simulated. The embedded corpus's "phone" context is itself made
  with a 300–3400 Hz band (`labkit.data.synthetic`), so on it this augmenter matches the test
  channel unusually well: read its gains there as an upper bound of what band-limiting can do.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import random
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from labkit.augment.base import Augmenter
from labkit.errors import LabkitError

AUDIO_TABLE = "utterances"  # run-store table: the comparison's utterance table (id, path, ...)
AUDIO_SPEC = "waveform"  # run-store result: {"feature_set", "settings"} the augmented audio is featurised with


@contextmanager
def _seeded(seed: int):
    """Seed Python's and NumPy's global generators (audiomentations draws from them), then restore them."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


class FoldAudio:
    """What a waveform augmenter needs of its training fold: the audio behind its rows.

    paths : (n,) audio files, one per training row; X_real : (n, d) or (n, T, F) their unscaled
    features; seed : the repetition's seed; feature_set, settings : how features are extracted.
    """

    def __init__(self, paths, X_real, seed: int, feature_set: str, settings: dict):
        self.paths = [str(p) for p in paths]
        self.X_real = np.asarray(X_real)
        self.seed = int(seed)
        self.feature_set = feature_set
        self.settings = dict(settings or {})
        if len(self.paths) != len(self.X_real):
            raise LabkitError(f"{len(self.paths)} audio files for {len(self.X_real)} feature rows")

    def __repr__(self) -> str:  # short: it shows up in the augmenter's repr
        return f"FoldAudio({len(self.paths)} utterances, {self.feature_set}, seed {self.seed})"


class WaveformAugmenter(Augmenter):
    """Base class: augmented copies of training utterances, as feature rows (see the module docstring).

    Subclasses list their parameters in ``__init__`` and implement `_transform` (an audiomentations
    transform applied with p = 1). Each takes ``sampling_strategy`` and ``random_state`` as every
    augmenter does, and ``audio``: None until `bind` / `bind_fold` sets the fold's `FoldAudio`
    (a parameter, so that clones made by an inner cross-validation keep it).
    """

    input_kind = "any"  # its rows are whatever the comparison's features are
    needs_audio = True  # the comparison must pass the fold's audio (bind_fold); see the module docstring
    min_class_size = 1
    _parameter_constraints = {**Augmenter._parameter_constraints, "audio": [FoldAudio, None]}

    # ------------------------------------------------------------------ the audio transform
    def _transform(self, sr: int):
        """The audiomentations transform (p = 1) for audio at `sr` Hz."""
        raise NotImplementedError

    def _finish(self, y_in: np.ndarray, y_out: np.ndarray) -> np.ndarray:
        """Post-processing after the transform (level restoration in wav-reverb); default none."""
        return y_out

    def transform_audio(self, y: np.ndarray, sr: int, seed: int) -> np.ndarray:
        """One augmented copy of waveform `y` ((n,) float at `sr` Hz): (n,) float32, same length and rate."""
        y = np.asarray(y, dtype=np.float32)
        if y.ndim != 1 or len(y) == 0:
            raise LabkitError(f"{self._name()}: expected a mono waveform (n,), got shape {y.shape}")
        transforms = self.__dict__.setdefault("_transforms", {})  # built once per rate and parameters
        key = (sr, self.params_key())
        with warnings.catch_warnings():
            # librosa's audio reader imports modules Python 3.13 drops (aifc, sunau): not ours to fix
            warnings.simplefilter("ignore", DeprecationWarning)
            if key not in transforms:
                transforms[key] = self._transform(sr)
            with _seeded(seed):
                out = transforms[key](samples=y, sample_rate=sr)
        out = self._finish(y, np.asarray(out, dtype=np.float32))
        if len(out) != len(y):  # the transforms are set to keep the length; guard against a library change
            out = np.pad(out, (0, max(0, len(y) - len(out))))[: len(y)]
        return out.astype(np.float32)

    def _name(self) -> str:
        return next((k for k, v in _REGISTERED.items() if v == type(self).__name__), type(self).__name__)

    def params_key(self) -> str:
        """A hash of what decides the audio (parameters but amount and seed, library versions)."""
        from importlib import metadata

        params = {k: v for k, v in self.get_params().items() if k not in ("sampling_strategy", "random_state", "audio")}
        blob = json.dumps(
            {"class": type(self).__name__, "params": params, "audiomentations": metadata.version("audiomentations")},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha1(blob.encode()).hexdigest()[:12]

    def augment_file(self, path: str | os.PathLike, seed: int, copy: int = 0, sr: int = 16000) -> Path:
        """The augmented copy number `copy` of audio file `path` for `seed`: a cached 32-bit float WAV."""
        import soundfile as sf

        from labkit.data.audio import read_audio
        from labkit.features.cache import audio_key
        from labkit.paths import cache_root
        from labkit.utils import atomic_path

        source = audio_key(path)
        out = (
            cache_root()
            / "waveform"
            / f"{self._name()}-{self.params_key()}"
            / source[:2]
            / f"{source}-s{int(seed)}-c{int(copy)}-{sr}.wav"
        )
        if out.exists():
            return out
        y = read_audio(path, sr=sr)  # (n,) float32 mono
        utt_seed = int(
            np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(copy), int(source[:8], 16)]).generate_state(1)[0]
        )
        augmented = self.transform_audio(y, sr, utt_seed)
        with atomic_path(out) as tmp:
            sf.write(tmp, augmented, sr, subtype="FLOAT", format="WAV")
        return out

    # ------------------------------------------------------------------ binding to a training fold
    def bind(self, table, X_real: np.ndarray, seed: int, feature_set: str, settings: dict) -> "WaveformAugmenter":
        """Give the augmenter the audio behind the rows it will be fitted on (sets ``audio``).

        Parameters
        ----------
        table : DataFrame with a ``path`` column, one row per training row, same order
        X_real : their unscaled features, (n, d) or (n, T, F)
        seed : the repetition's seed (decides the audio draws; not the fold, so copies are shared
            between folds)
        feature_set, settings : what `labkit.features.extract` computes from the augmented audio
        """
        if "path" not in table.columns:
            raise LabkitError(f"{self._name()} augments audio: the table has no 'path' column")
        return self.set_params(audio=FoldAudio(table["path"], X_real, seed, feature_set, settings))

    def bind_fold(
        self, run_path: str | os.PathLike, rows: np.ndarray, X_real: np.ndarray, seed: int
    ) -> "WaveformAugmenter":
        """`bind` from a comparison's run directory: the training rows `rows` of its utterance table.

        The comparison runner calls this for every task (``rows`` = the fold's training rows only).
        """
        from labkit.runstore import Run

        run = Run(run_path)
        if not run.has_table(AUDIO_TABLE) or not run.has_json(AUDIO_SPEC):
            raise LabkitError(
                f"{self._name()} augments audio, but {run.path} holds no utterance table; waveform "
                "augmenters need a corpus SOURCE (or a features file from `labkit features`)"
            )
        table = run.read_table(AUDIO_TABLE)
        spec = run.read_json(AUDIO_SPEC)
        return self.bind(table.iloc[np.asarray(rows)], X_real, seed, spec["feature_set"], spec["settings"])

    # ------------------------------------------------------------------ the Augmenter interface
    def _fit(self, X, y) -> None:
        if self.audio is None:
            raise LabkitError(
                f"{self._name()} augments audio, not feature rows: use it in `labkit compare` or "
                "`labkit augment` on a corpus, or call bind(table, X, seed, feature_set, settings)"
            )
        self.rows_, self.scaler_ = self._match_rows(np.asarray(X))
        self.copies_made_ = np.zeros(len(X), dtype=int)  # augmented copies drawn so far, per row
        self.y_fit_ = np.asarray(y)

    def _match_rows(self, X: np.ndarray):
        """(bound utterance of every row of X, the scaler that maps unscaled features into X's space).

        X is the bound training fold (or a subset of it: an inner CV), unscaled or standardised with
        its own rows' statistics. Proposal: nearest bound utterance in the fold's standardised space.
        Check: the proposed utterances' features, standardised with their own statistics (or not at
        all), must give X back; otherwise a LabkitError (never a guess).
        """
        from sklearn.preprocessing import StandardScaler

        from labkit.experiment.pipeline import FrameScaler
        from labkit.metrics.coverage import pairwise_distances

        X_real = self.audio.X_real
        if X.shape[1:] != X_real.shape[1:] or len(X) > len(X_real):
            raise LabkitError(
                f"{self._name()}: fitted on rows {X.shape}, but bound to {X_real.shape}: a waveform "
                "augmenter must see (part of) the training fold it was bound to"
            )
        flat = lambda A: A.reshape(len(A), -1).astype(np.float64)  # noqa: E731 - (n, T, F) -> (n, T*F)
        new_scaler = lambda: FrameScaler() if X.ndim == 3 else StandardScaler()  # noqa: E731 - the pipeline's kind
        if len(X) == len(X_real):
            candidates = [np.arange(len(X))]  # the whole fold, in order (the usual case)
        else:
            z = new_scaler().fit(X_real)
            D = pairwise_distances(flat(X), flat(z.transform(X_real)))  # (m, n)
            candidates = [np.argmin(D, axis=1)]
        for rows in candidates:
            R = X_real[rows]
            if np.allclose(R, X, rtol=1e-5, atol=1e-6):
                return rows, None
            scaler = new_scaler().fit(R)
            if np.allclose(scaler.transform(R), X, rtol=1e-4, atol=1e-4):
                return rows, scaler
        raise LabkitError(
            f"{self._name()}: the rows it is fitted on are not the features of the utterances it was "
            "bound to (unscaled or standardised); it cannot place its samples"
        )

    def _generate(self, n_per_class: dict):
        """Augmented copies: each class's utterances in a random order, cycling (copy 0, then 1, ...)."""
        from labkit.features import extract

        audio = self.audio
        y_fit = self.y_fit_
        picks, labels = [], []
        for c, k in n_per_class.items():
            rows = np.flatnonzero(y_fit == c)
            order = self._rng_.permutation(rows)
            for j in range(k):
                i = int(order[j % len(order)])
                picks.append((i, int(self.copies_made_[i])))
                self.copies_made_[i] += 1
                labels.append(c)
        sr = int(audio.settings.get("sr", 16000))
        paths = [str(self.augment_file(audio.paths[self.rows_[i]], audio.seed, copy, sr=sr)) for i, copy in picks]
        # where the copies came from (`labkit augment` writes it out): bound rows, copy numbers, files
        self.last_rows_ = np.array([self.rows_[i] for i, _ in picks], dtype=int)
        self.last_copies_ = np.array([copy for _, copy in picks], dtype=int)
        self.last_paths_ = paths
        feats = extract(pd.DataFrame({"path": paths}), audio.feature_set, progress=False, **audio.settings)
        X_new = feats.X
        if self.scaler_ is not None:
            X_new = self.scaler_.transform(X_new)
        return np.asarray(X_new, dtype=np.float32), np.asarray(labels)


class WavNoise(WaveformAugmenter):
    """``wav-noise``: white Gaussian noise added to the waveform at `snr_db` dB (±`spread_db`).

    Parameters
    ----------
    snr_db : float, default 20.0
        Signal-to-noise ratio of the noisy copy, in dB (the embedded corpus: studio 42–50, phone 22–30).
    spread_db : float, default 0.0
        Each copy's SNR is drawn uniformly from [snr_db - spread_db, snr_db + spread_db].
    sampling_strategy, random_state, audio : as for every waveform augmenter (`WaveformAugmenter`)
    """

    _parameter_constraints = {
        **WaveformAugmenter._parameter_constraints,
        "snr_db": [Interval(numbers.Real, -30, 100, closed="both")],
        "spread_db": [Interval(numbers.Real, 0, 50, closed="both")],
    }

    def __init__(self, snr_db=20.0, spread_db=0.0, sampling_strategy="balance", random_state=None, audio=None):
        self.snr_db = snr_db
        self.spread_db = spread_db
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.audio = audio

    def _transform(self, sr):
        from audiomentations import AddGaussianSNR

        return AddGaussianSNR(
            min_snr_db=float(self.snr_db) - float(self.spread_db),
            max_snr_db=float(self.snr_db) + float(self.spread_db),
            p=1.0,
        )


class WavBand(WaveformAugmenter):
    """``wav-band``: a telephone channel's band-pass (high-pass at `low_hz`, low-pass at `high_hz`).

    Parameters
    ----------
    low_hz, high_hz : float, default 300.0 and 3400.0
        The pass band's corners (ITU-T telephone band).
    jitter : float, default 0.1
        Each copy's corners are drawn within ±jitter (relative) of low_hz and high_hz.
    rolloff_db : int, default 24
        Slope of each Butterworth filter in dB/octave (a multiple of 6).
    sampling_strategy, random_state, audio : as for every waveform augmenter (`WaveformAugmenter`)
    """

    _parameter_constraints = {
        **WaveformAugmenter._parameter_constraints,
        "low_hz": [
            Interval(numbers.Real, 0, 100000, closed="neither")
        ],  # the Nyquist limit is checked when the rate is known
        "high_hz": [Interval(numbers.Real, 0, 100000, closed="neither")],
        "jitter": [Interval(numbers.Real, 0, 1, closed="left")],
        "rolloff_db": [Interval(numbers.Integral, 6, 120, closed="both")],
    }

    def __init__(
        self,
        low_hz=300.0,
        high_hz=3400.0,
        jitter=0.1,
        rolloff_db=24,
        sampling_strategy="balance",
        random_state=None,
        audio=None,
    ):
        self.low_hz = low_hz
        self.high_hz = high_hz
        self.jitter = jitter
        self.rolloff_db = rolloff_db
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.audio = audio

    def _transform(self, sr):
        from audiomentations import Compose, HighPassFilter, LowPassFilter

        j, lo, hi = float(self.jitter), float(self.low_hz), float(self.high_hz)
        if not (0 <= j < 1 and 0 < lo * (1 + j) < hi * (1 - j) and hi * (1 + j) < sr / 2):
            raise LabkitError(
                f"wav-band: need 0 < low_hz < high_hz < {sr / 2:g} Hz (Nyquist) with the jitter "
                f"{j}; got low_hz={lo}, high_hz={hi}"
            )
        r = int(self.rolloff_db)
        return Compose(
            [
                HighPassFilter(
                    min_cutoff_freq=lo * (1 - j),
                    max_cutoff_freq=lo * (1 + j),
                    min_rolloff=r,
                    max_rolloff=r,
                    zero_phase=False,
                    p=1.0,
                ),
                LowPassFilter(
                    min_cutoff_freq=hi * (1 - j),
                    max_cutoff_freq=hi * (1 + j),
                    min_rolloff=r,
                    max_rolloff=r,
                    zero_phase=False,
                    p=1.0,
                ),
            ],
            p=1.0,
        )


class WavReverb(WaveformAugmenter):
    """``wav-reverb``: convolution with one of `n_rooms` synthetic room impulse responses.

    Parameters
    ----------
    min_rt60, max_rt60 : float, default 0.2 and 0.6
        Range of the rooms' reverberation times in seconds (60 dB decay).
    drr_db : float, default 3.0
        Direct-to-reverberant energy ratio of every response, in dB.
    n_rooms : int, default 8
        Size of the response bank (RT60s evenly spaced over the range); each copy draws one.
    sampling_strategy, random_state, audio : as for every waveform augmenter (`WaveformAugmenter`)
    """

    _parameter_constraints = {
        **WaveformAugmenter._parameter_constraints,
        "min_rt60": [Interval(numbers.Real, 0, 5, closed="right")],
        "max_rt60": [Interval(numbers.Real, 0, 5, closed="right")],
        "drr_db": [Interval(numbers.Real, -60, 60, closed="both")],
        "n_rooms": [Interval(numbers.Integral, 1, 1000, closed="both")],
    }

    def __init__(
        self,
        min_rt60=0.2,
        max_rt60=0.6,
        drr_db=3.0,
        n_rooms=8,
        sampling_strategy="balance",
        random_state=None,
        audio=None,
    ):
        self.min_rt60 = min_rt60
        self.max_rt60 = max_rt60
        self.drr_db = drr_db
        self.n_rooms = n_rooms
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.audio = audio

    def _room_bank(self, sr: int) -> list[str]:
        """Write (once) the bank of synthetic impulse responses as WAV files; return their paths."""
        import soundfile as sf

        from labkit.paths import cache_root
        from labkit.utils import atomic_path

        lo, hi, n = float(self.min_rt60), float(self.max_rt60), int(self.n_rooms)
        if not (0 < lo <= hi <= 5 and n >= 1):
            raise LabkitError(f"wav-reverb: need 0 < min_rt60 <= max_rt60 <= 5 s and n_rooms >= 1; got {lo}, {hi}, {n}")
        folder = cache_root() / "waveform" / f"rooms-{self.params_key()}-{sr}"
        rng = np.random.default_rng(0)  # the bank is part of the augmenter's definition, not of a seed
        paths = []
        for k, rt60 in enumerate(np.linspace(lo, hi, n)):
            path = folder / f"room{k:02d}.wav"
            tail_len = int(1.5 * rt60 * sr)
            t = np.arange(1, tail_len + 1) / sr
            tail = rng.standard_normal(tail_len) * np.exp(-6.908 * t / rt60)  # 60 dB down at t = rt60
            tail *= np.sqrt(10 ** (-float(self.drr_db) / 10) / np.sum(tail**2))  # energy: direct 1, tail 1/drr
            ir = np.concatenate([[1.0], tail]).astype(np.float32)
            if not path.exists():
                with atomic_path(path) as tmp:
                    sf.write(tmp, ir, sr, subtype="FLOAT", format="WAV")
            paths.append(str(path))
        return paths

    def _transform(self, sr):
        from audiomentations import ApplyImpulseResponse

        return ApplyImpulseResponse(ir_path=self._room_bank(sr), p=1.0, leave_length_unchanged=True)

    def _finish(self, y_in, y_out):
        rms_in, rms_out = np.sqrt(np.mean(y_in**2)), np.sqrt(np.mean(y_out**2))
        return y_out * (rms_in / rms_out) if rms_out > 0 else y_out  # keep the input's level


class WavSpeed(WaveformAugmenter):
    """``wav-speed``: tempo changed by a factor in [min_rate, max_rate]; pitch and length kept.

    Parameters
    ----------
    min_rate, max_rate : float, default 0.9 and 1.1
        Tempo factor range (> 1 is faster). See the module docstring for why pitch is kept.
    sampling_strategy, random_state, audio : as for every waveform augmenter (`WaveformAugmenter`)
    """

    _parameter_constraints = {
        **WaveformAugmenter._parameter_constraints,
        "min_rate": [Interval(numbers.Real, 0.5, 2, closed="both")],
        "max_rate": [Interval(numbers.Real, 0.5, 2, closed="both")],
    }

    def __init__(self, min_rate=0.9, max_rate=1.1, sampling_strategy="balance", random_state=None, audio=None):
        self.min_rate = min_rate
        self.max_rate = max_rate
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.audio = audio

    def _transform(self, sr):
        from audiomentations import TimeStretch

        lo, hi = float(self.min_rate), float(self.max_rate)
        if not (0.5 <= lo <= hi <= 2.0) or lo == hi == 1.0:
            raise LabkitError(f"wav-speed: need 0.5 <= min_rate <= max_rate <= 2 (not both 1); got {lo}, {hi}")
        return TimeStretch(min_rate=lo, max_rate=hi, leave_length_unchanged=True, p=1.0)


# registry name -> class name, for messages and cache folders (the registry itself is labkit.augment.AUGMENTERS)
_REGISTERED = {"wav-noise": "WavNoise", "wav-band": "WavBand", "wav-reverb": "WavReverb", "wav-speed": "WavSpeed"}


# --------------------------------------------------------------------------- comparison set-up
def audio_augmenters(names) -> list[str]:
    """The augmenters among `names` that augment audio (and so need a corpus source)."""
    from labkit.augment import augmenter_class

    return [n for n in names if getattr(augmenter_class(n), "needs_audio", False)]


def check_audio(names, meta, feature_set: str) -> None:
    """Before a run exists: LabkitError unless waveform augmenters in `names` can get the audio they need."""
    from labkit.features import FEATURE_SETS

    wave = audio_augmenters(names)
    if not wave:
        return
    if "path" not in meta.columns or feature_set not in FEATURE_SETS:
        raise LabkitError(
            f"{', '.join(wave)} augment audio: SOURCE must be a corpus (or a features file from "
            "`labkit features`, whose rows name their audio files), not a table of features alone"
        )
    missing = [p for p in meta["path"].astype(str).head(1000) if not Path(p).exists()]
    if missing:
        raise LabkitError(
            f"{', '.join(wave)} augment audio, but {len(missing)} audio file(s) of the table are "
            f"gone, e.g. {missing[0]}"
        )


def prepare_run(run, meta, feature_set: str, settings: dict) -> None:
    """Record in `run` what waveform augmenters read: the utterance table and the feature set."""
    from labkit.features import default_settings

    cols = [c for c in ("id", "path", "speaker", "emotion") if c in meta.columns]
    run.write_table(AUDIO_TABLE, meta[cols].reset_index(drop=True).astype(str))
    run.write_json(
        AUDIO_SPEC, {"feature_set": feature_set, "settings": {**default_settings(feature_set), **(settings or {})}}
    )


__all__ = [
    "FoldAudio",
    "WaveformAugmenter",
    "WavNoise",
    "WavBand",
    "WavReverb",
    "WavSpeed",
    "audio_augmenters",
    "check_audio",
    "prepare_run",
]
