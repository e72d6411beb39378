"""Small shared helpers: seeding, device choice, atomic file writes, progress bars."""

from __future__ import annotations

import json
import os
import random
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed python, numpy and (if imported) torch, so a run is repeatable for a seed."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def pick_device(device: str | None = None) -> "torch.device":  # noqa: F821
    """The torch device to use: the one asked for, else CUDA when present, else CPU.

    Chosen once per run and passed on explicitly; modules never pick a device themselves.
    """
    import torch

    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one step.

    Readers see the old file or the new one, never a half-written one; a killed writer leaves at
    most a stray ``.tmp-*`` file that readers ignore.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}.", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write `obj` as pretty JSON, atomically (see `atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, default=_json_default, allow_nan=True) + "\n")


def progress(iterable=None, *, total: int | None = None, desc: str = "", disable: bool | None = None):
    """A tqdm progress bar on stderr; quiet when LABKIT_QUIET=1 is set or `disable` is True."""
    from tqdm.auto import tqdm

    if disable is None:
        disable = os.environ.get("LABKIT_QUIET", "") == "1"
    return tqdm(iterable, total=total, desc=desc, disable=disable, leave=False, dynamic_ncols=True)
