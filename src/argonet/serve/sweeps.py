"""Sweep folders under ``runs=``: the ``sweep.json`` that ``argonet sweep`` keeps up to date, read for the
run table (one row per sweep, its trials grouped under it) and the sweep page.

A sweep folder holds ``sweep.json`` (objectives, space, every trial with its state, values and run
folder), ``best.overrides``, the report's PNG / HTML figures, and one run folder per trial. A trial's
state comes from ``sweep.json``: a pruned trial's own ``run.json`` says ``failed``, the sweep says
``pruned``. A damaged ``sweep.json`` shows its error on the sweep's row and page only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from argonet.errors import DataError
from argonet.serve.runs import MAX_DEPTH, RUN_MARKERS, SKIP_DIRS, read_json

SWEEP_FILE = "sweep.json"
#: trial states (as sweep.json names them) counted as failed in the run table
FAILED_STATES = ("failed", "interrupted")
#: the sweep's own figures shown on its page, in this order (PNG inline, HTML as a download)
FIGURES = ("history", "pareto", "parallel", "importances")


def scan(root: Path) -> list[Path]:
    """Every folder under ``root`` holding ``sweep.json`` (not looking inside run or sweep folders), sorted."""
    found: list[Path] = []
    root = root.resolve()
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        if SWEEP_FILE in files and here != root:
            found.append(here)
            dirs[:] = []
        elif any(m in files for m in RUN_MARKERS) or len(here.relative_to(root).parts) >= MAX_DEPTH:
            dirs[:] = []
    return sorted(found)


def read_sweep(folder: Path) -> dict[str, Any]:
    """``sweep.json`` checked for what the pages use; DataError (one line, naming the file) otherwise."""
    doc = read_json(folder / SWEEP_FILE)
    if doc.get("kind") != "argonet-sweep":
        raise DataError(f"{SWEEP_FILE}: not an argonet sweep (kind {doc.get('kind')!r})")
    trials, objectives = doc.get("trials"), doc.get("objectives")
    if not isinstance(trials, list) or not all(isinstance(t, dict) and isinstance(t.get("number"), int)
                                               for t in trials):
        raise DataError(f"{SWEEP_FILE}: 'trials' must be a list of trials with a number")
    if not isinstance(objectives, list) or not objectives or not all(isinstance(o, dict) and "name" in o
                                                                     for o in objectives):
        raise DataError(f"{SWEEP_FILE}: 'objectives' must be a list of {{name, direction}}")
    return doc


def _counts(trials: list[dict[str, Any]]) -> dict[str, int]:
    """Trials done, pruned, failed (or interrupted), running, in all."""
    states = [str(t.get("state")) for t in trials]
    return {"done": states.count("complete"), "pruned": states.count("pruned"),
            "failed": sum(s in FAILED_STATES for s in states), "running": states.count("running"),
            "total": len(states)}


def _best(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The best trial (one objective: its name and value) or the Pareto front's size."""
    by_number = {t["number"]: t for t in doc["trials"]}
    picked = [by_number[n] for n in doc.get("best") or [] if n in by_number]
    if not picked:
        return None
    if len(doc["objectives"]) > 1:
        return {"trial": None, "value": None, "pareto": len(picked), "values": None}
    return {"trial": picked[0].get("name"), "value": picked[0].get("value"), "pareto": None,
            "values": picked[0].get("values")}


def summarise(root: Path, folder: Path) -> dict[str, Any]:
    """A run table row of a sweep: name, task, objectives, trial counts, best value, updated, error."""
    row: dict[str, Any] = {"name": folder.relative_to(root).as_posix(), "kind": "sweep", "task": None,
                           "objectives": [], "counts": _counts([]), "trials_wanted": None, "best": None,
                           "updated": None, "error": None}
    try:
        row["updated"] = (folder / SWEEP_FILE).stat().st_mtime
        doc = read_sweep(folder)
        row.update(task=doc.get("task"), objectives=doc["objectives"], counts=_counts(doc["trials"]),
                   trials_wanted=doc.get("trials_wanted"), best=_best(doc))
    except (DataError, OSError) as err:
        row["error"] = str(err)
    return row


def trial_runs(root: Path, folder: Path) -> dict[str, dict[str, Any]]:
    """{run name under ``root``: its trial record} for the trials of one sweep that have a run folder."""
    try:
        doc = read_sweep(folder)
    except (DataError, OSError):
        return {}
    out = {}
    for trial in doc["trials"]:
        run_dir = trial.get("run_dir")
        if isinstance(run_dir, str) and run_dir and not Path(run_dir).is_absolute() and ".." not in run_dir:
            out[(folder / run_dir).relative_to(root).as_posix()] = trial
    return out


def group_runs(root: Path, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(sweep rows, each with its trials' run rows under ``runs``; the run rows of no sweep). A trial's run
    row gains ``sweep`` and ``trial`` (its number), and takes its status from the sweep when pruned."""
    sweeps = [summarise(root, f) for f in scan(root)]
    by_name = {r["name"]: r for r in rows}
    grouped: set[str] = set()
    for sweep in sweeps:
        folder = root / sweep["name"]
        trials = trial_runs(root, folder)
        prefix = sweep["name"] + "/"
        sweep["runs"] = []
        for name in sorted(n for n in by_name if n.startswith(prefix)):
            run = by_name[name]
            trial = trials.get(name)
            if trial is not None:
                run.update(sweep=sweep["name"], trial=trial["number"])
                if trial.get("state") == "pruned":
                    run["status"] = "pruned"
            sweep["runs"].append(run)
            grouped.add(name)
        for key in ("model", "data"):            # what all its trials share (a swept model name: none)
            shared = {r.get(key) for r in sweep["runs"]}
            sweep[key] = shared.pop() if len(shared) == 1 else None
    return sweeps, [r for r in rows if r["name"] not in grouped]


def sweep_of(root: Path, run_folder: Path) -> tuple[str, dict[str, Any]] | None:
    """(sweep name, trial record) when ``run_folder`` is a trial of the sweep in its parent folder."""
    parent = run_folder.parent
    if parent == root or not (parent / SWEEP_FILE).is_file():
        return None
    trial = trial_runs(root, parent).get(run_folder.relative_to(root).as_posix())
    return None if trial is None else (parent.relative_to(root).as_posix(), trial)


def _duration_s(trial: dict[str, Any]) -> float | None:
    from datetime import datetime

    try:
        return (datetime.fromisoformat(trial["finished"]) - datetime.fromisoformat(trial["started"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


def detail(root: Path, folder: Path) -> dict[str, Any]:
    """Everything a sweep page shows: the row, the trials (with the run page each links to), the space,
    ``best.overrides``, the figure files the report wrote; a damaged ``sweep.json`` leaves ``errors``."""
    row = summarise(root, folder)
    out: dict[str, Any] = {**row, "trials": [], "space": [], "pareto": [], "best_numbers": [], "storage": None,
                           "best_overrides": None, "figures": [], "errors": [row["error"]] if row["error"] else []}
    if not row["error"]:
        doc = read_sweep(folder)
        out.update(space=doc.get("space") or [], pareto=doc.get("pareto") or [], storage=doc.get("storage"),
                   best_numbers=doc.get("best") or [])
        runs = {trial["number"]: name for name, trial in trial_runs(root, folder).items() if (root / name).is_dir()}
        for trial in sorted(doc["trials"], key=lambda t: t["number"]):
            out["trials"].append({**trial, "run": runs.get(trial["number"]), "duration_s": _duration_s(trial)})
    overrides = folder / "best.overrides"
    if overrides.is_file():
        out["best_overrides"] = overrides.read_text(errors="replace")
    for name in FIGURES:
        png, html = folder / f"{name}.png", folder / f"{name}.html"
        if png.is_file() or html.is_file():
            out["figures"].append({"name": name, "png": _rel(root, png), "html": _rel(root, html)})
    return out


def _rel(root: Path, path: Path) -> str | None:
    return path.relative_to(root).as_posix() if path.is_file() else None
