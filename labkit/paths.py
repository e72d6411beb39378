"""Where labkit keeps caches: $LABKIT_CACHE, else ~/.cache/labkit."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """Root of labkit's on-disk caches (feature cache, the built embedded corpus)."""
    root = os.environ.get("LABKIT_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "labkit"
