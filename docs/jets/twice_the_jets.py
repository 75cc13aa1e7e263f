"""The 120 000-jet study: the 11-feature MLP against our image CNN on twice the jets, the CNN's input (40 × 40
alone, or with the groomed 40 × 40 beside it) chosen on the validation split, then the MLP and the chosen CNN
evaluated once on the test split; writes docs/jets/120k/results.json.

    python docs/jets/twice_the_jets.py RUNS_DIR JETS.h5 [JETS.h5 ...]

The JETS files are the four 40 × 40 + groomed shards of docs/jets/README.md (seeds 7 and 8), in that order;
everything uses their seeded [0.7, 0.1, 0.2] split. RUNS_DIR receives the runs (not committed); a run already
finished there (its cost.json exists) is not trained again, and one interrupted is resumed from its last
checkpoint (the CPU time in cost.json then counts the resumed part only).

    python docs/jets/twice_the_jets.py --train NAME RUNS_DIR JETS.h5 [JETS.h5 ...]

trains one run only (mlp_all_features, jetcnn40 or jetcnn40_groomed), so that the three trainings can run as
parallel processes (one thread each) before the study itself.
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
import time

from argonet.cli.main import main
from argonet.train.runtime import cpu_seconds

OUT = Path(__file__).parent / "120k"
SPLIT = "data.split=[0.7,0.1,0.2]"
FEATURES = "data.features=[mass_GeV,mass_sd_GeV,tau1,tau2,tau3,tau21,tau32,c2,d2,multiplicity,pt_GeV]"
MLP = ["data.format=jet_features", "model.name=jetmlp", FEATURES, "optim.name=adamw", "optim.lr=0.002",
       "optim.weight_decay=0.0001", "run.epochs=30", "run.batch_size=256"]
CNN = ["data.format=jets", "data.normalise=none", "model.name=jetcnn", "model.options.width=24", "optim.name=adamw",
       "optim.lr=0.001", "optim.weight_decay=0.0001", "optim.warmup_epochs=0.5", "run.epochs=12", "run.batch_size=128"]
#: the CNN candidates: which images the network sees
CANDIDATES = {"jetcnn40": ["data.jet_images=[images]"],
              "jetcnn40_groomed": ["data.jet_images=[images,images_groomed]"]}
#: every training of the study: run name → overrides
RUNS = {"mlp_all_features": MLP, **{name: CNN + images for name, images in CANDIDATES.items()}}


def cpu_name() -> str:
    """The CPU model, as /proc/cpuinfo names it."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _run(*args: str) -> None:
    """One argonet command; stop the study when it fails."""
    if main(list(args)) != 0:
        sys.exit(f"failed: argonet {' '.join(args)}")


def _train(name: str, overrides: list[str], data: str, runs: Path, cost: dict) -> Path:
    """best.pt of one training (chosen by validation loss), trained unless a finished run is already there."""
    out = runs / name
    if not (out / "cost.json").exists():                # written last: the run finished
        cpu, wall = cpu_seconds(), time.monotonic()
        resume = ["run.resume=true"] if (out / "checkpoint.pt").exists() else []      # an interrupted run goes on
        _run("train", "task=classify", data, SPLIT, *overrides, *resume, "run.progress=false", "run.tensorboard=false",
             f"run.output_dir={out}")
        spent = {"cpu_s": round(cpu_seconds() - cpu, 1), "wall_s": round(time.monotonic() - wall, 1)}
        (out / "cost.json").write_text(json.dumps(spent))
    cost[name] = json.loads((out / "cost.json").read_text())
    return out / "best.pt"


def _evaluate(checkpoint: Path, data: str, fmt: str, split: str, out: Path) -> dict:
    """Accuracy, per-class AUC, jet tagging and confusion of a checkpoint on one split."""
    _run("evaluate", f"checkpoint={checkpoint}", data, f"data.format={fmt}", f"split={split}", f"output_dir={out}")
    report = json.loads((out / "metrics.json").read_text())
    keep = ("accuracy", "n_events", "class_names", "confusion", "auc", "jet_tagging")
    return {key: report[key] for key in keep if key in report}


def _data(files: list[str]) -> str:
    """The data.file override of the study's files."""
    return "data.file=[" + ",".join(files) + "]"


def study(runs: Path, files: list[str]) -> dict:
    """Train the MLP and both CNN candidates, choose the CNN on validation, test the MLP and the chosen CNN once."""
    data = _data(files)
    cost: dict[str, dict] = {}
    checkpoints = {name: _train(name, overrides, data, runs, cost) for name, overrides in RUNS.items()}
    val = {name: _evaluate(checkpoints[name], data, "jets", "val", runs / name / "eval_val") for name in CANDIDATES}
    chosen = max(CANDIDATES, key=lambda name: val[name]["accuracy"])
    test = {name: _evaluate(checkpoints[name], data, fmt, "test", runs / name / "eval_test")       # once
            for name, fmt in (("mlp_all_features", "jet_features"), (chosen, "jets"))}
    return {"sample": {"files": [Path(f).name for f in files], "split": [0.7, 0.1, 0.2]},
            "overrides": RUNS,
            "chosen_on": "validation accuracy", "val_accuracy": {name: val[name]["accuracy"] for name in CANDIDATES},
            "chosen": chosen, "test": test, "cost": cost, "cpu": cpu_name()}


def markdown(found: dict) -> str:
    """The page's tables: validation accuracy of the candidates, then the test split of the MLP and the chosen CNN."""
    lines = ["| validation (choice of the CNN input) | accuracy |", "|---|---|",
             *[f"| {name}{' (chosen)' if name == found['chosen'] else ''} | {acc:.4f} |"
               for name, acc in found["val_accuracy"].items()], "",
             "| test | accuracy | AUC g | AUC q | AUC t | AUC W | AUC Z | t vs QCD: rejection at 50 % "
             "| W vs QCD: rejection at 50 % |", "|---|---|---|---|---|---|---|---|---|"]
    for name, report in found["test"].items():
        aucs = " | ".join(f"{report['auc'][c]:.3f}" for c in report["class_names"])
        tags = report["jet_tagging"]
        lines.append(f"| {name} ({report['n_events']} jets) | {report['accuracy']:.4f} | {aucs} | "
                     f"{tags['t_vs_qcd']['rejection']:.0f} | {tags['w_vs_qcd']['rejection']:.0f} |")
    classes = found["test"][found["chosen"]]["class_names"]
    lines += ["", f"| confusion (rows true, columns predicted: {', '.join(classes)}) | " + " | ".join(found["test"])
              + " |", "|---|" + "---|" * len(found["test"])]
    for i, name in enumerate(classes):
        lines.append(f"| {name} | " + " | ".join(" ".join(map(str, r["confusion"][i])) for r in found["test"].values())
                     + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--train"] and len(args) >= 4 and args[1] in RUNS:
        _train(args[1], RUNS[args[1]], _data(args[3:]), Path(args[2]), {})
        sys.exit(0)
    if len(args) < 2 or args[0].startswith("-"):
        sys.exit(__doc__)
    found = study(Path(args[0]), args[1:])
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(found, indent=1) + "\n")
    print(markdown(found))
