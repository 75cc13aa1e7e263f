"""Where primaries start: the fiducial volume, vertices, straight-line box entries, primary records.

Positions in cm (detector coordinates: x drift, y up, z beam), times in ns after the trigger.
"""

from __future__ import annotations

import numpy as np

from argonet.errors import ConfigError
from argonet.sim.deposits import PRIMARY_DTYPE
from argonet.sim.detector import Detector

Point = tuple[float, float, float]


def fiducial_bounds(detector: Detector, margin_cm: float) -> tuple[Point, Point]:
    """Lower and upper corners of the active volume shrunk by margin_cm on every face."""
    lo = tuple(a + margin_cm for a in detector.active_min_cm)
    hi = tuple(b - margin_cm for b in detector.active_max_cm)
    if any(high <= low for low, high in zip(lo, hi)):
        smallest = min(b - a for a, b in zip(detector.active_min_cm, detector.active_max_cm))
        raise ConfigError("generator.fiducial_margin_cm",
                          f"{margin_cm} cm leaves no fiducial volume in {detector.name} "
                          f"(must be < {smallest / 2:g} cm)")
    return lo, hi  # type: ignore[return-value]


def uniform_point(rng: np.random.Generator, lo: Point, hi: Point) -> Point:
    """A point uniform in the box [lo, hi] (cm)."""
    u = rng.random(3)
    return (lo[0] + (hi[0] - lo[0]) * float(u[0]), lo[1] + (hi[1] - lo[1]) * float(u[1]),
            lo[2] + (hi[2] - lo[2]) * float(u[2]))


def primaries_at(particles: list[tuple[int, float, float, float]], vertex_cm: Point, t_ns: float,
                 semantic: int) -> np.ndarray:
    """PRIMARY_DTYPE rows for (pdg, px, py, pz [MeV/c]) particles sharing one vertex and time."""
    x, y, z = vertex_cm
    return np.array([(pdg, px, py, pz, x, y, z, t_ns, semantic) for pdg, px, py, pz in particles],
                    dtype=PRIMARY_DTYPE)


def box_entry(start_cm: np.ndarray, direction: np.ndarray, lo: Point, hi: Point
              ) -> tuple[np.ndarray, np.ndarray]:
    """Path length (cm) along each line start + s * direction to where it enters the box, and a hit mask.

    Slab method, vectorised over rows of ``start_cm`` and ``direction`` (shape (n, 3)); only
    s >= 0 counts, so a line starting inside enters at s = 0.
    """
    lo_a, hi_a = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / direction
        t1 = (lo_a - start_cm) * inv
        t2 = (hi_a - start_cm) * inv
    parallel = direction == 0.0
    inside = (start_cm >= lo_a) & (start_cm <= hi_a)
    t_near = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    t_far = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    s_in = np.maximum(t_near.max(axis=1), 0.0)
    s_out = t_far.min(axis=1)
    return s_in, s_out > s_in
