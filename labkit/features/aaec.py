"""AAEC's data preparation: power spectrograms of a corpus, split by given fold indices, then scaled.

Three steps, each where the layers allow it:

1. `load_spectrograms(source, max_seconds=...)`: load any `labkit.data.loaders.load_corpus` source and
   extract the paper's power spectrogram (16 kHz, FFT 1024, hop 512, cut or zero-padded to
   `max_seconds`). Returns `labkit.features.Features`.
2. `split(feats, train_idx, test_idx)`: the `labkit.data.aaec.AAECData` of a train/test split. The
   fold indices are passed in: the speaker-independent split is drawn by the caller with
   `labkit.experiment.protocols.make_folds` (protocol ``split``), because the protocols sit above the
   features and the data in labkit's layers and may not be imported from here.
3. `prepare(data, cfg)`: pool FFT bins (`pool_frequency`) and standardise log power
   (`SpectrogramScaler`, fitted on the training side only) into the `labkit.data.aaec.TrainingSet`
   that `labkit.trainers.aaec.train` consumes, with the config sized to it. This used to live in the
   trainer; it is data preparation, so it moved here, and with it the two transforms (formerly in
   `labkit.models.aaec`, which still imports them under their old names): the models sit above the
   features, so the features could not have imported them from there.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from labkit.data.aaec import AAECData, TrainingSet
from labkit.errors import LabkitError

# ---------------------------------------------------------------------------------------------------
# Loading and splitting


def load_spectrograms(source: str, *, max_seconds: float = 3.0, n_jobs: int | None = None, show_progress: bool = True):
    """A corpus's power spectrograms (N, T, F) with their utterance table (`Features`; meta indexed 0..N-1).

    Refuses an empty corpus and one with fewer than two speakers (no speaker-independent split).
    """
    from labkit.data.loaders import load_corpus
    from labkit.features import extract

    table = load_corpus(source)
    if len(table) == 0:
        raise LabkitError(f"corpus {source!r} holds no utterances")
    feats = extract(
        table, "spectrogram", max_seconds=max_seconds, n_jobs=n_jobs, n_fft=1024, hop_length=512, progress=show_progress
    )
    feats.meta = feats.meta.reset_index(drop=True)
    if feats.meta["speaker"].nunique() < 2:
        raise LabkitError(
            f"corpus {source!r} has {feats.meta['speaker'].nunique()} speaker(s); a speaker-independent "
            "split needs at least 2"
        )
    feats.settings = {**feats.settings, "source": source, "max_seconds": float(max_seconds)}
    return feats


def split(feats, train_idx, test_idx, source: str | None = None) -> AAECData:
    """The `AAECData` of rows `train_idx` / `test_idx` of `feats` (from `load_spectrograms`)."""
    meta = feats.meta
    source = source or feats.settings.get("source", "?")
    max_seconds = feats.settings.get("max_seconds")
    X = np.asarray(feats.X, dtype=np.float32)
    ya, yv = meta["arousal"].to_numpy(np.int64), meta["valence"].to_numpy(np.int64)
    tr, te = np.asarray(train_idx), np.asarray(test_idx)
    n_test_spk = meta.iloc[te]["speaker"].nunique()
    corpus = ", ".join(sorted(meta["corpus"].astype(str).unique()))
    seconds = f"{max_seconds:g} s, " if max_seconds is not None else ""
    desc = (
        f"{source} ({corpus}): {len(meta)} utterances, {meta['speaker'].nunique()} speakers; "
        f"speaker-independent split {len(tr)} train / {len(te)} test ({n_test_spk} held-out speakers); "
        f"power spectrogram {seconds}FFT 1024, hop 512 -> {X.shape[1]} x {X.shape[2]}"
    )
    return AAECData(
        X[tr],
        ya[tr],
        yv[tr],
        X[te],
        ya[te],
        yv[te],
        description=desc,
        max_seconds=None if max_seconds is None else float(max_seconds),
    )


# ---------------------------------------------------------------------------------------------------
# Scaling


def prepare(data: AAECData, cfg):
    """Power spectrograms -> a `TrainingSet` of standardised log power, and `cfg` sized to it.

    Pools FFT bins (`cfg.freq_pool`), then fits `SpectrogramScaler` on the training split only.
    Refuses data cut to another length than `cfg.max_seconds` (the `paper` preset's 15 s).
    `cfg` is a `labkit.models.aaec.AAECConfig` (only its fields are read; no model is imported).
    """
    import torch

    if data.max_seconds is not None and abs(float(data.max_seconds) - float(cfg.max_seconds)) > 1e-6:
        raise LabkitError(
            f"the data were cut to {data.max_seconds:g} s but the config asks for {cfg.max_seconds:g} s "
            f"(load them with load_spectrograms(..., max_seconds={cfg.max_seconds:g}))"
        )
    power_train = pool_frequency(data.X_train, cfg.freq_pool)  # (N, T, F / freq_pool)
    power_test = pool_frequency(data.X_test, cfg.freq_pool)
    scaler = SpectrogramScaler(cfg.log_eps).fit(power_train)
    ts = TrainingSet(
        X_train=torch.from_numpy(scaler.transform(power_train)),
        arousal_train=torch.from_numpy(data.arousal_train),
        valence_train=torch.from_numpy(data.valence_train),
        X_test=torch.from_numpy(scaler.transform(power_test)),
        arousal_test=data.arousal_test,
        valence_test=data.valence_test,
        scaler=scaler,
    )
    return ts, replace(cfg, n_frames=int(power_train.shape[1]), n_bins=int(power_train.shape[2]))


# ---------------------------------------------------------------------------------------------------
# Input scaling (used by `prepare`; `labkit.models.aaec` imports them under the same names)


def pool_frequency(power: np.ndarray, k: int) -> np.ndarray:
    """Average groups of `k` adjacent frequency bins: (N, T, F) -> (N, T, ceil(F / k)).

    The `small` preset uses k = 4 (513 -> 129 bins, 62.5 Hz instead of 15.6 Hz per bin): on a CPU
    the first convolution and the GRUs' input projections over 513 bins dominate the cost of an
    iteration, and a factor 4 in frequency resolution cuts it about threefold. The `paper` preset
    keeps every bin (k = 1). The last group may be narrower (513 = 128 * 4 + 1).
    """
    if k <= 1:
        return power
    n, t, f = power.shape
    n_out = -(-f // k)  # ceil(F / k)
    pad = n_out * k - f
    out = np.empty((n, t, n_out), dtype=np.float32)
    for start in range(0, n, 256):
        chunk = power[start : start + 256].astype(np.float32)
        sums = (
            np.pad(chunk, ((0, 0), (0, 0), (0, pad))).reshape(len(chunk), t, n_out, k).sum(axis=3)
        )  # (n, T, F', k) -> (n, T, F')
        width = np.full(n_out, float(k), dtype=np.float32)
        width[-1] = k - pad
        out[start : start + 256] = sums / width
    return out


class SpectrogramScaler:
    """log(P + eps), then per-bin standardisation fitted on the training split only.

    Parameters
    ----------
    log_eps : float
        Floor added to the power before the log.
    """

    def __init__(self, log_eps: float = 1e-6):
        self.log_eps = log_eps
        self.mean_: np.ndarray | None = None  # (F,)
        self.std_: np.ndarray | None = None  # (F,)

    def fit(self, power: np.ndarray) -> "SpectrogramScaler":
        """Fit on training power spectrograms `power` (N, T, F); streams over N to bound memory."""
        if power.ndim != 3:
            raise LabkitError(f"expected power spectrograms of shape (N, T, F), got {power.shape}")
        n_bins = power.shape[2]
        total, total_sq, count = np.zeros(n_bins), np.zeros(n_bins), 0
        for start in range(0, len(power), 256):
            logp = np.log(power[start : start + 256].astype(np.float64) + self.log_eps)  # (n, T, F)
            total += logp.sum(axis=(0, 1))
            total_sq += (logp**2).sum(axis=(0, 1))
            count += logp.shape[0] * logp.shape[1]
        mean = total / count
        var = np.maximum(total_sq / count - mean**2, 0.0)
        self.mean_ = mean.astype(np.float32)
        self.std_ = np.sqrt(var + 1e-6).astype(np.float32)  # + 1e-6: a constant bin must not divide by 0
        return self

    def transform(self, power: np.ndarray) -> np.ndarray:
        """(N, T, F) power -> (N, T, F) standardised log power, float32."""
        out = np.empty(power.shape, dtype=np.float32)
        for start in range(0, len(power), 256):
            logp = np.log(power[start : start + 256].astype(np.float32) + np.float32(self.log_eps))
            out[start : start + 256] = (logp - self.mean_) / self.std_
        return out

    def to_log_power(self, x: np.ndarray) -> np.ndarray:
        """Invert the standardisation: (..., F) standardised -> (..., F) log(P + eps)."""
        return x * self.std_ + self.mean_

    def state(self) -> dict:
        import torch

        return {
            "log_eps": float(self.log_eps),
            "mean": torch.from_numpy(self.mean_),
            "std": torch.from_numpy(self.std_),
        }

    @classmethod
    def from_state(cls, state: dict) -> "SpectrogramScaler":
        s = cls(float(state["log_eps"]))
        s.mean_, s.std_ = state["mean"].numpy(), state["std"].numpy()
        return s


__all__ = ["load_spectrograms", "split", "prepare", "pool_frequency", "SpectrogramScaler"]
