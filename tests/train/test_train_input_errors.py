"""``ganzoo train`` given ordinary bad input: one ``ganzoo: error:`` line and the right exit code, never a traceback.

One table, one subprocess per case. The file-system cases use real refusals: a read-only tmpfs
and a 2 MB tmpfs that fills up mid-run when this runs as root and may mount (else an unwritable
folder, and skipped), and a file-size limit (``RLIMIT_FSIZE``, which makes big writes fail with
EFBIG) that needs no privileges.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo.runs import checkpoints as ckpt

TINY = ["vanilla", "-d", "fake", "--set", "hidden=[32,64]", "--data", "length=32", "-b", "8", "--precision", "fp32",
        "--device", "cpu", "--samples", "4", "-q"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _mount_tmpfs(where, stack: contextlib.ExitStack, options: str) -> None:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    stack.callback(subprocess.run, ["umount", "-l", str(where)], check=False)


def out_is_a_file(tmp, stack):
    (tmp / "taken").write_text("mine")
    return [*TINY, "--out", str(tmp / "taken")]


def out_inside_a_file(tmp, stack):
    (tmp / "taken").write_text("mine")
    return [*TINY, "--out", str(tmp / "taken" / "run")]


def out_read_only(tmp, stack):
    if os.geteuid() == 0:  # root ignores permissions: a read-only mount is the honest refusal
        _mount_tmpfs(tmp / "ro", stack, "size=1m,ro")
    else:
        (tmp / "ro").mkdir()
        os.chmod(tmp / "ro", 0o555)
        stack.callback(os.chmod, tmp / "ro", 0o755)
    return [*TINY, "--out", str(tmp / "ro" / "run")]


def disk_fills_up(tmp, stack):
    _mount_tmpfs(tmp / "small", stack, "size=2m")  # one tiny checkpoint (1.3 MB) fits, the second does not
    return [*TINY, "--max-steps", "6", "--checkpoint-every", "1", "--keep-checkpoints", "0",
            "--out", str(tmp / "small" / "run")]


def file_size_limit(tmp, stack):
    return [*TINY, "--max-steps", "2", "--out", str(tmp / "run")]


def config_file(text: bytes | str, name: str = "c.json"):
    def setup(tmp, stack):
        path = tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return ["--config", str(path), "--out", str(tmp / "run")]
    return setup


def with_args(*args: str):
    return lambda tmp, stack: [*args, "--out", str(tmp / "run")]


def limit_file_size(limit: int):
    """In the child: files may not grow past ``limit`` bytes (Python ignores SIGXFSZ, so writes get EFBIG)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


#: 1 KB of YAML whose aliases name lists of lists: 9**8 (43 million) strings once expanded.
BOMB = "arch: vanilla\ndataset: fake\nset:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {name}: &{name} [{', '.join(['*' + previous] * 9)}]\n" for previous, name in zip("abcdefg", "bcdefgh")
) + "  hidden: *h\n"


# id, setup(tmp_path, exit_stack) -> argv after "train", exit code, text of the one error line, child setup
CASES = [
    ("out-is-a-file", out_is_a_file, 2, "is a file, not a folder; choose another --out", None),
    ("out-inside-a-file", out_inside_a_file, 2, "part of the path is a file); choose another --out", None),
    ("out-read-only", out_read_only, 2, "cannot write the run directory", None),
    ("disk-full", disk_fills_up, 1, "(No space left on device); free some space or choose another --out", None),
    ("file-too-large", file_size_limit, 1, "(File too large); free some space or choose another --out",
     limit_file_size(600_000)),
    ("batch-of-one", with_args("dcgan", "-d", "fake", "--data", "length=8", "-b", "1", "--max-steps", "1",
                               "--precision", "fp32", "--device", "cpu", "-q"), 2, "pass -b 2 or more", None),
    ("seed-2**70", with_args(*TINY, "--seed", str(2**70)), 2, "out of range; use an integer from 0 to", None),
    ("a-million-samples", with_args(*TINY, "--samples", "1000000"), 2, "too many for one sample grid", None),
    ("huge-model", with_args(*TINY, "--set", "latent_dim=1e9"), 2,
     "--set latent_dim=1000000000 has", None),
    ("config-set-not-a-table", config_file('{"arch": "vanilla", "dataset": "fake", "set": "x"}'), 2,
     "arch_options must be a table of KEY = VALUE options", None),
    ("config-binary", config_file(bytes(range(256)) * 4), 2, "is not UTF-8 text", None),
    ("config-bad-yaml", config_file("arch: [vanilla\n", "c.yaml"), 2, "is not valid YAML", None),
    # issue 22; before: "internal error: ValueError: could not convert string to float" / "TypeError: float()"
    ("config-reg-weight-a-string", config_file('{"arch": "vanilla", "dataset": "fake", "reg": {"r1": "abc"}}'), 2,
     "the weight of regulariser r1 must be a number, like r1 = 10, got 'abc'", None),
    ("config-reg-weight-a-list", config_file('{"arch": "vanilla", "dataset": "fake", "reg": {"r1": [1, 2]}}'), 2,
     "the weight of regulariser r1 must be a number, like r1 = 10, got [1, 2]", None),
    ("config-yaml-alias-bomb", config_file(BOMB, "bomb.yaml"), 2, "expands to more than 100,000 values", None),
    ("config-yaml-too-long", config_file("arch: vanilla\n" + "# filler\n" * 120_000, "long.yaml"), 2,
     "more than the 1,048,576 a config may have", None),
]


@pytest.mark.parametrize("setup, exit_code, message, preexec", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_is_one_error_line(tmp_path, setup, exit_code, message, preexec):
    with contextlib.ExitStack() as stack:
        args = setup(tmp_path, stack)
        result = subprocess.run([sys.executable, "-m", "ganzoo", "train", *args], capture_output=True, text=True,
                                env=ENV, timeout=300, preexec_fn=preexec)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ganzoo: error: "), result.stderr
        assert message in lines[0], lines[0]
        assert result.returncode == exit_code, result.stderr
        out = args[args.index("--out") + 1]
        if "--checkpoint-every" in args or preexec is not None:  # failed writing: nothing half-written stays
            assert not list((Path(out) / "checkpoints").glob(".tmp-*"))
        if "--checkpoint-every" in args:  # ... and the checkpoint before it is whole
            latest = ckpt.latest_checkpoint(out)
            assert latest is not None and ckpt.checkpoint_problem(latest) is None
            assert f"the last checkpoint, {latest.name}, is intact" in lines[0]
            assert ckpt.read_checkpoint(latest).step >= 1


def test_a_yaml_config_is_read_as_yaml(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("arch: vanilla\ndataset: fake\nbatch-size: 8\nmax_steps: 1\nprecision: fp32\ndevice: cpu\n"
                      "set:\n  hidden: [32, 64]\ndata:\n  length: 16\n")
    result = subprocess.run([sys.executable, "-m", "ganzoo", "train", "--config", str(config), "-q",
                             "--out", str(tmp_path / "run")], capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["batch_size"] == 8 and saved["architecture"]["kwargs"]["hidden"] == [32, 64]


def test_a_yaml_alias_bomb_is_refused_in_little_memory(tmp_path):
    """Before: a 1.5 KB bomb grew to 3.3 GB (once with a raw traceback); now it is refused as parsed."""
    from peak_memory import one_error_line, run_measured

    (tmp_path / "bomb.yaml").write_text(BOMB)
    assert len(BOMB) < 1500
    small = run_measured("train", "--config", "none.yaml", "--out", "run", cwd=tmp_path)
    bomb = run_measured("train", "--config", "bomb.yaml", "--out", "run", cwd=tmp_path)
    assert "expands to more than 100,000 values" in one_error_line(bomb, 2)
    assert bomb.peak_mb - small.peak_mb < 100, (small.peak_mb, bomb.peak_mb)  # 3.3 GB before
    assert not (tmp_path / "run").exists()
