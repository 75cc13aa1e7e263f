"""Data-parallel training: 2 CPU processes (gloo) equal 1 process with the same global batch.

The two processes are started the way ``torchrun --nproc_per_node=2`` starts them (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT in the environment), without the launcher's own
start-up time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import socket
import subprocess
import sys

import pytest
import torch
from torch import nn
from train_toys import DDP_SETUP, train_toy

from argonet.models.classifiers import FeatureHead
from argonet.models.registry import get_model
from argonet.train.distributed import DistInfo, ShardSampler, env_info, unwrap

WORKER = Path(__file__).with_name("ddp_worker.py")


@pytest.fixture
def single_process_env(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(world: int, output_dir: Path) -> None:
    """Start ``world`` workers with torchrun's environment variables and wait for all of them."""
    port = _free_port()
    procs = []
    for rank in range(world):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world),
               "LOCAL_WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
               "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen([sys.executable, str(WORKER), str(output_dir)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = [p.communicate(timeout=240)[0] for p in procs]
    for rank, (p, log) in enumerate(zip(procs, logs)):
        assert p.returncode == 0, f"rank {rank} failed:\n{log[-3000:]}"


def test_two_gloo_processes_match_one_process(tmp_path, single_process_env):
    world = DDP_SETUP["world_size"]
    _launch(world, tmp_path / "ddp")
    ddp = torch.load(tmp_path / "ddp" / "checkpoint.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in ddp["model"]), "checkpoint must hold the unwrapped model"

    single, result = train_toy(tmp_path / "one", batch_size=world * DDP_SETUP["per_rank_batch"],
                               **DDP_SETUP["common"])
    assert ddp["step"] == result.progress.step == 8
    reference = single.state_dict()
    worst = max((ddp["model"][k] - reference[k]).abs().max().item() for k in reference)
    assert worst < 1e-5, f"largest weight difference {worst}"
    moved = max((ddp["model"][k] - torch.load(tmp_path / "one" / "checkpoint.pt", weights_only=True)["model"][k])
                .abs().max().item() for k in reference)
    assert moved < 1e-5
    history = json.loads((tmp_path / "ddp" / "history.json").read_text())
    for a, b in zip(history, result.history):   # losses and metrics reduced over both ranks
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4)
        assert a["val_accuracy"] == b["val_accuracy"]
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)


def test_shard_sampler_reads_every_entry_once():
    shards = [list(ShardSampler(10, DistInfo(rank=r, world_size=3))) for r in range(3)]
    assert sorted(i for s in shards for i in s) == list(range(10))
    assert [len(s) for s in shards] == [4, 3, 3]


def test_unwrap_and_environment(single_process_env, monkeypatch):
    model = get_model("smallcnn", num_classes=2)
    assert unwrap(FeatureHead(model)) is model and unwrap(model) is model
    assert unwrap(nn.Sequential(model)) is not model
    assert env_info() == DistInfo()
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    info = env_info()
    assert (info.rank, info.world_size, info.enabled, info.is_main) == (2, 4, True, False)
    monkeypatch.setenv("RANK", "two")
    from argonet.errors import ConfigError
    with pytest.raises(ConfigError, match="RANK: environment variable must be an integer"):
        env_info()
