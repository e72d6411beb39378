"""Protocols: folds cover what they should and never put a speaker on both sides."""

import numpy as np
import pandas as pd
import pytest

from labkit.errors import LabkitError
from labkit.experiment.protocols import Fold, check_fold, make_folds
from labkit.experiment.toy import toy_features


@pytest.fixture(scope="module")
def meta():
    return toy_features(n_speakers=6, n_per=8)[0]


def _speakers(meta, idx):
    return set(meta["speaker"].to_numpy()[idx])


def test_loso_one_fold_per_speaker_and_covers_every_row(meta):
    folds = make_folds(meta, "loso")
    assert len(folds) == meta["speaker"].nunique()
    seen = np.concatenate([f.test_idx for f in folds])
    assert sorted(seen.tolist()) == list(range(len(meta)))  # every row tested exactly once
    for f in folds:
        assert len(_speakers(meta, f.test_idx)) == 1
        assert not _speakers(meta, f.train_idx) & _speakers(meta, f.test_idx)
        assert len(f.train_idx) + len(f.test_idx) == len(meta)


def test_logo_by_context(meta):
    folds = make_folds(meta, "logo", group="context")
    assert {f.name for f in folds} == {"context=phone", "context=studio"}
    for f in folds:
        assert meta["context"].iloc[f.test_idx].nunique() == 1
        assert not set(meta["context"].iloc[f.train_idx]) & set(meta["context"].iloc[f.test_idx])


def test_logo_drops_a_shared_speaker_from_training(meta):
    m = meta.copy()
    # one speaker recorded in both contexts: its studio rows must leave the training side of the phone fold
    shared = m["speaker"].iloc[0]
    m.loc[m.index[:4], "context"] = "phone"
    folds = make_folds(m, "logo", group="context")
    phone = next(f for f in folds if f.name == "context=phone")
    assert shared in _speakers(m, phone.test_idx)
    assert shared not in _speakers(m, phone.train_idx)


def test_split_by_named_speakers_and_by_fraction(meta):
    spk = sorted(meta["speaker"].unique())
    (fold,) = make_folds(meta, "split", test_speakers=spk[:2])
    assert _speakers(meta, fold.test_idx) == set(spk[:2])
    assert _speakers(meta, fold.train_idx) == set(spk[2:])
    a = make_folds(meta, "split", test_fraction=0.34, seed=1)[0]
    b = make_folds(meta, "split", test_fraction=0.34, seed=1)[0]
    assert np.array_equal(a.test_idx, b.test_idx)  # same seed, same split
    assert len(_speakers(meta, a.test_idx)) == 2
    with pytest.raises(LabkitError, match="nobody"):
        make_folds(meta, "split", test_speakers=["nobody"])


def test_cross_corpus_uses_context_when_corpus_lacks_the_names(meta):
    (fold,) = make_folds(meta, "cross", train_corpus="studio", test_corpus="phone")
    assert set(meta["context"].iloc[fold.train_idx]) == {"studio"}
    assert set(meta["context"].iloc[fold.test_idx]) == {"phone"}
    with pytest.raises(LabkitError, match="mars"):
        make_folds(meta, "cross", train_corpus="studio", test_corpus="mars")
    with pytest.raises(LabkitError, match="train_corpus"):
        make_folds(meta, "cross")


def test_reduced_draws_n_train_stratified_from_the_training_side(meta):
    base = make_folds(meta, "split", test_fraction=0.34, seed=0)[0]
    (fold,) = make_folds(meta, "reduced", n_train=30, test_fraction=0.34, seed=0)
    assert len(fold.train_idx) == 30
    assert set(fold.train_idx) <= set(base.train_idx)
    assert np.array_equal(fold.test_idx, base.test_idx)
    counts = meta["emotion"].iloc[fold.train_idx].value_counts()
    assert counts.max() - counts.min() <= 1  # balanced classes stay balanced
    other = make_folds(meta, "reduced", n_train=30, test_fraction=0.34, seed=0, base="split")[0]
    assert np.array_equal(fold.train_idx, other.train_idx)
    with pytest.raises(LabkitError, match="n_train=10000"):
        make_folds(meta, "reduced", n_train=10000)
    loso = make_folds(meta, "reduced", n_train=20, base="loso")
    assert len(loso) == meta["speaker"].nunique() and all(len(f.train_idx) == 20 for f in loso)


def test_check_fold_rejects_shared_speakers(meta):
    rows = np.arange(len(meta))
    with pytest.raises(LabkitError, match="a row is on both"):
        check_fold(meta, Fold("bad", rows[:30], rows[20:40]))
    with pytest.raises(LabkitError, match="on both sides"):
        spk = meta["speaker"].to_numpy()
        one = rows[spk == spk[0]]
        check_fold(meta, Fold("bad", np.concatenate([rows[spk != spk[0]], one[:2]]), one[2:]))


def test_bad_protocol_and_missing_columns(meta):
    with pytest.raises(LabkitError, match="unknown protocol"):
        make_folds(meta, "kfold")
    with pytest.raises(LabkitError, match="speaker"):
        make_folds(meta.drop(columns=["speaker"]), "loso")
    with pytest.raises(LabkitError, match="2 speakers"):
        make_folds(pd.DataFrame({"speaker": ["a", "a"]}), "loso")
