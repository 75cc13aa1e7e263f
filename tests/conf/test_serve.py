"""``argonet serve`` configuration: loopback by default, a token for anything else."""

from __future__ import annotations

import pytest

from argonet.conf.serve import ServeConfig
from argonet.errors import ConfigError


def test_defaults_bind_loopback_without_token():
    cfg = ServeConfig()
    assert cfg.host == "127.0.0.1" and cfg.token is None and cfg.port == 8765


@pytest.mark.parametrize("kwargs, field", [({"host": "0.0.0.0"}, "token"), ({"host": "10.0.0.2", "token": "short"},
                                                                             "token"),
                                           ({"port": 70000}, "port"), ({"poll_s": 0}, "poll_s")])
def test_bad_settings_name_their_field(kwargs, field):
    with pytest.raises(ConfigError, match=f"^{field}:"):
        ServeConfig(**kwargs)


def test_other_host_with_a_token_is_accepted():
    assert ServeConfig(host="0.0.0.0", token="long-enough-secret").token == "long-enough-secret"
