"""``argonet <command> --help``: every option with its value, a one-line description and its valid choices.

Descriptions are the comments written beside each dataclass field (``name: type = default  # what it
is``; a comment-only line below continues it) and, for a section, the first line of its class
docstring. A schema may hide sections that another task uses (``HELP_TASK_SECTIONS``) and keys that
another key replaces (``REPLACED_KEYS``).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from functools import cache
import inspect
import io
import textwrap
import tokenize
from typing import Any

from omegaconf import OmegaConf

COMMENT_COLUMN = 40


@cache
def field_comments(cls: type) -> dict[str, str]:
    """The comment of each field of dataclass ``cls``, continuation lines joined; {} without source."""
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


def help_text(command: str, summary: str, cfg: Any) -> str:
    """The ``--help`` page of ``command`` for configuration ``cfg`` (defaults and the overrides given)."""
    lines = describe(cfg, hidden_keys(cfg))
    return f"argonet {command}: {summary}\n\n" + "\n".join(lines)
