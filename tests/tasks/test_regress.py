"""Energy regression: the ln E loss, the task's outputs and metrics, resolution and calorimetry by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from argonet import units
from argonet.errors import ConfigError, DataError
from argonet.eval.energy import (calibration_scale, calorimetric_energy_MeV, deposited_from_wire_charge,
                                 resolution_vs_energy, wire_dx_cm)
from argonet.sim.detector import LARIAT
from argonet.sim.ionization import recombination_modbox
from argonet.sim.waveform import peak_adc_per_electron
from argonet.tasks.regress import REFERENCE_MeV, RegressTask, log_energy_loss


def test_log_energy_loss_by_hand():
    pred = torch.tensor([math.log(100.0), math.log(200.0)])
    energy = torch.tensor([100.0, 100.0])
    assert float(log_energy_loss(pred, energy)) == pytest.approx(math.log(2.0) ** 2 / 2)
    assert float(log_energy_loss(pred, torch.tensor([100.0, 200.0]))) == pytest.approx(0.0, abs=1e-6)


class _Constant(nn.Module):
    def __init__(self, value: float, width: int = 1):
        super().__init__()
        self.value, self.width = value, width

    def forward(self, x):
        return torch.full((x.shape[0], self.width), self.value)


def test_task_output_target_and_metrics():
    task = RegressTask()
    batch = {"image": torch.zeros(2, 1, 4, 4), "energy": torch.tensor([50.0, 200.0]), "label": torch.tensor([0, 1])}
    out = task(_Constant(math.log(100.0 / REFERENCE_MeV)), batch)
    assert out["output"] == pytest.approx(torch.full((2,), math.log(100.0)))
    assert out["output"].shape == (2,) and torch.equal(out["target"], batch["energy"])
    assert float(out["loss"]) == pytest.approx((math.log(2.0) ** 2 + math.log(2.0) ** 2) / 2, rel=1e-5)
    m = task.metrics(torch.tensor([math.log(110.0), math.log(90.0)]), torch.tensor([100.0, 100.0]))
    assert m["bias"] == pytest.approx(0.0, abs=1e-6) and m["resolution"] == pytest.approx(math.sqrt(0.02), rel=1e-5)
    with pytest.raises(ConfigError, match="^model.num_classes:"):
        task(_Constant(0.0, width=3), batch)
    with pytest.raises(DataError):
        task(_Constant(0.0), {"image": batch["image"], "label": batch["label"]})


def test_resolution_per_bin_by_hand():
    true = np.array([100.0, 100.0, 100.0, 1000.0, 1000.0, 5000.0])
    reco = np.array([110.0, 90.0, 100.0, 1100.0, 1300.0, 5000.0])
    out = resolution_vs_energy(true, reco, [0.0, 500.0, 2000.0])
    assert out["n"].tolist() == [3, 2]                         # 5000 MeV lies outside
    assert out["bias"][0] == pytest.approx(0.0, abs=1e-12) and out["resolution"][0] == pytest.approx(0.1)
    assert out["error"][0] == pytest.approx(0.1 / 2.0)
    assert out["bias"][1] == pytest.approx(0.2) and out["resolution"][1] == pytest.approx(math.sqrt(0.02))
    single = resolution_vs_energy(true[:1], reco[:1], [0.0, 500.0])
    assert single["n"].tolist() == [1] and np.isnan(single["resolution"][0])


def test_calorimetry_inverts_the_simulators_recombination():
    field = LARIAT.drift_field_kV_per_cm
    dx = wire_dx_cm(LARIAT, 1)
    assert dx == pytest.approx(0.4 / math.cos(math.radians(30.0)))
    for dEdx in (2.1, 5.0, 20.0, 0.5):                         # 0.5 MeV/cm: below the 1 MeV/cm floor
        r = float(recombination_modbox(dEdx, field))
        electrons = dEdx * dx * units.electrons_per_MeV * r
        assert deposited_from_wire_charge(np.array([electrons]), dx, field)[0] == pytest.approx(dEdx * dx, rel=1e-9)
    # above the 30 MeV/cm ceiling the survival fraction stays that of 30 MeV/cm: linear, no blow-up
    r30 = float(recombination_modbox(30.0, field))
    electrons = 100.0 * dx * units.electrons_per_MeV * r30
    assert deposited_from_wire_charge(np.array([electrons]), dx, field)[0] == pytest.approx(100.0 * dx, rel=1e-9)
    # a 10-wire MIP track drawn as one pixel per wire in collection-peak ADC, and a noise pixel below threshold
    r_mip = float(recombination_modbox(units.mip_dEdx_MeV_per_cm, field))
    electrons = units.mip_dEdx_MeV_per_cm * dx * units.electrons_per_MeV * r_mip
    image = np.zeros((20, 30))
    image[5:15, 7] = electrons * peak_adc_per_electron(LARIAT)
    image[1, 1] = 7.0
    expected = 10 * units.mip_dEdx_MeV_per_cm * dx
    assert calorimetric_energy_MeV(image, LARIAT, 1, "wire") == pytest.approx(expected, rel=1e-9)
    assert calorimetric_energy_MeV(image, LARIAT, 1, "mip") == pytest.approx(expected, rel=1e-9)
    image[5:15, 8] = image[5:15, 7]          # two overlapping tracks: R(MIP) doubles, the inversion more
    assert calorimetric_energy_MeV(image, LARIAT, 1, "mip") == pytest.approx(2 * expected, rel=1e-9)
    assert calorimetric_energy_MeV(image, LARIAT, 1, "wire") > 2 * expected
    with pytest.raises(DataError):
        calorimetric_energy_MeV(image, LARIAT, 0)
    with pytest.raises(DataError):
        calorimetric_energy_MeV(image, LARIAT, 1, "sum")
    assert calibration_scale(np.array([10.0, 20.0, 30.0]), np.array([5.0, 10.0, 0.0])) == pytest.approx(2.0)
