"""``argonet simulate detector=lariat generator=gun`` as the particle-identification sample: beamline
particles, raw wire x tick images of both planes, truth class and kinetic energy; bad options in one line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet.cli.main import main
from argonet.event import EVENT_CLASSES
from argonet.io import Larcv3File
from argonet.sim.detector import LARIAT
from argonet.sim.readout import padded_wires

PID = ["detector=lariat", "generator=gun", "generator.particles=[e-,gamma,mu-,pi-,p,K+]",
       "generator.direction=beamline", "generator.p_MeV_min=100", "generator.p_MeV_max=2000",
       "image.mode=full", "image.tick_downsample=1", "progress=false"]


def test_pid_sample_has_raw_images_of_both_planes_and_truth(tmp_path):
    out = tmp_path / "pid.h5"
    assert main(["simulate", *PID, "n_events=3", f"output={out}"]) == 0
    with Larcv3File(out) as f:
        assert len(f) == 3
        for entry in range(3):
            event = f.event(entry)
            raw_ticks = (padded_wires(LARIAT), LARIAT.readout_ticks)
            assert [im.meta.shape for im in event.charge] == [raw_ticks] * 2
            assert all(len(im.value) > 0 for im in event.charge)
            assert event.truth.class_name in EVENT_CLASSES and event.truth.class_name.startswith("SINGLE_")
            primary = event.particles[event.particles["process"] == b"primary"][0]
            p = math.sqrt(primary["px_MeV"] ** 2 + primary["py_MeV"] ** 2 + primary["pz_MeV"] ** 2)
            assert 100.0 <= p <= 2000.0 + 1e-6
            assert primary["start_cm"][2] == pytest.approx(LARIAT.active_min_cm[2])
            assert np.isfinite(primary["energy_init_MeV"]) and primary["energy_init_MeV"] >= p


@pytest.mark.parametrize("args, key", [(["generator.particles=[mu-,muon]"], "generator.particles"),
                                       (["generator.p_MeV_min=2000", "generator.p_MeV_max=100"],
                                        "generator.p_MeV_min/p_MeV_max"),
                                       (["generator.ke_MeV_min=900", "generator.ke_MeV_max=100"],
                                        "generator.ke_MeV_min/ke_MeV_max"),
                                       (["generator.direction=upstream"], "generator.direction")])
def test_bad_pid_options_are_one_line_naming_the_key(tmp_path, capsys, args, key):
    assert main(["simulate", *PID, "n_events=2", *args, f"output={tmp_path / 'x.h5'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("argonet simulate: error:") and err.count("\n") == 1 and key in err
    assert not (tmp_path / "x.h5").exists()
