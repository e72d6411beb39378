"""Classifiers the comparison runner trains on (augmented) training folds: linear/RBF SVM and a torch MLP.

``make_classifier(name, random_state=0, **params)`` with names ``svm-linear``, ``svm-rbf``, ``mlp``.
Every classifier is a scikit-learn estimator (fit / predict, clone-able), so it can end an
imbalanced-learn pipeline.

* ``svm-linear``: ``sklearn.svm.SVC(kernel="linear", C=1.0)``. Shilandari et al. used a linear SVM
  from scikit-learn; the code-vector paper an SVM without details. SVC rather than LinearSVC: the
  same kernel formulation as the RBF variant and no convergence warnings on small folds.
* ``svm-rbf``: ``SVC(kernel="rbf", C=1.0, gamma="scale")``.
* ``mlp``: `MLPClassifier`, the DNN of Shilandari et al. (see its docstring).

Parameters are checked when the classifier is made (``C=-1``, ``max_epochs=-1``, ``device="bogus"``
are `LabkitError`s naming the value), so a command refuses them before it creates a run; both kinds
check them with scikit-learn's own parameter validation (``_parameter_constraints``).

Every classifier passes scikit-learn's estimator checks (``parametrize_with_checks``; the exemptions
and their reasons are in tests/test_classifiers.py): the MLP validates its input with scikit-learn's
``validate_data`` (NaN, sparse, complex, empty and mis-shaped input refused with scikit-learn's
messages; DataFrames keep their feature names), and its refusals are `ClassifierInputError`s, a
`LabkitError` (exit 2) that is also the ``ValueError`` scikit-learn's tools expect.

Nested tuning (``labkit compare``, by default; ``--no-tune`` to skip)
--------------------------------------------------------------------
A fixed ``C=1.0`` understates a linear SVM on real corpora (on one acted corpus, 10 speakers,
eGeMAPS, LOSO: UAR 0.534 with C=1, 0.598 with C=0.05), and every augmentation gain is measured
against that baseline. `tune_pipeline` selects hyperparameters the way the SER literature does:
inside the training fold only, by an inner cross-validation whose folds are groups of *training*
speakers (`inner_cv`: ``GroupKFold`` with `INNER_FOLDS` folds, fewer when the fold has fewer
training speakers), scored by UAR (balanced accuracy). Whatever pipeline it is given is what is
cross-validated: with an augmenter inside, synthetic rows made from one inner fold's speakers are
never validated on. ``labkit compare`` and the paper reproductions search the baseline pipeline
(scaler -> classifier) on the fold's *real* rows once per (seed, fold) and classify every augmented
training set of that fold with the chosen values (`tune_on_real`; `labkit.runs.compare.fold_tuning`).

The grids (`TUNING_GRIDS`), log-spaced and small enough for a CPU:

* ``svm-linear``: C ∈ {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1}. With standardised features, larger
  C only fits the training speakers harder; the issue's real-corpus optimum (0.05) lies inside.
* ``svm-rbf``: C ∈ {0.1, 1, 10, 100} × gamma ∈ {0.1/d, 1/d, 10/d} (d features; 1/d is sklearn's
  ``"scale"`` for standardised features).
* ``mlp``: weight_decay (the L2 strength Shilandari et al. do not give) ∈ {1e-5, 1e-4, 1e-3}.

Ties go to the first grid value (GridSearchCV's rule), i.e. the strongest regularisation.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from labkit.errors import LabkitError


class ClassifierInputError(LabkitError, ValueError, TypeError):
    """Data a classifier refuses: a `LabkitError` (exit 2), and the ``ValueError`` / ``TypeError`` scikit-learn raises."""


CLASSIFIERS = ["svm-linear", "svm-rbf", "mlp"]

# Hyperparameter grids of --tune (see the module docstring). Strings "k/d" are k / n_features.
TUNING_GRIDS: dict[str, dict[str, list]] = {
    "svm-linear": {"C": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]},
    "svm-rbf": {"C": [0.1, 1.0, 10.0, 100.0], "gamma": ["0.1/d", "1/d", "10/d"]},
    "mlp": {"weight_decay": [1e-5, 1e-4, 1e-3]},
}
TUNING_GRIDS["dnn-torch"] = TUNING_GRIDS["mlp"]  # the same DNN (labkit.experiment.torch_dnn)
INNER_FOLDS = 3  # inner speaker-independent folds of --tune


@dataclass
class MLPConfig:
    """Defaults of `MLPClassifier` (one place to read them; the estimator's parameters override them)."""

    hidden: int = 800  # units per hidden layer (Shilandari et al.: two layers of 800)
    n_layers: int = 2  # hidden layers
    negative_slope: float = 0.01  # leaky ReLU slope ("leaky ReLU was applied to all the layers")
    weight_decay: float = 1e-4  # L2 penalty (paper: "L2 regulation"; strength not given)
    lr: float = 1e-3  # Adam step (paper: 2e-4 for its networks; see MLPClassifier)
    batch_size: int = 64  # minibatch size
    max_epochs: int = 200  # upper bound; early stopping usually ends far sooner
    patience: int = 10  # epochs without validation improvement before stopping
    val_fraction: float = 0.15  # stratified share of the training fold held out for early stopping


_D = MLPConfig()


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Two hidden layers of 800 leaky-ReLU units, L2 weight decay, Adam, early stopping (torch).

    Follows the DNN of Shilandari et al. (SIVP 2022, Sect. 4.2): two hidden layers of 800 neurons,
    leaky ReLU, Xavier initialisation, Adam, L2 regularisation. Choices where the paper is silent:

    * L2 as Adam's ``weight_decay=1e-4``; leaky slope 0.01 (PyTorch's default).
    * ``lr=1e-3`` rather than the paper's 2e-4 (stated for its GAN networks, decayed every 50 epochs):
      with early stopping on small folds the higher step reaches the same validation loss in a
      fraction of the epochs. ``lr=2e-4`` reproduces the paper's setting.
    * Early stopping: a stratified ``val_fraction`` of the (augmented) training fold is held out; the
      weights with the lowest validation cross-entropy are kept, training stops after ``patience``
      epochs without improvement. The held-out rows come from the training fold only (they may be
      synthetic rows); the test fold is never seen. Classes with fewer than 2 rows stay in training.

    Parameters
    ----------
    hidden, n_layers, negative_slope, weight_decay, lr, batch_size, max_epochs, patience, val_fraction
        See `MLPConfig`.
    random_state : int
        Seeds initialisation, the validation split and the minibatch order.
    device : str, default "auto"
        Torch device; "auto" resolves with `labkit.utils.pick_device` (CUDA when present) at fit time.

    Attributes
    ----------
    classes_ : (n_classes,) labels; net_ : the trained torch network; history_ : per-epoch losses;
    n_epochs_ : epochs run; n_features_in_, feature_names_in_ : what fit saw; device_ : the device used
    """

    _name = "mlp"  # the classifier's registry name, for error messages
    # Upper bounds only catch typos (1e300): no study uses a step above 1 or an L2 strength above 10.
    _parameter_constraints: dict = {
        "hidden": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_layers": [Interval(numbers.Integral, 0, None, closed="left")],
        "negative_slope": [Interval(numbers.Real, 0, 1, closed="both")],
        "weight_decay": [Interval(numbers.Real, 0, 10, closed="both")],
        "lr": [Interval(numbers.Real, 0, 1, closed="right")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "val_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "random_state": [Interval(numbers.Integral, 0, None, closed="left")],
        "device": [str, None],
    }

    def __init__(
        self,
        hidden=_D.hidden,
        n_layers=_D.n_layers,
        negative_slope=_D.negative_slope,
        weight_decay=_D.weight_decay,
        lr=_D.lr,
        batch_size=_D.batch_size,
        max_epochs=_D.max_epochs,
        patience=_D.patience,
        val_fraction=_D.val_fraction,
        random_state=0,
        device="auto",
    ):
        self.hidden = hidden
        self.n_layers = n_layers
        self.negative_slope = negative_slope
        self.weight_decay = weight_decay
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.device = device

    def _build(self, d_in: int, n_classes: int, generator):
        import torch.nn as nn

        layers, width = [], d_in
        for _ in range(self.n_layers):
            layers += [nn.Linear(width, self.hidden), nn.LeakyReLU(self.negative_slope)]
            width = self.hidden
        layers.append(nn.Linear(width, n_classes))
        net = nn.Sequential(*layers)
        for m in net:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight, generator=generator)
                nn.init.zeros_(m.bias)
        return net

    def _val_split(self, y_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Boolean (n,) mask of validation rows: val_fraction of every class with 2+ rows."""
        is_val = np.zeros(len(y_idx), dtype=bool)
        for c in np.unique(y_idx):
            rows = np.flatnonzero(y_idx == c)
            k = int(round(self.val_fraction * len(rows)))
            k = min(k, len(rows) - 1)
            if k > 0:
                is_val[rng.choice(rows, size=k, replace=False)] = True
        return is_val

    def check_params(self) -> "MLPClassifier":
        """`LabkitError` naming any parameter outside its range (called by fit and make_classifier).

        scikit-learn's parameter validation against ``_parameter_constraints`` (type and range; a
        whole-number parameter refuses 2.5 and True), then the device (`labkit.utils.pick_device`).
        """
        for name, value in self.get_params(deep=False).items():
            if isinstance(value, bool) and name != "device":
                raise LabkitError(f"classifier '{self._name}': {name}={value!r} must be a number, not a boolean")
        try:
            self._validate_params()
        except InvalidParameterError as err:
            raise LabkitError(f"classifier '{self._name}': {err}") from None
        if self.device not in (None, "", "auto"):
            from labkit.utils import pick_device

            pick_device(self.device)
        return self

    def fit(self, X, y):
        """Train on X (n, d) numbers (array, DataFrame or lists), y (n,) labels; returns self.

        On CPU, training runs on one thread (restored afterwards): matrices this small gain nothing
        from more, and the comparison runner already runs one task per core.
        """
        import torch

        self.check_params()
        try:
            X, y = validate_data(self, X, y, dtype=np.float32, accept_sparse=False)
            check_classification_targets(y)  # "Unknown label type" for a continuous y
        except (ValueError, TypeError) as err:
            raise ClassifierInputError(f"classifier '{self._name}': {err}") from None

        threads = torch.get_num_threads()
        try:
            if pick_device_str(self.device) == "cpu":
                torch.set_num_threads(1)
            return self._fit(X, y)
        finally:
            torch.set_num_threads(threads)

    def _fit(self, X, y):
        import torch
        import torch.nn.functional as F

        from labkit.utils import pick_device

        # X (n, d) float32 and y (n,) as `fit` validated them
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ClassifierInputError(
                f"MLPClassifier: need at least 2 classes, got 1 class ({self.classes_.tolist()})"
            )
        device = pick_device(self.device)
        self.device_ = str(device)
        rng = np.random.default_rng(self.random_state)
        gen = torch.Generator().manual_seed(int(self.random_state))
        net = self._build(X.shape[1], len(self.classes_), gen).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)

        is_val = self._val_split(y_idx, rng) if self.val_fraction > 0 else np.zeros(len(y), dtype=bool)
        X_tr = torch.tensor(X[~is_val], device=device)  # (n_tr, d)
        y_tr = torch.tensor(y_idx[~is_val], dtype=torch.long, device=device)  # (n_tr,)
        X_va = torch.tensor(X[is_val], device=device)  # (n_va, d)
        y_va = torch.tensor(y_idx[is_val], dtype=torch.long, device=device)

        best_loss, best_state, bad_epochs = float("inf"), None, 0
        self.history_ = []
        for epoch in range(self.max_epochs):
            # ---- train one epoch
            net.train()
            order = torch.randperm(len(X_tr), generator=gen).to(device)
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                loss = F.cross_entropy(net(X_tr[batch]), y_tr[batch])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(batch)
            train_loss = total / len(order)
            # ---- early stopping on the validation rows (or the training loss when there are none)
            if len(X_va):
                net.eval()
                with torch.no_grad():
                    val_loss = float(F.cross_entropy(net(X_va), y_va))
            else:
                val_loss = train_loss
            self.history_.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
            if val_loss < best_loss - 1e-6:
                best_loss, bad_epochs = val_loss, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                bad_epochs += 1
                if bad_epochs >= self.patience:
                    break
        net.load_state_dict(best_state)
        net.eval()
        self.net_ = net
        self.n_epochs_ = epoch + 1
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, (n, n_classes) in `classes_` order."""
        import torch

        check_is_fitted(self)
        try:
            X = validate_data(self, X, reset=False, dtype=np.float32, accept_sparse=False)
        except (ValueError, TypeError) as err:
            raise ClassifierInputError(f"classifier '{self._name}': {err}") from None
        X = torch.tensor(X, device=self.device_)  # (n, d); a copy, so read-only input is fine
        with torch.no_grad():
            return torch.softmax(self.net_(X), dim=1).cpu().numpy()

    def predict(self, X) -> np.ndarray:
        """Predicted labels, (n,)."""
        proba = self.predict_proba(X)  # first: NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]


def pick_device_str(device) -> str:
    """The device type `device` resolves to ("cpu", "cuda", ...)."""
    from labkit.utils import pick_device

    return pick_device(device).type


def make_classifier(name: str, random_state: int = 0, **params):
    """A fresh classifier by name (`CLASSIFIERS`); `params` override its defaults.

    Names and values of `params` are checked here: `LabkitError` for an unknown parameter or a value
    out of range (``C=-1``), before anything is fitted.
    """
    from sklearn.svm import SVC

    if name in ("svm-linear", "svm-rbf"):
        bad = sorted(set(params) - set(SVC._get_param_names()))
        if bad:
            raise LabkitError(f"classifier {name!r} (sklearn SVC) has no parameter {', '.join(bad)}")
        kernel = {"kernel": "linear"} if name == "svm-linear" else {"kernel": "rbf", "gamma": "scale"}
        clf = SVC(**{**kernel, "C": 1.0, "random_state": random_state, **params})
        try:
            clf._validate_params()  # scikit-learn's own parameter constraints, without fitting
        except (ValueError, TypeError) as err:  # InvalidParameterError is a ValueError
            raise LabkitError(f"classifier {name!r}: {err}") from None
        return clf
    if name == "mlp":
        bad = sorted(set(params) - set(MLPClassifier._get_param_names()))
        if bad:
            raise LabkitError(f"classifier 'mlp' has no parameter {', '.join(bad)}")
        return MLPClassifier(**{"random_state": random_state, **params}).check_params()
    if name == "dnn-torch":  # the same DNN trained as stacked replicas (labkit.experiment.torch_dnn)
        from labkit.experiment.torch_dnn import TorchDNNClassifier

        bad = sorted(set(params) - set(TorchDNNClassifier._get_param_names()))
        if bad:
            raise LabkitError(f"classifier 'dnn-torch' has no parameter {', '.join(bad)}")
        return TorchDNNClassifier(**{"random_state": random_state, **params}).check_params()
    raise LabkitError(f"unknown classifier {name!r}; choose one of {', '.join(CLASSIFIERS)}")


# --------------------------------------------------------------------------- nested tuning
def tuning_grid(name: str, fixed: dict | None = None) -> dict[str, list]:
    """The grid `--tune` searches for classifier `name`, minus parameters the user fixed (`fixed`)."""
    if name not in TUNING_GRIDS:
        raise LabkitError(f"no tuning grid for classifier {name!r}; grids exist for {', '.join(TUNING_GRIDS)}")
    grid = {k: list(v) for k, v in TUNING_GRIDS[name].items() if k not in (fixed or {})}
    if not grid:
        raise LabkitError(
            f"--tune: every tuned parameter of {name!r} ({', '.join(TUNING_GRIDS[name])}) is fixed "
            "by --clf-param; drop --tune or the --clf-param"
        )
    return grid


def inner_cv(groups: np.ndarray, n_folds: int = INNER_FOLDS):
    """The inner splitter of `tune_pipeline`: GroupKFold over the training fold's speakers."""
    from sklearn.model_selection import GroupKFold

    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise LabkitError(
            f"--tune needs at least 2 training speakers for its inner cross-validation; this "
            f"training fold has {n_groups}"
        )
    return GroupKFold(n_splits=min(n_folds, n_groups))


def _resolve(value, n_features: int):
    """Grid value -> estimator value: "k/d" strings become k / n_features."""
    if isinstance(value, str) and value.endswith("/d"):
        return float(value[:-2]) / n_features
    return value


def tune_pipeline(
    pipeline,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    grid: dict[str, list],
    step: str = "classify",
    refit: bool = True,
    **metadata,
):
    """Choose the hyperparameters of `pipeline`'s step `step` by inner CV, refit, return the result.

    Parameters
    ----------
    pipeline : an unfitted (imblearn) Pipeline: scaler -> augmenter -> classifier
    X : (n, ...) the training fold only; y : (n,) labels; groups : (n,) speaker of each row
    grid : {parameter: [values]} (`tuning_grid`); "k/d" values are k / n_features
    metadata : per-row arrays a step requests through scikit-learn's metadata routing (the oracle
        augmenters' ``speaker`` / ``utterance``); the search slices them per inner fold
    refit : refit the pipeline on all of X with the chosen values (False: only choose; saves one fit
        when the caller fits its own pipelines with them)

    Returns
    -------
    (fitted pipeline, or None without `refit`; chosen {parameter: grid value}; inner-CV UAR of the chosen values)
    """
    from sklearn.model_selection import GridSearchCV

    X = np.asarray(X)
    n_features = int(np.prod(X.shape[1:]))
    labels = {k: list(v) for k, v in grid.items()}
    resolved = {f"{step}__{k}": [_resolve(v, n_features) for v in vals] for k, vals in labels.items()}
    search = GridSearchCV(
        pipeline, resolved, scoring="balanced_accuracy", cv=inner_cv(groups), refit=refit, n_jobs=1, error_score="raise"
    )
    if metadata:
        import sklearn

        with sklearn.config_context(enable_metadata_routing=True):
            search.fit(X, y, groups=groups, **metadata)
    else:
        search.fit(X, y, groups=groups)
    chosen = {}
    for k, vals in labels.items():
        value = search.best_params_[f"{step}__{k}"]
        chosen[k] = vals[[_resolve(v, n_features) for v in vals].index(value)]
    return (search.best_estimator_ if refit else None), chosen, float(search.best_score_)


def tune_on_real(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    random_state: int = 0,
    classifier_params: dict | None = None,
) -> tuple[dict, dict]:
    """Hyperparameters of classifier `name` chosen on a training fold's *real* rows, for reuse.

    For experiments whose generators are too costly to retrain in every inner fold (the Sahu and
    Shilandari reproductions): an inner speaker-grouped CV (`inner_cv`) of scaler -> classifier on
    the real training rows X (n, d) picks from `tuning_grid(name)`; every training set of that fold
    and feature space (real, augmented, synthetic) is then classified with the same values. The
    test fold is never seen; the augmenters are kept out of the search, so the values are the real
    data's best, the same for every method (a fair comparison, not each method's own optimum).

    Returns (estimator parameters for `make_classifier`, a JSON-able record: the grid values as
    written in `TUNING_GRIDS` plus ``inner_uar``).
    """
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.asarray(X)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", make_classifier(name, random_state=random_state, **(classifier_params or {}))),
        ]
    )
    _, chosen, inner = tune_pipeline(pipe, X, y, groups, tuning_grid(name, fixed=classifier_params), refit=False)
    params = {k: _resolve(v, int(np.prod(X.shape[1:]))) for k, v in chosen.items()}
    return params, {**chosen, "inner_uar": inner}


def tuned_records(tasks) -> list[dict]:
    """The non-empty ``tuned`` records of a task table (dicts, or JSON text as the run store keeps them);
    [] for an untuned run."""
    import json

    if "tuned" not in tasks.columns:
        return []
    records = (json.loads(v) if isinstance(v, str) else v for v in tasks["tuned"])
    return [r for r in records if isinstance(r, dict) and r]


def chosen_summary(records: list[dict]) -> str:
    """How often each value was chosen over folds: ``"C 1.0 ×6, 10.0 ×4; gamma 1/d ×10"`` (records from
    `tune_on_real`; ``inner_uar`` is left out)."""
    from collections import Counter

    params = list(dict.fromkeys(k for r in records for k in r if k != "inner_uar"))
    parts = []
    for p in params:
        counts = Counter(str(r[p]) for r in records if p in r)
        parts.append(f"{p} " + ", ".join(f"{v} ×{n}" for v, n in counts.most_common()))
    return "; ".join(parts)
