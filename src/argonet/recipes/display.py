"""One event drawn (``argonet display FILE event=N``): a PNG of the planes with truth (and predicted) labels."""

from __future__ import annotations

from pathlib import Path

from argonet.conf.display import DisplayConfig
from argonet.errors import ConfigError, FormatError
from argonet.conf.compose import echo
from argonet.io import AtomicPath, Larcv3File
from argonet.viz.display import plot_event, save


def display(cfg: DisplayConfig) -> Path:
    """Draw event ``cfg.event`` of ``cfg.file``; returns the PNG path."""
    path = Path(cfg.require_file())
    echo("display", cfg)
    if not path.is_file():
        raise FormatError("no such file", file=str(path))
    with Larcv3File(path) as f:
        if cfg.event >= len(f):
            raise FormatError(f"event {cfg.event} is past the end ({len(f)} events)", file=str(path), event=cfg.event)
        charge = f.sparse2d(cfg.charge, cfg.event)
        rows = []
        for label_kind, producer in (("semantic", cfg.semantic), ("kind", cfg.kind)):
            stored = label_kind == "semantic" or producer in f.products.get("sparse2d", [])
            if cfg.labels in (label_kind, "both") and stored:
                rows.append(("truth", label_kind, [s.dense() for s in f.sparse2d(producer, cfg.event)]))
        if cfg.prediction:
            rows.append(("prediction", "semantic", [s.dense() for s in f.sparse2d(cfg.prediction, cfg.event)]))
        truth = f.truth(cfg.event)
    title = f"{path.name}  event {cfg.event}"
    if truth is not None:
        title += f"  [{truth.class_name}"
        if truth.nu_energy_GeV > 0:
            title += f", E_nu = {truth.nu_energy_GeV:.2f} GeV"
        if truth.n_cosmics:
            title += f", {truth.n_cosmics} cosmics"
        title += "]"
    fig = plot_event([c.dense() for c in charge], [c.meta for c in charge], rows, title=title, zoom=cfg.zoom)
    out = Path(cfg.output) if cfg.output else path.with_name(f"{path.stem}_event{cfg.event}.png")
    if not out.parent.is_dir():
        raise ConfigError("output", f"folder {out.parent} does not exist")
    with AtomicPath(out, overwrite=True) as atomic:
        save(fig, str(atomic.tmp), file_format=out.suffix.lstrip(".") or "png")
    print(f"wrote {out}")
    return out
