"""High-level jet observables: mass, N-subjettiness ratios, energy-correlation ratios, multiplicity.

Angular distances are in (rapidity, azimuth), as FastJet and its contributions measure them; all
observables use angular exponent beta = 1 (the ``_b1`` columns of the hls4ml set).

* N-subjettiness (Thaler, Van Tilburg, JHEP 03 (2011) 015):
  tau_N = sum_i pT_i min_k dR(i, axis_k) / (sum_i pT_i R), axes the N exclusive winner-take-all
  kT subjets;
  tau21 = tau2 / tau1 (two-prong W, Z small), tau32 = tau3 / tau2 (three-prong top small).
* Energy correlation functions (Larkoski, Salam, Thaler, JHEP 06 (2013) 108; Larkoski, Moult, Neill,
  JHEP 12 (2014) 009): e2 = sum_{i<j} z_i z_j dR_ij, e3 = sum_{i<j<k} z_i z_j z_k dR_ij dR_ik dR_jk
  with z = pT / sum pT; C2 = e3 / e2^2, D2 = e3 / e2^3.
"""

from __future__ import annotations

import numpy as np

from argonet.sim.jets.preprocess import delta_r, pt_rap_phi


def invariant_mass(p4: np.ndarray) -> float:
    """Mass in GeV of the summed (n, 4) four-momenta (0 for a space-like rounding error)."""
    px, py, pz, e = np.asarray(p4, np.float64).reshape(-1, 4).sum(axis=0)
    return float(np.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0)))


def nsubjettiness(pt: np.ndarray, rap: np.ndarray, phi: np.ndarray, axes_rap: np.ndarray, axes_phi: np.ndarray,
                  R: float, beta: float = 1.0) -> float:
    """tau_N for the N given axes, normalised by sum pT R^beta; 0 without axes or pT."""
    pt = np.asarray(pt, np.float64)
    if len(axes_rap) == 0 or pt.sum() <= 0:
        return 0.0
    distance = delta_r(np.asarray(rap)[:, None], np.asarray(phi)[:, None], np.asarray(axes_rap)[None, :],
                       np.asarray(axes_phi)[None, :]).min(axis=1)
    return float((pt * distance ** beta).sum() / (pt.sum() * R ** beta))


def energy_correlations(pt: np.ndarray, rap: np.ndarray, phi: np.ndarray, beta: float = 1.0) -> tuple[float, float]:
    """(e2, e3): the normalised two- and three-point energy correlation functions."""
    pt = np.asarray(pt, np.float64)
    if len(pt) < 2 or pt.sum() <= 0:
        return 0.0, 0.0
    z = pt / pt.sum()
    angles = delta_r(np.asarray(rap)[:, None], np.asarray(phi)[:, None], np.asarray(rap)[None, :],
                     np.asarray(phi)[None, :]) ** beta
    np.fill_diagonal(angles, 0.0)
    weighted = z[:, None] * angles          # trace((zW)^3) counts each triplet i, j, k 6 times (W_ii = 0)
    e2 = float(z @ angles @ z / 2.0)
    e3 = float(np.sum((weighted @ weighted) * weighted.T) / 6.0)
    return e2, e3


def c2_d2(pt: np.ndarray, rap: np.ndarray, phi: np.ndarray, beta: float = 1.0) -> tuple[float, float]:
    """(C2, D2) = (e3 / e2^2, e3 / e2^3); (0, 0) for a jet with fewer than two separated particles."""
    e2, e3 = energy_correlations(pt, rap, phi, beta)
    if e2 <= 0:
        return 0.0, 0.0
    return e3 / e2 ** 2, e3 / e2 ** 3


def substructure(constituents: np.ndarray, axes: tuple[np.ndarray, np.ndarray, np.ndarray],
                 R: float) -> dict[str, float]:
    """tau1, tau2, tau3, tau21, tau32, C2, D2 and the multiplicity of a jet's (n, 4) constituents;
    ``axes`` are the 1, 2 and 3 exclusive subjets (as (k, 4) momenta) serving as N-subjettiness axes."""
    pt, rap, phi = pt_rap_phi(constituents)
    tau1, tau2, tau3 = (nsubjettiness(pt, rap, phi, *pt_rap_phi(a)[1:], R) for a in axes)
    c2, d2 = c2_d2(pt, rap, phi)
    return {"tau1": tau1, "tau2": tau2, "tau3": tau3, "tau21": tau2 / tau1 if tau1 > 0 else 0.0,
            "tau32": tau3 / tau2 if tau2 > 0 else 0.0, "c2": c2, "d2": d2, "multiplicity": float(len(pt))}
