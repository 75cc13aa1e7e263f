"""Realism report for SBND-style full readouts: simulated larcv3 files against real ones (CosmicTagger layout) or
against a committed reference of the real medians.

    argonet compare real=REAL.h5 sim=SIM.h5 output_dir=runs/compare
    argonet compare real=reference:sbnd sim='sim_*.h5' output_dir=runs/compare

Per event and plane the quantities of ``argonet.eval.realism_larcv3`` (sparse2d charge ``charge`` and labels
``labels`` of the same pixels), medians over events per plane, sim/real ratios checked against the tolerance.
Writes ``report.json``, ``report.md``, ``distributions.png`` and (with ``examples``) ``examples.png`` (the first
event of each sample side by side on one colour scale) into ``output_dir`` at once.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import numpy as np

from argonet import __version__
from argonet.conf.compare import CompareConfig
from argonet.errors import DataError, FormatError
from argonet.eval.realism_larcv3 import (PLANE_NAMES, QUANTITIES, PlaneSample, compare_medians, load_reference,
                                         markdown_table, neutrino_sample, plane_statistics)
from argonet.io.atomic import AtomicFolder
from argonet.io.larcv3_chain import Larcv3Chain
from argonet.io.larcv3_layout import SEMANTIC_PRODUCER
from argonet.viz.compare_larcv3 import plot_plane_distributions, plot_side_by_side
from argonet.viz.display import save

REFERENCE_PREFIX = "reference:"
NEUTRINO_PRODUCER = "sbndneutrino"      # particle product whose neutrino row tells flavour, current and energy
NEUTRINO_PDGS = (12, 14, 16)


def is_larcv3_comparison(real: str) -> bool:
    """Whether ``real`` names larcv3 full readouts (a file, glob or reference) rather than a DUNE CVN folder."""
    real = str(real)
    return real.startswith(REFERENCE_PREFIX) or real.endswith((".h5", ".hdf5")) or Path(real).is_file()


def expand_paths(items: list[str], key: str) -> list[str]:
    """Files named by paths or globs, globs in sorted order; FormatError for a name that matches no file."""
    paths: list[str] = []
    for item in items:
        matches = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        if not matches or not all(Path(m).is_file() for m in matches):
            raise FormatError(f"no such file ({key}=)", file=item)
        paths.extend(matches)
    return paths


def read_sample(paths: list[str], charge: str, labels: str, max_events: int | None
                ) -> tuple[PlaneSample, list[np.ndarray]]:
    """Per-event, per-plane statistics of larcv3 files, and the dense charge planes of their first event."""
    chain = Larcv3Chain(paths)
    try:
        available = chain.products.get("sparse2d", [])
        for key, producer in (("charge", charge), ("labels", labels)):
            if producer not in available:
                raise FormatError(f"no sparse2d product {producer!r} ({key}=)", file=paths[0], available=available)
        sample, example = PlaneSample(), []
        n = len(chain) if max_events is None else min(len(chain), max_events)
        for entry in range(n):
            images, tags = chain.sparse2d(charge, entry), chain.sparse2d(labels, entry)
            if [len(im.index) for im in images] != [len(t.index) for t in tags]:
                f, local = chain.locate(entry)
                raise DataError(f"file {f.path}, event {local}: {charge!r} and {labels!r} hold different pixels")
            sample.add([plane_statistics(im.index, im.value, t.value, im.meta.shape) for im, t in zip(images, tags)])
            if entry == 0:
                example = [im.dense() for im in images]
        return sample, example
    finally:
        chain.close()


def read_neutrinos(paths: list[str], max_events: int | None) -> dict[str, float | int] | None:
    """Summary of the events' neutrinos (particle product sbndneutrino; energies in GeV), None without it."""
    chain = Larcv3Chain(paths)
    try:
        if NEUTRINO_PRODUCER not in chain.products.get("particle", []):
            return None
        rows = []
        for entry in range(len(chain) if max_events is None else min(len(chain), max_events)):
            f, local = chain.locate(entry)
            table = f.particles_raw(NEUTRINO_PRODUCER, local)
            nu = table[np.isin(np.abs(table["pdg"]), NEUTRINO_PDGS)]
            if len(nu):
                rows.append((int(nu["pdg"][0]), int(nu["current_type"][0]), float(nu["energy_init"][0])))
        pdg, current, energy = (np.array(c) for c in zip(*rows)) if rows else (np.zeros(0),) * 3
        return neutrino_sample(pdg, current, energy)
    finally:
        chain.close()


def _neutrino_lines(real: dict | None, sim: dict | None) -> list[str]:
    """The neutrino samples side by side (Markdown), or a note that the real one is unknown."""
    if real is None or sim is None:
        return ["Neutrino sample: not compared (no `sbndneutrino` particles in " +
                ("the real input" if real is None else "the simulated files") + ")."]
    keys = ("n_events", "cc_fraction", "nue_fraction", "energy_GeV_p16", "energy_GeV_median", "energy_GeV_p84")
    lines = ["| neutrino sample | real | sim |", "|---|---|---|"]
    return lines + [f"| {k} | {real.get(k, '–'):.3g} | {sim.get(k, '–'):.3g} |" if k in real and k in sim
                    else f"| {k} | – | – |" for k in keys]


def _per_plane(sample: PlaneSample | None, quantity: str, n_planes: int) -> list[np.ndarray | None]:
    """Per plane, the finite per-event values of a quantity (None without a sample)."""
    if sample is None:
        return [None] * n_planes
    return [v[np.isfinite(v)] for v in (sample.values(quantity, p) for p in range(n_planes))]


def write_report(out: Path, report: dict[str, Any], real: PlaneSample | None, sim: PlaneSample,
                 examples: tuple[list[np.ndarray] | None, list[np.ndarray]] | None) -> list[str]:
    """report.json, report.md, distributions.png and (optionally) examples.png into ``out``; returns the names."""
    planes = report["planes"]
    reference = report["real"]["medians"]
    quantities = {q: (_per_plane(real, q, len(planes)), _per_plane(sim, q, len(planes)),
                      reference.get(q, [None] * len(planes))) for q in QUANTITIES}
    save(plot_plane_distributions(quantities, QUANTITIES, planes), str(out / "distributions.png"))
    names = ["distributions.png"]
    if examples is not None:
        save(plot_side_by_side(*examples, planes), str(out / "examples.png"))
        names.append("examples.png")
    text = ["# Realism: simulated against real SBND full readouts", "",
            f"- real: `{report['real']['input']}` " + (f"({report['real']['n_events']} events)"
                                                        if report['real']['n_events'] else "(committed medians)"),
            f"- simulated: {', '.join(f'`{p}`' for p in report['sim']['input'])} ({report['sim']['n_events']} events)",
            f"- medians over events per plane; within: |sim/real − 1| ≤ {report['comparison']['tolerance']:.2f}", "",
            markdown_table(report["comparison"], planes), "",
            *_neutrino_lines(report["real"].get("neutrinos"), report["sim"].get("neutrinos")), "",
            *[f"![{n}]({n})" for n in names], ""]
    (out / "report.md").write_text("\n".join(text))
    (out / "report.json").write_text(json.dumps(report, indent=1, allow_nan=False))
    return ["report.json", "report.md", *names]


def compare_larcv3(real: str, sim: list[str], output_dir: str, *, charge: str = "sbndwire",
                   labels: str = SEMANTIC_PRODUCER, tolerance: float = 0.30, max_events: int | None = None,
                   overwrite: bool = False, examples: bool = True) -> dict[str, Any]:
    """Compare simulated full readouts with real ones (files, or ``reference:NAME``); writes the report folder."""
    sim_paths = expand_paths(sim, "sim")
    real_paths = None if real.startswith(REFERENCE_PREFIX) else expand_paths([real], "real")
    with AtomicFolder(output_dir, overwrite=overwrite) as out:    # refuses an existing folder before any work
        simulated, sim_example = read_sample(sim_paths, charge, labels, max_events)
        if real_paths is None:
            ref = load_reference(real[len(REFERENCE_PREFIX):])
            real_sample, real_example = None, None
            real_info = {"input": real, "n_events": None, "source": ref.get("source"), "medians": ref["medians"]}
        else:
            real_sample, real_example = read_sample(real_paths, charge, labels, max_events)
            real_info = {"input": real_paths, "n_events": real_sample.n_events, "medians": real_sample.medians(),
                         "neutrinos": read_neutrinos(real_paths, max_events)}
        if simulated.n_events == 0:
            raise DataError(f"no simulated events in {sim_paths[0]}")
        comparison = compare_medians(real_info["medians"], simulated.medians(), tolerance)
        n_planes = len(simulated.events[0])
        report = {"argonet_version": __version__, "planes": list(PLANE_NAMES[:n_planes]), "real": real_info,
                  "sim": {"input": sim_paths, "n_events": simulated.n_events, "medians": simulated.medians(),
                          "neutrinos": read_neutrinos(sim_paths, max_events)},
                  "products": {"charge": charge, "labels": labels}, "comparison": comparison}
        names = write_report(out.tmp, report, real_sample, simulated,
                             (real_example, sim_example) if examples else None)
    print(markdown_table(comparison, report["planes"]))
    print(f"wrote {', '.join(names)} to {output_dir}")
    return report


def run_compare_larcv3(cfg: CompareConfig) -> dict[str, Any]:
    """``argonet compare`` for larcv3 full readouts: the CompareConfig fields passed to compare_larcv3."""
    real, sim = cfg.require_inputs()
    return compare_larcv3(real, sim, cfg.output_dir, charge=cfg.charge, tolerance=cfg.tolerance,
                          max_events=cfg.max_events, overwrite=cfg.overwrite, examples=cfg.examples)
