"""ganzoo.io's atomic writes, directly: a reader or a crash never sees half a file or half a folder."""

from __future__ import annotations

import errno
import json
import os
import stat

import pytest

from ganzoo import io as gio


def test_atomic_write_replaces_in_one_step_and_cleans_up_on_failure(tmp_path):
    target = tmp_path / "sub" / "out.json"
    with gio.atomic_write(target, "w") as handle:
        handle.write("first")
        assert not target.exists()  # nothing visible until the block ends
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError), gio.atomic_write(target, "w") as handle:
        handle.write("half of the second")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]  # no temporary file left


def test_atomic_files_get_the_permissions_a_plain_open_gives(tmp_path):
    mask = gio.current_umask()
    with gio.atomic_write(tmp_path / "a.txt", "w") as handle:
        handle.write("x")
    with gio.atomic_path(tmp_path / "b.bin") as path:
        path.write_bytes(b"y")
    for name in ("a.txt", "b.bin"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o666 & ~mask


def test_atomic_path_keeps_the_suffix_and_the_old_file_on_failure(tmp_path):
    target = tmp_path / "grid.png"
    target.write_bytes(b"old")
    with pytest.raises(ValueError), gio.atomic_path(target) as path:
        assert path.suffix == ".png" and path.parent == tmp_path  # libraries pick the format from it
        path.write_bytes(b"new, unfinished")
        raise ValueError("the library failed")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["grid.png"]
    with gio.atomic_path(target) as path:
        path.write_bytes(b"new")
    assert target.read_bytes() == b"new"


def test_replace_dir_swaps_whole_folders_and_leaves_nothing_aside(tmp_path):
    target, new = tmp_path / "step", tmp_path / ".tmp-step"
    new.mkdir()
    (new / "a").write_text("1")
    gio.replace_dir(new, target)  # no folder there yet
    assert (target / "a").read_text() == "1" and not new.exists()
    new.mkdir()
    (new / "b").write_text("2")
    gio.replace_dir(new, target)
    assert sorted(p.name for p in target.iterdir()) == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step"]  # no .step.old


def test_replace_dir_killed_between_renames_leaves_the_old_copy_aside(tmp_path, monkeypatch):
    target, new = tmp_path / "step", tmp_path / ".tmp-step"
    target.mkdir()
    (target / "v").write_text("old")
    new.mkdir()
    (new / "v").write_text("new")
    real, calls = os.replace, []

    def dies_on_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process stops between the two renames
        real(src, dst)

    monkeypatch.setattr(gio.os, "replace", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        gio.replace_dir(new, target)
    aside = gio.aside_name(target)
    assert aside.name == ".step.old" and (aside / "v").read_text() == "old" and (new / "v").read_text() == "new"
    assert not target.exists()  # both complete copies survive: the reader recovers from them


def test_fsync_dir_skips_only_file_systems_that_cannot_sync_folders(tmp_path, monkeypatch):
    gio.fsync_dir(tmp_path)  # a real folder syncs

    def failing(code):
        def fsync(fd):
            raise OSError(code, os.strerror(code))
        return fsync

    monkeypatch.setattr(gio.os, "fsync", failing(errno.EINVAL))
    gio.fsync_dir(tmp_path)  # "cannot sync a folder here": skipped
    monkeypatch.setattr(gio.os, "fsync", failing(errno.EIO))
    with pytest.raises(OSError) as caught:
        gio.fsync_dir(tmp_path)  # a failing disk is not hidden
    assert caught.value.errno == errno.EIO


def test_file_system_refusal_follows_the_cause_chain():
    disk_full = OSError(errno.ENOSPC, "No space left on device")
    try:
        try:
            raise disk_full
        except OSError as exc:
            raise RuntimeError("the library's own wrapper") from exc
    except RuntimeError as wrapped:
        assert gio.file_system_refusal(wrapped) is disk_full
    assert gio.file_system_refusal(ValueError("a bug")) is None
    assert gio.file_system_refusal(OSError(errno.ECONNRESET, "not a file-system refusal")) is None


def test_write_json_and_read_json_round_trip(tmp_path):
    path = tmp_path / "config.json"
    gio.write_json(path, {"a": [1, 2], "path": tmp_path})
    text = path.read_text()
    assert text.endswith("\n") and json.loads(text)["path"] == str(tmp_path)
    assert gio.read_json(path) == {"a": [1, 2], "path": str(tmp_path)}
