"""DUNE-CVN-style pixel maps (image.mode=cvn): shapes, 8-bit values, classes, and the charge scale
of a minimum-ionising track against lartpc-physics.md §2.1-§2.2 (W_ion, ModBox recombination)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet import units
from argonet.conf.compose import compose
from argonet.conf.sim import ResponseConfig, SimulateConfig
from argonet.event import Semantic
from argonet.sim.cvn_maps import HIT_AREA_ADC_TICK_PER_ELECTRON, cvn_maps
from argonet.sim.detector import DUNE_FD
from argonet.sim.images import CVN_CHARGE_PER_COUNT
from argonet.sim.pipeline import simulate_event
from hand_deposits import line

QUIET = ResponseConfig(noise=False)


def _dune(classes: str, seed: int = 1) -> SimulateConfig:
    return compose("simulate", SimulateConfig, ["detector=dune_fd", "image.mode=cvn", "generator=dune",
                                                f"generator.classes={classes}", f"seed={seed}"])


def test_cvn_events_are_three_500x500_maps_of_8bit_values_with_labels():
    cfg = _dune("[NUMU_CC]")
    ev = simulate_event(cfg, 0)
    assert ev.truth.class_name == "NUMU_CC" and ev.truth.nu_pdg == 14 and ev.truth.current_type == 0
    assert len(ev.charge) == 3
    for plane, (charge, semantic, kind) in enumerate(zip(ev.charge, ev.semantic, ev.kind)):
        assert charge.meta.shape == (500, 500) and charge.meta.projection_id == plane
        assert charge.index.max() < 500 * 500 and np.all(np.diff(charge.index.astype(np.int64)) > 0)
        assert np.all((charge.value >= 1) & (charge.value <= 255)) and np.all(charge.value == np.round(charge.value))
        assert np.array_equal(semantic.index, charge.index) and np.array_equal(kind.index, charge.index)
        assert np.all(semantic.value == Semantic.NEUTRINO)
        # a 3.2 µs time bin is 0.5 cm of drift; a wire is one pitch
        assert charge.meta.pixel_cm == pytest.approx((DUNE_FD.planes[plane].pitch_cm, 6.4 * 0.5 * 0.1565))
    assert 100 < sum(len(c.index) for c in ev.charge) < 30000


@pytest.mark.parametrize("class_name, nu_pdg, current", [("NUE_CC", 12, 0), ("NUTAU_CC", 16, 0), ("NC", 14, 1)])
def test_cvn_flavour_classes_carry_their_truth(class_name, nu_pdg, current):
    ev = simulate_event(_dune(f"[{class_name}]", seed=2), 0)
    assert (ev.truth.class_name, ev.truth.nu_pdg, ev.truth.current_type) == (class_name, nu_pdg, current)
    assert ev.truth.interaction_type in (1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1091, 1092)
    assert all(c.meta.shape == (500, 500) for c in ev.charge)


def test_mip_track_charge_per_wire_from_w_ion_and_recombination():
    """A 2.1 MeV/cm track along the beam at 46 cm of drift: per Z wire (4.79 mm) 2.1 × 0.479 MeV ×
    42,373 e⁻/MeV × R = 0.704 (ModBox, 500 V/cm, §2.2 table) × exp(−t_d/3 ms) electrons; per U/V wire
    the track runs 4.669 mm / cos 35.7° along z. Each wire gives one hit, all in one time bin,
    valued ceil(q · 5.0e-3 ADC·tick/e⁻ / (1000/255))."""
    deposits = line((50.0, 0.0, 600.0), (50.0, 0.0, 700.0))
    charge, semantic, _ = cvn_maps(deposits, DUNE_FD, QUIET, np.random.default_rng(0), (50.0, 0.0, 600.0))
    survive = math.exp(-(50.0 - 3.95355) / DUNE_FD.drift_velocity_cm_per_us / DUNE_FD.electron_lifetime_us)
    per_cm = 2.1 * units.electrons_per_MeV * 0.704 * survive
    for plane, image in enumerate(charge):
        pl = DUNE_FD.planes[plane]
        along_z_cm = pl.pitch_cm / math.cos(pl.angle_rad)
        expected = math.ceil(per_cm * along_z_cm * HIT_AREA_ADC_TICK_PER_ELECTRON / CVN_CHARGE_PER_COUNT)
        wires, bins = np.divmod(image.index.astype(np.int64), 500)
        assert len(np.unique(wires)) == len(wires)                       # one pixel per wire
        assert len(wires) == pytest.approx(100.0 / along_z_cm, abs=3)
        assert set(bins.tolist()) == {250}                               # all at the mean hit time
        assert wires.min() == 1                                          # the crop starts one wire before
        assert np.median(image.value) == pytest.approx(expected, abs=1)
    assert all(np.all(s.value == Semantic.NEUTRINO) for s in semantic)


def test_cvn_time_axis_is_x_across_the_anode():
    """A track crossing the central APA at x = 0 continues across the map's time axis (the CVN's
    unwrapped time runs with x through both drift volumes); at the APA it jumps by the 7.9 cm dead
    gap between the faces' first planes plus, on the collection view, two plane gaps on each side."""
    deposits = line((-40.0, 0.0, 600.0), (40.0, 0.0, 680.0))
    charge, _, _ = cvn_maps(deposits, DUNE_FD, QUIET, np.random.default_rng(0), (-40.0, 0.0, 600.0))
    wires, bins = np.divmod(charge[2].index.astype(np.int64), 500)
    slope = np.polyfit(wires, bins, 1)[0]
    cm_per_bin = 6.4 * DUNE_FD.tick_us * DUNE_FD.drift_velocity_cm_per_us
    assert slope == pytest.approx(DUNE_FD.planes[2].pitch_cm / cm_per_bin, rel=0.05)    # 45°: one pitch per wire
    gap_bins = np.max(np.diff(bins[np.argsort(wires)]))
    assert gap_bins == pytest.approx(2 * (3.95355 + 2 * DUNE_FD.plane_gap_cm) / cm_per_bin, abs=1.5)


def test_cvn_maps_are_deterministic():
    cfg = _dune("[NC]", seed=5)
    a, b = simulate_event(cfg, 3), simulate_event(cfg, 3)
    for x, y in zip(a.charge, b.charge):
        assert np.array_equal(x.index, y.index) and np.array_equal(x.value, y.value)
