"""Named model builders: ``get_model("resnet18", num_classes=3, in_chans=3)``.

Builders register themselves with ``@register_model()`` when their module is imported; the
modules of argonet's own models are imported on first use, so a name is found without the caller
importing anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
import inspect
from typing import Any, TypeVar

from torch import nn

from argonet.errors import ConfigError

#: imported in this order until a name is found (torchvision's classifiers last: importing them costs ~0.17 GB)
BUILTIN_MODULES = ("argonet.models.uresnet", "argonet.models.sparse.uresnet", "argonet.models.jets",
                   "argonet.models.classifiers")

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
F = TypeVar("F", bound=Callable[..., nn.Module])


def register_model(name: str | None = None) -> Callable[[F], F]:
    """Register a builder under ``name`` (default: the function's name); a second use of a name raises."""

    def wrapper(builder: F) -> F:
        key = name or builder.__name__
        if key in _BUILDERS:
            raise ValueError(f"a model is already registered under the name {key!r}")
        _BUILDERS[key] = builder
        return builder

    return wrapper


def _load_builtins(name: str | None = None) -> None:
    """Import argonet's model modules so that their builders are registered (only until ``name`` is)."""
    for module in BUILTIN_MODULES:
        if name is not None and name in _BUILDERS:
            return
        import_module(module)


def list_models(module: str | None = None) -> list[str]:
    """Names of all registered models, sorted; only those defined in ``module`` when given (one model family)."""
    _load_builtins()
    return sorted(k for k, b in _BUILDERS.items() if module is None or b.__module__ == module)


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build model ``name``; arguments left as None take the builder's default (so configs can leave them unset)."""
    _load_builtins(name)
    if name not in _BUILDERS:
        raise ConfigError("model.name", f"unknown model {name!r}", choices=sorted(_BUILDERS))
    builder = _BUILDERS[name]
    accepted = inspect.signature(builder).parameters
    for key in kwargs:
        if key not in accepted:
            raise ConfigError(f"model.{key}", f"model {name!r} takes no argument {key!r}", choices=accepted)
    given = {k: v for k, v in kwargs.items() if v is not None}
    model = builder(**given)
    # what checkpoints store to build the same network again (pretrained weights are replaced by theirs)
    model.argonet_builder = {"name": name, "kwargs": {k: v for k, v in given.items() if k != "weights"}}
    return model
