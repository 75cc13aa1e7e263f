"""Shared fixtures of the data-pipeline tests: hand-built events written with Larcv3Writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from argonet.event import Event, ImageMeta, SparseImage, Truth
from argonet.io import Larcv3Writer

def meta(plane: int, shape: tuple[int, int]) -> ImageMeta:
    """A plane meta with 0.3 cm pixels."""
    return ImageMeta(plane, shape, (shape[0] * 0.3, shape[1] * 0.3), (0.0, 0.0))


def random_event(rng: np.random.Generator, shapes=((40, 24),) * 3, n_pixels: int = 60,
                 class_name: str | None = "CCQE", number: int = 0) -> Event:
    """An event with ``n_pixels`` random pixels per plane, charge 5-15 and labels 0/1/2."""
    charge, labels = [], []
    for plane, shape in enumerate(shapes):
        ids = np.sort(rng.choice(shape[0] * shape[1], n_pixels, replace=False)).astype(np.uint64)
        charge.append(SparseImage(meta(plane, shape), ids, rng.uniform(5, 15, n_pixels).astype(np.float32)))
        labels.append(SparseImage(meta(plane, shape), ids, rng.integers(0, 3, n_pixels).astype(np.float32)))
    truth = Truth(class_name) if class_name else None
    return Event(charge, labels, [], truth=truth, event=number)


def pixel_event(pixels: dict[int, list[tuple[int, int, float, int]]], shape=(8, 8), n_planes: int = 3,
                class_name: str | None = "CCQE") -> Event:
    """An event from explicit pixels: plane → [(wire, tick, charge, label)]."""
    charge, labels = [], []
    for plane in range(n_planes):
        rows = sorted(pixels.get(plane, []), key=lambda p: p[0] * shape[1] + p[1])
        ids = np.array([w * shape[1] + t for w, t, _, _ in rows], np.uint64)
        charge.append(SparseImage(meta(plane, shape), ids, np.array([q for *_, q, _ in rows], np.float32)))
        labels.append(SparseImage(meta(plane, shape), ids, np.array([lab for *_, lab in rows], np.float32)))
    return Event(charge, labels, [], truth=Truth(class_name) if class_name else None)


def write(path: Path, events) -> Path:
    """Write events with argonet's writer (the file the datasets read)."""
    with Larcv3Writer(path, overwrite=True) as writer:
        for event in events:
            writer.write(event)
    return path


def write_products(path: Path, entries: list[dict]) -> Path:
    """Write arbitrary products per event (to build inconsistent files on purpose)."""
    with Larcv3Writer(path, overwrite=True) as writer:
        for products in entries:
            writer.write_products(products)
    return path


def dense_event(event: Event) -> np.ndarray:
    """The naive (C, H, W) densification of an event's charge, one plane at a time."""
    return np.stack([image.dense() for image in event.charge])


class Helpers:
    """The builders above, handed to tests through the ``helpers`` fixture."""

    meta = staticmethod(meta)
    random_event = staticmethod(random_event)
    pixel_event = staticmethod(pixel_event)
    write = staticmethod(write)
    write_products = staticmethod(write_products)
    dense_event = staticmethod(dense_event)


@pytest.fixture
def helpers() -> type[Helpers]:
    return Helpers


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def events(rng) -> list[Event]:
    """Ten random events alternating between two classes."""
    return [random_event(rng, class_name=("CCQE", "NCQE")[i % 2], number=i) for i in range(10)]


@pytest.fixture
def events_file(tmp_path, events) -> Path:
    return write(tmp_path / "events.h5", events)
