"""AAEC's data: power spectrograms of a corpus, split speaker-independently, with 3-class arousal/valence.

`load_aaec_data(source, max_seconds=...)` loads any `labkit.data.loaders.load_corpus` source, extracts
the paper's power spectrogram (16 kHz, FFT 1024, hop 512, cut or zero-padded to `max_seconds`) and
holds out whole speakers for testing (`labkit.experiment.protocols`, protocol ``split``). The result,
`AAECData`, is what `labkit.trainers.aaec.train` consumes; it remembers the utterance length it was cut
to, so a config asking for 15 s cannot silently train on 3 s inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labkit.errors import LabkitError


@dataclass
class AAECData:
    """A speaker-independent train/test split of power spectrograms with arousal/valence labels."""

    X_train: np.ndarray  # (N_train, T, F) float32 power spectrograms
    arousal_train: np.ndarray  # (N_train,) int 0..2
    valence_train: np.ndarray  # (N_train,) int 0..2
    X_test: np.ndarray  # (N_test, T, F)
    arousal_test: np.ndarray  # (N_test,)
    valence_test: np.ndarray  # (N_test,)
    description: str = ""  # which data this is (printed with results)
    max_seconds: float | None = None  # the length utterances were cut / padded to (None: unknown, not checked)

    def __post_init__(self) -> None:
        for name in ("X_train", "X_test"):
            X = getattr(self, name)
            if X.ndim != 3:
                raise LabkitError(f"AAECData.{name} must be (N, T, F) power spectrograms, got shape {X.shape}")
            if len(X) == 0:
                raise LabkitError(f"AAECData.{name} is empty: the split left no utterances on that side")
            if not np.all(np.isfinite(X)) or (X < 0).any():
                raise LabkitError(f"AAECData.{name} must hold finite, non-negative power values")
        if self.X_train.shape[1:] != self.X_test.shape[1:]:
            raise LabkitError(
                f"train and test spectrograms differ in shape: {self.X_train.shape} vs {self.X_test.shape}"
            )
        for name in ("arousal_train", "valence_train", "arousal_test", "valence_test"):
            y = np.asarray(getattr(self, name))
            side = self.X_train if name.endswith("train") else self.X_test
            if y.shape != (len(side),):
                raise LabkitError(f"AAECData.{name} must have shape ({len(side)},), got {y.shape}")
            if y.size and (y.min() < 0 or y.max() > 2):
                raise LabkitError(f"AAECData.{name} must hold classes 0, 1, 2; found {sorted(set(y.tolist()))}")
            setattr(self, name, y.astype(np.int64))


def load_aaec_data(
    source: str,
    *,
    max_seconds: float = 3.0,
    test_fraction: float = 0.3,
    split_seed: int = 0,
    n_jobs: int | None = None,
    show_progress: bool = True,
) -> AAECData:
    """Load a corpus, extract AAEC's power spectrogram and make a speaker-independent split.

    The split is fixed (`split_seed`), not redrawn per training seed, so the spread over seeds in
    Table 1 is training variability on one partition, as with MuSe-Topic's fixed partition.

    Parameters
    ----------
    source : str
        Any `labkit.data.loaders.load_corpus` source (``synthetic``, ``emodb:PATH``, ``csv:PATH``, ...).
    max_seconds : float
        Utterances are cut / zero-padded to this length (15 s in the paper, 3 s for `small`).
    test_fraction : float
        Share of speakers held out for testing.
    split_seed : int
        Which speakers are held out.
    """
    from labkit.data.loaders import load_corpus
    from labkit.experiment.protocols import make_folds
    from labkit.features import extract

    table = load_corpus(source)
    if len(table) == 0:
        raise LabkitError(f"corpus {source!r} holds no utterances")
    feats = extract(
        table, "spectrogram", max_seconds=max_seconds, n_fft=1024, hop_length=512, n_jobs=n_jobs, progress=show_progress
    )
    meta = feats.meta.reset_index(drop=True)
    if meta["speaker"].nunique() < 2:
        raise LabkitError(
            f"corpus {source!r} has {meta['speaker'].nunique()} speaker(s); a speaker-independent "
            "split needs at least 2"
        )
    fold = make_folds(meta, "split", test_fraction=test_fraction, seed=split_seed)[0]
    X = np.asarray(feats.X, dtype=np.float32)
    ya, yv = meta["arousal"].to_numpy(np.int64), meta["valence"].to_numpy(np.int64)
    tr, te = np.asarray(fold.train_idx), np.asarray(fold.test_idx)
    n_test_spk = meta.iloc[te]["speaker"].nunique()
    corpus = ", ".join(sorted(meta["corpus"].astype(str).unique()))
    desc = (
        f"{source} ({corpus}): {len(meta)} utterances, {meta['speaker'].nunique()} speakers; "
        f"speaker-independent split {len(tr)} train / {len(te)} test ({n_test_spk} held-out speakers); "
        f"power spectrogram {max_seconds:g} s, FFT 1024, hop 512 -> {X.shape[1]} x {X.shape[2]}"
    )
    return AAECData(X[tr], ya[tr], yv[tr], X[te], ya[te], yv[te], description=desc, max_seconds=float(max_seconds))


__all__ = ["AAECData", "load_aaec_data"]
