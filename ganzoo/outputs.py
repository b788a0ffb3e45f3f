"""The one rule for files a command writes where the user said (``-o``, ``--save-dir``, ``OUT_DIR``, ``--frames``).

1. An existing output is replaced only with ``--overwrite``; a folder of outputs (``--save-dir``)
   counts as existing when it already holds files of the kind the command writes there.
2. An input is never written over or into, not even with ``--overwrite``.
3. Outputs are checked before the long work (sampling, translation, an optimisation): the
   folder exists or can be created, is a folder and takes a new file (tried for real, since
   permission bits do not stop root and a read-only disk shows no bits at all), a file output
   is not a folder, and an image's suffix names a format Pillow writes.
4. A set of files (``--save-dir``, a folder of translations) is written into a hidden folder
   inside its target and moved in when all are done (:func:`staged_folder`). A full disk or
   Ctrl-C halfway leaves the folder as it was, never a silently short set that ``ganzoo eval
   FOLDER`` would score as if complete; the error says how far it got. Frames of a style
   transfer, watched as they appear, are written as they come instead (:func:`live_folder`),
   and a failure says how many were written and where.

The commands call :func:`check_file` / :func:`check_folder` / :func:`check_replaced_folder`
first and write through :func:`writing` / :func:`staged_folder`, so the rule is coded once.
No torch here: the checks run before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from re import Pattern

from ganzoo.errors import GanzooError, UsageError

#: The files ``--save-dir`` writes (:func:`ganzoo.images.save_images`); with ``--overwrite`` they are replaced as a set.
SAMPLE_FILES = re.compile(r"sample_\d+\.png")
#: Hidden staging folders of :func:`staged_folder`, inside the folder being written.
STAGING_PREFIX = ".ganzoo-partial-"


def image_format(path: "str | os.PathLike[str]", hint: str = "") -> str:
    """The Pillow format that writes ``path``'s suffix (``PNG``, ``JPEG`` ...); a one-line error if none."""
    from PIL import Image

    target = Path(path)
    if target.suffix.lower() == ".png":  # always there; Image.init() imports every format plugin (~0.1 s)
        return "PNG"
    Image.init()
    fmt = Image.registered_extensions().get(target.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise UsageError(f"cannot tell the image format of {target}; end the name with .png, .jpg or .webp{hint}")
    return fmt


def _absolute(path: "str | os.PathLike[str]") -> Path:
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def _same(a: Path, b: Path) -> bool:
    """The same file: equal once links are followed, or the same inode (hard links)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def refuse_inputs(path: "str | os.PathLike[str]", inputs: Iterable["str | os.PathLike[str]"], option: str) -> None:
    """Refuse ``path`` if it is one of ``inputs`` or lies inside an input folder, ``--overwrite`` or not."""
    target = _absolute(path)
    for item in inputs:
        source = _absolute(item)
        if source.is_dir() and _inside(target, source):
            where = "is an input" if target.resolve() == source.resolve() else f"is inside {item}, which is an input"
            raise UsageError(f"{path} {where}; ganzoo never writes into its inputs, even with --overwrite: "
                             f"choose another {option}")
        if (source.exists() or source.is_symlink()) and _same(target, source):
            raise UsageError(f"{path} is also an input; ganzoo never writes over its inputs, even with --overwrite: "
                             f"choose another {option}")


def check_writable(folder: "str | os.PathLike[str]", option: str) -> None:
    """``folder`` can hold a new file: it, or the nearest folder above it that exists, takes one.

    Nothing is created on the way: a folder that does not exist yet is tried through its
    nearest existing parent, where it would be made.
    """
    target = Path(os.path.expanduser(os.fspath(folder)))
    existing = target
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if existing.is_symlink() and not existing.exists():
        raise UsageError(f"{existing} is a broken link; remove it or choose another {option}")
    if not existing.is_dir():
        where = "" if existing == target else f", so {folder} cannot be created"
        raise UsageError(f"{existing} is a file, not a folder{where}; choose another {option}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".ganzoo-write-test-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"cannot write into {existing} ({exc.strerror or exc}); choose another {option}, "
                         f"or make it writable") from None


def check_file(path: "str | os.PathLike[str]", *, overwrite: bool, inputs: Iterable["str | os.PathLike[str]"] = (),
               option: str = "-o", image: bool = True) -> Path:
    """Check one output file before the work that fills it (rules 1-3); returns it as a ``Path``."""
    target = Path(path)
    if target.is_dir():
        example = target / "out.png" if image else target / "out"
        raise UsageError(f"{target} is a folder; {option} takes a file name, such as {example}")
    if image:
        image_format(target)
    refuse_inputs(target, inputs, option)
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise UsageError(f"{target} already exists; pass --overwrite to replace it, or choose another {option}")
    check_writable(target.parent, option)
    return target


def check_folder(folder: "str | os.PathLike[str]", *, overwrite: bool,
                 inputs: Iterable["str | os.PathLike[str]"] = (), option: str = "--save-dir",
                 holds: Pattern[str] | None = SAMPLE_FILES, what: str = "sample images") -> Path:
    """Check a folder that receives a set of files named by ``holds`` (rules 1-3).

    A folder already holding such files needs ``overwrite`` (the set is then replaced, see
    :func:`staged_folder`); other files in it are the user's and are left alone. An input
    file inside the folder whose name matches ``holds`` would be replaced, so it is refused.
    """
    target = Path(folder)
    inputs = list(inputs)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file; {option} takes a folder")
    refuse_inputs(target, inputs, option)
    if holds is not None and target.is_dir():
        for item in inputs:
            source = _absolute(item)
            if source.parent.resolve() == target.resolve() and holds.fullmatch(source.name):
                raise UsageError(f"{item} is an input, and {option} {folder} would replace it; ganzoo never writes "
                                 f"over its inputs: choose another {option}")
        present = existing_set(target, holds)
        if present and not overwrite:
            more = f" ({present[0].name} ... {present[-1].name})" if len(present) > 1 else f" ({present[0].name})"
            raise UsageError(f"{target} already holds {len(present)} {what}{more}; pass --overwrite to replace "
                             f"them, or choose another {option}")
    check_writable(target, option)
    return target


def check_files_in(folder: "str | os.PathLike[str]", targets: Iterable["str | os.PathLike[str]"], *, overwrite: bool,
                   inputs: Iterable["str | os.PathLike[str]"] = (), option: str = "-o") -> list[Path]:
    """Check a folder that receives the named files ``targets`` (one per input, say), once for the folder."""
    inputs = list(inputs)
    check_folder(folder, overwrite=overwrite, inputs=inputs, option=option, holds=None)
    paths = [Path(t) for t in targets]
    existing = []
    for target in paths:
        if target.is_dir():
            raise UsageError(f"{target} is a folder, so the output of that name cannot be written; rename it, or "
                             f"choose another {option}")
        refuse_inputs(target, inputs, option)
        if target.exists() or target.is_symlink():
            existing.append(target)
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UsageError(f"{existing[0]} already exists{more}; pass --overwrite to replace, or choose another "
                         f"{option}")
    return paths


def check_replaced_folder(folder: "str | os.PathLike[str]", *, overwrite: bool,
                          inputs: Iterable["str | os.PathLike[str]"] = (), option: str = "OUT_DIR",
                          ours: Callable[[Path], bool] | None = None, maker: str = "ganzoo") -> Path:
    """Check a folder that is replaced as a whole (``ganzoo export OUT_DIR``).

    Replacing it must not delete an input, so it may neither be nor contain one. Nor may it
    delete what the command did not write: with ``ours`` (true for each entry ``maker`` writes),
    a folder holding anything else -- a ``.git``, the user's files -- is refused, ``--overwrite``
    or not, naming what was found.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file; {option} takes a folder")
    for item in inputs:
        source = _absolute(item)
        if _inside(source, _absolute(target)):
            what = "is an input" if source.resolve() == _absolute(target).resolve() else f"holds {item}, an input"
            raise UsageError(f"{folder} {what}; replacing it would delete the input, even with --overwrite: "
                             f"choose another {option}")
    refuse_inputs(target, inputs, option)
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise UsageError(f"{target} already holds files; pass --overwrite to replace it, or choose another {option}")
    if ours is not None and target.is_dir():
        foreign = sorted(entry.name for entry in target.iterdir() if not ours(entry))
        if foreign:
            first = ".git" if ".git" in foreign else foreign[0]
            found = ("a git repository (.git)" if first == ".git" else repr(first)) + (
                f" and {len(foreign) - 1} more" if len(foreign) > 1 else "")
            raise UsageError(f"{target} holds {found}, which {maker} does not write; it replaces only a folder it "
                             f"made, even with --overwrite: move that away or choose another {option}")
    check_writable(target.parent, option)
    return target


def check_distinct(file: "str | os.PathLike[str] | None", folder: "str | os.PathLike[str] | None",
                   holds: Pattern[str], file_option: str, folder_option: str) -> None:
    """Refuse a file output that one of a folder output's files would replace.

    For example ``-o d/sample_0000.png --save-dir d``.
    """
    if file is None or folder is None:
        return
    target = _absolute(file)
    if target.parent.resolve() == _absolute(folder).resolve() and holds.fullmatch(target.name):
        raise UsageError(f"{file_option} {file} is one of the files {folder_option} {folder} gets; choose another "
                         f"{file_option}")


def existing_set(folder: Path, holds: Pattern[str]) -> list[Path]:
    """The files directly in ``folder`` whose names match ``holds``, sorted."""
    try:
        return sorted(p for p in folder.iterdir() if holds.fullmatch(p.name) and not p.is_dir())
    except OSError:
        return []


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@contextlib.contextmanager
def writing(path: "str | os.PathLike[str]", option: str = "-o") -> Iterator[Path]:
    """Write one output file; an OS error (full disk, vanished folder) becomes one line, exit 1.

    The writers ganzoo uses are atomic (:mod:`ganzoo.io`), so a failure leaves any old file as it was.
    """
    try:
        yield Path(path)
    except OSError as exc:
        raise GanzooError(f"could not write {path} ({_reason(exc)}); nothing was written there: free some space, "
                          f"or choose another {option}") from None


class StagedFolder:
    """Where :func:`staged_folder` writes: ``path`` is the hidden staging folder; ``count()`` the files so far."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def count(self) -> int:
        try:
            return sum(1 for p in self.path.iterdir() if not p.name.startswith("."))
        except OSError:
            return 0


@contextlib.contextmanager
def staged_folder(folder: "str | os.PathLike[str]", *, total: int | None = None, replaces: Pattern[str] | None = None,
                  what: str = "images", option: str = "--save-dir") -> Iterator[StagedFolder]:
    """Write a set of files into ``folder`` all at once: staged in a hidden folder inside it, moved in at the end.

    Staging inside the target keeps the final moves renames on one filesystem (the target may be
    a mount point). On success every staged file replaces its namesake and, with ``replaces``,
    older files of the set that the new one lacks are removed (``-n 10`` after ``-n 64`` leaves
    10). On any failure the staging folder is removed, folders this call created are removed
    again, the target keeps its old files, and an OS error becomes one line saying how many of
    ``total`` were done.
    """
    target = Path(folder)
    created: list[Path] = []
    probe = _absolute(target)
    while not os.path.lexists(probe):
        created.append(probe)
        probe = probe.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
        staging = StagedFolder(Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target)))
    except OSError as exc:
        _remove_empty(created)
        raise GanzooError(f"could not create {target} ({_reason(exc)}); choose another {option}") from None
    try:
        yield staging
        _commit(staging.path, target, replaces)
    except BaseException as exc:
        done = staging.count()
        shutil.rmtree(staging.path, ignore_errors=True)
        _remove_empty(created)
        if isinstance(exc, OSError):
            of = f" of {total}" if total is not None else ""
            raise GanzooError(
                f"could not write {what} into {target}/ ({_reason(exc)}) after {done}{of}; none were kept and "
                f"{target}/ is as it was: free some space, or choose another {option}") from None
        raise


@contextlib.contextmanager
def live_folder(folder: "str | os.PathLike[str]", *, replaces: Pattern[str], what: str = "frames",
                option: str = "--frames") -> Iterator[Path]:
    """Write a set of files into ``folder`` as they come, for sets that are watched while they grow.

    Style transfer's ``--frames`` show an optimisation's progress: seeing them appear is the
    point, and the frames of an interrupted run are still a true record of the steps it reached.
    So they are not staged; an older set (which :func:`check_folder` let through only with
    ``--overwrite``) is removed first, so old and new frames never mix, and an OS error becomes
    one line saying how many were written and where.
    """
    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for old in existing_set(target, replaces):
            old.unlink()
    except OSError as exc:
        raise GanzooError(f"could not prepare {target}/ ({_reason(exc)}); choose another {option}") from None
    try:
        yield target
    except OSError as exc:
        done = len(existing_set(target, replaces))
        raise GanzooError(f"could not write {what} into {target}/ ({_reason(exc)}); the {done} written before that "
                          f"are kept there: free some space, or choose another {option}") from None


def _commit(staging: Path, target: Path, replaces: Pattern[str] | None) -> None:
    names = sorted(p.name for p in staging.iterdir() if not p.name.startswith("."))
    for name in names:
        os.replace(staging / name, target / name)
    staging.rmdir()
    if replaces is not None:
        keep = set(names)
        for old in existing_set(target, replaces):
            if old.name not in keep:
                with contextlib.suppress(FileNotFoundError):
                    old.unlink()
    with contextlib.suppress(OSError):
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed write created, innermost first, if nothing else landed in them."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def model_inputs(name: "str | os.PathLike[str]") -> list[Path]:
    """The files and folders a model NAME reads, when it is on disk; nothing is written over them.

    A training run directory is read through its ``config.json`` and ``checkpoints/`` (its
    ``samples/`` are outputs); a checkpoint folder is read as a whole. Zoo and ``hf:`` names
    live in caches: callers add the resolved folder once they know it.
    """
    path = Path(os.path.expanduser(os.fspath(name)))
    if not path.is_dir():
        return [path] if path.is_file() else []
    if (path / "checkpoints").is_dir():
        return [path / "config.json", path / "checkpoints"]
    return [path]
