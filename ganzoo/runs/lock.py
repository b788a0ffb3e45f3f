"""One writer per run directory: a lock that train and resume hold for the whole run.

Two trainers writing one folder mix their checkpoints, configs and metrics (issue 11), so
``ganzoo train`` takes ``RUN/.ganzoo.lock`` with ``flock`` (``msvcrt.locking`` on Windows) before it
touches anything and keeps it until it ends. The kernel drops the lock when its holder dies, even
by ``kill -9``, so a lock is never stale: the next trainer simply gets it. Who holds it -- pid, host,
since when, the command -- is in ``RUN/.ganzoo.lock.json`` beside it, written once the lock is held
and removed when it is released; a second writer names that holder, and finding the file when the
lock was free means its writer died, which the new holder reports.

    >>> with RunLock("runs/x") as lock:   # doctest: +SKIP
    ...     ...                           # nobody else writes runs/x meanwhile
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError
from ganzoo.io import write_json

LOCK_FILE = ".ganzoo.lock"
INFO_FILE = ".ganzoo.lock.json"
#: The entries the lock adds to a run directory (an otherwise empty folder is still empty).
LOCK_ENTRIES = (LOCK_FILE, INFO_FILE)

#: Run directories this process holds, so its own readers may repair them (see :func:`holds`).
_HELD: dict[str, "RunLock"] = {}

# A platform check rather than ``try: import fcntl``, so that type checkers see one branch per platform.
if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class RunLockedError(GanzooError):
    """Another process is writing the run directory; the message names it."""


def _key(run_dir: Path) -> str:
    return os.path.realpath(run_dir)


def holds(run_dir: str | os.PathLike[str]) -> bool:
    """Whether this process holds the lock of ``run_dir``."""
    return _key(Path(run_dir)) in _HELD


def read_holder(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The lock-info of ``run_dir`` (pid, host, since, argv), or ``None`` when there is none."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((Path(run_dir) / INFO_FILE).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return data
    return None


def describe_holder(holder: dict[str, Any] | None) -> str:
    """``pid 123 on host (since 2024-05-01 12:00:00)``; a placeholder when unknown."""
    if not holder:
        return "another process (it has not said which yet)"
    since = holder.get("since")
    when = ""
    if isinstance(since, (int, float)):
        when = f" (since {_dt.datetime.fromtimestamp(since).strftime('%Y-%m-%d %H:%M:%S')})"
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}{when}"


def close_inherited_locks() -> None:
    """In a forked child (a data-loader worker): close the copies of this process's lock descriptors.

    A forked child shares the parent's locked file description; while any child keeps its copy
    open, the lock outlives a parent killed with ``kill -9`` (for the seconds the orphaned
    workers take to notice). Closing the copy, not unlocking it, leaves the parent's lock as it is.
    """
    for lock in list(_HELD.values()):
        if lock.fd is not None:
            with contextlib.suppress(OSError):
                os.close(lock.fd)
            lock.fd = None  # this child never releases what it does not hold
    _HELD.clear()


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


class RunLock:
    """The write lock of one run directory; ``acquire`` fails at once when someone holds it."""

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.run_dir = Path(run_dir)
        self.fd: int | None = None
        #: What the last :meth:`acquire` found left by a holder that died, for the caller to report.
        self.took_over: dict[str, Any] | None = None
        #: Set by whoever created ``run_dir`` for this run: a folder left holding nothing but the
        #: lock when it is released (the run failed before writing) is removed, so a retry starts clean.
        self.remove_if_empty = False

    @property
    def lock_path(self) -> Path:
        return self.run_dir / LOCK_FILE

    def try_acquire(self) -> bool:
        """Take the lock if it is free; ``False`` when another process holds it. Raises OSError."""
        if self.fd is not None:
            return True
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if not _try_lock(fd):
                os.close(fd)
                return False
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        try:
            left = read_holder(self.run_dir)  # written by a holder that never released the lock
            self.took_over = left
            write_json(self.run_dir / INFO_FILE, {"pid": os.getpid(), "host": socket.gethostname(),
                                                   "since": time.time(), "argv": list(sys.argv)})
        except BaseException:
            self.release()
            raise
        _HELD[_key(self.run_dir)] = self
        return True

    def acquire(self) -> "RunLock":
        """Take the lock or raise :class:`RunLockedError` naming its holder and what to do."""
        if self.try_acquire():
            return self
        holder = None
        for _ in range(40):  # the holder writes its info just after locking; give it 2 s to appear
            holder = read_holder(self.run_dir)
            if holder:
                break
            time.sleep(0.05)
        if holder and holder.get("host") == socket.gethostname() and not _pid_alive(holder.get("pid")):
            raise RunLockedError(  # a lock outliving its process: something it started still holds it
                f"{self.run_dir} is still locked although {describe_holder(holder)} has ended: a process it "
                f"started still holds the lock; retry in a few seconds, or stop that process"
            )
        raise RunLockedError(
            f"{self.run_dir} is in use by {describe_holder(holder)}, which is training in it; wait for it "
            f"to finish (or stop it), or choose another --out"
        )

    def takeover_notice(self) -> str | None:
        """A line for stderr when :meth:`acquire` inherited the lock of a holder that died."""
        left = self.took_over
        if not left:
            return None
        same_host = left.get("host") == socket.gethostname()
        gone = "is gone" if not same_host or not _pid_alive(left.get("pid")) else "no longer holds it"
        return (f"{self.run_dir} was locked by {describe_holder(left)}, which {gone} without releasing it; "
                f"taking the lock over (that run was interrupted: its last checkpoint is kept)")

    def release(self) -> None:
        """Drop the lock and its info file; safe to call twice."""
        if self.fd is None:
            return
        _HELD.pop(_key(self.run_dir), None)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.run_dir / INFO_FILE)
            if self.remove_if_empty:
                with contextlib.suppress(OSError):
                    if set(os.listdir(self.run_dir)) <= set(LOCK_ENTRIES):
                        os.unlink(self.lock_path)  # still held: nobody else can be using the folder
                        os.rmdir(self.run_dir)
            with contextlib.suppress(OSError):
                _unlock(self.fd)
        finally:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


@contextlib.contextmanager
def maybe_locked(run_dir: str | os.PathLike[str]) -> Iterator[bool]:
    """``True`` inside when nobody else is writing ``run_dir`` (the lock is held meanwhile).

    For readers that repair what a crash left (:func:`~ganzoo.runs.checkpoints.recover_checkpoints`):
    they may change the folder only when it yields ``True``. A folder this process already
    holds yields ``True``; one that cannot be locked (read-only, say) yields ``False``.
    """
    if holds(run_dir):
        yield True
        return
    lock = RunLock(run_dir)
    try:
        got = lock.try_acquire()
    except OSError:
        got = False
    try:
        yield got
    finally:
        lock.release()
