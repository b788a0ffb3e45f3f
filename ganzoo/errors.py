"""The exceptions ganzoo raises on purpose.

Every error a user can cause is a :class:`GanzooError`. The CLI prints its message as one line
on stderr and exits with :attr:`GanzooError.exit_code` (2 for bad usage, 1 for failures), so
messages should say what went wrong *and* what to do next.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import shutil


def warn(text: str) -> None:
    """``ganzoo: warning: TEXT`` on stderr, even under ``--quiet``: something happened to the user's files."""
    print(f"ganzoo: warning: {text}", file=sys.stderr, flush=True)


class GanzooError(Exception):
    """Base class of the errors a user can see; carries the CLI exit code."""

    exit_code = 1


class UsageError(GanzooError):
    """The user asked for something that cannot mean anything (bad option, bad name)."""

    exit_code = 2


class UnknownNameError(UsageError, LookupError):
    """A name that no registry holds; the message lists close matches."""


class PluginError(GanzooError):
    """A plugin failed to import, register or build what it registered."""


class DataUnavailableError(GanzooError):
    """A dataset's files are missing and cannot be fetched (offline, say)."""


class CheckpointError(GanzooError):
    """A checkpoint or run directory is missing, corrupt or does not match its config."""


class HubError(GanzooError):
    """A Hugging Face Hub operation failed; the message names the next step."""


class TrainingError(GanzooError):
    """Training cannot go on (a NaN loss, say); the last good checkpoint is kept."""


class PluginLoadInterrupted(KeyboardInterrupt):
    """Ctrl-C while a plugin was loading; the message names the plugin and how to skip it.

    A :class:`KeyboardInterrupt`, not a :class:`GanzooError`, so code that catches Ctrl-C still
    does; the CLI prints the message as one line and exits with 130.
    """

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(message)
        self.plugin = plugin


#: errno -> (what happened, with ``{path}``; the same without a path; what to do next).
_FILE_SYSTEM_REASONS: dict[int, tuple[str, str, str]] = {
    errno.ENOSPC: ("no space left on device while writing {path}", "no space left on device",
                   "free some space or choose another output"),
    errno.EDQUOT: ("disk quota exceeded while writing {path}", "disk quota exceeded",
                   "free some space or choose another output"),
    errno.EFBIG: ("file too large for its file system: {path}", "file too large for its file system",
                  "choose another output location"),
    errno.EROFS: ("{path} is on a read-only file system", "read-only file system",
                  "choose an output on a writable file system"),
    errno.EACCES: ("permission denied: {path}", "permission denied",
                   "check its permissions or choose another location"),
    errno.EPERM: ("operation not permitted: {path}", "operation not permitted",
                  "check its permissions or choose another location"),
    errno.ENOTDIR: ("part of {path} is a file, not a folder", "a path used as a folder is a file",
                    "check the path"),
    errno.EISDIR: ("{path} is a folder", "a folder was given where a file is needed", "give a file name"),
    errno.ENAMETOOLONG: ("file name too long: {path}", "file name too long", "choose a shorter path"),
}


def _first_copy_error(exc: shutil.Error) -> OSError | None:
    """The first failure of a ``shutil.copytree`` as the OSError it was (copytree keeps only its text)."""
    entries = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    for entry in entries:
        if isinstance(entry, tuple) and len(entry) == 3:
            found = re.match(r"\[Errno (\d+)\]", str(entry[2]))
            if found:
                code = int(found.group(1))
                return OSError(code, os.strerror(code), str(entry[1]))
    return None


class FileSystemError(GanzooError):
    """The file system refused a write or a read: full disk, read-only mount, no permission.

    :meth:`from_os_error` words such an :class:`OSError` as one line naming the path and the
    next step; the CLI uses it as the safety net for commands that do not catch these errors.
    """

    @classmethod
    def from_os_error(cls, exc: BaseException, path: str | None = None) -> FileSystemError | None:
        """The error for ``exc`` (or an OSError it was raised from); None when it is not one of these.

        ``path`` names the target when the OSError does not (``"standard output"``, say).
        """
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            shutil = sys.modules.get("shutil")  # never imported here: no copytree ran, so no shutil.Error
            if shutil is not None and isinstance(current, shutil.Error):  # copytree's (source, target, "[Errno N] ...")
                current = _first_copy_error(current) or current
            if isinstance(current, OSError) and current.errno in _FILE_SYSTEM_REASONS:
                with_path, without_path, then = _FILE_SYSTEM_REASONS[current.errno]
                names = [str(p) for p in (current.filename, current.filename2) if p not in (None, "")]
                where = " -> ".join(names) or path
                return cls(f"{with_path.format(path=where) if where else without_path}; {then}")
            current = current.__cause__ or current.__context__
        return None
