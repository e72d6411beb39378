"""Classifiers the comparison runner trains on (augmented) training folds: linear/RBF SVM and a torch MLP.

``make_classifier(name, random_state=0, **params)`` with names ``svm-linear``, ``svm-rbf``, ``mlp``.
Every classifier is a scikit-learn estimator (fit / predict, clone-able), so it can end an
imbalanced-learn pipeline.

* ``svm-linear``: ``sklearn.svm.SVC(kernel="linear", C=1.0)``. Shilandari et al. used a linear SVM
  from scikit-learn; the code-vector paper an SVM without details. SVC rather than LinearSVC: the
  same kernel formulation as the RBF variant and no convergence warnings on small folds.
* ``svm-rbf``: ``SVC(kernel="rbf", C=1.0, gamma="scale")``.
* ``mlp``: `MLPClassifier`, the DNN of Shilandari et al. (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from labkit.errors import LabkitError

CLASSIFIERS = ["svm-linear", "svm-rbf", "mlp"]


@dataclass
class MLPConfig:
    """Defaults of `MLPClassifier` (one place to read them; the estimator's parameters override them)."""

    hidden: int = 800               # units per hidden layer (Shilandari et al.: two layers of 800)
    n_layers: int = 2               # hidden layers
    negative_slope: float = 0.01    # leaky ReLU slope ("leaky ReLU was applied to all the layers")
    weight_decay: float = 1e-4      # L2 penalty (paper: "L2 regulation"; strength not given)
    lr: float = 1e-3                # Adam step (paper: 2e-4 for its networks; see MLPClassifier)
    batch_size: int = 64            # minibatch size
    max_epochs: int = 200           # upper bound; early stopping usually ends far sooner
    patience: int = 10              # epochs without validation improvement before stopping
    val_fraction: float = 0.15      # stratified share of the training fold held out for early stopping


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
    """

    def __init__(self, hidden=_D.hidden, n_layers=_D.n_layers, negative_slope=_D.negative_slope,
                 weight_decay=_D.weight_decay, lr=_D.lr, batch_size=_D.batch_size, max_epochs=_D.max_epochs,
                 patience=_D.patience, val_fraction=_D.val_fraction, random_state=0, device="auto"):
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

    def fit(self, X, y):
        """Train on X (n, d) float, y (n,) labels; returns self.

        On CPU, training runs on one thread (restored afterwards): matrices this small gain nothing
        from more, and the comparison runner already runs one task per core.
        """
        import torch

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

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        if X.ndim != 2 or len(X) != len(y):
            raise LabkitError(f"MLPClassifier: X must be (n, d) with len(y) rows, got {X.shape} and {y.shape}")
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise LabkitError(f"MLPClassifier: need at least 2 classes, got {self.classes_.tolist()}")
        device = pick_device(self.device)
        self.device_ = str(device)
        rng = np.random.default_rng(self.random_state)
        gen = torch.Generator().manual_seed(int(self.random_state))
        net = self._build(X.shape[1], len(self.classes_), gen).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)

        is_val = self._val_split(y_idx, rng) if self.val_fraction > 0 else np.zeros(len(y), dtype=bool)
        X_tr = torch.from_numpy(X[~is_val]).to(device)              # (n_tr, d)
        y_tr = torch.from_numpy(y_idx[~is_val]).long().to(device)   # (n_tr,)
        X_va = torch.from_numpy(X[is_val]).to(device)               # (n_va, d)
        y_va = torch.from_numpy(y_idx[is_val]).long().to(device)

        best_loss, best_state, bad_epochs = float("inf"), None, 0
        self.history_ = []
        for epoch in range(self.max_epochs):
            # ---- train one epoch
            net.train()
            order = torch.randperm(len(X_tr), generator=gen).to(device)
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
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
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, (n, n_classes) in `classes_` order."""
        import torch

        X = torch.from_numpy(np.asarray(X, dtype=np.float32)).to(self.device_)  # (n, d)
        with torch.no_grad():
            return torch.softmax(self.net_(X), dim=1).cpu().numpy()

    def predict(self, X) -> np.ndarray:
        """Predicted labels, (n,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def pick_device_str(device) -> str:
    """The device type `device` resolves to ("cpu", "cuda", ...)."""
    from labkit.utils import pick_device

    return pick_device(device).type


def make_classifier(name: str, random_state: int = 0, **params):
    """A fresh classifier by name (`CLASSIFIERS`); `params` override its defaults."""
    from sklearn.svm import SVC

    if name in ("svm-linear", "svm-rbf"):
        bad = sorted(set(params) - set(SVC._get_param_names()))
        if bad:
            raise LabkitError(f"classifier {name!r} (sklearn SVC) has no parameter {', '.join(bad)}")
        kernel = {"kernel": "linear"} if name == "svm-linear" else {"kernel": "rbf", "gamma": "scale"}
        return SVC(**{**kernel, "C": 1.0, "random_state": random_state, **params})
    if name == "mlp":
        bad = sorted(set(params) - set(MLPClassifier._get_param_names()))
        if bad:
            raise LabkitError(f"classifier 'mlp' has no parameter {', '.join(bad)}")
        return MLPClassifier(**{"random_state": random_state, **params})
    raise LabkitError(f"unknown classifier {name!r}; choose one of {', '.join(CLASSIFIERS)}")
