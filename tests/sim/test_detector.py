"""Detector presets against the published geometry and electronics (sources in sim/detector.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.conf.sim import ImageConfig
from argonet.errors import ConfigError
from argonet.sim.detector import DUNE_FD, SBND, get_detector
from argonet.sim.images import plane_windows
from argonet.sim.readout import drift_distance_cm, plane_position, plane_role, tpc_index


def test_dune_fd_wire_planes_match_the_tdr():
    """DUNE FD TDR Vol. IV: U/V induction at ±35.7° from vertical with 4.669 mm pitch, X (collection)
    vertical with 4.790 mm pitch, 480 collection wires per APA face and 6 APAs along the beam."""
    u, v, z = DUNE_FD.planes
    assert (u.angle_deg, v.angle_deg, z.angle_deg) == (35.7, -35.7, 0.0)
    assert (u.pitch_cm, v.pitch_cm, z.pitch_cm) == (0.4669, 0.4669, 0.4790)
    assert (u.collection, v.collection, z.collection) == (False, False, True)
    assert z.n_wires == 6 * 480
    # one unwrapped induction plane over the 12.0 m x 13.9 m face: N = (H sin θ + L cos θ) / p
    height = DUNE_FD.active_max_cm[1] - DUNE_FD.active_min_cm[1]
    length = DUNE_FD.active_max_cm[2] - DUNE_FD.active_min_cm[2]
    assert height == pytest.approx(1200.0, abs=1.0) and length == pytest.approx(1394.3, abs=1.0)
    theta = math.radians(35.7)
    assert u.n_wires == round((height * math.sin(theta) + length * math.cos(theta)) / 0.4669)


def test_dune_fd_drift_and_readout_match_the_tdr():
    """500 V/cm, 3.5 m nominal drift (3.59 m from the first wire plane to the cathode in the 1x2x6
    geometry: APA-CPA 3.63075 m), drift time 2.2-2.3 ms at 1.565 mm/µs, 2 MHz sampling, 3 ms readout."""
    assert DUNE_FD.drift_field_kV_per_cm == 0.5
    assert DUNE_FD.tick_us == 0.5
    assert DUNE_FD.drift_length_cm == pytest.approx(359.0, abs=0.5)
    assert 3.5 <= DUNE_FD.drift_length_cm / 100 <= 3.64
    assert DUNE_FD.max_drift_us == pytest.approx(2294.0, abs=5.0)
    assert DUNE_FD.readout_ticks * DUNE_FD.tick_us >= DUNE_FD.max_drift_us
    assert DUNE_FD.plane_gap_cm == 0.476
    assert (DUNE_FD.diffusion_long_cm2_per_s, DUNE_FD.diffusion_trans_cm2_per_s) == (4.0, 8.8)


def test_dune_fd_electronics():
    """14 mV/fC, 2.2 µs shaping, 1.4 V ADC range: §1.5 gives 7.46e-3 ADC per electron with the 1.1365
    post-gain, i.e. 41.6 ADC·tick per 1000 e⁻ of collection area (Wire-Cell's pulser calibration)."""
    assert DUNE_FD.gain_mV_per_fC == 14.0 and DUNE_FD.shaping_us == 2.2
    assert DUNE_FD.adc_per_electron == pytest.approx(7.46e-3, rel=2e-3)
    area_ticks = 2.54 * DUNE_FD.shaping_us / 2.0 / DUNE_FD.tick_us      # §1.5: area/peak = 2.54 µs at 2 µs
    assert DUNE_FD.adc_per_electron * area_ticks * 1000 == pytest.approx(41.6, rel=0.01)
    # ENC 650 e⁻ (induction) and 550 e⁻ (collection) as raw ADC noise
    u, _, z = DUNE_FD.planes
    assert u.noise_rms_ADC / DUNE_FD.adc_per_electron == pytest.approx(650.0)
    assert z.noise_rms_ADC / DUNE_FD.adc_per_electron == pytest.approx(550.0)


def test_dune_fd_volumes_share_the_central_anode():
    """Two drift volumes on either side of the APA row at x = 0, each drifting away from its cathode;
    the 7.9 cm between the first planes of the two faces is dead."""
    x = np.array([-300.0, -10.0, -2.0, 0.0, 2.0, 10.0, 300.0, 370.0])
    assert tpc_index(x, DUNE_FD).tolist() == [0, 0, -1, -1, -1, 1, 1, -1]
    assert drift_distance_cm(np.array([-300.0, 300.0]), np.array([0, 1]), DUNE_FD) == pytest.approx(
        [300.0 - 3.95355] * 2)
    assert [DUNE_FD.cathode_of(k) for k in (0, 1)] == pytest.approx([-362.916, 362.916], abs=1e-3)
    # the wires at +35.7° are the first plane reached in one volume and the second in the other:
    # the U/V swap the CVN pixel maps make for one drift direction
    assert [plane_position(DUNE_FD, 0, k) for k in (0, 1)] == [1, 0]
    assert [plane_role(DUNE_FD, 2, k) for k in (0, 1)] == ["Y", "Y"]


def test_shared_cathode_presets_are_unchanged():
    assert SBND.cathode_of(0) == SBND.cathode_of(1) == 0.0
    assert SBND.drift_length_cm == 201.0


def test_dune_fd_by_name_and_full_images_refused():
    assert get_detector("dune_fd") is DUNE_FD
    assert get_detector("dune_fd", electron_lifetime_us=10_000.0).electron_lifetime_us == 10_000.0
    with pytest.raises(ConfigError, match="^image.mode: full images of dune_fd"):
        plane_windows(DUNE_FD, ImageConfig(mode="full"))
    crops = plane_windows(DUNE_FD, ImageConfig(mode="crop"), vertex_cm=(100.0, 0.0, 700.0))
    assert [w.meta.shape for w in crops] == [(256, 256)] * 3
