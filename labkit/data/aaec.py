"""AAEC's data: the containers, nothing that computes them.

* `AAECData`: power spectrograms of a speaker-independent train/test split with 3-class
  arousal/valence; it remembers the utterance length it was cut to, so a config asking for 15 s
  cannot silently train on 3 s inputs.
* `TrainingSet`: standardised log spectrograms as tensors, what `labkit.trainers.aaec.train` consumes.

Making them is feature work and lives in `labkit.features.aaec` (`load_spectrograms`, `split` with
fold indices the caller draws, `prepare`): the data layer sits below the features and the protocols,
so it may import neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is not imported by the data layer at run time
    import torch

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


@dataclass
class TrainingSet:
    """What Algorithm 1 (`labkit.trainers.aaec.train`) consumes: standardised log spectrograms and labels.

    Made by `labkit.features.aaec.prepare` from an `AAECData`, or directly by a caller whose frames
    are already standardised (the `aaec` augmenter).
    """

    X_train: torch.Tensor  # (N, T, F) float32 standardised log power (CPU; moved to the device by train)
    arousal_train: torch.Tensor  # (N,) int64 classes 0..n_arousal-1
    valence_train: torch.Tensor  # (N,) int64 classes 0..n_valence-1
    X_test: torch.Tensor | None = None  # (M, T, F) or None: nothing to score (the augmenter)
    arousal_test: np.ndarray | None = None  # (M,)
    valence_test: np.ndarray | None = None  # (M,)
    scaler: object | None = None  # the SpectrogramScaler that made X (None when X came standardised)


__all__ = ["AAECData", "TrainingSet"]
