"""The embedded synthetic corpus: determinism, format, labels, contexts, config checks, difficulty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from labkit.data import schema
from labkit.data.synthetic import (
    CONTEXTS,
    MANIFEST_COLUMNS,
    SynthConfig,
    default_corpus,
    make_speaker,
    read_synthetic,
    synthesize_corpus,
    synthesize_dry,
    synthesize_utterance,
)
from labkit.errors import LabkitError

# A tiny corpus: 2 speakers × 3 emotions × 2 utterances of about a second.
TINY = dict(n_speakers=2, n_utterances=2, emotions=["anger", "sadness", "neutral"], duration=(0.8, 1.2))


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth-tiny")
    table = synthesize_corpus(out, SynthConfig(seed=3, **TINY), progress=False, n_jobs=1)
    return out, table


def _wav_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "wav").glob("*.wav"))}


def test_same_seed_gives_identical_files(tiny_corpus, tmp_path):
    out, table = tiny_corpus
    again = synthesize_corpus(tmp_path / "again", SynthConfig(seed=3, **TINY), progress=False, n_jobs=1)
    a, b = _wav_bytes(out), _wav_bytes(tmp_path / "again")
    assert len(a) == len(again) == 12
    assert a == b  # byte-identical
    assert (out / "manifest.csv").read_text() == (tmp_path / "again" / "manifest.csv").read_text()


@pytest.mark.slow  # starting worker processes takes seconds
def test_parallel_generation_gives_identical_files(tiny_corpus, tmp_path):
    out, _ = tiny_corpus
    synthesize_corpus(tmp_path, SynthConfig(seed=3, **TINY), progress=False, n_jobs=2)
    assert _wav_bytes(out) == _wav_bytes(tmp_path)


def test_other_seed_gives_other_audio():
    cfg = SynthConfig(seed=3, **TINY)
    y1 = synthesize_utterance(cfg, 0, "anger", 0)
    y2 = synthesize_utterance(SynthConfig(seed=4, **TINY), 0, "anger", 0)
    assert np.array_equal(y1, synthesize_utterance(cfg, 0, "anger", 0))
    assert y1.shape != y2.shape or not np.allclose(y1, y2)


def test_manifest_table_and_wav_format(tiny_corpus):
    out, table = tiny_corpus
    assert list(table.columns) == schema.UTTERANCE_COLUMNS
    assert table["id"].is_unique
    assert (table["corpus"] == "synthetic").all()
    assert table["speaker"].str.match(r"^synthetic:s\d\d$").all()
    assert set(table["gender"]) == {"f", "m"}  # one of each in a pair of speakers
    for _, row in table.iterrows():
        assert (row["arousal"], row["valence"]) == schema.EMOTION_AV[row["emotion"]]
    # Balanced labels: every speaker says every emotion n_utterances times.
    counts = table.groupby(["speaker", "emotion"]).size()
    assert len(counts) == 2 * 3 and (counts == 2).all()

    manifest = pd.read_csv(out / "manifest.csv")
    assert list(manifest.columns) == MANIFEST_COLUMNS
    assert manifest["id"].tolist() == table["id"].tolist()
    for rel, path, duration in zip(manifest["path"], table["path"], table["duration"]):
        assert not Path(rel).is_absolute() and Path(path).is_absolute()
        assert (out / rel).resolve() == Path(path)
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        y, _ = sf.read(path)
        assert np.isfinite(y).all()
        assert np.sqrt(np.mean(y**2)) > 1e-3  # not silent
        assert abs(len(y) / 16000 - duration) < 1e-6
        assert 0.5 < duration < 3.0
    # Reading the folder back gives the same table.
    back = read_synthetic(out)
    pd.testing.assert_frame_equal(back.reset_index(drop=True), table.reset_index(drop=True), check_dtype=False)


def test_emotions_differ_in_level_and_pitch():
    """Anger is louder and higher than sadness for the same speaker and sentence (profile directions)."""
    cfg = SynthConfig(seed=1, **TINY)
    loud = {
        e: np.mean([np.sqrt(np.mean(synthesize_dry(cfg, 0, e, i) ** 2)) for i in range(4)])
        for e in ("anger", "sadness")
    }
    assert loud["anger"] > 1.5 * loud["sadness"]


def test_contexts_differ_but_the_voice_is_the_same():
    studio = SynthConfig(seed=5, context="studio", **TINY)
    phone = SynthConfig(seed=5, context="phone", **TINY)
    far = SynthConfig(seed=5, context="farfield", **TINY)
    # The dry speech and the speaker do not depend on the context.
    assert np.array_equal(synthesize_dry(studio, 1, "neutral", 0), synthesize_dry(phone, 1, "neutral", 0))
    assert make_speaker(studio, 1) == make_speaker(far, 1)

    def high_band_share(y):  # share of energy above 4.5 kHz (the telephone band ends at 3.4 kHz)
        spec = np.abs(np.fft.rfft(y)) ** 2
        freqs = np.fft.rfftfreq(len(y), 1 / 16000)
        return spec[freqs > 4500].sum() / spec.sum()

    def noise_floor_db(y):  # level of the leading 80 ms (silence before speech) relative to the whole
        return 20 * np.log10(np.std(y[:1280]) / np.std(y))

    ys = {
        name: synthesize_utterance(c, 1, "neutral", 0)
        for name, c in (("studio", studio), ("phone", phone), ("farfield", far))
    }
    assert high_band_share(ys["phone"]) < 0.1 * high_band_share(ys["studio"])  # telephone band
    assert noise_floor_db(ys["farfield"]) > noise_floor_db(ys["studio"]) + 10  # noisier room
    assert set(CONTEXTS) >= {"studio", "phone", "farfield"}


def test_pooled_contexts_have_unique_ids_and_shared_speakers(tiny_corpus, tmp_path):
    _, studio = tiny_corpus
    phone = synthesize_corpus(tmp_path, SynthConfig(seed=3, context="phone", **TINY), progress=False, n_jobs=1)
    pooled = pd.concat([studio, phone])
    assert pooled["id"].is_unique
    assert set(studio["speaker"]) == set(phone["speaker"])
    assert studio.groupby("speaker")["gender"].first().equals(phone.groupby("speaker")["gender"].first())


@pytest.mark.parametrize(
    "bad",
    [
        dict(emotions=["anger", "joyfulness"]),
        dict(emotions=[]),
        dict(emotions=["anger", "anger"]),
        dict(context="underwater"),
        dict(n_speakers=0),
        dict(n_utterances=-1),
        dict(n_utterances=2.5),
        dict(sr=8000),
        dict(duration=(3.0, 1.0)),
        dict(duration=5),
        dict(emotion_strength=-1.0),
        dict(seed=-3),
    ],
)
def test_bad_config_raises(bad, tmp_path):
    with pytest.raises(LabkitError) as err:
        synthesize_corpus(tmp_path, SynthConfig(**bad), progress=False)
    assert not (tmp_path / "manifest.csv").exists()
    key, value = next(iter(bad.items()))
    assert key in str(err.value) or repr(value) in str(err.value) or "joyfulness" in str(err.value)


def test_unknown_context_lists_the_known_ones():
    with pytest.raises(LabkitError, match="studio.*phone"):
        SynthConfig(context="radio").validate()


def test_default_corpus_is_built_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path))
    cfg = SynthConfig(seed=2, n_speakers=2, n_utterances=1, emotions=["fear", "boredom"], duration=(0.8, 1.0))
    first = default_corpus(cfg, progress=False)
    folders = list((tmp_path / "corpora").iterdir())
    assert [f.name.startswith("synthetic-") for f in folders] == [True]  # one folder, no temporary left
    stamp = (folders[0] / "manifest.csv").stat().st_mtime_ns
    second = default_corpus(cfg, progress=False)
    assert (folders[0] / "manifest.csv").stat().st_mtime_ns == stamp  # not rebuilt
    pd.testing.assert_frame_equal(first, second)
    assert len(first) == 4 and all(Path(p).is_file() for p in first["path"])


def _egemaps(paths) -> np.ndarray:
    import opensmile

    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals
    )
    return np.vstack([smile.process_file(p).to_numpy()[0] for p in paths])  # (N, 88)


@pytest.mark.slow
def test_default_corpus_is_a_fair_stand_in():
    """Leave-one-speaker-out linear SVM on eGeMAPS: well above chance, well below perfect (50–80 % UAR
    on 7 classes), and held-out speakers lie partly outside the training distribution (AAEC Fig. 1)."""
    from joblib import Parallel, delayed
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    table = default_corpus(progress=False)
    assert len(table) == 10 * 7 * 10
    X = np.vstack(Parallel(n_jobs=2)(delayed(_egemaps)(chunk) for chunk in np.array_split(table["path"], 2)))
    y, speakers = table["emotion"].to_numpy(), table["speaker"].to_numpy()
    y_pred = np.empty_like(y)
    outside = []
    for speaker in np.unique(speakers):
        train, test = speakers != speaker, speakers == speaker
        clf = make_pipeline(StandardScaler(), SVC(kernel="linear", C=1.0)).fit(X[train], y[train])
        y_pred[test] = clf.predict(X[test])
        # AAEC's Figure 1: held-out samples lie partly outside the training distribution. Share of
        # held-out samples farther from the training set than the median training sample is from
        # its nearest training neighbour; were the held-out speaker drawn like the training
        # samples, this share would be about one half.
        scaler = StandardScaler().fit(X[train])
        A, B = scaler.transform(X[train]), scaler.transform(X[test])
        d_train = np.linalg.norm(A[:, None] - A[None], axis=-1)  # (n_train, n_train)
        np.fill_diagonal(d_train, np.inf)
        d_test = np.linalg.norm(B[:, None] - A[None], axis=-1).min(1)  # (n_test,)
        outside.append(np.mean(d_test > np.median(d_train.min(1))))
    uar = balanced_accuracy_score(y, y_pred)
    assert 0.5 <= uar <= 0.8, f"LOSO UAR {uar:.3f} outside 50-80 %"
    assert np.mean(outside) > 0.55 and min(outside) > 0.0, outside  # measured: mean 0.69, min 0.37


# ------------------------------------------------------------------------------------ scenarios
def test_existing_corpora_keep_their_cache_key_and_audio():
    """The default corpus and `synthetic:studio+phone` must stay byte-identical (README numbers and
    tests depend on them): new SynthConfig fields at their defaults leave the cache key unchanged, and
    one utterance still has the bytes it had before scenarios existed."""
    import hashlib

    from labkit.data.synthetic import SCENARIOS, config_hash, scenario_config

    assert config_hash(SynthConfig()) == "0d08ff2462"
    assert config_hash(SynthConfig(context="phone", seed=1)) == "bbce93f201"
    assert config_hash(scenario_config("balanced")) == config_hash(SynthConfig())
    assert "n_per_emotion" not in SynthConfig().to_dict()
    y = synthesize_utterance(SynthConfig(), 3, "anger", 2)
    assert hashlib.sha1(y.tobytes()).hexdigest() == "73089f4591828199f9432d730e75d0e27d20d329"
    assert set(SCENARIOS) == {"balanced", "imbalanced", "scarce", "shifted", "incontext", "outofcontext"}


@pytest.mark.parametrize("name", ["balanced", "imbalanced", "scarce", "shifted", "incontext", "outofcontext"])
def test_scenario_configs_are_valid_and_sized_as_documented(name):
    from labkit.data.synthetic import SCENARIO_HELP, scenario_config

    cfg = scenario_config(name)
    sizes = {e: sum(cfg.group_size(s, e) for s in range(cfg.n_speakers)) for e in cfg.emotions}
    expected = {
        "balanced": (10, {e: 100 for e in schema.DEFAULT_EMOTIONS}),
        "imbalanced": (10, {"anger": 127, "fear": 69, "happiness": 71, "sadness": 62, "neutral": 79}),
        "scarce": (10, {e: 30 for e in schema.DEFAULT_EMOTIONS}),
        "shifted": (10, {e: 100 for e in schema.DEFAULT_EMOTIONS}),
        "incontext": (6, {e: 24 for e in schema.DEFAULT_EMOTIONS}),
        "outofcontext": (20, {e: 160 for e in schema.DEFAULT_EMOTIONS}),
    }[name]
    assert (cfg.n_speakers, sizes) == expected
    assert name in SCENARIO_HELP


def test_imbalanced_spreads_each_class_evenly_over_speakers():
    from labkit.data.synthetic import scenario_config

    cfg = scenario_config("imbalanced")
    for emotion in cfg.emotions:
        per_speaker = [cfg.group_size(s, emotion) for s in range(cfg.n_speakers)]
        assert max(per_speaker) - min(per_speaker) <= 1
    totals = [sum(cfg.group_size(s, e) for e in cfg.emotions) for s in range(cfg.n_speakers)]
    assert max(totals) - min(totals) <= 2  # the extra utterances rotate over speakers


def test_scarce_is_a_subset_of_balanced_and_shifted_spreads_speakers_more():
    from labkit.data.synthetic import scenario_config

    scarce, balanced, shifted = (scenario_config(n) for n in ("scarce", "balanced", "shifted"))
    assert np.array_equal(synthesize_utterance(scarce, 4, "fear", 2), synthesize_utterance(balanced, 4, "fear", 2))
    for s in range(10):  # same voices, twice as far from their sex's mean F0 and vocal-tract length
        b, h = make_speaker(balanced, s), make_speaker(shifted, s)
        mean_f0 = 210.0 if b.gender == "f" else 115.0
        assert h.gender == b.gender
        assert np.log(h.f0 / mean_f0) == pytest.approx(2 * np.log(b.f0 / mean_f0))


def test_scenario_sources_load_with_prefixed_disjoint_ids(tmp_path, monkeypatch):
    """`synthetic:<scenario>` builds once into the cache; ids and speakers carry the scenario name, so
    two scenarios never share a speaker or an utterance id."""
    from labkit.data import synthetic
    from labkit.data.loaders import load_corpus

    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path))
    tiny = dict(n_speakers=2, n_utterances=1, emotions=["anger", "neutral"], duration=(0.8, 1.0))
    monkeypatch.setitem(synthetic.SCENARIOS, "tinya", dict(seed=1, **tiny))
    monkeypatch.setitem(synthetic.SCENARIOS, "tinyb", dict(seed=2, n_per_emotion={"anger": 3}, **tiny))
    a, b = load_corpus("synthetic:tinya"), load_corpus("synthetic:tinyb")
    assert a["speaker"].str.startswith("synthetic:tinya-").all() and a["id"].str.startswith("tinya-").all()
    assert not set(a["speaker"]) & set(b["speaker"]) and not set(a["id"]) & set(b["id"])
    assert b["emotion"].value_counts().to_dict() == {"anger": 3, "neutral": 2}
    assert a.attrs["source"] == "synthetic:tinya"
    pd.testing.assert_frame_equal(a, load_corpus("synthetic:tinya"), check_like=True)  # cached


def test_unknown_scenario_names_the_known_ones(tmp_path, monkeypatch):
    from labkit.data.loaders import load_corpus
    from labkit.errors import CorpusError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(CorpusError, match="synthetic:shifted"):
        load_corpus("synthetic:shiftd")


def test_measure_separates_a_shifted_test_speaker():
    """`labkit.metrics.difficulty.measure`: a held-out speaker far from the training speakers is outside
    every training ball; one drawn like them mostly is not."""
    from labkit.metrics.difficulty import measure, outside_share

    rng = np.random.default_rng(0)
    train = rng.standard_normal((200, 5))
    assert outside_share(train, rng.standard_normal((50, 5))) < 0.3
    assert outside_share(train, rng.standard_normal((50, 5)) + 6.0) == 1.0
    meta = pd.DataFrame({"speaker": np.repeat(["a", "b", "c", "d"], 30), "emotion": np.tile(["x", "y"], 60)})
    X = rng.standard_normal((120, 4)) + 3.0 * (meta["emotion"] == "x").to_numpy()[:, None]
    result = measure(meta, X, show_progress=False)
    assert result["uar"]["mean"] > 0.9 and result["uar"]["n"] == 4 and len(result["folds"]) == 4
    assert 0.0 <= result["outside"]["ci_low"] <= result["outside"]["mean"] <= result["outside"]["ci_high"] <= 1.0
