"""What the layers of a trained network respond to: top-activating events per channel and first-layer
filters (``what=channels``), and the penultimate features of a split in 2-D (``what=embedding``).

``run_explain`` dispatches ``argonet explain`` to these views or to ``explain_event`` (attributions).
Both views read the events of one split of the checkpoint's seeded train/val/test split (at most
``max_events``, a seeded random subset), in batches, with the model in eval mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from argonet.conf.explain import ExplainConfig
from argonet.data.loader import split_entries
from argonet.errors import ConfigError
from argonet.io import AtomicPath
from argonet.recipes.explain import explain_event, load_explained, save_figure
from argonet.viz.explain import embedding_html, plot_contact_sheet, plot_embedding, plot_filters

BATCH = 16


@dataclass
class FeatureViews:
    """The files a ``channels`` or ``embedding`` view wrote, and its numbers (for tests and reports)."""

    paths: list[Path]
    entries: np.ndarray
    values: dict[str, Any] = field(default_factory=dict)


def split_events(cfg: ExplainConfig, data, dataset) -> np.ndarray:
    """Entries of ``cfg.split`` (all entries for ``all``), at most ``cfg.max_events`` of them (seeded)."""
    entries = (np.arange(len(dataset)) if cfg.split == "all"
               else split_entries(len(dataset), data.split, data.seed, data.split_block)[cfg.split])
    if len(entries) < 2:
        raise ConfigError("split", f"the {cfg.split} split has {len(entries)} events; use split=all or more events")
    if len(entries) > cfg.max_events:
        entries = np.sort(np.random.default_rng(cfg.seed).choice(entries, cfg.max_events, replace=False))
    return entries


def batches(dataset, entries: np.ndarray) -> Iterator[tuple[np.ndarray, Tensor, Tensor]]:
    """(entries, images, labels) in batches of ``BATCH``, in the order of ``entries``."""
    for start in range(0, len(entries), BATCH):
        chunk = entries[start:start + BATCH]
        items = [dataset[int(e)] for e in chunk]
        yield (chunk, torch.stack([torch.as_tensor(i["image"]).float() for i in items]),
               torch.as_tensor(np.array([np.asarray(i["label"]) for i in items])))


def default_layers(model: nn.Module) -> list[str]:
    """The last two feature stages named by the model's ``group_matcher`` (head and stem left out)."""
    names = dict(model.named_modules())
    groups = [g for g in getattr(model, "group_matcher", dict)() if g not in ("head", "stem") and g in names]
    if not groups:
        raise ConfigError("layers", f"name the layers to look at, e.g. layers=[{next(iter(names), '')}] "
                          f"(modules: {', '.join(list(names)[1:8])}, ...)")
    return groups[-2:]


def channel_scores(output: Tensor, batch: int) -> tuple[Tensor, Tensor]:
    """Per event and channel, the largest activation and where it is ((B, C) and (B, C, 2) as fractions of
    the map's height and width); maps of planes folded into the batch are maxed over the planes."""
    if output.ndim != 4:
        raise ConfigError("layers", f"channels are read from (N, C, H, W) feature maps, got {tuple(output.shape)}")
    maps = output.reshape(batch, -1, *output.shape[1:]).amax(1) if output.shape[0] != batch else output
    flat = maps.flatten(2)
    scores, index = flat.max(2)
    h, w = maps.shape[2:]
    where = torch.stack([(index // w + 0.5) / h, (index % w + 0.5) / w], dim=-1)
    return scores, where


def explain_channels(cfg: ExplainConfig) -> FeatureViews:
    """Per layer, a contact sheet of the ``top_k`` events that activate each of its first ``channels``
    channels most (drawn on the last plane, the peak ringed), and the first convolution's filters."""
    trained, data, dataset = load_explained(cfg)
    model, entries = trained.model, split_events(cfg, data, dataset)
    layers = cfg.layers or default_layers(model)
    modules = dict(model.named_modules())
    for name in layers:
        if name not in modules:
            raise ConfigError("layers", f"{trained.name} has no module {name!r}", list(modules)[1:30])
    captured: dict[str, Tensor] = {}
    hooks = [modules[n].register_forward_hook(lambda m, i, o, n=n: captured.__setitem__(n, o.detach()))
             for n in layers]
    scores: dict[str, list[Tensor]] = {n: [] for n in layers}
    where: dict[str, list[Tensor]] = {n: [] for n in layers}
    try:
        with torch.no_grad():
            for _, images, _ in batches(dataset, entries):
                model(images)
                for n in layers:
                    s, w = channel_scores(captured[n], len(images))
                    scores[n].append(s)
                    where[n].append(w)
    finally:
        for hook in hooks:
            hook.remove()
    out_dir, paths, values = Path(cfg.output_dir), [], {}
    k = min(cfg.top_k, len(entries))
    for n in layers:
        s, w = torch.cat(scores[n]), torch.cat(where[n])
        n_channels = min(cfg.channels, s.shape[1])
        top = s[:, :n_channels].argsort(0, descending=True)[:k].T                 # (channels, k) rows of entries
        thumbs = np.stack([np.stack([np.asarray(dataset[int(entries[r])]["image"])[-1] for r in row]) for row in top])
        shape = np.array(thumbs.shape[2:])
        peaks = np.stack([w[row, c].numpy() * shape - 0.5 for c, row in enumerate(top)])
        captions = [[f"event {entries[r]}: {s[r, c]:.2g}" for r in row] for c, row in enumerate(top)]
        fig = plot_contact_sheet(thumbs, captions, [f"channel {c}" for c in range(n_channels)], peaks,
                                 f"{trained.name} {n}: the {k} of {len(entries)} {cfg.split} events that activate "
                                 "each channel most (last plane; ring: peak)")
        paths.append(save_figure(fig, out_dir / f"channels_{n.replace('.', '_')}.png"))
        values[n] = {"top_entries": entries[top.numpy()].tolist(), "scores": s.numpy()}
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is not None:
        weights = conv.weight.detach().numpy()
        fig = plot_filters(weights, f"{trained.name}: first-layer filters ({weights.shape[0]} of "
                           f"{weights.shape[2]}x{weights.shape[3]} pixels per input)")
        paths.append(save_figure(fig, out_dir / "filters.png"))
    return FeatureViews(paths, entries, values)


def penultimate(model: nn.Module, dataset, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features entering the last linear layer, true labels, predicted classes) of ``entries``."""
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linear:
        raise ConfigError("what", "embedding reads the input of the model's last linear layer; this model has none")
    captured: list[Tensor] = []
    hook = linear[-1].register_forward_pre_hook(lambda m, args: captured.append(args[0].detach().flatten(1)))
    labels, predicted = [], []
    try:
        with torch.no_grad():
            for _, images, target in batches(dataset, entries):
                predicted.append(model(images).argmax(1))
                labels.append(target)
    finally:
        hook.remove()
    return torch.cat(captured).numpy(), torch.cat(labels).numpy(), torch.cat(predicted).numpy()


def _write_text(text: str, path: Path) -> Path:
    """A text file written under a temporary name, then renamed."""
    with AtomicPath(path, overwrite=True) as out:
        out.tmp.write_text(text)
    return out.path


def explain_embedding(cfg: ExplainConfig) -> FeatureViews:
    """The penultimate features of the split projected to 2-D by t-SNE: PNG, interactive HTML and JSON."""
    from sklearn.manifold import TSNE

    trained, data, dataset = load_explained(cfg)
    if trained.task != "classify":
        raise ConfigError("what", "embedding needs a classifier (one feature vector per event)")
    entries = split_events(cfg, data, dataset)
    features, labels, predicted = penultimate(trained.model, dataset, entries)
    perplexity = min(cfg.perplexity, (len(entries) - 1) / 3)
    xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=cfg.seed).fit_transform(features)
    names = trained.class_names
    title = (f"{trained.name}: penultimate features of {len(entries)} {cfg.split} events\n(t-SNE, perplexity "
             f"{perplexity:.3g}); accuracy {(labels == predicted).mean():.3f}")
    out_dir = Path(cfg.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = f"argonet explain checkpoint={cfg.checkpoint} data.file={data.paths()[0]} event="
    paths = [save_figure(plot_embedding(xy, labels, predicted, names, title), out_dir / "embedding.png"),
             _write_text(embedding_html(xy, labels, predicted, names, entries.tolist(), title, command),
                         out_dir / "embedding.html"),
             _write_text(json.dumps({"entries": entries.tolist(), "xy": xy.tolist(), "true": labels.tolist(),
                                     "predicted": predicted.tolist(), "class_names": names}),
                         out_dir / "embedding.json")]
    return FeatureViews(paths, entries, {"xy": xy, "features": features, "true": labels, "predicted": predicted})


def run_explain(cfg: ExplainConfig) -> Any:
    """``argonet explain``: the view ``cfg.what`` of the checkpoint's model."""
    if cfg.what == "attribution":
        return explain_event(cfg)
    return explain_channels(cfg) if cfg.what == "channels" else explain_embedding(cfg)
