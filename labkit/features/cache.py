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
  cache, or a killed run, never leave a half-written entry. Arrays are loaded with
  ``allow_pickle=False``.
* A bad entry is a miss, never an error: a zero-byte or damaged ``.npy`` (disk trouble, a copy cut
  short) is computed again and overwritten; a ``names.json`` that is not a list of distinct names
  matching the stored arrays' width is ignored (the names come from the extractor) and rewritten.
* A cache that cannot be written (read-only folder, full disk, a file where the folder should be)
  does not stop an extraction: the first failed write warns once, naming the folder, and the
  features are computed without caching. ``cache=False`` (``--no-cache``) skips the cache entirely.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from labkit.errors import AudioError
from labkit.utils import atomic_path, write_json_atomic

# Bump when a change in labkit's extraction code changes the numbers it produces.
EXTRACTOR_VERSION = "2"  # 2: read_audio removes the DC offset (labkit.data.audio)

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
        self._describe = {
            "feature_set": feature_set,
            "settings": settings,
            "versions": versions,
            "extractor": EXTRACTOR_VERSION,
            "key": self.key,
        }
        # Probed here, in the calling process, so an unwritable cache warns once (not once per worker)
        # and the workers this object is sent to skip their writes.
        self.writable = self._probe()

    def _probe(self) -> bool:
        """Can entries be written under `folder`? Creates it; warns once (naming it) when not."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.folder / ".probe") as tmp:
                tmp.write_bytes(b"")
            (self.folder / ".probe").unlink(missing_ok=True)
            return True
        except OSError as err:
            self._unwritable(err)
            return False

    def _unwritable(self, err: OSError) -> None:
        self.writable = False
        if str(self.folder) not in _WARNED:
            _WARNED.add(str(self.folder))
            warnings.warn(
                f"feature cache {self.folder} cannot be written ({err.strerror or err}); computing "
                "features without caching (set LABKIT_CACHE to a writable folder, or use --no-cache)",
                stacklevel=3,
            )

    def path(self, audio_sha1: str) -> Path:
        return self.folder / audio_sha1[:2] / f"{audio_sha1}.npy"

    def load(self, audio_sha1: str) -> np.ndarray | None:
        """The cached array of one utterance, or None on a miss (absent or unreadable entry)."""
        path = self.path(audio_sha1)
        if not path.exists():
            return None
        try:
            x = np.load(path, allow_pickle=False)
        except Exception:  # noqa: BLE001 - EOFError (zero bytes), ValueError, OSError, ...: a miss
            return None  # damaged entry: recomputed, and `save` overwrites it
        return x if isinstance(x, np.ndarray) else None

    def save(self, audio_sha1: str, array: np.ndarray) -> None:
        """Store one utterance's array atomically (np.save on an open handle: no ``.npy`` renaming).

        A write that fails (unwritable cache) warns once and is skipped: the array is still returned
        to the caller, just not cached.
        """
        if not self.writable:
            return
        try:
            with atomic_path(self.path(audio_sha1)) as tmp:
                with open(tmp, "wb") as f:
                    np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        except OSError as err:
            self._unwritable(err)

    def load_names(self) -> list[str] | None:
        """The cached feature names, or None when absent or not trustworthy (see the module docstring).

        Trusted only when they are a non-empty list of distinct strings whose length is the last
        dimension of the stored arrays (read from one entry's ``.npy`` header, not its data).
        """
        path = self.folder / "names.json"
        if not path.exists():
            return None
        try:
            names = json.loads(path.read_text())
        except Exception:  # noqa: BLE001 - OSError, ValueError, RecursionError, UnicodeDecodeError
            return None
        if (
            isinstance(names, list)
            and names
            and all(isinstance(n, str) for n in names)
            and len(set(names)) == len(names)
            and self._entry_width() == len(names)
        ):
            return names
        if self.writable:  # a bad names.json is removed; the next extraction that computes rewrites it
            path.unlink(missing_ok=True)
        return None

    def _entry_width(self) -> int | None:
        """Last dimension of the arrays stored here, from the header of the first readable entry."""
        if not self.folder.is_dir():
            return None
        for sub in sorted(self.folder.iterdir()):
            if not sub.is_dir():
                continue
            for entry in sorted(sub.glob("*.npy")):
                try:
                    with open(entry, "rb") as f:
                        major, _ = np.lib.format.read_magic(f)
                        read = (
                            np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                        )
                        shape, _, _ = read(f)
                except Exception:  # noqa: BLE001 - a damaged entry: try the next one
                    continue
                return int(shape[-1]) if shape else None
        return None

    def save_names(self, names: list[str]) -> None:
        if not self.writable:
            return
        try:
            write_json_atomic(self.folder / "names.json", list(names))
            if not (self.folder / "settings.json").exists():
                write_json_atomic(self.folder / "settings.json", self._describe)
        except OSError as err:
            self._unwritable(err)


_WARNED: set[str] = set()  # cache folders whose unwritability was reported in this process
