"""labkit.features: shapes and names per set, framing, Parquet round trip, cache, parallel, bad audio, CLI."""

import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from labkit.data.schema import UTTERANCE_COLUMNS
from labkit.errors import AudioError, LabkitError
from labkit.features import FEATURE_SETS, Features, default_settings, extract, frame_count, smile, spectral

SR = 16000


def _voice(seconds: float, f0: float, seed: int) -> np.ndarray:
    """A crude voiced sound: a few harmonics with vibrato plus a little noise, (n,) float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * f0 * (t + 0.02 * np.sin(2 * np.pi * 5 * t))
    y = sum(0.3 / k * np.sin(k * phase) for k in range(1, 5)) + 0.01 * rng.standard_normal(t.size)
    return (y * np.hanning(t.size) ** 0.1).astype(np.float32)


def _write(path, y, sr=SR):
    sf.write(str(path), y, sr, subtype="FLOAT")
    return str(path)


def _table(paths, speakers=None, emotions=None) -> pd.DataFrame:
    rows = []
    for k, p in enumerate(paths):
        emotion = (emotions or ["anger", "sadness"])[k % 2]
        rows.append(
            {
                "id": f"utt{k}",
                "path": str(p),
                "corpus": "csv",
                "speaker": (speakers or [f"csv:s{k % 2}"] * len(paths))[k],
                "gender": "f",
                "emotion": emotion,
                "arousal": 2 if emotion == "anger" else 0,
                "valence": 0,
                "duration": sf.info(str(p)).duration,
                "context": "",
            }
        )
    return pd.DataFrame(rows, columns=UTTERANCE_COLUMNS)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory):
    """Four short good files of different lengths and pitches."""
    folder = tmp_path_factory.mktemp("wavs")
    return [_write(folder / f"u{k}.wav", _voice(0.4 + 0.2 * k, 110 + 40 * k, seed=k)) for k in range(4)]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


# ---------------------------------------------------------------- functionals
@pytest.mark.parametrize("feature_set, dim", [("egemaps", 88), ("emobase", 988), ("is10", 1582)])
def test_functional_sets_shape_and_names(wavs, feature_set, dim):
    feats = extract(_table(wavs[:2]), feature_set, n_jobs=1, cache=False)
    assert feats.X.shape == (2, dim) and feats.X.dtype == np.float32
    assert len(feats.names) == dim == len(set(feats.names))
    assert np.isfinite(feats.X).all()
    assert not np.allclose(feats.X[0], feats.X[1])  # two different files give two different vectors
    assert list(feats.meta["id"]) == ["utt0", "utt1"]


def test_compare_has_6373_features(wavs):
    feats = extract(_table(wavs[:1]), "compare", n_jobs=1, cache=False)
    assert feats.X.shape == (1, 6373)
    assert feats.names[0].startswith("audspec") and np.isfinite(feats.X).all()


def test_is10_is_emobase2010_paraling_set():
    # openSMILE's IS10 config is the paralinguistic challenge set known as emobase2010 (1582 features)
    assert smile.SMILE_SETS["is10"] == "IS10"
    names = smile.names("is10")
    assert len(names) == 1582 and any("F0final" in n for n in names)


def test_nan_functionals_become_zero_with_warning(wavs, monkeypatch):
    real = smile.get_smile("egemaps")

    class HalfNaN:  # openSMILE double returning a few NaN values, as it may for odd audio
        feature_names = real.feature_names

        def process_signal(self, y, sr):
            df = real.process_signal(y, sr)
            df.iloc[0, :3] = np.nan
            return df

    monkeypatch.setattr(smile, "get_smile", lambda name: HalfNaN())
    with pytest.warns(UserWarning, match="NaN/inf"):
        feats = extract(_table(wavs[:1]), "egemaps", n_jobs=1, cache=False)
    assert np.isfinite(feats.X).all() and (feats.X[0, :3] == 0).all()
    assert feats.stats["nan_replaced"] == 3


def test_too_short_for_opensmile_names_the_file(tmp_path):
    short = _write(tmp_path / "short.wav", _voice(0.03, 200, seed=1))  # 30 ms: openSMILE gives all NaN
    with pytest.raises(AudioError, match="short.wav.*too short"):
        extract(_table([short]), "egemaps", n_jobs=1, cache=False)


# ---------------------------------------------------------------- frame sets
def test_spectrogram_frame_count_padding_and_truncation(tmp_path):
    y = _voice(2.0, 150, seed=3)
    long_path = _write(tmp_path / "long.wav", y)
    short_path = _write(tmp_path / "short.wav", y[: SR // 2])  # 0.5 s
    feats = extract(_table([short_path, long_path]), "spectrogram", n_jobs=1, cache=False, max_seconds=1.0)
    T = 1 + SR // 512  # 1 s padded to 16000 samples, centred frames
    assert frame_count(1.0, SR, 512) == T == 32
    assert feats.X.shape == (2, T, 513) and feats.names[1] == "hz_15.6"
    # Padding: frames whose window lies wholly after the 0.5 s of audio are exactly zero.
    first_silent = int(np.ceil((SR // 2 + 512) / 512))  # frame t spans samples [t*512 - 512, t*512 + 512)
    assert (feats.X[0, first_silent:] == 0).all() and (feats.X[0, : first_silent - 2].sum(axis=1) > 0).all()
    # Truncation: the 2 s file cut at 1 s equals the spectrogram of its first second (after read_audio
    # removed the file's DC offset, the mean of all 2 s).
    y0 = y - np.float32(y.mean(dtype=np.float64))
    expected = spectral.spectrogram(y0[:SR], sr=SR, n_fft=1024, hop_length=512, max_seconds=1.0)
    np.testing.assert_array_equal(feats.X[1], expected)


def test_spectrogram_defaults_are_aaec(wavs):
    s = default_settings("spectrogram")
    assert (s["sr"], s["n_fft"], s["hop_length"], s["max_seconds"]) == (16000, 1024, 512, 15.0)
    feats = extract(_table(wavs[:1]), "spectrogram", n_jobs=1, cache=False)
    assert feats.X.shape == (1, 469, 513)  # 1 + 240000 // 512 frames, 1024 // 2 + 1 bins
    assert feats.flat().shape == (1, 469 * 513)


@pytest.mark.slow
def test_stft_matches_librosa():
    import librosa

    y = _voice(0.7, 180, seed=4)
    ours = spectral.spectrogram(y, sr=SR, n_fft=1024, hop_length=512, max_seconds=1.0)
    ref = (
        np.abs(librosa.stft(spectral.fix_length(y, SR), n_fft=1024, hop_length=512, center=True, pad_mode="constant"))
        ** 2
    )  # (F, T)
    np.testing.assert_allclose(ours, ref.T, rtol=1e-3, atol=1e-5 * ref.max())


def test_log_spectrogram_and_logmel(wavs):
    table = _table(wavs[:1])
    lin = extract(table, "spectrogram", n_jobs=1, cache=False, max_seconds=1.0)
    db = extract(table, "spectrogram", n_jobs=1, cache=False, max_seconds=1.0, log=True)
    np.testing.assert_allclose(db.X, 10 * np.log10(np.maximum(lin.X, 1e-10)), rtol=1e-5, atol=1e-4)
    mel = extract(table, "logmel", n_jobs=1, cache=False, max_seconds=1.0, n_mels=40)
    assert mel.X.shape == (1, 32, 40) and mel.names[:2] == ["mel_00", "mel_01"]
    assert np.isfinite(mel.X).all() and mel.X.min() >= -100.0 and mel.X.max() > -30.0
    assert (mel.X[0, -3:] == -100.0).all()  # 0.4 s of audio padded to 1 s: padded frames at the dB floor


def test_bad_settings_and_sets_are_named():
    table = pd.DataFrame({"path": ["x.wav"]})
    with pytest.raises(LabkitError, match="mfcc"):
        extract(table, "mfcc")
    with pytest.raises(LabkitError, match="max_seconds"):
        extract(table, "egemaps", max_seconds=3.0)
    with pytest.raises(LabkitError, match="hop_length"):
        extract(table, "spectrogram", hop_length=0)
    with pytest.raises(LabkitError, match="empty"):
        extract(table.iloc[:0], "egemaps")
    assert set(FEATURE_SETS) == {"egemaps", "is10", "compare", "emobase", "spectrogram", "logmel"}


# ---------------------------------------------------------------- Parquet
@pytest.mark.parametrize("feature_set, settings", [("egemaps", {}), ("logmel", {"max_seconds": 1.0})])
def test_parquet_round_trip_is_exact(wavs, tmp_path, feature_set, settings):
    table = _table(wavs[:3])
    table.loc[1, "gender"] = "m"
    feats = extract(table, feature_set, n_jobs=1, cache=False, **settings)
    path = feats.to_parquet(tmp_path / "f.parquet")
    back = Features.from_parquet(path)
    pd.testing.assert_frame_equal(back.meta, feats.meta)
    assert back.X.dtype == np.float32 and back.X.shape == feats.X.shape
    np.testing.assert_array_equal(back.X, feats.X)
    assert (back.names, back.feature_set, back.settings, back.stats) == (
        feats.names,
        feats.feature_set,
        feats.settings,
        feats.stats,
    )
    pd.testing.assert_frame_equal(back.skipped, feats.skipped)
    # Plain pandas sees one row per utterance with the labels and the feature column(s).
    df = pd.read_parquet(path)
    assert len(df) == 3 and {"id", "speaker", "emotion", "arousal", "valence"} <= set(df.columns)
    assert (feats.names[0] in df.columns) if feature_set == "egemaps" else ("x" in df.columns)


def test_not_a_features_file(tmp_path):
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(LabkitError, match="plain.parquet"):
        Features.from_parquet(tmp_path / "plain.parquet")


def test_subset_and_flat(wavs):
    feats = extract(_table(wavs), "logmel", n_jobs=1, cache=False, max_seconds=0.5)
    part = feats.subset([3, 1])
    assert list(part.meta["id"]) == ["utt3", "utt1"] and list(part.meta.index) == [0, 1]
    np.testing.assert_array_equal(part.X, feats.X[[3, 1]])
    mask = feats.meta["emotion"].to_numpy() == "anger"
    assert len(feats.subset(mask)) == mask.sum()
    assert part.flat().shape == (2, feats.X.shape[1] * feats.X.shape[2])


# ---------------------------------------------------------------- cache
def test_second_run_is_a_cache_hit(wavs, fresh_cache):
    table = _table(wavs)
    cold = extract(table, "egemaps", n_jobs=1)
    assert cold.stats["cache_hits"] == 0 and cold.stats["computed"] == 4
    assert len(list((fresh_cache / "features" / "egemaps").rglob("*.npy"))) == 4
    warm = extract(table, "egemaps", n_jobs=1)
    assert warm.stats["cache_hits"] == 4 and warm.stats["computed"] == 0
    np.testing.assert_array_equal(warm.X, cold.X)
    assert warm.names == cold.names
    off = extract(table, "egemaps", n_jobs=1, cache=False)
    assert off.stats["cache_hits"] == 0 and off.stats["computed"] == 4
    np.testing.assert_array_equal(off.X, cold.X)


def test_cache_misses_when_settings_or_audio_change(wavs, tmp_path, fresh_cache):
    paths = [_write(tmp_path / f"c{k}.wav", sf.read(p, dtype="float32")[0]) for k, p in enumerate(wavs[:3])]
    table = _table(paths)
    first = extract(table, "logmel", n_jobs=1, max_seconds=1.0)
    assert extract(table, "logmel", n_jobs=1, max_seconds=1.0).stats["cache_hits"] == 3
    # max_seconds=1 (an int) is the same setting as 1.0: still a hit
    assert extract(table, "logmel", n_jobs=1, max_seconds=1).stats["cache_hits"] == 3
    other = extract(table, "logmel", n_jobs=1, max_seconds=0.5)
    assert other.stats["cache_hits"] == 0 and other.X.shape[1] == 1 + 8000 // 512
    assert extract(table, "logmel", n_jobs=1, max_seconds=1.0, n_mels=32).stats["cache_hits"] == 0
    # Same file name, new bytes: a miss for that file only, and the new numbers.
    _write(paths[1], _voice(0.5, 300, seed=9))
    again = extract(table, "logmel", n_jobs=1, max_seconds=1.0)
    assert again.stats["cache_hits"] == 2 and again.stats["computed"] == 1
    assert not np.array_equal(again.X[1], first.X[1])
    np.testing.assert_array_equal(again.X[[0, 2]], first.X[[0, 2]])


def test_damaged_cache_entry_is_recomputed(wavs, fresh_cache):
    table = _table(wavs[:2])
    first = extract(table, "egemaps", n_jobs=1)
    for entry in (fresh_cache / "features" / "egemaps").rglob("*.npy"):
        entry.write_bytes(b"not an array")
    again = extract(table, "egemaps", n_jobs=1)
    assert again.stats["cache_hits"] == 0 and again.stats["computed"] == 2
    np.testing.assert_array_equal(again.X, first.X)


# ---------------------------------------------------------------- parallel
@pytest.mark.slow
def test_parallel_equals_serial(wavs):
    table = _table(wavs)
    serial = extract(table, "egemaps", n_jobs=1, cache=False)
    parallel = extract(table, "egemaps", n_jobs=2, cache=False)
    assert parallel.stats["n_jobs"] == 2
    np.testing.assert_array_equal(parallel.X, serial.X)
    pd.testing.assert_frame_equal(parallel.meta, serial.meta)


# ---------------------------------------------------------------- bad audio
def test_bad_audio_raises_naming_the_file_or_is_skipped(wavs, tmp_path, fresh_cache):
    silent = _write(tmp_path / "silent.wav", np.zeros(SR // 2, dtype=np.float32))
    missing = str(tmp_path / "missing.wav")
    table = _table(wavs[:2] + [silent])
    table = pd.concat([table, table.iloc[[0]].assign(id="gone", path=missing)], ignore_index=True)
    with pytest.raises(AudioError, match="silent.wav"):
        extract(table, "egemaps", n_jobs=1)
    with pytest.raises(AudioError, match="missing.wav"):
        extract(table.iloc[[0, 3]], "egemaps", n_jobs=1)
    with pytest.raises(AudioError, match="missing.wav"):
        extract(table.iloc[[0, 3]], "egemaps", n_jobs=1, cache=False)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feats = extract(table, "egemaps", n_jobs=1, skip_bad=True)
    assert any("skipped 2 of 4" in str(w.message) for w in caught)
    assert list(feats.meta["id"]) == ["utt0", "utt1"] and feats.X.shape == (2, 88)
    assert list(feats.skipped["id"]) == ["utt2", "gone"]
    assert list(feats.skipped["path"]) == [silent, missing]
    assert "silent" in feats.skipped["reason"].iloc[0] and "not found" in feats.skipped["reason"].iloc[1]
    assert feats.stats["skipped"] == 2
    with pytest.raises(LabkitError, match="all 2 files"):
        extract(table.iloc[[2, 3]], "egemaps", n_jobs=1, skip_bad=True)


# ---------------------------------------------------------------- command line
def test_cli_writes_parquet_with_labels(wavs, tmp_path, capsys):
    from labkit.cli import main

    manifest = tmp_path / "manifest.csv"
    pd.DataFrame(
        {"path": wavs, "emotion": ["anger", "sadness", "neutral", "anger"], "speaker": ["a", "a", "b", "b"]}
    ).to_csv(manifest, index=False)
    out = tmp_path / "out" / "egemaps.parquet"
    status = main(["features", f"csv:{manifest}", "--set", "egemaps", "--out", str(out), "--jobs", "1"])
    assert status == 0
    assert "4 utterances" in capsys.readouterr().out
    df = pd.read_parquet(out)
    assert len(df) == 4 and {"id", "speaker", "emotion", "arousal", "valence"} <= set(df.columns)
    assert df.shape[1] == len(UTTERANCE_COLUMNS) + 88
    feats = Features.from_parquet(out)
    assert list(feats.meta["emotion"]) == ["anger", "sadness", "neutral", "anger"]

    assert main(["features", f"csv:{manifest}", "--set", "mfcc", "--out", str(out)]) == 2
    assert "mfcc" in capsys.readouterr().err


def test_cli_help_lists_every_set(capsys):
    from labkit.cli import main

    with pytest.raises(SystemExit):
        main(["features", "--help"])
    text = capsys.readouterr().out
    assert all(name in text for name in FEATURE_SETS) and "--skip-bad" in text and "--max-seconds" in text
