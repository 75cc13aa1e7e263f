"""Segmentation inference (``argonet inference task=segment checkpoint=… data.file=…``): predicted pixel labels
written back as larcv3.

    argonet inference task=segment checkpoint=runs/segment/best.pt data.file=test.h5

The output is a copy of the input file (every product, the event ids, argonet's truth table, the
attributes) plus one sparse2d product, ``producer``: for every charge pixel of every plane read,
the class the network predicts for the down-sampled pixel it falls in, stored with the truth
labels' numbering (``data.label_values``), so the field's tools and ``argonet display
prediction=<producer>`` read it like the truth. Where the file holds truth labels, the metrics
JSON gets CosmicTagger's figures per plane and averaged (argonet.eval.segmentation), at the
network's resolution. Both files appear only when complete.
"""

from __future__ import annotations

from dataclasses import asdict, replace
import json
from pathlib import Path
import time
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from argonet import __version__
from argonet.conf.compose import echo
from argonet.recipes.evaluate import data_config
from argonet.conf.segment import InferenceConfig, segment_dataset
from argonet.data.loader import build_dataset, build_loader
from argonet.errors import ConfigError
from argonet.eval.segmentation import summarise
from argonet.data.transforms import prediction_images
from argonet.io import AtomicPath, Larcv3File, Larcv3Writer
from argonet.io.atomic import scratch_folder
from argonet.io.larcv3_copy import copy_with_products
from argonet.io.outputs import check_writable
from argonet.models.checkpoint import CheckpointMismatch
from argonet.models.protocols import ChecksImageShape
from argonet.recipes.exported import exported_runner, read_model_file
from argonet.tasks.segment import predict_batch
from argonet.train.checkpoint import from_checkpoint
from argonet.train.runtime import Precision, autocast_dtype, resolve_device


def load_segmenter(state: dict[str, Any], path: str, in_chans: int) -> nn.Module:
    """The segmentation network of a ``task=segment`` checkpoint, for ``in_chans`` planes, in eval mode."""
    config = state.get("config") or {}
    if config.get("task") != "segment" or "model" not in state:
        raise ConfigError("checkpoint", f"{path} is not a segmentation checkpoint (task {config.get('task')!r}); "
                          "train one with argonet train task=segment")
    try:
        model, _ = from_checkpoint(state, in_chans=in_chans)
    except CheckpointMismatch as err:
        trained = (state.get("input_spec") or {}).get("in_chans")
        raise ConfigError("data.planes", f"{path} does not fit the data: {str(err).split('; ')[0]} (trained on "
                          f"{trained} planes, the data gives {in_chans})") from None
    return model.eval()


def _write_json(report: dict[str, Any], path: Path, overwrite: bool) -> Path:
    """The report as JSON under a temporary name, then renamed."""
    with AtomicPath(path, overwrite) as out:
        out.tmp.write_text(json.dumps(report, indent=1, allow_nan=False))
    return out.path


def _paths(cfg: InferenceConfig, source: Path) -> tuple[Path, Path]:
    """(output file, metrics JSON), defaults beside the input; refused when one exists without overwrite."""
    output = Path(cfg.output) if cfg.output else source.with_name(f"{source.stem}_inference.h5")
    metrics = Path(cfg.metrics) if cfg.metrics else output.with_name(f"{output.stem}.metrics.json")
    if output.resolve() == source.resolve():
        raise ConfigError("output", f"must differ from the input file {source}")
    for field, path in (("output", output), ("metrics", metrics)):
        check_writable(path, cfg.overwrite, field)
    return output, metrics


def inference(cfg: InferenceConfig) -> dict[str, Any]:
    """Predict every event of the file; write the output file and the metrics JSON; returns the report."""
    echo("inference", cfg)
    state = read_model_file(cfg.require_checkpoint())    # a checkpoint, or an exported ONNX / TorchScript file
    data = data_config(cfg.data, (state.get("config") or {}).get("data"))
    if data.format != "larcv3":
        raise ConfigError("data.format", f"inference reads and writes larcv3 files, not format {data.format!r} "
                          f"({data.file})")
    paths = data.paths()
    if len(paths) != 1:
        raise ConfigError("data.file", f"inference reads one file at a time, got {len(paths)}: {paths}")
    if data.crop is not None:
        raise ConfigError("data.crop", "inference labels every charge pixel of the readout: use no crop")
    source = Path(paths[0])
    output, metrics_path = _paths(cfg, source)
    with Larcv3File(source) as f:
        have = f.products.get("sparse2d", [])
    if cfg.producer in have:
        raise ConfigError("producer", f"{source} already holds a sparse2d product {cfg.producer!r}; name another")
    has_truth = data.labels in have
    kind, extra = segment_dataset(((state.get("config") or {}).get("model") or {}).get("name", ""), has_truth,
                                  data.layout)
    dataset = build_dataset(kind, replace(data, augment=[], allow_empty=True), **extra)   # empty: empty prediction
    n_empty = int((dataset.reader.sparse2d_pixel_counts(dataset.charge, dataset.plane_ids) == 0).sum())
    if n_empty:
        print(f"{n_empty} of {len(dataset)} events have no charge pixel: their predictions are empty")
    model = (exported_runner(state, cfg.checkpoint, "segment") if "runner" in state
             else load_segmenter(state, cfg.checkpoint, dataset.in_channels))
    if isinstance(model, ChecksImageShape):
        model.check_image_shape(dataset.image_shape, "the data's image (after data.downsample)")
    device = resolve_device(cfg.device)
    precision = Precision(device, autocast_dtype(cfg.amp, device))
    model.to(device)
    loader = build_loader(dataset, data, train=False, batch_size=cfg.batch_size, rank=0, world_size=1)
    stored = np.asarray(data.label_values, dtype=np.float32)
    n_classes = len(state["class_names"])
    given = cfg.logit_offsets if cfg.logit_offsets is not None else state.get("logit_offsets")
    offsets = None
    if given is not None:
        if len(given) != n_classes:
            raise ConfigError("logit_offsets", f"needs one value per class {state['class_names']}, "
                              f"got {len(given)}")
        offsets = torch.tensor(given, dtype=torch.float32)
    counts, start = [], time.perf_counter()
    with scratch_folder(output) as tmp, \
            Larcv3File(source) as f, Larcv3Writer(Path(tmp) / "predictions.h5") as writer:
        event_ids = f.event_ids
        for batch in tqdm(loader, total=len(loader), desc="inference", unit="batch", disable=not cfg.progress):
            with precision.autocast():
                predicted, batch_counts = predict_batch(model, batch, device, offsets, n_classes, has_truth)
            counts += [batch_counts] if has_truth else []
            predicted = predicted.cpu().numpy()
            for b, entry in enumerate(batch["entry"].tolist()):
                planes = {image.meta.projection_id: image for image in f.sparse2d(data.charge, entry)}
                charge = [planes[p] for p in dataset.plane_ids]
                writer.write_products({("sparse2d", cfg.producer): prediction_images(charge, predicted[b],
                                                                                     dataset.factors, stored)},
                                      event_id=tuple(event_ids[entry]))
        seconds = time.perf_counter() - start
        writer.close()
        copy_with_products(source, writer.path, output, cfg.overwrite)
    report: dict[str, Any] = {
        "argonet_version": __version__, "checkpoint": str(cfg.checkpoint), "file": str(source),
        "output": str(output), "producer": cfg.producer, "logit_offsets": given,
        "n_events": len(dataset),
        "image_shape": [dataset.in_channels, *dataset.image_shape], "downsample": list(dataset.factors),
        "device": precision.describe(), "seconds": seconds, "events_per_s": len(dataset) / seconds,
        "truth": has_truth, "empty_events": n_empty,
        "config": {"command": "inference", **asdict(replace(cfg, data=data))}}
    if has_truth:
        report.update(summarise(torch.cat(counts).numpy(), state["class_names"]))
        average = report["average"]
        print(f"{len(dataset)} events: " + ", ".join(f"{k} {v:.4f}" for k, v in average.items() if v is not None))
    _write_json(report, metrics_path, cfg.overwrite)
    print(f"wrote {output} (product sparse2d/{cfg.producer}) and {metrics_path} "
          f"({len(dataset) / seconds:.2f} events/s)")
    return report
