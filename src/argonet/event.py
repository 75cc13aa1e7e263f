"""Numpy-only records shared by the simulator, the file formats and the datasets.

A plane image is stored as larcv3 stores it: shape ``(n_wires, n_ticks)`` (axis 0 = wire,
axis 1 = time), flat C-order pixel ids, float32 values. Labels follow the SBND
cosmic-tagging convention (0 background, 1 cosmic, 2 neutrino/primary interaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Semantic(IntEnum):
    """Per-pixel origin label (SBND CosmicTagger numbering)."""

    BACKGROUND = 0
    COSMIC = 1
    NEUTRINO = 2  # the interaction of interest: neutrino or particle-gun primaries


class ParticleKind(IntEnum):
    """Per-pixel topology label (PILArNet-like classes, 0 kept for background)."""

    BACKGROUND = 0
    TRACK = 1
    SHOWER = 2
    MICHEL = 3
    DELTA = 4
    LOW_ENERGY = 5


#: The event classes argonet's generators produce; the index is the stored class id.
EVENT_CLASSES: tuple[str, ...] = (
    "CCQE", "CCRES", "NCQE", "NCRES", "NUE_CC", "NC_PI0", "CCDIS", "NUTAU_CC", "NC",
    "COSMIC", "SINGLE_E", "SINGLE_GAMMA", "SINGLE_MU", "SINGLE_PI", "SINGLE_P",
    "NUMU_CC",                      # flavour classes of the DUNE CVN: NUMU_CC, NUE_CC, NUTAU_CC, NC
    "SINGLE_K",
)


@dataclass(frozen=True)
class ImageMeta:
    """Geometry of one plane image, as larcv3's image_meta row (2-D)."""

    projection_id: int
    shape: tuple[int, int]            # (n_wires, n_ticks): number_of_voxels
    size_cm: tuple[float, float]      # physical extent along (wire, drift): image_sizes
    origin_cm: tuple[float, float]    # lower corner (wire coordinate, drift coordinate)

    @property
    def pixel_cm(self) -> tuple[float, float]:
        """Pixel pitch along (wire, drift) in cm."""
        return (self.size_cm[0] / self.shape[0], self.size_cm[1] / self.shape[1])


@dataclass
class SparseImage:
    """Non-zero pixels of one plane: ids ascending, C-order over ``meta.shape``."""

    meta: ImageMeta
    index: np.ndarray   # uint64 flat ids, strictly increasing
    value: np.ndarray   # float32

    def dense(self, dtype=np.float32) -> np.ndarray:
        """The full (n_wires, n_ticks) array; only for one event at a time."""
        out = np.zeros(self.meta.shape, dtype=dtype)
        out.reshape(-1)[self.index.astype(np.int64)] = self.value
        return out

    @classmethod
    def from_dense(cls, meta: ImageMeta, image: np.ndarray, threshold: float | None = None) -> "SparseImage":
        """Keep pixels with value != 0 (or > threshold when given)."""
        flat = np.ascontiguousarray(image).reshape(-1)
        keep = flat > threshold if threshold is not None else flat != 0
        idx = np.flatnonzero(keep)
        return cls(meta, idx.astype(np.uint64), flat[idx].astype(np.float32))


#: Particle table (one row per simulated particle). Momenta MeV/c, energies MeV,
#: positions cm, times ns. ``process`` is the creation process ("primary", "Decay", ...).
PARTICLE_DTYPE = np.dtype([
    ("track_id", np.int32), ("parent_id", np.int32), ("ancestor_id", np.int32),
    ("pdg", np.int32), ("parent_pdg", np.int32), ("ancestor_pdg", np.int32),
    ("px_MeV", np.float64), ("py_MeV", np.float64), ("pz_MeV", np.float64),
    ("energy_init_MeV", np.float64), ("energy_deposit_MeV", np.float64),
    ("start_cm", np.float64, (3,)), ("start_t_ns", np.float64),
    ("end_cm", np.float64, (3,)), ("end_t_ns", np.float64),
    ("distance_cm", np.float64),
    ("semantic", np.int8), ("kind", np.int8),
    ("process", "S32"),
])


@dataclass
class Truth:
    """Event-level truth: what a classifier is trained to predict, and the neutrino."""

    class_name: str
    nu_pdg: int = 0                  # 0 when no neutrino (gun, cosmic-only)
    nu_energy_GeV: float = 0.0
    current_type: int = -1           # 0 CC, 1 NC, -1 none (larcv3 convention)
    interaction_type: int = -1       # GENIE/Nuance code: 1001 CCQE, 1003.. RES, 1091 CCDIS, -1 none
    vertex_cm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    vertex_t_ns: float = 0.0
    n_cosmics: int = 0

    @property
    def class_id(self) -> int:
        """Index into EVENT_CLASSES (stable across files)."""
        return EVENT_CLASSES.index(self.class_name)


@dataclass
class Event:
    """One simulated or read event: per-plane charge and labels, particles and truth."""

    charge: list[SparseImage]
    semantic: list[SparseImage]            # same ids and order as charge, values Semantic
    kind: list[SparseImage]                # same ids and order as charge, values ParticleKind
    particles: np.ndarray = field(default_factory=lambda: np.zeros(0, PARTICLE_DTYPE))
    truth: Truth | None = None
    run: int = 0
    subrun: int = 0
    event: int = 0

    @property
    def n_planes(self) -> int:
        """Number of wire planes (projections)."""
        return len(self.charge)
