"""Detector response: drift, raw waveforms, noise and zero suppression against lartpc-physics.md §1.5, §2, §9."""

import math

import numpy as np
import pytest
from scipy.special import ndtri

from argonet.conf.sim import ImageConfig, ResponseConfig
from argonet.errors import ConfigError
from argonet.event import ParticleKind, Semantic
from argonet.sim.deposits import Deposits
from argonet.sim.detector import LARIAT, SBND
from argonet.sim.images import plane_windows
from argonet.sim.noise import analog_noise_rms
from argonet.sim.response import plane_charge, plane_metas, respond
from argonet.sim.waveform import raw_waveforms
from argonet.sim.xoshiro import below, new_state, normals, uniform
from hand_deposits import line, points

V_DRIFT = SBND.drift_velocity_cm_per_us
NO_LOSS = ResponseConfig(noise=False, electron_lifetime_us=1e12, threshold_ADC=0.0)   # "no attenuation"
CROP = ImageConfig(mode="crop")
FULL = ImageConfig(mode="full")


def _collection_x(arrival_us: float) -> float:
    """x in SBND's first TPC whose charge reaches the collection plane (two gaps behind the anode) at arrival_us."""
    return SBND.anode_x_cm[0] + arrival_us * V_DRIFT - 2 * SBND.plane_gap_cm


# ---------------------------------------------------------------- §9 check 5 and the §1.5 worked example

@pytest.mark.parametrize("dEdx, electrons_per_wire", [(1.7, 15_400), (2.1, 18_800)])
def test_check5_mip_charge_per_collection_wire(dEdx, electrons_per_wire):
    """§9 check 5 / §2.2: a MIP ⟂ the Y wires at 500 V/cm, no attenuation: 15.4 k e- (MPV) and 18.8 k e- (mean)
    per wire (<= 5 %); in the image (collection-peak ADC summed over rows) 15.4 k e- read 68 ADC (§1.5)."""
    x = _collection_x(20.25)
    deposits = line((x, 0, 100), (x, 0, 200), dEdx)
    q = plane_charge(deposits, SBND, 2, response=NO_LOSS, first_wire=300, n_wires=400, t_start_us=0.0, n_ticks=80)
    per_wire = q.sum(axis=1)[50:300]                       # wires crossed over their full pitch
    np.testing.assert_allclose(per_wire, electrons_per_wire, rtol=0.05)
    charge, _, _ = respond(deposits, SBND, NO_LOSS, FULL, np.random.default_rng(0))
    image = charge[2].dense()
    wires = np.flatnonzero(image.sum(axis=1))
    image_per_wire = image[wires[20:-20]].sum(axis=1)
    np.testing.assert_allclose(image_per_wire, electrons_per_wire * 0.87 * 5.10e-3, rtol=0.05)


def test_check5_mip_raw_collection_peak():
    """§9 check 5 / §1.5 worked example: 15.4 k e- (MPV) per wire give a raw collection peak of 65-70 ADC
    (≈ 68); the neighbour rows (−0.04 of the peak each at t = 0 in the §1.5 table) lower it by 8 %."""
    x = _collection_x(20.25)                               # arrives in the middle of tick 40
    q = plane_charge(line((x, 0, 100), (x, 0, 200), 1.7), SBND, 2, response=NO_LOSS,
                     first_wire=300, n_wires=400, t_start_us=0.0, n_ticks=80)
    pedestal = SBND.planes[2].pedestal_ADC
    peak = (raw_waveforms(q, SBND, 2, neighbours=False) - pedestal).max(axis=1)[50:300]
    assert np.all((peak >= 65) & (peak <= 70))
    np.testing.assert_allclose(np.median(peak), 68, rtol=0.05)
    peak_with_neighbours = (raw_waveforms(q, SBND, 2) - pedestal).max(axis=1)[50:300]
    np.testing.assert_allclose(np.median(peak_with_neighbours), 68 * (1.00 - 2 * 0.04), rtol=0.02)


# ---------------------------------------------------------------- §9 checks 8-10: drift

@pytest.mark.parametrize("tpc, x_anode, x_cathode", [(0, -200.99, -0.01), (1, 200.99, 0.01)])
def test_check8_cathode_crossing_time_extent(tpc, x_anode, x_cathode):
    """§9 check 8: a track from anode to cathode spans 2.01 m / 0.1563 cm/µs = 1.29 ms of drift time (<= 1 %)."""
    deposits = line((x_anode, 0, 200), (x_cathode, 0, 260))
    q = plane_charge(deposits, SBND, 2, tpc=tpc, response=NO_LOSS, first_wire=650, n_wires=230)
    profile = q.sum(axis=0)
    ticks = np.flatnonzero(profile > 0.01 * profile.max())
    extent_us = (ticks[-1] - ticks[0]) * SBND.tick_us
    assert extent_us == pytest.approx(1290, rel=0.01)
    assert extent_us == pytest.approx(201 / 0.1563, rel=0.01)


@pytest.mark.parametrize("lifetime_us, survival", [(3000, 0.65), (10_000, 0.88), (35_000, 0.96)])
def test_check9_lifetime_attenuation(lifetime_us, survival):
    """§9 check 9 / §2.4: charge near the cathode / near the anode = exp(−t_d/τ) (<= 2 %); the full-drift
    survival for τ = 3 / 10 / 35 ms is 0.65 / 0.88 / 0.96."""
    near_anode = line((-200.95, 0, 100), (-200.95, 0, 130))
    near_cathode = line((-0.05, 0, 200), (-0.05, 0, 230))
    response = ResponseConfig(noise=False, electron_lifetime_us=lifetime_us)
    q = plane_charge(Deposits.concat([near_anode, near_cathode]), SBND, 2, response=response,
                     first_wire=300, n_wires=500).sum(axis=1)
    anode_side, cathode_side = q[40:120].mean(), q[375:455].mean()   # wires 340-420 and 675-755
    ratio = cathode_side / anode_side
    assert ratio == pytest.approx(math.exp(-(200.95 - 0.05) / V_DRIFT / lifetime_us), rel=0.02)
    assert ratio == pytest.approx(survival, rel=0.02)


def test_check10_diffusion_grows_linearly_with_drift_time():
    """§9 check 10 / §2.5: σ_t² − σ_t0² grows with drift time with slope 2 D_L / v_d² and σ_w² with 2 D_T
    (SBND D_L = 4.0, D_T = 8.8 cm²/s) (<= 5 %). Point charges sit at stratified sub-pixel phases, and the
    spread is measured about their true centres, so binning adds exactly pitch²/12 (tick²/12)."""
    n = 40
    phase = (np.arange(n) + 0.5) / n
    pitch, tick = SBND.planes[2].pitch_cm, SBND.tick_us
    drift_us, var_t_us2, var_w_cm2 = [], [], []
    for drift_cm in (20.0, 60.0, 100.0, 140.0, 180.0):
        z = 0.4 + pitch * (10 * np.arange(n) + phase)          # ten wires apart, uniform phase in the wire
        xyz = np.column_stack([np.full(n, SBND.anode_x_cm[0] + drift_cm), np.zeros(n), z])
        arrival_us = (drift_cm + 2 * SBND.plane_gap_cm) / V_DRIFT + tick * phase[::-1]   # phase unrelated to z
        t_start_us = math.floor(arrival_us.min()) - 10.0
        q = plane_charge(points(xyz, 1.0, 0.3, 1e3 * tick * phase[::-1]), SBND, 2, response=NO_LOSS,
                         first_wire=0, n_wires=10 * n + 5, t_start_us=t_start_us, n_ticks=44)
        tick_centres_us = t_start_us + (np.arange(44) + 0.5) * tick
        vt, vw = [], []
        for k in range(n):
            wires = np.arange(max(10 * k - 4, 0), 10 * k + 5)
            blob = q[wires]
            wire_centres_cm = 0.4 + (wires + 0.5) * pitch
            vt.append(np.average((tick_centres_us - arrival_us[k]) ** 2, weights=blob.sum(axis=0)))
            vw.append(np.average((wire_centres_cm - z[k]) ** 2, weights=blob.sum(axis=1)))
        drift_us.append(drift_cm / V_DRIFT)
        var_t_us2.append(np.mean(vt))
        var_w_cm2.append(np.mean(vw))
    slope_t, intercept_t = np.polyfit(drift_us, var_t_us2, 1)
    slope_w, intercept_w = np.polyfit(drift_us, var_w_cm2, 1)
    assert slope_t == pytest.approx(2 * 4.0e-6 / 0.1563 ** 2, rel=0.05)
    assert slope_w == pytest.approx(2 * 8.8e-6, rel=0.05)
    assert intercept_t == pytest.approx(tick ** 2 / 12, rel=0.05)       # σ_t0²: the binning alone
    assert intercept_w == pytest.approx(pitch ** 2 / 12, rel=0.05)


# ---------------------------------------------------------------- §9 checks 11-13: waveforms and noise

@pytest.mark.parametrize("detector", [SBND, LARIAT], ids=lambda d: d.name)
def test_check11_induction_response_nets_to_zero(detector):
    """§9 check 11: net integral / summed absolute lobe areas of an induction waveform < 3 %; §1.5: its
    lobes are 0.25-0.36 of the collection peak."""
    charge = np.zeros((3, 1200))
    charge[1, 800] = 2e5
    collection = next(p for p, pl in enumerate(detector.planes) if pl.collection)
    peak = (raw_waveforms(charge, detector, collection) - detector.planes[collection].pedestal_ADC)[1].max()
    for plane, pl in enumerate(detector.planes):
        if pl.collection:
            continue
        signal = (raw_waveforms(charge, detector, plane) - pl.pedestal_ADC)[1]
        assert abs(signal.sum()) / np.abs(signal).sum() < 0.03
        assert 0.24 <= signal.max() / peak <= 0.37 and 0.24 <= -signal.min() / peak <= 0.37


def test_check12_collection_waveform_per_1000_electrons():
    """§9 check 12 (SBND 14 mV/fC, 1.8 V): 5.10 ADC ideal peak; per 1000 e- the collection waveform has an
    area ≈ 26 ADC·tick and a point-charge peak ≈ 4.4 ADC (<= 5 %). 10^5 e- keep rounding negligible."""
    assert SBND.adc_per_electron * 1000 == pytest.approx(5.10, rel=0.01)
    charge = np.zeros((1, 200))
    charge[0, 100] = 1e5
    signal = (raw_waveforms(charge, SBND, 2) - SBND.planes[2].pedestal_ADC)[0] / 100
    assert signal.sum() == pytest.approx(26, rel=0.05)
    assert signal.max() == pytest.approx(4.4, rel=0.05)
    assert signal.argmax() == 100                     # the collection peak is at the arrival tick


def test_check13_raw_pedestal_rms_per_plane():
    """§9 check 13 / §1.1: signal-free SBND raw noise RMS 2.45 / 2.45 / 1.94 ADC (U, V, Y) (<= 5 %), about the
    pedestal, after digitisation."""
    rng = np.random.default_rng(13)
    for plane, rms in zip(range(3), (2.45, 2.45, 1.94)):
        adc = raw_waveforms(np.zeros((64, 3000)), SBND, plane, rng=rng)
        assert np.all(adc == np.rint(adc))
        assert adc.mean() == pytest.approx(SBND.planes[plane].pedestal_ADC, abs=0.1)
        assert adc.std() == pytest.approx(rms, rel=0.05)


def test_raw_coherent_noise_is_shared_by_32_wire_groups():
    """Coherent noise (ResponseConfig.coherent_noise_ADC) is one waveform per 32 wires: correlation
    σ_c² / (σ_i² + σ_c²) inside a group, none across groups."""
    rng = np.random.default_rng(7)
    sigma_c = 1.5
    adc = raw_waveforms(np.zeros((64, 20_000)), SBND, 2, rng=rng, coherent_noise_ADC=sigma_c, digitise=False)
    z = (adc - adc.mean(axis=1, keepdims=True)) / adc.std(axis=1, keepdims=True)
    n_ticks = z.shape[1]
    group_a, group_b = z[:32].sum(axis=0), z[32:].sum(axis=0)
    same = (np.sum(group_a ** 2) - np.sum(z[:32] ** 2)) / (n_ticks * 32 * 31)   # mean over wire pairs
    across = np.sum(group_a * group_b) / (n_ticks * 32 * 32)
    sigma_i2 = analog_noise_rms(1.94) ** 2
    assert same == pytest.approx(sigma_c ** 2 / (sigma_i2 + sigma_c ** 2), abs=0.02)
    assert abs(across) < 0.02
    coherent_only = raw_waveforms(np.zeros((40, 500)), SBND, 2, rng=rng, noise_scale=0.0,
                                  coherent_noise_ADC=sigma_c, digitise=False, first_wire=20)
    assert np.all(coherent_only[:12] == coherent_only[0]) and np.all(coherent_only[12:] == coherent_only[12])


def _noise_only(response: ResponseConfig, n_events: int, seed: int = 1):
    """Charge images of events without deposits (crop mode), one list of planes per event."""
    rng = np.random.default_rng(seed)
    return [respond(Deposits.empty(), SBND, response, CROP, rng, vertex_cm=(-100.0, 0.0, 250.0))[0]
            for _ in range(n_events)]


def test_check13_image_noise_rms_per_plane():
    """§9 check 13 at the image level: with the sparse (zero-suppressed) noise, the fraction of signal-free
    pixels above the cut is the Gaussian tail of the plane RMS 2.45 / 2.45 / 1.94 ADC (<= 5 % on the RMS)."""
    events = _noise_only(ResponseConfig(coherent_noise_ADC=0.0, threshold_ADC=2.0), 4)
    for plane, rms in zip(range(3), (2.45, 2.45, 1.94)):
        kept = sum(len(event[plane].index) for event in events)
        fraction = kept / (4 * 256 * 256)
        analog = 2.5 / ndtri(1.0 - fraction)            # rint(x) > 2  <=>  x >= 2.5
        assert math.sqrt(analog ** 2 + 1 / 12) == pytest.approx(rms, rel=0.05)
        values = np.concatenate([event[plane].value for event in events])
        assert values.min() == 3 and np.all(values == np.rint(values))


def test_sparse_noise_has_the_distribution_of_dense_noise():
    """The sparse sampler draws what dense noise + zero suppression would give: same mean and spread of the
    number of kept pixels per (32-wire group, row) cell with coherent noise, and the same value histogram."""
    response = ResponseConfig(coherent_noise_ADC=1.2, threshold_ADC=3.0)
    n_events = 12
    window = plane_windows(SBND, CROP, (-100.0, 0.0, 250.0))[0]
    groups = np.searchsorted(np.unique((window.first_wire + np.arange(256)) // 32),
                             (window.first_wire + np.arange(256)) // 32)      # group of each column, from 0
    n_groups = groups.max() + 1

    def cells(ids):
        """Kept pixels per (group, row) cell."""
        return np.bincount(groups[ids // 256] * 256 + ids % 256, minlength=n_groups * 256)

    sparse = [event[0] for event in _noise_only(response, n_events, seed=3)]
    sparse_counts = np.concatenate([cells(img.index.astype(np.int64)) for img in sparse])
    sparse_values = np.concatenate([img.value for img in sparse])
    rng = np.random.default_rng(4)
    sigma_i = analog_noise_rms(2.45)
    dense_counts, dense_values = [], []
    for _ in range(n_events):
        coherent = rng.normal(0.0, 1.2, (n_groups, 256))
        image = np.rint(coherent[groups] + rng.normal(0.0, sigma_i, (256, 256)))
        ids = np.flatnonzero(image > 3.0)
        dense_counts.append(cells(ids))
        dense_values.append(image.reshape(-1)[ids])
    dense_counts, dense_values = np.concatenate(dense_counts), np.concatenate(dense_values)
    assert sparse_counts.mean() == pytest.approx(dense_counts.mean(), rel=0.03)
    assert sparse_counts.var() == pytest.approx(dense_counts.var(), rel=0.08)
    assert sparse_counts.var() > 1.5 * sparse_counts.mean() * (1 - sparse_counts.mean() / 32)   # over-dispersed
    for value in (4, 5, 6, 7):
        assert np.mean(sparse_values == value) == pytest.approx(np.mean(dense_values == value), abs=0.01)


# ---------------------------------------------------------------- images: reproducibility, threshold, labels

def _event() -> tuple[Deposits, tuple[float, float, float]]:
    """A small hand-made neutrino-like event: three tracks from a vertex in the first TPC, and a cosmic."""
    vertex = (-120.0, 10.0, 240.0)
    tracks = [line(vertex, (-80.0, 40.0, 300.0)), line(vertex, (-130.0, -5.0, 250.0), 8.0, kind=ParticleKind.TRACK),
              line(vertex, (-150.0, 30.0, 220.0), 2.1, kind=ParticleKind.SHOWER),
              line((-60.0, 150.0, 200.0), (-140.0, -150.0, 280.0), semantic=Semantic.COSMIC, t_ns=3e4)]
    return Deposits.concat(tracks), vertex


def test_same_seed_same_images_and_noise_depends_on_seed():
    deposits, vertex = _event()
    first = respond(deposits, SBND, ResponseConfig(), CROP, np.random.default_rng(11), vertex)
    again = respond(deposits, SBND, ResponseConfig(), CROP, np.random.default_rng(11), vertex)
    other = respond(deposits, SBND, ResponseConfig(), CROP, np.random.default_rng(12), vertex)
    for a, b, c in zip(first[0], again[0], other[0]):
        np.testing.assert_array_equal(a.index, b.index)
        np.testing.assert_array_equal(a.value, b.value)
        assert not np.array_equal(a.index, c.index)
    for kind in (1, 2):
        for a, b in zip(first[kind], again[kind]):
            np.testing.assert_array_equal(a.value, b.value)


@pytest.mark.parametrize("threshold", [0.0, 3.0, 7.5])
def test_threshold_honoured(threshold):
    """Zero suppression keeps exactly the pixels whose digitised value is > threshold_ADC."""
    deposits, vertex = _event()
    low = respond(deposits, SBND, ResponseConfig(noise=False, threshold_ADC=0.0), CROP, np.random.default_rng(0),
                  vertex)[0]
    cut = respond(deposits, SBND, ResponseConfig(noise=False, threshold_ADC=threshold), CROP,
                  np.random.default_rng(0), vertex)[0]
    noisy = respond(deposits, SBND, ResponseConfig(threshold_ADC=threshold), CROP, np.random.default_rng(0), vertex)[0]
    for full, kept, with_noise in zip(low, cut, noisy):
        assert np.all(full.value >= 1) and np.all(kept.value > threshold) and np.all(with_noise.value > threshold)
        np.testing.assert_array_equal(kept.index, full.index[full.value > threshold])
        assert np.all(np.diff(with_noise.index.astype(np.int64)) > 0)


def test_empty_deposits_give_empty_images_with_valid_metas():
    """No deposits: no signal. Without noise the images are empty; with noise every kept pixel is background."""
    metas = plane_metas(SBND, CROP, (0.0, 0.0, 250.0))
    quiet = respond(Deposits.empty(), SBND, ResponseConfig(noise=False), CROP, np.random.default_rng(0),
                    (0.0, 0.0, 250.0))
    for images in quiet:
        assert [img.meta for img in images] == metas and all(len(img.index) == 0 for img in images)
    charge, semantic, kind = respond(Deposits.empty(), SBND, ResponseConfig(), FULL, np.random.default_rng(0))
    assert [img.meta.shape for img in charge] == [(2048, 1280)] * 3
    assert all(len(img.index) > 0 for img in charge)
    assert all(np.all(s.value == 0) and np.all(k.value == 0) for s, k in zip(semantic, kind))


def test_recombination_model_is_selectable():
    """§2.2 at 2.1 MeV/cm, 500 V/cm: Birks / ModBox charge = 0.697 / 0.704."""
    x = _collection_x(40.25)
    deposits = line((x, 0, 100), (x, 0, 200), 2.1)
    totals = [plane_charge(deposits, SBND, 2, response=NO_LOSS, recombination=model, first_wire=300, n_wires=400,
                           t_start_us=0.0, n_ticks=120).sum() for model in ("modbox", "birks")]
    assert totals[1] / totals[0] == pytest.approx(0.697 / 0.704, rel=0.01)
    with pytest.raises(ConfigError, match="physics.recombination"):
        respond(deposits, SBND, NO_LOSS, FULL, np.random.default_rng(0), recombination="box")


def test_bipolar_induction_keeps_collection_and_shows_the_early_lobe():
    """induction='bipolar': collection images unchanged; induction planes carry the raw §1.5 response scaled
    to the collection area, so only its positive lobe (before the charge arrives) passes the cut, with a
    fraction of the unipolar signal (the U/V lobes are 0.25-0.36 of the peak, the collection area 2.92 µs)."""
    x = _collection_x(100.25)
    deposits = line((x, 0, 100), (x, 0, 200))
    vertex = (x, 0.0, 150.0)
    uni = respond(deposits, SBND, ResponseConfig(noise=False), CROP, np.random.default_rng(0), vertex)[0]
    bi = respond(deposits, SBND, ResponseConfig(noise=False, induction="bipolar"), CROP, np.random.default_rng(0),
                 vertex)[0]
    np.testing.assert_array_equal(uni[2].index, bi[2].index)
    np.testing.assert_array_equal(uni[2].value, bi[2].value)
    def first_row(img):
        return (img.index.astype(np.int64) % 256).min()

    for plane in (0, 1):
        assert len(bi[plane].index) > 0 and np.all(bi[plane].value > 0)
        assert first_row(bi[plane]) <= first_row(uni[plane])
        assert 0.15 < bi[plane].value.sum() / uni[plane].value.sum() < 0.6


def test_bipolar_image_is_the_raw_waveform_on_the_collection_scale():
    """With one tick per row, a bipolar induction image equals the raw waveform of the same charge (own wire
    and ±1 neighbours) divided by the collection area per unit peak, up to ADC rounding."""
    deposits = line((-150.0, -20.0, 200.0), (-140.0, 25.0, 230.0))
    vertex = (-145.0, 0.0, 215.0)
    image_config = ImageConfig(mode="crop", tick_downsample=1, crop_ticks=512)
    response = ResponseConfig(noise=False, induction="bipolar", threshold_ADC=0.0, filter_sigma_ticks=0.0)
    image = respond(deposits, SBND, response, image_config, np.random.default_rng(0), vertex)[0][0].dense()
    window = plane_windows(SBND, image_config, vertex)[0]
    q = plane_charge(deposits, SBND, 0, response=response, first_wire=window.first_wire, n_wires=256,
                     t_start_us=window.segments[0].t_start_us, n_ticks=512)
    raw = raw_waveforms(q, SBND, 0, first_wire=window.first_wire, digitise=False) - SBND.planes[0].pedestal_ADC
    collection = np.zeros((1, 64))
    collection[0, 32] = 1e5
    point = raw_waveforms(collection, SBND, 2, digitise=False)[0] - SBND.planes[2].pedestal_ADC
    scaled = np.rint(raw / (point.sum() / point.max()))          # per tick, on the collection-peak scale
    expected = np.where(scaled > 0, scaled, 0.0)
    assert image.sum() > 1000
    assert np.abs(image - expected).max() <= 1.0
    assert np.mean(image != expected) < 0.01


def test_crop_needs_a_vertex():
    with pytest.raises(ConfigError, match="image.mode"):
        respond(Deposits.empty(), SBND, ResponseConfig(), CROP, np.random.default_rng(0))


def test_noise_stream_is_uniform_normal_and_seeded():
    """The xoshiro256** stream behind the image noise: uniforms in (0, 1] with mean 1/2 and variance 1/12,
    standard normals, integers uniform below n, and the same numbers from the same seed."""
    state = new_state(2024)
    u = np.array([uniform(state) for _ in range(20_000)])
    assert u.min() > 0 and u.max() <= 1
    assert u.mean() == pytest.approx(0.5, abs=0.01) and u.var() == pytest.approx(1 / 12, rel=0.03)
    z = np.empty(100_001)
    normals(state, z)
    assert z.mean() == pytest.approx(0.0, abs=0.01) and z.std() == pytest.approx(1.0, rel=0.01)
    assert np.mean(np.abs(z) > 1.96) == pytest.approx(0.05, abs=0.003)
    counts = np.bincount([below(state, 7) for _ in range(14_000)], minlength=7)
    assert counts.min() > 1800 and counts.max() < 2200
    a, b = new_state(5), new_state(5)
    assert [uniform(a) for _ in range(5)] == [uniform(b) for _ in range(5)]
