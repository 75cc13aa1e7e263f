"""Configuration of ``argonet display``."""

from __future__ import annotations

from dataclasses import dataclass

from argonet.errors import ConfigError


LABEL_CHOICES = ("semantic", "kind", "both", "none")


@dataclass
class DisplayConfig:
    """Which event of which file to draw, and how."""

    file: str = ""                         # the larcv3 file (or the first positional argument)
    event: int = 0                         # entry number of the event to draw (0: the first)
    output: str | None = None            # default: <file stem>_event<N>.png beside the file
    labels: str = "both"                 # semantic | kind | both | none
    charge: str = "sbndwire"             # larcv3 producer names
    semantic: str = "sbnd_cosmicseg"       # sparse2d producer of the semantic labels
    kind: str = "argonet_kind"             # sparse2d producer of the per-particle kind labels
    prediction: str | None = None        # producer of predicted labels, if the file has them
    zoom: bool = True                    # crop each plane to its active region

    def require_file(self) -> str:
        """The file to draw; ConfigError when none was given (checked when the command runs, so that --help works)."""
        if not self.file:
            raise ConfigError("file", "name the file to display: argonet display FILE event=N")
        return self.file

    def __post_init__(self) -> None:
        if self.event < 0:
            raise ConfigError("event", f"must be >= 0 (got {self.event})")
        if self.labels not in LABEL_CHOICES:
            raise ConfigError("labels", f"unknown label type {self.labels!r}", LABEL_CHOICES)
