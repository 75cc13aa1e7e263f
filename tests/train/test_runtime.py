"""Device and precision choices: never a silently slow or unsupported mode."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from argonet.errors import ConfigError
from argonet.train.runtime import Precision, autocast_dtype, cpu_has_native_bf16, cpu_seconds, determinism, \
    resolve_device, to_device

CPU = torch.device("cpu")


def test_cpu_precision_choices():
    assert autocast_dtype("off", CPU) is None
    with pytest.raises(ConfigError, match="run.amp: fp16 autocast needs a GPU"):
        autocast_dtype("fp16", CPU)
    if cpu_has_native_bf16():
        assert autocast_dtype("auto", CPU) == autocast_dtype("bf16", CPU) == torch.bfloat16
    else:
        assert autocast_dtype("auto", CPU) is None
        with pytest.raises(ConfigError, match="no native bf16"):
            autocast_dtype("bf16", CPU)


def test_bf16_autocast_context_on_cpu_runs_matmul_in_bf16():
    precision = Precision(CPU, torch.bfloat16)
    assert precision.scaler is None
    with precision.autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    with Precision(CPU).autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32


def test_devices():
    assert resolve_device("cpu") == CPU
    if not torch.cuda.is_available():
        assert resolve_device("auto") == CPU
        with pytest.raises(ConfigError, match="run.device: cuda was asked for but no GPU"):
            resolve_device("cuda")


def test_to_device_moves_nested_batches_and_makes_images_channels_last():
    batch = {"image": torch.randn(2, 3, 4, 5), "label": torch.tensor([1, 2]), "meta": ["a", "b"],
             "pair": (torch.zeros(1), 3)}
    moved = to_device(batch, CPU, channels_last=True)
    assert moved["image"].is_contiguous(memory_format=torch.channels_last)
    assert not batch["image"].is_contiguous(memory_format=torch.channels_last)
    assert moved["meta"] == ["a", "b"] and moved["pair"][1] == 3 and torch.equal(moved["label"], batch["label"])


def test_determinism_is_restored_after_the_run():
    before = torch.are_deterministic_algorithms_enabled()
    with determinism(not before, CPU):
        assert torch.are_deterministic_algorithms_enabled() == (not before)
    assert torch.are_deterministic_algorithms_enabled() == before


STEP_THEN_REPORT = """
import sys
import torch
from argonet.train.optim import build_optimizer
from argonet.conf.train import OptimConfig
model = torch.nn.Linear(4, 2)
opt = build_optimizer(model, OptimConfig(name="adamw"))
model(torch.randn(3, 4)).sum().backward()
opt.step()
print(int(torch.cuda.is_available()), int("torch._dynamo" in sys.modules), int(sys.modules.get("triton", 0) is None))
"""


def test_optimiser_steps_without_loading_the_gpu_compiler_where_there_is_no_gpu():
    result = subprocess.run([sys.executable, "-c", STEP_THEN_REPORT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    cuda, dynamo, blocked = map(int, result.stdout.split())
    assert dynamo == 1                         # the step imported torch._dynamo, which looks for Triton
    assert blocked == 1 - cuda                 # kept out on a machine without a GPU, left alone with one


def test_cpu_seconds_count_finished_child_processes():
    before = cpu_seconds()
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True, timeout=300)
    spent = cpu_seconds() - before
    assert spent > 0.05                # the child's work (about 0.2 CPU-s), which the parent alone never spends
