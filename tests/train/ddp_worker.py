"""Started by ``torchrun --nproc_per_node=2`` from test_distributed.py: the toy run as a 2-process job."""

from __future__ import annotations

import json
import sys

import torch
from train_toys import DDP_SETUP, train_toy

from argonet.train.distributed import env_info

torch.set_num_threads(1)
output_dir = sys.argv[1]
_, result = train_toy(output_dir, batch_size=DDP_SETUP["per_rank_batch"], **DDP_SETUP["common"])
if env_info().rank == 0:
    with open(f"{output_dir}/history.json", "w") as f:
        json.dump(result.history, f)
