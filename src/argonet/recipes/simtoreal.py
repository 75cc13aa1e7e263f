"""``argonet simtoreal``: the sim-to-real study on the DUNE CVN classes (NUMU_CC, NUE_CC, NUTAU_CC, NC).

    argonet simtoreal sim='sim_dune.shard*of2.h5' real=../shared/data/dune_cvn/dataset_info data.downsample=[2,2]

(a) ``pretrain/``: the model trained on the simulated events (their own seeded train/val split),
    tested on every real event (``a_real_all/``), on the real test half (``a_real_test/``) and on
    the simulated test split (``a_sim_test/``, when ``data.split`` leaves one);
(b) ``finetune/``: that model fine-tuned on ``per_class`` real events of each class (a stratified
    split fixed by ``real_seed``), tested on the other real events (``b_real_test/``);
(c) ``scratch/``: the same network from the same start trained on the same real events only,
    tested on the same other events (``c_real_test/``).

Each test folder holds ``metrics.json`` (accuracy, confusion matrix, per-class efficiency and
purity, one-vs-rest ROC and AUC, the numu / nue / NC matrix as the official CVN's reference
computes it), ``confusion.png``, ``roc.png`` and ``predictions.csv`` (entries index the real
folder's events, numu then nue, nutau, nc). ``report/`` (report.md, report.json, report.png: the
three confusion matrices and the nue CC ROC curves, with the official CVN's numbers beside them)
appears complete or not at all.
"""

from __future__ import annotations

from dataclasses import asdict, replace
import glob
import json
from pathlib import Path
import shutil
from typing import Any

import numpy as np
from torch import nn

from argonet import __version__
from argonet.conf.compose import echo
from argonet.recipes.evaluate import format_report, write_predictions, write_results
from argonet.recipes.train import input_spec
from argonet.conf.classify import StageConfig
from argonet.conf.data import DataConfig
from argonet.conf.simtoreal import SimToRealConfig
from argonet.conf.train import ModelConfig
from argonet.data.datasets import ClassificationDataset
from argonet.data.loader import build_loader, split_entries
from argonet.data.real import CvnDataset
from argonet.data.stratified import stratified_split
from argonet.errors import ConfigError, DataError
from argonet.eval.cvn_reference import (OFFICIAL_CVN, THREE_FLAVOURS, nue_auc_without_nutau, read_reference_scores,
                                        reference_roc, three_flavour_view)
from argonet.io.atomic import AtomicFolder, AtomicPath
from argonet.io.dune_cvn import CVN_CLASSES
from argonet.tasks.classify import ClassifyTask, predict, summarise
from argonet.train.checkpoint import from_checkpoint, read_checkpoint
from argonet.train.engine import fit
from argonet.train.model_setup import build_model
from argonet.train.runtime import resolve_device, seed_everything
from argonet.viz.metrics import plot_confusions_and_roc, save_figure

CLASSES = list(CVN_CLASSES)
NUE = "NUE_CC"
#: the three models of the study: result key → what it is
MODELS = {"a_sim_only": "(a) simulation only", "b_finetuned": "(b) simulation + real fine-tuning",
          "c_scratch": "(c) real only"}
#: input-spec entries a reused simulation-trained checkpoint must share with this run
SPEC_KEYS = ("in_chans", "image_shape", "planes", "downsample", "crop", "crop_mode", "normalise", "scale", "clip")


def _sim_paths(items: list[str]) -> list[str]:
    """Simulated files, globs expanded in sorted order; ConfigError naming ``sim`` for a name that matches nothing."""
    paths: list[str] = []
    for item in items:
        matches = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        if not matches or not all(Path(m).is_file() for m in matches):
            raise ConfigError("sim", f"no simulated file {item}")
        paths.extend(matches)
    return paths


def sim_dataset(data: DataConfig, paths: list[str]) -> ClassificationDataset:
    """The simulated maps with the four CVN classes; DataError unless every class has events."""
    dataset = ClassificationDataset.from_config(replace(data, file=paths, format="larcv3"))
    counts = dataset.class_counts()
    if min(counts.values()) == 0:
        raise DataError(f"{', '.join(paths)}: simulated events per class {counts}; the study needs all four CVN "
                        "classes (argonet simulate detector=dune_fd generator=dune image.mode=cvn)")
    return dataset


def real_dataset(data: DataConfig, folder: str) -> CvnDataset:
    """The real CVN maps with the same image options; ConfigError naming ``real`` when the folder is missing."""
    if not Path(folder).is_dir():
        raise ConfigError("real", f"{folder} is not a folder (a DUNE CVN folder: dataset_info/ with numu/ nue/ ...)")
    return CvnDataset.from_config(replace(data, file=folder, format="cvn"))


class _Study:
    """The two samples, the real split, the device, and how a stage trains and is tested."""

    def __init__(self, cfg: SimToRealConfig):
        sims, real = cfg.require_inputs()
        self.cfg, self.out = cfg, Path(cfg.run.output_dir)
        self.data = replace(cfg.data, class_names=CLASSES, batch_size=cfg.run.batch_size)
        self.sim_paths = _sim_paths(sims)
        self.real = real_dataset(self.data, real)
        self.sim = sim_dataset(self.data, self.sim_paths)
        shapes = {"simulated": (self.sim.in_channels, *self.sim.image_shape),
                  "real": (self.real.in_channels, *self.real.image_shape)}
        if shapes["simulated"] != shapes["real"]:
            raise DataError(f"simulated maps are {shapes['simulated']} after data.downsample/data.crop, the real "
                            f"ones {shapes['real']}: simulate them with detector=dune_fd image.mode=cvn")
        self.sim_split = split_entries(len(self.sim), self.data.split, self.data.seed, self.data.split_block)
        if len(self.sim_split["train"]) == 0:
            raise DataError(f"the simulated train split of {len(self.sim)} events is empty "
                            f"(data.split {self.data.split})")
        self.adapt, self.test = self.real.halves(cfg.per_class, cfg.real_seed)
        self.val = np.zeros(0, np.int64)
        if cfg.val_per_class:
            picked, rest = stratified_split(self.real.targets[self.adapt], cfg.val_per_class, cfg.real_seed + 1,
                                            len(CLASSES), CLASSES, what="val_per_class")
            self.val, self.adapt = self.adapt[picked], self.adapt[rest]
        self.spec = input_spec(self.real, self.data)
        self.device = resolve_device(cfg.run.device)

    def loader(self, dataset, entries: np.ndarray, train: bool):
        """Batches of ``entries``: shuffled with the configured flips for training, in order without them otherwise."""
        if len(entries) == 0:
            return None
        return build_loader(dataset if train else dataset.without_augment(), self.data, entries, train=train,
                            rank=0, world_size=1)

    def new_model(self, model_cfg: ModelConfig) -> tuple[nn.Module, str]:
        """The configured network (seeded by ``run.seed``: (a) and (c) start from the same weights), loaded from
        ``model_cfg.checkpoint`` when it names one, and how it was built (logged by the engine)."""
        seed_everything(self.cfg.run.seed)
        model, report = build_model(model_cfg, num_classes=len(CLASSES), in_chans=self.real.in_channels)
        return model, "; ".join(report)

    def train(self, model: nn.Module, name: str, stage: StageConfig, train, val, model_cfg: ModelConfig,
              sample: dict[str, Any], build_report: str) -> Path:
        """One stage through the engine in ``output_dir/<name>``; the model keeps its best (else last) weights."""
        run = replace(self.cfg.run, epochs=stage.epochs, early_stopping_patience=stage.early_stopping_patience,
                      output_dir=str(self.out / name), resume=False)
        config = {"command": "simtoreal", "stage": name, "data": {**asdict(self.data), **sample},
                  "model": asdict(model_cfg), "optim": asdict(stage.optim), "run": asdict(run)}
        result = fit(model, ClassifyTask(CLASSES), train, val, optim=stage.optim, run=run, class_names=CLASSES,
                     input_spec=self.spec, config=config, build_report=build_report)
        print(f"{name}: {result.stopped} after {len(result.progress.history)} epochs")
        if result.best is not None:
            model.load_state_dict(read_checkpoint(result.best)["model"])
            print(f"{name}: testing the weights of the lowest validation loss, {result.best}")
            return result.best
        return result.checkpoint

    def predict(self, model: nn.Module, dataset, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities and true labels of ``entries``, in order."""
        return predict(model.to(self.device), self.loader(dataset, entries, train=False), self.device)

    def report(self, probs: np.ndarray, labels: np.ndarray, entries: np.ndarray, name: str, title: str) -> dict:
        """The summary plus the reference's figures; writes ``<name>/`` (metrics, predictions; plots with ``plots``)."""
        report = summarise(probs, labels, CLASSES)
        report["three_flavour"] = three_flavour_view(report["confusion"], CLASSES)
        report["nue_auc_without_nutau"] = nue_auc_without_nutau(probs, labels, CLASSES)
        write_predictions(self.out / name / "predictions.csv", entries, probs, labels, CLASSES)
        if self.cfg.plots:
            write_results(report, self.out / name, title)
        else:
            (self.out / name / "metrics.json").write_text(json.dumps(report, indent=1, allow_nan=False))
        print(f"{name}:\n{format_report(report)}")
        return report


def _pretrained(s: _Study) -> tuple[nn.Module, Path]:
    """(a): train on the simulated events, or load ``sim_checkpoint`` once it is checked against this run."""
    cfg = s.cfg
    if cfg.sim_checkpoint is None:
        model, built = s.new_model(cfg.model)
        sample = {"file": s.sim_paths, "format": "larcv3"}
        path = s.train(model, "pretrain", cfg.pretrain, s.loader(s.sim, s.sim_split["train"], True),
                       s.loader(s.sim, s.sim_split["val"], False), cfg.model, sample, built)
        return model, path
    state = read_checkpoint(cfg.sim_checkpoint, field="sim_checkpoint")
    name = ((state.get("config") or {}).get("model") or {}).get("name")
    spec = state.get("input_spec") or {}
    differ = [k for k in SPEC_KEYS if spec.get(k) != s.spec.get(k)]
    if state.get("class_names") != CLASSES or name != cfg.model.name or differ:
        raise ConfigError("sim_checkpoint", f"{cfg.sim_checkpoint} holds {name} on classes {state.get('class_names')}"
                          f"{' with other ' + ', '.join(differ) if differ else ''}; this run: {cfg.model.name} on "
                          f"{CLASSES}, input {[s.spec.get(k) for k in differ] if differ else 'as stored'}")
    model, _ = from_checkpoint(state, num_classes=len(CLASSES), in_chans=s.real.in_channels)
    print(f"pretrain: reusing {cfg.sim_checkpoint} ({name} as stored, {len(CLASSES)} classes)")
    return model, Path(cfg.sim_checkpoint)


def _fmt(x: float | None, digits: int = 3) -> str:
    """A number for the tables (n/a for None)."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def _diagonal(values: dict[str, float | None]) -> str:
    """'numu / nue / NC' diagonal in per cent."""
    return " / ".join("n/a" if values[c] is None else f"{100 * values[c]:.0f}" for c in THREE_FLAVOURS)


def markdown_table(results: dict[str, dict], n_test: int) -> str:
    """The three models on the real test half beside the official CVN's published figures."""
    reports = [results[k] for k in MODELS]
    ref = OFFICIAL_CVN
    rows = [f"| real test half ({n_test} events) | {' | '.join(MODELS.values())} | official DUNE CVN |",
            "|---|" + "---|" * (len(MODELS) + 1),
            f"| accuracy, 4 classes | {' | '.join(_fmt(r['accuracy']) for r in reports)} | n/a |"]
    rows += [f"| efficiency {c} | {' | '.join(_fmt(r['efficiency'][c]) for r in reports)} | "
             f"{_fmt(ref['diagonal'].get(c), 2) if c in THREE_FLAVOURS else 'n/a'} |" for c in CLASSES]
    rows += [f"| numu / nue / NC diagonal, % (nutau predictions dropped) | "
             f"{' | '.join(_diagonal(r['three_flavour']['diagonal']) for r in reports)} | "
             f"{_diagonal(ref['diagonal'])} |",
             f"| nue CC AUC, against the 3 other classes | "
             f"{' | '.join(_fmt(r['auc'].get(NUE)) for r in reports)} | n/a |",
             f"| nue CC AUC, against numu CC + NC | {' | '.join(_fmt(r['nue_auc_without_nutau']) for r in reports)} | "
             f"{_fmt(ref['nue_auc'])} |"]
    return "\n".join(rows)


def _three_flavour_tables(results: dict[str, dict]) -> list[str]:
    """The numu / nue / NC count matrices of the three models and of the reference."""
    lines = ["## numu / nue / NC matrices (rows true, columns predicted; predicted nutau dropped)", ""]
    matrices = {**{MODELS[k]: results[k]["three_flavour"]["confusion"] for k in MODELS},
                "official DUNE CVN (100 events per class, events 0-99)": OFFICIAL_CVN["confusion"]}
    for title, m in matrices.items():
        lines += [f"{title}:", "", "| true \\ predicted | " + " | ".join(THREE_FLAVOURS) + " |", "|---|---|---|---|",
                  *[f"| {c} | " + " | ".join(str(v) for v in row) + " |" for c, row in zip(THREE_FLAVOURS, m)], ""]
    return lines


def write_report(s: _Study, results: dict[str, dict], extra: dict[str, dict], checkpoints: dict[str, Path],
                 reference: dict[str, np.ndarray] | None) -> Path:
    """``report/`` with report.md, report.json and report.png, written complete or not at all."""
    with AtomicFolder(s.out / "report", overwrite=True) as folder:
        curves = {MODELS[k]: (np.array(results[k]["roc"][NUE]["signal_efficiency"]),
                              np.array(results[k]["roc"][NUE]["background_efficiency"])) for k in MODELS}
        aucs = {MODELS[k]: results[k]["auc"][NUE] for k in MODELS}
        ref_name, ref_auc = "official CVN, against numu CC + NC", None
        if reference is not None:
            signal_eff, background_eff, ref_auc = reference_roc(reference)
            curves[ref_name], aucs[ref_name] = (signal_eff, background_eff), ref_auc
        fig = plot_confusions_and_roc([np.array(results[k]["confusion"]) for k in MODELS], list(MODELS.values()),
                                      CLASSES, curves, aucs, "nue CC against the rest, real test half", [ref_name])
        save_figure(fig, str(folder.tmp / "report.png"))
        table = markdown_table(results, len(s.test))
        sim_test = extra.get("a_sim_test")
        text = ["# Sim-to-real: DUNE CVN event classes", "",
                f"- simulated: {len(s.sim)} events ({', '.join(f'`{p}`' for p in s.sim_paths)}), "
                f"{s.sim.class_counts()}; train / val / test {[len(v) for v in s.sim_split.values()]} "
                f"(seed {s.data.seed})",
                f"- real: `{s.cfg.real}`, {len(s.real)} events; adapted on {len(s.adapt) + len(s.val)} "
                f"({s.cfg.per_class} per class, {s.cfg.val_per_class} of them for validation, real_seed "
                f"{s.cfg.real_seed}), tested on the other {len(s.test)}",
                f"- model `{s.cfg.model.name}`, input {s.spec['in_chans']} x "
                f"{' x '.join(map(str, s.spec['image_shape']))} "
                f"(data.downsample {s.spec['downsample']}, normalise {s.spec['normalise']})", "", table, "",
                f"(a) on all {extra['a_real_all']['n_events']} real events: accuracy "
                f"{_fmt(extra['a_real_all']['accuracy'])}, numu / nue / NC diagonal "
                f"{_diagonal(extra['a_real_all']['three_flavour']['diagonal'])} %, nue CC AUC "
                f"{_fmt(extra['a_real_all']['auc'].get(NUE))} (against the rest), "
                f"{_fmt(extra['a_real_all']['nue_auc_without_nutau'])} (against numu CC + NC).",
                "" if sim_test is None else f"(a) on its simulated test split ({sim_test['n_events']} events): "
                f"accuracy {_fmt(sim_test['accuracy'])}.", "",
                "The official CVN's figures are on events 0-99 of the numu, nue and NC folders (see "
                "`argonet.eval.cvn_reference`), not on this test half.", "", *_three_flavour_tables(results),
                "![confusion matrices and nue CC ROC curves](report.png)", ""]
        (folder.tmp / "report.md").write_text("\n".join(text))
        summary = {"argonet_version": __version__, "sim": s.sim_paths, "real": s.cfg.real,
                   "per_class": s.cfg.per_class, "val_per_class": s.cfg.val_per_class, "real_seed": s.cfg.real_seed,
                   "real_entries": {"adapt": s.adapt.tolist(), "val": s.val.tolist(), "test": s.test.tolist()},
                   "input_spec": s.spec, "checkpoints": {k: str(v) for k, v in checkpoints.items()},
                   "official_cvn": {**OFFICIAL_CVN, "nue_auc_from_scores": ref_auc},
                   "results": results, **extra}
        (folder.tmp / "report.json").write_text(json.dumps(summary, indent=1, allow_nan=False))
    print(f"\n{table}\nwrote {s.out / 'report'}/report.md, report.json, report.png")
    if s.cfg.report_dir:
        copy_report(s.out / "report", Path(s.cfg.report_dir))
    return s.out / "report"


def copy_report(report: Path, folder: Path) -> None:
    """A study's own copy of the report: results.json (report.json's content), report.md and report.png, each
    file replaced whole."""
    folder.mkdir(parents=True, exist_ok=True)
    for source, name in (("report.json", "results.json"), ("report.md", "report.md"), ("report.png", "report.png")):
        with AtomicPath(folder / name, overwrite=True) as target:
            shutil.copyfile(report / source, target.tmp)
    print(f"copied to {folder}/results.json, report.md, report.png")


def simtoreal(cfg: SimToRealConfig) -> dict[str, Any]:
    """The three trainings and their tests; returns the test-half results, the extra tests and the report folder."""
    echo("simtoreal", cfg)
    reference = read_reference_scores(cfg.reference) if cfg.reference else None
    s = _Study(cfg)
    print(f"simulated {s.sim.class_counts()}, split {[len(v) for v in s.sim_split.values()]}; real "
          f"{s.real.class_counts()}: adapt {len(s.adapt)}, val {len(s.val)}, test {len(s.test)} "
          f"(per_class {cfg.per_class}, real_seed {cfg.real_seed})")
    results, extra, checkpoints = {}, {}, {}
    model, checkpoints["pretrain"] = _pretrained(s)
    every = np.arange(len(s.real))
    probs, labels = s.predict(model, s.real, every)
    extra["a_real_all"] = s.report(probs, labels, every, "a_real_all", "(a) simulation only: all real events")
    results["a_sim_only"] = s.report(probs[s.test], labels[s.test], s.test, "a_real_test",
                                     "(a) simulation only: real test half")
    if len(s.sim_split["test"]):
        extra["a_sim_test"] = s.report(*s.predict(model, s.sim, s.sim_split["test"]), s.sim_split["test"],
                                       "a_sim_test", "(a) simulation only: simulated test split")
    adapt, val = s.loader(s.real, s.adapt, True), s.loader(s.real, s.val, False)
    real_sample = {"file": cfg.real, "format": "cvn"}
    tuned_cfg = replace(cfg.model, weights=None, checkpoint=str(checkpoints["pretrain"]))
    tuned, built = s.new_model(tuned_cfg)
    checkpoints["finetune"] = s.train(tuned, "finetune", cfg.finetune, adapt, val, tuned_cfg, real_sample, built)
    results["b_finetuned"] = s.report(*s.predict(tuned, s.real, s.test), s.test, "b_real_test",
                                      "(b) simulation + real fine-tuning: real test half")
    scratch, built = s.new_model(cfg.model)
    checkpoints["scratch"] = s.train(scratch, "scratch", cfg.scratch, adapt, val, cfg.model, real_sample, built)
    results["c_scratch"] = s.report(*s.predict(scratch, s.real, s.test), s.test, "c_real_test",
                                    "(c) real only: real test half")
    folder = write_report(s, results, extra, checkpoints, reference)
    return {"results": results, **extra, "report": folder, "checkpoints": checkpoints,
            "split": {"adapt": s.adapt, "val": s.val, "test": s.test}}
