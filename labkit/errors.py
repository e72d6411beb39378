"""User-facing errors.

A `LabkitError` is a problem with the user's input (a bad file, a bad value) rather than a bug.
The command line prints its message and exits with status 2, without a traceback; the message must
name the file or value at fault.
"""


class LabkitError(Exception):
    """Bad input: the message names the file or value at fault."""


class AudioError(LabkitError):
    """An audio file cannot be used (unreadable, empty, silent, non-finite samples)."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class CorpusError(LabkitError):
    """A corpus folder or manifest is missing or malformed."""


# errno values whose plain strerror does not say what the user can do about them
_OS_HINTS = {
    "EROFS": "the file system is read-only; write somewhere else",
    "ENOSPC": "no space left on the device; free some space or write somewhere else",
    "EDQUOT": "the disk quota is exceeded; free some space or write somewhere else",
    "ENOTDIR": "a part of the path is a file, not a folder",
    "EISDIR": "it is a folder, not a file",
    "EACCES": "permission denied",
    "EPERM": "operation not permitted",
    "EEXIST": "it exists already",
}


def describe_os_error(err: OSError, what: str = "", verb: str = "write") -> str:
    """One line saying which file an `OSError` is about and why, e.g.

    ``--out /ro/x.csv: cannot write /ro/.tmp-x.csv.3f2a: the file system is read-only; write
    somewhere else [Errno 30]``. `what` names the option or file the user gave (``--out x.csv``).
    """
    import errno

    name = errno.errorcode.get(err.errno or -1, "")
    reason = _OS_HINTS.get(name) or (err.strerror or str(err) or type(err).__name__)
    target = err.filename if err.filename is not None else ""
    if err.filename2 is not None:
        target = f"{target} -> {err.filename2}"
    parts = [p for p in (what, f"cannot {verb} {target}" if target else "", reason) if p]
    code = f" [Errno {err.errno}]" if err.errno else ""
    return ": ".join(parts) + code


class os_errors:
    """``with os_errors("--out x.csv"): ...`` turns an `OSError` of the block into a `LabkitError`.

    Read-only file systems, full disks, a file where a folder should be: every command that writes
    uses this around its writes, so each such failure exits 2 with `describe_os_error`'s one line
    instead of a traceback. A `LabkitError` raised inside passes through unchanged.
    """

    def __init__(self, what: str = "", verb: str = "write"):
        self.what, self.verb = what, verb

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, OSError) and not isinstance(exc, LabkitError):
            raise LabkitError(describe_os_error(exc, self.what, self.verb)) from None
        return False
