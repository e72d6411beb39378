"""Small shared helpers: seeding, device choice, config building, atomic file writes, progress bars."""

from __future__ import annotations

import json
import os
import random
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np


def config_from(cls, what: str, *layers: dict):
    """``cls(**layers merged left to right)`` for a config dataclass; a field `cls` does not have raises a
    LabkitError naming it and the known ones (``what`` names the model in the message)."""
    from dataclasses import fields

    from labkit.errors import LabkitError

    merged: dict = {}
    for layer in layers:
        merged.update(layer)
    known = {f.name for f in fields(cls)}
    bad = sorted(set(merged) - known)
    if bad:
        raise LabkitError(f"unknown {what} config field(s): {', '.join(bad)}; known: {', '.join(sorted(known))}")
    return cls(**merged)


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

    Chosen once per run and passed on explicitly; modules never pick a device themselves. A device
    torch does not know (``"bogus"``) or one this machine lacks (``"cuda"`` without CUDA, ``"cuda:3"``
    on a one-GPU machine) is a `LabkitError` naming it, so a command can refuse it before it starts.
    """
    import torch

    from labkit.errors import LabkitError

    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise LabkitError(f"unknown device {device!r}; use cpu, cuda, cuda:N or auto") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise LabkitError(
                f"device {device!r}: CUDA is not available on this machine "
                f"(torch {torch.__version__}); use --device cpu or leave it out"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise LabkitError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise LabkitError(f"device {device!r}: Apple MPS is not available on this machine")
    elif dev.type not in ("cpu", "mps"):
        raise LabkitError(f"device {device!r}: labkit runs on cpu, cuda or mps")
    return dev


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one step.

    Readers see the old file or the new one, never a half-written one; a killed writer leaves at
    most a stray ``.tmp-*`` file that readers ignore.

    The temporary file is created the way ``open(path, "w")`` would create `path` (mode 0666 minus
    the process umask), not with `tempfile.mkstemp`'s private 0600: a run store or feature cache
    written by one user must stay readable by a dashboard or colleague running as another user
    whenever the umask allows it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        tmp_path = path.parent / f".tmp-{path.name}.{secrets.token_hex(6)}"
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
        os.close(fd)
        break
    else:  # pragma: no cover
        raise FileExistsError(f"cannot create a temporary file beside {path}")
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


def check_writable(path: str | os.PathLike, option: str = "--out", folder: bool = False) -> Path:
    """Refuse an output path labkit cannot write, before any expensive work (a `LabkitError`, exit 2).

    `path` is a file to write (``folder=False``) or a folder to fill (``folder=True``); `option`
    names it in the message (``--out``). Refused: a file where a folder is wanted and the reverse, a
    parent that is a file (not-a-directory), and a place where no file can be created. The last is
    probed by creating (and removing) an empty hidden file in the nearest existing folder, which
    catches a read-only file system and missing permissions alike (``os.access`` says nothing about
    the first for root, and nothing at all on some network file systems). A full disk shows only
    when the data are written; the writes themselves run under `labkit.errors.os_errors`.
    """
    from labkit.errors import LabkitError, describe_os_error

    path = Path(path).expanduser()
    if path.is_dir() and not folder:
        raise LabkitError(f"{option} {path}: is a folder; give a file name such as {path / 'out.parquet'}")
    if path.exists() and not path.is_dir() and folder:
        raise LabkitError(f"{option} {path}: exists and is a file, not a folder; choose a folder")
    probe_in = path if path.is_dir() else path.parent
    while not probe_in.exists() and probe_in != probe_in.parent:
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise LabkitError(f"{option} {path}: {probe_in} is a file, not a folder")
    probe = probe_in / f".tmp-labkit-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        where = OSError(err.errno, err.strerror, str(probe_in))  # name the folder, not the probe
        raise LabkitError(describe_os_error(where, f"{option} {path}", verb="create files in")) from None
    return path
