"""Hit finding on tick-level signal buffers (the GausHitFinder emulation behind image.mode=cvn)."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.sim.binning import allocate_buffers
from argonet.sim.hits import find_hits

THRESHOLD = 8.0


def _buffers(traces: dict[int, np.ndarray], labels: dict[int, np.ndarray] | None = None, n_ticks: int = 512):
    """Plane buffers holding the given per-wire traces, their blocks flagged as binning does."""
    buffers = allocate_buffers((16, n_ticks))
    for wire, trace in traces.items():
        buffers.value[wire, :len(trace)] = trace
        flagged = np.flatnonzero(trace != 0) >> 4
        buffers.blocks[wire, np.unique(flagged)] = 1
        if labels and wire in labels:
            buffers.label[wire, :len(trace)] = labels[wire]
    return buffers


def _gaussian(n_ticks: int, centre: float, sigma: float, area: float) -> np.ndarray:
    t = np.arange(n_ticks) + 0.5
    return (area / (sigma * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((t - centre) / sigma) ** 2)).astype(np.float32)


def test_one_pulse_gives_one_hit_with_its_whole_area():
    """A Gaussian pulse well above threshold: one hit at its centre holding its area, as a fit gives it
    (the pulse is followed down to a quarter of the threshold: 2.3 σ here, 98 % of the area)."""
    buffers = _buffers({3: _gaussian(512, 200.3, 2.0, 150.0)})
    hits = find_hits(buffers, THRESHOLD)
    assert len(hits) == 1
    assert hits["wire"][0] == 3
    assert hits["tick"][0] == pytest.approx(200.3, abs=0.05)
    assert hits["charge"][0] == pytest.approx(150.0, rel=0.03)
    # the buffers are left zeroed for the next plane
    assert not buffers.value.any() and not buffers.blocks.any() and not buffers.label.any()


def test_pulse_below_threshold_makes_no_hit():
    peak_below = 0.9 * THRESHOLD * 2.0 * np.sqrt(2 * np.pi)        # area of a σ = 2 pulse peaking at 0.9 T
    assert len(find_hits(_buffers({0: _gaussian(512, 100.0, 2.0, peak_below)}), THRESHOLD)) == 0


def test_separate_pulses_on_one_wire_give_separate_hits():
    """Two particles crossing a wire at different times: two hits; two pulses merged into one
    smooth bump (a dip above 60 % of the lower peak): one hit."""
    apart = _gaussian(512, 100.0, 2.0, 150.0) + _gaussian(512, 115.0, 2.0, 100.0)
    hits = find_hits(_buffers({1: apart}), THRESHOLD)
    assert len(hits) == 2
    assert hits["tick"] == pytest.approx([100.0, 115.0], abs=0.3)
    assert hits["charge"] == pytest.approx([150.0, 100.0], rel=0.06)
    merged = _gaussian(512, 100.0, 2.0, 150.0) + _gaussian(512, 103.0, 2.0, 100.0)
    hits = find_hits(_buffers({1: merged}), THRESHOLD)
    assert len(hits) == 1 and hits["charge"][0] == pytest.approx(250.0, rel=0.03)


def test_long_pulse_is_cut_into_ten_tick_hits():
    """A track along the drift leaves a plateau on one wire: too long for one Gaussian, it is cut
    into hits of about 10 ticks, charge conserved, evenly spaced (GausHitFinder's long pulses)."""
    plateau = np.zeros(512, np.float32)
    plateau[100:160] = 20.0
    hits = find_hits(_buffers({2: plateau}), THRESHOLD)
    assert len(hits) == 6
    assert hits["charge"].sum() == pytest.approx(1200.0)
    assert np.diff(hits["tick"]) == pytest.approx(np.full(5, 10.0))
    short = np.zeros(512, np.float32)
    short[100:120] = 20.0
    assert len(find_hits(_buffers({2: short}), THRESHOLD)) == 1


def test_hit_label_is_that_of_its_largest_tick():
    trace = _gaussian(512, 50.3, 2.0, 150.0)                             # largest at tick 50 (50.0..51.0)
    labels = np.where(np.arange(512) < 50, 17, 21).astype(np.uint8)
    hits = find_hits(_buffers({4: trace}, {4: labels}), THRESHOLD)
    assert hits["label"].tolist() == [21]


def test_noise_is_reproducible_and_does_not_split_pulses():
    trace = _gaussian(512, 300.0, 2.0, 150.0)
    a = find_hits(_buffers({5: trace}), THRESHOLD, noise_rms=1.0, seed=4)
    b = find_hits(_buffers({5: trace}), THRESHOLD, noise_rms=1.0, seed=4)
    assert len(a) == 1 and np.array_equal(a, b)
    assert a["charge"][0] == pytest.approx(150.0, rel=0.1)
