"""Compose a sub-command's configuration: YAML defaults + dotted overrides → validated dataclass."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
import difflib
from importlib import resources
import re
from typing import Any, TypeVar

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from argonet import __version__
from argonet.errors import ConfigError

T = TypeVar("T")
_OPTION_KEY = re.compile(r"^(?:\w+\.)*options\.\w+=")
#: keys that were removed, and the key that sets the same thing
REMOVED_KEYS = {"run.num_workers": "data.workers"}
SCHEMA_SUFFIX = "_schema"                  # config-store names of the dataclasses, not options to choose


def compose(command: str, schema: type[T], overrides: list[str]) -> T:
    """The validated config of ``command`` (YAML in argonet/conf/yaml/<command>.yaml, if any)."""
    from hydra import compose as hydra_compose, initialize_config_module
    from hydra.core.config_store import ConfigStore
    from hydra.errors import HydraException

    replaced = {**REMOVED_KEYS, **getattr(schema, "REPLACED_KEYS", {})}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(item, "expected key=value (e.g. n_events=500)")
        key = item.split("=", 1)[0].lstrip("+~")
        if key in replaced:
            raise ConfigError(key, f"is not an option of argonet {command}: set {replaced[key]} (one key per setting)")
    # free-form builder arguments (model.options.width=24) are keys the schema cannot list: add-or-set
    overrides = ["++" + item if _OPTION_KEY.match(item) else item for item in overrides]
    _store_schemas(ConfigStore.instance(), command, schema)
    has_yaml = resources.files("argonet.conf.yaml").joinpath(f"{command}.yaml").is_file()
    try:
        with initialize_config_module(config_module="argonet.conf.yaml", version_base=None):
            cfg = hydra_compose(config_name=command if has_yaml else f"{command}_schema", overrides=overrides)
        obj = OmegaConf.to_object(cfg)
    except ConfigError:
        raise
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(*_explain(err, schema)) from None
    except (TypeError, ValueError) as err:   # raised by dataclass construction
        raise ConfigError("config", _one_line(str(err))) from None
    assert is_dataclass(obj)
    return obj  # type: ignore[return-value]


def _store_schemas(store: Any, command: str, schema: type) -> None:
    """Register ``<command>_schema`` and, per variant group (``VARIANT_GROUPS``), ``<group>/<name>_schema``.

    A variant group's section starts as its base dataclass, so the group option chosen
    (``generator=gun``, whose YAML extends ``gun_schema``) sets the section's dataclass and its keys.
    """
    node = OmegaConf.structured(schema)
    for group, (base, variants) in getattr(schema, "VARIANT_GROUPS", {}).items():
        node[group] = OmegaConf.structured(base)
        for name, cls in variants.items():
            store.store(group=group, name=f"{name}{SCHEMA_SUFFIX}", node=cls)
    store.store(name=f"{command}{SCHEMA_SUFFIX}", node=node)


def to_yaml(cfg: Any) -> str:
    """The resolved configuration as YAML text (printed at start, stored in output files)."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))


def echo(command: str, cfg: Any) -> str:
    """Print the version, the command and its resolved configuration (the first thing a command prints);
    returns the YAML text, which outputs store."""
    text = to_yaml(cfg)
    print(f"argonet {__version__} {command}\n{text}", flush=True)
    return text


def _one_line(text: str) -> str:
    """First meaningful line of a library message."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else text


def known_keys(schema: type, key: str, where: type | None = None) -> list[str]:
    """The dotted keys beside ``key`` in ``schema`` (those of its parent section, of dataclass ``where`` when
    given); [] when there is none."""
    parent, _, _ = key.rpartition(".")
    if where is not None and is_dataclass(where):
        return [f"{parent}.{f.name}" if parent else f.name for f in fields(where)]
    try:
        node = OmegaConf.structured(schema)
        node = OmegaConf.select(node, parent) if parent else node
    except OmegaConfBaseException:
        return []
    if not isinstance(node, DictConfig):
        return []
    return [f"{parent}.{name}" if parent else str(name) for name in node.keys()]


def _other_variant(key: str, schema: type | None, where: type | None) -> str | None:
    """'is not an option of generator=gun (it belongs to generator=interactions)' for a key of another
    variant of a variant group (``VARIANT_GROUPS``); None otherwise."""
    group, _, rest = key.partition(".")
    variants = getattr(schema, "VARIANT_GROUPS", {}).get(group, (None, {}))[1]
    current = [name for name, cls in variants.items() if cls is where]
    option = rest.split(".")[0]
    owners = [name for name, cls in variants.items() if option in {f.name for f in fields(cls)}]
    if not current or not owners:
        return None
    return (f"is not an option of {group}={current[0]} (it belongs to "
            + " and ".join(f"{group}={name}" for name in owners) + ")")


def _unknown_key(key: str, schema: type | None, where: type | None = None) -> str:
    """'unknown configuration key', with the nearest known key when one is close; for a key of another
    variant (``generator.classes`` with ``generator=gun``), the variant it belongs to."""
    other = _other_variant(key, schema, where)
    if other is not None:
        return other
    near = difflib.get_close_matches(key, known_keys(schema, key, where), n=1) if schema is not None else []
    return "unknown configuration key" + (f" (did you mean {near[0]}?)" if near else "")


def _explain(err: Exception, schema: type | None = None) -> tuple[str, str]:
    """(field, message) for a Hydra/OmegaConf error, with the valid options where it lists them."""
    cause = err.__cause__ if isinstance(err.__cause__, OmegaConfBaseException) else None
    if cause is not None:
        err = cause
    text = str(err)
    key = getattr(err, "full_key", None) or ""
    m = re.search(r"Could not find '([^']+)'", text)
    if m:
        group = m.group(1).split("/")[0]
        opts = [o for o in re.findall(r"^\s+(\S+)\s*$", text, re.M) if not o.endswith(SCHEMA_SUFFIX)]
        return group, f"unknown option {m.group(1).split('/')[-1]!r}" + (f" (valid: {', '.join(opts)})" if opts else "")
    m = (re.search(r"Could not override '([^']+)'", text) or re.search(r"Key '([^']+)' is not in struct", text)
         or re.search(r"Key '([^']+)' not in '", text))
    if m:
        name = key if key.endswith(m.group(1)) else m.group(1)
        return name, _unknown_key(name, schema, getattr(err, "object_type", None))
    return key or "config", _one_line(text)
