"""Drift of the ionisation charge to the anode of its TPC (lartpc-physics.md §2.3-§2.5, §8 step 4).

Each deposit's electrons drift along x to the anode of the TPC that contains it (SBND: x < 0
to the anode at −201 cm, x > 0 to the one at +201 cm). On the way they are attenuated by
attachment, exp(−t_d/τ), and spread by diffusion, σ = √(2·D·t_d) along (L) and across (T)
the drift. Deposits outside every drift volume produce no signal and are dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from argonet.conf.sim import ResponseConfig
from argonet.sim.deposits import Deposits
from argonet.sim.detector import Detector
from argonet.sim.ionization import electrons
from argonet.sim.readout import drift_distance_cm, plane_gap_us, tpc_index

_SECONDS_PER_US = 1e-6
_US_PER_NS = 1e-3


@dataclass
class DriftedCharge:
    """Charge of each deposit at its anode (structure of arrays, one row per kept deposit)."""

    tpc: np.ndarray             # int8 drift volume
    y_cm: np.ndarray            # transverse position (unchanged by the drift)
    z_cm: np.ndarray
    charge_e: np.ndarray        # electrons reaching the anode: recombination and lifetime applied
    anode_time_us: np.ndarray   # deposit time + drift time to the first plane, from the trigger
    drift_us: np.ndarray        # drift time to the first plane
    sigma_long_cm: np.ndarray   # longitudinal diffusion σ_L = √(2 D_L t_d)
    sigma_trans_cm: np.ndarray  # transverse diffusion σ_T = √(2 D_T t_d)
    label: np.ndarray           # uint8 semantic·8 + kind of the deposit

    def __len__(self) -> int:
        return len(self.charge_e)

    def arrival_us(self, detector: Detector, plane: int) -> np.ndarray:
        """Arrival time at an image plane: one plane gap of extra drift per plane already passed."""
        gap_us = np.array([plane_gap_us(detector, plane, k) for k in range(detector.n_tpcs)])
        return self.anode_time_us + gap_us[self.tpc]


def label_code(semantic: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Pack a (Semantic, ParticleKind) pair into one byte: semantic·8 + kind."""
    return (semantic.astype(np.uint8) << 3) | (kind.astype(np.uint8) & 7)


def electron_lifetime_us(detector: Detector, response: ResponseConfig | None) -> float:
    """The configured lifetime, or the detector preset's when the config leaves it unset."""
    if response is not None and response.electron_lifetime_us is not None:
        return float(response.electron_lifetime_us)
    return float(detector.electron_lifetime_us)


def drift(deposits: Deposits, detector: Detector, response: ResponseConfig | None = None,
          recombination: str = "modbox") -> DriftedCharge:
    """Ionise, attenuate and diffuse every deposit on its way to the anode of its TPC."""
    charge_e = electrons(deposits, detector.drift_field_kV_per_cm, recombination)
    tpc = tpc_index(deposits.x_cm, detector)
    keep = (tpc >= 0) & (charge_e > 0)
    tpc = tpc[keep]
    drift_cm = drift_distance_cm(deposits.x_cm[keep], tpc, detector).astype(np.float64)
    drift_us = drift_cm / detector.drift_velocity_cm_per_us
    survive = np.exp(-drift_us / electron_lifetime_us(detector, response))
    drift_s = drift_us * _SECONDS_PER_US
    return DriftedCharge(
        tpc=tpc,
        y_cm=deposits.y_cm[keep].astype(np.float64),
        z_cm=deposits.z_cm[keep].astype(np.float64),
        charge_e=charge_e[keep] * survive,
        anode_time_us=np.asarray(deposits.t_ns[keep], np.float64) * _US_PER_NS + drift_us,
        drift_us=drift_us,
        sigma_long_cm=np.sqrt(2.0 * detector.diffusion_long_cm2_per_s * drift_s),
        sigma_trans_cm=np.sqrt(2.0 * detector.diffusion_trans_cm2_per_s * drift_s),
        label=label_code(deposits.semantic[keep], deposits.kind[keep]),
    )
