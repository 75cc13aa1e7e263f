"""Wire signals at the raw level: the §1.5 field ⊗ electronics response and digitised waveforms.

The response table of lartpc-physics.md §1.5 (normalised to the collection peak, t = 0 at
that peak) is used on every plane: linear interpolation to the detector tick, the own-wire
row and the ±1 neighbour row. Two conventions:

* Timing: a plane's response is placed relative to the time the charge reaches *that* plane;
  the table's U and V rows are shifted by the two and one plane gaps it was computed with.
  The collection response of a point charge peaks at its arrival tick (the electronics and
  field delay is calibrated out), which keeps raw and signal-processed images aligned.
* Net charge: the table stops at −8 µs although the induction rows have not returned to
  zero, so their integrals are off by up to 13 % of the lobes. A non-collecting wire carries
  no net induced charge (Shockley–Ramo), so each row that starts non-zero (U and V, own wire
  and neighbours) is continued before −8 µs by an exponential tail whose area cancels the net
  integral (decay 4.7 µs for U, 4.75 µs for V, 8.3 and 5.0 µs for their neighbour rows): the
  slow signal of charge approaching from far. The collection neighbour row starts at zero and
  is used as tabulated (net −6 % of its lobes).

Absolute scale: the table peak is 0.87 of an ideal instantaneous collection (§1.5), so a
point charge of q e⁻ on the collection plane peaks at 0.87·q·adc_per_electron ADC.
"""

from __future__ import annotations

from functools import lru_cache
import math

import numpy as np

from argonet import units
from argonet.sim.detector import Detector
from argonet.sim.noise import analog_noise_rms, convolve_ticks, electronics_noise, group_noise
from argonet.sim.readout import plane_role

_TABLE_T_US = np.asarray(units.field_response_t_us)
_GAPS_BEFORE_COLLECTION = {"U": 2, "V": 1, "Y": 0}   # plane gaps between that plane and Y in the table
_TAIL_LENGTH = 6.0                                  # exponential tails are cut after this many decays


def tail_decay_us(role: str, neighbour: int) -> float:
    """Decay time of the leading tail that makes a non-collecting response integrate to zero (0: none)."""
    values = np.asarray(units.field_response_rows[(role, neighbour)])
    net = float(np.sum(0.5 * (values[1:] + values[:-1]) * np.diff(_TABLE_T_US)))
    if (role == "Y" and neighbour == 0) or values[0] <= 0.0 or net >= 0.0:
        return 0.0
    return -net / values[0]


def response_shape(role: str, neighbour: int, t_us: np.ndarray) -> np.ndarray:
    """Response (collection peak = 1) at times relative to the charge's arrival at the plane."""
    values = np.asarray(units.field_response_rows[(role, neighbour)])
    t_table = np.asarray(t_us, dtype=np.float64) - _GAPS_BEFORE_COLLECTION[role] * units.field_response_gap_us
    shape = np.interp(t_table, _TABLE_T_US, values, left=0.0, right=0.0)
    decay = tail_decay_us(role, neighbour)
    if decay > 0:
        before = (t_table < _TABLE_T_US[0]) & (t_table > _TABLE_T_US[0] - _TAIL_LENGTH * decay)
        shape[before] = values[0] * np.exp((t_table[before] - _TABLE_T_US[0]) / decay)
    return shape


@lru_cache(maxsize=32)
def response_kernels(detector: Detector, role: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(own wire, ±1 neighbour) responses sampled at the detector tick, and the index of arrival (t = 0)."""
    shift_us = _GAPS_BEFORE_COLLECTION[role] * units.field_response_gap_us
    tail_us = _TAIL_LENGTH * max(tail_decay_us(role, 0), tail_decay_us(role, 1))
    first_tick = math.floor((_TABLE_T_US[0] + shift_us - tail_us) / detector.tick_us)
    last_tick = math.ceil((_TABLE_T_US[-1] + shift_us) / detector.tick_us)
    t_us = np.arange(first_tick, last_tick + 1) * detector.tick_us
    own = response_shape(role, 0, t_us)
    neighbour = response_shape(role, 1, t_us)
    own.flags.writeable = False
    neighbour.flags.writeable = False
    return own, neighbour, -first_tick


def collection_area_ticks(detector: Detector) -> float:
    """Area of the collection response per unit peak, in ticks (§1.5: 2.92 µs = 5.84 SBND ticks)."""
    own, _, _ = response_kernels(detector, "Y")
    return float(np.sum(own))


def peak_adc_per_electron(detector: Detector) -> float:
    """Collection-plane peak ADC of a point charge, per electron (0.87 of the ideal, §1.5)."""
    return detector.adc_per_electron * units.collection_point_charge_peak_fraction


def _convolve_time(charge: np.ndarray, kernel: np.ndarray, zero: int) -> np.ndarray:
    """out[w, t] = Σ_j charge[w, j]·kernel[t − j + zero] over the window of charge."""
    return convolve_ticks(charge, kernel)[:, zero:zero + charge.shape[1]]


def raw_waveforms(charge_e: np.ndarray, detector: Detector, plane: int, *, tpc: int = 0,
                  first_wire: int = 0, rng: np.random.Generator | None = None, noise_scale: float = 1.0,
                  coherent_noise_ADC: float = 0.0, digitise: bool = True, neighbours: bool = True) -> np.ndarray:
    """Raw ADC of consecutive wires (pedestal included) from electrons arriving per (wire, tick).

    Induction planes are bipolar and collection unipolar (the physical response); each wire
    also sees the charge of its ±1 neighbours through the neighbour response unless
    ``neighbours`` is False (the own-wire response alone is what §1.5's worked example uses).
    Noise is added when rng is given (plane RMS × noise_scale, plus coherent noise per 32
    wires); digitise rounds to integer ADC and clips to the ADC range.
    """
    charge = np.atleast_2d(np.asarray(charge_e, dtype=np.float64))
    pl = detector.planes[plane]
    own, neighbour, zero = response_kernels(detector, plane_role(detector, plane, tpc))
    signal = _convolve_time(charge, own, zero)
    if neighbours:
        beside = np.zeros_like(charge)
        beside[1:] += charge[:-1]
        beside[:-1] += charge[1:]
        signal += _convolve_time(beside, neighbour, zero)
    adc = pl.pedestal_ADC + signal * peak_adc_per_electron(detector)
    if rng is not None:
        n_wires, n_ticks = charge.shape
        adc = adc + electronics_noise(n_wires, n_ticks, analog_noise_rms(pl.noise_rms_ADC * noise_scale),
                                      detector, rng)
        adc = adc + group_noise(n_wires, n_ticks, coherent_noise_ADC, first_wire, detector, rng)
    if digitise:
        adc = np.clip(np.rint(adc), 0, 2 ** detector.adc_bits - 1)
    return adc
