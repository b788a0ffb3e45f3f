"""One overwrite rule for every command that writes files (``ganzoo.outputs``), through the real CLI.

Each writing command is one row of :data:`WRITERS`, and every row goes through the same cases:
an existing output is refused without ``--overwrite`` (exit 2, one line, the file untouched)
and replaced with it; an output that is an input is refused even with ``--overwrite``; an
output that cannot be written is refused before any work (no progress line, nothing on
stdout); and a disk that fills up halfway leaves no half-done set of files behind.

``ganzoo eval``, ``ganzoo pretrained NAME download`` and ``ganzoo push`` write nothing where the
user says (caches and the Hub only), so they have no row.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganzoo.errors import GanzooError, UsageError

ROOT = Path(__file__).resolve().parents[2]


def ganzoo(*args: object, cwd: Path, wrapper: str | None = None) -> subprocess.CompletedProcess:
    """``python -m ganzoo ARGS`` in ``cwd``; ``wrapper`` is Python run first in the same process."""
    argv = [str(a) for a in args]
    if wrapper is None:
        command = [sys.executable, "-m", "ganzoo", *argv]
    else:
        code = f"{wrapper}\nimport runpy, sys\nsys.argv = ['ganzoo', *{argv!r}]\nrunpy.run_module('ganzoo', run_name='__main__')"
        command = [sys.executable, "-c", code]
    env = {**os.environ, "GANZOO_LOAD_PLUGINS": "", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def one_error_line(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error: "), result.stderr
    return lines[0]


def digest(path: Path) -> str:
    if path.is_dir():
        return ",".join(f"{p.relative_to(path)}:{digest(p)}" for p in sorted(path.rglob("*")) if p.is_file())
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- what the commands read ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    from ganzoo.plugins import reset_manager
    from ganzoo.train import TrainConfig, train

    reset_manager()
    run = tmp_path_factory.mktemp("run") / "run"
    train(TrainConfig(arch="vanilla", dataset="fake", arch_options={"hidden": [16, 32]}, data_options={"length": 16},
                      batch_size=8, max_steps=2, precision="fp32", device="cpu", quiet=True, out=str(run)))
    return run


@pytest.fixture(scope="module")
def zoo_copy(tmp_path_factory) -> Path:
    """The bundled dcgan-fashion folder, copied, with the samples.png an exported folder has."""
    from ganzoo.hub.zoo import locate
    from ganzoo.plugins import get_registry, reset_manager

    reset_manager()
    folder = tmp_path_factory.mktemp("zoo") / "dcgan-copy"
    shutil.copytree(locate(get_registry("pretrained").get("dcgan-fashion")).folder, folder)
    Image.new("L", (8, 8), 200).save(folder / "samples.png")
    return folder


@pytest.fixture
def work(tmp_path) -> Path:
    """A scratch folder holding a content, a style and an edge-map image."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(tmp_path / "content.png")
    Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).save(tmp_path / "style.png")
    Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(tmp_path / "edges.png")
    Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(tmp_path / "edges2.png")
    return tmp_path


# -- the table of writing commands ---------------------------------------------------------------------------


@dataclass
class Writer:
    """One writing command: how to call it with output OUT, and what an existing output looks like."""

    name: str
    #: argv with the output ``out``; ``ctx`` holds the paths of the fixtures.
    argv: Callable[[dict, Path], list]
    #: "file": OUT is a file; "set": OUT is a folder of files named by ``member``; "tree": OUT is replaced whole.
    kind: str
    #: the file inside a folder output that marks it as already written.
    member: str = ""
    #: an argv whose output is one of the command's inputs, and the input that must stay untouched.
    onto_input: Callable[[dict], tuple[list, Path]] | None = None
    #: whether the command writes a set of files that a full disk could cut short.
    streams: bool = False
    #: a set moved in when complete; otherwise (--frames) written as it comes.
    staged: bool = True

    def existing(self, out: Path) -> Path:
        """Make OUT look already written; returns the file whose bytes must survive."""
        if self.kind == "file":
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(b"mine")
            return out
        out.mkdir(parents=True, exist_ok=True)
        (out / self.member).write_bytes(b"mine")
        return out / self.member


STYLE = ["--vgg-weights", "random", "--steps", "2", "--quiet"]


def _content_among_frames(work: Path) -> tuple[list, Path]:
    """A content image named like a frame, in the --frames folder: the frames would replace it."""
    frames = work / "frames"
    frames.mkdir()
    shutil.copy(work / "content.png", frames / "frame_00002.png")
    argv = ["style-transfer", frames / "frame_00002.png", work / "style.png", "-o", work / "x.png", "--frames", frames,
            "--frame-every", "1", *STYLE]
    return argv, frames / "frame_00002.png"


WRITERS = [
    Writer("sample -o", lambda c, out: ["sample", c["run"], "-n", "4", "-o", out], "file",
           onto_input=lambda c: (["sample", c["run"], "-o", c["run"] / "checkpoints" / "x.png"],
                                 c["run"] / "checkpoints")),
    Writer("sample --save-dir", lambda c, out: ["sample", c["run"], "-n", "4", "--save-dir", out], "set",
           member="sample_0000.png", streams=True,
           onto_input=lambda c: (["sample", c["run"], "--save-dir", c["run"] / "checkpoints"], c["run"] / "checkpoints")),
    Writer("pretrained sample -o", lambda c, out: ["pretrained", c["zoo"], "sample", "-n", "4", "-o", out], "file",
           onto_input=lambda c: (["pretrained", c["zoo"], "sample", "-o", c["zoo"] / "samples.png"],
                                 c["zoo"] / "samples.png")),
    Writer("pretrained sample --save-dir",
           lambda c, out: ["pretrained", "dcgan-fashion", "sample", "-n", "300", "--save-dir", out], "set",
           member="sample_0000.png", streams=True,
           onto_input=lambda c: (["pretrained", c["zoo"], "sample", "--save-dir", c["zoo"]], c["zoo"])),
    Writer("translate -o FILE", lambda c, out: ["translate", "pix2pix-edges2fashion", c["w"] / "edges.png", "-o", out],
           "file",
           onto_input=lambda c: (["translate", "pix2pix-edges2fashion", c["w"] / "edges.png", "-o",
                                  c["w"] / "edges.png"], c["w"] / "edges.png")),
    Writer("translate -o FOLDER",
           lambda c, out: ["translate", "pix2pix-edges2fashion", c["w"] / "edges.png", c["w"] / "edges2.png", "-o", out],
           "set", member="edges.png", streams=True,
           onto_input=lambda c: (["translate", "pix2pix-edges2fashion", c["w"] / "edges.png", c["w"] / "edges2.png",
                                  "-o", c["w"]], c["w"] / "edges.png")),
    Writer("style-transfer -o", lambda c, out: ["style-transfer", c["w"] / "content.png", c["w"] / "style.png",
                                                "-o", out, *STYLE], "file",
           onto_input=lambda c: (["style-transfer", c["w"] / "content.png", c["w"] / "style.png", "-o",
                                  c["w"] / "content.png", *STYLE], c["w"] / "content.png")),
    Writer("style-transfer --frames", lambda c, out: ["style-transfer", c["w"] / "content.png", c["w"] / "style.png",
                                                      "-o", c["w"] / "final.png", "--frames", out, "--frame-every",
                                                      "1", *STYLE], "set", member="frame_00001.png", streams=True,
           staged=False,
           onto_input=lambda c: _content_among_frames(c["w"])),
    # a file export writes only with --discriminator: the old folder, replaced as a whole, takes it along
    Writer("export OUT_DIR", lambda c, out: ["export", c["run"], out], "tree", member="discriminator.safetensors",
           onto_input=lambda c: (["export", c["run"], c["run"]], c["run"])),
]
IDS = [w.name for w in WRITERS]


@pytest.fixture
def ctx(request, work) -> dict:
    """Only the fixtures a row needs (training a run costs seconds)."""
    writer = request.node.callspec.params["writer"]
    text = writer.name
    paths = {"w": work}
    if text.startswith(("sample ", "export")):
        paths["run"] = request.getfixturevalue("run_dir")
    if text.startswith("pretrained"):
        paths["zoo"] = request.getfixturevalue("zoo_copy")
    return paths


def _output(writer: Writer, work: Path) -> Path:
    return work / ("out.png" if writer.kind == "file" else "outdir")


@pytest.mark.parametrize("writer", WRITERS, ids=IDS)
def test_an_existing_output_is_refused_without_overwrite(writer, ctx, work):
    out = _output(writer, work)
    kept = writer.existing(out)
    line = one_error_line(ganzoo(*writer.argv(ctx, out), cwd=work), 2)
    assert "--overwrite" in line and out.name in line, line
    assert kept.read_bytes() == b"mine"


@pytest.mark.parametrize("writer", WRITERS, ids=IDS)
def test_overwrite_replaces_an_existing_output(writer, ctx, work):
    out = _output(writer, work)
    kept = writer.existing(out)
    result = ganzoo(*writer.argv(ctx, out), "--overwrite", cwd=work)
    assert result.returncode == 0, result.stderr
    if writer.kind == "tree":
        assert not kept.exists() and (out / "config.json").is_file()
    else:
        assert kept.read_bytes() != b"mine"
        with Image.open(kept) as image:
            image.load()
    assert not [p for p in (out if out.is_dir() else out.parent).iterdir() if p.name.startswith(".ganzoo")]


@pytest.mark.parametrize("writer", WRITERS, ids=IDS)
def test_an_input_is_never_written_over_even_with_overwrite(writer, ctx, work):
    argv, source = writer.onto_input(ctx)
    before = digest(source)
    line = one_error_line(ganzoo(*argv, "--overwrite", cwd=work), 2)
    assert "input" in line, line
    assert digest(source) == before


@contextlib.contextmanager
def _mounted_tmpfs(folder: Path, options: str):
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def read_only(tmp_path) -> Path:
    """A folder nothing can be written into, root included: a read-only mount, or mode 0555 for others."""
    folder = tmp_path / "read-only"
    if os.geteuid() != 0:
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    with _mounted_tmpfs(folder, "ro,size=64k"):
        yield folder


@pytest.mark.parametrize("writer", WRITERS, ids=IDS)
@pytest.mark.parametrize("where", ["read-only", "under-a-file"])
def test_an_unwritable_output_is_refused_before_any_work(writer, ctx, work, where, request):
    if where == "read-only":
        out = request.getfixturevalue("read_only") / "sub" / _output(writer, work).name
    else:
        (work / "notes.txt").write_text("a file, not a folder")
        out = work / "notes.txt" / _output(writer, work).name
    argv = [a for a in writer.argv(ctx, out) if a != "--quiet"]  # a progress bar would show work had started
    result = ganzoo(*argv, cwd=work)
    line = one_error_line(result, 2)  # one line: no progress bar, no note before it
    assert ("cannot write into" in line) if where == "read-only" else ("is a file, not a folder" in line), line
    assert result.stdout == ""


#: Python run before the CLI: the 2nd image save and every later one fail with ENOSPC, as on a full disk.
FILL_UP = textwrap.dedent("""
    import errno
    from PIL import Image
    _save, _calls = Image.Image.save, [0]
    def save(self, *args, **kwargs):
        _calls[0] += 1
        if _calls[0] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return _save(self, *args, **kwargs)
    Image.Image.save = save
""")


#: Translate and style-transfer write too little to fill even a small tmpfs: the injected case covers them.
FULL_DISK_CASES = [pytest.param(w, disk, id=f"{w.name}-{disk}") for w in WRITERS if w.streams
                   for disk in ("tmpfs", "injected")
                   if disk == "injected" or not w.name.startswith(("translate", "style"))]


@pytest.mark.parametrize("writer,disk", FULL_DISK_CASES)
def test_a_full_disk_leaves_the_folder_as_it_was(writer, ctx, work, disk, tmp_path):
    if disk == "tmpfs":
        mount = contextlib.ExitStack()
        folder = mount.enter_context(_mounted_tmpfs(tmp_path / "small-disk", "size=48k"))
        wrapper = None
    else:
        mount = contextlib.nullcontext()
        folder = work
        wrapper = FILL_UP
    with mount:
        out = folder / "outdir"
        writer.existing(out)  # an older set, which --overwrite would replace
        before = digest(out)
        argv = writer.argv(ctx, out)
        if writer.name == "sample --save-dir":
            argv = [a if a != "4" else "200" for a in argv]
        line = one_error_line(ganzoo(*argv, "--overwrite", cwd=work, wrapper=wrapper), 1)
        assert "No space left on device" in line and str(out) in line, line
        if writer.staged:
            assert "none were kept" in line, line
            assert digest(out) == before  # the old set is intact, and no new file was left behind
            assert [p.name for p in out.iterdir()] == [writer.member]
        else:  # frames: the older ones made way, and the error counts the new ones that are there
            assert "the 1 written before that are kept there" in line, line
            assert [p.name for p in out.iterdir()] == ["frame_00001.png"]
            assert (out / "frame_00001.png").read_bytes() != b"mine"


def test_a_full_disk_while_writing_one_image_is_one_line(work):
    result = ganzoo("style-transfer", work / "content.png", work / "style.png", "-o", work / "out.png", *STYLE,
                    cwd=work, wrapper=FILL_UP.replace("> 1", "> 0"))
    line = one_error_line(result, 1)
    assert "could not write" in line and "out.png" in line and "No space left on device" in line
    assert sorted(p.name for p in work.iterdir()) == ["content.png", "edges.png", "edges2.png", "style.png"]


def test_every_writing_command_documents_overwrite(work):
    for argv in (["sample"], ["pretrained", "x", "sample"], ["translate"], ["style-transfer"], ["export"]):
        result = ganzoo(*argv, "--help", cwd=work)
        assert result.returncode == 0 and "--overwrite" in result.stdout, argv
    header = (ROOT / "scripts" / "gen_cli_docs.py").read_text()
    section = header[header.index("HEADER = "):header.index('"""\n', header.index("HEADER = ") + 12)]
    assert "--overwrite" in section and "input" in section and "--save-dir" in section


# -- the rule itself, without a command --------------------------------------------------------------------------


def test_the_rule_refuses_before_touching_anything(tmp_path):
    from ganzoo.outputs import check_file, check_folder, check_replaced_folder

    mine = tmp_path / "mine.png"
    mine.write_bytes(b"mine")
    with pytest.raises(UsageError, match="already exists"):
        check_file(mine, overwrite=False)
    assert check_file(mine, overwrite=True) == mine
    with pytest.raises(UsageError, match="also an input"):
        check_file(tmp_path / "sub" / ".." / "mine.png", overwrite=True, inputs=[mine])
    with pytest.raises(UsageError, match="is a folder"):
        check_file(tmp_path, overwrite=True)
    with pytest.raises(UsageError, match="image format"):
        check_file(tmp_path / "out.txt", overwrite=False)
    with pytest.raises(UsageError, match="is a file"):
        check_folder(mine, overwrite=True)
    with pytest.raises(UsageError, match="would delete the input"):
        check_replaced_folder(tmp_path, overwrite=True, inputs=[mine])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.png"]  # no probe file, no folder made


def test_a_staged_folder_is_all_or_nothing(tmp_path):
    from ganzoo.outputs import SAMPLE_FILES, staged_folder

    target = tmp_path / "a" / "b"
    with pytest.raises(GanzooError, match="after 1 of 3"), \
            staged_folder(target, total=3, replaces=SAMPLE_FILES) as staging:
        (staging.path / "sample_0000.png").write_bytes(b"1")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert not (tmp_path / "a").exists()  # the folders it made are gone again
    target.mkdir(parents=True)
    for name in ("sample_0000.png", "sample_0001.png", "notes.txt"):
        (target / name).write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), staged_folder(target, replaces=SAMPLE_FILES) as staging:
        (staging.path / "sample_0000.png").write_bytes(b"new")
        raise KeyboardInterrupt
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt", "sample_0000.png", "sample_0001.png"]
    assert (target / "sample_0000.png").read_bytes() == b"old"
    with staged_folder(target, replaces=SAMPLE_FILES) as staging:
        (staging.path / "sample_0000.png").write_bytes(b"new")
    # The new set replaces the old one as a whole; the user's own file stays.
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt", "sample_0000.png"]
    assert (target / "sample_0000.png").read_bytes() == b"new"
