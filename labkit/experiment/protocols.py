"""Evaluation protocols: which utterances train and which test, fold by fold.

``make_folds(meta, protocol, **kw) -> list[Fold]``; a `Fold` holds row positions into ``meta``.

=========  ==================================================================================
loso       leave one speaker out: one fold per speaker (the code-vector paper's protocol).
logo       leave one group out: one fold per value of ``group=`` (default ``context``; IEMOCAP
           sessions are in ``context``).
split      one speaker-independent train/test split: ``test_speakers=[...]``, or
           ``test_fraction=`` (default 0.2) of the speakers drawn with ``seed=``.
cross      cross-corpus: train on ``train_corpus=``, test on ``test_corpus=``. The corpus is read from
           ``corpus_col=`` if given, else from ``corpus`` when the name occurs there, else from
           ``context`` (the embedded corpus' recording contexts stand in for two corpora).
reduced    the code-vector paper's Exp 2: the folds of ``base=`` (``split`` by default, or ``loso``
           as in the paper) with the training side cut to ``n_train=`` utterances (100, 200, 500),
           drawn with ``seed=`` and stratified by ``label=`` (default ``emotion``) so that every class
           keeps its share.
=========  ==================================================================================

Speaker independence is built in and then checked: in ``logo`` and ``cross``, where a speaker
could occur in both the held-out group and the training side (e.g. one synthetic speaker recorded
in two contexts), the training side drops that speaker's rows; every fold is then verified by
`check_fold`, which raises if a speaker (or a row) is on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from labkit.errors import LabkitError

PROTOCOLS = ["loso", "logo", "split", "cross", "reduced"]


@dataclass
class Fold:
    """One train/test division of a table."""

    name: str  # readable, e.g. "speaker=emodb:03" or "context=phone"
    train_idx: np.ndarray  # (n_train,) int row positions into meta
    test_idx: np.ndarray  # (n_test,) int row positions into meta


def check_fold(meta: pd.DataFrame, fold: Fold, speaker_col: str = "speaker") -> None:
    """Raise a LabkitError if the fold is empty on a side, shares a row, or shares a speaker."""
    if len(fold.train_idx) == 0 or len(fold.test_idx) == 0:
        raise LabkitError(f"fold {fold.name}: empty {'training' if len(fold.train_idx) == 0 else 'test'} side")
    if np.intersect1d(fold.train_idx, fold.test_idx).size:
        raise LabkitError(f"fold {fold.name}: a row is on both the training and the test side")
    spk = meta[speaker_col].to_numpy()
    shared = np.intersect1d(spk[fold.train_idx].astype(str), spk[fold.test_idx].astype(str))
    if shared.size:
        raise LabkitError(f"fold {fold.name}: speakers {shared.tolist()[:5]} are on both sides")


def _need(meta: pd.DataFrame, col: str, protocol: str) -> np.ndarray:
    if col not in meta.columns:
        raise LabkitError(f"protocol {protocol!r} needs a {col!r} column; the table has {list(meta.columns)}")
    return meta[col].astype(str).to_numpy()


def _without_test_speakers(train: np.ndarray, test: np.ndarray, spk: np.ndarray) -> np.ndarray:
    """Training rows whose speaker is not among the test rows' speakers."""
    return train[~np.isin(spk[train], np.unique(spk[test]))]


def _loso(meta, spk) -> list[Fold]:
    speakers = np.unique(spk)
    if len(speakers) < 2:
        raise LabkitError(f"protocol 'loso' needs at least 2 speakers, the table has {len(speakers)}")
    rows = np.arange(len(meta))
    return [Fold(f"speaker={s}", rows[spk != s], rows[spk == s]) for s in speakers]


def _logo(meta, spk, group: str) -> list[Fold]:
    groups = _need(meta, group, "logo")
    values = np.unique(groups)
    if len(values) < 2:
        raise LabkitError(f"protocol 'logo' needs at least 2 values of {group!r}, found {values.tolist()}")
    rows = np.arange(len(meta))
    folds = []
    for g in values:
        test = rows[groups == g]
        train = _without_test_speakers(rows[groups != g], test, spk)
        folds.append(Fold(f"{group}={g}", train, test))
    return folds


def _split(meta, spk, test_speakers, test_fraction: float, seed: int) -> list[Fold]:
    speakers = np.unique(spk)
    if test_speakers is not None:
        test_speakers = [str(s) for s in ([test_speakers] if isinstance(test_speakers, str) else test_speakers)]
        unknown = sorted(set(test_speakers) - set(speakers.tolist()))
        if unknown:
            raise LabkitError(f"test speakers {unknown} are not in the table (speakers: {speakers.tolist()[:10]} ...)")
    else:
        if not 0 < test_fraction < 1:
            raise LabkitError(f"test_fraction must be between 0 and 1, got {test_fraction}")
        if len(speakers) < 2:
            raise LabkitError(f"protocol 'split' needs at least 2 speakers, the table has {len(speakers)}")
        n_test = min(len(speakers) - 1, max(1, int(round(test_fraction * len(speakers)))))
        test_speakers = sorted(np.random.default_rng(seed).choice(speakers, size=n_test, replace=False).tolist())
    rows = np.arange(len(meta))
    is_test = np.isin(spk, test_speakers)
    name = "test=" + ",".join(test_speakers) if len(test_speakers) <= 3 else f"test={len(test_speakers)}-speakers"
    return [Fold(name, rows[~is_test], rows[is_test])]


def _cross(meta, spk, train_corpus, test_corpus, corpus_col) -> list[Fold]:
    if train_corpus is None or test_corpus is None:
        raise LabkitError(
            "protocol 'cross' needs train_corpus= and test_corpus= (e.g. --train-corpus studio --test-corpus phone)"
        )
    if corpus_col is None:
        names = {str(train_corpus), str(test_corpus)}
        in_corpus = "corpus" in meta.columns and names <= set(meta["corpus"].astype(str))
        corpus_col = "corpus" if in_corpus else "context"
    corpora = _need(meta, corpus_col, "cross")
    for c in (train_corpus, test_corpus):
        if str(c) not in set(corpora.tolist()):
            raise LabkitError(
                f"corpus {c!r} not found in column {corpus_col!r} (values: {sorted(set(corpora.tolist()))})"
            )
    if str(train_corpus) == str(test_corpus):
        raise LabkitError(f"cross-corpus protocol with the same train and test corpus {train_corpus!r}")
    rows = np.arange(len(meta))
    test = rows[corpora == str(test_corpus)]
    train = _without_test_speakers(rows[corpora == str(train_corpus)], test, spk)
    return [Fold(f"{train_corpus}->{test_corpus}", train, test)]


def _reduce(meta, fold: Fold, n_train: int, label: str, seed: int) -> Fold:
    """The fold with its training side cut to n_train rows, stratified by `label`."""
    n_avail = len(fold.train_idx)
    if n_train < 1 or n_train > n_avail:
        raise LabkitError(f"fold {fold.name}: n_train={n_train} but only {n_avail} training utterances exist")
    y = _need(meta, label, "reduced")[fold.train_idx]
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    # Largest-remainder allocation: each class keeps its share of n_train, at least one sample.
    share = counts / counts.sum() * n_train
    take = np.minimum(counts, np.maximum(1, np.floor(share).astype(int)))
    order = np.argsort(-(share - np.floor(share)))
    i = 0
    while take.sum() < n_train:
        c = order[i % len(order)]
        if take[c] < counts[c]:
            take[c] += 1
        i += 1
    while take.sum() > n_train:  # only when n_train < number of classes
        c = int(np.argmax(take))
        take[c] -= 1
    picked = [rng.choice(fold.train_idx[y == c], size=k, replace=False) for c, k in zip(classes, take)]
    return Fold(f"{fold.name}|n={n_train}", np.sort(np.concatenate(picked)), fold.test_idx)


def make_folds(
    meta: pd.DataFrame,
    protocol: str,
    *,
    speaker_col: str = "speaker",
    group: str = "context",
    test_speakers=None,
    test_fraction: float = 0.2,
    train_corpus=None,
    test_corpus=None,
    corpus_col: str | None = None,
    n_train: int | None = None,
    base: str = "split",
    label: str = "emotion",
    seed: int = 0,
) -> list[Fold]:
    """The folds of `protocol` on the utterance (or feature meta) table `meta`.

    Parameters
    ----------
    meta : DataFrame with at least a speaker column (and the columns the protocol reads)
    protocol : one of `PROTOCOLS`
    Other keywords: see the module docstring; `seed` only matters for ``split`` with
    ``test_fraction`` and for ``reduced``.

    Returns
    -------
    list of Fold, each checked by `check_fold`.
    """
    spk = _need(meta, speaker_col, protocol)
    if protocol == "loso":
        folds = _loso(meta, spk)
    elif protocol == "logo":
        folds = _logo(meta, spk, group)
    elif protocol == "split":
        folds = _split(meta, spk, test_speakers, test_fraction, seed)
    elif protocol == "cross":
        folds = _cross(meta, spk, train_corpus, test_corpus, corpus_col)
    elif protocol == "reduced":
        if n_train is None:
            raise LabkitError("protocol 'reduced' needs n_train= (the code-vector paper used 100, 200, 500)")
        if base not in ("split", "loso", "logo", "cross"):
            raise LabkitError(f"reduced: base protocol {base!r} unknown; use split, loso, logo or cross")
        base_folds = make_folds(
            meta,
            base,
            speaker_col=speaker_col,
            group=group,
            test_speakers=test_speakers,
            test_fraction=test_fraction,
            train_corpus=train_corpus,
            test_corpus=test_corpus,
            corpus_col=corpus_col,
            seed=seed,
        )
        folds = [_reduce(meta, f, int(n_train), label, seed + i) for i, f in enumerate(base_folds)]
    else:
        raise LabkitError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    for fold in folds:
        check_fold(meta, fold, speaker_col)
    return folds
