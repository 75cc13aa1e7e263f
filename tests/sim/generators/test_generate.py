"""The generate() dispatcher: class draws, cosmic overlay, truth, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.conf.generators import CosmicsGenerator, GunGenerator, InteractionsGenerator, JetsGenerator
from argonet.errors import ConfigError
from argonet.event import EVENT_CLASSES, Semantic
from argonet.sim.deposits import PRIMARY_DTYPE
from argonet.sim.detector import LARIAT, SBND
from argonet.sim.generators import generate


def test_balanced_classes_by_default():
    cfg = InteractionsGenerator()
    rng = np.random.default_rng(0)
    names = [generate(cfg, SBND, rng)[1].class_name for _ in range(2000)]
    for c in cfg.classes:
        assert names.count(c) / 2000 == pytest.approx(0.25, abs=0.035)


def test_class_weights_are_respected():
    cfg = InteractionsGenerator(classes=["CCQE", "NCRES", "NUE_CC"], class_weights=[3.0, 1.0, 0.0])
    rng = np.random.default_rng(1)
    names = [generate(cfg, SBND, rng)[1].class_name for _ in range(1200)]
    assert "NUE_CC" not in names
    assert names.count("CCQE") / 1200 == pytest.approx(0.75, abs=0.04)


def test_cosmic_overlay_is_appended_and_counted():
    cfg = InteractionsGenerator(classes=["CCQE"], cosmics=True)
    primaries, truth = generate(cfg, SBND, np.random.default_rng(2))
    assert primaries.dtype == PRIMARY_DTYPE
    cosmic = primaries["semantic"] == Semantic.COSMIC
    assert truth.n_cosmics == cosmic.sum() > 0
    assert np.all(primaries["semantic"][~cosmic] == Semantic.NEUTRINO) and (~cosmic).sum() >= 1
    gun = GunGenerator(particles=["p"], cosmics=True, cosmic_flux_scale=2.0)
    primaries, truth = generate(gun, SBND, np.random.default_rng(3))
    assert truth.class_name == "SINGLE_P" and truth.n_cosmics == len(primaries) - 1


def test_cosmics_only_events():
    cfg = CosmicsGenerator()
    primaries, truth = generate(cfg, LARIAT, np.random.default_rng(4))
    assert truth.class_name == "COSMIC" and truth.n_cosmics == len(primaries)
    assert np.all(primaries["semantic"] == Semantic.COSMIC)


def test_every_generator_returns_known_classes():
    rng = np.random.default_rng(5)
    configs = [InteractionsGenerator(classes=["CCQE", "CCRES", "NCQE", "NCRES", "NUE_CC", "NC_PI0", "CCDIS", "NC",
                                              "NUMU_CC"]),
               GunGenerator(particles=["e-", "e+", "gamma", "mu-", "mu+", "pi-", "pi+", "p", "pi0", "K+"]),
               CosmicsGenerator()]
    seen = set()
    for cfg in configs:
        for _ in range(150):
            seen.add(generate(cfg, SBND, rng)[1].class_name)
    assert seen <= set(EVENT_CLASSES)
    assert seen == set(EVENT_CLASSES) - {"NUTAU_CC"}


def test_same_seed_same_event():
    cfg = InteractionsGenerator(classes=["CCRES", "NC"], cosmics=True)
    a = generate(cfg, SBND, np.random.default_rng([7, 3]))
    b = generate(cfg, SBND, np.random.default_rng([7, 3]))
    c = generate(cfg, SBND, np.random.default_rng([7, 4]))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1] and a[1] != c[1]


def test_jets_and_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="^generator.name:"):
        generate(JetsGenerator(), SBND, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="^generator.ke_spectrum:"):
        GunGenerator(ke_spectrum="flat")
    with pytest.raises(ConfigError, match="^generator.nu_energy_GeV_max:"):
        generate(InteractionsGenerator(classes=["CCDIS"], nu_energy_GeV_max=1.0), SBND, np.random.default_rng(0))


def test_nuclear_switches_reach_the_generator():
    rng = np.random.default_rng(8)
    free = InteractionsGenerator(classes=["CCQE"], fermi_motion=False, fsi=False)
    for _ in range(100):
        primaries, truth = generate(free, SBND, rng)
        # nu n → mu- p on a free neutron at rest: total momentum along the beam only
        total = [primaries[f"p{a}_MeV"].sum() for a in "xyz"]
        assert total[0] == pytest.approx(0.0, abs=1e-6) and total[1] == pytest.approx(0.0, abs=1e-6)
        assert total[2] == pytest.approx(1000.0 * truth.nu_energy_GeV, rel=1e-9)


def test_require_visible_redraws_invisible_ncqe():
    """NC elastic on a neutron leaves nothing that ionises; by default such draws are redrawn."""
    from argonet.sim.detector import SBND
    from argonet.sim.generators import generate, has_visible

    rng = np.random.default_rng(4)
    loose = InteractionsGenerator(classes=["NCQE"], require_visible=False)
    empty = sum(not has_visible(generate(loose, SBND, rng)[0]) for _ in range(200))
    assert empty > 40, "NCQE should often be invisible without the redraw"
    strict = InteractionsGenerator(classes=["NCQE"])
    assert all(has_visible(generate(strict, SBND, rng)[0]) for _ in range(200))


def test_an_interaction_never_visible_after_max_redraws_is_an_error(monkeypatch):
    import argonet.sim.generators as generators
    from argonet.event import Truth

    def neutron_only(class_name, detector, rng, **kwargs):
        primaries = np.zeros(1, PRIMARY_DTYPE)
        primaries["pdg"] = 2112
        return primaries, Truth(class_name=class_name)

    calls = []
    monkeypatch.setattr(generators, "sample_interaction", lambda *a, **k: calls.append(1) or neutron_only(*a, **k))
    cfg = InteractionsGenerator(classes=["NCQE"])
    with pytest.raises(ConfigError, match=r"^generator.require_visible: 1000 draws of interactions generator class "
                                          r"NCQE \(flux bnb, .* in sbnd\) gave no visible primary"):
        generate(cfg, SBND, np.random.default_rng(0))
    assert len(calls) == generators.MAX_REDRAWS
    loose = InteractionsGenerator(classes=["NCQE"], require_visible=False)
    primaries, _ = generate(loose, SBND, np.random.default_rng(0))
    assert list(primaries["pdg"]) == [2112]                   # asked for: kept as drawn
