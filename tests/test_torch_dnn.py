"""``dnn-torch``: labkit's DNN trained as stacked replicas (labkit.experiment.torch_dnn).

scikit-learn's estimator checks as tests/test_classifiers.py runs them for ``mlp``; a replica of
`fit_many` equals its separate fit; the same seed gives ``mlp``'s network.
"""

from functools import partial

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import estimator_checks_generator

from labkit.errors import LabkitError
from labkit.experiment.classifiers import TUNING_GRIDS, make_classifier, tune_on_real
from labkit.experiment.torch_dnn import TorchDNNClassifier, fit_many

# the settings test_classifiers.py gives ``mlp`` for scikit-learn's checks (small, CPU, lr 1e-2)
PEER = dict(hidden=16, max_epochs=30, patience=5, lr=1e-2, batch_size=32, device="cpu")
SMALL = dict(hidden=32, max_epochs=12, patience=4, batch_size=32, device="cpu")
EXEMPT = {
    "check_array_api_input": "runs only when SCIPY_ARRAY_API=1 is set before scipy is imported; "
    "labkit claims no array-API support (the same exemption as test_classifiers.py)"
}


def _name(check) -> str:
    return (check.func if isinstance(check, partial) else check).__name__


def _params():
    est = make_classifier("dnn-torch", random_state=0, **PEER)
    out = []
    for e, check in estimator_checks_generator(est, legacy=True):
        name = _name(check)
        kw = ",".join(f"{k}={v}" for k, v in getattr(check, "keywords", {}).items())
        marks = [pytest.mark.skip(reason=EXEMPT[name])] if name in EXEMPT else []
        out.append(pytest.param(e, check, marks=marks, id=name + (f"({kw})" if kw else "")))
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("estimator, check", _params())
def test_sklearn_estimator_check(estimator, check):
    check(estimator)


def _data(n=240, d=20, k=4, seed=0):
    X, y = make_classification(n, d, n_informative=8, n_classes=k, random_state=seed)
    return X.astype(np.float32), y


def test_same_seed_same_network_as_mlp():
    """Same draws (weights, split, batch orders) and the same Adam steps as ``mlp``: float rounding apart."""
    X, y = _data()
    a = make_classifier("mlp", random_state=3, **SMALL).fit(X, y)
    b = make_classifier("dnn-torch", random_state=3, **SMALL).fit(X, y)
    assert a.n_epochs_ == b.n_epochs_
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-3)
    assert [h["epoch"] for h in a.history_] == [h["epoch"] for h in b.history_]
    np.testing.assert_allclose([h["val_loss"] for h in a.history_], [h["val_loss"] for h in b.history_], rtol=1e-4)


def test_a_replica_equals_its_separate_fit():
    """Folds of different sizes, several L2 strengths and seeds, one stacked network."""
    X, y = _data(n=300)
    folds = [np.arange(300) % 3 != f for f in range(3)]
    Xs, ys = [X[m][: 200 - 17 * i] for i, m in enumerate(folds)], [y[m][: 200 - 17 * i] for i, m in enumerate(folds)]
    wds, seeds = [1e-5, 1e-4, 1e-3], [0, 1, 2]
    kw = dict(SMALL, patience=2)  # some replicas stop (and leave the stack) before the others
    many = fit_many(Xs, ys, weight_decays=wds, random_states=seeds, **kw)
    for m, Xi, yi, wd, seed in zip(many, Xs, ys, wds, seeds):
        one = TorchDNNClassifier(weight_decay=wd, random_state=seed, **kw).fit(Xi, yi)
        assert m.n_epochs_ == one.n_epochs_ and m.get_params() == one.get_params()
        np.testing.assert_allclose(m.predict_proba(X), one.predict_proba(X), atol=1e-5)
    assert len({m.n_epochs_ for m in many}) >= 1


def test_fit_many_refusals():
    X, y = _data()
    with pytest.raises(LabkitError, match="same number of classes"):
        fit_many([X, X], [y, np.where(y > 1, 1, y)], **SMALL)
    with pytest.raises(LabkitError, match="weight_decays"):
        fit_many([X, X], [y, y], weight_decays=[1e-4], **SMALL)
    with pytest.raises(LabkitError, match="no parameter"):
        make_classifier("dnn-torch", units=3)


def test_registered_with_mlps_grid_and_tunes():
    assert TUNING_GRIDS["dnn-torch"] == TUNING_GRIDS["mlp"]
    X, y = _data(n=180)
    groups = np.arange(180) % 6
    params, record = tune_on_real("dnn-torch", X, y, groups, classifier_params=dict(SMALL, max_epochs=3))
    assert set(params) == {"weight_decay"} and 0 <= record["inner_uar"] <= 1
    est = clone(make_classifier("dnn-torch", **SMALL))
    assert (est.fit(X, y).predict(X) == y).mean() > 0.5
