"""Freezing, partial loading and head replacement by regular expressions over parameter names.

Patterns are matched at the start of a name (``re.match``): ``layer[1-3]\\.`` or ``^(?!fc\\.)``
(everything but the head). Frozen parameters stop receiving gradients, and ``train_mode`` keeps
batch norms whose parameters are all frozen in evaluation mode, so their running statistics stay
those of the pretrained backbone as well.
"""

from __future__ import annotations

import contextlib

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
import re

from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from argonet.errors import ConfigError


def _matches(name: str, patterns: Iterable[str]) -> bool:
    """True when any pattern matches the start of name."""
    return any(re.match(p, name) for p in patterns)


def _top_level(names: Iterable[str]) -> list[str]:
    """First components of dotted names, in order, without repeats (for 'valid' hints)."""
    return list(dict.fromkeys(n.split(".")[0] for n in names))


def _check_used(patterns: Sequence[str], names: Sequence[str], field_name: str) -> None:
    """A pattern that matches nothing is almost always a typo: say so instead of silently doing nothing."""
    for pattern in patterns:
        if not any(re.match(pattern, n) for n in names):
            raise ConfigError(field_name, f"pattern {pattern!r} matches no parameter name", _top_level(names))


def freeze(model: nn.Module, patterns: Sequence[str], unfreeze: Sequence[str] = (),
           field_name: str = "model.freeze") -> list[str]:
    """Stop gradients of parameters matching ``patterns`` but not ``unfreeze``; returns the names frozen."""
    names = [n for n, _ in model.named_parameters()]
    _check_used(patterns, names, field_name)
    _check_used(unfreeze, names, "model.unfreeze")
    frozen = []
    for name, param in model.named_parameters():
        if _matches(name, patterns) and not _matches(name, unfreeze):
            param.requires_grad_(False)
            frozen.append(name)
    return frozen


def unfreeze(model: nn.Module, patterns: Sequence[str]) -> list[str]:
    """Let parameters matching ``patterns`` train again; returns their names."""
    names = [n for n, _ in model.named_parameters()]
    _check_used(patterns, names, "model.unfreeze")
    thawed = []
    for name, param in model.named_parameters():
        if _matches(name, patterns):
            param.requires_grad_(True)
            thawed.append(name)
    return thawed


def frozen_parameters(model: nn.Module) -> list[str]:
    """Names of the parameters that do not train."""
    return [n for n, p in model.named_parameters() if not p.requires_grad]


def train_mode(model: nn.Module) -> nn.Module:
    """``model.train()``, except batch norms whose parameters are all frozen, which stay in eval mode."""
    model.train()
    for module in model.modules():
        params = list(module.parameters(recurse=False))
        if isinstance(module, _BatchNorm) and params and not any(p.requires_grad for p in params):
            module.eval()
    return model


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """Evaluate inside the block, then give the model back its training/eval state (batch norms included)."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Give a classifier a freshly initialised ``num_classes`` head (trainable even if the rest is frozen)."""
    model.reset_classifier(num_classes)
    return model


def check_compatible(model: nn.Module, state: Mapping[str, Tensor], replace_head: bool = False,
                     source: str = "the checkpoint") -> list[str]:
    """Refuse a checkpoint that does not fit ``model``, saying what differs; returns head keys to skip.

    A different class count is allowed only with ``replace_head`` (the checkpoint's head is then
    skipped); a different number of input channels or any other shape is an error. ``source`` names the
    checkpoint in the messages.
    """
    if hasattr(model, "check_state"):          # a model that tells its own checkpoints from look-alikes
        model.check_state(state, source)
    own = model.state_dict()
    skip: list[str] = []
    head = getattr(model, "classifier_name", None)
    head_weight = f"{head}.weight"
    if (head and head_weight in state and head_weight in own and state[head_weight].ndim == 2
            and state[head_weight].shape[0] != own[head_weight].shape[0]):
        if not replace_head:
            raise ConfigError("model.num_classes", f"checkpoint has {state[head_weight].shape[0]} classes, model "
                              f"has {own[head_weight].shape[0]}; pass model.replace_head=true to train a new head")
        skip = [k for k in state if k.startswith(f"{head}.")]
    conv = f"{getattr(model, 'first_conv', '')}.weight"
    if conv in state and conv in own and state[conv].shape[1] != own[conv].shape[1]:
        raise ConfigError("model.in_chans", f"checkpoint has {state[conv].shape[1]} input channels, model has "
                          f"{own[conv].shape[1]}; use the checkpoint's planes, or start from model.weights, "
                          "which adapts the first convolution")
    for key, value in state.items():
        if key in own and key not in skip and value.shape != own[key].shape:
            raise ConfigError("model.name", f"checkpoint does not fit {type(model).__name__}: {key} is "
                              f"{tuple(value.shape)} there, {tuple(own[key].shape)} in the model")
    return skip


@dataclass
class LoadReport:
    """What a partial load did: keys loaded, left at their initial values, ignored, filtered out."""

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        def some(keys: list[str]) -> str:
            return f" ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})" if keys else ""
        return (f"loaded {len(self.loaded)} tensors; {len(self.missing)} missing{some(self.missing)}, "
                f"{len(self.unexpected)} unexpected{some(self.unexpected)}, {len(self.excluded)} excluded")


def load_state(model: nn.Module, state: Mapping[str, Tensor], include: Sequence[str] = (),
               exclude: Sequence[str] = (), skip: Sequence[str] = ()) -> LoadReport:
    """Load the keys of ``state`` matching ``include`` (empty: all) and not ``exclude`` or ``skip``.

    Nothing is required to match: missing and unexpected keys are reported, not fatal (as when a
    new head or a different decoder is trained on a loaded backbone). Shapes must agree.
    """
    keys = list(state)
    _check_used(include, keys, "model.load_include")
    _check_used(exclude, keys, "model.load_exclude")
    report = LoadReport()
    chosen = {}
    for key in keys:
        if (include and not _matches(key, include)) or _matches(key, exclude) or key in skip:
            report.excluded.append(key)
        else:
            chosen[key] = state[key]
    check_compatible(model, chosen, replace_head=False)
    result = model.load_state_dict(chosen, strict=False)
    report.missing, report.unexpected = list(result.missing_keys), list(result.unexpected_keys)
    report.loaded = [k for k in chosen if k not in report.unexpected]
    return report
