"""Configuration composition: dotted overrides, groups, one-line errors naming the field."""

from __future__ import annotations

import pytest

from argonet.conf.compose import compose, to_yaml
from argonet.conf.sim import SimulateConfig
from argonet.errors import ConfigError


def test_overrides_and_groups():
    cfg = compose("simulate", SimulateConfig,
                  ["generator=gun", "n_events=7", "detector=microboone", "seed=3", "generator.ke_MeV_max=300"])
    assert cfg.generator.name == "gun"
    assert cfg.n_events == 7 and cfg.seed == 3 and cfg.detector == "microboone"
    assert cfg.generator.ke_MeV_max == 300.0
    assert "ke_MeV_max: 300.0" in to_yaml(cfg)


def test_default_is_the_four_neutrino_classes():
    cfg = compose("simulate", SimulateConfig, [])
    assert cfg.generator.name == "interactions"
    assert cfg.generator.classes == ["CCQE", "CCRES", "NCQE", "NCRES"]


@pytest.mark.parametrize("override, field", [
    ("generator=foo", "generator"),
    ("n_events=0", "n_events"),
    ("n_events=-4", "n_events"),
    ("n_events=abc", "n_events"),
    ("nevents=3", "nevents"),
    ("generator=gun generator.particles=[zz]", "generator.particles"),
    ("generator=gun generator.ke_MeV_min=-5", "generator.ke_MeV_min/ke_MeV_max"),
    ("generator=gun generator.ke_MeV_max=1e9", "generator.ke_MeV_min/ke_MeV_max"),
    ("shard=3/2", "shard"),
    ("shard=half", "shard"),
    ("image.mode=x", "image.mode"),
    ("response.induction=tripolar", "response.induction"),
])
def test_bad_values_name_the_field(override, field):
    with pytest.raises(ConfigError) as err:
        compose("simulate", SimulateConfig, override.split())
    message = str(err.value)
    assert message.startswith(field + ":"), message
    assert "\n" not in message


def test_unknown_detector_lists_presets():
    from argonet.sim.detector import get_detector
    with pytest.raises(ConfigError, match="valid: sbnd, microboone, lariat"):
        get_detector("icarus2")


def test_shard_without_events_is_refused():
    with pytest.raises(ConfigError, match="^shard: .*no events"):
        compose("simulate", SimulateConfig, ["n_events=1", "shard=2/3"])


def test_a_misspelled_key_gets_the_nearest_one():
    from argonet.conf.classify import TrainCommandConfig

    with pytest.raises(ConfigError, match=r"^n_event: unknown configuration key \(did you mean n_events\?\)$"):
        compose("simulate", SimulateConfig, ["n_event=5"])
    with pytest.raises(ConfigError, match=r"^run.batchsize: .*\(did you mean run.batch_size\?\)$"):
        compose("train", TrainCommandConfig, ["run.batchsize=5"])
    with pytest.raises(ConfigError, match=r"^zzz: unknown configuration key$"):
        compose("simulate", SimulateConfig, ["zzz=5"])
