"""Plane-image geometry and labels against lartpc-physics.md §1.4, §1.6 and §9 checks 25-26."""

import numpy as np
import pytest

from argonet.conf.sim import ImageConfig, ResponseConfig
from argonet.errors import ConfigError
from argonet.event import ParticleKind, Semantic
from argonet.sim.deposits import Deposits
from argonet.sim.detector import LARIAT, MICROBOONE, SBND
from argonet.sim.drift import drift
from argonet.sim.images import cvn_counts, cvn_first_wire, cvn_time_bins, plane_windows
from argonet.sim.readout import plane_position, plane_role, wire_coordinate_cm
from argonet.sim.response import plane_metas, respond
from hand_deposits import line, points

FULL = ImageConfig(mode="full")
CROP = ImageConfig(mode="crop")
QUIET = ResponseConfig(noise=False)
ALL_SIGNAL = ResponseConfig(noise=False, threshold_ADC=0.0)   # every pixel with a noise-free signal >= 1 ADC
V_DRIFT = SBND.drift_velocity_cm_per_us


def _dense(images):
    return [img.dense() for img in images]


def test_check25_full_sbnd_geometry():
    """§9 check 25 / §1.6: 1984 / 1984 / 1664 wires padded to 2048, 1280 rows, pixels 3 mm × 3.1 mm."""
    metas = plane_metas(SBND, FULL)
    assert [m.shape for m in metas] == [(2048, 1280)] * 3
    assert [m.projection_id for m in metas] == [0, 1, 2]
    for meta, window, n_wires in zip(metas, plane_windows(SBND, FULL), (1984, 1984, 1664)):
        assert meta.pixel_cm[0] == pytest.approx(0.3)
        assert meta.pixel_cm[1] == pytest.approx(0.31, rel=0.01)
        assert window.valid_wires(SBND) == (0, n_wires)
        assert window.valid_rows() == (0, 1280)
        assert meta.origin_cm[1] + meta.size_cm[1] / 2 == pytest.approx(SBND.cathode_x_cm)   # cathode at the centre
        assert meta.size_cm[1] == pytest.approx(400, rel=0.001)                             # x from -200 to 200 cm


def test_check25_crop_geometry_centred_on_the_vertex():
    """Crops are 3 × 256 × 256 (×4 ticks: 3 mm × 3.1 mm pixels), the vertex in pixel (128, 128) of every plane."""
    for vertex in ((-120.0, 10.0, 240.0), (75.0, -150.0, 30.0)):
        metas = plane_metas(SBND, CROP, vertex, vertex_t_ns=500.0)
        assert [m.shape for m in metas] == [(256, 256)] * 3
        for plane, meta in enumerate(metas):
            assert meta.pixel_cm == pytest.approx((0.3, 0.3126), rel=1e-3)
            w_cm = float(wire_coordinate_cm(vertex[1], vertex[2], SBND.planes[plane].angle_deg))
            drift_cm = abs(SBND.anode_x_cm[0 if vertex[0] < 0 else 1] - vertex[0])
            centre = [meta.origin_cm[a] + 128.5 * meta.pixel_cm[a] for a in (0, 1)]
            assert abs(centre[0] - w_cm) <= meta.pixel_cm[0]
            assert abs(centre[1] - drift_cm) <= meta.pixel_cm[1]


def test_full_geometry_of_single_tpc_detectors():
    """One TPC: the whole readout (MicroBooNE 9600 ticks / 4 = 2400 rows; wires padded to 3456, the width of
    the MicroBooNE DL images, §1.7), LArIAT two planes of 240 wires."""
    assert [m.shape for m in plane_metas(MICROBOONE, FULL)] == [(3456, 2400)] * 3
    assert [m.shape for m in plane_metas(LARIAT, FULL)] == [(256, 768)] * 2
    assert [m.shape for m in plane_metas(SBND, ImageConfig(mode="full", tick_downsample=2))] == [(2048, 2560)] * 3


def test_second_sbnd_tpc_swaps_u_and_v():
    """§1.4: in the second TPC the +60° wires are the second plane reached (V role), the −60° ones the first."""
    assert [plane_position(SBND, p, 0) for p in range(3)] == [0, 1, 2]
    assert [plane_position(SBND, p, 1) for p in range(3)] == [1, 0, 2]
    assert [plane_role(SBND, p, 1) for p in range(3)] == ["V", "U", "Y"]


@pytest.mark.parametrize("x_cm", [-180.0, -60.0, -5.0, 5.0, 90.0, 170.0])
def test_full_image_rows_are_x(x_cm):
    """In the two-TPC layout the row axis is x: in-time charge lands in the row whose centre (from the meta) is
    its x, within a row, on every plane."""
    charge = respond(points([[x_cm, 0.0, 250.0]], 1.0), SBND, QUIET, FULL, np.random.default_rng(0))[0]
    for image in charge:
        rows = image.index.astype(np.int64) % 1280
        row = rows[np.argmax(image.value)]
        centre = image.meta.origin_cm[1] + (row + 0.5) * image.meta.pixel_cm[1]
        assert abs(centre - x_cm) <= image.meta.pixel_cm[1]


def _rows_with_charge(image: np.ndarray) -> np.ndarray:
    return np.flatnonzero(image.sum(axis=0) > 0)


def test_check26_in_time_track_is_continuous_across_the_cathode():
    """§9 check 26 / §1.6: a track crossing the cathode at the trigger time is one continuous line of rows."""
    track = line((-150.0, -30.0, 150.0), (150.0, 40.0, 350.0), t_ns=0.0)
    for image in _dense(respond(track, SBND, QUIET, FULL, np.random.default_rng(0))[0]):
        rows = _rows_with_charge(image)
        assert rows.min() < 640 <= rows.max()
        assert np.all(np.diff(rows) == 1)


def test_check26_out_of_time_track_halves_move_apart():
    """§1.6: a track 200 µs late moves by v_d·Δt = 31.3 cm (100 rows) towards the cathode in each half, i.e. in
    opposite directions in x, and is broken where it crosses the cathode."""
    track = line((-150.0, -30.0, 150.0), (150.0, 40.0, 350.0))
    late = Deposits.concat([track])
    late.t_ns = late.t_ns + 200e3
    on_time = _dense(respond(track, SBND, QUIET, FULL, np.random.default_rng(0))[0])[2]
    delayed = _dense(respond(late, SBND, QUIET, FULL, np.random.default_rng(0))[0])[2]
    rows = np.arange(1280)
    shift_rows = 200.0 / (4 * SBND.tick_us)
    for half, sign in ((slice(0, 640), +1), (slice(640, 1280), -1)):
        a, b = on_time[:, half], delayed[:, half]
        wires = np.flatnonzero((a.sum(axis=1) > 0) & (b.sum(axis=1) > 0))
        wires = wires[5:-5]

        def centroid(img, wires=wires, half=half):
            return (img[wires] * rows[half]).sum(axis=1) / img[wires].sum(axis=1)
        np.testing.assert_allclose(centroid(b) - centroid(a), sign * shift_rows, atol=1.0)
    wires_on_time = np.flatnonzero(on_time.sum(axis=1))
    wires_late = np.flatnonzero(delayed.sum(axis=1))
    assert np.all(np.diff(wires_on_time) == 1)
    assert np.max(np.diff(wires_late)) > 100          # broken: the 31 cm next to the cathode fell out of both windows


def test_check26_labels():
    """§9 check 26: every stored pixel has a label; neutrino-labelled pixels come only from NEUTRINO deposits
    and cosmic ones from COSMIC deposits; kinds follow the deposits' ParticleKind."""
    neutrino = Deposits.concat([line((-120.0, 10.0, 240.0), (-80.0, 40.0, 300.0)),
                                line((-120.0, 10.0, 240.0), (-140.0, 30.0, 220.0), kind=ParticleKind.MICHEL)])
    cosmic = line((-60.0, 150.0, 200.0), (-140.0, -150.0, 280.0), semantic=Semantic.COSMIC, t_ns=3e4,
                  kind=ParticleKind.DELTA)
    both = Deposits.concat([neutrino, cosmic])
    vertex = (-120.0, 10.0, 240.0)
    only_nu = [set(img.index.tolist()) for img in respond(neutrino, SBND, ALL_SIGNAL, CROP, np.random.default_rng(0),
                                                          vertex)[0]]
    only_cosmic = [set(img.index.tolist()) for img in respond(cosmic, SBND, ALL_SIGNAL, CROP, np.random.default_rng(0),
                                                              vertex)[0]]
    charge, semantic, kind = respond(both, SBND, QUIET, CROP, np.random.default_rng(0), vertex)
    for plane in range(3):
        ids = charge[plane].index
        np.testing.assert_array_equal(semantic[plane].index, ids)
        np.testing.assert_array_equal(kind[plane].index, ids)
        sem, knd = semantic[plane].value, kind[plane].value
        assert np.all(sem > 0) and set(np.unique(sem)) <= {1.0, 2.0}
        assert set(ids[sem == Semantic.NEUTRINO].tolist()) <= only_nu[plane]
        assert set(ids[sem == Semantic.COSMIC].tolist()) <= only_cosmic[plane]
        assert set(np.unique(knd[sem == Semantic.COSMIC])) == {float(ParticleKind.DELTA)}
        assert set(np.unique(knd[sem == Semantic.NEUTRINO])) == {float(ParticleKind.TRACK), float(ParticleKind.MICHEL)}
    noisy = respond(both, SBND, ResponseConfig(), CROP, np.random.default_rng(1), vertex)
    for plane in range(3):
        ids, sem = noisy[0][plane].index, noisy[1][plane].value
        signal_free = ~np.isin(ids, list(only_nu[plane] | only_cosmic[plane]))
        assert np.all(sem[signal_free] == Semantic.BACKGROUND)       # noise-only pixels are background
        assert np.any(sem == Semantic.BACKGROUND) and np.any(sem == Semantic.NEUTRINO)


def test_crop_overhanging_the_wire_planes_keeps_only_real_wires():
    """A vertex near the end of the detector: columns beyond the last wire hold nothing, noise included."""
    vertex = (-100.0, 0.0, 495.0)
    window = plane_windows(SBND, CROP, vertex)[2]
    lo, hi = window.valid_wires(SBND)
    assert lo == 0 and hi < 256
    charge = respond(line(vertex, (-90.0, 0.0, 460.0)), SBND, ResponseConfig(), CROP, np.random.default_rng(0),
                     vertex)[0][2]
    assert (charge.index.astype(np.int64) // 256).max() < hi


def test_crop_in_the_second_tpc_sees_only_its_own_charge():
    """The crop reads the anode of the vertex's TPC: charge drifting to the other anode is not in it."""
    vertex = (80.0, 0.0, 250.0)
    mirror = line((-80.0, 0.0, 240.0), (-80.0, 0.0, 260.0))
    own = line((80.0, 0.0, 240.0), (80.0, 0.0, 260.0))
    assert all(len(img.index) == 0 for img in respond(mirror, SBND, QUIET, CROP, np.random.default_rng(0),
                                                      vertex)[0])
    assert all(len(img.index) > 0 for img in respond(own, SBND, QUIET, CROP, np.random.default_rng(0), vertex)[0])


def test_planes_are_reached_one_gap_apart():
    """§1.4: about 2 µs of extra drift per 3 mm plane gap (0.3 cm / 0.1563 cm/µs); in the second SBND TPC the
    +60° plane is reached after the −60° one."""
    charge = drift(points([[-100.0, 0.0, 250.0], [100.0, 0.0, 250.0]], 1.0), SBND)
    u, v, y = (charge.arrival_us(SBND, plane) for plane in range(3))
    np.testing.assert_allclose(v - u, [0.3 / 0.1563, -0.3 / 0.1563], rtol=1e-6)
    np.testing.assert_allclose(y - np.minimum(u, v), 2 * 0.3 / 0.1563, rtol=1e-6)
    assert (v - u)[0] == pytest.approx(2.0, abs=0.1)


def test_cvn_time_bins_follow_the_dune_cvn_pixel_map():
    """DUNE CVN (dunereco PixelMap/Boundary): mean hit time ± 1600 ticks in 500 bins of 6.4 ticks,
    bin = round((t − lower)/6.4) modulo 500, so the mean lands in bin 250 and the upper edge wraps to 0."""
    mean = 3000.0
    bins, inside = cvn_time_bins(np.array([mean, mean - 1600.0, mean - 1596.9, mean + 6.4, mean + 1600.0,
                                           mean + 1601.0]), mean)
    assert bins[:5].tolist() == [250, 0, 0, 251, 0]
    assert inside.tolist() == [True, True, True, True, True, False]


def test_cvn_crop_starts_where_the_activity_gets_dense():
    """The 500-wire crop starts at the first wire whose next 20 wires hold charge on at least 16
    (CVNImageUtils::GetMinMaxWires); a stray hit before it does not move it; when no region is
    that dense, the 500-wire window with the most charge is taken."""
    charge = np.zeros(2880)
    charge[1] = 5.0                    # a lone blip
    charge[40:300] = 1.0               # a track from wire 40: wires 36..55 are the first 20 with 16 filled
    assert cvn_first_wire(charge) == 35
    sparse = np.zeros(2880)
    sparse[1000:1400:5] = 1.0          # one wire in five: never dense
    sparse[1200:1400:5] = 3.0
    first = cvn_first_wire(sparse)
    assert first <= 1000 and first + 500 > 1395     # the whole sparse region (last charge on 1395)


def test_cvn_counts_are_ceil_of_charge_over_1000_by_255():
    assert cvn_counts(np.array([0.5, 1000.0 / 255.0, 4.0, 100.0, 999.0, 1000.0, 5000.0])).tolist() == \
        [1, 1, 2, 26, 255, 255, 255]


def test_cvn_mode_has_no_fixed_window():
    with pytest.raises(ConfigError, match="^image.mode: cvn maps"):
        plane_windows(SBND, ImageConfig(mode="cvn"))
