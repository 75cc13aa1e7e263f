"""One torch thread per test process: CI runs two pytest workers on two cores, and oversubscribed
OpenMP threads slow small models down tenfold."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
