"""Frame-level features: AAEC's power spectrogram and a log-mel spectrogram.

AAEC (Fu et al., MuSe 2020, Sec. 4.2) fixes the utterance length at 15 s ("longer utterances were
cut at 15 s and the shorter ones were padded with zeros"), samples at 16 kHz and takes an FFT of
length 1024 with hop 512 per frame. The paper says no more; our choices where it is silent:

* Padding and truncation happen on the *waveform*, before the STFT, to exactly
  ``n_samples = round(max_seconds * sr)`` samples, so every utterance gives the same frame count.
* A periodic Hann window of length ``n_fft`` and centred frames (librosa's default, and what a
  Keras/librosa pipeline of 2020 most likely used); the signal is zero-padded by ``n_fft // 2`` at
  both ends. Hence, for an even ``n_fft``, the frame count is::

      T = 1 + n_samples // hop_length        (15 s at 16 kHz, hop 512: T = 1 + 240000 // 512 = 469)

  and the bin count is ``F = n_fft // 2 + 1`` (513), so AAEC's input is (469, 513).
  (AAEC's decoder ends in 38 400 units, which matches no framing of 15 s at these settings; we
  keep the stated STFT settings and document the shape instead of guessing a hidden reshape.)
* "Power spectrogram" is ``|STFT|**2`` of a float waveform in [-1, 1], no normalisation. With
  ``log=True`` it is given in dB, ``10 * log10(max(S, 1e-10))``; zero padding then reads -100 dB.
* log-mel: ``n_mels`` (default 64) Slaney-normalised mel filters from ``fmin`` to ``fmax``
  (default sr / 2) applied to the same power spectrogram, in dB with the same floor (1e-10, i.e.
  -100 dB, also for padded frames) and no per-utterance ``top_db`` clipping, so values do not
  depend on the loudest frame of the utterance.
"""

from __future__ import annotations

import functools

import numpy as np

from labkit.errors import LabkitError

# Default settings (AAEC's for the spectrogram; 64 mel bands is a common SER choice).
SPECTROGRAM_DEFAULTS = {"sr": 16000, "n_fft": 1024, "hop_length": 512, "max_seconds": 15.0, "log": False}
LOGMEL_DEFAULTS = {
    "sr": 16000,
    "n_fft": 1024,
    "hop_length": 512,
    "max_seconds": 15.0,
    "n_mels": 64,
    "fmin": 0.0,
    "fmax": None,
}

_AMIN = 1e-10  # floor of the dB conversion (-100 dB)


def n_samples(max_seconds: float, sr: int) -> int:
    """Waveform length every utterance is padded / truncated to."""
    return int(round(max_seconds * sr))


def frame_count(max_seconds: float, sr: int, hop_length: int) -> int:
    """Frames T of a padded utterance with centred STFT frames: ``1 + n_samples // hop_length``."""
    return 1 + n_samples(max_seconds, sr) // hop_length


def check_settings(feature_set: str, s: dict) -> None:
    """Raise LabkitError naming the value when a frame-set setting is out of range."""
    if not (isinstance(s["sr"], int) and s["sr"] > 0):
        raise LabkitError(f"{feature_set}: sr must be a positive integer, got {s['sr']!r}")
    for key in ("n_fft", "hop_length"):
        if not (isinstance(s[key], int) and s[key] > 0):
            raise LabkitError(f"{feature_set}: {key} must be a positive integer, got {s[key]!r}")
    if s["n_fft"] % 2:
        raise LabkitError(f"{feature_set}: n_fft must be even (the frame count formula assumes it), got {s['n_fft']}")
    if not (isinstance(s["max_seconds"], (int, float)) and s["max_seconds"] > 0):
        raise LabkitError(f"{feature_set}: max_seconds must be a positive number of seconds, got {s['max_seconds']!r}")
    if n_samples(s["max_seconds"], s["sr"]) < 1:
        raise LabkitError(f"{feature_set}: max_seconds={s['max_seconds']} is shorter than one sample")
    if feature_set == "logmel":
        if not (isinstance(s["n_mels"], int) and s["n_mels"] > 0):
            raise LabkitError(f"logmel: n_mels must be a positive integer, got {s['n_mels']!r}")
        fmax = s["sr"] / 2 if s["fmax"] is None else s["fmax"]
        if not (0 <= s["fmin"] < fmax <= s["sr"] / 2):
            raise LabkitError(f"logmel: need 0 <= fmin < fmax <= sr/2, got fmin={s['fmin']}, fmax={s['fmax']}")


def names(feature_set: str, s: dict) -> list[str]:
    """Bin names: ``hz_<centre frequency>`` for the spectrogram, ``mel_<k>`` for log-mel."""
    if feature_set == "spectrogram":
        n_bins = s["n_fft"] // 2 + 1
        return [f"hz_{k * s['sr'] / s['n_fft']:.1f}" for k in range(n_bins)]
    width = len(str(s["n_mels"] - 1))
    return [f"mel_{k:0{width}d}" for k in range(s["n_mels"])]


def to_db(S: np.ndarray) -> np.ndarray:
    """Power to dB, ``10 * log10(max(S, 1e-10))``, float32; computed in float64 so the floor is -100.0."""
    return (10.0 * np.log10(np.maximum(S.astype(np.float64), _AMIN))).astype(np.float32)


def fix_length(y: np.ndarray, length: int) -> np.ndarray:
    """Truncate `y` (n,) to `length` samples or pad it with zeros at the end; returns (length,)."""
    if y.shape[0] >= length:
        return y[:length]
    return np.concatenate([y, np.zeros(length - y.shape[0], dtype=y.dtype)])


def power_spectrogram(y: np.ndarray, *, sr: int, n_fft: int, hop_length: int, max_seconds: float) -> np.ndarray:
    """|STFT|^2 of the padded / truncated waveform, with centred Hann-windowed frames.

    The STFT is the textbook one written with numpy (zero-pad n_fft // 2 at both ends, frames every
    `hop_length` samples, periodic Hann window, real FFT); tests check it against ``librosa.stft``
    with ``center=True, pad_mode="constant"``. We do not call librosa here because its first call
    imports numba, which costs several seconds in every worker process.

    Parameters
    ----------
    y : np.ndarray
        (n,) float32 mono waveform at `sr`.

    Returns
    -------
    np.ndarray
        (T, F) float32 with T = `frame_count(max_seconds, sr, hop_length)`, F = n_fft // 2 + 1.
    """
    from scipy.signal import get_window

    y = fix_length(np.asarray(y, dtype=np.float32), n_samples(max_seconds, sr))  # (L,)
    y = np.pad(y, (n_fft // 2, n_fft // 2))  # (L + n_fft,): centred frames, zeros outside the signal
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop_length]  # (T, n_fft), a view
    window = get_window("hann", n_fft, fftbins=True).astype(np.float32)  # periodic Hann, (n_fft,)
    spec = np.fft.rfft(frames * window, axis=1)  # (T, F) complex
    return (spec.real**2 + spec.imag**2).astype(np.float32)


@functools.lru_cache(maxsize=8)
def mel_filters(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """librosa's Slaney mel filter bank, (n_mels, F) float32; built once per process and settings."""
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax).astype(np.float32)


def spectrogram(
    y: np.ndarray, *, sr: int, n_fft: int, hop_length: int, max_seconds: float, log: bool = False
) -> np.ndarray:
    """AAEC's power spectrogram, (T, F) float32; in dB when `log` (see the module docstring)."""
    S = power_spectrogram(y, sr=sr, n_fft=n_fft, hop_length=hop_length, max_seconds=max_seconds)
    return to_db(S) if log else S


def logmel(
    y: np.ndarray,
    *,
    sr: int,
    n_fft: int,
    hop_length: int,
    max_seconds: float,
    n_mels: int = 64,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """Log-mel spectrogram in dB, (T, n_mels) float32, same framing as `spectrogram`."""
    S = power_spectrogram(y, sr=sr, n_fft=n_fft, hop_length=hop_length, max_seconds=max_seconds)  # (T, F)
    mel_fb = mel_filters(sr, n_fft, n_mels, fmin, fmax)  # (n_mels, F)
    mel = S @ mel_fb.T  # (T, F) @ (F, n_mels) -> (T, n_mels)
    return to_db(mel)
