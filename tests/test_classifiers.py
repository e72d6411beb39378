"""Classifiers: SVMs by name and the torch MLP (Shilandari et al.'s DNN) as a scikit-learn estimator."""

import numpy as np
import pytest
import torch
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from labkit.augment import make_augmenter
from labkit.errors import LabkitError
from labkit.experiment.classifiers import CLASSIFIERS, MLPClassifier, make_classifier
from labkit.utils import pick_device

SMALL = dict(hidden=32, max_epochs=60, patience=5, batch_size=32)  # fast settings for tests


def _blobs(n_per=40, dim=8, seed=0, labels=("anger", "joy", "sad")):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(labels), n_per)
    centers = 3.0 * rng.normal(size=(len(labels), dim))
    X = centers[np.repeat(np.arange(len(labels)), n_per)] + rng.normal(size=(len(y), dim))
    return X.astype(np.float32), y


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_every_classifier_learns_separable_data(name):
    X, y = _blobs()
    Xt, yt = _blobs(n_per=20, seed=0)  # same centres, new noise
    Xt = Xt + np.random.default_rng(5).normal(scale=0.1, size=Xt.shape).astype(np.float32)
    params = SMALL if name == "mlp" else {}
    clf = make_classifier(name, random_state=0, **params).fit(X, y)
    assert (clf.predict(Xt) == yt).mean() > 0.9
    assert clone(clf).get_params() == clf.get_params()


def test_unknown_names_and_parameters():
    with pytest.raises(LabkitError, match="unknown classifier"):
        make_classifier("forest")
    with pytest.raises(LabkitError, match="gamma2"):
        make_classifier("svm-rbf", gamma2=1)
    with pytest.raises(LabkitError, match="units"):
        make_classifier("mlp", units=3)


def test_mlp_default_architecture_is_two_hidden_layers_of_800_leaky_relu():
    X, y = _blobs(n_per=10)
    clf = MLPClassifier(max_epochs=1, random_state=0).fit(X, y)
    linears = [m for m in clf.net_ if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(8, 800), (800, 800), (800, 3)]
    assert sum(isinstance(m, torch.nn.LeakyReLU) for m in clf.net_) == 2
    assert clf.device_ == str(pick_device())  # CUDA when present, else CPU


def test_mlp_is_seeded_and_outputs_probabilities():
    X, y = _blobs()
    a = MLPClassifier(random_state=3, **SMALL).fit(X, y)
    b = MLPClassifier(random_state=3, **SMALL).fit(X, y)
    assert np.allclose(a.predict_proba(X), b.predict_proba(X))
    p = a.predict_proba(X[:5])
    assert p.shape == (5, 3) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert set(a.predict(X)) <= {"anger", "joy", "sad"}


def test_mlp_early_stopping_stops_and_keeps_the_best_epoch():
    X, y = _blobs(n_per=30)
    clf = MLPClassifier(random_state=0, hidden=32, max_epochs=500, patience=3, lr=1e-2).fit(X, y)
    assert clf.n_epochs_ < 500
    best = min(h["val_loss"] for h in clf.history_)
    assert clf.history_[-1]["val_loss"] >= best  # training went on past the best epoch, then stopped
    assert len(clf.history_) == clf.n_epochs_


def test_mlp_ends_an_imblearn_pipeline_with_an_augmenter():
    X, y = _blobs()
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("augment", make_augmenter("smote", sampling_strategy=1.0, random_state=0)),
            ("classify", MLPClassifier(random_state=0, **SMALL)),
        ]
    )
    pipe.fit(X, y)
    assert (pipe.predict(X) == y).mean() > 0.9


def test_mlp_refuses_one_class():
    X, y = _blobs(n_per=5)
    with pytest.raises(LabkitError, match="2 classes"):
        MLPClassifier(**SMALL).fit(X[:5], y[:5])
