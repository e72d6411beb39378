"""The augmenter interface every data-augmentation method in labkit implements.

An augmenter learns from a labelled training fold and adds synthetic labelled samples to it. The
interface is imbalanced-learn's sampler interface, so an augmenter can sit inside an
``imblearn.pipeline.Pipeline`` between a scaler and a classifier, and the pipeline guarantees that it
only ever sees training rows:

* ``__init__`` stores its parameters and nothing else (scikit-learn's rule), so ``sklearn.base.clone``
  gives every fold a fresh, unfitted augmenter. Fitted state ends in ``_``.
* ``fit_resample(X, y) -> (X_res, y_res)`` validates, fits, and returns the real rows first with the
  synthetic rows appended after them.
* ``sample(n_per_class) -> (X_new, y_new)`` draws more synthetic samples after fitting (for plots,
  coverage metrics, or a sweep over the amount of synthetic data).

How much is added is the ``sampling_strategy`` parameter, the same in every augmenter:

=====================  ========================================================================
``"balance"``          top every class up to the size of the largest class (``"auto"`` is an
                       alias, as in imbalanced-learn). On a balanced training fold it adds nothing.
float ``r >= 0``       add ``round(r * n_c)`` synthetic samples to every class ``c``: 1.0 doubles the
                       fold and keeps its class proportions (Shilandari et al. add data this way).
                       NOTE: this is labkit's meaning. In imbalanced-learn a float is the wanted
                       minority/majority ratio after resampling (binary problems only); to get that
                       behaviour here, pass a dict of target counts instead.
dict ``{c: n}``        imbalanced-learn's meaning: class ``c`` ends with ``n`` samples in total
                       (``n >= n_c``); classes not named get nothing.
=====================  ========================================================================

Writing a new augmenter
-----------------------
Subclass `Augmenter`, list your parameters in ``__init__`` (store them unchanged), and implement

* ``_fit(X, y)``: learn from the (already validated) training fold; ``X`` is (n, d) for feature
  vectors or (n, T, F) for frame representations (set the class attribute ``input_kind = "frames"``).
* ``_generate(n_per_class: dict) -> (X_new, y_new)``: draw ``n_per_class[c]`` samples of class ``c``.

Iterative generators (GANs, autoencoders) also take ``record_every`` (int, 0 = off) and call
``self._record_snapshot(iteration, X, y, origin)`` every ``record_every`` iterations and
``self._log(iteration, loss_name=value, ...)`` whenever they like. After fitting they hold
``snapshots_`` (list of ``{"iteration", "X" (n, d), "y" (n,), "origin" (n,) str}``) and ``history_``
(list of ``{"iteration": int, <loss>: float}``); the comparison runner writes them to the run store
(``Run.save_snapshot`` and the ``history`` table) so the dashboard can animate training. A runner
that wants them *while* training is still going can attach a callback with `set_recorder`.

Randomness comes only from ``random_state``: the same seed on the same data gives the same rows.
"""

from __future__ import annotations

import numbers
from typing import Callable

import numpy as np
from sklearn.base import BaseEstimator

from labkit.errors import LabkitError


class Augmenter(BaseEstimator):
    """Base class: imblearn-compatible sampler that appends synthetic rows to a training fold.

    Parameters
    ----------
    sampling_strategy : "balance", "auto", float or dict, default "balance"
        How many synthetic samples to add per class (see the module docstring).
    random_state : int or None
        Seed of every random draw the augmenter makes.
    """

    # imbalanced-learn and scikit-learn look at this to recognise a sampler.
    _estimator_type = "sampler"
    # "vector": X is (n, d); "frames": X is (n, T, F) (spectrogram models); "any": either.
    input_kind = "vector"
    # Fewest training samples a class needs before this method can add samples to it.
    min_class_size = 1
    # False only for the "none" baseline, which never adds anything.
    generates = True

    def __init__(self, sampling_strategy="balance", random_state=None):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state

    # ------------------------------------------------------------------ public API
    def fit(self, X, y) -> "Augmenter":
        """Validate the training fold and fit the generator.

        Parameters
        ----------
        X : array of shape (n, d) (or (n, T, F) when ``input_kind == "frames"``)
        y : array of shape (n,), class labels (ints or strings)
        """
        X, y = self._validate(X, y)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.class_counts_ = {c: int(k) for c, k in zip(self.classes_.tolist(), counts)}
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        self.n_to_add_ = self._amounts(self.class_counts_)
        self._check_class_sizes()
        self.dtype_ = X.dtype
        self.feature_shape_ = X.shape[1:]
        self.snapshots_: list[dict] = []
        self.history_: list[dict] = []
        self._rng_ = np.random.default_rng(self.random_state)
        self._fit(X, y)
        return self

    def fit_resample(self, X, y):
        """Fit on the training fold and return it with synthetic rows appended.

        Parameters
        ----------
        X : array of shape (n, d) (or (n, T, F))
        y : array of shape (n,)

        Returns
        -------
        X_res : array of shape (n + n_synthetic, d), same dtype as X; rows [:n] are X unchanged
        y_res : array of shape (n + n_synthetic,)
        """
        self.fit(X, y)
        X, y = self._validate(X, y)
        X_new, y_new = self._fit_resample_new(X, y)
        self.n_synthetic_ = int(len(y_new))
        return np.concatenate([X, X_new.astype(X.dtype, copy=False)]), np.concatenate([y, y_new.astype(y.dtype)])

    def sample(self, n_per_class: dict | int):
        """Draw synthetic samples from the fitted augmenter.

        Parameters
        ----------
        n_per_class : int or dict {class: count}
            An int draws that many samples of every class seen in `fit`.

        Returns
        -------
        X_new : array of shape (sum of counts, d), dtype of the training X
        y_new : array of shape (sum of counts,)
        """
        self._check_fitted()
        if isinstance(n_per_class, numbers.Integral):
            n_per_class = {c: int(n_per_class) for c in self.classes_.tolist()}
        wanted = {}
        for c, k in dict(n_per_class).items():
            if c not in self.class_counts_:
                raise LabkitError(
                    f"{type(self).__name__}.sample: class {c!r} was not in the training data "
                    f"(classes: {self.classes_.tolist()})"
                )
            if int(k) < 0:
                raise LabkitError(f"{type(self).__name__}.sample: negative count {k} for class {c!r}")
            wanted[c] = int(k)
        return self._generate_checked(wanted)

    def set_recorder(self, callback: Callable[[str, dict], None] | None) -> "Augmenter":
        """Attach a callback called as ``callback("snapshot" | "history", record)`` during training.

        Not a parameter (``clone`` drops it): a runner attaches it to the instance it is about to fit.
        """
        self._recorder = callback
        return self

    # ------------------------------------------------------------------ for subclasses
    def _fit(self, X, y) -> None:
        """Learn from the training fold (X validated, y (n,)). Default: nothing to learn."""

    def _generate(self, n_per_class: dict):
        """Return (X_new, y_new) with ``n_per_class[c]`` rows of class c. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _generate")

    def _fit_resample_new(self, X, y):
        """The synthetic rows `fit_resample` appends; by default ``_generate(n_to_add_)``."""
        return self._generate_checked(self.n_to_add_)

    def _record_snapshot(self, iteration: int, X, y, origin=None) -> None:
        """Keep generated samples of one training iteration (iterative generators call this)."""
        X = np.asarray(X, dtype=np.float32)
        origin = np.full(len(X), "generated") if origin is None else np.asarray(origin).astype(str)
        record = {"iteration": int(iteration), "X": X, "y": np.asarray(y), "origin": origin}
        self.snapshots_.append(record)
        if getattr(self, "_recorder", None) is not None:
            self._recorder("snapshot", record)

    def _log(self, iteration: int, **values: float) -> None:
        """Append one row of training history (losses, validation scores)."""
        record = {"iteration": int(iteration), **{k: float(v) for k, v in values.items()}}
        self.history_.append(record)
        if getattr(self, "_recorder", None) is not None:
            self._recorder("history", record)

    def _should_record(self, iteration: int) -> bool:
        """True when `record_every` asks for a snapshot at this iteration."""
        every = int(getattr(self, "record_every", 0) or 0)
        return every > 0 and iteration % every == 0

    # ------------------------------------------------------------------ internals
    def _validate(self, X, y):
        name = type(self).__name__
        X = np.asarray(X)
        y = np.asarray(y)
        if X.dtype == object or not np.issubdtype(X.dtype, np.number):
            raise LabkitError(f"{name}: X must be numeric, got dtype {X.dtype}")
        if not np.issubdtype(X.dtype, np.floating):
            X = X.astype(np.float64)
        want = {"vector": (2,), "frames": (3,), "any": (2, 3)}[self.input_kind]
        if X.ndim not in want:
            shape = " or ".join({2: "(n, d)", 3: "(n, T, F)"}[k] for k in want)
            raise LabkitError(f"{name}: X must have shape {shape}, got {X.shape}")
        if y.ndim != 1 or len(y) != len(X):
            raise LabkitError(f"{name}: y must have shape ({len(X)},), got {y.shape}")
        if len(X) == 0:
            raise LabkitError(f"{name}: empty training data")
        if not np.all(np.isfinite(X)):
            raise LabkitError(f"{name}: X holds NaN or infinite values")
        return X, y

    def _amounts(self, counts: dict) -> dict:
        """Synthetic samples to add per class, from `sampling_strategy` and the class counts."""
        s = self.sampling_strategy
        name = type(self).__name__
        if isinstance(s, str):
            if s not in ("balance", "auto"):
                raise LabkitError(
                    f"{name}: sampling_strategy {s!r} unknown; use 'balance', a ratio such as 1.0, "
                    "or a dict {class: total count}"
                )
            top = max(counts.values())
            return {c: top - n for c, n in counts.items()}
        if isinstance(s, dict):
            add = {c: 0 for c in counts}
            for c, total in s.items():
                if c not in counts:
                    raise LabkitError(
                        f"{name}: sampling_strategy names class {c!r}, absent from y (classes: {list(counts)})"
                    )
                if int(total) < counts[c]:
                    raise LabkitError(
                        f"{name}: sampling_strategy asks {total} samples of class {c!r}, fewer "
                        f"than the {counts[c]} it has (augmenters only add)"
                    )
                add[c] = int(total) - counts[c]
            return add
        if isinstance(s, numbers.Real) and not isinstance(s, bool):
            if not np.isfinite(s) or s < 0:
                raise LabkitError(f"{name}: sampling_strategy ratio must be >= 0, got {s}")
            return {c: int(round(float(s) * n)) for c, n in counts.items()}
        raise LabkitError(f"{name}: sampling_strategy must be 'balance', a ratio or a dict, got {s!r}")

    def _check_class_sizes(self) -> None:
        """Refuse, naming the class, when a class that must grow is too small for this method."""
        for c, n in self.class_counts_.items():
            if self.n_to_add_.get(c, 0) > 0 and n < self.min_class_size:
                raise LabkitError(
                    f"{type(self).__name__}: class {c!r} has only {n} training sample(s); this method needs at "
                    f"least {self.min_class_size} per class it augments"
                )

    def _generate_checked(self, n_per_class: dict):
        wanted = {c: k for c, k in n_per_class.items() if k > 0}
        if not wanted:
            return np.empty((0, *self.feature_shape_), dtype=self.dtype_), np.empty(0, dtype=self.classes_.dtype)
        X_new, y_new = self._generate(wanted)
        X_new = np.asarray(X_new).astype(self.dtype_, copy=False)
        return X_new, np.asarray(y_new).astype(self.classes_.dtype)

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise LabkitError(f"{type(self).__name__} is not fitted yet: call fit or fit_resample first")
