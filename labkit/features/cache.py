"""The on-disk feature cache: one small ``.npy`` per utterance, keyed by audio bytes and settings.

Layout under ``cache_root()/features/``::

    <feature_set>/<settings_key>/settings.json     the settings the key stands for (for people)
    <feature_set>/<settings_key>/names.json        the feature (or bin) names, written once
    <feature_set>/<settings_key>/<aa>/<audio_sha1>.npy
                                                   one utterance: (D,) functionals or (T, F) frames

* ``audio_sha1`` is the SHA-1 of the audio *file's bytes*, not of its path: renaming or moving a
  corpus keeps its cache, and editing a file (even keeping its name) is a miss.
* ``settings_key`` is the SHA-1 of the JSON of the feature set, its resolved settings and the
  extractor version (labkit's own `EXTRACTOR_VERSION` plus the versions of openSMILE or librosa),
  so changing any setting, or upgrading the library that computes the features, is a miss.
* ``<aa>`` (the first two hex digits) keeps folders small for corpora of many thousand files.
* Every file is written atomically (`labkit.utils.atomic_path`), so two processes filling the same
  cache, or a killed run, never leave a half-written entry; an entry that cannot be read anyway
  (disk trouble) is treated as a miss and rewritten. Arrays are loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from labkit.errors import AudioError
from labkit.utils import atomic_path, write_json_atomic

# Bump when a change in labkit's extraction code changes the numbers it produces.
EXTRACTOR_VERSION = "1"

_CHUNK = 1 << 20  # read audio files in 1 MiB blocks when hashing


def audio_key(path: str | os.PathLike) -> str:
    """SHA-1 (hex) of an audio file's bytes; AudioError naming the file when it cannot be read."""
    h = hashlib.sha1()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(_CHUNK), b""):
                h.update(block)
    except OSError as err:
        raise AudioError(path, f"cannot read the file ({err.strerror or err})") from None
    return h.hexdigest()


def settings_key(feature_set: str, settings: dict, versions: dict) -> str:
    """SHA-1 (hex) of the JSON of what determines the numbers: set, settings, code versions."""
    blob = json.dumps(
        {"feature_set": feature_set, "settings": settings, "extractor": EXTRACTOR_VERSION, "versions": versions},
        sort_keys=True,
    )
    return hashlib.sha1(blob.encode()).hexdigest()


class FeatureCache:
    """The cache folder of one feature set under one settings key.

    Parameters
    ----------
    root : Path
        ``cache_root()/features``.
    feature_set : str
        A name from `labkit.features.FEATURE_SETS`.
    settings : dict
        The resolved extractor settings (JSON-serialisable scalars).
    versions : dict
        Versions of the libraries that compute the numbers, e.g. ``{"opensmile": "2.6.0"}``.
    """

    def __init__(self, root: Path, feature_set: str, settings: dict, versions: dict):
        self.key = settings_key(feature_set, settings, versions)
        self.folder = Path(root) / feature_set / self.key[:16]
        self._describe = {"feature_set": feature_set, "settings": settings, "versions": versions,
                          "extractor": EXTRACTOR_VERSION, "key": self.key}

    def path(self, audio_sha1: str) -> Path:
        return self.folder / audio_sha1[:2] / f"{audio_sha1}.npy"

    def load(self, audio_sha1: str) -> np.ndarray | None:
        """The cached array of one utterance, or None on a miss (absent or unreadable entry)."""
        path = self.path(audio_sha1)
        if not path.exists():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None  # damaged entry: recompute and overwrite it

    def save(self, audio_sha1: str, array: np.ndarray) -> None:
        """Store one utterance's array atomically (np.save on an open handle: no ``.npy`` renaming)."""
        with atomic_path(self.path(audio_sha1)) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, np.ascontiguousarray(array), allow_pickle=False)

    def load_names(self) -> list[str] | None:
        path = self.folder / "names.json"
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def save_names(self, names: list[str]) -> None:
        write_json_atomic(self.folder / "names.json", list(names))
        if not (self.folder / "settings.json").exists():
            write_json_atomic(self.folder / "settings.json", self._describe)
