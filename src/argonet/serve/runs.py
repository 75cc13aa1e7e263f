"""Run folders under ``runs=``: what each holds (config, curves, evaluations, checkpoints) and its status.

A run folder is one that ``argonet train`` wrote (``run.json``, ``train.log``, ``checkpoint.pt``);
its evaluations are the metrics JSONs (``metrics.json`` of ``argonet evaluate``, ``*.metrics.json``
of ``argonet inference``) in it or in its direct sub-folders. A folder holding only an evaluation is
listed as a run of its own. A damaged file never breaks the listing: the run shows the error.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
import time
from typing import Any

from argonet.errors import DataError
from argonet.io.atomic import process_alive

RUN_MARKERS = ("run.json", "train.log", "checkpoint.pt")
CHECKPOINTS = ("checkpoint.pt", "best.pt")
SKIP_DIRS = {"tensorboard", "__pycache__"}
MAX_DEPTH = 4
#: a "running" run whose process is gone and whose files have not changed for this long is interrupted
STALE_S = 120.0
#: bumped when a run table row gains or changes a field: rows cached by an older server are rebuilt
SUMMARY_VERSION = 2


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; DataError (one line, naming the file) when unreadable or not an object."""
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"{path.name}: cannot read ({type(err).__name__}: {str(err).splitlines()[0][:120]})") from None
    if not isinstance(value, dict):
        raise DataError(f"{path.name}: expected a JSON object")
    return value


def _is_eval_file(name: str) -> bool:
    return name == "metrics.json" or name.endswith(".metrics.json")


def scan(root: Path) -> list[Path]:
    """Every run folder under ``root`` (training runs, and evaluation-only folders outside them), sorted."""
    found: list[Path] = []
    root = root.resolve()
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        if here != root and (any(m in files for m in RUN_MARKERS) or any(_is_eval_file(f) for f in files)):
            found.append(here)
            if any(m in files for m in RUN_MARKERS):
                dirs[:] = []              # its sub-folders are its evaluations
        if depth >= MAX_DEPTH:
            dirs[:] = []
    return sorted(found)


def eval_files(folder: Path) -> list[Path]:
    """The metrics JSONs of a run: in its folder and its direct sub-folders."""
    out = [p for p in sorted(folder.iterdir()) if p.is_file() and _is_eval_file(p.name)]
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in SKIP_DIRS):
        out += [p for p in sorted(sub.iterdir()) if p.is_file() and _is_eval_file(p.name)]
    return out


def fingerprint(folder: Path) -> str:
    """Sizes and modification times of the files a summary is made of (changes when the run moves on)."""
    parts = [f"v{SUMMARY_VERSION}"]
    for path in [folder / n for n in ("run.json", "scalars.jsonl", *CHECKPOINTS)] + eval_files(folder):
        try:
            st = path.stat()
            parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path.name}:-")
    return "|".join(parts)


def read_scalars(folder: Path) -> dict[str, dict[str, list[float]]]:
    """``scalars.jsonl`` as {prefix: {"step": [...], "time": [...], name: [...]}} (a torn last line is skipped)."""
    out: dict[str, dict[str, list[float]]] = {}
    path = folder / "scalars.jsonl"
    if not path.is_file():
        return out
    with open(path) as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue                # the line being written right now
            prefix = str(record.pop("prefix", "train"))
            series = out.setdefault(prefix, {})
            n = len(series.get("step", []))
            for key, value in record.items():
                column = series.setdefault(key, [None] * n)
                column.append(value)
            for column in series.values():
                if len(column) == n:
                    column.append(None)
    return out


def _pid_alive(pid: Any) -> bool:
    """Whether the run's recorded process still runs (a missing or malformed pid counts as gone)."""
    return str(pid).isdigit() and process_alive(int(pid))


def status_of(state: dict[str, Any], folder: Path) -> str:
    """running | completed | failed | interrupted | finished (no run.json but a checkpoint) | unknown."""
    if not state:
        return "finished" if (folder / "checkpoint.pt").is_file() else "unknown"
    status = str(state.get("status", "unknown"))
    if status == "running" and not _pid_alive(state.get("pid")):
        newest = max((p.stat().st_mtime for p in folder.iterdir() if p.is_file()), default=0.0)
        if time.time() - newest > STALE_S or state.get("pid") is None:
            return "interrupted"
    return status


def evaluation(path: Path, root: Path) -> dict[str, Any]:
    """One metrics JSON as shown on a run page: its kind, report, and where its per-event predictions are."""
    report = read_json(path)
    kind = "segment" if "planes" in report else "classify" if "confusion" in report else "other"
    predictions = path.with_name("predictions.csv")
    return {"name": path.relative_to(root).as_posix(), "kind": kind, "report": report,
            "predictions": predictions.relative_to(root).as_posix() if predictions.is_file() else None}


def headline(evals: list[dict[str, Any]], best_val: dict[str, Any]) -> dict[str, float]:
    """The figures shown in the run table: evaluation accuracy / mIoU, validation loss and metrics."""
    out: dict[str, float] = {}
    for ev in evals:
        report = ev.get("report") or {}
        if ev["kind"] == "classify" and isinstance(report.get("accuracy"), (int, float)):
            out.setdefault(f"{report.get('split', 'eval')}_accuracy", float(report["accuracy"]))
        elif ev["kind"] == "segment" and isinstance((report.get("average") or {}).get("miou"), (int, float)):
            out.setdefault("inference_miou", float(report["average"]["miou"]))
    out.update({f"val_{k}": float(v) for k, v in best_val.items() if isinstance(v, (int, float)) and k != "step"
                and k != "time"})
    return out


def best_validation(scalars: dict[str, dict[str, list]]) -> dict[str, Any]:
    """The validation record of the lowest validation loss ({} without validation)."""
    val = scalars.get("val") or {}
    losses = val.get("loss") or []
    valid = [i for i, v in enumerate(losses) if isinstance(v, (int, float))]
    if not valid:
        return {}
    i = min(valid, key=lambda k: losses[k])
    return {k: column[i] for k, column in val.items() if column[i] is not None}


def _history_scalars(history: list[dict[str, Any]]) -> dict[str, dict[str, list]]:
    """Epoch records of a checkpoint's progress as scalars.jsonl would hold them."""
    train = {"step": [r.get("step") for r in history], "epoch_loss": [r.get("train_loss") for r in history]}
    keys = sorted({k for r in history for k in r if k.startswith("val_")})
    val = {"step": train["step"], **{k[4:]: [r.get(k) for r in history] for k in keys}}
    return {"train": train, **({"val": val} if keys else {})}


def run_state(folder: Path) -> tuple[dict[str, Any], dict[str, dict[str, list]]]:
    """(run.json, scalars.jsonl) of a run; a run trained before these files existed is read from its
    checkpoint instead (config, classes and per-epoch history; the table caches it)."""
    if (folder / "run.json").is_file():
        return read_json(folder / "run.json"), read_scalars(folder)
    checkpoint = folder / "checkpoint.pt"
    if not checkpoint.is_file():
        return {}, read_scalars(folder)
    from argonet.errors import ArgonetError
    from argonet.train.checkpoint import read_checkpoint

    try:
        saved = read_checkpoint(checkpoint, field="checkpoint")
    except ArgonetError as err:
        raise DataError(str(err)) from None
    state = {k: saved.get(k) for k in ("config", "class_names", "input_spec")}
    return {**state, "status": "finished"}, _history_scalars((saved.get("progress") or {}).get("history") or [])


def summarise(root: Path, folder: Path) -> dict[str, Any]:
    """A run table row: name, task, model, data, status, metrics, epochs, duration, updated, error."""
    name = folder.relative_to(root).as_posix()
    row: dict[str, Any] = {"name": name, "task": None, "model": None, "data": None, "status": "unknown",
                           "metrics": {}, "epochs": None, "duration_s": None, "updated": None, "error": None,
                           "hparams": {}}
    try:
        state, scalars = run_state(folder)
        config = state.get("config") or {}
        row["task"] = config.get("task") or ("classify" if config.get("model") else None)
        row["model"] = (config.get("model") or {}).get("name")
        row["data"] = (config.get("data") or {}).get("file")
        optim, settings = config.get("optim") or {}, config.get("run") or {}
        row["hparams"] = {"optimizer": optim.get("name"), "lr": optim.get("lr"), "batch": settings.get("batch_size")}
        row["status"] = status_of(state, folder)
        row["error"] = state.get("error")
        if state.get("started") and state.get("updated"):
            end = time.time() if row["status"] == "running" else float(state["updated"])
            row["duration_s"] = end - float(state["started"])
        row["epochs"] = sum(1 for v in (scalars.get("train") or {}).get("epoch_loss", []) if v is not None) or None
        evals = []
        for path in eval_files(folder):
            try:
                evals.append(evaluation(path, root))
            except DataError as err:
                row["error"] = f"{path.relative_to(root).as_posix()}: {err}"
        if not state and evals:
            row["status"], row["task"] = "evaluated", evals[0]["kind"]
        row["metrics"] = headline(evals, best_validation(scalars))
        row["updated"] = max((p.stat().st_mtime for p in folder.iterdir() if p.is_file()), default=None)
    except (DataError, OSError) as err:
        row["status"], row["error"] = "error", str(err)
    return row


def checkpoints(folder: Path, root: Path) -> list[dict[str, Any]]:
    """The checkpoint files of a run: name (relative to ``root``), size in MB, modification time."""
    out = []
    for name in CHECKPOINTS:
        path = folder / name
        if path.is_file():
            st = path.stat()
            out.append({"name": path.relative_to(root).as_posix(), "file": name, "size_MB": st.st_size / 1e6,
                        "modified": st.st_mtime})
    return out


def log_tail(folder: Path, n_lines: int = 60) -> str:
    """The last lines of ``train.log`` ('' without one)."""
    path = folder / "train.log"
    if not path.is_file():
        return ""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 200 * n_lines))
        lines = f.read().decode("utf-8", "replace").splitlines()
    return "\n".join(lines[-n_lines:])


def detail(root: Path, folder: Path) -> dict[str, Any]:
    """Everything a run page shows; errors of single files are listed, the rest is still read."""
    row = summarise(root, folder)
    errors = [row["error"]] if row["status"] == "error" and row["error"] else []
    state: dict[str, Any] = {}
    scalars: dict[str, dict[str, list]] = {}
    try:
        state, scalars = run_state(folder)
    except (DataError, OSError) as err:
        if str(err) not in errors:
            errors.append(str(err))
    evals = []
    for path in eval_files(folder):
        try:
            evals.append(evaluation(path, root))
        except DataError as err:
            errors.append(f"{path.relative_to(root).as_posix()}: {err}")
    return {**row, "config": state.get("config") or {}, "class_names": state.get("class_names"),
            "input_spec": state.get("input_spec"), "scalars": scalars, "evaluations": evals,
            "checkpoints": checkpoints(folder, root), "log": log_tail(folder), "errors": errors}


def read_predictions(path: Path) -> list[dict[str, str]]:
    """The rows of a ``predictions.csv`` (entry, true, predicted, p_<class>...)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{path.name}: cannot read ({err})") from None
    if rows and not {"entry", "true", "predicted"} <= set(rows[0]):
        raise DataError(f"{path.name}: expected columns entry, true, predicted")
    return rows


def false_positives(path: Path, signal: str, background_efficiency: float) -> list[dict[str, str]]:
    """The background events (true class not ``signal``) that a cut on p_<signal> keeps at the ROC point
    of this background efficiency, highest p first: what a click on that point of the curve lists."""
    rows = read_predictions(path)
    key = f"p_{signal}"
    if rows and key not in rows[0]:
        raise DataError(f"{path.name}: no column {key}")
    background = sorted((r for r in rows if r["true"] != signal), key=lambda r: -float(r[key]))
    keep = math.ceil(min(max(background_efficiency, 0.0), 1.0) * len(background) - 1e-9)
    return background[:keep]


def predictions_where(path: Path, true: str | None, predicted: str | None) -> list[dict[str, Any]]:
    """Rows of a ``predictions.csv`` with the given true and predicted class (None: any), highest p first."""
    rows = read_predictions(path)
    picked = [r for r in rows if true in (None, r["true"]) and predicted in (None, r["predicted"])]
    key = f"p_{predicted}" if predicted else None
    if key and picked and key in picked[0]:
        picked.sort(key=lambda r: -float(r[key] or 0))
    return picked
