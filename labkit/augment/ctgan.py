"""CTGAN (Xu et al., NeurIPS 2019) as an augmenter: the conditional tabular GAN a practitioner tries first.

A thin wrapper around the `ctgan` package (an optional extra: ``pip install 'labkit[ctgan]'``), so
labkit's own GANs (`labkit.augment.sahu`) can be compared with a well-kept peer on the same folds and
in `benchmarks/bench_gan.py`.

How it is used
--------------
* ``per_class=False`` (default): one CTGAN on the fold, the emotion as its one discrete column. A
  synthetic row of emotion c is sampled with ``condition_column="label", condition_value=c`` and
  labelled c, as labkit's cGAN labels its rows by their condition (CTGAN's own generated label column
  is dropped: early in training it often disagrees with the condition).
* ``per_class=True``: one unconditional CTGAN per emotion, trained on that emotion's rows only.

CTGAN's mode-specific normalisation fits a variational Gaussian mixture to every continuous column
before training (``rdt``'s ClusterBasedNormalizer, up to 10 modes each). On IS10's 1582 columns that
alone takes minutes on a CPU, and each column becomes up to 11 model inputs, which is why CTGAN is
far slower per epoch than labkit's cGAN on these tables (see the benchmark).

``batch_size`` must be even and a multiple of ``pac`` (CTGAN's rule); it is rounded down to one (at
least ``2 * pac``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from labkit.augment.base import COUNT, DEVICE, Augmenter
from labkit.errors import LabkitError

EXTRA_HINT = "pip install 'labkit[ctgan]' (or: pip install ctgan)"


def import_ctgan():
    """The `ctgan.CTGAN` class, or a LabkitError naming the optional extra to install."""
    try:
        from ctgan import CTGAN
    except ImportError as err:
        raise LabkitError(
            f"the 'ctgan' augmenter needs the optional ctgan package, which is not installed: {EXTRA_HINT}"
        ) from err
    return CTGAN


class CTGANAugmenter(Augmenter):
    """CTGAN, conditioned on the class (or one per class), as an imblearn-style augmenter.

    Parameters
    ----------
    sampling_strategy, random_state : see `labkit.augment.base.Augmenter`
    epochs : CTGAN training epochs (its default, 300)
    batch_size : CTGAN minibatch (its default, 500; rounded to a multiple of 2 * pac)
    pac : CTGAN's PacGAN group size (its default, 10)
    per_class : one unconditional CTGAN per class instead of one conditional CTGAN
    device : "cpu", "cuda" or None (CUDA when available)
    """

    min_class_size = 2  # a per-class mixture of modes needs two rows
    _parameter_constraints = {
        **Augmenter._parameter_constraints,
        "epochs": COUNT,
        "batch_size": COUNT,
        "pac": COUNT,
        "per_class": ["boolean"],
        "device": DEVICE,
    }

    def __init__(
        self,
        sampling_strategy="balance",
        random_state=None,
        epochs=300,
        batch_size=500,
        pac=10,
        per_class=False,
        device=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state)
        self.epochs = epochs
        self.batch_size = batch_size
        self.pac = pac
        self.per_class = per_class
        self.device = device

    def _make(self, seed: int):
        from labkit.utils import pick_device

        CTGAN = import_ctgan()
        if int(self.epochs) < 1 or int(self.pac) < 1 or int(self.batch_size) < 1:
            raise LabkitError(
                f"CTGANAugmenter: epochs, batch_size and pac must be >= 1, got {self.epochs}, "
                f"{self.batch_size}, {self.pac}"
            )
        step = math.lcm(2, int(self.pac))
        batch = max(step, (int(self.batch_size) // step) * step)
        model = CTGAN(
            epochs=int(self.epochs),
            batch_size=batch,
            pac=int(self.pac),
            verbose=False,
            enable_gpu=pick_device(self.device).type == "cuda",
        )
        model.set_random_state(seed)
        return model

    def _fit(self, X, y) -> None:
        seed = 0 if self.random_state is None else int(self.random_state)
        self.columns_ = [f"x{i}" for i in range(X.shape[1])]
        df = pd.DataFrame(np.asarray(X, dtype=np.float64), columns=self.columns_)
        self.class_index_ = {c: i for i, c in enumerate(self.classes_.tolist())}
        if self.per_class:
            self.models_ = {}
            for c, i in self.class_index_.items():
                model = self._make(seed + i)
                model.fit(df[np.asarray(y) == c].reset_index(drop=True))
                self.models_[c] = model
        else:
            df["label"] = [str(self.class_index_[c]) for c in np.asarray(y).tolist()]
            self.model_ = self._make(seed)
            self.model_.fit(df, discrete_columns=["label"])

    def _generate(self, n_per_class: dict):
        X_parts, y_parts = [], []
        for c, k in n_per_class.items():
            if self.per_class:
                rows = self.models_[c].sample(int(k))
            else:
                rows = self.model_.sample(int(k), condition_column="label", condition_value=str(self.class_index_[c]))
            X_parts.append(rows[self.columns_].to_numpy(dtype=np.float64)[: int(k)])
            y_parts.append(np.full(int(k), c, dtype=self.classes_.dtype))
        return np.concatenate(X_parts), np.concatenate(y_parts)


__all__ = ["CTGANAugmenter", "import_ctgan", "EXTRA_HINT"]
