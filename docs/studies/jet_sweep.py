"""The jet-classifier sweep study: a hand-tuned feature MLP against a 30-trial sweep around it, chosen on
the validation split, then both evaluated once on the test split; writes docs/studies/jet_sweep/results.json.

    python docs/studies/jet_sweep.py JETS.h5 RUNS_DIR

JETS.h5 is a jet file of ``argonet simulate generator=jets``; everything is trained on its seeded
[0.7, 0.1, 0.2] split; RUNS_DIR receives the runs (not committed).
"""

from __future__ import annotations

import json
from pathlib import Path
import platform
import sys

from argonet.cli.main import main
from argonet.train.runtime import cpu_seconds

OUT = Path(__file__).parent / "jet_sweep"
SPACE = """\
optim.lr: {type: float, low: 1.0e-4, high: 3.0e-2, log: true}
optim.weight_decay: {type: float, low: 1.0e-6, high: 1.0e-1, log: true}
model.options.hidden: {type: int, low: 16, high: 256, step: 16}
model.options.depth: {type: int, low: 1, high: 4}
model.options.drop_rate: {type: float, low: 0.0, high: 0.5}
run.batch_size: [64, 128, 256]
"""
#: the hand-tuned MLP of docs/jets/README.md
HAND = ["optim.name=adamw", "optim.lr=0.002", "optim.weight_decay=0.0001", "run.batch_size=256"]
TRIALS, EPOCHS = 30, 30


def _run(*args: str) -> None:
    """One argonet command; stop the study when it fails."""
    if main(list(args)) != 0:
        sys.exit(f"failed: argonet {' '.join(args)}")


def _evaluate(checkpoint: Path, data: list[str], split: str, out: Path) -> dict:
    """Accuracy and jet tagging of a checkpoint on one split."""
    _run("evaluate", f"checkpoint={checkpoint}", *data, f"split={split}", f"output_dir={out}", "device=cpu")
    report = json.loads((out / "metrics.json").read_text())
    tagging = report.get("jet_tagging", {})
    return {"accuracy": report["accuracy"], "n_events": report["n_events"],
            **{f"{k}_rejection_at_50": v["rejection"] for k, v in tagging.items()},
            **{f"{k}_auc": v["auc"] for k, v in tagging.items()}}


def study(jets: str, runs: Path) -> dict:
    """Hand-tuned run, sweep, then validation and (once) test evaluation of both; returns the results."""
    data = [f"data.file={jets}", "data.format=jet_features", "data.split=[0.7,0.1,0.2]"]
    common = ["task=classify", "model.name=jetmlp", *data, f"run.epochs={EPOCHS}", "run.device=cpu",
              "run.progress=false", "run.tensorboard=false"]
    start = cpu_seconds()
    _run("train", *common, *HAND, f"run.output_dir={runs / 'hand'}")
    hand_cpu_s = cpu_seconds() - start
    space = runs / "space.yaml"
    space.write_text(SPACE)
    start = cpu_seconds()
    _run("sweep", *common, *HAND, f"sweep.space={space}", f"sweep.trials={TRIALS}", "sweep.objective=val/accuracy",
         "sweep.direction=maximize", "sweep.seed=0", f"sweep.output_dir={runs / 'sweep'}")
    sweep_cpu_s = cpu_seconds() - start
    report = json.loads((runs / "sweep" / "report.json").read_text())
    best = report["best"][0]
    best_ckpt = runs / "sweep" / best["run_dir"] / "best.pt"
    results = {"sample": {"file": Path(jets).name, "split": [0.7, 0.1, 0.2], "epochs": EPOCHS},
               "hand_tuned": {"overrides": HAND, "cpu_s": round(hand_cpu_s, 1)},
               "sweep": {"trials": TRIALS, "states": report["states"], "space": SPACE.splitlines(),
                         "best_trial": best["name"], "best_params": best["params"], "cpu_s": round(sweep_cpu_s, 1),
                         "importances": report["importances"]["val/accuracy"]},
               "cpu": platform.processor() or platform.machine()}
    for name, ckpt in (("hand_tuned", runs / "hand" / "best.pt"), ("sweep", best_ckpt)):
        results[name]["val"] = _evaluate(ckpt, data, "val", runs / f"{name}_val")
    for name, ckpt in (("hand_tuned", runs / "hand" / "best.pt"), ("sweep", best_ckpt)):     # the test split, once
        results[name]["test"] = _evaluate(ckpt, data, "test", runs / f"{name}_test")
    return results


if __name__ == "__main__":
    found = study(sys.argv[1], Path(sys.argv[2]))
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(found, indent=1) + "\n")
    print(json.dumps({k: found[k].get("val", {}).get("accuracy") for k in ("hand_tuned", "sweep")}))
