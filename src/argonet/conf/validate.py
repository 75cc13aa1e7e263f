"""The one validation helper of the configuration dataclasses."""

from __future__ import annotations

from collections.abc import Iterable

from argonet.errors import ConfigError


def check(cond: bool, field_name: str, message: str, choices: Iterable[str] | None = None) -> None:
    """Raise ConfigError naming the field unless cond holds."""
    if not cond:
        raise ConfigError(field_name, message, choices)
