"""Detector presets: wire planes, drift, readout and electronics (lartpc-physics.md §0-§1).

Coordinates follow LArSoft: x = drift, y = up, z = beam. A plane's wires make ``angle_deg``
with the vertical; the wire coordinate is ``w = -y sin(angle) + z cos(angle)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import math

from argonet.errors import ConfigError


@dataclass(frozen=True)
class Plane:
    """One wire plane."""

    name: str
    angle_deg: float          # wire angle from vertical
    pitch_cm: float
    n_wires: int
    collection: bool
    noise_rms_ADC: float      # incoherent noise, raw level
    pedestal_ADC: float

    @property
    def angle_rad(self) -> float:
        """Wire angle from the vertical in radians."""
        return math.radians(self.angle_deg)


@dataclass(frozen=True)
class Detector:
    """A LArTPC: active volume, TPCs, planes, drift and electronics constants."""

    name: str
    planes: tuple[Plane, ...]
    active_min_cm: tuple[float, float, float]
    active_max_cm: tuple[float, float, float]
    anode_x_cm: tuple[float, ...]            # one anode per TPC; cathode between them
    cathode_x_cm: float
    drift_field_kV_per_cm: float
    drift_velocity_cm_per_us: float
    tick_us: float
    readout_ticks: int
    pretrigger_us: float                      # readout starts this long before the trigger
    plane_gap_cm: float
    electron_lifetime_us: float
    diffusion_long_cm2_per_s: float
    diffusion_trans_cm2_per_s: float
    gain_mV_per_fC: float
    adc_fullscale_mV: float
    adc_bits: int
    post_gain: float
    shaping_us: float
    cosmic_window_us: tuple[float, float]     # arrival times that can leave charge in the readout
    tpc_cathodes_x_cm: tuple[float, ...] = ()  # one cathode per TPC when the TPCs share an anode (DUNE FD)

    @property
    def n_tpcs(self) -> int:
        """Number of drift volumes (SBND: 2, sharing a central cathode; DUNE FD: 2, sharing a central anode)."""
        return len(self.anode_x_cm)

    def cathode_of(self, tpc: int) -> float:
        """x of the cathode that closes drift volume ``tpc`` (cm)."""
        return self.tpc_cathodes_x_cm[tpc] if self.tpc_cathodes_x_cm else self.cathode_x_cm

    @property
    def drift_length_cm(self) -> float:
        """Anode-to-cathode distance of one TPC."""
        return abs(self.anode_x_cm[0] - self.cathode_of(0))

    @property
    def max_drift_us(self) -> float:
        """Time for charge to drift from cathode to anode."""
        return self.drift_length_cm / self.drift_velocity_cm_per_us

    @property
    def adc_per_electron(self) -> float:
        """Ideal peak ADC per electron collected instantaneously (§1.5)."""
        return (self.gain_mV_per_fC * 1.602176634e-4 * (2 ** self.adc_bits - 1)
                / self.adc_fullscale_mV * self.post_gain)

    @property
    def center_cm(self) -> tuple[float, float, float]:
        """Centre of the active volume."""
        return tuple((a + b) / 2 for a, b in zip(self.active_min_cm, self.active_max_cm))


def _planes(angle: float, pitch: float, n_uvy: tuple[int, int, int], noise: tuple[float, float],
            pedestal: tuple[float, float]) -> tuple[Plane, ...]:
    """U (+angle), V (-angle) induction and vertical Y collection planes."""
    nu, nv, ny = n_uvy
    return (
        Plane("U", +angle, pitch, nu, False, noise[0], pedestal[0]),
        Plane("V", -angle, pitch, nv, False, noise[0], pedestal[0]),
        Plane("Y", 0.0, pitch, ny, True, noise[1], pedestal[1]),
    )


SBND = Detector(
    name="sbnd",
    planes=_planes(60.0, 0.3, (1984, 1984, 1664), (2.45, 1.94), (2000.0, 650.0)),
    active_min_cm=(-201.0, -200.0, 0.0),
    active_max_cm=(201.0, 200.0, 500.0),
    anode_x_cm=(-201.0, 201.0),
    cathode_x_cm=0.0,
    drift_field_kV_per_cm=0.500,
    drift_velocity_cm_per_us=0.1563,
    tick_us=0.5,
    readout_ticks=3400,
    pretrigger_us=200.0,
    plane_gap_cm=0.3,
    electron_lifetime_us=10_000.0,
    diffusion_long_cm2_per_s=4.0,
    diffusion_trans_cm2_per_s=8.8,
    gain_mV_per_fC=14.0,
    adc_fullscale_mV=1800.0,
    adc_bits=12,
    post_gain=1.0,
    shaping_us=2.0,
    cosmic_window_us=(-1700.0, 1500.0),
)

MICROBOONE = Detector(
    name="microboone",
    planes=_planes(60.0, 0.3, (2400, 2400, 3456), (2.2, 1.9), (2046.0, 473.0)),
    active_min_cm=(0.0, -116.5, 0.0),
    active_max_cm=(256.0, 116.5, 1037.0),
    anode_x_cm=(0.0,),
    cathode_x_cm=256.0,
    drift_field_kV_per_cm=0.2739,
    drift_velocity_cm_per_us=0.1098,
    tick_us=0.5,
    readout_ticks=9600,
    pretrigger_us=1600.0,
    plane_gap_cm=0.3,
    electron_lifetime_us=1_000_000.0,
    diffusion_long_cm2_per_s=3.74,
    diffusion_trans_cm2_per_s=9.8,
    gain_mV_per_fC=14.0,
    adc_fullscale_mV=2000.0,
    adc_bits=12,
    post_gain=1.2,
    shaping_us=2.0,
    cosmic_window_us=(-3930.0, 3200.0),
)

LARIAT = Detector(
    name="lariat",
    planes=(
        Plane("U", +30.0, 0.4, 240, False, 2.0, 2000.0),
        Plane("Y", -30.0, 0.4, 240, True, 1.6, 650.0),
    ),
    active_min_cm=(0.0, -20.0, 0.0),
    active_max_cm=(47.0, 20.0, 90.0),
    anode_x_cm=(0.0,),
    cathode_x_cm=47.0,
    drift_field_kV_per_cm=0.4865,
    drift_velocity_cm_per_us=0.1506,
    tick_us=0.128,
    readout_ticks=3072,
    pretrigger_us=0.0,
    plane_gap_cm=0.4,
    electron_lifetime_us=10_000.0,
    diffusion_long_cm2_per_s=4.0,
    diffusion_trans_cm2_per_s=8.8,
    gain_mV_per_fC=14.0,
    adc_fullscale_mV=1800.0,
    adc_bits=12,
    post_gain=1.0,
    shaping_us=2.0,
    cosmic_window_us=(-312.0, 393.0),
)

# DUNE far detector, horizontal drift, as the 1x2x6 workspace of the CVN paper's simulation: one
# row of APAs at x = 0 read on both faces, cathodes at x = ±3.63 m, 2 APAs (12 m) high, 6 APAs
# (13.9 m) long. Sources: [D1] DUNE FD TDR Vol. IV, arXiv:2002.03008 (APA: U/V induction wires
# ±35.7° from vertical, pitch 4.669 mm; X collection pitch 4.790 mm; 480 collection channels per
# face; 500 V/cm; 3.5 m nominal drift; 2 MHz sampling); [D2] WireCell/wire-cell-toolkit
# cfg/pgrapher/experiment/dune10kt-1x2x6/params.jsonnet and simparams.jsonnet (APA-CPA 3.63075 m,
# plane gap 4.76 mm, U/V/X planes 39.54/34.78/30.02 mm from the APA centre line, active bounds
# x ±363.4, y ±600.0, z -0.9..1393.5 cm, 14 mV/fC, 2.2 µs shaping, ADC 0.2-1.6 V, post-gain 1.1365,
# 6000-tick readout, v_d 1.565 mm/µs, D_L 4.0 and D_T 8.8 cm²/s); [D3] ProtoDUNE-SP performance,
# JINST 15 P12004 (2020), arXiv:2007.06722: ENC ≈ 650 e⁻ induction / 550 e⁻ collection after
# noise filtering (recalled, unverified); electron lifetime 3 ms = the TDR's minimum requirement
# (recalled, unverified). U/V wire counts are those of one idealised (unwrapped) plane over the
# whole face, N = (H sin θ + L cos θ)/p = 3925; collection: 6 APAs × 480 = 2880 wires.
DUNE_FD_INDUCTION_PITCH_CM = 0.4669              # [D1]
DUNE_FD_COLLECTION_PITCH_CM = 0.4790             # [D1]
DUNE_FD_INDUCTION_ANGLE_DEG = 35.7               # [D1]
DUNE_FD_ANODE_X_CM = 3.95355                     # first (U) plane from the APA centre line [D2]
DUNE_FD_CATHODE_X_CM = 363.075 - 0.15875         # APA-CPA minus half the 3.175 mm cathode [D2]
DUNE_FD_ADC_PER_ELECTRON = 14.0 * 1.602176634e-4 * 4095 / 1400.0 * 1.1365   # 7.46e-3, §1.5 formula with [D2]
DUNE_FD = Detector(
    name="dune_fd",
    planes=(
        Plane("U", +DUNE_FD_INDUCTION_ANGLE_DEG, DUNE_FD_INDUCTION_PITCH_CM, 3925, False,
              650.0 * DUNE_FD_ADC_PER_ELECTRON, 2350.0),
        Plane("V", -DUNE_FD_INDUCTION_ANGLE_DEG, DUNE_FD_INDUCTION_PITCH_CM, 3925, False,
              650.0 * DUNE_FD_ADC_PER_ELECTRON, 2350.0),
        Plane("Z", 0.0, DUNE_FD_COLLECTION_PITCH_CM, 2880, True, 550.0 * DUNE_FD_ADC_PER_ELECTRON, 900.0),
    ),
    active_min_cm=(-DUNE_FD_CATHODE_X_CM, -600.019, -0.87625),
    active_max_cm=(DUNE_FD_CATHODE_X_CM, 600.019, 1393.46),
    anode_x_cm=(-DUNE_FD_ANODE_X_CM, DUNE_FD_ANODE_X_CM),
    cathode_x_cm=-DUNE_FD_CATHODE_X_CM,
    tpc_cathodes_x_cm=(-DUNE_FD_CATHODE_X_CM, DUNE_FD_CATHODE_X_CM),
    drift_field_kV_per_cm=0.500,
    drift_velocity_cm_per_us=0.1565,
    tick_us=0.5,
    readout_ticks=6000,
    pretrigger_us=250.0,
    plane_gap_cm=0.476,
    electron_lifetime_us=3000.0,
    diffusion_long_cm2_per_s=4.0,
    diffusion_trans_cm2_per_s=8.8,
    gain_mV_per_fC=14.0,
    adc_fullscale_mV=1400.0,
    adc_bits=12,
    post_gain=1.1365,
    shaping_us=2.2,
    cosmic_window_us=(-2550.0, 2750.0),
)

PRESETS: dict[str, Detector] = {d.name: d for d in (SBND, MICROBOONE, LARIAT, DUNE_FD)}


def get_detector(name: str, **overrides) -> Detector:
    """A preset by name, with optional field overrides (e.g. electron_lifetime_us)."""
    if name not in PRESETS:
        raise ConfigError("detector", f"unknown detector {name!r}", PRESETS)
    det = PRESETS[name]
    unknown = set(overrides) - set(det.__dataclass_fields__)
    if unknown:
        raise ConfigError("detector", f"unknown field(s) {sorted(unknown)}")
    return replace(det, **overrides) if overrides else det
