"""The search space of a sweep: a YAML mapping of training-config keys to distributions, checked
against the training configuration, sampled by Optuna, and applied to the configuration.

    optim.lr: {type: float, low: 1.0e-4, high: 0.1, log: true}
    model.options.hidden: {type: int, low: 8, high: 64, step: 8}
    model.name: [smallcnn, resnet18]          # a list is a categorical
    loss.balance: {type: categorical, choices: [none, light, focal]}
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
import math
import numbers
from pathlib import Path
import types
import typing
from typing import Any, Union

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
import yaml

from argonet.conf.classify import TrainCommandConfig
from argonet.errors import ConfigError, nearest

KINDS = ("float", "int", "categorical")
#: keys the sweep sets itself
RESERVED = ("task", "run.output_dir", "run.resume")
_SPEC_FIELDS = {"float": {"type", "low", "high", "log", "step"}, "int": {"type", "low", "high", "log", "step"},
                "categorical": {"type", "choices"}}


@dataclass(frozen=True)
class Param:
    """One swept key and its distribution."""

    key: str
    kind: str                                  # float | int | categorical
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any) -> Any:
        """The value Optuna's ``trial`` proposes for this key."""
        if self.kind == "float":
            return trial.suggest_float(self.key, self.low, self.high, log=self.log, step=self.step)
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log, step=int(self.step or 1))
        return trial.suggest_categorical(self.key, list(self.choices))

    def describe(self) -> dict[str, Any]:
        """A plain description (stored with the study and in sweep.json)."""
        if self.kind == "categorical":
            return {"key": self.key, "type": "categorical", "choices": list(self.choices)}
        return {"key": self.key, "type": self.kind, "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}


def _hints(cls: type) -> dict[str, Any]:
    """Resolved field types of a dataclass."""
    return typing.get_type_hints(cls)


def _leaf_type(key: str, where: str) -> Any:
    """The declared type of a dotted training-config key; ConfigError when no such key exists."""
    cls: Any = TrainCommandConfig
    parts = key.split(".")
    for i, part in enumerate(parts):
        names = [f.name for f in fields(cls)]
        if part not in names:
            prefix = ".".join(parts[:i])
            full = [f"{prefix}.{n}" if prefix else n for n in names]
            raise ConfigError(f"{where}: {key}", f"unknown configuration key ({nearest(key, full)})")
        hint = _hints(cls)[part]
        if i == len(parts) - 1:
            return hint
        if is_dataclass(hint):
            cls = hint
            continue
        if typing.get_origin(hint) is dict and i == len(parts) - 2:       # model.options.width, optim.group_lr.head
            return typing.get_args(hint)[1]
        raise ConfigError(f"{where}: {key}", f"{'.'.join(parts[:i + 1])} has no sub-keys")
    raise ConfigError(f"{where}: {key}", "unknown configuration key")   # pragma: no cover - loop always returns


def _fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` may be stored in a field declared as ``hint``."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is list:
        inner = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(v, inner[0] if inner else Any) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    return isinstance(value, hint) if isinstance(hint, type) else False


def _number(spec: dict, name: str, field: str, integral: bool) -> float | None:
    """A bound or step of a spec (YAML writes 1e-4 as text: read as a number); None when absent."""
    if name not in spec or spec[name] is None:
        return None
    value = spec[name]
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(field, f"{name} must be a number, got {spec[name]!r}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ConfigError(field, f"{name} must be a finite number, got {spec[name]!r}")
    if integral and value != int(value):
        raise ConfigError(field, f"{name} must be an integer for type int, got {spec[name]!r}")
    return int(value) if integral else float(value)


def parse_param(key: str, spec: Any, where: str = "sweep.space") -> Param:
    """One entry of the space, checked against the training configuration (one-line errors naming the key)."""
    field = f"{where}: {key}"
    if not isinstance(key, str) or not key:
        raise ConfigError(where, f"keys must be dotted configuration keys, got {key!r}")
    if key in RESERVED or key.split(".")[0] == "sweep":
        raise ConfigError(field, "is set by the sweep itself and cannot be swept")
    hint = _leaf_type(key, where)
    if isinstance(spec, list):
        spec = {"type": "categorical", "choices": spec}
    if not isinstance(spec, dict):
        raise ConfigError(field, f"expected a list of choices or a mapping with type, got {spec!r}")
    kind = spec.get("type", "categorical" if "choices" in spec else None)
    if kind not in KINDS:
        raise ConfigError(field, f"unknown type {kind!r}", KINDS)
    extra = set(spec) - _SPEC_FIELDS[kind]
    if extra:
        raise ConfigError(field, f"unknown field(s) {sorted(extra)} for type {kind}", sorted(_SPEC_FIELDS[kind]))
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ConfigError(field, "choices must be a non-empty list")
        bad = [c for c in choices if not _fits(c, hint)]
        if bad:
            raise ConfigError(field, f"choice {bad[0]!r} does not fit the key's type {_name(hint)}")
        if any(isinstance(c, (list, dict)) for c in choices):
            raise ConfigError(field, "choices must be single values (numbers, text, true/false, null)")
        return Param(key, kind, choices=tuple(choices))
    integral = kind == "int"
    low, high = _number(spec, "low", field, integral), _number(spec, "high", field, integral)
    if low is None or high is None:
        raise ConfigError(field, f"type {kind} needs low and high")
    if low > high:
        raise ConfigError(field, f"low {low} > high {high}")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(field, f"log must be true or false, got {log!r}")
    if log and low <= 0:
        raise ConfigError(field, f"log scale needs low > 0, got {low}")
    step = _number(spec, "step", field, integral)
    if step is not None and (step <= 0 or log):
        raise ConfigError(field, "step must be > 0 and cannot be combined with log")
    sample = int(low) if integral else float(low)
    if not _fits(sample, hint):
        raise ConfigError(field, f"type {kind} does not fit the key's type {_name(hint)}")
    return Param(key, kind, low, high, log, step)


def _name(hint: Any) -> str:
    """A type hint as text."""
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def parse_space(mapping: Any, where: str = "sweep.space") -> list[Param]:
    """Every entry of a parsed space YAML; ConfigError naming the key of the first bad one."""
    if not isinstance(mapping, dict) or not mapping:
        raise ConfigError(where, "expected a non-empty mapping of configuration keys to distributions")
    return [parse_param(key, spec, where) for key, spec in mapping.items()]


def load_space(path: str | Path) -> list[Param]:
    """The search space of a YAML file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("sweep.space", f"no search space file at {path}")
    try:
        mapping = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(str(path), f"not valid YAML ({str(err).splitlines()[0]})") from None
    return parse_space(mapping, str(path))


def apply_params(base: dict[str, Any], params: dict[str, Any], output_dir: str) -> TrainCommandConfig:
    """The training configuration of one trial: ``base`` with ``params`` set and its own output folder."""
    cfg = OmegaConf.merge(OmegaConf.structured(TrainCommandConfig), base)
    try:
        for key, value in {**params, "run.output_dir": output_dir, "run.resume": False}.items():
            OmegaConf.update(cfg, key, value, force_add=".options." in f".{key}" or ".group_lr." in key)
        obj = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(getattr(err, "full_key", None) or "sweep.space", str(err).splitlines()[0]) from None
    assert isinstance(obj, TrainCommandConfig)
    return obj
