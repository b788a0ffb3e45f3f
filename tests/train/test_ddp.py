"""Data-parallel training: two gloo processes on the CPU, launched by torchrun on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import torch
from safetensors.torch import load_file

from ganzoo.runs import checkpoints as ckpt

WORKER = textwrap.dedent("""
    import os, sys
    from safetensors.torch import save_file
    from ganzoo.train import TrainConfig, Trainer

    out = sys.argv[1]
    trainer = Trainer(TrainConfig(
        "vanilla", "fake", arch_options={"hidden": [32, 64]}, data_options={"length": 64}, batch_size=8,
        max_steps=4, precision="fp32", device="cpu", out=out, quiet=True, log_every=1, checkpoint_every=2,
        ema_decay=0.5, sample_count=4))
    result = trainer.fit()
    rank = os.environ["RANK"]
    state = {k: v.contiguous() for k, v in trainer.model.state_dict().items()}
    save_file(state, os.path.join(os.path.dirname(out), f"rank{rank}.safetensors"))
""")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_end_with_identical_weights_and_one_run_directory(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = tmp_path / "run"
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
           "--master-port", str(_free_port()), str(script), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]

    rank0, rank1 = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    assert rank0.keys() == rank1.keys()
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0), "gradients were not synchronised"
    saved = load_file(str(ckpt.latest_checkpoint(out) / "model.safetensors"))
    assert all(torch.equal(saved[k], rank0[k]) for k in saved)

    # one run directory, written once: one metrics line per step, world size recorded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rank0.safetensors", "rank1.safetensors", "run",
                                                           "worker.py"]
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3, 4]
    assert json.loads((out / "config.json").read_text())["world_size"] == 2
    state = json.loads((ckpt.latest_checkpoint(out) / "state.json").read_text())
    assert state["data"]["world_size"] == 2 and state["step"] == 4
