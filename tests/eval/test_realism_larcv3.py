"""Per-plane realism quantities of SBND-style full readouts, on a hand-made plane whose answers are counted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from argonet.errors import FormatError
from argonet.eval.realism_larcv3 import (QUANTITIES, PlaneSample, agrees, compare_medians, load_reference,
                                         markdown_table, neutrino_sample, plane_statistics)

SHAPE = (64, 40)


def hand_plane() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cosmic over wires 10-29 (ticks 5-7, 40 ADC), a neutrino on wires 40-44 (tick 30, 35 ADC),
    one background pixel beside the cosmic (12, 9), a background pair far away (60, 35-36), one pixel below 5."""
    pixels = [(w, t, 40.0, 1) for w in range(10, 30) for t in (5, 6, 7)]
    pixels += [(w, 30, 35.0, 2) for w in range(40, 45)]
    pixels += [(12, 9, 6.0, 0), (60, 35, 5.5, 0), (60, 36, 7.0, 0), (0, 0, 3.0, 0)]
    wire, tick, value, label = (np.array(c) for c in zip(*pixels))
    order = np.random.default_rng(0).permutation(len(wire))         # file order need not be sorted
    return (wire * SHAPE[1] + tick)[order], value[order], label[order].astype(np.float32)


def test_hand_plane_counted():
    s = plane_statistics(*hand_plane(), SHAPE)
    assert set(s) == set(QUANTITIES)
    assert (s["stored_pixels"], s["background_pixels"], s["cosmic_pixels"], s["neutrino_pixels"]) == (68, 3, 60, 5)
    assert s["charge_min"] == 5.5 and s["cosmic_charge"] == 40 and s["neutrino_charge"] == 35
    assert s["charge_p50"] == 40 and s["charge_p10"] == 35
    assert s["isolated_background"] == pytest.approx(1 / 3)        # (12, 9): nearest stored pixel 2 ticks away
    assert s["halo_fraction"] == pytest.approx(1 / 3)              # (12, 9) is within ±2 wires, ±3 ticks
    assert s["far_background"] == 2                                # the pair is 16 wires from the neutrino
    assert s["background_wires_half"] == 1                         # wire 60 holds 2 of 3
    assert s["cosmic_run_ticks"] == 3.0 and s["cosmic_tracks"] == 1   # the 5-pixel neutrino is no cosmic track


def test_empty_plane_and_medians():
    empty = plane_statistics(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), SHAPE)
    assert empty["stored_pixels"] == 0 and np.isnan(empty["cosmic_charge"]) and empty["cosmic_tracks"] == 0
    sample = PlaneSample()
    sample.add([plane_statistics(*hand_plane(), SHAPE), empty])
    sample.add([plane_statistics(*hand_plane(), SHAPE), empty])
    medians = sample.medians()
    assert medians["stored_pixels"] == [68, 0] and medians["cosmic_charge"] == [40, None]
    with pytest.raises(Exception, match="1 planes in a sample of 2-plane events"):
        sample.add([empty])


def test_ratios_ranges_and_table():
    real = {"stored_pixels": [100, [10, 20]], "cosmic_tracks": [None, 4]}
    sim = {"stored_pixels": [125, 26], "cosmic_tracks": [3, 6]}
    c = compare_medians(real, sim, 0.30)
    first, second = c["quantities"]["stored_pixels"]
    assert first["ratio"] == pytest.approx(1.25) and first["within"]
    assert second["ratio"] == pytest.approx(26 / 15) and second["within"]       # 26 <= 20 * 1.3
    assert c["quantities"]["cosmic_tracks"][0]["within"] is None and not c["quantities"]["cosmic_tracks"][1]["within"]
    assert (c["n_checked"], c["n_within"]) == (3, 2)
    assert not agrees([10, 20], 6.9, 0.3) and agrees([10, 20], 7.0, 0.3)
    table = markdown_table(c, ("U", "V"))
    assert "| stored pixels (charge ≥ 5) | 100 | 125 | 1.25 ✓ | 10–20 | 26 | 1.73 ✓ |" in table
    assert table.endswith("2 of 3 within 30 % (✓ within, ✗ not)")


def test_reference_committed_and_checked(tmp_path):
    ref = load_reference("sbnd")
    assert set(ref["medians"]) == set(QUANTITIES) and "cosmic-tagging" in ref["source"]
    assert ref["medians"]["stored_pixels"] == [23400, 23600, 10200]
    assert all(len(v) == 3 for v in ref["medians"].values())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"medians": {"pixels": [1, 2, 3]}}))
    with pytest.raises(FormatError, match="unknown: \\['pixels'\\]"):
        load_reference(str(bad))
    with pytest.raises(FormatError, match="no reference 'lariat'"):
        load_reference("lariat")


def test_neutrino_sample():
    s = neutrino_sample(np.array([14, -14, 12, 14]), np.array([0, 1, 0, 0]), np.array([0.5, 1.0, 1.5, 2.0]))
    assert s["n_events"] == 4 and s["cc_fraction"] == 0.75 and s["nue_fraction"] == 0.25
    assert s["energy_GeV_median"] == 1.25 and s["energy_GeV_p16"] < 1.0 < s["energy_GeV_p84"]
    assert neutrino_sample(np.zeros(0), np.zeros(0), np.zeros(0)) == {"n_events": 0}
