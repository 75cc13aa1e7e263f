"""Toy neutrino generator against the published numbers of lartpc-physics.md §5 and §9."""

from __future__ import annotations

import math

import numpy as np
import pytest

from argonet import units
from argonet.errors import ConfigError
from argonet.event import EVENT_CLASSES, Semantic
from argonet.sim.detector import SBND
from argonet.sim.generators import neutrino as nu
from argonet.sim.generators.kinematics import mass
from argonet.sim.generators.placement import fiducial_bounds

M_MU_GeV = units.muon_mass_MeV / 1000.0
FULL_GeV = 100.0     # §5.4 samples E_nu from the whole flux (the table plus its tail above 3 GeV)


def _kinematics(class_name, n, seed, **kw):
    rng = np.random.default_rng(seed)
    return [nu.interaction_kinematics(class_name, rng, **kw) for _ in range(n)]


def _lepton_ke_cos(events):
    ke, cos = [], []
    for _, _, r in events:
        e, px, py, pz = r.lepton[1]
        ke.append(e - M_MU_GeV)
        cos.append(pz / math.sqrt(px * px + py * py + pz * pz))
    return np.array(ke), np.array(cos)


def test_ccqe_muon_kinematics_match_section_5_4():
    # §9 check 24 / §5.4: free-nucleon LS, E_nu from flux x sigma, no Fermi motion, no FSI:
    # median muon KE 0.56 GeV, median cos(theta_mu) 0.77 (≤ 5 %); mean KE 0.65 GeV, 46 % with cos > 0.8
    events = _kinematics("CCQE", 5000, seed=1, e_max_GeV=FULL_GeV, fermi_motion=False)
    ke, cos = _lepton_ke_cos(events)
    assert np.median(ke) == pytest.approx(0.56, rel=0.05)
    assert np.median(cos) == pytest.approx(0.77, rel=0.05)
    assert np.mean(ke) == pytest.approx(0.65, rel=0.05)
    assert np.mean(cos > 0.8) == pytest.approx(0.46, abs=0.03)
    # proton KE median 0.10 GeV once the 30 MeV binding is taken off ω (§5.4)
    proton_ke = np.array([r.hadrons[0][1][0] - nu.MASS_GeV[2212] for _, _, r in events])
    assert np.median(proton_ke) - 0.030 == pytest.approx(0.10, rel=0.1)


def test_res_kinematics_match_section_5_4():
    # §5.4 Delta(1232) toy, nucleon at rest: pion KE median 0.155 GeV, nucleon KE median 0.16,
    # muon KE median 0.59, cos(theta_mu) median 0.87 (≤ 10 %)
    events = _kinematics("CCRES", 4000, seed=2, e_max_GeV=FULL_GeV, fermi_motion=False)
    ke, cos = _lepton_ke_cos(events)
    pion_ke = [p4[0] - nu.MASS_GeV[pdg] for _, _, r in events for pdg, p4 in r.hadrons if pdg in (211, 111)]
    nucleon_ke = [p4[0] - nu.MASS_GeV[pdg] for _, _, r in events for pdg, p4 in r.hadrons if pdg in (2212, 2112)]
    assert np.median(pion_ke) == pytest.approx(0.155, rel=0.10)
    assert np.median(nucleon_ke) == pytest.approx(0.16, rel=0.10)
    assert np.median(ke) == pytest.approx(0.59, rel=0.10)
    assert np.median(cos) == pytest.approx(0.87, rel=0.10)
    # pion KE 10-90 % = 0.05-0.33 GeV
    assert np.quantile(pion_ke, [0.1, 0.9]) == pytest.approx([0.05, 0.33], abs=0.03)


def test_ccqe_conserves_four_momentum_on_a_free_nucleon():
    for e_nu, _, r in _kinematics("CCQE", 200, seed=3, fermi_motion=False):
        initial = (e_nu + nu.MASS_GeV[2112], 0.0, 0.0, e_nu)
        assert nu.total_four_momentum(r) == pytest.approx(initial, abs=1e-9)
        assert mass(r.lepton[1]) == pytest.approx(M_MU_GeV, rel=1e-6)
        assert mass(r.hadrons[0][1]) == pytest.approx(nu.MASS_GeV[2212], rel=1e-9)


def test_res_and_dis_conserve_four_momentum_on_a_free_nucleon():
    for class_name in ("CCRES", "CCDIS"):
        for e_nu, _, r in _kinematics(class_name, 100, seed=4, fermi_motion=False):
            total = nu.total_four_momentum(r)
            # the target is a proton or a neutron (1.3 MeV apart)
            assert total[0] - e_nu == pytest.approx(0.9389, abs=0.001)
            assert total[1:] == pytest.approx((0.0, 0.0, e_nu), abs=1e-9)


@pytest.mark.parametrize("class_name, channels", [("CCRES", nu.CC_RES_CHANNELS), ("NCRES", nu.NC_RES_CHANNELS)])
def test_res_final_states_follow_clebsch_gordan(class_name, channels):
    # §5.2 (before FSI): CC mu-p pi+ 71 %, mu-p pi0 19 %, mu-n pi+ 10 %;
    # NC p pi0 30 %, n pi+ 15 %, n pi0 37 %, p pi- 18 %
    n = 3000
    events = _kinematics(class_name, n, seed=5)
    published = {1003: (2212, 211, 0.71), 1004: (2212, 111, 0.19), 1005: (2112, 211, 0.10),
                 1006: (2212, 111, 0.30), 1007: (2112, 211, 0.15), 1008: (2112, 111, 0.37), 1009: (2212, -211, 0.18)}
    codes = np.array([r.code for _, _, r in events])
    for channel in channels:
        nucleon, pion, fraction = published[channel.code]
        share = np.mean(codes == channel.code)
        assert share == pytest.approx(fraction, abs=4 * math.sqrt(fraction * (1 - fraction) / n))
    for _, _, r in events:
        nucleon, pion, _ = published[r.code]
        assert sorted(pdg for pdg, _ in r.hadrons) == sorted([nucleon, pion])
        assert r.current == (nu.CC if class_name == "CCRES" else nu.NC)


def test_nc_pi0_class_always_has_a_pi0_after_fsi():
    rng = np.random.default_rng(6)
    for _ in range(300):
        primaries, truth = nu.sample_interaction("NC_PI0", SBND, rng)
        assert (primaries["pdg"] == 111).sum() == 1
        assert truth.interaction_type in (1006, 1008) and truth.current_type == nu.NC


def _protons_above(primaries, ke_MeV=40.0) -> int:
    p = primaries[primaries["pdg"] == 2212]
    momentum = np.sqrt(p["px_MeV"] ** 2 + p["py_MeV"] ** 2 + p["pz_MeV"] ** 2)
    return int(np.sum(np.hypot(momentum, units.proton_mass_MeV) - units.proton_mass_MeV > ke_MeV))


def test_proton_multiplicity_in_numu_cc():
    # §5.5 (approximate): protons above 40 MeV in numu CC at BNB: ~1/3 none, ~45 % one, ~15 % two,
    # ≤ 10 % three or more; CC mixed as §5.3's natural CCQE 0.45 : CCRES 0.33
    rng = np.random.default_rng(7)
    counts = []
    for _ in range(2400):
        class_name = "CCQE" if rng.random() < 0.45 / 0.78 else "CCRES"
        counts.append(_protons_above(nu.sample_interaction(class_name, SBND, rng)[0]))
    counts = np.array(counts)
    assert np.mean(counts == 0) == pytest.approx(1 / 3, abs=0.08)
    assert np.mean(counts == 1) == pytest.approx(0.45, abs=0.10)
    assert np.mean(counts == 2) == pytest.approx(0.15, abs=0.07)
    assert np.mean(counts >= 3) <= 0.10


def test_fsi_absorbs_and_exchanges_pions():
    # §5.5 recipe: 20 % of pions absorbed, 7 % charge-exchanged
    rng = np.random.default_rng(8)
    n, no_pion, pi0 = 3000, 0, 0
    for _ in range(n):
        primaries, truth = nu.sample_interaction("CCRES", SBND, rng)
        pions = primaries["pdg"][np.isin(primaries["pdg"], (211, -211, 111))]
        no_pion += len(pions) == 0
        pi0 += np.sum(pions == 111)
    assert no_pion / n == pytest.approx(0.20, abs=0.03)
    # pi0 share: 19 % from the channels, minus 27 % of them lost, plus 7 % of the 81 % charged ones
    assert pi0 / n == pytest.approx(0.19 * 0.73 + 0.81 * 0.07, abs=0.025)


def test_dis_makes_several_pions_above_w_min():
    for _, _, r in _kinematics("CCDIS", 200, seed=9, fermi_motion=False):
        hadronic = [p4 for _, p4 in r.hadrons]
        total = tuple(sum(c) for c in zip(*hadronic))
        assert mass(total) >= 1.7 - 1e-9
        pdgs = [pdg for pdg, _ in r.hadrons]
        assert sum(p in (211, -211, 111) for p in pdgs) >= 2
        charge = sum({2212: 1, 2112: 0, 211: 1, -211: -1, 111: 0}[p] for p in pdgs)
        assert charge in (1, 2)              # nu n → mu- X+ or nu p → mu- X++
        assert r.code == 1091


@pytest.mark.parametrize("class_name", nu.CLASSES)
def test_every_class_gives_valid_primaries_and_truth(class_name):
    rng = np.random.default_rng(10)
    lo, hi = fiducial_bounds(SBND, 10.0)
    for _ in range(50):
        primaries, truth = nu.sample_interaction(class_name, SBND, rng)
        assert truth.class_name == class_name and truth.class_name in EVENT_CLASSES
        assert truth.nu_pdg == (12 if class_name == "NUE_CC" else 14)
        assert 0.0 < truth.nu_energy_GeV <= 3.0
        assert truth.current_type == (nu.CC if class_name in ("CCQE", "CCRES", "NUE_CC", "CCDIS", "NUMU_CC")
                                      else nu.NC)
        assert 1001 <= truth.interaction_type <= 1092
        assert all(low <= v <= high for low, v, high in zip(lo, truth.vertex_cm, hi))
        assert 0.0 <= truth.vertex_t_ns <= units.bnb_spill_us * 1000.0
        assert set(primaries["pdg"].tolist()) <= {11, -11, 13, -13, 22, 111, 211, -211, 2212}
        assert np.all(primaries["semantic"] == Semantic.NEUTRINO)
        assert np.all(primaries["t_ns"] == truth.vertex_t_ns)
        np.testing.assert_array_equal(primaries["x_cm"], truth.vertex_cm[0])
        lepton = {"CCQE": 13, "CCRES": 13, "CCDIS": 13, "NUE_CC": 11, "NUMU_CC": 13}.get(class_name)
        if lepton is not None:
            assert np.sum(primaries["pdg"] == lepton) == 1


def test_neutrons_go_to_transport_only_when_asked():
    rng = np.random.default_rng(11)
    with_n = sum((nu.sample_interaction("NCQE", SBND, rng, neutrons=True)[0]["pdg"] == 2112).sum() for _ in range(200))
    without = sum((nu.sample_interaction("NCQE", SBND, rng)[0]["pdg"] == 2112).sum() for _ in range(200))
    assert with_n > 50 and without == 0


def test_same_seed_same_event():
    a = nu.sample_interaction("CCRES", SBND, np.random.default_rng(12))
    b = nu.sample_interaction("CCRES", SBND, np.random.default_rng(12))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]


def test_nutau_is_refused_with_a_clear_message():
    with pytest.raises(ConfigError, match=r"^generator.classes: NUTAU_CC needs"):
        nu.sample_interaction("NUTAU_CC", SBND, np.random.default_rng(0))


def test_mixed_classes_skip_processes_above_e_max():
    # NC DIS needs W > 1.7 GeV (E_nu > 1.07 GeV), nu_e RES E_nu > 0.35 GeV: below, the mixed
    # classes keep their other processes instead of failing
    rng = np.random.default_rng(13)
    nc_codes = {nu.sample_interaction("NC", SBND, rng, e_max_GeV=1.0)[1].interaction_type for _ in range(200)}
    assert nc_codes and 1092 not in nc_codes and 1002 in nc_codes
    nue_codes = {nu.sample_interaction("NUE_CC", SBND, rng, e_max_GeV=0.3)[1].interaction_type for _ in range(50)}
    assert nue_codes == {1001}
    with pytest.raises(ConfigError, match="^generator.nu_energy_GeV_max:"):
        nu.sample_interaction("CCRES", SBND, rng, e_max_GeV=0.3)
