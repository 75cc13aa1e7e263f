"""Multi-process data-parallel training as launched by ``torchrun``.

``torchrun --nproc_per_node=N`` starts N copies of the program with RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR and MASTER_PORT in the environment; ``setup`` joins them into one process group
(``nccl`` on GPUs, ``gloo`` on CPUs). Without those variables everything here is a no-op for a
single process. Only rank 0 writes files and prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import os
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from argonet.errors import ConfigError


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False      # setup() created the process group, so teardown() destroys it

    @property
    def enabled(self) -> bool:
        """More than one process."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """The process that writes checkpoints, logs and progress bars."""
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    """An integer environment variable set by torchrun."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(name, f"environment variable must be an integer, got {value!r}") from None


def env_info() -> DistInfo:
    """Rank and world size from the torchrun environment (or of an existing process group)."""
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), dist.get_world_size(), _env_int("LOCAL_RANK", 0))
    return DistInfo(_env_int("RANK", 0), _env_int("WORLD_SIZE", 1), _env_int("LOCAL_RANK", 0))


def setup(device: torch.device) -> DistInfo:
    """Join the torchrun process group if there is one; safe to call more than once."""
    info = env_info()
    if not info.enabled or dist.is_initialized():
        return info
    if not dist.is_available():
        raise ConfigError("WORLD_SIZE", "this PyTorch build has no torch.distributed; run a single process")
    if not 0 <= info.rank < info.world_size:
        raise ConfigError("RANK", f"needs 0 <= RANK < WORLD_SIZE, got {info.rank} of {info.world_size}")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend, init_method="env://", rank=info.rank, world_size=info.world_size)
    return DistInfo(info.rank, info.world_size, info.local_rank, owns_group=True)


def teardown(info: DistInfo) -> None:
    """Leave the process group if ``setup`` made it."""
    if info.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: nn.Module, info: DistInfo, device: torch.device) -> nn.Module:
    """DistributedDataParallel around ``model`` in a multi-process job (gradients averaged over ranks)."""
    if not info.enabled:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside DDP (and inside ``FeatureHead``), whose state dict checkpoints store."""
    while isinstance(getattr(model, "module", None), nn.Module):
        model = model.module
    return model


def all_reduce_sum(values: Tensor, info: DistInfo) -> Tensor:
    """Element-wise sum over ranks (the tensor itself when alone)."""
    if info.enabled:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def gather_objects(obj: Any, info: DistInfo) -> list[Any]:
    """Every rank's ``obj``, in rank order, on every rank."""
    if not info.enabled:
        return [obj]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


class ShardSampler(Sampler[int]):
    """Evaluation indices of one rank: every ``world_size``-th entry, none repeated (unlike DistributedSampler)."""

    def __init__(self, n_items: int, info: DistInfo):
        self.indices = range(info.rank, n_items, info.world_size)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def make_loader(dataset: Dataset, batch_size: int, *, train: bool, seed: int, info: DistInfo,
                num_workers: int = 0, collate_fn: Callable | None = None) -> DataLoader:
    """A loader for an in-memory dataset (e.g. cached features): shuffled per epoch by (seed, epoch) for training.

    Training uses DistributedSampler (also for one process), so the global batch of a step is the
    same for any number of processes: with N ranks, rank r reads entries r, r+N, ... of the
    epoch's permutation. Call ``set_epoch`` before each epoch (the engine does).
    """
    if train:
        sampler: Sampler = DistributedSampler(dataset, num_replicas=info.world_size, rank=info.rank,
                                              shuffle=True, seed=seed)
    else:
        sampler = ShardSampler(len(dataset), info)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                      collate_fn=collate_fn, pin_memory=torch.cuda.is_available(),
                      persistent_workers=num_workers > 0, generator=torch.Generator().manual_seed(seed))
