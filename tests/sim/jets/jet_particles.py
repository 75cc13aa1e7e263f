"""Hand-made particles for the jet tests."""

from __future__ import annotations

import numpy as np


def massless(pt, eta, phi) -> np.ndarray:
    """(n, 4) px, py, pz, E in GeV of massless particles of the given pT (GeV), pseudorapidity and azimuth."""
    pt, eta, phi = (np.atleast_1d(np.asarray(v, np.float64)) for v in (pt, eta, phi))
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)], axis=1)
