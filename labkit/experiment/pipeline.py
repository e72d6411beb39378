"""The leak-proof fold pipeline and the small rules every experiment shares: amounts and task seeds.

A fold's pipeline is ``scaler -> augmenter -> classifier`` as one imbalanced-learn `Pipeline`
(`build_pipeline`): the library applies the augmenter during ``fit`` only, and the scaler and the
augmenter see the training fold only. The comparison (`labkit.runs.compare`), the waveform
augmenters (`labkit.augment.waveform`) and the paper reproductions all build on these pieces, which
is why they live here, below every layer that uses them, and import no augmenter.

Amounts
-------
An *amount* is how much synthetic data an augmenter adds: a ratio r (r × n_c samples added to each
class c; 1.0 doubles the training fold) or ``"balance"`` (every class topped up to the largest).
`amount_str` is its canonical text (``"balance"``, ``"1"``, ``"0.5"``), used in task keys and tables.

Seeds
-----
Seed s gives fold f the random state `task_seed` (s, f), drawn from ``numpy.random.SeedSequence([s,
f])``: independent streams for every pair, however many folds (the earlier ``s * 1000 + f`` collided
past 1,000 folds).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from labkit.errors import LabkitError


class FrameScaler(TransformerMixin, BaseEstimator):
    """Standardise (n, T, F) frame features per frequency bin, with statistics of the training frames."""

    def fit(self, X, y=None):
        X = np.asarray(X)
        self.mean_ = X.mean(axis=(0, 1))  # (F,)
        self.scale_ = X.std(axis=(0, 1)) + 1e-8  # (F,)
        return self

    def transform(self, X):
        return ((np.asarray(X) - self.mean_) / self.scale_).astype(np.float32)


class Flatten(TransformerMixin, BaseEstimator):
    """(n, T, F) -> (n, T*F), so a vector classifier can follow a frame-level augmenter."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        X = np.asarray(X)
        return X.reshape(len(X), -1)  # (n, T*F)


def build_pipeline(augmenter, classifier, frames: bool = False):
    """The leak-proof fold pipeline: scaler -> augmenter -> classifier (imblearn Pipeline).

    For frame features (n, T, F) the scaler works per frequency bin and a Flatten step feeds the
    classifier; the augmenter then sees frames.
    """
    from imblearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if frames:
        return Pipeline(
            [("scale", FrameScaler()), ("augment", augmenter), ("flatten", Flatten()), ("classify", classifier)]
        )
    return Pipeline([("scale", StandardScaler()), ("augment", augmenter), ("classify", classifier)])


def amount_str(amount) -> str:
    """Canonical text of an amount ("balance", "1", "0.5"), used in task keys and tables."""
    if isinstance(amount, str):
        if amount in ("balance", "auto"):
            return "balance"
        try:
            amount = float(amount)
        except ValueError:
            raise LabkitError(f"amount {amount!r}: use 'balance' or a ratio such as 1.0") from None
    if not np.isfinite(float(amount)) or float(amount) < 0:
        raise LabkitError(f"amount must be 'balance' or a ratio >= 0, got {amount!r}")
    return f"{float(amount):g}"


def sampling_strategy(amount: str):
    """An augmenter's ``sampling_strategy`` for the canonical amount text: "balance" or the ratio as a float."""
    return "balance" if amount == "balance" else float(amount)


def task_seed(seed: int, fold: int) -> int:
    """The random state of one (seed, fold): 32 bits of ``numpy.random.SeedSequence([seed, fold])``."""
    return int(np.random.SeedSequence([int(seed), int(fold)]).generate_state(1)[0])


__all__ = ["FrameScaler", "Flatten", "amount_str", "build_pipeline", "sampling_strategy", "task_seed"]
