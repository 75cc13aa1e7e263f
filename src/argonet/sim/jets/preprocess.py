"""Jet images as the field makes them (de Oliveira et al., JHEP 07 (2016) 069): translate the jet to
its leading subjet (or its axis), rotate the second subjet (or the principal axis) straight down,
mirror so that the right half holds more pT, pixelise in (y', phi'); pixels hold pT in GeV, or
pT over the jet pT (the normalised images, which drop the absolute scale and so part of the mass).

Coordinates are x = y' (rapidity, as FastJet measures angles: the pseudorapidity of near-massless
hadrons) and y = phi', relative to the centre; an image is ``image[row, column]`` with the row
along y and the column along x, both from -w to +w, so the pixel (i, j) covers y in
[-w + i p, -w + (i+1) p) and x in [-w + j p, -w + (j+1) p) with p = 2w / pixels.
"""

from __future__ import annotations

import numpy as np

EDGE_TOLERANCE = 1e-9      # in pixels


def pt_rap_phi(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transverse momentum (GeV), rapidity and azimuth of (n, 4) rows: for sums of momenta (jets,
    subjets) rapidity is the boost-invariant centre; their pseudorapidity is pushed outwards by the mass."""
    p4 = np.asarray(p4, np.float64).reshape(-1, 4)
    with np.errstate(divide="ignore", invalid="ignore"):     # along the beam: +-inf
        rap = 0.5 * np.log((p4[:, 3] + p4[:, 2]) / (p4[:, 3] - p4[:, 2]))
    return np.hypot(p4[:, 0], p4[:, 1]), rap, np.arctan2(p4[:, 1], p4[:, 0])


def wrap_phi(dphi: np.ndarray | float) -> np.ndarray:
    """An azimuth difference folded into [-pi, pi)."""
    return (np.asarray(dphi, np.float64) + np.pi) % (2 * np.pi) - np.pi


def delta_r(rap1, phi1, rap2, phi2) -> np.ndarray:
    """Distance in (rapidity, phi), azimuth wrapped."""
    return np.hypot(np.asarray(rap1) - rap2, wrap_phi(np.asarray(phi1) - phi2))


def relative(rap: np.ndarray, phi: np.ndarray, rap0: float, phi0: float) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) = (rap - rap0, phi - phi0 wrapped): the jet seen from the centre (rap0, phi0)."""
    return np.asarray(rap, np.float64) - rap0, wrap_phi(np.asarray(phi, np.float64) - phi0)


def rotate_down(x: np.ndarray, y: np.ndarray, direction: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Rotate the plane about the origin so that ``direction`` points straight down (0, -1);
    a zero direction leaves the points as they are."""
    dx, dy = float(direction[0]), float(direction[1])
    norm = np.hypot(dx, dy)
    if norm == 0.0:
        return np.asarray(x, np.float64), np.asarray(y, np.float64)
    # the rotation taking the unit vector u = (ux, uy) to (0, -1): x' = -uy x + ux y, y' = -ux x - uy y
    ux, uy = dx / norm, dy / norm
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return -uy * x + ux * y, -ux * x - uy * y


def principal_direction(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """The major axis of the w-weighted second moments about the origin, signed towards the side
    holding more w; (0, 0) for a round or empty jet."""
    w = np.asarray(w, np.float64)
    if w.sum() <= 0:
        return 0.0, 0.0
    sxx, syy, sxy = (w * x * x).sum(), (w * y * y).sum(), (w * x * y).sum()
    values, vectors = np.linalg.eigh(np.array([[sxx, sxy], [sxy, syy]]))
    if np.isclose(values[0], values[1]):
        return 0.0, 0.0
    u = vectors[:, int(np.argmax(values))]
    along = x * u[0] + y * u[1]
    if w[along < 0].sum() > w[along > 0].sum():
        u = -u
    return float(u[0]), float(u[1])


def flip_right(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x mirrored (x -> -x) when the left half (x < 0) holds more w than the right half."""
    x = np.asarray(x, np.float64)
    return -x if w[x < 0].sum() > w[x > 0].sum() else x


def pixelise(x: np.ndarray, y: np.ndarray, w: np.ndarray, pixels: int, half_width: float) -> np.ndarray:
    """(pixels, pixels) float32 sums of w over the grid of [-w, w]^2 (rows along y); points outside are dropped."""
    pitch = 2.0 * half_width / pixels
    # points on a pixel edge (the centre particle, rounded to +-1e-17) go to the upper pixel
    col = np.floor(np.asarray(x, np.float64) / pitch + pixels / 2 + EDGE_TOLERANCE).astype(np.int64)
    row = np.floor(np.asarray(y, np.float64) / pitch + pixels / 2 + EDGE_TOLERANCE).astype(np.int64)
    inside = (col >= 0) & (col < pixels) & (row >= 0) & (row < pixels)
    flat = np.bincount(row[inside] * pixels + col[inside], weights=np.asarray(w, np.float64)[inside],
                       minlength=pixels * pixels)
    return flat.reshape(pixels, pixels).astype(np.float32)


def jet_image(constituents: np.ndarray, centre: tuple[float, float], second: tuple[float, float] | None,
              pixels: int = 20, half_width: float = 0.8, rotate: bool = True, flip: bool = True,
              pt_unit_GeV: float = 1.0, keep: np.ndarray | None = None) -> np.ndarray:
    """The preprocessed image of a jet's (n, 4) constituents.

    ``centre`` is the (rapidity, phi) the image is centred on; ``second`` the (rapidity, phi) of the
    second subjet, which is rotated straight down (None: the principal axis is, pointing to the side
    with more pT). Pixels hold pT / ``pt_unit_GeV`` (the jet pT gives the normalised image).
    ``keep`` (bool per constituent) draws only those, placed as in the whole jet's image (the
    groomed image, pixel for pixel aligned with the full one).
    """
    pt, rap, phi = pt_rap_phi(constituents)
    x, y = relative(rap, phi, *centre)
    if rotate:
        if second is None:
            direction = principal_direction(x, y, pt)
        else:
            direction = (second[0] - centre[0], float(wrap_phi(second[1] - centre[1])))
        x, y = rotate_down(x, y, direction)
    if flip:
        x = flip_right(x, y, pt)
    weight = pt / pt_unit_GeV if keep is None else np.where(keep, pt / pt_unit_GeV, 0.0)
    return pixelise(x, y, weight, pixels, half_width)
