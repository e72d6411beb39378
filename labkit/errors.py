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
