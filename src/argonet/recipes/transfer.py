"""``argonet transfer``: the staged transfer-learning recipe for event classes, with a side-by-side report.

    argonet transfer data.file=events.h5 model.name=resnet18 model.weights=/path/resnet18.pth

1. baseline: ``baseline_classes`` (CCQE, CCRES) from ``model.weights`` when given, else from scratch;
2. head: the baseline with a new ``classes`` head (CCQE, CCRES, NCQE, NCRES), everything but the
   head frozen; the backbone features are computed once (``train.features.cache_features``) and
   the head is trained on them, so batch norms stay in evaluation mode and the backbone is unchanged;
3. head test: evaluation on the held-out test split;
4. fine-tune: everything unfrozen, fine-tuned with a lower rate, per-group rates, warm-up and early stopping;
5. fine-tune test: evaluation on the test split again, and ``results.json``/``report.md``/``report.png``.

The train/val/test split is fixed by ``data.seed`` and disjoint; the test split is read only by
the evaluations. The baseline trains on the train/val events of its own classes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
import json
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor, nn

from argonet import __version__
from argonet.conf.compose import echo
from argonet.recipes.evaluate import evaluate_loader, format_report, write_results
from argonet.recipes.train import input_spec
from argonet.conf.classify import StageConfig, TransferConfig
from argonet.conf.data import DataConfig
from argonet.conf.train import ModelConfig
from argonet.data.datasets import ClassificationDataset
from argonet.data.loader import build_loader, split_entries
from argonet.errors import ConfigError, DataError
from argonet.models.classifiers import FeatureHead
from argonet.models.freezing import freeze, unfreeze
from argonet.tasks.classify import ClassifyTask
from argonet.train.checkpoint import files_key, read_checkpoint
from argonet.train.distributed import DistInfo, make_loader
from argonet.train.engine import FitResult, fit
from argonet.train.features import cache_features
from argonet.train.model_setup import build_model
from argonet.train.runtime import Precision, autocast_dtype, resolve_device
from argonet.viz.metrics import plot_confusion_pair, save_figure


@dataclass
class TransferResult:
    """Where each stage wrote its checkpoint, the two test reports, and the new head before training."""

    checkpoints: dict[str, Path]
    test_frozen: dict[str, Any]          # head test: backbone frozen, head trained on cached features
    test_finetuned: dict[str, Any]       # fine-tune test: after fine-tuning everything
    initial_head: dict[str, Tensor]      # the freshly initialised head of the head stage (state-dict names)
    report: dict[str, Path]


class _Stages:
    """What every stage shares: data, splits, device and the run settings."""

    def __init__(self, cfg: TransferConfig):
        self.cfg, self.out = cfg, Path(cfg.run.output_dir)
        self.data: DataConfig = replace(cfg.data, class_names=list(cfg.classes), batch_size=cfg.run.batch_size)
        self.dataset = ClassificationDataset.from_config(self.data)
        self.plain = self.dataset.without_augment()
        self.splits = split_entries(len(self.dataset), self.data.split, self.data.seed, self.data.split_block)
        for name, entries in self.splits.items():
            if len(entries) == 0:
                raise DataError(f"the {name} split of {len(self.dataset)} events (fractions {self.data.split}) is "
                                "empty; the recipe needs train, val and test events")
        self.spec = input_spec(self.dataset, self.data)
        self.device = resolve_device(cfg.run.device)

    def loader(self, entries: np.ndarray, train: bool):
        """Images of ``entries``: shuffled with flips for training, in order without flips otherwise."""
        return build_loader(self.dataset if train else self.plain, self.data, entries, train=train, rank=0,
                            world_size=1)

    def fit(self, model: nn.Module, name: str, stage: StageConfig, classes: list[str], train, val,
            model_cfg: ModelConfig, build_report: str | None = None) -> FitResult:
        """One stage through the engine, in ``output_dir/<name>``."""
        run = replace(self.cfg.run, epochs=stage.epochs, early_stopping_patience=stage.early_stopping_patience,
                      output_dir=str(self.out / name), resume=False)
        config = {"command": "transfer", "stage": name, "data": asdict(self.data), "model": asdict(model_cfg),
                  "optim": asdict(stage.optim), "run": asdict(run)}
        return fit(model, ClassifyTask(classes), train, val, optim=stage.optim, run=run, class_names=classes,
                   input_spec=self.spec, config=config, build_report=build_report)

    def test(self, model: nn.Module, name: str) -> dict[str, Any]:
        """Evaluate on the held-out test split and write the stage's metrics and figures."""
        report = evaluate_loader(model, self.loader(self.splits["test"], train=False), list(self.cfg.classes),
                                 self.device, self.splits["test"], self.out / name)
        write_results(report, self.out / name, f"{name}: test split")
        print(f"{name}:\n{format_report(report)}")
        return report


def _reuse_baseline(s: _Stages) -> Path:
    """The given baseline checkpoint, once its classes are checked against ``baseline_classes``."""
    path = s.cfg.baseline_checkpoint
    trained = read_checkpoint(path, field="baseline_checkpoint").get("class_names")
    if trained != list(s.cfg.baseline_classes):
        raise ConfigError("baseline_checkpoint", f"{path} was trained on classes {trained}, not the "
                          f"baseline_classes {list(s.cfg.baseline_classes)}")
    print(f"baseline: reusing {path}")
    return Path(path)


def _baseline(s: _Stages) -> Path:
    """Train the baseline on its own classes; returns its checkpoint (lowest validation loss)."""
    cfg, n = s.cfg, len(s.cfg.baseline_classes)
    if cfg.baseline_checkpoint:
        return _reuse_baseline(s)
    if cfg.model.weights:
        print(f"baseline: starting from pretrained weights {cfg.model.weights}")
    else:
        print("baseline: no model.weights given, training from scratch (random initialisation)")
    model, report = build_model(cfg.model, num_classes=n, in_chans=s.dataset.in_channels, seed=cfg.run.seed)
    for line in report[1:]:      # the first (how the model was initialised) is logged by the engine
        print(line)
    own = {k: v[s.dataset.targets[v] < n] for k, v in s.splits.items() if k != "test"}
    result = s.fit(model, "baseline", cfg.baseline, list(cfg.baseline_classes), s.loader(own["train"], True),
                   s.loader(own["val"], False), cfg.model, report[0])
    return result.best or result.checkpoint


def _head(s: _Stages, baseline: Path) -> tuple[nn.Module, dict[str, Tensor], Path]:
    """Head stage: the baseline with a new head, backbone frozen, head trained on features cached once."""
    cfg = s.cfg
    model_cfg = ModelConfig(name=cfg.model.name, checkpoint=str(baseline), replace_head=True)
    model, report = build_model(model_cfg, num_classes=len(cfg.classes), in_chans=s.dataset.in_channels,
                                seed=cfg.run.seed)       # the new head's initial weights follow run.seed
    head = model.classifier_name
    freeze(model, [r".*"], unfreeze=[rf"^{head}\."])
    print("\n".join(report[1:]) + f"\nhead: backbone frozen, new {len(cfg.classes)}-class head {cfg.classes}")
    initial = {f"{head}.{k}": v.detach().clone() for k, v in model.get_classifier().state_dict().items()}
    precision = Precision(s.device, autocast_dtype(cfg.run.amp, s.device))
    model.to(s.device)
    described = json.dumps({"spec": s.spec, "classes": cfg.classes, "seed": s.data.seed, "split": s.data.split})
    features = {name: cache_features(model, s.loader(s.splits[name], False), precision=precision,
                                     cache_dir=s.out / "features",
                                     data_key=files_key(s.data.paths(), f"{described}\n{name}"))
                for name in ("train", "val")}
    batch, seed = cfg.run.batch_size, s.data.seed
    result = s.fit(FeatureHead(model), "head", cfg.head, list(cfg.classes),
                   make_loader(features["train"], batch, train=True, seed=seed, info=DistInfo()),
                   make_loader(features["val"], batch, train=False, seed=seed, info=DistInfo()), model_cfg,
                   "; ".join(report))
    return model, initial, result.checkpoint


def _finetune(s: _Stages, model: nn.Module) -> Path:
    """Fine-tune stage: every parameter trains again, with the fine-tuning optimiser and early stopping."""
    unfreeze(model, [r".*"])
    cfg = s.cfg
    result = s.fit(model, "finetune", cfg.finetune, list(cfg.classes), s.loader(s.splits["train"], True),
                   s.loader(s.splits["val"], False), replace(cfg.model, weights=None))
    print(f"finetune: {result.stopped} after {len(result.history)} epochs")
    if result.best is not None:
        model.load_state_dict(read_checkpoint(result.best)["model"])   # test the epoch of lowest validation loss
        print(f"finetune: testing the weights of the lowest validation loss, {result.best}")
        return result.best
    return result.checkpoint


def _side_by_side(frozen: dict[str, Any], tuned: dict[str, Any]) -> str:
    """Markdown table of test accuracy, efficiency and purity after head training and after fine-tuning."""
    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    rows = ["| test split | frozen backbone | fine-tuned |", "|---|---|---|",
            f"| accuracy | {f(frozen['accuracy'])} | {f(tuned['accuracy'])} |"]
    for metric in ("efficiency", "purity"):
        rows += [f"| {metric} {c} | {f(frozen[metric][c])} | {f(tuned[metric][c])} |" for c in frozen["class_names"]]
    rows += [f"| AUC {c} | {f(frozen['auc'].get(c))} | {f(tuned['auc'].get(c))} |" for c in frozen["class_names"]]
    return "\n".join(rows)


def write_report(out: Path, frozen: dict[str, Any], tuned: dict[str, Any], checkpoints: dict[str, Path]) -> dict:
    """results.json, report.md and report.png placing the frozen-backbone and fine-tuned results side by side."""
    paths = {"json": out / "results.json", "markdown": out / "report.md", "png": out / "report.png"}
    summary = {"argonet_version": __version__, "checkpoints": {k: str(v) for k, v in checkpoints.items()},
               "n_test_events": frozen["n_events"], "frozen_backbone": frozen, "finetuned": tuned}
    paths["json"].write_text(json.dumps(summary, indent=1, allow_nan=False))
    paths["markdown"].write_text(f"# Transfer learning: test split ({frozen['n_events']} events)\n\n"
                                 f"{_side_by_side(frozen, tuned)}\n\n![confusion matrices](report.png)\n")
    fig = plot_confusion_pair([np.array(frozen["confusion"]), np.array(tuned["confusion"])],
                              ["frozen backbone, new head", "fine-tuned"], frozen["class_names"])
    save_figure(fig, str(paths["png"]))
    return paths


def transfer(cfg: TransferConfig) -> TransferResult:
    """All stages in order; returns their checkpoints and test reports."""
    echo("transfer", cfg)
    stages = _Stages(cfg)
    print(f"classes {stages.dataset.class_counts()}; split sizes "
          f"{ {k: len(v) for k, v in stages.splits.items()} } (seed {stages.data.seed})")
    checkpoints = {"baseline": _baseline(stages)}
    model, initial_head, checkpoints["head"] = _head(stages, checkpoints["baseline"])
    frozen = stages.test(model, "head_test")
    checkpoints["finetune"] = _finetune(stages, model)
    tuned = stages.test(model, "finetune_test")
    report_dir = Path(cfg.report_dir) if cfg.report_dir else stages.out
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = write_report(report_dir, frozen, tuned, checkpoints)
    print(f"\n{_side_by_side(frozen, tuned)}\nwrote " + ", ".join(str(p) for p in paths.values()))
    return TransferResult(checkpoints, frozen, tuned, initial_head, paths)
