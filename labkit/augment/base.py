"""The augmenter interface every data-augmentation method in labkit implements.

An augmenter learns from a labelled training fold and adds synthetic labelled samples to it. The
interface is imbalanced-learn's sampler interface (an `Augmenter` *is* an imbalanced-learn
over-sampler, ``imblearn.over_sampling.base.BaseOverSampler``, and passes imbalanced-learn's own
sampler checks: tests/test_peer_checks.py), so an augmenter can sit inside an
``imblearn.pipeline.Pipeline`` between a scaler and a classifier, and the pipeline guarantees that it
only ever sees training rows (docs/pipelines.md):

* ``__init__`` stores its parameters and nothing else (scikit-learn's rule), so ``sklearn.base.clone``
  gives every fold a fresh, unfitted augmenter. Fitted state ends in ``_``.
* ``fit_resample(X, y) -> (X_res, y_res)`` validates, fits, and returns the real rows first with the
  synthetic rows appended after them. What goes in comes out: a DataFrame gives a DataFrame with the
  same columns, a Series a Series with the same name, lists give lists, a one-hot ``y`` a one-hot
  ``y``; ``get_feature_names_out`` passes the column names on (``set_output(transform="pandas")``).
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
                       behaviour here, pass a dict of target counts instead. At most `MAX_RATIO`.
dict ``{c: n}``        imbalanced-learn's meaning: class ``c`` ends with ``n`` samples in total
                       (``n >= n_c``); classes not named get nothing.
=====================  ========================================================================

After fitting, ``sampling_strategy_`` is imbalanced-learn's fitted attribute: ``{class: number of
synthetic samples to add}`` (the same dict as ``n_to_add_``).

Validation
----------
`Augmenter._validate_data` is the one input check of every augmenter, built from scikit-learn's and
imbalanced-learn's own validators (``check_classification_targets``, ``check_target_type``,
``sklearn.utils.validation.validate_data``): scikit-learn's messages ("Unknown label type: ...",
"Input X contains NaN", "Found input variables with inconsistent numbers of samples"), prefixed with
the augmenter's name. What an augmenter accepts is declared in its tags (``__sklearn_tags__``):
dense numeric X (no NaN or infinity, no sparse matrices, no strings), 2-D feature vectors or 3-D
frames by `input_kind`, pandas and lists. Refusals are `AugmenterInputError`, both a `LabkitError`
(the command line exits 2 with the message) and the ``ValueError`` (or ``TypeError``) scikit-learn raises.

Parameters are checked against the class's ``_parameter_constraints`` (scikit-learn's
``sklearn.utils._param_validation`` machinery): type, finiteness and range, in `fit` and, before
anything runs, in `labkit.augment.check_params` (which `make_augmenter` calls). A refusal is an
`InvalidAugmenterParameter`, a `LabkitError` and scikit-learn's ``InvalidParameterError``.

Writing a new augmenter
-----------------------
Subclass `Augmenter`, list your parameters in ``__init__`` (store them unchanged), declare their
``_parameter_constraints`` (start from ``Augmenter._parameter_constraints``; `COUNT`, `OPTIONAL_COUNT`
and friends below cover the usual ones), and implement

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
from collections.abc import Mapping
from typing import Callable

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from imblearn.utils._validation import ArraysTransformer
from sklearn.preprocessing import label_binarize
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from labkit.errors import LabkitError


class AugmenterInputError(LabkitError, ValueError, TypeError):
    """Training data an augmenter refuses: a `LabkitError` (exit 2), and the ``ValueError`` / ``TypeError``
    scikit-learn raises."""


class InvalidAugmenterParameter(LabkitError, InvalidParameterError):
    """A parameter outside its ``_parameter_constraints``: a `LabkitError` and scikit-learn's ``InvalidParameterError``."""


# ---------------------------------------------------------------------------- parameter constraints
# Upper bounds are there so that a typo (1e300) is refused before it becomes a run of infinities or a
# memory error; they sit far beyond any value a study would use.
MAX_RATIO = 1000  # sampling_strategy ratio: a thousand synthetic rows per real row
SAMPLING_STRATEGY = [
    StrOptions({"balance", "auto"}),
    Interval(numbers.Real, 0, MAX_RATIO, closed="both"),
    Mapping,
]
RANDOM_STATE = [Interval(numbers.Integral, 0, None, closed="left"), None]  # numpy's default_rng seeds
COUNT = [Interval(numbers.Integral, 1, None, closed="left")]  # epochs, neighbours, batch sizes, ...
OPTIONAL_COUNT = [*COUNT, None]  # None: the preset's or the budget's value
NON_NEGATIVE_COUNT = [Interval(numbers.Integral, 0, None, closed="left")]  # record_every (0 = off)
DEVICE = [str, None]  # "cpu", "cuda", "cuda:1", "auto"; labkit.utils.pick_device checks it when fitting
THREADS = [*COUNT, None]  # torch CPU threads (None: torch's own setting)


class Augmenter(BaseOverSampler):
    """Base class: imblearn over-sampler that appends synthetic rows to a training fold.

    Parameters
    ----------
    sampling_strategy : "balance", "auto", float or dict, default "balance"
        How many synthetic samples to add per class (see the module docstring).
    random_state : int or None
        Seed of every random draw the augmenter makes.

    Attributes
    ----------
    classes_ : (n_classes,) the labels seen in fit; class_counts_ : {class: training rows}
    sampling_strategy_, n_to_add_ : {class: synthetic rows fit_resample adds}
    n_features_in_ : features per row (T * F for frames); feature_names_in_ : column names of a DataFrame
    n_synthetic_ : rows the last fit_resample appended
    """

    # "vector": X is (n, d); "frames": X is (n, T, F) (spectrogram models); "any": either.
    input_kind = "vector"
    # Fewest training samples a class needs before this method can add samples to it.
    min_class_size = 1
    # False only for the "none" baseline, which never adds anything.
    generates = True

    _parameter_constraints: dict = {"sampling_strategy": SAMPLING_STRATEGY, "random_state": RANDOM_STATE}

    def __init__(self, sampling_strategy="balance", random_state=None):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state

    # ------------------------------------------------------------------ public API
    def fit(self, X, y) -> "Augmenter":
        """Validate the training fold and fit the generator.

        Parameters
        ----------
        X : array-like of shape (n, d) (or (n, T, F) when ``input_kind == "frames"``); DataFrame or lists too
        y : array-like of shape (n,), class labels (ints or strings); (n, 1) and one-hot (n, n_classes) too
        """
        self._check_params()
        X, y, _ = self._validate_data(X, y)
        self._fit_validated(X, y)
        return self

    def fit_resample(self, X, y):
        """Fit on the training fold and return it with synthetic rows appended.

        Parameters
        ----------
        X : array-like of shape (n, d) (or (n, T, F)); ndarray, DataFrame or nested lists
        y : array-like of shape (n,), (n, 1) or one-hot (n, n_classes); ndarray, Series, DataFrame or list

        Returns
        -------
        X_res : (n + n_synthetic, d), the type of X (a DataFrame keeps its columns), X's dtype; rows [:n] are X
        y_res : (n + n_synthetic,), the type and encoding of y
        """
        self._check_params()
        arrays = ArraysTransformer(X, y)  # imbalanced-learn's: gives the output the input's type back
        X, y, one_hot = self._validate_data(X, y)
        self._fit_validated(X, y)
        X_res, y_res = self._fit_resample(X, y)
        if one_hot:
            y_res = label_binarize(y_res, classes=self.classes_)
        return arrays.transform(X_res, y_res)

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

    def __sklearn_tags__(self):
        """imbalanced-learn's sampler tags, saying what labkit's augmenters accept.

        Dense numeric tables only: no NaN, no sparse input, no strings (feature vectors of a lab, not
        raw records); pandas DataFrames and lists are accepted and given back. 2-D and/or 3-D by
        `input_kind`. No ``sample_indices_`` (synthetic rows have no source index).
        """
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = self.input_kind in ("vector", "any")
        tags.input_tags.three_d_array = self.input_kind in ("frames", "any")
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.input_tags.string = False
        tags.input_tags.dataframe = True
        tags.sampler_tags.sample_indices = False
        return tags

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
    def _check_params(self) -> None:
        """scikit-learn's parameter validation against ``_parameter_constraints``, as a `LabkitError`."""
        try:
            self._validate_params()
        except InvalidParameterError as err:
            raise InvalidAugmenterParameter(str(err)) from None

    def _validate_data(self, X, y):
        """The one input check of every augmenter: (X, y, one_hot) from what the user gave.

        Returns X as a float32/float64 ndarray ((n, d), or (n, T, F) for frames; other numbers become
        float64), y as an (n,) ndarray, and whether y came one-hot encoded (then `fit_resample` gives
        one-hot back). Sets ``n_features_in_`` and, for a DataFrame with string column names,
        ``feature_names_in_`` (scikit-learn's ``validate_data``).
        """
        name = type(self).__name__
        try:
            check_classification_targets(y)  # "Unknown label type: continuous ..."
            y, one_hot = check_target_type(y, indicate_one_vs_all=True)  # one-hot and (n, 1) -> (n,)
            X, y = validate_data(
                self, X=X, y=y, reset=True, accept_sparse=False, dtype=[np.float64, np.float32], allow_nd=True
            )
        except (ValueError, TypeError) as err:
            raise AugmenterInputError(f"{name}: {err}") from None
        want = {"vector": (2,), "frames": (3,), "any": (2, 3)}[self.input_kind]
        if X.ndim not in want:
            shape = " or ".join({2: "(n, d)", 3: "(n, T, F)"}[k] for k in want)
            raise AugmenterInputError(f"{name}: X must have shape {shape}, got {X.shape}")
        classes = np.unique(y)
        if len(classes) < 2:
            raise AugmenterInputError(
                f"{name}: y has a single class ({classes.tolist()}); an augmenter needs at least 2 classes "
                "(imbalanced-learn's rule: with one class there is nothing to balance or compare)"
            )
        return X, y, one_hot

    def _fit_validated(self, X, y) -> None:
        """Fit on a validated fold: the class counts, the amounts, then the subclass's `_fit`."""
        self.classes_, counts = np.unique(y, return_counts=True)
        self.class_counts_ = {c: int(k) for c, k in zip(self.classes_.tolist(), counts)}
        self.n_features_in_ = int(np.prod(X.shape[1:]))  # T * F for frames
        self.n_to_add_ = self._amounts(self.class_counts_)
        self.sampling_strategy_ = dict(self.n_to_add_)  # imbalanced-learn's fitted attribute
        self._check_class_sizes()
        self.dtype_ = X.dtype
        self.feature_shape_ = X.shape[1:]
        self.snapshots_: list[dict] = []
        self.history_: list[dict] = []
        self._rng_ = np.random.default_rng(self.random_state)
        self._fit(X, y)

    def _fit_resample(self, X, y):
        """imbalanced-learn's hook on the validated fold: (X_res, y_res), real rows first."""
        X_new, y_new = self._fit_resample_new(X, y)
        self.n_synthetic_ = int(len(y_new))
        return np.concatenate([X, X_new.astype(X.dtype, copy=False)]), np.concatenate([y, y_new.astype(y.dtype)])

    def _amounts(self, counts: dict) -> dict:
        """Synthetic samples to add per class, from `sampling_strategy` (already checked by `_check_params`)."""
        s = self.sampling_strategy
        name = type(self).__name__
        if isinstance(s, str):  # "balance" or its alias "auto"
            top = max(counts.values())
            return {c: top - n for c, n in counts.items()}
        if isinstance(s, Mapping):
            add = {c: 0 for c in counts}
            for c, total in s.items():
                if c not in counts:
                    raise AugmenterInputError(
                        f"{name}: sampling_strategy names class {c!r}, absent from y (classes: {list(counts)})"
                    )
                if isinstance(total, bool) or not isinstance(total, numbers.Integral) or total < counts[c]:
                    raise AugmenterInputError(
                        f"{name}: sampling_strategy asks {total!r} samples of class {c!r}; it must be a whole "
                        f"number, not fewer than the {counts[c]} the class has (augmenters only add)"
                    )
                add[c] = int(total) - counts[c]
            return add
        if isinstance(s, bool):
            raise AugmenterInputError(f"{name}: sampling_strategy must be 'balance', a ratio or a dict, got {s!r}")
        return {c: int(round(float(s) * n)) for c, n in counts.items()}

    def _check_class_sizes(self) -> None:
        """Refuse, naming the class, when a class that must grow is too small for this method."""
        for c, n in self.class_counts_.items():
            if self.n_to_add_.get(c, 0) > 0 and n < self.min_class_size:
                raise AugmenterInputError(
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
