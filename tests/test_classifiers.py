"""Classifiers: SVMs by name and the torch MLP (Shilandari et al.'s DNN) as a scikit-learn estimator.

The peers' suite is first: every classifier through scikit-learn's own estimator checks (what
``parametrize_with_checks`` runs), except the checks in `EXEMPT`, the one list of those that do not
apply, each with its reason; `test_the_skips_are_exactly_the_exemption_list` holds pytest's
"N skipped" to it.
"""

from functools import partial

import numpy as np
import pytest
import torch
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator

from labkit.augment import make_augmenter
from labkit.errors import LabkitError
from labkit.experiment.classifiers import CLASSIFIERS, MLPClassifier, make_classifier
from labkit.utils import pick_device

SMALL = dict(hidden=32, max_epochs=60, patience=5, batch_size=32)  # fast settings for tests

# ---------------------------------------------------------------------------- scikit-learn's checks
# The checks fit each classifier about 60 times: the MLP at a small size (lr 1e-2 reaches the
# accuracy check_classifiers_train asks for, > 0.83, within 30 epochs), on the CPU (several checks
# compare two fits row for row, which CUDA's non-deterministic kernels do not promise).
PEER_PARAMS = {"mlp": dict(hidden=16, max_epochs=30, patience=5, lr=1e-2, batch_size=32, device="cpu")}
_SVC_WEIGHTS = (
    "sklearn.svm.SVC fails it as well, and scikit-learn lists it as an expected failure of its own SVC: "
    "libsvm scales C per sample, which is not the same as repeating rows"
)
# (classifier or "*", check) -> why the check does not apply. The ONE place checks are skipped.
EXEMPT: dict[tuple[str, str], str] = {
    ("svm-linear", "check_sample_weight_equivalence_on_dense_data"): _SVC_WEIGHTS,
    ("svm-linear", "check_sample_weight_equivalence_on_sparse_data"): _SVC_WEIGHTS,
    ("svm-rbf", "check_sample_weight_equivalence_on_dense_data"): _SVC_WEIGHTS,
    ("svm-rbf", "check_sample_weight_equivalence_on_sparse_data"): _SVC_WEIGHTS,
    ("*", "check_array_api_input"): "runs only when SCIPY_ARRAY_API=1 is set before scipy is imported "
    "(scikit-learn skips it otherwise); labkit claims no array-API support",
}


def _check_name(check) -> str:
    return (check.func if isinstance(check, partial) else check).__name__


def _cases():
    cases = []
    for name in CLASSIFIERS:
        est = make_classifier(name, random_state=0, **PEER_PARAMS.get(name, {}))
        for e, check in estimator_checks_generator(est, legacy=True):
            c = _check_name(check)
            reason = EXEMPT.get((name, c)) or EXEMPT.get(("*", c))
            kw = ",".join(f"{k}={v}" for k, v in getattr(check, "keywords", {}).items())
            cases.append((name, c + (f"({kw})" if kw else ""), c, e, check, reason))
    return cases


CASES = _cases()
PARAMS = [
    pytest.param(e, check, marks=[pytest.mark.skip(reason=f"{name}: {reason}")] if reason else [], id=f"{name}-{label}")
    for name, label, _, e, check, reason in CASES
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # the checks' tiny data: convergence and torch notes
@pytest.mark.parametrize("estimator, check", PARAMS)
def test_sklearn_estimator_check(estimator, check):
    check(estimator)


def test_the_skips_are_exactly_the_exemption_list(capsys):
    """Every exemption names a check that is yielded, and every skip above comes from one."""
    for (name, check), reason in EXEMPT.items():
        assert any((n == name or name == "*") and c == check for n, _, c, *_ in CASES), (name, check)
        assert len(reason) > 20
    skipped = [case for case in CASES if case[-1]]
    with capsys.disabled():
        print(
            f"\nclassifier checks: {len(CASES)} (classifier, check) pairs, {len(skipped)} skipped by {len(EXEMPT)} exemptions"
        )
    for name in CLASSIFIERS:
        ran = [c for n, _, c, *_, reason in CASES if n == name and not reason]
        assert len(ran) >= 50, (name, len(ran))  # the MLP is held to the suite, not exempted from it
    # what pytest reports as skipped: the cases carrying a skip mark, which are the exemption list expanded
    expanded = {(n, c) for n, _, c, *_ in CASES for e_name, e_check in EXEMPT if e_name in (n, "*") and e_check == c}
    marked = [(n, c) for (n, _, c, *_), p in zip(CASES, PARAMS) if any(m.name == "skip" for m in p.marks)]
    assert {(n, c) for n, c in marked} == expanded and len(marked) == len(skipped)


def test_mlp_refusals_are_labkit_errors_with_scikit_learns_messages():
    X, y = _blobs(n_per=5)
    with pytest.raises(LabkitError, match="Unknown label type") as err:
        MLPClassifier(**SMALL).fit(X, np.linspace(0, 1, len(X)))
    assert isinstance(err.value, ValueError)
    with pytest.raises(LabkitError, match="NaN"):
        MLPClassifier(**SMALL).fit(np.full_like(X, np.nan), y)
    clf = MLPClassifier(random_state=0, **SMALL).fit(X, y)
    with pytest.raises(LabkitError, match="X has 3 features, but MLPClassifier is expecting 8"):
        clf.predict(X[:, :3])
    for bad in ({"hidden": 2.5}, {"lr": float("nan")}, {"lr": 1e300}, {"max_epochs": True}, {"val_fraction": 1.0}):
        with pytest.raises(LabkitError, match=next(iter(bad))):
            make_classifier("mlp", **bad)


def test_mlp_keeps_the_feature_names_of_a_dataframe():
    import pandas as pd

    X, y = _blobs()
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = MLPClassifier(random_state=0, **SMALL).fit(df, y)
    assert list(clf.feature_names_in_) == list(df.columns) and clf.n_features_in_ == 8
    assert (clf.predict(df) == y).mean() > 0.9


# ---------------------------------------------------------------------------- labkit's own checks


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


def test_tune_pipeline_without_refit_only_chooses():
    """refit=False (compare's per-fold choice on real rows) picks the same values and fits nothing more."""
    from labkit.experiment.classifiers import tune_pipeline, tuning_grid
    from labkit.experiment.toy import toy_features

    meta, X = toy_features(n_speakers=4, n_per=5, dim=6, seed=4)
    y, groups = meta["emotion"].to_numpy(), meta["speaker"].astype(str).to_numpy()

    def pipe():
        return Pipeline([("scale", StandardScaler()), ("classify", make_classifier("svm-linear"))])

    grid = tuning_grid("svm-linear")
    fitted, chosen, inner = tune_pipeline(pipe(), X, y, groups, grid)
    none, chosen_only, inner_only = tune_pipeline(pipe(), X, y, groups, grid, refit=False)
    assert none is None and fitted is not None
    assert chosen_only == chosen and inner_only == inner and chosen["C"] in grid["C"]
