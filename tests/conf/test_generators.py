"""One dataclass per generator: ``generator=<name>`` picks it, an option of another generator is refused."""

from __future__ import annotations

from dataclasses import fields

import pytest

from argonet.conf.compose import compose, to_yaml
from argonet.conf.generators import (
    GENERATOR_SCHEMAS,
    CosmicsGenerator,
    GunGenerator,
    InteractionsGenerator,
    JetsGenerator,
)
from argonet.conf.help import field_comments
from argonet.conf.sim import SimulateConfig
from argonet.errors import ConfigError

SHARED = {"name", "neutrons", "cosmic_flux_scale", "ar39_Bq_per_kg"}


def _names(cls: type) -> set[str]:
    """The field names of a dataclass."""
    return {f.name for f in fields(cls)}


@pytest.mark.parametrize("group, cls", [("interactions", InteractionsGenerator), ("gun", GunGenerator),
                                        ("cosmics", CosmicsGenerator), ("jets", JetsGenerator),
                                        ("dune", InteractionsGenerator)])
def test_the_group_picks_the_generator_dataclass(group, cls):
    cfg = compose("simulate", SimulateConfig, [f"generator={group}"])
    assert type(cfg.generator) is cls and cfg.generator.name == (group if group != "dune" else "interactions")


def test_each_generator_holds_only_its_options():
    assert _names(CosmicsGenerator) == SHARED
    assert _names(JetsGenerator) == {"name", "jets"}
    assert "classes" not in _names(GunGenerator) and "particles" not in _names(InteractionsGenerator)
    assert "ke_spectrum" not in _names(InteractionsGenerator) and "flux" not in _names(GunGenerator)
    assert _names(GunGenerator) & _names(InteractionsGenerator) == SHARED | {"fiducial_margin_cm", "cosmics"}


def test_the_stored_configuration_lists_only_the_generator_used():
    gun = to_yaml(compose("simulate", SimulateConfig, ["generator=gun", "generator.particles=[e-]"]))
    assert "particles:\n  - e-\n" in gun and "classes:" not in gun and "jets:" not in gun and "flux:" not in gun
    cosmics = to_yaml(compose("simulate", SimulateConfig, ["generator=cosmics"]))
    assert "generator:\n  name: cosmics\n  neutrons: false\n  cosmic_flux_scale: 1.0\n  ar39_Bq_per_kg: 0.0\n" \
           "physics:" in cosmics


def test_the_documented_keys_still_compose():
    gun = compose("simulate", SimulateConfig, ["generator=gun", "generator.particles=[e-,gamma]",
                                               "generator.ke_MeV_min=400", "generator.ke_MeV_max=500"]).generator
    assert isinstance(gun, GunGenerator) and gun.particles == ["e-", "gamma"] and gun.ke_MeV_max == 500.0
    overlay = compose("simulate", SimulateConfig, ["generator=interactions", "generator.cosmics=true",
                                                   "image.mode=full"]).generator
    assert isinstance(overlay, InteractionsGenerator) and overlay.cosmics and overlay.ar39_Bq_per_kg == 1.01
    dune = compose("simulate", SimulateConfig, ["generator=dune"]).generator
    assert isinstance(dune, InteractionsGenerator) and dune.flux == "dune" and dune.neutrons
    assert dune.classes == ["NUMU_CC", "NUE_CC", "NUTAU_CC", "NC"] and dune.fiducial_margin_cm == 50.0
    jets = compose("simulate", SimulateConfig, ["generator=jets", "generator.jets.pixels=40"]).generator
    assert isinstance(jets, JetsGenerator) and jets.jets.pixels == 40


@pytest.mark.parametrize("overrides, message", [
    (["generator=gun", "generator.classes=[CCQE]"],
     "generator.classes: is not an option of generator=gun (it belongs to generator=interactions)"),
    (["generator=interactions", "generator.particles=[e-]"],
     "generator.particles: is not an option of generator=interactions (it belongs to generator=gun)"),
    (["generator=jets", "generator.cosmics=true"],
     "generator.cosmics: is not an option of generator=jets (it belongs to generator=interactions and generator=gun)"),
    (["generator=cosmics", "generator.ke_MeV_max=300"],
     "generator.ke_MeV_max: is not an option of generator=cosmics (it belongs to generator=gun)"),
    (["generator=gun", "generator.jets.pixels=40"],
     "generator.jets: is not an option of generator=gun (it belongs to generator=jets)"),
    (["generator=dune", "generator.direction=beam"],
     "generator.direction: is not an option of generator=interactions (it belongs to generator=gun)"),
])
def test_an_option_of_another_generator_is_refused_naming_where_it_belongs(overrides, message):
    with pytest.raises(ConfigError) as err:
        compose("simulate", SimulateConfig, overrides)
    assert str(err.value) == message


def test_a_misspelled_generator_option_gets_the_nearest_one_of_that_generator():
    with pytest.raises(ConfigError, match=r"^generator.particle: .*\(did you mean generator.particles\?\)$"):
        compose("simulate", SimulateConfig, ["generator=gun", "generator.particle=[e-]"])
    with pytest.raises(ConfigError, match=r"^generator.jets.pixel: .*\(did you mean generator.jets.pixels\?\)$"):
        compose("simulate", SimulateConfig, ["generator=jets", "generator.jets.pixel=40"])


def test_the_name_is_set_by_the_group_only():
    with pytest.raises(ConfigError, match=r"^generator.name: choose the generator with generator=gun "):
        compose("simulate", SimulateConfig, ["generator.name=gun"])
    with pytest.raises(ConfigError, match=r"^generator.name: unknown generator 'neutrinos'"):
        compose("simulate", SimulateConfig, ["generator.name=neutrinos"])
    with pytest.raises(ConfigError, match=r"^generator: unknown option 'foo' \(valid: cosmics, dune, gun, "
                                          r"interactions, jets\)$"):
        compose("simulate", SimulateConfig, ["generator=foo"])


def test_every_generator_option_has_a_help_comment_inherited_ones_too():
    for cls in GENERATOR_SCHEMAS.values():
        comments = field_comments(cls)
        assert {"name"} <= set(comments)
        undescribed = _names(cls) - set(comments) - {"ke_MeV_max", "p_MeV_max"}     # described by their _min
        assert undescribed == set(), (cls.__name__, undescribed)
