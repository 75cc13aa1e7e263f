"""Random track-like sparse images for the sparse-layer tests, and the torch thread count of each test."""

from __future__ import annotations

import pytest
import torch


def track_mask(n_images: int, shape: tuple[int, int], seed: int, tracks: int = 3, blobs: int = 2) -> torch.Tensor:
    """(n_images, H, W) bool: straight 1-2 pixel wide tracks at random angles plus a few small blobs."""
    g = torch.Generator().manual_seed(seed)
    h, w = shape
    mask = torch.zeros(n_images, h, w, dtype=torch.bool)
    for i in range(n_images):
        for _ in range(tracks):
            y0, x0 = float(torch.rand(1, generator=g)) * h, float(torch.rand(1, generator=g)) * w
            angle = float(torch.rand(1, generator=g)) * 6.283
            t = torch.arange(int(max(h, w) * 0.8), dtype=torch.float64)
            y = (y0 + t * torch.cos(torch.tensor(angle))).long()
            x = (x0 + t * torch.sin(torch.tensor(angle))).long()
            for dx in range(1 + int(torch.randint(0, 2, (1,), generator=g))):
                keep = (y >= 0) & (y < h) & (x + dx >= 0) & (x + dx < w)
                mask[i, y[keep], x[keep] + dx] = True
        for _ in range(blobs):
            cy, cx = int(torch.randint(0, h, (1,), generator=g)), int(torch.randint(0, w, (1,), generator=g))
            mask[i, max(cy - 1, 0):cy + 2, max(cx - 1, 0):cx + 2] |= torch.rand(
                mask[i, max(cy - 1, 0):cy + 2, max(cx - 1, 0):cx + 2].shape, generator=g) < 0.7
    return mask


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    """Runs the test with 1 and with 2 torch threads (restored afterwards)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(previous)


@pytest.fixture
def tracks():
    """``track_mask`` (a function of n_images, shape, seed)."""
    return track_mask
