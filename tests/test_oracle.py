"""The oracle augmenters (labkit.augment.oracle) on a small synthetic corpus.

The common augmenter suite (tests/test_augmenters.py) feeds random rows, which an oracle cannot draw
from; the same checks run here on a corpus the synthesizer wrote, plus what only oracles need: the
metadata routing of the speakers, the map into the pipeline's space, and the leak test.
"""

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

from labkit.augment import make_augmenter
from labkit.augment.oracle import fit_metadata
from labkit.errors import LabkitError

# Synthesizes and featurises a corpus and its pools (minutes on a loaded 2-core machine).
pytestmark = pytest.mark.slow

NAMES = ["oracle-speakers", "oracle-population"]
EMOTIONS = ["neutral", "anger", "sadness"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A 4-speaker corpus (3 emotions x 3 utterances), its source string and egemaps features."""
    from labkit.data.loaders import load_corpus
    from labkit.data.synthetic import SynthConfig, synthesize_corpus
    from labkit.features import extract

    out = tmp_path_factory.mktemp("oracle-corpus")
    synthesize_corpus(out, SynthConfig(n_speakers=4, n_utterances=3, emotions=EMOTIONS), progress=False, n_jobs=1)
    source = f"synthetic:{out}"
    feats = extract(load_corpus(source), "egemaps", progress=False)
    meta = feats.meta.reset_index(drop=True)
    return {
        "source": source,
        "X": feats.X,
        "y": meta["emotion"].astype(str).to_numpy(),
        "speaker": meta["speaker"].astype(str).to_numpy(),
        "id": meta["id"].astype(str).to_numpy(),
    }


def _make(name, corpus, **params):
    return make_augmenter(name, source=corpus["source"], features="egemaps", **params)


def _fold(corpus, test_speaker=0):
    """Training rows of a leave-one-speaker-out fold, standardised as the pipeline would."""
    speakers = sorted(set(corpus["speaker"]))
    train = corpus["speaker"] != speakers[test_speaker]
    scaler = StandardScaler().fit(corpus["X"][train])
    return scaler.transform(corpus["X"][train]), corpus["y"][train], corpus["speaker"][train], corpus["id"][train]


def _counts(y):
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist()))


@pytest.mark.parametrize("name", NAMES)
def test_init_stores_parameters_only_and_clone_works(name, corpus):
    aug = _make(name, corpus, random_state=3)
    params = aug.get_params()
    assert set(vars(aug)) == set(params)
    twin = clone(aug)
    assert twin.get_params() == params and twin is not aug


@pytest.mark.parametrize("name", NAMES)
def test_speakers_reach_it_through_metadata_routing_in_a_pipeline(name, corpus):
    speakers = sorted(set(corpus["speaker"]))
    train = corpus["speaker"] != speakers[0]
    X, y, spk = corpus["X"][train], corpus["y"][train], corpus["speaker"][train]
    aug = _make(name, corpus, sampling_strategy=1.0, random_state=0)
    meta = fit_metadata(aug, speaker=spk)
    assert set(meta) == {"speaker"}  # utterance not given, so not passed
    pipe = Pipeline([("scale", StandardScaler()), ("augment", aug), ("clf", SVC())])
    with sklearn.config_context(enable_metadata_routing=True):
        pipe.fit(X, y, **meta)
    fitted = pipe.named_steps["augment"]
    assert fitted.n_synthetic_ == len(y)
    assert set(fitted.train_speakers_) == set(spk)
    # without routing, imblearn's Pipeline never hands step parameters to fit_resample: a clear error
    pipe = Pipeline([("scale", StandardScaler()), ("augment", clone(aug)), ("clf", SVC())])
    with pytest.raises(LabkitError, match="metadata routing"):
        pipe.fit(X, y, augment__speaker=spk)


def test_metadata_reaches_every_inner_fold_of_a_grid_search(corpus):
    speakers = sorted(set(corpus["speaker"]))
    train = corpus["speaker"] != speakers[0]
    X, y, spk = corpus["X"][train], corpus["y"][train], corpus["speaker"][train]
    pipe = Pipeline(
        [("scale", StandardScaler()), ("augment", _make("oracle-speakers", corpus, random_state=0)), ("clf", SVC())]
    )
    from sklearn.model_selection import GroupKFold

    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(pipe, {"clf__C": [0.1, 1.0]}, cv=GroupKFold(3)).fit(X, y, groups=spk, speaker=spk)
    assert search.best_estimator_.named_steps["augment"].n_synthetic_ == 0  # "balance" on a balanced fold


def test_other_augmenters_request_nothing(corpus):
    assert fit_metadata(make_augmenter("smote"), speaker=corpus["speaker"]) == {}


@pytest.mark.parametrize("name", NAMES)
def test_output_real_rows_first_dtype_and_labels(name, corpus):
    X, y, spk, _ = _fold(corpus)
    X = X.astype(np.float32)
    X_res, y_res = _make(name, corpus, sampling_strategy=1.0, random_state=0).fit_resample(X, y, speaker=spk)
    assert X_res.dtype == np.float32 and X_res.shape[1:] == X.shape[1:]
    assert np.array_equal(X_res[: len(X)], X) and np.array_equal(y_res[: len(y)], y)
    assert set(y_res.tolist()) <= set(y.tolist()) and np.all(np.isfinite(X_res))


@pytest.mark.parametrize("name", NAMES)
def test_amount_semantics(name, corpus):
    X, y, spk, _ = _fold(corpus)
    real = _counts(y)
    for amount, want in {
        1.0: {c: 2 * n for c, n in real.items()},
        0.5: {c: n + round(0.5 * n) for c, n in real.items()},
        "balance": real,
        0.0: real,
    }.items():
        _, y_res = _make(name, corpus, sampling_strategy=amount, random_state=0).fit_resample(X, y, speaker=spk)
        assert _counts(y_res) == want, amount
    _, y_res = _make(name, corpus, sampling_strategy={"anger": 12}, random_state=0).fit_resample(X, y, speaker=spk)
    assert _counts(y_res) == {**real, "anger": 12}


@pytest.mark.parametrize("name", NAMES)
def test_rows_are_the_pool_utterances_standardised_with_the_fold(name, corpus):
    """Each generated row is exactly the new utterance's features through the fold's own scaler."""
    from labkit.augment.oracle import _pool_features

    speakers = sorted(set(corpus["speaker"]))
    train = corpus["speaker"] != speakers[1]
    scaler = StandardScaler().fit(corpus["X"][train])
    X, y, spk, ids = (
        scaler.transform(corpus["X"][train]),
        corpus["y"][train],
        corpus["speaker"][train],
        corpus["id"][train],
    )
    for meta in ({"speaker": spk}, {"speaker": spk, "utterance": ids}):
        aug = _make(name, corpus, sampling_strategy=1.0, random_state=0)
        X_res, y_res = aug.fit_resample(X, y, **meta)
        kind = aug.kind
        pool_ids, P, _, pool_emotions = _pool_features(corpus["source"], "egemaps", (), kind, 3, None)
        where = {u: i for i, u in enumerate(pool_ids)}
        rows = [where[u] for u in aug.last_ids_]
        assert np.allclose(X_res[len(X) :], scaler.transform(P[rows]), atol=1e-4)
        assert np.array_equal(pool_emotions[rows], y_res[len(X) :])
        assert len(set(aug.last_ids_)) == len(aug.last_ids_)  # no repeats while the pool lasts
        assert not set(aug.last_ids_) & set(corpus["id"])  # new utterances, never corpus ones


def test_utterance_ids_place_rows_under_any_per_feature_scaler(corpus):
    speakers = sorted(set(corpus["speaker"]))
    train = corpus["speaker"] != speakers[0]
    X, y, spk, ids = corpus["X"][train], corpus["y"][train], corpus["speaker"][train], corpus["id"][train]
    scaled = MinMaxScaler().fit_transform(X)
    aug = _make("oracle-speakers", corpus, sampling_strategy=1.0, random_state=0)
    with pytest.raises(LabkitError, match="StandardScaler"):
        aug.fit_resample(scaled, y, speaker=spk)
    X_res, _ = aug.fit_resample(scaled, y, speaker=spk, utterance=ids)
    assert X_res.shape == (2 * len(X), X.shape[1])
    with pytest.raises(LabkitError, match="affine"):  # ids that do not belong to the rows
        aug.fit_resample(scaled, y, speaker=spk, utterance=ids[::-1])


@pytest.mark.parametrize("name", NAMES)
def test_random_state_makes_it_repeatable(name, corpus):
    X, y, spk, _ = _fold(corpus)
    a = _make(name, corpus, sampling_strategy=1.0, random_state=7).fit_resample(X, y, speaker=spk)[0]
    b = _make(name, corpus, sampling_strategy=1.0, random_state=7).fit_resample(X, y, speaker=spk)[0]
    c = _make(name, corpus, sampling_strategy=1.0, random_state=8).fit_resample(X, y, speaker=spk)[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("name", NAMES)
def test_sample_counts_and_repeats_past_the_pool(name, corpus):
    X, y, spk, _ = _fold(corpus)
    aug = _make(name, corpus, random_state=0)
    with pytest.raises(LabkitError, match="not fitted"):
        aug.sample(3)
    aug.fit(X, y, speaker=spk)
    X_new, y_new = aug.sample({"anger": 4, "sadness": 2})
    assert _counts(y_new) == {"anger": 4, "sadness": 2} and X_new.shape == (6, X.shape[1])
    with pytest.raises(LabkitError, match="'joy'"):
        aug.sample({"joy": 1})
    with pytest.warns(UserWarning, match="rows repeat"):
        aug.sample({"neutral": 100})


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_refused(name, corpus):
    X, y, spk, _ = _fold(corpus)
    with pytest.raises(LabkitError, match="speaker of every training row"):
        _make(name, corpus, sampling_strategy=1.0).fit_resample(X, y)
    with pytest.raises(LabkitError, match="not in"):
        _make(name, corpus, sampling_strategy=1.0).fit_resample(X, y, speaker=np.full(len(y), "emodb:03"))
    with pytest.raises(LabkitError, match="shape"):
        _make(name, corpus, sampling_strategy=1.0).fit_resample(X, y, speaker=spk[:-1])
    with pytest.raises(LabkitError):
        _make(name, corpus).fit_resample(X, y[:-1], speaker=spk)
    with pytest.raises(LabkitError, match="sampling_strategy"):
        _make(name, corpus, sampling_strategy=-1.0).fit_resample(X, y, speaker=spk)
    with pytest.raises(LabkitError, match="source="):
        make_augmenter(name, sampling_strategy=1.0).fit_resample(X, y, speaker=spk)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("source", ["emodb:/data/emodb", "csv:/data/manifest.csv", "table.parquet"])
def test_a_non_synthetic_source_is_a_clear_error(name, source, corpus):
    X, y, spk, _ = _fold(corpus)
    with pytest.raises(LabkitError, match="not a synthetic corpus"):
        make_augmenter(name, source=source, features="egemaps", sampling_strategy=1.0).fit_resample(X, y, speaker=spk)


@pytest.mark.parametrize("name", NAMES)
def test_an_oracle_never_draws_a_test_speaker(name, corpus):
    """The leak test: over every leave-one-speaker-out fold, no generated row is the test speaker's."""
    import pandas as pd

    from labkit.experiment.protocols import make_folds

    meta = pd.DataFrame({"speaker": corpus["speaker"], "emotion": corpus["y"]})
    for fold in make_folds(meta, "loso"):
        tr, te = fold.train_idx, fold.test_idx
        test_speakers = set(corpus["speaker"][te])
        aug = _make(name, corpus, sampling_strategy=1.0, random_state=0)
        X = StandardScaler().fit_transform(corpus["X"][tr])
        aug.fit_resample(X, corpus["y"][tr], speaker=corpus["speaker"][tr])
        drawn = set(aug.last_speakers_)
        assert drawn and not drawn & test_speakers
        if name == "oracle-speakers":
            assert drawn <= set(corpus["speaker"][tr])  # the training fold's own speakers
        else:
            assert not drawn & set(corpus["speaker"])  # new people: no corpus speaker at all


def test_labkit_compare_runs_both_oracles_end_to_end(corpus, tmp_path, capsys):
    """`labkit compare` hands the oracles the source, the feature set and the fold's speakers and
    utterance ids (metadata routing), and every oracle row is an utterance of a permitted speaker."""
    import json

    from labkit.cli import main
    from labkit.runstore import Run

    out = tmp_path / "run"
    argv = [
        "compare",
        corpus["source"],
        "--features",
        "egemaps",
        "--augmenters",
        "none,oracle-speakers,oracle-population",
    ]
    argv += ["--protocol", "loso", "--seeds", "1", "--classifier", "svm-linear", "--amount", "1.0", "--no-tune"]
    assert main([*argv, "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    tasks = [json.loads(p.read_text()) for p in sorted((Run(out).path / "tasks").glob("*.json"))]
    n_speakers = len(set(corpus["speaker"]))
    for name in NAMES:
        mine = [t for t in tasks if t["augmenter"] == name]
        assert len(mine) == n_speakers  # one task per left-out speaker
        # amount 1.0 adds one synthetic row per training row of every class
        assert all(t["n_synthetic"] == t["n_train"] for t in mine), [(t["n_synthetic"], t["n_train"]) for t in mine]
    assert set(result) == {"none", *NAMES}  # --json: {augmenter: {metric: summary}}
    assert all(0 <= result[name]["uar"]["mean"] <= 1 and result[name]["uar"]["n"] == n_speakers for name in NAMES)

    # the share of each oracle's gain (labkit.experiment.stats.oracle_share): stored, and printed
    shares = Run(out).read_table("oracle_share")
    assert set(zip(shares["oracle"], shares["augmenter"])) == {
        ("oracle-speakers", "oracle-population"),
        ("oracle-population", "oracle-speakers"),
    }
    uar = {name: result[name]["uar"]["mean"] for name in result}
    for row in shares.itertuples(index=False):
        gain = uar[row.oracle] - uar["none"]  # every augmenter ran every fold: mean of paired = difference of means
        assert row.oracle_gain == pytest.approx(gain) and row.n_folds == n_speakers
        if gain > 0:
            assert row.share == pytest.approx((uar[row.augmenter] - uar["none"]) / gain)
        else:
            assert np.isnan(row.share)
    assert main([*argv, "--out", str(out)]) == 0  # finished: reprints the table from the stored tasks
    printed = capsys.readouterr().out
    assert "share of oracle-speakers's gain [95% CI]" in printed and "share of oracle-population's gain" in printed


def test_labkit_coverage_gives_the_oracles_reference_scale_and_stores_it(corpus, tmp_path, capsys, monkeypatch):
    """`labkit coverage` on a comparison with a recorded augmenter: the oracles' rows for the same fold, as
    many per class as the snapshot, measured like the generator's; stored in the run (coverage-reference),
    read back by the dashboard's reader, reused on the second call; a non-synthetic source has none."""
    import json

    import pandas as pd

    from labkit.augment import oracle
    from labkit.cli import main
    from labkit.metrics.coverage import REFERENCE_TABLE, CoverageConfig
    from labkit.runstore import Run
    from labkit.viz import reference

    out = tmp_path / "run"
    argv = ["compare", corpus["source"], "--features", "egemaps", "--augmenters", "none,ros", "--protocol", "loso"]
    assert main([*argv, "--seeds", "1", "--record-every", "1", "--no-tune", "--out", str(out)]) == 0
    capsys.readouterr()
    cov = ["coverage", str(out), "--space", "aug-ros", "--k", "2", "--max-samples", "60", "--projections", "none"]
    assert main(cov) == 0
    printed = capsys.readouterr().out
    assert "oracle-population reaches test_gain" in printed and "this generator" in printed, printed
    run = Run(out)
    stored = run.read_table(REFERENCE_TABLE)
    assert sorted(stored["oracle"]) == ["oracle-population", "oracle-speakers"]
    snap = run.load_snapshot("aug-ros", run.snapshot_iterations("aug-ros")[-1])
    assert (stored["n_generated"] == len(snap["y"])).all()  # the same amount as the generator's snapshot
    # the same numbers as computing it now; the viz reader gives them back
    fresh = oracle.coverage_reference(run, "aug-ros", CoverageConfig(k=2, max_samples=60))
    read, message = reference.load(out, "aug-ros")
    assert message == "" and len(read) == 2
    for row in fresh:
        back = read[read["oracle"] == row["oracle"]].iloc[0]
        for m in ("test_gain", "recall", "precision", "coverage", "test_in_train"):
            assert back[m] == pytest.approx(row[m]), (row["oracle"], m)
    assert main([*cov, "--json"]) == 0
    gen = json.loads(capsys.readouterr().out)
    assert gen and all("oracle" not in r for r in gen)  # --json prints the generator's rows, as before
    panel = reference.summary_markdown(out, "aug-ros", pd.DataFrame(gen), gen[-1]["iteration"])
    assert "| test_gain |" in panel and "oracle-speakers" in panel
    # the second call reads the table, computes nothing
    monkeypatch.setattr(oracle, "coverage_reference", lambda *a, **k: pytest.fail("recomputed"))
    assert main(cov) == 0 and "oracle-population reaches" in capsys.readouterr().out

    # a comparison on a table of features (not synthetic): no reference, and the command says so
    table = tmp_path / "feats.csv"
    frame = pd.DataFrame(corpus["X"][:, :6], columns=[f"f{i}" for i in range(6)])
    frame["emotion"], frame["speaker"], frame["id"] = corpus["y"], corpus["speaker"], corpus["id"]
    frame.to_csv(table, index=False)
    other = tmp_path / "csv-run"
    argv = ["compare", str(table), "--label-column", "emotion", "--speaker-column", "speaker", "--id-column", "id"]
    assert (
        main(
            [*argv, "--augmenters", "none,ros", "--record-every", "1", "--seeds", "1", "--no-tune", "--out", str(other)]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["coverage", str(other), "--k", "2", "--max-samples", "60", "--projections", "none"]) == 0
    assert "no oracle reference exists" in capsys.readouterr().out
    assert reference.load(other, "aug-ros")[0] is None
