"""Configuration of ``argonet display``."""

from __future__ import annotations

from dataclasses import dataclass

from argonet.errors import ConfigError


LABEL_CHOICES = ("semantic", "kind", "both", "none")


@dataclass
class DisplayConfig:
    """Which event of which file to draw, and how."""

    file: str = ""
    event: int = 0
    output: str | None = None            # default: <file stem>_event<N>.png beside the file
    labels: str = "both"                 # semantic | kind | both | none
    charge: str = "sbndwire"             # larcv3 producer names
    semantic: str = "sbnd_cosmicseg"
    kind: str = "argonet_kind"
    prediction: str | None = None        # producer of predicted labels, if the file has them
    zoom: bool = True                    # crop each plane to its active region

    def __post_init__(self) -> None:
        if not self.file:
            raise ConfigError("file", "name the file to display: argonet display FILE event=N")
        if self.event < 0:
            raise ConfigError("event", f"must be >= 0 (got {self.event})")
        if self.labels not in LABEL_CHOICES:
            raise ConfigError("labels", f"unknown label type {self.labels!r}", LABEL_CHOICES)
