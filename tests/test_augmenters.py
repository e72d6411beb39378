"""The common augmenter suite: every registered augmenter goes through the same checks.

A model augmenter registered later (AAEC, conditional GAN, ...) is picked up automatically; one that
is too slow for these tiny checks can lower its budget with `FAST_PARAMS`. imbalanced-learn's own
sampler checks, run over every augmenter too, are in tests/test_peer_checks.py.
"""

import importlib.util

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from labkit.augment import AUGMENTERS, augmenter_class, make_augmenter, register_augmenter
from labkit.augment.base import Augmenter
from labkit.errors import LabkitError

# The tiny classes here are far apart: SMOTE's reduced k and ADASYN's fallback warn by design.
pytestmark = pytest.mark.filterwarnings("ignore:.*(using SMOTE|using k=).*:UserWarning")

# Augmenters wrapping an optional extra: skipped, with the reason, when its package is not installed.
OPTIONAL_PACKAGES: dict[str, str] = {"ctgan": "ctgan"}


def _param(name):
    pkg = OPTIONAL_PACKAGES.get(name)
    missing = pkg is not None and importlib.util.find_spec(pkg) is None
    return pytest.param(name, marks=pytest.mark.skipif(missing, reason=f"optional package {pkg!r} not installed"))


NAMES = [_param(n) for n in sorted(AUGMENTERS)]
# Small budgets for iterative generators so the suite stays fast: {name: {param: value}}.
FAST_PARAMS: dict[str, dict] = {
    "aaec": {"iterations": 1},
    "gan2d": {"aae_epochs": 2, "gan_epochs": 2},
    "cgan": {"epochs": 2, "aae_epochs": 2},
    "ctgan": {"epochs": 1},
    # the cycle-GANs translate a source class ("neutral"); here "a" plays it
    "cyclegan": {"neutral": "a", "epochs": 1, "pretrain_epochs": 1, "cls_epochs": 1, "hidden": 16},
    "cyclegan-w": {"neutral": "a", "epochs": 1, "pretrain_epochs": 1, "cls_epochs": 1, "hidden": 16},
}
# Budgets for the one check of sample quality (samples near their own class): a generator must have
# trained a little before its samples can be judged.
QUALITY_PARAMS: dict[str, dict] = {
    "aaec": {"iterations": 40},
    "gan2d": {"aae_epochs": 150, "gan_epochs": 150, "batch_size": 8},
    "cgan": {"epochs": 100, "aae_epochs": 100, "batch_size": 8},
    # one conditional CTGAN does not learn 10-row classes in a test budget
    # (labkit.augment.ctgan); one CTGAN per class keeps each class's modes
    "ctgan": {"per_class": True},
    # the paper's lr 2e-4 needs hundreds of epochs to move rows 8 units; 1e-3 needs 60
    "cyclegan": {"epochs": 60, "pretrain_epochs": 5, "cls_epochs": 30, "hidden": 32, "batch_size": 8, "lr": 1e-3},
    "cyclegan-w": {"epochs": 60, "pretrain_epochs": 5, "cls_epochs": 30, "hidden": 32, "batch_size": 8, "lr": 1e-3},
}


def _make(name, **params):
    cls = augmenter_class(name)
    fast = {k: v for k, v in FAST_PARAMS.get(name, {}).items() if k in cls._get_param_names()}
    return make_augmenter(name, **{**fast, **params})


def _data(counts=(12, 8, 5), dim=6, seed=0, kind="vector"):
    """Well separated classes 'a', 'b', 'c' with the given sizes: X (n, dim) float32, y (n,) str.

    kind="frames" gives spectrogram-like X (n, 4, dim): each sample's vector over 4 noisy frames.
    """
    rng = np.random.default_rng(seed)
    X, y = [], []
    for i, n in enumerate(counts):
        X.append(rng.normal(size=(n, dim)) + 6.0 * np.eye(dim)[i])
        y += ["abc"[i]] * n
    X = np.concatenate(X).astype(np.float32)
    if kind == "frames":
        X = (X[:, None, :] + 0.1 * rng.normal(size=(len(X), 4, dim))).astype(np.float32)  # (n, T=4, dim)
    return X, np.array(y)


def _data_for(name, **kw):
    """`_data` in the input form the augmenter takes (vectors or frames).

    Waveform augmenters (``needs_audio``) make their rows from audio files, so these feature-row
    checks do not apply to them; tests/test_workflow_waveform.py checks them on real audio.
    """
    if getattr(augmenter_class(name), "needs_audio", False):
        pytest.skip("waveform augmenter: needs audio, checked in tests/test_workflow_waveform.py")
    if getattr(augmenter_class(name), "needs_corpus", False):
        pytest.skip("oracle: draws from the synthesizer of a synthetic corpus, checked in tests/test_oracle.py")
    return _data(kind="frames" if augmenter_class(name).input_kind == "frames" else "vector", **kw)


def _flat(X):
    return X.reshape(len(X), -1)  # (n, ...) -> (n, d)


def _counts(y):
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist()))


@pytest.mark.parametrize("name", NAMES)
def test_init_stores_parameters_only_and_clone_works(name):
    aug = _make(name, random_state=3)
    params = aug.get_params()
    assert set(vars(aug)) == set(params)  # nothing but the parameters, no fitted state
    assert not [k for k in vars(aug) if k.endswith("_")]
    twin = clone(aug)
    assert twin.get_params() == params and twin is not aug
    assert type(aug)(**params).get_params() == params  # get_params round trip


@pytest.mark.parametrize("name", NAMES)
def test_fit_resample_in_an_imblearn_pipeline(name):
    X, y = _data_for(name)
    if X.ndim == 3:  # frame augmenters come first; the classifier sees flattened frames
        pipe = Pipeline(
            [("augment", _make(name, random_state=0)), ("flat", FunctionTransformer(_flat)), ("clf", SVC())]
        )
    else:
        pipe = Pipeline([("scale", StandardScaler()), ("augment", _make(name, random_state=0)), ("clf", SVC())])
    pipe.fit(X, y)
    assert (pipe.predict(X) == y).mean() > 0.9
    fitted = pipe.named_steps["augment"]
    assert hasattr(fitted, "classes_") and fitted.n_synthetic_ == (0 if name == "none" else 12 * 3 - 25)


@pytest.mark.parametrize("name", NAMES)
def test_output_real_rows_first_dtype_and_labels(name):
    X, y = _data_for(name)
    X_res, y_res = _make(name, sampling_strategy=1.0, random_state=0).fit_resample(X, y)
    assert X_res.dtype == np.float32 and X_res.shape[1:] == X.shape[1:]
    assert len(X_res) == len(y_res)
    assert np.array_equal(X_res[: len(X)], X) and np.array_equal(y_res[: len(y)], y)
    assert set(y_res.tolist()) <= set(y.tolist())
    assert np.all(np.isfinite(X_res))


@pytest.mark.parametrize("name", NAMES)
def test_amount_semantics(name):
    X, y = _data_for(name)
    real = _counts(y)
    expect = {
        1.0: {c: 2 * n for c, n in real.items()},
        0.5: {c: n + round(0.5 * n) for c, n in real.items()},
        "balance": {c: 12 for c in real},
        0.0: real,
    }
    for amount, want in expect.items():
        _, y_res = _make(name, sampling_strategy=amount, random_state=0).fit_resample(X, y)
        assert _counts(y_res) == (real if name == "none" else want), amount
    _, y_res = _make(name, sampling_strategy={"c": 9}, random_state=0).fit_resample(X, y)
    assert _counts(y_res) == (real if name == "none" else {**real, "c": 9})


@pytest.mark.parametrize("name", NAMES)
def test_synthetic_samples_belong_to_their_class(name):
    if not augmenter_class(name).generates:
        pytest.skip("adds nothing")
    X, y = _data_for(name, counts=(10, 10, 10))
    aug = _make(name, sampling_strategy=2.0, random_state=0, **QUALITY_PARAMS.get(name, {}))
    X_res, y_res = aug.fit_resample(X, y)
    X, X_res = _flat(X), _flat(X_res)
    means = np.stack([X[y == c].mean(axis=0) for c in "abc"])  # (3, d)
    X_new, y_new = X_res[len(X) :], y_res[len(X) :]
    nearest = np.array(list("abc"))[np.argmin(((X_new[:, None] - means[None]) ** 2).sum(-1), axis=1)]
    assert (nearest == y_new).mean() > 0.9


@pytest.mark.parametrize("name", NAMES)
def test_random_state_makes_it_repeatable(name):
    X, y = _data_for(name)
    a = _make(name, random_state=7).fit_resample(X, y)[0]
    b = _make(name, random_state=7).fit_resample(X, y)[0]
    assert np.array_equal(a, b)
    if augmenter_class(name).generates and name != "ros":
        c = _make(name, random_state=8).fit_resample(X, y)[0]
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", NAMES)
def test_sample_counts(name):
    X, y = _data_for(name)
    aug = _make(name, random_state=0)
    with pytest.raises(LabkitError, match="not fitted"):
        aug.sample(3)
    aug.fit(X, y)
    X_new, y_new = aug.sample({"a": 4, "c": 7})
    if not aug.generates:
        assert X_new.shape == (0, *X.shape[1:]) and len(y_new) == 0
        return
    assert _counts(y_new) == {"a": 4, "c": 7}
    assert X_new.shape == (11, *X.shape[1:]) and X_new.dtype == np.float32
    X_new, y_new = aug.sample(5)
    assert _counts(y_new) == {"a": 5, "b": 5, "c": 5}
    with pytest.raises(LabkitError, match="'z'"):
        aug.sample({"z": 1})


@pytest.mark.parametrize("name", NAMES)
def test_too_small_class_gives_a_clear_error(name):
    cls = augmenter_class(name)
    X, y = _data_for(name, counts=(10, 10, cls.min_class_size - 1 or 1))
    aug = _make(name, sampling_strategy=1.0, random_state=0)
    if cls.min_class_size <= 1:
        aug.fit_resample(X, y)  # a single sample per class is enough for this method
        return
    with pytest.raises(LabkitError, match=r"class 'c' has only 1 training sample"):
        aug.fit_resample(X, y)


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_refused(name):
    X, y = _data_for(name)
    with pytest.raises(LabkitError):
        _make(name, random_state=0).fit_resample(X, y[:-1])
    with pytest.raises(LabkitError):
        _make(name, random_state=0).fit_resample(np.full_like(X, np.nan), y)
    if augmenter_class(name).input_kind == "vector":
        with pytest.raises(LabkitError, match="shape"):
            _make(name, random_state=0).fit_resample(X[:, :, None], y)
    if augmenter_class(name).generates:
        with pytest.raises(LabkitError, match="sampling_strategy"):
            _make(name, sampling_strategy=-1.0).fit_resample(X, y)
        with pytest.raises(LabkitError, match="sampling_strategy"):
            _make(name, sampling_strategy="more").fit_resample(X, y)
        with pytest.raises(LabkitError, match="fewer"):
            _make(name, sampling_strategy={"a": 2}).fit_resample(X, y)


def test_smote_reduces_k_for_a_small_class():
    X, y = _data(counts=(10, 10, 3))
    with pytest.warns(UserWarning, match="using k=2"):
        aug = make_augmenter("smote", k_neighbors=5, random_state=0)
        _, y_res = aug.fit_resample(X, y)
    assert _counts(y_res)["c"] == 10 and aug.k_used_["c"] == 2


def test_adasyn_on_overlapping_classes_gives_exact_counts_without_fallback(recwarn):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4)).astype(np.float32)  # three overlapping classes: ADASYN's own path
    y = np.array(["a"] * 30 + ["b"] * 20 + ["c"] * 10)
    aug = make_augmenter("adasyn", sampling_strategy="balance", random_state=0)
    _, y_res = aug.fit_resample(X, y)
    assert _counts(y_res) == {"a": 30, "b": 30, "c": 30}
    assert not [w for w in recwarn if "using SMOTE" in str(w.message)]


def test_noise_scale_controls_the_spread():
    X, y = _data(counts=(50, 50, 50))
    spread = []
    for scale in (0.05, 0.5):
        aug = make_augmenter("noise", scale=scale, sampling_strategy=1.0, random_state=0).fit(X, y)
        X_new, _ = aug.sample({"a": 200})
        d2 = ((X_new[:, None] - X[y == "a"][None]) ** 2).sum(-1)  # (200, 50)
        spread.append(np.sqrt(d2.min(axis=1)).mean())  # distance to the closest real row
    assert spread[1] > 5 * spread[0]


def test_registry_errors():
    with pytest.raises(LabkitError, match="unknown augmenter 'gan9'"):
        make_augmenter("gan9")
    with pytest.raises(LabkitError, match="k_neighbours"):
        make_augmenter("smote", k_neighbours=3)
    with pytest.raises(LabkitError, match="module:Class"):
        register_augmenter("x", "no.colon")


class Iterative(Augmenter):
    """A stand-in iterative generator: moves class means towards the data, recording as it goes."""

    def __init__(self, sampling_strategy="balance", n_iter=6, record_every=0, random_state=None):
        self.sampling_strategy = sampling_strategy
        self.n_iter = n_iter
        self.record_every = record_every
        self.random_state = random_state

    def _fit(self, X, y):
        self.means_ = {c: np.zeros(X.shape[1]) for c in self.classes_}
        for it in range(1, self.n_iter + 1):
            for c in self.classes_:
                self.means_[c] += 0.5 * (X[y == c].mean(axis=0) - self.means_[c])
            self._log(it, loss=float(sum(np.abs(X[y == c].mean(0) - m).sum() for c, m in self.means_.items())))
            if self._should_record(it):
                X_s, y_s = self._generate({c: 2 for c in self.classes_})
                self._record_snapshot(it, X_s, y_s, origin=np.full(len(y_s), "noise"))

    def _generate(self, n_per_class):
        X = np.concatenate(
            [self.means_[c] + self._rng_.normal(size=(k, len(self.means_[c]))) for c, k in n_per_class.items()]
        )
        return X, np.concatenate([np.full(k, c) for c, k in n_per_class.items()])


def test_iterative_generators_record_snapshots_and_history():
    X, y = _data()
    seen = []
    aug = Iterative(record_every=2, random_state=0).set_recorder(lambda kind, rec: seen.append(kind))
    aug.fit_resample(X, y)
    assert [s["iteration"] for s in aug.snapshots_] == [2, 4, 6]
    snap = aug.snapshots_[0]
    assert snap["X"].shape == (6, X.shape[1]) and snap["y"].shape == (6,) and set(snap["origin"]) == {"noise"}
    assert [h["iteration"] for h in aug.history_] == [1, 2, 3, 4, 5, 6]
    assert aug.history_[-1]["loss"] < aug.history_[0]["loss"]
    assert seen.count("snapshot") == 3 and seen.count("history") == 6
    assert "_recorder" not in clone(aug).__dict__  # the callback is not a parameter
    quiet = Iterative(record_every=0, random_state=0).fit(X, y)
    assert quiet.snapshots_ == [] and len(quiet.history_) == 6
