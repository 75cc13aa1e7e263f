"""Small, quick larcv3 files and run folders for the web front end's tests and benchmark.

``write_sample`` draws events in a few milliseconds each (no simulation): per plane a neutrino
track (CC classes, long) or blob (NC classes, compact) from a vertex and one cosmic line, with
semantic and kind labels and argonet truth, so a classifier has something to learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from argonet.event import Event, ImageMeta, SparseImage, Truth
from argonet.io import Larcv3Writer

CLASSES = ("CCQE", "NCRES")


def _line(rng: np.random.Generator, start: np.ndarray, length: int, shape: tuple[int, int]) -> np.ndarray:
    """Flat pixel ids along a straight line from ``start``."""
    angle = rng.uniform(0, 2 * np.pi)
    steps = np.arange(length)
    wires = np.clip((start[0] + steps * np.cos(angle)).astype(int), 0, shape[0] - 1)
    ticks = np.clip((start[1] + steps * np.sin(angle)).astype(int), 0, shape[1] - 1)
    return wires * shape[1] + ticks


def fake_event(rng: np.random.Generator, number: int, shape: tuple[int, int] = (32, 32)) -> Event:
    """One event of class CLASSES[number % 2]."""
    class_name = CLASSES[number % len(CLASSES)]
    charge, semantic, kind = [], [], []
    vertex = rng.uniform(0.3, 0.7, 2) * np.array(shape)
    for plane in range(3):
        meta = ImageMeta(plane, shape, (shape[0] * 0.3, shape[1] * 0.08), (0.0, 0.0))
        if class_name.startswith("CC"):
            nu = _line(rng, vertex, int(0.6 * shape[0]), shape)
        else:
            nu = (np.clip((vertex + rng.normal(0, 2.0, (40, 2))).astype(int), 0, np.array(shape) - 1)
                  @ np.array([shape[1], 1]))
        cosmic = _line(rng, rng.uniform(0, 1, 2) * np.array(shape), shape[0], shape)
        labels = dict.fromkeys(cosmic.tolist(), 1) | dict.fromkeys(nu.tolist(), 2)
        index = np.array(sorted(labels), dtype=np.uint64)
        sem = np.array([labels[int(i)] for i in index], dtype=np.float32)
        charge.append(SparseImage(meta, index, rng.gamma(3.0, 15.0, len(index)).astype(np.float32)))
        semantic.append(SparseImage(meta, index, sem))
        kind.append(SparseImage(meta, index, np.where(sem == 2, 1.0, 5.0).astype(np.float32)))
    truth = Truth(class_name, 14, float(rng.uniform(0.5, 3.0)), 0 if class_name.startswith("CC") else 1,
                  1001 if class_name == "CCQE" else 1003, tuple(float(v) for v in rng.uniform(-50, 50, 3)), 0.0, 1)
    return Event(charge, semantic, kind, truth=truth, run=1, subrun=0, event=number)


def write_sample(path: Path, n_events: int, shape: tuple[int, int] = (32, 32), seed: int = 0,
                 prediction: str | None = None) -> Path:
    """A larcv3 file of ``n_events`` fake events; with ``prediction``, also a sparse2d product of that name:
    the semantic labels with a random fraction (0 to 60 %) of the pixels of each event set to background."""
    rng = np.random.default_rng(seed)
    with Larcv3Writer(path) as writer:
        for i in range(n_events):
            event = fake_event(rng, i, shape)
            if prediction is None:
                writer.write(event)
                continue
            wrong = rng.uniform(0, 0.6)
            predicted = [SparseImage(s.meta, s.index, np.where(rng.random(len(s.value)) < wrong, 0.0, s.value)
                                     .astype(np.float32)) for s in event.semantic]
            writer.write_products({"sparse2d/sbndwire": event.charge, "sparse2d/sbnd_cosmicseg": event.semantic,
                                   "sparse2d/argonet_kind": event.kind, f"sparse2d/{prediction}": predicted},
                                  event_id=(event.run, event.subrun, event.event), truth=event.truth)
    return writer.path
