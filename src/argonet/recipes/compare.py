"""``argonet compare``: how far simulated CVN-style pixel maps are from the real DUNE CVN maps, per event class.

    argonet compare real=../shared/data/dune_cvn/dataset_info sim=sim_cvn.h5 output_dir=runs/compare

``real`` is a DUNE CVN folder; ``sim`` a larcv3 file (or files) whose sparse2d ``charge`` product holds
CVN-style maps (3 planes of 500 wires × 500 time bins, charge 0..255) with argonet's truth class
(NUMU_CC, NUE_CC, NUTAU_CC, NC; e.g. ``argonet simulate image.mode=cvn``). Writes ``report.json``,
``report.md`` (the table), ``distributions.png`` (every quantity of ``argonet.eval.realism`` per
class) and ``examples.png``, all into ``output_dir`` at once: the folder appears complete or not at all.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from argonet import __version__
from argonet.conf.compare import CompareConfig
from argonet.data.real import CvnDataset
from argonet.errors import ConfigError, DataError, FormatError
from argonet.eval.realism import (CHARGE_EDGES, LABELS, QUANTITIES, ClassSample, compare_samples, dense_planes,
                                  markdown_table, plane_pixels)
from argonet.io.atomic import AtomicFolder
from argonet.io.dune_cvn import CVN_SHAPE, CVN_VIEWS
from argonet.io.larcv3_chain import Larcv3Chain
from argonet.recipes.compare_larcv3 import is_larcv3_comparison, run_compare_larcv3
from argonet.viz.compare import plot_examples, plot_realism
from argonet.viz.display import save

#: the plane drawn in examples.png: the collection view
EXAMPLE_PLANE = 2


def real_entries(folder: str, selection: str, per_class: int, seed: int) -> tuple[CvnDataset, np.ndarray]:
    """The real CVN events and the entries compared: all, or the adapt or test half of ``argonet simtoreal``."""
    dataset = CvnDataset(folder)
    if selection == "all":
        return dataset, np.arange(len(dataset))
    adapt, test = dataset.halves(per_class, seed)
    return dataset, adapt if selection == "adapt" else test


def read_real(dataset: CvnDataset, entries: np.ndarray, max_events: int | None
              ) -> tuple[dict[str, ClassSample], dict[str, np.ndarray]]:
    """Per-class statistics of the real maps (the first ``max_events`` of each class among ``entries``) and one
    example plane each."""
    samples: dict[str, ClassSample] = {}
    examples: dict[str, np.ndarray] = {}
    for entry in tqdm(entries, desc="real maps", unit="event", leave=False):
        name = dataset.class_names[int(dataset.targets[entry])]
        sample = samples.setdefault(name, ClassSample())
        if max_events is not None and sample.n_events >= max_events:
            continue
        image = dataset.folder.pixel_map(int(dataset.indices[entry]))
        sample.add(dense_planes(image))
        examples.setdefault(name, image[EXAMPLE_PLANE])
    return samples, examples


def _check_maps(images: list, where: str) -> None:
    """Simulated maps must have the real maps' planes and shape, or the statistics compare different pixels."""
    shapes = [tuple(im.meta.shape) for im in images]
    if len(shapes) != CVN_SHAPE[0] or any(s != CVN_SHAPE[1:] for s in shapes):
        raise DataError(f"{where}: simulated maps are {len(shapes)} planes of {sorted(set(shapes))}, the real maps "
                        f"{CVN_SHAPE[0]} of {CVN_SHAPE[1:]} (simulate them with image.mode=cvn)")


def read_sim(paths: list[str], charge: str, max_events: int | None) -> tuple[dict[str, ClassSample],
                                                                             dict[str, np.ndarray]]:
    """Per-class statistics of the simulated maps (truth class of each event) and one example plane each."""
    chain = Larcv3Chain(paths)
    try:
        if charge not in chain.products.get("sparse2d", []):
            raise FormatError(f"no sparse2d product {charge!r} (charge=)", file=paths[0], product=charge,
                              available=chain.products.get("sparse2d", []))
        samples: dict[str, ClassSample] = {}
        examples: dict[str, np.ndarray] = {}
        for entry in tqdm(range(len(chain)), desc="simulated maps", unit="event", leave=False):
            f, local = chain.locate(entry)
            truth = chain.truth(entry)
            if truth is None:
                raise DataError(f"file {f.path}, event {local}: no event class stored (argonet truth table)")
            sample = samples.setdefault(truth.class_name, ClassSample())
            if max_events is not None and sample.n_events >= max_events:
                continue
            images = chain.sparse2d(charge, entry)
            _check_maps(images, f"file {f.path}, event {local}")
            planes = [(*plane_pixels(im.index, im.meta.shape[1]), im.value) for im in images]
            sample.add(planes)
            if truth.class_name not in examples:
                examples[truth.class_name] = images[EXAMPLE_PLANE].dense()
        return samples, examples
    finally:
        chain.close()


def _sim_paths(sim: list[str]) -> list[str]:
    """Simulated files, globs expanded in sorted order; FormatError for a name that matches nothing."""
    paths: list[str] = []
    for item in sim:
        matches = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        if not matches or not all(Path(m).is_file() for m in matches):
            raise FormatError("no such file", file=item)
        paths.extend(matches)
    return paths


def write_report(out: Path, report: dict[str, Any], real: dict[str, ClassSample], sim: dict[str, ClassSample],
                 examples: tuple[dict, dict] | None) -> list[str]:
    """report.json, report.md, distributions.png and (optionally) examples.png into ``out``; returns the names."""
    quantities = {q: ({c: s.arrays()[q] for c, s in real.items()}, {c: s.arrays()[q] for c, s in sim.items()})
                  for q in QUANTITIES}
    density = [{c: s.spectrum / max(int(s.spectrum.sum()), 1) for c, s in d.items()} for d in (real, sim)]
    save(plot_realism(quantities, LABELS, (CHARGE_EDGES, *density), log_x=("n_pixels",)),
         str(out / "distributions.png"))
    names = ["distributions.png"]
    if examples is not None:
        save(plot_examples(*examples, view=f"{CVN_VIEWS[EXAMPLE_PLANE]} view"), str(out / "examples.png"))
        names.append("examples.png")
    inputs = report["inputs"]
    which = "" if inputs["real_events"] == "all" else (f", {inputs['real_events']} half of argonet simtoreal "
                                                       f"(per_class {inputs['per_class']}, real_seed "
                                                       f"{inputs['real_seed']})")
    text = ["# Realism: simulated against real maps", "",
            f"- real: `{inputs['real']}`, {len(inputs['real_entries'])} events{which}",
            f"- simulated: {', '.join(f'`{p}`' for p in inputs['sim'])} (sparse2d `{inputs['charge']}`)", "",
            markdown_table(report), "", *[f"![{n}]({n})" for n in names], ""]
    (out / "report.md").write_text("\n".join(text))
    (out / "report.json").write_text(json.dumps(report, indent=1, allow_nan=False, default=_json_value))
    return ["report.json", "report.md", *names]


def _json_value(value: Any) -> Any:
    """numpy scalars as Python numbers for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _finite(obj: Any) -> Any:
    """NaN and infinities as None (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def compare(cfg: CompareConfig) -> dict[str, Any]:
    """Read both samples, compare them per class, write the report folder; returns the report."""
    if is_larcv3_comparison(cfg.real):          # SBND-style full readouts: real=FILE.h5 or real=reference:sbnd
        if cfg.real_events != "all":
            raise ConfigError("real_events", "selects events of a DUNE CVN folder, not of larcv3 full readouts")
        return run_compare_larcv3(cfg)
    real_folder, sim = cfg.require_inputs()
    sim_paths = _sim_paths(sim)
    dataset, entries = real_entries(real_folder, cfg.real_events, cfg.per_class, cfg.real_seed)
    with AtomicFolder(cfg.output_dir, overwrite=cfg.overwrite) as out:    # refuses an existing folder before any work
        real, real_examples = read_real(dataset, entries, cfg.max_events)
        simulated, sim_examples = read_sim(sim_paths, cfg.charge, cfg.max_events)
        if not set(real) & set(simulated):
            raise DataError(f"no event class in both samples: real {sorted(real)}, simulated {sorted(simulated)}")
        report = compare_samples(real, simulated, cfg.tolerance)
        report = _finite({**report, "argonet_version": __version__,
                          "inputs": {"real": str(real_folder), "sim": sim_paths, "charge": cfg.charge,
                                     "max_events": cfg.max_events, "real_events": cfg.real_events,
                                     **({} if cfg.real_events == "all" else
                                        {"per_class": cfg.per_class, "real_seed": cfg.real_seed}),
                                     "real_entries": entries.tolist()}})
        names = write_report(out.tmp, report, real, simulated,
                             (real_examples, sim_examples) if cfg.examples else None)
    print(markdown_table(report))
    print(f"wrote {', '.join(names)} to {cfg.output_dir}")
    return report
