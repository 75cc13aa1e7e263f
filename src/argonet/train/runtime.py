"""Where and in which numerics training runs: device, mixed precision, seeds, determinism, batch transfer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
import os
import random
import resource
import sys
from typing import Any

import numpy as np
import torch
from torch import Tensor

from argonet.errors import ConfigError


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` → this process's GPU when there is one, else the CPU; ``cuda`` without a GPU is an error."""
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("run.device", "cuda was asked for but no GPU is visible; use run.device=cpu")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if name not in ("auto", "cpu"):
        raise ConfigError("run.device", f"unknown device {name!r}", ("auto", "cpu", "cuda"))
    return torch.device("cpu")


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its finished child processes: a study's cost."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def skip_gpu_compiler_without_gpu() -> None:
    """Keep Triton (a GPU kernel compiler) out of a process that has no GPU: the first optimiser step imports
    torch._dynamo, which loads Triton when it is installed (measured: 0.08 GB of resident memory, unused on a
    CPU); torch then runs as without Triton. Nothing changes where a GPU is present or Triton is loaded."""
    if "triton" in sys.modules or "torch._dynamo" in sys.modules:
        return
    if torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available()):
        return
    sys.modules["triton"] = None            # import triton now raises ImportError: torch's has_triton() is False


def cpu_has_native_bf16() -> bool:
    """True when oneDNN runs bf16 natively on this CPU (AVX512-BF16 or AMX); emulated bf16 is slower than fp32."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast_dtype(amp: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``run.amp`` on ``device`` (None: full fp32 precision)."""
    if amp == "off":
        return None
    if device.type == "cuda":
        if amp == "fp16" or (amp == "auto" and not torch.cuda.is_bf16_supported()):
            return torch.float16
        return torch.bfloat16
    if amp == "fp16":
        raise ConfigError("run.amp", "fp16 autocast needs a GPU; on a CPU use run.amp=bf16 or off")
    native = cpu_has_native_bf16()
    if amp == "bf16" and not native:
        raise ConfigError("run.amp", f"this CPU ({torch.backends.cpu.get_cpu_capability()}) has no native bf16 "
                          "(AVX512-BF16/AMX) and would run slower than fp32; use run.amp=off")
    return torch.bfloat16 if native else None


@dataclass
class Precision:
    """Autocast settings and, for fp16, the gradient scaler that keeps small gradients from underflowing."""

    device: torch.device
    dtype: torch.dtype | None = None
    channels_last: bool = False

    def __post_init__(self) -> None:
        fp16 = self.dtype == torch.float16
        self.scaler = torch.amp.GradScaler(self.device.type) if fp16 else None

    def autocast(self) -> AbstractContextManager:
        """Context that runs the forward pass in the reduced precision (a no-op in fp32)."""
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def describe(self) -> str:
        """For the start-of-run log line."""
        name = {None: "fp32", torch.bfloat16: "bf16 autocast", torch.float16: "fp16 autocast + grad scaler"}
        return f"{self.device}, {name[self.dtype]}" + (", channels_last" if self.channels_last else "")


def to_device(batch: Any, device: torch.device, channels_last: bool = False) -> Any:
    """Move the tensors of a (nested dict/list/tuple) batch to ``device``; 4-d float images optionally channels-last."""
    if isinstance(batch, Tensor):
        batch = batch.to(device, non_blocking=device.type == "cuda")
        if channels_last and batch.ndim == 4 and batch.is_floating_point():
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch
    if isinstance(batch, dict):
        return {k: to_device(v, device, channels_last) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device, channels_last) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device, channels_last) for v in batch)
    return batch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices): call before building the model for a reproducible run."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextmanager
def determinism(enabled: bool, device: torch.device) -> Iterator[None]:
    """Deterministic kernels (bit-reproducible runs, somewhat slower) for the duration of a run; restored after."""
    previous = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
                torch.backends.cudnn.benchmark)
    if enabled and device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    if enabled != previous[0]:   # the call imports torch's compiler stack: seconds, so only when needed
        torch.use_deterministic_algorithms(enabled)
    torch.backends.cudnn.deterministic = enabled
    torch.backends.cudnn.benchmark = not enabled and device.type == "cuda"
    try:
        yield
    finally:
        if enabled != previous[0]:
            torch.use_deterministic_algorithms(previous[0])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = previous[1], previous[2]
