"""³⁹Ar β decays: the spectrum, the rate of 1.01 Bq/kg over the event window, and blips labelled background."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.conf.compose import compose
from argonet.conf.sim import NATURAL_CLASSES, SimulateConfig
from argonet.sim.detector import SBND
from argonet.sim.generators.radiologicals import (AR39_Q_MeV, argon_mass_kg, ar39_deposits, beta_energies_MeV,
                                                  electron_dEdx_MeV_per_cm)


def test_spectrum_and_stopping_power():
    t = beta_energies_MeV(200_000, np.random.default_rng(1))
    assert 0.0 < t.min() and t.max() < AR39_Q_MeV
    assert t.mean() == pytest.approx(0.22, abs=0.01)          # the measured mean β energy of 39Ar ≈ 0.22 MeV
    dEdx = electron_dEdx_MeV_per_cm(np.array([0.05, 0.2, 0.5]))
    assert np.all(np.diff(dEdx) < 0) and 2.0 < dEdx[-1] < 2.6    # minimum ionising near 0.5 MeV


def test_rate_and_labels():
    assert argon_mass_kg(SBND) == pytest.approx(402 * 400 * 500 * 1.396e-3)
    window_s = (SBND.cosmic_window_us[1] - SBND.cosmic_window_us[0]) * 1e-6
    mean = 1.01 * argon_mass_kg(SBND) * window_s                 # ≈ 363 decays per event window
    counts = [len(ar39_deposits(SBND, 1.01, np.random.default_rng(i))) for i in range(20)]
    assert np.mean(counts) == pytest.approx(mean, rel=3 * np.sqrt(mean / 20) / mean)
    dep = ar39_deposits(SBND, 1.01, np.random.default_rng(0))
    assert np.all(dep.semantic == 0) and np.all(dep.kind == 0)
    assert np.all(dep.dx_cm < 0.3) and len(ar39_deposits(SBND, 0.0, np.random.default_rng(0))) == 0


def test_full_readouts_get_the_natural_sample_and_39ar_by_default():
    full = compose("simulate", SimulateConfig, ["image.mode=full"])
    assert full.generator.ar39_Bq_per_kg == 1.01 and full.generator.classes == NATURAL_CLASSES
    crop = compose("simulate", SimulateConfig, [])
    assert crop.generator.ar39_Bq_per_kg == 0.0 and crop.generator.classes == ["CCQE", "CCRES", "NCQE", "NCRES"]
    kept = compose("simulate", SimulateConfig, ["image.mode=full", "generator.sample=classes",
                                                "generator.ar39_Bq_per_kg=0", "response.signal_processing=off"])
    assert kept.generator.classes == ["CCQE", "CCRES", "NCQE", "NCRES"] and kept.generator.ar39_Bq_per_kg == 0
    chosen = compose("simulate", SimulateConfig, ["image.mode=full", "generator.classes=[CCQE]"])
    assert chosen.generator.classes == ["CCQE"]                # classes given: kept
