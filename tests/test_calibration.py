"""Calibrated coverage: the instruments can see a real effect (issue 17, item 3).

On the ``shifted`` scenario held-out speakers lie partly outside the training data. New speakers from
the same population (``oracle-population``) must reach some of those test regions, so
``test_gain`` and the test rows' recall beyond the training data must rise clearly above zero, while
an augmenter that only copies training rows (``ros``) must stay at about zero: if not, the instrument
cannot tell help from no help, and no augmenter's 0.000 can be read.

The corpus is a byte-identical subset of ``synthetic:shifted`` (its first 6 speakers, all 7 emotions,
the first 4 utterances of each), written as a ``synthetic:DIR`` source so the test synthesizes 168
utterances (and a 168-utterance population pool) instead of 700 (and 700). Measured on it (mean over
the 6 LOSO folds): test_gain 0.32 for oracle-population against 0.065 for ros; the test rows' recall
minus the share already inside training balls 0.22 against 0.01.
"""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from labkit.augment import make_augmenter
from labkit.metrics.coverage import coverage_gain_on_test, prdc
from labkit.metrics.gate import combine, gate

# Synthesizes and featurises a corpus and its pools (minutes on a loaded 2-core machine).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    from labkit.data.loaders import load_corpus
    from labkit.data.synthetic import SCENARIOS, SynthConfig, synthesize_corpus
    from labkit.features import extract

    out = tmp_path_factory.mktemp("shifted-subset")
    synthesize_corpus(out, SynthConfig(**SCENARIOS["shifted"], n_speakers=6, n_utterances=4), progress=False)
    source = f"synthetic:{out}"
    feats = extract(load_corpus(source), "egemaps", progress=False)
    return source, feats.meta.reset_index(drop=True), feats.X


def _per_fold(shifted, name):
    """Per LOSO fold: test_gain, test_in_train and the test rows' recall of `name`'s samples (amount 1.0); its gate."""
    from labkit.experiment.protocols import make_folds

    source, meta, X = shifted
    y, speakers = meta["emotion"].astype(str).to_numpy(), meta["speaker"].astype(str).to_numpy()
    rows, gates = [], []
    for k, fold in enumerate(make_folds(meta, "loso")):
        tr, te = fold.train_idx, fold.test_idx
        scaler = StandardScaler().fit(X[tr])  # the pipeline's space: the training fold's statistics
        X_train, X_test = scaler.transform(X[tr]), scaler.transform(X[te])
        params = {"sampling_strategy": 1.0, "random_state": k}
        routed = {}
        if name.startswith("oracle"):
            params.update(source=source, features="egemaps")
            routed = {"speaker": speakers[tr]}
        X_res, y_res = make_augmenter(name, **params).fit_resample(X_train, y[tr], **routed)
        X_gen = X_res[len(X_train) :]
        gain = coverage_gain_on_test(X_train, X_test, X_gen)
        rows.append({**gain, "recall_test": prdc(X_test, X_gen)["recall"]})
        gates.append(gate(X_train, y[tr], X_gen, y_res[len(X_train) :], groups=speakers[tr], generator=name, fold=k))
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}, combine(gates)


def test_oracle_population_raises_test_gain_and_recall_where_copies_do_not(shifted):
    oracle, oracle_gate = _per_fold(shifted, "oracle-population")
    copies, copies_gate = _per_fold(shifted, "ros")
    # both generators learned the data (labkit.metrics.gate): what they reach is theirs to claim
    assert oracle_gate.passed and copies_gate.passed, (oracle_gate.verdict, copies_gate.verdict)
    # test_gain: test rows reached by generated balls and by no training ball
    assert oracle["test_gain"].mean() > 0.15, oracle["test_gain"]
    assert copies["test_gain"].mean() < 0.1, copies["test_gain"]
    assert oracle["test_gain"].mean() > 3 * copies["test_gain"].mean()
    assert (oracle["test_gain"] >= copies["test_gain"]).all()  # paired: in every fold
    # recall of the test rows beyond what the training rows already cover
    beyond_oracle = oracle["recall_test"] - oracle["test_in_train"]
    beyond_copies = copies["recall_test"] - copies["test_in_train"]
    assert beyond_oracle.mean() > 0.1, beyond_oracle
    assert abs(beyond_copies.mean()) < 0.05, beyond_copies
