"""``argonet <command> --help``: every option with its value, a one-line description and its valid choices.

Descriptions are the comments written beside each dataclass field (``name: type = default  # what it
is``; a comment-only line below continues it) and, for a section, the first line of its class
docstring. A schema may hide sections that another task uses (``HELP_TASK_SECTIONS``) and keys that
another key replaces (``REPLACED_KEYS``); for a section with one dataclass per group option
(``VARIANT_GROUPS``, e.g. ``generator=<name>``) the page ends with the options of the other choices.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from functools import cache
from importlib import resources
import inspect
import io
import textwrap
import tokenize
from typing import Any

from omegaconf import OmegaConf

COMMENT_COLUMN = 40


@cache
def field_comments(cls: type) -> dict[str, str]:
    """The comment of each field of dataclass ``cls`` (inherited fields too), continuation lines joined."""
    comments: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if is_dataclass(base):
            comments.update(_own_comments(base))
    return comments


def _own_comments(cls: type) -> dict[str, str]:
    """The comments of the fields written in the class body of ``cls``; {} without source."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    last, line_start = None, None
    names = {f.name for f in fields(cls)}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            line_start = None
            continue
        if line_start is None and token.type not in (tokenize.INDENT, tokenize.DEDENT):
            line_start = token
            if token.type == tokenize.NAME and token.string in names and token.start[1] == 4:
                last = token.string
            elif token.type != tokenize.COMMENT:
                last = None
        if token.type == tokenize.COMMENT and last is not None:
            text = token.string.lstrip("#").strip()
            comments[last] = f"{comments[last]} {text}" if last in comments else text
    return comments


def _summary(cls: type) -> str:
    """First sentence of a class docstring."""
    doc = " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
    return doc.split(". ")[0].rstrip(".")


def _value(value: Any) -> str:
    """A value as typed on the command line (YAML flow style)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return OmegaConf.to_yaml({"v": value}).strip()[3:]


def _line(indent: str, text: str, comment: str) -> str:
    """``text`` with ``# comment`` aligned in a column."""
    if not comment:
        return indent + text
    return f"{indent + text:<{COMMENT_COLUMN}}# {comment}"


def describe(cfg: Any, hidden: set[str] = frozenset(), prefix: str = "", indent: str = "") -> list[str]:
    """Lines for every field of dataclass instance ``cfg``: value, description; sections nested."""
    comments = field_comments(type(cfg))
    lines = []
    for f in fields(cfg):
        key = f"{prefix}{f.name}"
        if key in hidden:
            continue
        value = getattr(cfg, f.name)
        if is_dataclass(value):
            lines.append(_line(indent, f"{f.name}:", comments.get(f.name) or _summary(type(value))))
            lines += describe(value, hidden, f"{key}.", indent + "  ")
        else:
            lines.append(_line(indent, f"{f.name}: {_value(value)}", comments.get(f.name, "")))
    return lines


def hidden_keys(cfg: Any) -> set[str]:
    """Sections of another task (``HELP_TASK_SECTIONS``) and keys replaced by others (``REPLACED_KEYS``)."""
    task = getattr(cfg, "task", None)
    sections = getattr(type(cfg), "HELP_TASK_SECTIONS", {})
    hidden = {name for name, tasks in sections.items() if task not in tasks}
    return hidden | set(getattr(type(cfg), "REPLACED_KEYS", {}))


def split_help(args: list[str]) -> tuple[bool, list[str]]:
    """(whether ``-h``/``--help`` is among ``args``, the other arguments)."""
    rest = [a for a in args if a not in ("-h", "--help")]
    return len(rest) != len(args), rest


def other_variants(cfg: Any) -> list[str]:
    """For each variant group (``VARIANT_GROUPS``: ``generator=<name>``), the generators not chosen: each
    with the options the chosen one lacks (at their defaults), then the group's presets."""
    lines = []
    for group, (_, variants) in getattr(type(cfg), "VARIANT_GROUPS", {}).items():
        chosen = type(getattr(cfg, group))
        have = {f.name for f in fields(chosen)}
        lines.append(f"\nother choices of {group}=<name>, with the options that "
                     f"{group}={getattr(cfg, group).name} lacks:")
        for name, cls in variants.items():
            if cls is chosen:
                continue
            shared = [f.name for f in fields(cls) if f.name in have and f.name != "name"]
            note = f"; as above: {', '.join(shared)}" if shared else ""
            lines.append(_line("", f"{group}={name}:", _summary(cls) + note))
            own = {f"{group}.{f.name}" for f in fields(cls) if f.name in have}
            lines += describe(cls(), own, f"{group}.", "  ")
        lines += [_line("", f"{group}={name}:", text) for name, text in presets(group) if name not in variants]
    return lines


def presets(group: str) -> list[tuple[str, str]]:
    """(name, first comment line) of each YAML file of ``group`` in argonet/conf/yaml."""
    folder = resources.files("argonet.conf.yaml").joinpath(group)
    if not folder.is_dir():
        return []
    found = []
    for item in sorted(folder.iterdir(), key=lambda f: f.name):
        if item.name.endswith(".yaml"):
            first = (item.read_text().splitlines() or [""])[0]
            found.append((item.name.removesuffix(".yaml"), first.lstrip("#").strip()))
    return found


def help_text(command: str, summary: str, cfg: Any) -> str:
    """The ``--help`` page of ``command`` for configuration ``cfg`` (defaults and the overrides given)."""
    lines = describe(cfg, hidden_keys(cfg)) + other_variants(cfg)
    return f"argonet {command}: {summary}\n\n" + "\n".join(lines)
