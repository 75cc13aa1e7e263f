"""Shared fixtures of the file-format tests: the larcv3 reference sample and synthetic events."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.event import PARTICLE_DTYPE, Event, ImageMeta, ParticleKind, Semantic, SparseImage, Truth
from argonet.io import process_text



@pytest.fixture(scope="session")
def expected(sample_expected) -> dict:
    """What larcv3 reads back from the sample."""
    return sample_expected


def compare_with_expected(reader, expected: dict, particle_products: dict[str, str] | None = None) -> int:
    """Assert a reader returns exactly what larcv3 read from the sample; returns the number of checks.

    ``particle_products`` maps the expected particle producer to the one in ``reader``.
    """
    checks = 0
    assert len(reader) == expected["n_entries"]
    assert reader.event_ids.tolist() == expected["event_id"]
    for key, events in expected["products"].items():
        product_type, producer = key.split("/")
        for entry, records in enumerate(events):
            if product_type == "sparse2d":
                images = reader.sparse2d(producer, entry)
                assert len(images) == len(records), (key, entry)
                for image, record in zip(images, records):
                    meta = record["meta"]
                    assert image.meta.projection_id == meta["projection_id"]
                    assert list(image.meta.shape) == meta["number_of_voxels"]
                    assert list(image.meta.size_cm) == meta["image_size"]
                    assert list(image.meta.origin_cm) == meta["origin"]
                    assert len(image.index) == record["n"]
                    assert int(image.index.astype(np.int64).sum()) == record["index_sum"]
                    assert math.fsum(image.value.astype(np.float64)) == record["value_sum"]
                    picks = list(range(3)) + list(range(len(image.index) - 3, len(image.index)))
                    for k, (voxel_id, value, coords) in zip(picks, record["samples"]):
                        assert int(image.index[k]) == voxel_id
                        assert float(image.value[k]) == value
                        assert [int(c) for c in np.unravel_index(int(image.index[k]), image.meta.shape)] == coords
                    checks += 1
            elif product_type == "particle":
                mapped = (particle_products or {}).get(producer, producer)
                rows = reader.particles_raw(mapped, entry)
                assert len(rows) == len(records), (key, entry)
                for row, record in zip(rows, records):
                    assert int(row["pdg"]) == record["pdg"]
                    assert float(row["energy_init"]) == record["energy_init"]
                    assert [float(row[a]) for a in ("px", "py", "pz")] == [record["px"], record["py"], record["pz"]]
                    assert [float(row["vtx"][a]) for a in "xyzt"] == record["vtx"]
                    assert int(row["trackid"]) == record["track_id"]
                    assert int(row["parent_trackid"]) == record["parent_track_id"]
                    assert int(row["current_type"]) == record["nu_current_type"]
                    assert int(row["interaction_type"]) == record["nu_interaction_type"]
                    text = process_text(row["process"])
                    if record["creation_process"] is not None:
                        assert text == record["creation_process"]
                    checks += 1
    return checks


@pytest.fixture(scope="session")
def check_expected():
    """compare_with_expected(reader, expected, particle_products=None): the larcv3 read-back comparison."""
    return compare_with_expected


def synthetic_event(rng: np.random.Generator, number: int, shape=(64, 96), n_planes: int = 3,
                    pixels: int = 40, n_particles: int = 4, truth: bool = True) -> Event:
    """A small argonet event: random pixels with labels, a particle table and neutrino truth."""
    charge, semantic, kind = [], [], []
    for plane in range(n_planes):
        meta = ImageMeta(plane, shape, (shape[0] * 0.3, shape[1] * 0.08), (-10.0 * plane, 0.0))
        index = np.sort(rng.choice(shape[0] * shape[1], pixels, replace=False)).astype(np.uint64)
        charge.append(SparseImage(meta, index, rng.gamma(2.0, 20.0, pixels).astype(np.float32)))
        semantic.append(SparseImage(meta, index, rng.integers(0, 3, pixels).astype(np.float32)))
        kind.append(SparseImage(meta, index, rng.integers(0, 6, pixels).astype(np.float32)))
    particles = np.zeros(n_particles, PARTICLE_DTYPE)
    particles["track_id"] = np.arange(1, n_particles + 1)
    particles["parent_id"] = [0] * min(2, n_particles) + list(range(1, n_particles - 1))
    particles["ancestor_id"] = np.minimum(particles["parent_id"], 1)
    particles["pdg"] = rng.choice([13, 2212, 11, 22, 211], n_particles)
    for name in ("px_MeV", "py_MeV", "pz_MeV", "energy_init_MeV", "energy_deposit_MeV", "distance_cm",
                 "start_t_ns", "end_t_ns"):
        particles[name] = rng.uniform(0.0, 500.0, n_particles)
    particles["start_cm"] = rng.uniform(-100, 100, (n_particles, 3))
    particles["end_cm"] = rng.uniform(-100, 100, (n_particles, 3))
    particles["semantic"] = Semantic.NEUTRINO
    particles["kind"] = rng.choice([k.value for k in ParticleKind], n_particles)
    particles["process"] = [b"primary"] * min(2, n_particles) + [b"Decay"] * (n_particles - 2)
    event_truth = Truth("CCQE", 14, float(rng.uniform(0.3, 2.0)), 0, 1001,
                        tuple(float(v) for v in rng.uniform(-50, 50, 3)), float(rng.uniform(0, 1600)), 2) \
        if truth else None
    return Event(charge, semantic, kind, particles, event_truth, run=7, subrun=number // 10, event=number)


@pytest.fixture(scope="session")
def make_events():
    """make_events(n, seed=0, **options) → list of synthetic events (see synthetic_event)."""
    def make(n: int, seed: int = 0, **options) -> list[Event]:
        rng = np.random.default_rng(seed)
        return [synthetic_event(rng, i, **options) for i in range(n)]
    return make


def cosmic_tagger_planes(rng: np.random.Generator, pixels: int = 50_000, shape=(2048, 1280),
                         n_planes: int = 3) -> list[tuple[SparseImage, SparseImage]]:
    """(charge, label) per plane of a CosmicTagger-sized event: track-like lines plus noise pixels."""
    out = []
    n_w, n_t = shape
    for plane in range(n_planes):
        ids, labels = [], []
        while sum(len(i) for i in ids) < pixels // 2:
            step = np.arange(int(rng.integers(100, 1000)))
            angle = rng.uniform(0, np.pi)
            wire = (rng.uniform(0, n_w) + step * np.cos(angle)).astype(np.int64).repeat(3)
            tick = ((rng.uniform(0, n_t) + step * np.sin(angle)).astype(np.int64)[:, None] + np.arange(-1, 2)).ravel()
            inside = (wire >= 0) & (wire < n_w) & (tick >= 0) & (tick < n_t)
            ids.append(wire[inside] * n_t + tick[inside])
            labels.append(np.full(int(inside.sum()), 1 + int(rng.random() < 0.2)))
        track, first = np.unique(np.concatenate(ids), return_index=True)
        noise = np.setdiff1d(rng.choice(n_w * n_t, pixels, replace=False), track)[: max(pixels - len(track), 0)]
        index = np.concatenate([track, noise])
        label = np.concatenate([np.concatenate(labels)[first], np.zeros(len(noise))])
        order = np.argsort(index)
        meta = ImageMeta(plane, shape, (float(n_w), float(n_t)), (0.0, 0.0))
        ids = index[order].astype(np.uint64)
        out.append((SparseImage(meta, ids, rng.gamma(2.0, 15.0, len(ids)).astype(np.float32)),
                    SparseImage(meta, ids, label[order].astype(np.float32))))
    return out
