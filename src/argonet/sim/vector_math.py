"""Compiled 3-vector and Lorentz helpers for transport: rotations, boosts, box distances.

Directions are unit vectors (ux, uy, uz); energies and momenta MeV; lengths cm.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from argonet.sim.draws import normal_pair


@njit(cache=True)
def rotate(ux, uy, uz, cos_theta, phi):
    """The direction at polar angle theta and azimuth phi around (ux, uy, uz)."""
    sin_theta = np.sqrt(max(0.0, 1.0 - cos_theta * cos_theta))
    # an orthonormal pair (a, b) perpendicular to u
    if abs(uz) < 0.9:
        norm = np.sqrt(ux * ux + uy * uy)
        ax, ay, az = -uy / norm, ux / norm, 0.0
    else:
        norm = np.sqrt(uy * uy + uz * uz)
        ax, ay, az = 0.0, uz / norm, -uy / norm
    bx, by, bz = uy * az - uz * ay, uz * ax - ux * az, ux * ay - uy * ax
    c, s = sin_theta * np.cos(phi), sin_theta * np.sin(phi)
    vx = cos_theta * ux + c * ax + s * bx
    vy = cos_theta * uy + c * ay + s * by
    vz = cos_theta * uz + c * az + s * bz
    inv = 1.0 / np.sqrt(vx * vx + vy * vy + vz * vz)
    return vx * inv, vy * inv, vz * inv


@njit(cache=True, inline="always")
def scatter(state, ux, uy, uz, sigma_rad):
    """Turn a direction by two independent Gaussian projected angles of width sigma_rad."""
    tx, ty = normal_pair(state)
    theta = sigma_rad * np.sqrt(tx * tx + ty * ty)
    if theta == 0.0:
        return ux, uy, uz
    return rotate(ux, uy, uz, np.cos(min(theta, np.pi)), np.arctan2(ty, tx))


@njit(cache=True, inline="always")
def two_body_momentum(mass_MeV, m1_MeV, m2_MeV):
    """Daughter momentum (MeV/c) of a two-body decay at rest."""
    s = mass_MeV * mass_MeV
    arg = (s - (m1_MeV + m2_MeV) ** 2) * (s - (m1_MeV - m2_MeV) ** 2)
    return np.sqrt(max(arg, 0.0)) / (2.0 * mass_MeV)


@njit(cache=True)
def boost(energy_MeV, px, py, pz, bx, by, bz):
    """Lorentz-boost the 4-vector (E, p) by the velocity (bx, by, bz) (units of c)."""
    b2 = bx * bx + by * by + bz * bz
    if b2 <= 0.0:
        return energy_MeV, px, py, pz
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = bx * px + by * py + bz * pz
    k = (gamma - 1.0) * bp / b2 + gamma * energy_MeV
    return gamma * (energy_MeV + bp), px + k * bx, py + k * by, pz + k * bz


@njit(cache=True)
def distance_to_exit(box, x, y, z, ux, uy, uz):
    """Path length (cm) from a point inside box = (xmin, ymin, zmin, xmax, ymax, zmax) to its surface."""
    d = np.inf
    pos = (x, y, z)
    u = (ux, uy, uz)
    for axis in range(3):
        if u[axis] > 0.0:
            d = min(d, (box[axis + 3] - pos[axis]) / u[axis])
        elif u[axis] < 0.0:
            d = min(d, (box[axis] - pos[axis]) / u[axis])
    return max(d, 0.0)


@njit(cache=True, inline="always")
def distance_to_entry(box, x, y, z, ux, uy, uz):
    """Path length to where a straight line from (x, y, z) enters the box; -1 if it never does."""
    near, far = 0.0, np.inf
    pos = (x, y, z)
    u = (ux, uy, uz)
    for axis in range(3):
        lo, hi = box[axis], box[axis + 3]
        if u[axis] == 0.0:
            if pos[axis] < lo or pos[axis] > hi:
                return -1.0
            continue
        t1, t2 = (lo - pos[axis]) / u[axis], (hi - pos[axis]) / u[axis]
        near = max(near, min(t1, t2))
        far = min(far, max(t1, t2))
    return near if near < far else -1.0
