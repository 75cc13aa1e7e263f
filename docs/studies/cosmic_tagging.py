"""The sparse full-resolution cosmic-tagging study's evaluation: the neutrino-logit offset chosen on the
validation split, then the 500 held-out events evaluated once with it and without; writes
docs/studies/cosmic_tagging/results.json and (with --release) the released weights ``sbnd-cosmic``.

    python docs/studies/cosmic_tagging.py CHECKPOINT EVENTS.h5 TEST.h5 RUNS_DIR [TRAIN_LOG ...] [--release]
    python docs/studies/cosmic_tagging.py --tables      # the doc's tables, from results.json

CHECKPOINT is the training run's last checkpoint; EVENTS.h5 the file it trained on (its validation
split, from the checkpoint's data.split and data.seed, chooses the offset); TEST.h5 the held-out
file; RUNS_DIR receives the prediction files (not committed). TRAIN_LOG files hold the lines
``TIME user U sys S wall W`` that ``/usr/bin/time`` wrote for each training command (the training
cost). ``--release`` writes the checkpoint, with the chosen offset, as src/argonet/train/released/.
"""

from __future__ import annotations

from dataclasses import replace
import json
import os
from pathlib import Path
import platform
import re
import sys

import numpy as np
import torch

from argonet.cli.main import main
from argonet.conf.data import DataConfig
from argonet.data.loader import build_dataset, build_loader, split_entries
from argonet.eval.segmentation import summarise
from argonet.recipes.evaluate import data_config
from argonet.tasks.segment import sparse_confusion_counts, sparse_logits
from argonet.train.checkpoint import RELEASED, RELEASED_DIR, atomic_save, from_checkpoint, released_state
from argonet.train.runtime import Precision, autocast_dtype

OUT = Path(__file__).parent / "cosmic_tagging"
#: neutrino-logit offsets tried on the validation split
OFFSETS = (0.5, 0.0, -0.5, -1.0, -1.5, -2.0, -3.0)
#: what the offset maximises: the validation mean over planes of the mean of cosmic and neutrino IoU
OBJECTIVE = "miou"
TABLE = ("accuracy", "non_bkg_accuracy", "cosmic_iou", "neutrino_iou", "miou")
NEUTRINO = 2


def validation_grid(checkpoint: str, events: str) -> dict[str, dict]:
    """{offset: metrics report} of the checkpoint on the validation split of ``events``, every offset applied
    to the same logits (bf16 autocast, as inference with amp=auto)."""
    model, state = from_checkpoint(checkpoint)
    model.eval()
    data = replace(data_config(DataConfig(file=events), state["config"]["data"]), file=events)
    dataset = build_dataset("sparse_segmentation", data)
    entries = split_entries(len(dataset), data.split, data.seed, data.split_block)["val"]
    loader = build_loader(dataset, data, entries, train=False, batch_size=4, rank=0, world_size=1)
    precision = Precision(torch.device("cpu"), autocast_dtype("auto", torch.device("cpu")))
    counts: dict[float, list] = {o: [] for o in OFFSETS}
    with torch.inference_mode():
        for batch in loader:
            with precision.autocast():
                logits = sparse_logits(model, batch).float()
            for offset in OFFSETS:
                shifted = logits.clone()
                shifted[:, NEUTRINO] += offset
                counts[offset].append(sparse_confusion_counts(shifted.argmax(1), batch["label"], batch["coords"],
                                                              len(batch["entry"]), model.in_chans, 3))
    names = state["class_names"]
    return {str(o): summarise(torch.cat(c).numpy(), names) | {"entries": len(entries)} for o, c in counts.items()}


def _inference(checkpoint: str, test: str, out: Path, offset: float) -> dict:
    """``argonet inference`` on the test file with a neutrino-logit offset; its metrics report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["inference", "task=segment", f"checkpoint={checkpoint}", f"data.file={test}", f"output={out}",
            f"logit_offsets=[0,0,{offset}]", "amp=auto", "overwrite=true", "progress=false"]
    if main(args) != 0:
        sys.exit(f"failed: argonet {' '.join(args)}")
    return json.loads(out.with_name(f"{out.stem}.metrics.json").read_text())


def cpu_name() -> str:
    """The CPU's model name and whether it has native bf16 (AVX512-BF16 or AMX)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    model = re.search(r"model name\s*:\s*(.*)", info)
    bf16 = " with AVX512-BF16" if "avx512_bf16" in info else ""
    return f"{model.group(1).strip() if model else platform.machine()}{bf16}, {os.cpu_count()} cores"


def training_cost(logs: list[str]) -> dict:
    """CPU and wall seconds summed over the ``/usr/bin/time`` lines of the training logs."""
    user = system = wall = 0.0
    for log in logs:
        for u, s, w in re.findall(r"TIME user ([\d.]+) sys ([\d.]+) wall ([\d.]+)", Path(log).read_text()):
            user, system, wall = user + float(u), system + float(s), wall + float(w)
    return {"cpu_s": round(user + system, 1), "cpu_hours": round((user + system) / 3600, 3),
            "wall_hours": round(wall / 3600, 3)}


def _table(report: dict) -> dict:
    """Per-plane and averaged figures of a metrics report, rounded."""
    def r(values: dict) -> dict:
        return {k: None if v is None else round(v, 4) for k, v in values.items()}
    return {"planes": {p: r(v) for p, v in report["planes"].items()}, "average": r(report["average"]),
            "n_events": report["n_events"], "confusion": report["confusion"]}


def study(checkpoint: str, events: str, test: str, runs: Path, logs: list[str]) -> dict:
    """Offset on validation, then the test file once with it and once without; returns the results."""
    grid = validation_grid(checkpoint, events)
    best = max(OFFSETS, key=lambda o: grid[str(o)]["average"][OBJECTIVE])
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    results = {
        "checkpoint": {"path": checkpoint, "epoch": state.get("epoch"), "step": state.get("step"),
                       "model": state["builder"], "data": {k: state["config"]["data"][k] for k in
                                                           ("downsample", "normalise", "split", "seed")}},
        "training": training_cost(logs), "cpu": cpu_name(),
        "validation": {"objective": f"mean over planes of {OBJECTIVE}", "chosen_neutrino_offset": best,
                       "n_events": grid[str(best)]["entries"],
                       "grid": {o: {k: round(v, 4) for k, v in r["average"].items()} for o, r in grid.items()}},
        "test": {"file": Path(test).name}}
    for name, offset in (("no_offset", 0.0), ("validation_offset", best)):
        report = _inference(checkpoint, test, runs / f"test_pred_{name}.h5", offset)
        results["test"][name] = {"neutrino_offset": offset, "events_per_s": round(report["events_per_s"], 2),
                                 **_table(report)}
    return results


def release(checkpoint: str, offset: float) -> Path:
    """The checkpoint as the released weights sbnd-cosmic, with the chosen neutrino-logit offset."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    return atomic_save(released_state(state, [0.0, 0.0, offset]), Path(str(RELEASED_DIR / RELEASED["sbnd-cosmic"])))


def tables(results: dict) -> str:
    """The doc's markdown tables from a results dict (``python docs/studies/cosmic_tagging.py --tables``)."""
    names = {"plane0": "U (plane 0)", "plane1": "V (plane 1)", "plane2": "Y (plane 2, collection)"}
    head = ("| plane | accuracy | non-background accuracy | cosmic IoU | neutrino IoU | mIoU |\n"
            "|---|---|---|---|---|---|")
    out = []
    for name in ("no_offset", "validation_offset"):
        test = results["test"][name]
        rows = [f"| {names[p]} | " + " | ".join(f"{v[m]:.3f}" for m in TABLE) + " |" for p, v in test["planes"].items()]
        rows.append("| **mean over planes** | " + " | ".join(f"**{test['average'][m]:.3f}**" for m in TABLE) + " |")
        title = f"neutrino-logit offset {test['neutrino_offset']:+g}, {test['n_events']} events:"
        out += [title, "", head, *rows, ""]
    out += ["| neutrino-logit offset (validation) | " + " | ".join(TABLE) + " |", "|---" * (len(TABLE) + 1) + "|"]
    grid = results["validation"]["grid"]
    out += [f"| {o} | " + " | ".join(f"{v[m]:.3f}" for m in TABLE) + " |" for o, v in grid.items()]
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--tables"]:
        sys.exit(print(tables(json.loads((OUT / "results.json").read_text()))))
    args = [a for a in sys.argv[1:] if a != "--release"]
    found = study(args[0], args[1], args[2], Path(args[3]), args[4:])
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(found, indent=1) + "\n")
    if "--release" in sys.argv:
        print(f"wrote {release(args[0], found['validation']['chosen_neutrino_offset'])}")
    print(json.dumps({k: found["test"][k]["average"] for k in ("no_offset", "validation_offset")}))
    print(f"offset {found['validation']['chosen_neutrino_offset']} (validation {OBJECTIVE}); "
          f"{np.round(found['training']['cpu_hours'], 2)} CPU-hours of training")
