"""The processed-readout model of full readouts (signal_processing.py, sp_noise.py): labels from deposited charge,
a charge-conserving processing halo labelled background, continuous charge, and row-correlated noise whose
exceedances follow the AR(1) model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.conf.sim import ImageConfig, ResponseConfig
from argonet.event import Semantic
from argonet.sim.deposits import Deposits
from argonet.sim.detector import SBND
from argonet.sim.response import respond
from argonet.sim.signal_processing import group_noise_factors, label_threshold_ADC, run_start_probability
from argonet.sim.waveform import peak_adc_per_electron
from hand_deposits import line

FULL = ImageConfig(mode="full")
TRACK = ((-120.0, 10.0, 240.0), (-80.0, 60.0, 300.0))


def _respond(response: ResponseConfig, seed: int = 0, deposits: Deposits | None = None):
    return respond(line(*TRACK) if deposits is None else deposits, SBND, response, FULL, np.random.default_rng(seed))


def test_halo_conserves_charge_and_stays_background():
    on = _respond(ResponseConfig(noise=False, threshold_ADC=0.0, signal_processing="on"))
    off = _respond(ResponseConfig(noise=False, threshold_ADC=0.0, signal_processing="off"))
    label_min = label_threshold_ADC(0.04, peak_adc_per_electron(SBND), SBND.drift_field_kV_per_cm)
    assert 5.0 < label_min < 5.6                                     # 0.04 MeV of a MIP ≈ 5.3 ADC
    for plane in range(3):
        total_on, total_off = float(on[0][plane].value.sum()), float(off[0][plane].value.sum())
        assert total_on == pytest.approx(total_off, rel=0.01)        # the halo moves charge, never makes it
        labelled_on = set(on[0][plane].index[on[1][plane].value > 0].tolist())
        assert labelled_on <= set(off[0][plane].index[off[1][plane].value > 0].tolist())
        stored = _respond(ResponseConfig(noise=False, signal_processing="on"))
        sem, val = stored[1][plane].value, stored[0][plane].value
        assert np.all(val >= 5.0) and np.any(val != np.rint(val))     # continuous charge, stored from 5 on
        halo = np.mean(sem == Semantic.BACKGROUND)
        assert 0.02 < halo < 0.5, halo                                # unlabelled charge hugging the track


def test_processed_noise_level_runs_and_patches():
    """Noise only: stored pixels per plane as the per-group exceedance probabilities predict, in runs of rows."""
    response = ResponseConfig(signal_processing="on")
    charge, semantic, _ = _respond(response, seed=3, deposits=Deposits.empty())
    t = response.threshold_ADC
    for plane, (image, sem) in enumerate(zip(charge, semantic)):
        n_wires = SBND.planes[plane].n_wires
        sigma = response.sp_noise_ADC[1 if SBND.planes[plane].collection else 0]
        factors = group_noise_factors(n_wires // 32 + 1, response.sp_noise_group_spread, plane)
        wires_per_group = np.minimum(32, n_wires - 32 * np.arange(len(factors)))
        p = 0.5 * np.vectorize(math.erfc)(t / (sigma * factors) / math.sqrt(2))
        expected = float(np.sum(wires_per_group * p)) * image.meta.shape[1]
        spread = 0.05 * expected + 4 * math.sqrt(2 * expected)       # runs of ~2: twice the Poisson variance
        assert len(image.index) == pytest.approx(expected, abs=spread)  # start probability times the mean run
        assert np.all(sem.value == 0) and image.value.min() >= t
        wire, row = np.divmod(image.index.astype(np.int64), image.meta.shape[1])
        runs = np.diff(np.flatnonzero(np.concatenate([[True], (np.diff(wire) != 0) | (np.diff(row) != 1), [True]])))
        assert runs.mean() > 1.3                                      # correlated rows: exceedances come in runs


def test_run_start_probability_is_the_ar1_one():
    rng = np.random.default_rng(5)
    rho, a, n = 0.8, 1.5, 400_000
    x = np.empty(n)
    x[0] = rng.standard_normal()
    z = rng.standard_normal(n) * math.sqrt(1 - rho ** 2)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + z[i]
    starts = np.mean((x[1:] >= a) & (x[:-1] < a))
    assert run_start_probability(np.array([a]), rho)[0] == pytest.approx(starts, rel=0.05)
    tail = 0.5 * math.erfc(a / math.sqrt(2))
    assert run_start_probability(np.array([a]), 0.0)[0] == pytest.approx(tail * (1 - tail))


def test_group_factors_fixed_and_alike_on_every_plane():
    u, v = group_noise_factors(62, 0.2, 0), group_noise_factors(62, 0.2, 1)
    assert np.array_equal(u, group_noise_factors(62, 0.2, 0)) and not np.array_equal(u, v)
    assert np.allclose(np.sort(u), np.sort(v)) and np.median(u) == pytest.approx(1.0, abs=0.01)
    assert np.array_equal(group_noise_factors(5, 0.0, 2), np.ones(5))
