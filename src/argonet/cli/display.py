"""``argonet display FILE event=N``: a PNG of the planes with truth (and predicted) labels."""

from __future__ import annotations

from pathlib import Path

from argonet.conf.display import DisplayConfig
from argonet.recipes.display import display


def positional_overrides(args: list[str]) -> list[str]:
    """Turn a leading bare FILE argument into ``file=FILE``."""
    out = []
    for a in args:
        if "=" not in a and not a.startswith("-"):
            a = "file=" + "'" + a.replace("\\", "\\\\").replace("'", "\\'") + "'"
        out.append(a)
    return out


def run(cfg: DisplayConfig) -> Path:
    """Run the command on its validated configuration (the library function prints its progress)."""
    return display(cfg)
