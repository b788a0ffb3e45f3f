"""Atomic file writes: a reader (or a crash) never sees a half-written file.

Everything ganzoo writes that a user would miss -- checkpoints, configs, sample grids -- goes
through :func:`atomic_write` or the helpers built on it: write to a temporary file in the same
folder, flush and fsync, then ``os.replace`` over the target. Folders are swapped by
:func:`replace_dir`, which fsyncs the parent folder around each rename so that a crash leaves
the old or the new folder on disk, and :func:`ganzoo.runs.checkpoints.recover_checkpoints` can
tell which.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _normal_permissions(path: str | os.PathLike[str]) -> None:
    """mkstemp creates 0600 files; give the result the permissions a plain open() would."""
    os.chmod(path, 0o666 & ~current_umask())


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` in one step.

    >>> with atomic_write("out.json", "w") as f:   # doctest: +SKIP
    ...     f.write("{}")
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _normal_permissions(tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path for libraries that write files themselves (PIL, safetensors).

    The caller writes to the yielded path; it replaces ``path`` when the block succeeds.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp_name)
        with open(tmp_name, "rb+") as handle:
            os.fsync(handle.fileno())
        _normal_permissions(tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


#: What ``fsync`` on a folder raises where the file system cannot sync folders (not a failure).
_NO_DIR_FSYNC = {errno.EINVAL, errno.EBADF, getattr(errno, "ENOTSUP", errno.EINVAL),
                 getattr(errno, "EOPNOTSUPP", errno.EINVAL)}


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make the entries of folder ``path`` (renames, new files) durable.

    File systems that cannot sync a folder (and Windows, which cannot open one) are skipped;
    any other error, a failing disk say, is raised.
    """
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)


def aside_name(target: str | os.PathLike[str]) -> Path:
    """Where :func:`replace_dir` keeps the old ``target`` while the new one moves in."""
    target = Path(target)
    return target.with_name(f".{target.name}.old")


def replace_dir(new: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Move the finished folder ``new`` to ``target``, replacing any folder already there.

    The old folder is renamed aside (to :func:`aside_name`) first and deleted only after ``new``
    is in place, with the parent fsynced after each rename, so at every moment either the old or
    the new folder exists in full on disk. A crash between the renames leaves ``.NAME.old`` and
    ``new`` and no ``target``; the reader of such a folder recovers from that (checkpoints do).
    """
    new, target = Path(new), Path(target)
    parent = target.parent
    if not target.exists():
        os.replace(new, target)
        fsync_dir(parent)
        return
    aside = aside_name(target)
    if aside.exists():  # from an earlier crash; target is complete, so this copy is not needed
        shutil.rmtree(aside)
    os.replace(target, aside)
    fsync_dir(parent)
    os.replace(new, target)
    fsync_dir(parent)
    shutil.rmtree(aside, ignore_errors=True)


#: errno values of an OSError that means the file system said no (full, read-only, no permission), not a bug.
REFUSALS = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG,
                                       errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR,
                                       errno.ENAMETOOLONG, errno.EIO))
#: Of those, the ones that more free space would cure.
NO_SPACE = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG))


def file_system_refusal(exc: BaseException) -> OSError | None:
    """``exc`` (or the OSError it was raised from) when it is one of :data:`REFUSALS`, else ``None``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in REFUSALS:
            return current
        current = current.__cause__ or current.__context__
    return None


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_write(path, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=False, default=str)
        handle.write("\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
