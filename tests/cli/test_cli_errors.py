"""The CLI's safety nets: a closed pipe ends quietly, and the file system's refusals are user errors.

Each case runs ``python -m ganzoo`` in a subprocess against something that really refuses: a pipe
whose reader is gone, ``/dev/full`` (ENOSPC for every user, root included), a tmpfs mounted
full or read-only when this test may mount one, and a folder the user may not write (sysfs for
root, a chmod-ed folder for anyone else). The errors no test can cause honestly (a full quota)
go through a plugin command that raises them.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_fixtures import FIXTURES_DIR, write_distribution

from ganzoo.errors import FileSystemError

NEXT_OUTPUT = "free some space or choose another output"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    write_distribution(folder, "ganzoo-fake-writer", "1.0", {"writer": "ganzoo_fake_writer"})
    return folder


def run_ganzoo(site: Path, *args: str, stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    # as users run it: no GANZOO_* switch, and stdout buffered (this machine may set PYTHONUNBUFFERED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_") and k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), str(FIXTURES_DIR), os.environ.get("PYTHONPATH")) if p)
    env["GANZOO_LOAD_PLUGINS"] = "writer"
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, env=env, timeout=120)


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# -- a closed pipe ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["--help"], ["plugins"], ["info", "vanilla"],
                                  ["list", "--help"]], ids=" ".join)
def test_a_closed_pipe_ends_quietly(site, args):
    """``ganzoo ... | head -1``: the reader is gone before ganzoo writes, so every write fails."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = run_ganzoo(site, *args, stdout=write)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (141, "")


def test_output_left_buffered_until_exit_meets_the_closed_pipe_quietly(site):
    read, write = os.pipe()
    os.close(read)
    try:
        proc = run_ganzoo(site, "print-lines", "3", stdout=write)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (141, "")


def test_a_broken_pipe_that_is_not_stdout_is_not_silenced(site):
    proc = run_ganzoo(site, "fail-with", "EPIPE")
    assert proc.returncode == 1 and "internal error: BrokenPipeError" in proc.stderr


# -- the file system refuses -------------------------------------------------------------------------------


def _dev_full() -> str:
    """``/dev/full``: every write fails with ENOSPC, for root too."""
    try:
        device = stat.S_ISCHR(os.stat("/dev/full").st_mode)
    except OSError:
        device = False
    if not device:
        pytest.skip("/dev/full is not the full device here")
    return "/dev/full"


def test_stdout_on_a_full_disk(site):
    with open(_dev_full(), "w") as full:
        proc = run_ganzoo(site, "list", "--json", stdout=full)
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert line == f"ganzoo: error: no space left on device while writing standard output; {NEXT_OUTPUT}"


def test_a_file_on_a_full_device(site):
    proc = run_ganzoo(site, "write-file", _dev_full())
    assert proc.returncode == 1 and proc.stdout == ""
    assert one_error_line(proc) == f"ganzoo: error: no space left on device while writing /dev/full; {NEXT_OUTPUT}"


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (``mount(options)``) when this process may; skip otherwise."""
    mounted = []

    def mount(options: str) -> Path:
        folder = tmp_path / f"mnt{len(mounted)}"
        folder.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode(errors='replace').strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_file_on_a_full_tmpfs(site, tmpfs):
    target = tmpfs("size=16k") / "out.bin"
    proc = run_ganzoo(site, "write-file", str(target))
    assert proc.returncode == 1
    assert one_error_line(proc) == f"ganzoo: error: no space left on device while writing {target}; {NEXT_OUTPUT}"


def test_output_left_buffered_until_exit_on_a_full_disk(site, tmpfs):
    """``print`` output reaches a full disk only at exit; the error is still one line."""
    disk = tmpfs("size=16k")
    with open(disk / "filler", "wb", buffering=0) as filler, pytest.raises(OSError) as full:
        while True:  # fill the tmpfs up
            filler.write(b"x" * 4096)
    assert full.value.errno == errno.ENOSPC
    with open(disk / "out.txt", "w") as out:
        proc = run_ganzoo(site, "print-lines", "3", stdout=out)
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert line == f"ganzoo: error: no space left on device while writing standard output; {NEXT_OUTPUT}"


def test_a_read_only_file_system(site, tmpfs):
    target = tmpfs("ro,size=16k") / "out.bin"
    proc = run_ganzoo(site, "write-file", str(target))
    assert proc.returncode == 1
    assert one_error_line(proc) == (
        f"ganzoo: error: {target} is on a read-only file system; choose an output on a writable file system"
    )


def test_permission_denied(site, tmp_path):
    if os.geteuid() == 0:  # root writes anywhere on a normal file system; sysfs still says no
        target = Path("/sys/ganzoo-test-permission")
        try:
            open(target, "wb").close()
        except PermissionError:
            pass
        else:  # pragma: no cover - a sysfs that lets root create files
            target.unlink()
            pytest.skip("sysfs lets root create files here")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "out.bin"
    proc = run_ganzoo(site, "write-file", str(target))
    assert proc.returncode == 1
    assert one_error_line(proc) == (
        f"ganzoo: error: permission denied: {target}; check its permissions or choose another location"
    )


@pytest.mark.parametrize(
    ("name", "path", "line"),
    [
        ("EDQUOT", "/q/out.png", f"disk quota exceeded while writing /q/out.png; {NEXT_OUTPUT}"),
        ("ENOSPC", None, f"no space left on device; {NEXT_OUTPUT}"),
        ("EPERM", "/x/y", "operation not permitted: /x/y; check its permissions or choose another location"),
        ("EROFS", "/ro/z", "/ro/z is on a read-only file system; choose an output on a writable file system"),
    ],
)
def test_errors_no_test_can_cause(site, name, path, line):
    proc = run_ganzoo(site, "fail-with", name, *([path] if path else []))
    assert proc.returncode == 1 and one_error_line(proc) == f"ganzoo: error: {line}"


def test_other_os_errors_are_still_reported_as_bugs(site):
    proc = run_ganzoo(site, "fail-with", "ECONNREFUSED")
    assert proc.returncode == 1 and proc.stderr.startswith("ganzoo: internal error: ConnectionRefusedError")


def test_debug_shows_the_traceback(site):
    proc = run_ganzoo(site, "--debug", "fail-with", "ENOSPC", "/full/out")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "OSError: [Errno 28]" in proc.stderr


def test_file_system_error_follows_the_cause():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/run/x.tmp")
        except OSError as exc:
            raise RuntimeError("saving failed") from exc
    except RuntimeError as wrapped:
        error = FileSystemError.from_os_error(wrapped)
    assert str(error) == f"no space left on device while writing /run/x.tmp; {NEXT_OUTPUT}"
    assert error.exit_code == 1
    assert FileSystemError.from_os_error(OSError(errno.ENOENT, "No such file or directory", "/x")) is None


# -- ordinary mistakes (issue 22): one line, the right exit code, nothing written --------------------------


def _nan_latents(tmp: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    path = tmp / "nan.safetensors"
    save_file({"latents": torch.tensor([[float("nan")] * 100, [float("inf")] * 100])}, str(path))
    return path


def _port_in_use(tmp: Path, stack) -> str:
    import socket

    holder = socket.socket()
    stack.callback(holder.close)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return str(holder.getsockname()[1])


# id, setup(tmp_path, exit_stack) -> argv, exit code, text of the one error line. Before: each was an
# "internal error" (a traceback for some), or was accepted silently (the rows marked "accepted").
MISTAKES = [
    ("interpolate-no-seeds", lambda tmp, stack: ["interpolate", "dcgan-fashion", "--seeds", ""], 2,
     "--seeds '' names no seed"),
    ("interpolate-fps-nan", lambda tmp, stack: ["interpolate", "dcgan-fashion", "--fps", "nan"], 2,
     "--fps must be between 0.5 and 60, got nan"),  # before: refused only after loading the model
    ("interpolate-seeds-and-latents", lambda tmp, stack: ["interpolate", "dcgan-fashion", "--seeds", "1,2",
                                                          "--latents", str(_nan_latents(tmp))], 2,
     "--seeds and --latents both give the waypoints"),  # accepted
    ("interpolate-seeds-and-from-class", lambda tmp, stack: ["interpolate", "cgan-fashion", "--seeds", "0,5",
                                                             "--from-class", "Sneaker", "--to-class", "Bag"], 2,
     "a --from-class walk stays at one latent"),  # accepted
    ("interpolate-nan-latents", lambda tmp, stack: ["interpolate", "dcgan-fashion",
                                                    "--latents", str(_nan_latents(tmp))], 2,
     "200 of the latents are NaN or infinite"),  # accepted: an all-black walk, exit 0
    ("eval-seed-2**63", lambda tmp, stack: ["eval", "dcgan-fashion", "--seed", str(2**63)], 2,
     "is not in the range 0<=x<=9223372036854775807"),
    ("pretrained-sample-seed-2**64", lambda tmp, stack: ["pretrained", "dcgan-fashion", "sample",
                                                         "--seed", str(2**64)], 2,
     "is not in the range 0<=x<=9223372036854775807"),
    ("plugins-check-timeout-nan", lambda tmp, stack: ["plugins", "--check", "--timeout", "nan"], 2,
     "--timeout must be a number of seconds"),  # accepted: never timed out
    ("plugins-check-timeout-inf", lambda tmp, stack: ["plugins", "--check", "--timeout", "inf"], 2,
     "inf is not in the range"),  # accepted
    ("train-tensorboard-and-jsonl", lambda tmp, stack: ["train", "vanilla", "-d", "fake", "--tensorboard",
                                                        "--logger", "jsonl", "--out", str(tmp / "run")], 2,
     "--tensorboard asks for TensorBoard files and --logger jsonl"),  # accepted
    ("train-vanilla-latent-dim-negative", lambda tmp, stack: ["train", "vanilla", "-d", "fake", "--set",
                                                              "latent_dim=-5", "--out", str(tmp / "run")], 2,
     "vanilla option latent_dim must be a positive integer, got -5"),  # "internal error" (nn.Linear)
    ("export-truncations-0", lambda tmp, stack: ["export", str(tmp), str(tmp / "out"), "--metrics", "fid",
                                                 "--truncations", "0"], 2,
     "each bound must be between 0.05 and 10, got 0"),  # before: refused only after the evaluation
    ("demo-max-upload-banana", lambda tmp, stack: ["demo", "dcgan-fashion", "--max-upload", "banana"], 2,
     "--max-upload 'banana' is not a size"),
    ("demo-host-not-this-machine", lambda tmp, stack: ["demo", "dcgan-fashion", "--host", "203.0.113.9"], 2,
     "is not an address of this machine"),  # TEST-NET-3: binding fails locally, nothing is sent
    ("demo-host-unresolvable", lambda tmp, stack: ["demo", "dcgan-fashion", "--host", "no..such"], 2,
     "--host no..such does not resolve"),  # an empty label: refused before any DNS query
    ("demo-port-in-use", lambda tmp, stack: ["demo", "dcgan-fashion", "--port", _port_in_use(tmp, stack)], 2,
     "is in use by another program; choose another --port"),  # before: spoke of GRADIO_SERVER_PORT
]


@pytest.mark.parametrize("setup, exit_code, message", [case[1:] for case in MISTAKES],
                         ids=[case[0] for case in MISTAKES])
def test_ordinary_mistakes_are_one_line(tmp_path, setup, exit_code, message):
    import contextlib

    with contextlib.ExitStack() as stack:
        args = setup(tmp_path, stack)
        before = sorted(p.name for p in tmp_path.iterdir())
        env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
        proc = subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,
                              env={**env, "OMP_NUM_THREADS": "1"}, cwd=tmp_path, timeout=300)
    line = one_error_line(proc)
    assert message in line, line
    assert proc.returncode == exit_code, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, nothing left behind


def _fill(disk: Path, leave: int) -> None:
    """Fill the tmpfs at ``disk`` until about ``leave`` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    (disk / "filler").write_bytes(b"x" * max(0, free - leave))


@pytest.mark.parametrize("leave", [0, 300_000], ids=["full", "nearly-full"])
def test_export_and_space_on_a_full_disk_are_one_line(tmp_path, tmpfs, leave):
    """Before: "internal error: SafetensorError ... (os error 28)" from export, "internal error: Error:
    [(..., '[Errno 28] No space left on device' ...)]" from space (copytree's list of failures)."""
    from ganzoo.train import TrainConfig, train

    run = tmp_path / "run"
    train(TrainConfig(arch="vanilla", dataset="fake", arch_options={"hidden": [32, 64]}, data_options={"length": 16},
                      batch_size=8, precision="fp32", device="cpu", quiet=True, max_steps=1, sample_count=4,
                      out=str(run)))
    disk = tmpfs("size=2m")
    _fill(disk, leave)
    for args in (["export", str(run), str(disk / "exported")], ["space", "dcgan-fashion", str(disk / "space")]):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
        proc = subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,
                              env={**env, "OMP_NUM_THREADS": "1"}, timeout=300)
        assert proc.returncode == 1, proc.stderr
        line = one_error_line(proc)
        assert "no space left on device" in line.lower(), line
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]  # nothing half-written left behind
