"""The peers' suite: every registered augmenter through imbalanced-learn's own sampler checks.

``imblearn.utils.estimator_checks.estimator_checks_generator`` yields the checks imbalanced-learn runs
on its own samplers (`SMOTE` passes all of them), chosen by the augmenter's tags; labkit adds
imbalanced-learn's ``check_param_validation`` (every parameter constrained, bad values refused with
scikit-learn's message). Every check runs and passes, except those in `EXEMPT`, the one list of
checks that do not apply, each with its reason; they are skipped, and
`test_the_skips_are_exactly_the_exemption_list` holds pytest's "N skipped" to that list.

Model augmenters run at the tiny budgets of `PEER_PARAMS` (the checks judge the interface, not the
samples; tests/test_augmenters.py judges the samples). `check_params` (issue 22: parameter values
refused before anything runs) is tested at the end.
"""

import importlib.util
from functools import partial

import numpy as np
import pytest
from imblearn.utils import estimator_checks as imblearn_checks

from labkit.augment import AUGMENTERS, augmenter_class, check_params, make_augmenter
from labkit.cli import main
from labkit.errors import LabkitError

# The checks' tiny classes meet SMOTE's reduced k and ADASYN's fallback, which warn by design.
pytestmark = pytest.mark.filterwarnings("ignore:.*(using SMOTE|using k=).*:UserWarning")

# Tiny budgets: the checks fit each model augmenter about 20 times on 1000 rows of 20 features. On
# the CPU: several checks compare two fits with the same seed row for row, which CUDA's
# non-deterministic kernels do not promise.
PEER_PARAMS: dict[str, dict] = {
    "aaec": {"iterations": 1, "device": "cpu"},
    "gan2d": {"aae_epochs": 1, "gan_epochs": 1, "batch_size": 256, "device": "cpu"},
    "cgan": {"epochs": 1, "aae_epochs": 1, "batch_size": 256, "device": "cpu"},
    "ctgan": {"epochs": 1, "device": "cpu"},
    # the checks' labels are 0, 1, 2: class 0 plays the cycle-GANs' source class ("neutral")
    **{
        name: dict(neutral=0, epochs=1, pretrain_epochs=1, cls_epochs=1, hidden=8, batch_size=256, device="cpu")
        for name in ("cyclegan", "cyclegan-w")
    },
}

# ---------------------------------------------------------------------------- the exemption list
# (augmenter or "*", check or "*") -> why the check does not apply. The ONE place checks are skipped.
OPTIONAL_PACKAGES = {"ctgan": "ctgan"}
EXEMPT: dict[tuple[str, str], str] = {
    **{
        (name, "*"): "waveform augmenters make their rows from audio files, not from feature rows; "
        "tested on audio in tests/test_workflow_waveform.py"
        for name in AUGMENTERS
        if getattr(augmenter_class(name), "needs_audio", False)
    },
    **{
        (name, "*"): "oracle augmenters draw new utterances from the synthesizer of a synthetic corpus "
        "(source=...), which imbalanced-learn's random tables have not; tests/test_oracle.py holds them to "
        "labkit's common augmenter checks on a synthetic corpus instead"
        for name in AUGMENTERS
        if getattr(augmenter_class(name), "needs_corpus", False)
    },
    ("aaec", "*"): "AAEC takes spectrogram frames (n, T, F) (tags: three_d_array, not two_d_array) and "
    "imbalanced-learn's checks feed 2-D tables; tests/test_augmenters.py runs labkit's suite on frames",
    **{
        (name, "*"): f"optional package {pkg!r} not installed (pip install 'labkit[{name}]')"
        for name, pkg in OPTIONAL_PACKAGES.items()
        if importlib.util.find_spec(pkg) is None
    },
    ("*", "check_samplers_pandas_sparse"): "labkit's augmenters take dense features (tags: sparse=False); "
    "imbalanced-learn yields this check for every sampler that accepts DataFrames, whatever its sparse tag",
    ("none", "check_samplers_fit_resample"): "'none' is the reference and adds nothing by design, so it does "
    "not balance; that it returns the fold unchanged is tested in tests/test_augmenters.py",
}
# Checks that run whatever the exemption list says of the augmenter: parameters are validated before
# any data is looked at, so waveform and frame augmenters can be held to them too.
ALWAYS = {"check_param_validation"}


def _check_name(check) -> str:
    check = getattr(check, "__wrapped__", check)
    return (check.func if isinstance(check, partial) else check).__name__


def _reason(name: str, check: str) -> str | None:
    if check in ALWAYS:
        return None
    for key in ((name, check), (name, "*"), ("*", check)):
        if key in EXEMPT:
            return EXEMPT[key]
    return None


def _instance(name: str):
    cls = augmenter_class(name)
    params = {k: v for k, v in PEER_PARAMS.get(name, {}).items() if k in cls._get_param_names()}
    return make_augmenter(name, random_state=0, **params)


def _cases():
    """(name, check name, estimator, check, reason) for every registered augmenter and check."""
    cases = []
    for name in sorted(AUGMENTERS):
        est = _instance(name)
        checks = [check for _, check in imblearn_checks.estimator_checks_generator(est)]
        checks.append(partial(imblearn_checks.check_param_validation, type(est).__name__))
        for check in checks:
            cases.append((name, _check_name(check), est, check, _reason(name, _check_name(check))))
    return cases


CASES = _cases()
PARAMS = [
    pytest.param(
        est, check, marks=[pytest.mark.skip(reason=f"{name}: {reason}")] if reason else [], id=f"{name}-{check_name}"
    )
    for name, check_name, est, check, reason in CASES
]


@pytest.mark.parametrize("estimator, check", PARAMS)
def test_imblearn_sampler_check(estimator, check):
    check(estimator)


def test_the_skips_are_exactly_the_exemption_list(capsys):
    """Every exemption matches checks that exist, and every skip above comes from one."""
    names = {name for name, *_ in CASES}
    checks = {check for _, check, *_ in CASES}
    for (name, check), reason in EXEMPT.items():
        assert name == "*" or name in names, f"exemption for unknown augmenter {name!r}"
        assert check == "*" or check in checks, f"exemption for a check imbalanced-learn does not yield: {check}"
        assert len(reason) > 20, f"exemption {name}/{check} needs a reason"
        assert any(_reason(n, c) == reason for n, c, *_ in CASES), f"exemption {name}/{check} skips nothing"
    skipped = [(n, c) for n, c, *_, reason in CASES if reason]
    with capsys.disabled():
        print(
            f"\npeer checks: {len(CASES)} (augmenter, check) pairs, {len(skipped)} skipped by {len(EXEMPT)} exemptions"
        )
    # the model augmenters and the baselines are held to the checks, not exempted wholesale
    for name in ("none", "noise", "ros", "smote", "adasyn", "gan2d", "cgan", "cyclegan", "cyclegan-w"):
        ran = [c for n, c, *_, reason in CASES if n == name and not reason]
        assert (name, "*") not in EXEMPT and len(ran) >= 13, (name, ran)
    # what pytest reports as skipped: the cases that carry a skip mark, which are the exemption list expanded
    expanded = {
        (n, c)
        for n, c, *_ in CASES
        for e_name, e_check in EXEMPT
        if e_name in (n, "*") and e_check in (c, "*") and c not in ALWAYS
    }
    marked = [(n, c) for (n, c, *_), p in zip(CASES, PARAMS) if any(m.name == "skip" for m in p.marks)]
    assert set(marked) == expanded and len(marked) == len(skipped)


def test_the_checks_are_not_vacuous():
    """The over-sampling checks assert only for `BaseOverSampler`s; the dataframe ones only under the tag."""
    from imblearn.over_sampling.base import BaseOverSampler
    from imblearn.utils._tags import get_tags

    for name, *_ in CASES:
        est = _instance(name)
        assert isinstance(est, BaseOverSampler)
        tags = get_tags(est)
        assert tags.input_tags.dataframe and not tags.input_tags.sparse and not tags.input_tags.allow_nan
        assert tags.sampler_tags is not None and not tags.sampler_tags.sample_indices


# ---------------------------------------------------------------------------- what passing gave users
def test_pandas_in_pandas_out_with_names_and_feature_names_out():
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["f0", "pitch", "energy"], index=range(100, 130))
    y = pd.Series(["a"] * 20 + ["b"] * 10, name="emotion", index=X.index)
    aug = make_augmenter("smote", random_state=0)
    X_res, y_res = aug.fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == ["f0", "pitch", "energy"]
    assert (
        isinstance(y_res, pd.Series)
        and y_res.name == "emotion"
        and y_res.value_counts().to_dict() == {"a": 20, "b": 20}
    )
    assert np.allclose(X_res.to_numpy()[:30], X.to_numpy())  # real rows first, unchanged
    assert list(aug.get_feature_names_out()) == ["f0", "pitch", "energy"]
    assert aug.sampling_strategy_ == {"a": 0, "b": 10}
    X_list, y_list = aug.fit_resample(X.to_numpy().tolist(), y.tolist())
    assert isinstance(X_list, list) and isinstance(y_list, list) and len(y_list) == 40


def test_bad_targets_get_scikit_learns_messages_and_stay_labkit_errors():
    X = np.random.default_rng(0).normal(size=(20, 2))
    aug = make_augmenter("noise", random_state=0)
    with pytest.raises(LabkitError, match="Unknown label type") as err:
        aug.fit_resample(X, np.linspace(0, 1, 20))
    assert isinstance(err.value, ValueError)  # what scikit-learn's tools catch
    with pytest.raises(LabkitError, match="at least 2 classes"):
        aug.fit_resample(X, np.zeros(20))
    with pytest.raises(LabkitError, match="inconsistent numbers of samples"):
        aug.fit_resample(X, np.array([0, 1] * 9))
    with pytest.raises(LabkitError, match="NaN"):
        aug.fit_resample(np.full_like(X, np.nan), np.array([0, 1] * 10))


# ---------------------------------------------------------------------------- check_params (issue 22)
@pytest.mark.parametrize(
    "name, params, refused",
    [
        ("noise", {"scale": "abc"}, "noise.scale='abc'"),
        ("noise", {"scale": float("nan")}, "noise.scale=nan"),
        ("noise", {"scale": 1e300}, "noise.scale=1e+300"),
        ("noise", {"scale": -0.1}, "noise.scale=-0.1"),
        ("cyclegan", {"lr": "abc"}, "cyclegan.lr='abc'"),
        ("cyclegan", {"lr": float("inf")}, "cyclegan.lr=inf"),
        ("smote", {"k_neighbors": 2.5}, "smote.k_neighbors=2.5"),
        ("smote", {"k_neighbors": True}, "smote.k_neighbors=True"),
        ("adasyn", {"k_neighbors": 0}, "adasyn.k_neighbors=0"),
        ("cgan", {"epochs": -1}, "cgan.epochs=-1"),
        ("gan2d", {"batch_size": 0.5}, "gan2d.batch_size=0.5"),
        ("aaec", {"iterations": "many"}, "aaec.iterations='many'"),
        ("ros", {"shrinkage": float("nan")}, "ros.shrinkage=nan"),
        ("smote", {"sampling_strategy": 1e300}, "smote.sampling_strategy=1e+300"),
        ("smote", {"sampling_strategy": "more"}, "smote.sampling_strategy='more'"),
        ("wav-noise", {"snr_db": "loud"}, "wav-noise.snr_db='loud'"),
        ("smote", {"random_state": -1}, "smote.random_state=-1"),
    ],
)
def test_check_params_refuses_a_bad_value_naming_it(name, params, refused):
    with pytest.raises(LabkitError) as err:
        check_params(name, params)
    key = next(iter(params))
    assert refused in str(err.value) and f"The '{key}' parameter of" in str(err.value)
    with pytest.raises(LabkitError, match=key):
        make_augmenter(name, **params)  # make_augmenter checks first


def test_check_params_refuses_a_device_torch_does_not_know():
    with pytest.raises(LabkitError, match=r"cgan.device='bogus' refused: unknown device 'bogus'"):
        check_params("cgan", {"device": "bogus"})
    check_params("cgan", {"device": "cpu"})


def test_check_params_takes_good_values_and_names_unknown_ones():
    check_params("smote", {"k_neighbors": 3, "sampling_strategy": 0.5, "random_state": np.int64(4)})
    check_params("noise", {"scale": 0, "sampling_strategy": "balance"})
    check_params("cyclegan", {"lr": 2e-4, "epochs": None, "neutral": "calm", "device": "cpu"})
    check_params("smote", {"sampling_strategy": {"a": 10}})
    with pytest.raises(LabkitError, match="no parameter k_neighbours"):
        check_params("smote", {"k_neighbours": 3})
    with pytest.raises(LabkitError, match="unknown augmenter"):
        check_params("smote9", {})


def test_every_parameter_of_every_augmenter_is_constrained():
    for name in AUGMENTERS:
        cls = augmenter_class(name)
        assert set(cls._parameter_constraints) == set(cls._get_param_names()), name


def test_fit_refuses_a_bad_value_set_after_construction():
    X = np.random.default_rng(0).normal(size=(30, 2))
    aug = make_augmenter("smote").set_params(k_neighbors=2.5)
    with pytest.raises(LabkitError, match="k_neighbors") as err:
        aug.fit_resample(X, np.array([0] * 20 + [1] * 10))
    assert isinstance(err.value, ValueError)


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory):
    from labkit.experiment.toy import toy_features
    from labkit.features import Features

    meta, X = toy_features(n_speakers=4, n_per=6, dim=5, seed=0)
    path = tmp_path_factory.mktemp("peers") / "toy.parquet"
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(5)], feature_set="toy", settings={}).to_parquet(path)
    return path


@pytest.mark.parametrize(
    "param", ["noise.scale=abc", "noise.scale=nan", "noise.scale=1e300", "cyclegan.lr=abc", "smote.k_neighbors=2.5"]
)
def test_compare_and_augment_exit_2_on_a_bad_param_value(param, toy_file, tmp_path, capsys):
    out = tmp_path / "run"
    augmenter = param.split(".")[0]
    argv = [
        "compare",
        str(toy_file),
        "--augmenters",
        f"none,{augmenter}",
        "--seeds",
        "1",
        "--no-tune",
        "--out",
        str(out),
    ]
    assert main(argv + ["--param", param]) == 2
    err = capsys.readouterr().err
    assert param.split("=")[0] in err and "Traceback" not in err
    assert not out.exists()  # refused before the run directory is made
    assert (
        main(["augment", str(toy_file), "--augmenter", augmenter, "--param", param, "--out", str(tmp_path / "a.csv")])
        == 2
    )
    assert param.split("=")[0] in capsys.readouterr().err
