"""labkit.data.audio: reading any rate/channels to 16 kHz mono, bad-file checks, duplicates."""

import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from fixtures_corpora import tone, write_tone

from labkit.data.audio import (
    SILENCE_PEAK,
    audio_info,
    check_audio,
    cross_split_duplicates,
    duplicate_groups,
    read_audio,
)
from labkit.errors import AudioError, LabkitError


def _peak_hz(x, sr=16000):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / sr)[int(np.argmax(spectrum))]


def test_read_mono_16k_is_unchanged(tmp_path):
    path = tmp_path / "a.wav"
    data = tone(0.25, 16000, seed=3)
    sf.write(path, data, 16000, subtype="FLOAT")
    x = read_audio(path)
    assert x.dtype == np.float32 and x.ndim == 1
    np.testing.assert_allclose(x, data - data.mean(), atol=1e-7)  # unchanged but for the DC offset, removed


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_other_rates_are_resampled_keeping_pitch(tmp_path, rate):
    path = write_tone(tmp_path / f"r{rate}.wav", seconds=0.5, sr=rate, freq=440.0)
    x = read_audio(path)
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) - 8000) <= 1  # 0.5 s at 16 kHz
    assert abs(_peak_hz(x) - 440.0) < 5.0  # the tone is still at 440 Hz, so the rate was converted


def test_read_at_other_target_rate(tmp_path):
    path = write_tone(tmp_path / "a.wav", seconds=0.5, sr=16000, freq=300.0)
    x = read_audio(path, sr=8000)
    assert len(x) == 4000 and abs(_peak_hz(x, 8000) - 300.0) < 5.0
    with pytest.raises(LabkitError, match="sample rate"):
        read_audio(path, sr=0)


def test_stereo_and_multichannel_are_averaged(tmp_path):
    data = tone(0.2, 16000, channels=3, seed=1)  # (n, 3)
    path = tmp_path / "multi.wav"
    sf.write(path, data, 16000, subtype="FLOAT")
    x = read_audio(path)
    assert x.shape == (data.shape[0],)
    mono = data.mean(axis=1)
    np.testing.assert_allclose(x, mono - mono.mean(), atol=1e-6)  # averaged, then the DC offset removed
    info = audio_info(path)
    assert info.channels == 3 and info.sr == 16000 and info.frames == data.shape[0]
    assert info.duration == pytest.approx(0.2)


def test_audio_info_reads_the_header(tmp_path):
    path = write_tone(tmp_path / "a.wav", seconds=0.75, sr=44100, channels=2)
    info = audio_info(path)
    assert (info.sr, info.channels) == (44100, 2)
    assert info.duration == pytest.approx(0.75, abs=1e-4)


def _assert_audio_error(path, reason_part, func=read_audio):
    with pytest.raises(AudioError) as exc:
        func(path)
    assert str(path) in str(exc.value)  # the message names the file
    assert reason_part in exc.value.reason
    return exc.value


def test_bad_files_raise_audio_error_naming_them(tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(range(200)))
    _assert_audio_error(corrupt, "unreadable", read_audio)
    _assert_audio_error(corrupt, "unreadable", audio_info)

    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    _assert_audio_error(empty, "empty", read_audio)
    _assert_audio_error(empty, "empty", audio_info)

    zero_bytes = tmp_path / "zero.wav"
    zero_bytes.write_bytes(b"")
    _assert_audio_error(zero_bytes, "unreadable", read_audio)

    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(1600, dtype=np.float32), 16000)
    _assert_audio_error(silent, "silent", read_audio)

    nearly = tmp_path / "nearly_silent.wav"
    sf.write(nearly, np.full(1600, SILENCE_PEAK / 4, dtype=np.float32), 16000, subtype="FLOAT")
    _assert_audio_error(nearly, "silent", read_audio)

    nan = tmp_path / "nan.wav"
    data = tone(0.1, seed=2)
    data[10] = np.nan
    sf.write(nan, data, 16000, subtype="FLOAT")
    assert "1 NaN" in _assert_audio_error(nan, "non-finite", read_audio).reason

    inf = tmp_path / "inf.wav"
    data = tone(0.1, seed=2)
    data[5] = np.inf
    sf.write(inf, data, 16000, subtype="FLOAT")
    _assert_audio_error(inf, "non-finite", read_audio)

    _assert_audio_error(tmp_path / "missing.wav", "not found", read_audio)
    _assert_audio_error(tmp_path / "missing.wav", "not found", audio_info)


def test_channels_cancelling_to_silence_are_reported(tmp_path):
    x = tone(0.1, seed=4)
    path = tmp_path / "antiphase.wav"
    sf.write(path, np.stack([x, -x], axis=1), 16000, subtype="FLOAT")
    _assert_audio_error(path, "averaging channels", read_audio)


def _table(paths):
    return pd.DataFrame({"id": [p.stem for p in paths], "path": [str(p) for p in paths]})


def _mixed_folder(tmp_path):
    good1 = write_tone(tmp_path / "good1.wav")
    bad_silent = tmp_path / "bad_silent.wav"
    sf.write(bad_silent, np.zeros(800, dtype=np.float32), 16000)
    good2 = write_tone(tmp_path / "good2.wav", sr=44100, channels=2)
    bad_corrupt = tmp_path / "bad_corrupt.wav"
    bad_corrupt.write_bytes(b"garbage" * 20)
    return [good1, bad_silent, good2, bad_corrupt]


def test_check_audio_raises_on_first_bad_file(tmp_path):
    table = _table(_mixed_folder(tmp_path))
    with pytest.raises(AudioError) as exc:
        check_audio(table, progress=False)
    assert exc.value.path.endswith("bad_silent.wav")


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_check_audio_skip_bad_lists_every_bad_file(tmp_path, n_jobs):
    table = _table(_mixed_folder(tmp_path))
    table.attrs["source"] = "test"
    good, skipped = check_audio(table, skip_bad=True, n_jobs=n_jobs, progress=False)
    assert list(good["id"]) == ["good1", "good2"]
    assert list(skipped.columns) == ["id", "path", "reason"]
    assert list(skipped["id"]) == ["bad_silent", "bad_corrupt"]
    assert "silent" in skipped["reason"].iloc[0] and "unreadable" in skipped["reason"].iloc[1]
    assert good.attrs["source"] == "test"
    assert [s["path"] for s in good.attrs["skipped"]] == list(skipped["path"])


def test_check_audio_all_good(tmp_path):
    paths = [write_tone(tmp_path / f"f{i}.wav") for i in range(3)]
    good, skipped = check_audio(_table(paths), progress=False)
    assert len(good) == 3 and len(skipped) == 0
    with pytest.raises(LabkitError, match="'path'"):
        check_audio(pd.DataFrame({"id": ["a"]}), progress=False)


def test_duplicate_groups_and_cross_split(tmp_path):
    a = write_tone(tmp_path / "a.wav")
    b = tmp_path / "b.wav"
    shutil.copy(a, b)  # byte-identical copy
    c = write_tone(tmp_path / "c.wav")  # same size as a, other bytes
    d = write_tone(tmp_path / "d.wav", seconds=0.2)
    e = tmp_path / "e.wav"
    shutil.copy(d, e)
    assert a.stat().st_size == c.stat().st_size
    table = _table([a, c, b, d, e])
    table.loc[len(table)] = ["c_again", str(c)]  # the same file listed twice
    groups = duplicate_groups(table, progress=False)
    assert groups == [["a", "b"], ["c", "c_again"], ["d", "e"]]

    # a on train, b on test -> leak; d and e both on train -> no leak; c / c_again split -> leak.
    crossing = cross_split_duplicates(table, train_idx=[0, 3, 4, 5], test_idx=[1, 2], groups=groups)
    assert crossing == [{"train": ["a"], "test": ["b"]}, {"train": ["c_again"], "test": ["c"]}]
    assert cross_split_duplicates(table, [0, 1, 2, 5], [3, 4]) == []


def test_no_duplicates_and_missing_file(tmp_path):
    paths = [write_tone(tmp_path / f"f{i}.wav", seconds=0.1 + 0.01 * i) for i in range(3)]
    assert duplicate_groups(_table(paths), progress=False) == []
    with pytest.raises(AudioError, match="gone.wav"):
        duplicate_groups(_table(paths + [tmp_path / "gone.wav"]), progress=False)
