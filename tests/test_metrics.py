"""Metrics: UAR, WA, macro- and micro-F1, MuSe's combined score, per-class recall, confusion matrix."""

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from labkit.errors import LabkitError
from labkit.experiment.metrics import scores


def test_hand_computed_example():
    y_true = ["a", "a", "a", "b"]
    y_pred = ["a", "b", "a", "b"]
    s = scores(y_true, y_pred)
    assert s["recall"] == {"a": pytest.approx(2 / 3), "b": 1.0}
    assert s["uar"] == pytest.approx((2 / 3 + 1) / 2)
    assert s["wa"] == pytest.approx(3 / 4)
    # F1(a) = 2*1*(2/3)/(1+2/3) = 0.8; F1(b) = 2*0.5*1/1.5 = 2/3
    assert s["f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    # micro F1 pools the counts: TP = 3, FP = FN = 1 -> 0.75, the accuracy
    assert s["f1_micro"] == pytest.approx(0.75)
    # MuSe 2020's score (the AAEC paper's Combined) uses micro F1, as its baseline's metrics.py does
    assert s["combined"] == pytest.approx(0.66 * 0.75 + 0.34 * s["uar"])
    assert s["confusion"] == [[2, 1], [0, 1]]  # rows true, columns predicted


def test_agrees_with_sklearn_on_random_predictions():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 4, 200))
    s = scores(y_true, y_pred)
    assert s["uar"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert s["wa"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert s["f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert s["f1_micro"] == pytest.approx(f1_score(y_true, y_pred, average="micro")) == pytest.approx(s["wa"])
    assert s["combined"] == pytest.approx(
        0.66 * f1_score(y_true, y_pred, average="micro") + 0.34 * balanced_accuracy_score(y_true, y_pred)
    )
    assert np.sum(s["confusion"]) == 200


def test_labels_fix_order_and_absent_classes_have_nan_recall():
    s = scores(["x", "y", "y"], ["x", "y", "x"], labels=["z", "y", "x"])
    assert list(s["recall"]) == ["z", "y", "x"]
    assert math.isnan(s["recall"]["z"])
    assert s["uar"] == pytest.approx((1.0 + 0.5) / 2)  # the absent class does not count
    assert s["confusion"][0] == [0, 0, 0]
    assert s["confusion"][1] == [0, 1, 1]


def test_bad_input():
    with pytest.raises(LabkitError, match="empty"):
        scores([], [])
    with pytest.raises(LabkitError, match="one length"):
        scores([1, 2], [1])
    with pytest.raises(LabkitError, match="not in labels"):
        scores([1, 2], [1, 2], labels=[1])


def test_oracle_share_is_the_ratio_of_paired_gains_with_a_bootstrap_interval():
    import numpy as np
    import pandas as pd

    from labkit.experiment.stats import oracle_share

    rows = []
    gains = {"none": [0, 0, 0, 0], "oracle-population": [0.10, 0.12, 0.08, 0.10], "half": [0.05, 0.06, 0.04, 0.05]}
    gains["hurts"] = [-0.05, -0.06, -0.04, -0.05]
    for name, g in gains.items():
        for seed in (0, 1):
            for fold, d in enumerate(g):
                rows.append({"augmenter": name, "seed": seed, "fold": fold, "uar": 0.5 + d})
    out = oracle_share(pd.DataFrame(rows), "oracle-population").set_index("augmenter")
    assert list(out.index) == ["half", "hurts"]  # neither the baseline nor the oracle itself
    assert out.loc["half", "share"] == pytest.approx(0.5) and out.loc["hurts", "share"] == pytest.approx(-0.5)
    # every fold's ratio is exactly 1/2, so every bootstrap resample gives 1/2
    assert out.loc["half", "ci_low"] == pytest.approx(0.5) and out.loc["half", "ci_high"] == pytest.approx(0.5)
    assert out.loc["half", "oracle_gain"] == pytest.approx(0.10) and out.loc["half", "n_folds"] == 4

    # an oracle that gains nothing leaves no share to read
    flat = pd.DataFrame(rows).assign(uar=lambda df: np.where(df["augmenter"] == "oracle-population", 0.5, df["uar"]))
    none_gained = oracle_share(flat, "oracle-population")
    assert none_gained["share"].isna().all() and (none_gained["oracle_gain"] == 0).all()
