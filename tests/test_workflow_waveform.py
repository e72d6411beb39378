"""Waveform augmenters: each changes the audio and keeps its length and rate; in a comparison they only
ever read training-fold audio, share augmented copies between folds, and survive an inner CV's clones."""

import random

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler
from workflow_fixtures import tiny_corpus

from labkit.augment import make_augmenter
from labkit.augment.waveform import WaveformAugmenter
from labkit.cli import main
from labkit.errors import LabkitError
from labkit.runstore import open_run

WAVEFORM = ["wav-noise", "wav-band", "wav-reverb", "wav-speed"]


@pytest.fixture(scope="module")
def manifest():
    return tiny_corpus()


@pytest.fixture(scope="module")
def table(manifest):
    from labkit.data.loaders import load_corpus

    return load_corpus(f"csv:{manifest}")  # absolute paths


@pytest.mark.parametrize("name", WAVEFORM)
def test_each_augmenter_changes_audio_and_keeps_length_and_rate(name, table):
    source = table["path"].iloc[0]
    y, sr = sf.read(source, dtype="float32")
    aug = make_augmenter(name)
    out = aug.augment_file(source, seed=0, copy=0)
    info = sf.info(out)
    assert (info.samplerate, info.frames, info.channels) == (sr, len(y), 1)
    z, _ = sf.read(out, dtype="float32")
    assert np.all(np.isfinite(z)) and not np.allclose(z, y, atol=1e-4)
    assert 0.2 < np.sqrt(np.mean(z**2)) / np.sqrt(np.mean(y**2)) < 5  # a change, not a wreck
    # deterministic per (seed, copy); another copy or seed is another draw
    again = aug.transform_audio(y, sr, seed=123)
    np.testing.assert_array_equal(again, aug.transform_audio(y, sr, seed=123))
    assert not np.array_equal(again, aug.transform_audio(y, sr, seed=124))
    assert aug.augment_file(source, seed=0, copy=0) == out  # cached
    assert aug.augment_file(source, seed=0, copy=1) != out


def test_audiomentations_global_random_state_is_restored(table):
    random.seed(5)
    np.random.seed(5)
    expected = (random.random(), np.random.rand())
    random.seed(5)
    np.random.seed(5)
    make_augmenter("wav-noise").transform_audio(np.ones(1600, np.float32) * 0.1, 16000, seed=1)
    assert (random.random(), np.random.rand()) == expected


def test_band_and_speed_change_what_they_say(table):
    y, sr = sf.read(table["path"].iloc[3], dtype="float32")
    band = make_augmenter("wav-band", jitter=0.0).transform_audio(y, sr, seed=0)
    spectrum = lambda x: np.abs(np.fft.rfft(x)) ** 2  # noqa: E731
    f = np.fft.rfftfreq(len(y), 1 / sr)
    low = lambda x: spectrum(x)[f < 150].sum() / spectrum(x).sum()  # noqa: E731
    high = lambda x: spectrum(x)[f > 5000].sum() / spectrum(x).sum()  # noqa: E731
    assert low(band) < 0.2 * low(y) and high(band) < 0.2 * high(y)  # outside the telephone band: mostly gone
    fast = make_augmenter("wav-speed", min_rate=1.25, max_rate=1.25).transform_audio(y, sr, seed=0)
    assert len(fast) == len(y) and np.abs(fast[-int(0.15 * len(y)) :]).max() < 1e-3  # faster: silence at the end


def test_bad_parameters_and_unbound_use_are_clear_errors():
    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    with pytest.raises(LabkitError, match="Nyquist"):
        make_augmenter("wav-band", high_hz=9000.0).transform_audio(y, 16000, seed=0)
    with pytest.raises(LabkitError, match="min_rate"):
        make_augmenter("wav-speed", min_rate=3.0, max_rate=4.0).transform_audio(y, 16000, seed=0)
    with pytest.raises(LabkitError, match="min_rt60"):
        make_augmenter("wav-reverb", min_rt60=0.0).transform_audio(y, 16000, seed=0)
    X = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    with pytest.raises(LabkitError, match="augments audio, not feature rows"):
        make_augmenter("wav-noise").fit_resample(X, np.array(list("aabbcc")))


def test_rows_are_matched_to_bound_utterances_even_in_an_inner_cv():
    rng = np.random.default_rng(0)
    X_real = rng.standard_normal((12, 5)).astype(np.float32) * 3 + 1
    table = pd.DataFrame({"path": [f"u{i}.wav" for i in range(12)]})
    aug = make_augmenter("wav-noise", random_state=0).bind(table, X_real, 0, "egemaps", {})
    y = np.array(list("ab") * 6)
    aug.fit(StandardScaler().fit_transform(X_real), y)  # the whole fold, as the pipeline gives it
    assert list(aug.rows_) == list(range(12)) and aug.scaler_ is not None
    inner = clone(aug)  # GridSearchCV clones: the binding is a parameter and survives
    assert inner.audio is not None
    subset = np.array([7, 2, 9, 0, 4, 11, 5, 3])
    inner.fit(StandardScaler().fit_transform(X_real[subset]), y[subset])  # an inner fold, its own statistics
    assert list(inner.rows_) == list(subset)
    other = rng.standard_normal((8, 5)).astype(np.float32)
    with pytest.raises(LabkitError, match="not the features of the utterances"):
        clone(aug).fit(StandardScaler().fit_transform(other), y[:8])


@pytest.mark.slow
def test_compare_augments_only_training_audio_once_per_utterance(manifest, table, tmp_path, monkeypatch, capsys):
    seen = []
    original = WaveformAugmenter.augment_file

    def spy(self, path, seed, copy=0, sr=16000):
        seen.append((str(path), int(seed), int(copy)))
        return original(self, path, seed, copy, sr=sr)

    monkeypatch.setattr(WaveformAugmenter, "augment_file", spy)
    out = tmp_path / "run"
    assert (
        main(
            [
                "compare",
                f"csv:{manifest}",
                "--augmenters",
                "none,wav-band",
                "--protocol",
                "loso",
                "--seeds",
                "1",
                "--no-tune",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    run = open_run(out)
    tasks = run.read_table("tasks")
    band = tasks[tasks["augmenter"] == "wav-band"]
    assert len(band) == 4 and (band["n_synthetic"] == band["n_train"]).all()  # amount 1: one copy each
    speaker_of = dict(zip(table["path"], table["speaker"]))
    folds = dict(zip(band["fold"], band["fold_name"]))
    assert len(seen) == 4 * 18  # 4 folds x 18 training utterances
    calls = iter(seen)
    for fold in sorted(folds):  # one task per fold, in order (n_jobs 1)
        held_out = folds[fold].split("=", 1)[1]
        for _ in range(18):
            path, seed, copy = next(calls)
            assert speaker_of[path] != held_out and seed == 0 and copy == 0  # never the test speaker's audio
    assert len({p for p, _, _ in seen}) == 24  # every utterance augmented once, shared by the folds it trains in
    assert run.has_table("utterances") and run.read_json("waveform")["feature_set"] == "egemaps"
    summary = capsys.readouterr().out
    assert "wav-band" in summary


def test_waveform_augmenter_needs_a_corpus_source(tmp_path, capsys):
    from labkit.experiment.toy import toy_features

    meta, X = toy_features(n_speakers=3, n_per=3, dim=4)
    df = pd.DataFrame(X, columns=list("abcd")).assign(speaker=meta["speaker"], emotion=meta["emotion"])
    df.to_csv(tmp_path / "t.csv", index=False)
    assert (
        main(["compare", str(tmp_path / "t.csv"), "--augmenters", "none,wav-noise", "--out", str(tmp_path / "r")]) == 2
    )
    assert "augment audio: SOURCE must be a corpus" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
