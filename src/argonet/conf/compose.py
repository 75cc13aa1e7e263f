"""Compose a sub-command's configuration: YAML defaults + dotted overrides → validated dataclass."""

from __future__ import annotations

from dataclasses import is_dataclass
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
    ConfigStore.instance().store(name=f"{command}_schema", node=schema)
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


def known_keys(schema: type, key: str) -> list[str]:
    """The dotted keys beside ``key`` in ``schema`` (those of its parent section); [] when there is none."""
    parent, _, _ = key.rpartition(".")
    try:
        node = OmegaConf.structured(schema)
        node = OmegaConf.select(node, parent) if parent else node
    except OmegaConfBaseException:
        return []
    if not isinstance(node, DictConfig):
        return []
    return [f"{parent}.{name}" if parent else str(name) for name in node.keys()]


def _unknown_key(key: str, schema: type | None) -> str:
    """'unknown configuration key', with the nearest known key when one is close."""
    near = difflib.get_close_matches(key, known_keys(schema, key), n=1) if schema is not None else []
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
        opts = re.findall(r"^\s+(\S+)\s*$", text, re.M)
        return group, f"unknown option {m.group(1).split('/')[-1]!r}" + (f" (valid: {', '.join(opts)})" if opts else "")
    m = (re.search(r"Could not override '([^']+)'", text) or re.search(r"Key '([^']+)' is not in struct", text)
         or re.search(r"Key '([^']+)' not in '", text))
    if m:
        name = key if key.endswith(m.group(1)) else m.group(1)
        return name, _unknown_key(name, schema)
    return key or "config", _one_line(text)
