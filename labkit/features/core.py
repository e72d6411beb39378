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
        return Features(
            meta=self.meta.iloc[idx].reset_index(drop=True),
            X=self.X[idx],
            names=list(self.names),
            feature_set=self.feature_set,
            settings=dict(self.settings),
            skipped=self.skipped.copy(),
            stats=dict(self.stats),
        )

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
            raise LabkitError(
                f"cannot write {path}: feature column names clash with the table's "
                f"({clash or 'duplicate feature names'})"
            )
        meta_table = pa.Table.from_pandas(meta, preserve_index=False)
        if self.is_frames:
            n, t, f = self.X.shape
            values = pa.array(np.ascontiguousarray(self.X).reshape(-1))  # (N, T, F) -> (N*T*F,)
            arrays = [pa.FixedSizeListArray.from_arrays(values, t * f)]
        else:
            arrays = [pa.array(np.ascontiguousarray(self.X[:, j])) for j in range(self.X.shape[1])]
        info = {
            "format": 1,
            "feature_set": self.feature_set,
            "settings": self.settings,
            "shape": list(self.X.shape),
            "names": list(self.names),
            "meta_columns": meta_cols,
            "skipped": self.skipped.to_dict(orient="records"),
            "stats": self.stats,
        }
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
        """Read a file written by `to_parquet` (LabkitError naming it if it is not one).

        Files that another tool changed after labkit wrote them are read where that is safe: rows
        filtered out (a warning says how many of how many remain) or columns added. Metadata that
        is not JSON, is incomplete, or names a column the file lacks gives a LabkitError naming the
        file and what is wrong. A plain table without labkit's metadata: see `read_table`.
        """
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
            raise LabkitError(
                f"{path}: not a labkit features file (no {_PARQUET_KEY.decode()} metadata); a table "
                f"of your own features loads with its label and speaker columns named "
                f"(labkit compare {path.name} --label-column C --speaker-column S)"
            )
        info = _parquet_info(path, raw)
        meta_cols, names = info["meta_columns"], info["names"]
        shape = tuple(info["shape"])
        needed = meta_cols + ([_FRAME_COLUMN] if len(shape) == 3 else names)
        missing = [c for c in needed if c not in table.column_names]
        if missing:
            raise LabkitError(
                f"{path}: its {_PARQUET_KEY.decode()} metadata names {len(missing)} column(s) the "
                f"file does not have ({', '.join(map(repr, missing[:5]))}); was it rewritten by "
                "another tool? Extract the features again, or load it as a plain table"
            )
        n = table.num_rows
        stats = dict(info.get("stats") or {})
        if n != shape[0]:
            warnings.warn(
                f"{path}: {n} of the {shape[0]} rows labkit wrote are left (filtered by another tool?); "
                f"using those {n}",
                stacklevel=2,
            )
            stats["rows_written"] = shape[0]
            shape = (n, *shape[1:])
        meta = table.select(meta_cols).to_pandas()
        if len(shape) == 3:
            frames = table.column(_FRAME_COLUMN).combine_chunks()
            values = frames.flatten().to_numpy(zero_copy_only=False)
            if frames.null_count or values.size != math.prod(shape):
                raise LabkitError(
                    f"{path}: column {_FRAME_COLUMN!r} does not hold {n} x {shape[1]} x {shape[2]} "
                    "frame values (empty or cut rows?)"
                )
            X = values.reshape(shape)  # (N*T*F,) -> (N, T, F)
        else:
            X = np.empty(shape, dtype=np.float32)
            for j, name in enumerate(names):
                X[:, j] = table.column(name).to_numpy()
        ids = meta["id"].astype(str).tolist() if "id" in meta.columns else None
        _check_finite(X, names, ids, str(path))
        check_constant_columns(X, names, str(path))
        skipped = info.get("skipped") or []
        return cls(
            meta=meta,
            X=X,
            names=names,
            feature_set=info["feature_set"],
            settings=info.get("settings") or {},
            skipped=_skipped_frame(skipped if isinstance(skipped, list) else []),
            stats=stats,
        )

    @classmethod
    def from_table(
        cls,
        df: pd.DataFrame,
        *,
        label_column: str = "emotion",
        speaker_column: str = "speaker",
        id_column: str | None = None,
        meta_columns=(),
        name: str = "the table",
    ) -> "Features":
        """Features from any table of numeric features with a label and a speaker column.

        Parameters
        ----------
        df : DataFrame, one row per utterance
        label_column : the class labels (kept under this name; a comparison predicts it)
        speaker_column : the speaker of each row, copied to ``speaker`` (protocols read that column)
        id_column : unique row ids, copied to ``id``; default: an ``id`` column if there is one, else
            ``row00000``, ``row00001``, ...
        meta_columns : further non-feature columns to keep as metadata (e.g. a file name). The
            utterance-table columns (`labkit.data.schema.UTTERANCE_COLUMNS`) and `TABLE_META_COLUMNS`
            are metadata anyway; every other column must be a numeric feature.
        name : how errors name the table (its file)

        Raises
        ------
        LabkitError naming the column: a label/speaker/id column that is missing, a non-numeric
        feature column, NaN or infinite feature values, empty labels or speakers, duplicate ids.
        """
        from labkit.data.schema import UTTERANCE_COLUMNS

        if not isinstance(df, pd.DataFrame) or len(df) == 0:
            raise LabkitError(f"{name}: no rows")
        df = df.reset_index(drop=True)
        df.columns = [str(c) for c in df.columns]
        columns = list(df.columns)
        if len(set(columns)) != len(columns):
            twice = sorted({c for c in columns if columns.count(c) > 1})
            raise LabkitError(f"{name}: column name(s) {', '.join(map(repr, twice))} appear more than once")
        shown = ", ".join(columns[:12]) + (f", ... ({len(columns)} in all)" if len(columns) > 12 else "")
        roles = [
            ("label", label_column, "--label-column"),
            ("speaker", speaker_column, "--speaker-column"),
            ("id", id_column, "--id-column"),
        ] + [("metadata", c, "--meta-columns") for c in meta_columns]
        for role, col, option in roles:
            if col is not None and col not in columns:
                raise LabkitError(f"{name}: no {role} column {col!r} (name it with {option}); its columns are: {shown}")
        if id_column is None and "id" in columns:
            id_column = "id"
        keep = {label_column, speaker_column, id_column, *meta_columns, *UTTERANCE_COLUMNS, *TABLE_META_COLUMNS}
        meta_cols = [c for c in columns if c in keep]
        feature_cols = [c for c in columns if c not in keep]
        if not feature_cols:
            raise LabkitError(f"{name}: no feature columns left after the label, speaker and metadata columns")
        bad = [c for c in feature_cols if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise LabkitError(
                f"{name}: {len(bad)} feature column(s) are not numeric: {', '.join(map(repr, bad[:5]))} "
                f"({_bad_cell(df[bad[0]], bad[0], df[id_column] if id_column else None)}); name metadata "
                "columns with --meta-columns, or fix the values (a decimal comma?)"
            )
        for role, col in (("label", label_column), ("speaker", speaker_column)):
            empty = df[col].isna() | (df[col].astype(str).str.strip() == "")
            if empty.any():
                raise LabkitError(
                    f"{name}: {int(empty.sum())} row(s) have no {role} in column {col!r} "
                    f"(first: row {int(np.flatnonzero(empty.to_numpy())[0])})"
                )
        meta = df[meta_cols].copy()
        meta["speaker"] = df[speaker_column].astype(str)
        meta["id"] = df[id_column].astype(str) if id_column else [f"row{i:05d}" for i in range(len(df))]
        if meta["id"].duplicated().any():
            dup = meta["id"][meta["id"].duplicated()].iloc[0]
            raise LabkitError(f"{name}: id {dup!r} appears more than once in column {id_column!r}; ids must be unique")
        order = ["id", "speaker"] + [c for c in meta.columns if c not in ("id", "speaker")]
        meta = meta[order].reset_index(drop=True)
        with np.errstate(over="ignore"):  # values beyond float32's range become inf, reported below
            X = df[feature_cols].to_numpy(dtype=np.float64).astype(np.float32)
        _check_finite(X, feature_cols, meta["id"].tolist(), name)
        check_constant_columns(X, feature_cols, name)
        settings = {
            "source": name,
            "label_column": label_column,
            "speaker_column": speaker_column,
            "id_column": id_column,
        }
        return cls(meta=meta, X=X, names=feature_cols, feature_set="table", settings=settings)


# A foreign table's columns that are metadata, not features, whatever the options say: labkit's own
# export columns (`labkit augment`) and the index columns of audformat / nkululeko tables.
TABLE_META_COLUMNS = ("origin", "partition", "source_id", "file", "start", "end")
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")


def is_table_source(source: str) -> bool:
    """True when a SOURCE argument names a feature table (``feats.csv``), not a corpus (``csv:manifest.csv``)."""
    import re

    text = str(source)
    return Path(text).suffix.lower() in TABLE_SUFFIXES and not re.match(r"^[A-Za-z][A-Za-z0-9_]+:", text)


def read_table(
    path: str | os.PathLike,
    *,
    label_column: str | None = None,
    speaker_column: str | None = None,
    id_column: str | None = None,
    meta_columns=(),
) -> Features:
    """Features from a file: a labkit features file, or any CSV / TSV / Parquet table of features.

    A Parquet file written by labkit (`Features.to_parquet`, ``labkit features``, ``labkit augment``)
    is read with its metadata. Any other table goes through `Features.from_table`: one row per
    utterance, a label column (default ``emotion``), a speaker column (default ``speaker``),
    optionally an id column, and numeric feature columns (a wav2vec / HuBERT embedding, another
    openSMILE configuration, ...).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise LabkitError(f"{path}: no such features file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise LabkitError(f"{path}: a feature table must be {', '.join(TABLE_SUFFIXES)}")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            labkit_file = _PARQUET_KEY in (pq.read_schema(path).metadata or {})
        except Exception as err:  # pyarrow raises several types for a non-Parquet file
            raise LabkitError(f"{path}: not a Parquet file ({err})") from None
        if labkit_file:
            feats = Features.from_parquet(path)
            for role, col in (("label", label_column), ("speaker", speaker_column), ("id", id_column)):
                if col is not None and col not in feats.meta.columns:
                    raise LabkitError(
                        f"{path}: no {role} column {col!r}; its metadata columns are: "
                        f"{', '.join(map(str, feats.meta.columns))}"
                    )
            if speaker_column not in (None, "speaker"):
                feats.meta["speaker"] = feats.meta[speaker_column].astype(str)
            return feats
        df = pd.read_parquet(path)
    else:
        try:
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
            raise LabkitError(f"{path}: cannot read it as {suffix[1:].upper()} ({err})") from None
    if label_column is None:
        label_column = "emotion" if "emotion" in df.columns or "label" not in df.columns else "label"
    return Features.from_table(
        df,
        label_column=label_column,
        speaker_column=speaker_column or "speaker",
        id_column=id_column,
        meta_columns=meta_columns,
        name=str(path),
    )


def _parquet_info(path: Path, raw: bytes) -> dict:
    """The labkit metadata of a features Parquet file, checked; LabkitError naming the file if unusable."""
    key = _PARQUET_KEY.decode()
    try:
        info = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise LabkitError(
            f"{path}: its {key} metadata is not valid JSON ({err}); extract the features again, or "
            "load the file as a plain table with --label-column and --speaker-column"
        ) from None
    if not isinstance(info, dict):
        raise LabkitError(f"{path}: its {key} metadata is not a JSON object")
    absent = [k for k in ("feature_set", "shape", "names", "meta_columns") if k not in info]
    if absent:
        raise LabkitError(f"{path}: its {key} metadata lacks {', '.join(absent)}")
    shape, names, meta_cols = info["shape"], info["names"], info["meta_columns"]
    if not (isinstance(shape, list) and len(shape) in (2, 3) and all(isinstance(v, int) and v >= 0 for v in shape)):
        raise LabkitError(f"{path}: its {key} metadata has an unusable shape {shape!r}")
    if not (isinstance(names, list) and len(names) == shape[-1] and isinstance(meta_cols, list)):
        raise LabkitError(
            f"{path}: its {key} metadata lists {len(names) if isinstance(names, list) else '?'} "
            f"feature names for a last axis of {shape[-1]}"
        )
    info["names"], info["meta_columns"] = [str(n) for n in names], [str(c) for c in meta_cols]
    return info


def _bad_cell(column: pd.Series, col: str, ids: pd.Series | None) -> str:
    """The first cell of a non-numeric column that is not a number, quoted as it is in the file."""
    as_number = pd.to_numeric(column, errors="coerce")
    bad = column.notna() & as_number.isna()
    if not bad.any():
        return f"column {col!r} holds values of type {column.dtype}"
    row = int(np.flatnonzero(bad.to_numpy())[0])
    where = f"id {str(ids.iloc[row])!r}" if ids is not None else f"row {row}"
    return f"first bad cell: {col} = {column.iloc[row]!r} at {where}"


def _check_finite(X: np.ndarray, names: list[str], ids: list[str] | None, name: str) -> None:
    """LabkitError naming the columns (and the first row) that hold NaN or infinite feature values."""
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    per_col = bad.reshape(len(X), -1, len(names)).sum(axis=(0, 1))  # (D,) or (F,) for frames
    cols = [f"{names[j]} ({int(per_col[j])})" for j in np.flatnonzero(per_col)[:5]]
    row = int(np.flatnonzero(bad.reshape(len(X), -1).any(axis=1))[0])
    where = f"id {ids[row]!r}" if ids else f"row {row}"
    raise LabkitError(
        f"{name}: {int(bad.sum())} missing (NaN) or infinite feature value(s) in "
        f"{', '.join(cols)}{' ...' if len(np.flatnonzero(per_col)) > 5 else ''}, first at {where}; "
        "fill or drop them before loading"
    )


NEAR_CONSTANT_RTOL = 1e-6  # a column whose values differ by at most this x its largest |value| is "constant"


def check_constant_columns(X: np.ndarray, names: list[str], name: str) -> list[str]:
    """Warn about feature columns that are constant or nearly so; `LabkitError` when all of them are.

    A column is near-constant when its values differ by no more than `NEAR_CONSTANT_RTOL` times its
    largest absolute value (float32 keeps about 7 digits, so such a column varies only by rounding).
    Such columns carry nothing a classifier can use; when every column is one, a comparison would
    report the chance UAR of a majority-class guess ("UAR 14.3 [14.3, 14.3]") as a result, so it is
    refused. Only functionals / table features (N, D) are checked, and only with 2 rows or more.
    Returns the names of the constant columns.
    """
    if X.ndim != 2 or len(X) < 2 or X.shape[1] == 0:
        return []
    with np.errstate(invalid="ignore", over="ignore"):
        spread = X.max(axis=0).astype(np.float64) - X.min(axis=0)  # (D,)
        scale = np.abs(X).max(axis=0).astype(np.float64)  # (D,)
    constant = spread <= NEAR_CONSTANT_RTOL * scale  # also true for an all-zero column
    if not constant.any():
        return []
    cols = [names[j] for j in np.flatnonzero(constant)]
    shown = ", ".join(map(repr, cols[:5])) + (" ..." if len(cols) > 5 else "")
    if constant.all():
        raise LabkitError(
            f"{name}: all {len(cols)} feature column(s) are constant over its {len(X)} rows ({shown}): there "
            "is nothing to learn from, and any classifier would only guess one class. Check the extraction "
            "or the export that made this table"
        )
    warnings.warn(
        f"{name}: {len(cols)} of {X.shape[1]} feature column(s) are constant or nearly so over its {len(X)} "
        f"rows ({shown}); they carry no information (a broken extractor, or a column filled with one value?)",
        stacklevel=3,
    )
    return cols


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
    if (
        (isinstance(default, float) or (default is None and key == "fmax"))
        and isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
    ):
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def resolve_settings(feature_set: str, settings: dict) -> dict:
    """Defaults overridden by `settings`; LabkitError naming any unknown key or bad value."""
    resolved = default_settings(feature_set)
    unknown = sorted(set(settings) - set(resolved))
    if unknown:
        raise LabkitError(
            f"{feature_set} has no setting {', '.join(map(repr, unknown))}; its settings are {', '.join(resolved)}"
        )
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
def extract(
    table: pd.DataFrame,
    feature_set: str,
    *,
    n_jobs: int | None = None,
    cache: bool = True,
    progress: bool = True,
    skip_bad: bool = False,
    **settings,
) -> Features:
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
        chunks = [todo[k : k + size] for k in range(0, len(todo), size)]
        if n_workers == 1 or len(chunks) <= 1:
            results = (_work(chunk, feature_set, settings, store) for chunk in chunks)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=min(n_workers, len(chunks)), return_as="generator")(
                delayed(_work)(chunk, feature_set, settings, store) for chunk in chunks
            )
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
        warnings.warn(
            f"{feature_set}: NaN/inf values replaced by 0.0 in {len(replaced)} file(s), e.g. {first_n} in {first_path}",
            stacklevel=2,
        )
    if failed:
        if len(failed) == n:
            i = min(failed)
            raise LabkitError(f"no usable audio: all {n} files were skipped (first: {paths[i]}: {failed[i]})")
        keep = np.array([i not in failed for i in range(n)])
        X, meta = X[keep], meta[keep].reset_index(drop=True)
        warnings.warn(
            f"{feature_set}: skipped {len(failed)} of {n} file(s), e.g. {paths[min(failed)]}: "
            f"{failed[min(failed)]} (see Features.skipped)",
            stacklevel=2,
        )
    check_constant_columns(X, list(names), f"{feature_set} features of {len(X)} file(s)")
    skipped = _skipped_frame([{"id": ids[i], "path": paths[i], "reason": failed[i]} for i in sorted(failed)])
    stats = {
        "cache_hits": hits,
        "cache_misses": len(todo) if store is not None else 0,
        "computed": computed,
        "skipped": len(failed),
        "nan_replaced": sum(k for _, k in replaced),
        "n_jobs": n_workers,
        "seconds": round(time.perf_counter() - t_start, 4),
    }
    return Features(
        meta=meta, X=X, names=list(names), feature_set=feature_set, settings=settings, skipped=skipped, stats=stats
    )
