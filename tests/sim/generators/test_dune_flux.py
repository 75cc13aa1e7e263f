"""The DUNE beam: flux shape, event energies and process mix against the published DUNE CVN sample
(the truth of ../shared/data/dune_cvn: median E_nu numu CC 3.1 GeV, nue CC 7.0, nutau CC 15.3, NC 3.4;
numu CC labelled QE 16 % : RES 30 % : DIS 49 % (+5 % other))."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.conf.generators import InteractionsGenerator
from argonet.errors import ConfigError
from argonet.sim.detector import DUNE_FD
from argonet.sim.generators import generate
from argonet.sim.generators import dune_flux as dune
from argonet.sim.generators import neutrino as nu

ELECTRON, MUON, TAU = 11, 13, 15


def _plans(class_name: str, n: int, seed: int) -> list[dune.Plan]:
    rng = np.random.default_rng(seed)
    return [dune.plan(class_name, rng) for _ in range(n)]


def test_numu_flux_peaks_near_2_5_gev():
    """The LBNF neutrino-mode nu_mu flux peaks at 2-2.5 GeV; nu_e are ~1 % of it and harder."""
    centres = np.arange(0.125, 40.0, 0.25)
    numu, nue = dune.flux_density("numu", centres), dune.flux_density("nue", centres)
    assert 2.0 <= centres[np.argmax(numu)] <= 2.5
    assert dune.flux_density("numu", 50.0) == 0.0
    assert np.average(centres, weights=nue) > 1.5 * np.average(centres, weights=numu)


@pytest.mark.parametrize("class_name, median_GeV, rel", [("NUMU_CC", 3.11, 0.15), ("NUE_CC", 6.97, 0.2),
                                                         ("NUTAU_CC", 15.26, 0.15), ("NC", 3.42, 0.2)])
def test_event_energies_match_the_cvn_sample(class_name, median_GeV, rel):
    energies = np.array([p.e_nu_GeV for p in _plans(class_name, 2000, seed=1)])
    assert np.median(energies) == pytest.approx(median_GeV, rel=rel)
    if class_name == "NUTAU_CC":                 # tau production threshold, 3.45 GeV
        assert energies.min() > 3.4


def test_numu_cc_process_mix_moves_to_dis_with_energy():
    plans = _plans("NUMU_CC", 3000, seed=2)
    share = {p: np.mean([x.process == p for x in plans]) for p in ("qe", "res", "dis")}
    assert 0.12 <= share["qe"] <= 0.30 and 0.20 <= share["res"] <= 0.38 and 0.40 <= share["dis"] <= 0.60
    high = [x.process for x in plans if x.e_nu_GeV > 8.0]
    assert np.mean([p == "dis" for p in high]) > 0.8


def test_cross_sections_have_the_lepton_mass_thresholds():
    # CC DIS per nucleon approaches the isoscalar sigma/E = 0.677e-38 cm²/GeV of the PDG review
    assert dune.cross_section_cm2("dis", MUON, 50.0) / 50.0 == pytest.approx(0.677e-38, rel=0.05)
    assert dune.cross_section_cm2("qe", TAU, 3.3) == 0.0 < dune.cross_section_cm2("qe", TAU, 4.0)
    assert dune.cross_section_cm2("dis", TAU, 5.5) == 0.0 < dune.cross_section_cm2("dis", MUON, 5.5)
    # NC: R_nu = 0.31 of CC in DIS
    assert dune.cross_section_cm2("dis", None, 10.0) / dune.cross_section_cm2("dis", MUON, 10.0) == \
        pytest.approx(0.31, rel=0.05)


def test_nutau_cc_makes_a_tau_that_decays_at_the_vertex():
    rng = np.random.default_rng(3)
    for _ in range(20):
        _, nu_pdg, interaction = nu.interaction_kinematics("NUTAU_CC", rng, 40.0, True, "dune")
        assert nu_pdg == 16 and interaction.lepton[0] == TAU
    primaries, truth = nu.sample_interaction("NUTAU_CC", DUNE_FD, rng, e_max_GeV=40.0, beam="dune")
    assert truth.nu_pdg == 16 and truth.current_type == 0
    assert TAU not in primaries["pdg"]                      # transport sees its daughters
    # its daughters start at the vertex with everything else
    assert np.allclose(primaries[["x_cm", "y_cm", "z_cm"]].tolist(), truth.vertex_cm)


def test_nue_cc_makes_an_electron_and_nc_no_charged_lepton():
    rng = np.random.default_rng(4)
    primaries, truth = nu.sample_interaction("NUE_CC", DUNE_FD, rng, e_max_GeV=40.0, beam="dune")
    assert truth.nu_pdg == 12 and ELECTRON in primaries["pdg"]
    for _ in range(20):
        primaries, truth = nu.sample_interaction("NC", DUNE_FD, rng, e_max_GeV=40.0, beam="dune")
        assert truth.current_type == 1 and truth.interaction_type in (1002, 1006, 1007, 1008, 1009, 1092)
        assert not np.isin(np.abs(primaries["pdg"]), (ELECTRON, MUON, TAU)).any()


def test_generator_config_selects_the_dune_beam():
    cfg = InteractionsGenerator(classes=["NUMU_CC", "NUE_CC", "NUTAU_CC", "NC"], flux="dune")
    rng = np.random.default_rng(5)
    classes = {generate(cfg, DUNE_FD, rng)[1].class_name for _ in range(40)}
    assert classes == {"NUMU_CC", "NUE_CC", "NUTAU_CC", "NC"}
    with pytest.raises(ConfigError, match="^generator.flux:"):
        InteractionsGenerator(flux="numi")
    with pytest.raises(ConfigError, match="^generator.classes:"):
        generate(InteractionsGenerator(classes=["NUTAU_CC"]), DUNE_FD, rng)        # BNB: below the tau threshold
