"""Wire-plane geometry of a detector: which TPC reads a point, wire coordinates and plane order.

Conventions (lartpc-physics.md §1.4): a plane whose wires make the angle θ with the vertical
selects wires by ``w = −y·sinθ + z·cosθ``; wire ``i`` collects the charge with
``w0 + i·p ≤ w < w0 + (i+1)·p``, the wire array being centred on the active (y, z) face.
Planes are listed in drift order (U, V, Y): the first plane sits at the anode, the others
one ``plane_gap_cm`` further each. In a two-TPC detector the anode assembly of the TPC whose
anode is at larger x is the first one rotated by 180° about the vertical, so there the wires
at +60° are the *second* plane reached by the charge and those at −60° the first: plane
images keep their global wire angle in both TPCs (the CosmicTagger converter's U/V swap).
"""

from __future__ import annotations

from functools import lru_cache
import math

import numpy as np

from argonet.sim.detector import Detector


def tpc_index(x_cm: np.ndarray, detector: Detector) -> np.ndarray:
    """Index of the drift volume containing each x (int8), −1 outside every volume."""
    x_cm = np.asarray(x_cm, dtype=np.float64)
    tpc = np.full(x_cm.shape, -1, dtype=np.int8)
    for k in reversed(range(detector.n_tpcs)):    # the lower index wins on a shared cathode
        lo, hi = sorted((detector.anode_x_cm[k], detector.cathode_of(k)))
        tpc[(x_cm >= lo) & (x_cm <= hi)] = k
    return tpc


def drift_distance_cm(x_cm: np.ndarray, tpc: np.ndarray, detector: Detector) -> np.ndarray:
    """Distance from each point to the first wire plane (anode) of its TPC, in cm."""
    anodes = np.asarray(detector.anode_x_cm, dtype=np.float64)
    return np.abs(anodes[np.maximum(tpc, 0)] - np.asarray(x_cm, dtype=np.float64))


def wire_coordinate_cm(y_cm, z_cm, angle_deg: float) -> np.ndarray:
    """Coordinate across the wires of a plane at angle_deg from the vertical (cm)."""
    angle = math.radians(angle_deg)
    return -np.asarray(y_cm) * math.sin(angle) + np.asarray(z_cm) * math.cos(angle)


@lru_cache(maxsize=64)
def wire_origin_cm(detector: Detector, plane: int) -> float:
    """Wire coordinate of the lower edge of wire 0: the wire array is centred on the active face."""
    pl = detector.planes[plane]
    corners = [float(wire_coordinate_cm(y, z, pl.angle_deg))
               for y in (detector.active_min_cm[1], detector.active_max_cm[1])
               for z in (detector.active_min_cm[2], detector.active_max_cm[2])]
    centre_cm = 0.5 * (min(corners) + max(corners))
    return centre_cm - 0.5 * pl.n_wires * pl.pitch_cm


def mirrored(detector: Detector, tpc: int) -> bool:
    """True for the TPC of a multi-TPC detector whose anode lies at larger x than the cathode."""
    return detector.n_tpcs > 1 and detector.anode_x_cm[tpc] > detector.cathode_of(tpc)


def plane_position(detector: Detector, plane: int, tpc: int) -> int:
    """Position of an image plane in the drift order of a TPC (0: reached first, at the anode)."""
    planes = detector.planes
    swap = (mirrored(detector, tpc) and len(planes) >= 3
            and not planes[0].collection and not planes[1].collection)
    if swap and plane in (0, 1):
        return 1 - plane
    return plane


def plane_gap_us(detector: Detector, plane: int, tpc: int) -> float:
    """Extra drift time from the anode (first plane) to an image plane in a TPC."""
    gap_cm = plane_position(detector, plane, tpc) * detector.plane_gap_cm
    return gap_cm / detector.drift_velocity_cm_per_us


def plane_role(detector: Detector, plane: int, tpc: int) -> str:
    """Row of the §1.5 response table for an image plane: 'U' or 'V' (induction) or 'Y' (collection)."""
    if detector.planes[plane].collection:
        return "Y"
    return "U" if plane_position(detector, plane, tpc) == 0 else "V"


def padded_wires(detector: Detector, multiple: int = 128) -> int:
    """Common image width of all planes: the most wires, rounded up (SBND 1984 → 2048)."""
    most = max(pl.n_wires for pl in detector.planes)
    return -(-most // multiple) * multiple
