"""The "learned the data" gate (labkit.metrics.gate) on hand-built generators.

The real rows are three correlated Gaussian classes spoken by six "speakers" (each speaker shifts
its rows a little); a generator that draws new rows from the same class distributions passes, and
hand-built failures (far off, collapsed, blown up, labels that do not match the rows) fail for the
reason the gate names.
"""

import json

import numpy as np
import pytest

from labkit.errors import LabkitError
from labkit.metrics.gate import PASSED, THRESHOLDS, combine, gate, gate_augmenter, gate_verdict

D = 8


def _population(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(D, D)) / np.sqrt(D)  # shared correlation structure
    means = 1.2 * rng.normal(size=(3, D))
    return A, means


def _draw(n_per_class, seed, speakers=6, pop_seed=0):
    """Rows of the three classes from `speakers` speakers: X (n, D), y (n,), groups (n,)."""
    A, means = _population(pop_seed)
    rng = np.random.default_rng(seed)
    X, y, g = [], [], []
    for s in range(speakers):
        offset = 0.3 * rng.normal(size=D)
        for c in range(3):
            z = rng.normal(size=(n_per_class, D))
            X.append(means[c] + offset + z @ A.T)
            y += [f"c{c}"] * n_per_class
            g += [f"spk{s}"] * n_per_class
    return np.concatenate(X), np.array(y), np.array(g)


@pytest.fixture(scope="module")
def real():
    return _draw(10, seed=1)


def test_rows_from_the_real_class_distributions_pass(real):
    X, y, groups = real
    X_gen, y_gen, _ = _draw(10, seed=2)  # new speakers, same population
    result = gate(X, y, X_gen, y_gen, groups=groups, generator="oracle", fold=0)
    assert result.passed, result.to_dict()
    assert result.verdict == "passed"
    assert result.fidelity >= THRESHOLDS.fidelity_share * result.real_accuracy
    assert result.real_accuracy > result.chance + 0.2  # the classes are learnable: the check has teeth
    assert 0.4 < result.c2st_auc < 0.8 and result.precision > 0.6 and result.recall > 0.6
    assert 0.7 < result.spread < 1.4


@pytest.mark.parametrize(
    "case, criterion",
    [("far", "precision"), ("collapsed", "spread"), ("blown_up", "spread"), ("shuffled", "fidelity")],
)
def test_hand_built_failing_generators_fail_for_their_reason(real, case, criterion):
    X, y, groups = real
    rng = np.random.default_rng(5)
    means = {c: X[y == c].mean(axis=0) for c in np.unique(y)}
    if case == "far":  # noise far off the data
        X_gen, y_gen = rng.normal(size=X.shape) + 10 * X.std(axis=0), y
    elif case == "collapsed":  # every row on its class mean (the baseline cGAN's std 0.10)
        X_gen, y_gen = np.stack([means[c] for c in y]) + 0.01 * rng.normal(size=X.shape), y
    elif case == "blown_up":  # spread far wider than the data (the improved cGAN's std 6.65)
        X_gen, y_gen = X.mean(axis=0) + 6.65 * X.std(axis=0) * rng.normal(size=X.shape), y
    else:  # right rows, labels that do not match them (a generator that ignores its condition)
        X_gen, y_gen = _draw(10, seed=2)[0], rng.permutation(y)
    result = gate(X, y, X_gen, y_gen, groups=groups, generator=case, fold=3)
    assert not result.passed
    assert criterion in result.failed, result.to_dict()
    assert result.verdict.startswith(f"inconclusive: {case} failed the gate (fidelity ")
    assert "% for real rows" in result.verdict


def test_the_result_is_json_able_and_the_verdict_line_names_the_failures(real):
    X, y, groups = real
    good = gate(X, y, *_draw(10, seed=2)[:2], groups=groups, generator="smote", fold=0)
    rng = np.random.default_rng(0)
    bad = gate(X, y, np.zeros_like(X) + 0.001 * rng.normal(size=X.shape), y, groups=groups, generator="cgan", fold=0)
    d = json.loads(json.dumps(bad.to_dict()))
    assert d["passed"] is False and d["verdict"] == bad.verdict and d["thresholds"]["c2st_max"] == THRESHOLDS.c2st_max
    assert gate_verdict([good]) == PASSED == "claim not reproduced by generators that learned the data"
    line = gate_verdict([good, bad])
    assert line.startswith("inconclusive: cgan failed the gate (fidelity ") and "smote" not in line
    assert f"{100 * bad.fidelity:.0f} % against {100 * bad.real_accuracy:.0f} % for real rows" in line


def test_combine_judges_the_fold_means(real):
    X, y, groups = real
    folds = [gate(X, y, *_draw(10, seed=s)[:2], groups=groups, generator="oracle", fold=s) for s in (2, 3)]
    both = combine(folds)
    assert both.fold is None and both.passed
    assert both.fidelity == pytest.approx(np.mean([r.fidelity for r in folds]))
    assert both.n_generated == sum(r.n_generated for r in folds)
    with pytest.raises(LabkitError, match="one generator"):
        combine([folds[0], gate(X, y, *_draw(10, seed=4)[:2], generator="other")])


def test_non_finite_rows_fail_instead_of_crashing(real):
    X, y, groups = real
    X_gen = np.full_like(X, np.nan)
    result = gate(X, y, X_gen, y, groups=groups, generator="diverged")
    assert not result.passed and result.fidelity == 0.0


def test_bad_input_is_refused(real):
    X, y, groups = real
    with pytest.raises(LabkitError, match="features"):
        gate(X, y, X[:, :3], y)
    with pytest.raises(LabkitError, match="labels"):
        gate(X, y[:-1], X, y)
    with pytest.raises(LabkitError, match="not among"):
        gate(X, y, X, np.full(len(y), "c9"))


def test_gate_augmenter_draws_one_row_per_real_row_from_a_fitted_augmenter(real):
    from labkit.augment import make_augmenter

    X, y, groups = real
    smote = make_augmenter("smote", sampling_strategy=0.5, random_state=0).fit(X, y)
    result = gate_augmenter(smote, X, y, groups=groups, generator="smote", fold=1)
    assert result.passed and result.n_generated == len(y) and result.generator == "smote"
    assert gate_augmenter(make_augmenter("none").fit(X, y), X, y) is None  # generates nothing


def test_held_out_real_accuracy_is_measured_once_per_set_of_real_rows(real, monkeypatch):
    """Every generator of a fold is gated against the same real rows: their five CV fits run once."""
    import labkit.metrics.gate as gate_module

    X, y, g = real
    calls = []
    measure = gate_module._real_accuracy
    monkeypatch.setattr(gate_module, "_REAL_ACCURACY", {})
    monkeypatch.setattr(gate_module, "_real_accuracy", lambda *a: calls.append(1) or measure(*a))
    X_gen, y_gen, _ = _draw(10, seed=2)
    first = gate(X, y, X_gen, y_gen, groups=g, generator="a")
    second = gate(X, y, X_gen[::-1], y_gen[::-1], groups=g, generator="b")
    assert len(calls) == 1 and first.real_accuracy == second.real_accuracy
    gate(X[:-3], y[:-3], X_gen, y_gen, groups=g[:-3], generator="c")  # other real rows: measured again
    gate(X, y, X_gen, y_gen, groups=None, generator="d")  # other groups: measured again
    assert len(calls) == 3
