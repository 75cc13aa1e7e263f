"""Energy deposits built by hand for the detector-response tests (no transport involved)."""

from __future__ import annotations

import numpy as np

from argonet.event import ParticleKind, Semantic
from argonet.sim.deposits import Deposits


def line(start_cm, end_cm, dEdx_MeV_per_cm: float = 2.1, step_cm: float = 0.3, t_ns: float = 0.0,
         semantic: int = Semantic.NEUTRINO, kind: int = ParticleKind.TRACK, track_id: int = 1) -> Deposits:
    """A straight track of constant dE/dx cut into equal steps (positions are step mid-points)."""
    start, end = np.asarray(start_cm, float), np.asarray(end_cm, float)
    length_cm = float(np.linalg.norm(end - start))
    n = max(int(round(length_cm / step_cm)), 1)
    mid = start + ((np.arange(n) + 0.5) / n)[:, None] * (end - start)
    return points(mid, dEdx_MeV_per_cm * length_cm / n, length_cm / n, t_ns, semantic, kind, track_id)


def points(xyz_cm, dE_MeV, dx_cm=0.3, t_ns=0.0, semantic: int = Semantic.NEUTRINO,
           kind: int = ParticleKind.TRACK, track_id: int = 1) -> Deposits:
    """Point deposits at the given (n, 3) positions; scalars are broadcast."""
    xyz = np.atleast_2d(np.asarray(xyz_cm, float))
    n = len(xyz)

    def full(value, dtype):
        return np.broadcast_to(np.asarray(value, dtype), (n,)).copy()
    return Deposits(xyz[:, 0].copy(), xyz[:, 1].copy(), xyz[:, 2].copy(), full(t_ns, np.float64),
                    full(dE_MeV, np.float32), full(dx_cm, np.float32), full(track_id, np.int32),
                    full(semantic, np.int8), full(kind, np.int8))
