"""`extract`: an utterance table in, a `Features` out; parallel over the cores and cached on disk.

How one call runs, top to bottom:

1. check the feature set and fill in its default settings (`default_settings`);
2. for every utterance, hash the audio file's bytes and look the (settings, bytes) key up in the
   cache (`labkit.features.cache`); hits are read here, in the main process, so a warm run starts
   no worker at all;
3. the misses are split into chunks and computed by joblib workers (all cores by default); each
   worker reads the audio with `labkit.data.audio.read_audio`, computes the features, writes its
   cache entries atomically and returns the arrays; results go back to the table's order, so the
   output does not depend on the number of workers;
4. bad audio raises `AudioError` naming the first bad file in table order, or, with
   ``skip_bad=True``, is left out of the result and listed in `Features.skipped` (id, path, reason).

The numbers themselves come from `labkit.features.spectral` (spectrogram, log-mel) and
`labkit.features.smile` (openSMILE functionals); their docstrings record the choices made.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from labkit.errors import AudioError, LabkitError
from labkit.features import smile, spectral
from labkit.features.cache import FeatureCache, audio_key

FEATURE_SETS = ["egemaps", "is10", "compare", "emobase", "spectrogram", "logmel"]
FRAME_SETS = ("spectrogram", "logmel")  # (N, T, F) arrays; the others are (N, D) functionals
SKIPPED_COLUMNS = ["id", "path", "reason"]

_PARQUET_KEY = b"labkit.features"  # schema metadata key holding set, settings, shape, names (JSON)
_FRAME_COLUMN = "x"  # the list column of frame sets in Parquet


def _skipped_frame(records: list[dict]) -> pd.DataFrame:
    """The `Features.skipped` table; built the same way on extraction and on reading Parquet."""
    return pd.DataFrame(records, columns=SKIPPED_COLUMNS).astype(str)


@dataclass
class Features:
    """Features of a corpus: one row of `meta` per row of `X`, in the same order.

    Attributes
    ----------
    meta : pd.DataFrame
        The utterance-table rows (id, path, speaker, emotion, ...), index 0..N-1, same order as X.
    X : np.ndarray
        float32; (N, D) for openSMILE functionals, (N, T, F) for spectrogram / logmel.
    names : list[str]
        D feature names (openSMILE's) or F bin names (``hz_<freq>`` / ``mel_<k>``).
    feature_set : str
        One of `FEATURE_SETS`.
    settings : dict
        The resolved extractor settings (sr, n_fft, hop_length, max_seconds, ...).
    skipped : pd.DataFrame
        Files left out with ``skip_bad=True``: columns id, path, reason. Empty otherwise.
    stats : dict
        How the extraction went: cache_hits, cache_misses (looked up, not found), computed
        (utterances extracted in this call), skipped, nan_replaced (values set to 0.0), n_jobs,
        seconds.
    """

    meta: pd.DataFrame
    X: np.ndarray
    names: list[str]
    feature_set: str
    settings: dict
    skipped: pd.DataFrame = field(default_factory=lambda: _skipped_frame([]))
    stats: dict = field(default_factory=dict)

    def __post_init__(self):
        self.X = np.asarray(self.X, dtype=np.float32)
        if self.X.ndim not in (2, 3) or self.X.shape[0] != len(self.meta):
            raise ValueError(f"X {self.X.shape} must be (N, D) or (N, T, F) with N = len(meta) = {len(self.meta)}")
        if self.X.shape[-1] != len(self.names):
            raise ValueError(f"{len(self.names)} names for a last axis of {self.X.shape[-1]}")

    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def is_frames(self) -> bool:
        """True for (N, T, F) frame sets (spectrogram, logmel)."""
        return self.X.ndim == 3

    def flat(self) -> np.ndarray:
        """X as one vector per utterance: (N, D) stays, (N, T, F) becomes (N, T*F) (a view)."""
        return self.X.reshape(self.X.shape[0], -1)  # (N, T, F) -> (N, T*F)

    def subset(self, idx) -> "Features":
        """The rows `idx` (positions or a boolean mask) as a new Features; meta re-indexed 0..n-1."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return Features(meta=self.meta.iloc[idx].reset_index(drop=True), X=self.X[idx], names=list(self.names),
                        feature_set=self.feature_set, settings=dict(self.settings), skipped=self.skipped.copy(),
                        stats=dict(self.stats))

    # ---------------------------------------------------------------- Parquet
    def to_parquet(self, path: str | os.PathLike) -> Path:
        """Write one row per utterance: the meta columns, then the features; atomically.

        Functionals get one float32 column per feature, named by openSMILE. Frame sets get one
        fixed-size list column ``x`` holding the flattened (T*F) float32 frames (a column per value
        would mean 240 597 columns). The schema metadata key ``labkit.features`` holds JSON with
        feature_set, settings, shape, names, the meta column names, skipped and stats, so
        `from_parquet` rebuilds exactly this object.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        from labkit.utils import atomic_path

        meta = self.meta.reset_index(drop=True)
        meta_cols = [str(c) for c in meta.columns]
        feature_cols = [_FRAME_COLUMN] if self.is_frames else list(self.names)
        clash = sorted(set(meta_cols) & set(feature_cols))
        if clash or len(set(feature_cols)) != len(feature_cols):
            raise LabkitError(f"cannot write {path}: feature column names clash with the table's "
                              f"({clash or 'duplicate feature names'})")
        meta_table = pa.Table.from_pandas(meta, preserve_index=False)
        if self.is_frames:
            n, t, f = self.X.shape
            values = pa.array(np.ascontiguousarray(self.X).reshape(-1))  # (N, T, F) -> (N*T*F,)
            arrays = [pa.FixedSizeListArray.from_arrays(values, t * f)]
        else:
            arrays = [pa.array(np.ascontiguousarray(self.X[:, j])) for j in range(self.X.shape[1])]
        info = {"format": 1, "feature_set": self.feature_set, "settings": self.settings, "shape": list(self.X.shape),
                "names": list(self.names), "meta_columns": meta_cols,
                "skipped": self.skipped.to_dict(orient="records"), "stats": self.stats}
        schema_meta = dict(meta_table.schema.metadata or {})
        schema_meta[_PARQUET_KEY] = json.dumps(info).encode()
        table = pa.Table.from_arrays(list(meta_table.columns) + arrays, names=meta_cols + feature_cols)
        table = table.replace_schema_metadata(schema_meta)
        path = Path(path)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return path

    @classmethod
    def from_parquet(cls, path: str | os.PathLike) -> "Features":
        """Read a file written by `to_parquet` (LabkitError naming it if it is not one)."""
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.exists():
            raise LabkitError(f"{path}: no such features file")
        try:
            table = pq.read_table(path)
        except Exception as err:  # pyarrow raises several types for a non-Parquet file
            raise LabkitError(f"{path}: not a Parquet file ({err})") from None
        raw = (table.schema.metadata or {}).get(_PARQUET_KEY)
        if raw is None:
            raise LabkitError(f"{path}: not a labkit features file (no {_PARQUET_KEY.decode()} metadata)")
        info = json.loads(raw)
        meta = table.select(info["meta_columns"]).to_pandas()
        shape = tuple(info["shape"])
        if len(shape) == 3:
            frames = table.column(_FRAME_COLUMN).combine_chunks()
            X = frames.flatten().to_numpy(zero_copy_only=False).reshape(shape)  # (N*T*F,) -> (N, T, F)
        else:
            X = np.empty(shape, dtype=np.float32)
            for j, name in enumerate(info["names"]):
                X[:, j] = table.column(name).to_numpy()
        return cls(meta=meta, X=X, names=info["names"], feature_set=info["feature_set"], settings=info["settings"],
                   skipped=_skipped_frame(info["skipped"]), stats=info["stats"])


# -------------------------------------------------------------------- settings
def default_settings(feature_set: str) -> dict:
    """The default extractor settings of `feature_set` (a fresh dict)."""
    _check_set(feature_set)
    if feature_set == "spectrogram":
        return dict(spectral.SPECTROGRAM_DEFAULTS)
    if feature_set == "logmel":
        return dict(spectral.LOGMEL_DEFAULTS)
    return dict(smile.SMILE_DEFAULTS)


def _check_set(feature_set: str) -> str:
    if feature_set not in FEATURE_SETS:
        raise LabkitError(f"unknown feature set {feature_set!r}; choose one of {', '.join(FEATURE_SETS)}")
    return feature_set


def _coerce(feature_set: str, key: str, value, default):
    """Give a setting its default's type, so ``max_seconds=15`` and ``15.0`` share a cache key."""
    if isinstance(default, bool):
        if not isinstance(value, (bool, np.bool_)):
            raise LabkitError(f"{feature_set}: {key} must be True or False, got {value!r}")
        return bool(value)
    if isinstance(default, int) and isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    if (isinstance(default, float) or (default is None and key == "fmax")) and isinstance(value, (int, np.integer)) \
            and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def resolve_settings(feature_set: str, settings: dict) -> dict:
    """Defaults overridden by `settings`; LabkitError naming any unknown key or bad value."""
    resolved = default_settings(feature_set)
    unknown = sorted(set(settings) - set(resolved))
    if unknown:
        raise LabkitError(f"{feature_set} has no setting {', '.join(map(repr, unknown))}; "
                          f"its settings are {', '.join(resolved)}")
    for key, value in settings.items():
        resolved[key] = _coerce(feature_set, key, value, resolved[key])
    if feature_set in FRAME_SETS:
        spectral.check_settings(feature_set, resolved)
    else:
        smile.check_settings(feature_set, resolved)
    return resolved


def _versions(feature_set: str) -> dict:
    """Versions of the code that computes the numbers (part of the cache key)."""
    from labkit import __version__

    library = "librosa" if feature_set in FRAME_SETS else "opensmile"
    return {"labkit": __version__, library: metadata.version(library)}


def _names(feature_set: str, settings: dict) -> list[str]:
    if feature_set in FRAME_SETS:
        return spectral.names(feature_set, settings)
    return smile.names(feature_set)


def _row_shape(feature_set: str, settings: dict, names: list[str]) -> tuple[int, ...]:
    """Shape of one utterance's array: (T, F) for frame sets, (D,) for functionals."""
    if feature_set in FRAME_SETS:
        return (spectral.frame_count(settings["max_seconds"], settings["sr"], settings["hop_length"]), len(names))
    return (len(names),)


# -------------------------------------------------------------------- the work of one worker
def _compute(path: str, feature_set: str, settings: dict) -> tuple[np.ndarray, int]:
    """Read one file and compute its features: ((T, F) or (D,) float32, values replaced)."""
    from labkit.data.audio import read_audio

    y = read_audio(path, sr=settings["sr"])  # (n,) float32 mono
    if feature_set == "spectrogram":
        return spectral.spectrogram(y, **settings), 0
    if feature_set == "logmel":
        return spectral.logmel(y, **settings), 0
    return smile.functionals(y, sr=settings["sr"], feature_set=feature_set, path=path)


def _work(jobs: list[tuple[int, str, str]], feature_set: str, settings: dict, store: FeatureCache | None) -> list:
    """Compute a chunk of (row, path, audio_sha1) jobs; bad audio is returned, not raised.

    Returns a list of (row, array or None, reason for failure or "", values replaced).
    """
    out = []
    for i, path, sha in jobs:
        try:
            x, n_replaced = _compute(path, feature_set, settings)
        except AudioError as err:
            out.append((i, None, err.reason, 0))
            continue
        if store is not None and sha:
            store.save(sha, x)
        out.append((i, x, "", n_replaced))
    return out


def _n_workers(n_jobs: int | None) -> int:
    from joblib import effective_n_jobs

    if n_jobs == 0:
        raise LabkitError("n_jobs must be a positive number of workers, or negative (-1 = all cores); got 0")
    return effective_n_jobs(-1 if n_jobs is None else int(n_jobs))


# -------------------------------------------------------------------- extract
def extract(table: pd.DataFrame, feature_set: str, *, n_jobs: int | None = None, cache: bool = True,
            progress: bool = True, skip_bad: bool = False, **settings) -> Features:
    """Extract one feature set for every utterance of `table`.

    Parameters
    ----------
    table : pd.DataFrame
        An utterance table (`labkit.data.schema.UTTERANCE_COLUMNS`; at least a ``path`` column).
    feature_set : str
        One of `FEATURE_SETS`: egemaps (88), is10 (1582), compare (6373), emobase (988),
        spectrogram ((T, 513) by default), logmel ((T, 64) by default).
    n_jobs : int, optional
        Worker processes; None = all cores, 1 = in this process, negative as in joblib.
    cache : bool
        Read and fill the on-disk cache under ``cache_root()/features/``.
    progress : bool
        Show a progress bar (also silenced by LABKIT_QUIET=1).
    skip_bad : bool
        Leave out files that cannot be used (listed in `Features.skipped`) instead of raising.
    **settings
        Extractor settings overriding `default_settings(feature_set)`, e.g. ``max_seconds=4.0``.

    Returns
    -------
    Features
        X (N, D) or (N, T, F) float32 in the table's order (minus skipped rows).

    Raises
    ------
    AudioError
        A file is unreadable, empty, silent, non-finite or too short for openSMILE (without skip_bad).
    LabkitError
        Unknown feature set or setting, a table without ``path``, or every file skipped.
    """
    from labkit.paths import cache_root
    from labkit.utils import progress as progress_bar

    t_start = time.perf_counter()
    _check_set(feature_set)
    settings = resolve_settings(feature_set, settings)
    if not isinstance(table, pd.DataFrame) or "path" not in table.columns:
        raise LabkitError("extract needs an utterance table (a DataFrame with a 'path' column)")
    if len(table) == 0:
        raise LabkitError("the utterance table is empty: nothing to extract")
    meta = table.reset_index(drop=True)
    paths = [str(p) for p in meta["path"]]
    ids = [str(v) for v in meta["id"]] if "id" in meta.columns else [""] * len(paths)
    n = len(paths)

    store = FeatureCache(cache_root() / "features", feature_set, settings, _versions(feature_set)) if cache else None
    names = (store.load_names() if store is not None else None) or _names(feature_set, settings)
    row_shape = _row_shape(feature_set, settings, names)
    X = np.empty((n, *row_shape), dtype=np.float32)  # (N, D) or (N, T, F), filled row by row
    failed: dict[int, str] = {}  # row -> reason, only with skip_bad
    replaced: list[tuple[str, int]] = []  # (path, values set to 0.0)

    def fail(i: int, reason: str) -> None:
        if not skip_bad:
            raise AudioError(paths[i], f"{reason} (skip bad files with skip_bad=True / --skip-bad)")
        failed[i] = reason

    bar = progress_bar(total=n, desc=f"features {feature_set}", disable=None if progress else True)
    try:
        # Cache look-ups, here in the main process: hashing and loading a small .npy is far cheaper
        # than starting workers, so a warm run is a fast serial pass.
        todo: list[tuple[int, str, str]] = []
        hits = computed = 0
        for i, path in enumerate(paths):
            if store is None:
                todo.append((i, path, ""))
                continue
            try:
                sha = audio_key(path)
            except AudioError:
                todo.append((i, path, ""))  # read_audio will say what is wrong, in table order
                continue
            x = store.load(sha)
            if x is not None and x.shape == row_shape and x.dtype == np.float32:
                X[i] = x
                hits += 1
                bar.update(1)
            else:
                todo.append((i, path, sha))

        # The misses, in chunks: a few per worker balances the load and keeps the bar moving.
        n_workers = _n_workers(n_jobs)
        size = max(1, min(32, math.ceil(len(todo) / (4 * n_workers)))) if todo else 1
        chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
        if n_workers == 1 or len(chunks) <= 1:
            results = (_work(chunk, feature_set, settings, store) for chunk in chunks)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=min(n_workers, len(chunks)), return_as="generator")(
                delayed(_work)(chunk, feature_set, settings, store) for chunk in chunks)
        for chunk_out in results:  # chunks come back in submission order: X keeps the table's order
            for i, x, reason, n_replaced in chunk_out:
                if x is None:
                    fail(i, reason)
                else:
                    X[i] = x
                    computed += 1
                    if n_replaced:
                        replaced.append((paths[i], n_replaced))
            bar.update(len(chunk_out))
    finally:
        bar.close()

    if store is not None and todo and store.load_names() is None:
        store.save_names(names)
    if replaced:
        first_path, first_n = replaced[0]
        warnings.warn(f"{feature_set}: NaN/inf values replaced by 0.0 in {len(replaced)} file(s), "
                      f"e.g. {first_n} in {first_path}", stacklevel=2)
    if failed:
        if len(failed) == n:
            i = min(failed)
            raise LabkitError(f"no usable audio: all {n} files were skipped (first: {paths[i]}: {failed[i]})")
        keep = np.array([i not in failed for i in range(n)])
        X, meta = X[keep], meta[keep].reset_index(drop=True)
        warnings.warn(f"{feature_set}: skipped {len(failed)} of {n} file(s), e.g. {paths[min(failed)]}: "
                      f"{failed[min(failed)]} (see Features.skipped)", stacklevel=2)
    skipped = _skipped_frame([{"id": ids[i], "path": paths[i], "reason": failed[i]} for i in sorted(failed)])
    stats = {"cache_hits": hits, "cache_misses": len(todo) if store is not None else 0, "computed": computed,
             "skipped": len(failed), "nan_replaced": sum(k for _, k in replaced), "n_jobs": n_workers,
             "seconds": round(time.perf_counter() - t_start, 4)}
    return Features(meta=meta, X=X, names=list(names), feature_set=feature_set, settings=settings,
                    skipped=skipped, stats=stats)
