"""Realism statistics of pixel maps: per-event quantities on hand-built events, per-class comparison and table."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.eval.realism import (ClassSample, compare_samples, dense_planes, event_statistics, kolmogorov_distance,
                                  markdown_table, plane_pixels)


def band(wires: range, ticks: range, value: float = 40.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A filled rectangle of pixels: (wire, tick, value)."""
    wire, tick = np.meshgrid(np.asarray(wires), np.asarray(ticks), indexing="ij")
    return wire.ravel(), tick.ravel(), np.full(wire.size, value)


def test_widths_and_counts_of_a_band():
    stats = event_statistics([band(range(0, 10), range(10, 12))])     # 10 wires wide, 2 ticks thick
    assert stats["n_pixels"] == 20
    assert stats["width_ticks"] == 2.0 and stats["width_wires"] == 10.0
    gap = event_statistics([band(range(0, 10), range(10, 12)), band(range(0, 4), range(0, 1))])
    assert gap["n_pixels"] == 24
    # runs along ticks: ten of length 2 (plane 0) and four of length 1 (plane 1)
    assert gap["width_ticks"] == pytest.approx((10 * 2 + 4 * 1) / 14)


def test_extent_ignores_a_stray_pixel_and_zero_values():
    wire, tick, value = band(range(100, 300), range(50, 51))
    wire, tick, value = np.append(wire, 480), np.append(tick, 400), np.append(value, 9.0)   # one noise pixel
    wire, tick, value = np.append(wire, 0), np.append(tick, 0), np.append(value, 0.0)       # a stored zero
    stats = event_statistics([(wire, tick, value)])
    assert stats["n_pixels"] == 201
    assert 195 <= stats["extent_wires"] <= 203 and stats["extent_ticks"] <= 2
    empty = event_statistics([(np.zeros(0), np.zeros(0), np.zeros(0))])
    assert empty["n_pixels"] == 0 and np.isnan(empty["extent_wires"])


def test_dense_and_sparse_pixels_give_the_same_statistics():
    rng = np.random.default_rng(1)
    image = np.where(rng.random((3, 40, 30)) < 0.1, rng.integers(1, 256, (3, 40, 30)), 0).astype(np.uint8)
    sparse = []
    for plane in image:
        ids = np.flatnonzero(plane)
        sparse.append((*plane_pixels(ids, plane.shape[1]), plane.reshape(-1)[ids]))
    assert event_statistics(dense_planes(image)) == event_statistics(sparse)


def test_summary_and_comparison():
    real, sim, far = ClassSample(), ClassSample(), ClassSample()
    for n in (100, 100, 100):
        real.add([band(range(n), range(1), 40.0)])
        sim.add([band(range(int(n * 1.25)), range(1), 40.0)])
        far.add([band(range(int(n * 1.4)), range(1), 200.0)])
    real.add([(np.array([1, 2, 3]), np.array([0, 0, 0]), np.array([0.2, 300.0, 40.0]))])
    summary = real.summary()
    assert summary["n_events"] == 4 and summary["n_pixels"]["median"] == 100
    assert summary["charge"]["median"] == 40.0
    assert (summary["charge"]["underflow"], summary["charge"]["overflow"]) == (1, 1)
    report = compare_samples({"NC": real}, {"NC": sim}, 0.3)
    assert report["classes"]["NC"]["ratio"]["n_pixels"] == pytest.approx(1.25) and report["agree"]
    assert report["classes"]["NC"]["charge_kolmogorov"] == 0.0
    report = compare_samples({"NC": real, "NUE_CC": real}, {"NC": far}, 0.3)
    entry = report["classes"]["NC"]
    assert entry["ratio"]["n_pixels"] == pytest.approx(1.4) and not entry["within"]["n_pixels"] and not report["agree"]
    assert entry["charge_kolmogorov"] == pytest.approx(1.0)
    assert report["classes"]["NUE_CC"]["sim"] is None
    table = markdown_table(report)
    assert "| NC | events | 4 | 3 | | |" in table and "**no**" in table and "do NOT agree" in table


def test_kolmogorov_distance():
    assert kolmogorov_distance([1, 1, 0], [0, 1, 1]) == pytest.approx(0.5)
    assert np.isnan(kolmogorov_distance([0, 0], [1, 0]))
